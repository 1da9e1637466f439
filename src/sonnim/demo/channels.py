"""The demo's phone line and Facebook/Instagram inbox: a few calls and messages posted to their real webhook
views, signed the way a PBX and Meta sign them, so the sample inbox shows every channel, each on the right
customer profile (calls by the caller's number, Instagram by the handle linked to a profile)."""

import json
from datetime import datetime

from django.test import RequestFactory

from sonnim.customers.models import Customer
from sonnim.inboxes.adapters import signing
from sonnim.inboxes.models import Inbox
from sonnim.inboxes.services import create_inbox
from sonnim.inboxes.views import hook
from sonnim.testing.fakes.graph import dm, page_comment, sign

from . import data

PHONE_SECRET = "demo-pbx-signing-secret"  # the demo's own PBX: anyone running the demo may read it
META_SECRET = "demo-meta-app-secret"
META_SETTINGS = {"page_id": "PAGE-1", "instagram_account_id": "IG-ACCOUNT-1", "app_id": "demo-app"}


def seed_channels(workspace, customers: list[Customer], *, now: datetime) -> dict[str, Inbox]:
    """A phone inbox with one answered and one missed call from known customers, and a Meta inbox with a
    Messenger question and a public comment under a post."""
    phone = create_inbox(workspace, kind="phone", name="대표전화 1588-0000", signing_secret=PHONE_SECRET)
    meta = create_inbox(
        workspace,
        kind="meta",
        name="페이스북·인스타그램 @sonnim_store",
        settings=META_SETTINGS,
        credentials={"app_secret": META_SECRET, "verify_token": "demo-verify", "page_access_token": "demo"},
    )
    callers = [c for c in customers if c.phone][:2]
    answered, missed = callers[0], callers[1]
    day = now.date().isoformat()
    for event in (
        _call("ringing", "demo-call-1", answered.phone, f"{day}T10:02:00+09:00"),
        _call(
            "answered", "demo-call-1", answered.phone, f"{day}T10:02:00+09:00", agent_email=data.ADMIN_EMAIL
        ),
        _call(
            "ended",
            "demo-call-1",
            answered.phone,
            f"{day}T10:02:00+09:00",
            duration_seconds=184,
            ended_at=f"{day}T10:05:04+09:00",
        ),
        _call("ringing", "demo-call-2", missed.phone, f"{day}T11:40:00+09:00"),
        _call("missed", "demo-call-2", missed.phone, f"{day}T11:40:00+09:00"),
    ):
        body = json.dumps(event, ensure_ascii=False).encode()
        _post(phone, body, signing.sign(PHONE_SECRET, body))
    for payload in (
        dm("인스타에서 본 니트 베이지 색상 아직 있나요?", psid="PSID-DEMO-1", mid="demo-dm-1"),
        page_comment(
            "배송이 너무 늦어요. 일주일째 기다리는 중입니다",
            comment_id="POST-1_C-DEMO",
            author_id="FB-DEMO-1",
            name="정하은",
        ),
    ):
        body = json.dumps(payload, ensure_ascii=False).encode()
        _post(meta, body, {"X-Hub-Signature-256": sign(body, META_SECRET)})
    return {"phone": phone.inbox, "meta": meta.inbox}


def _call(event: str, call_id: str, caller: str, started_at: str, **extra) -> dict:
    return {
        "event": event,
        "call_id": call_id,
        "direction": "inbound",
        "caller": caller,
        "callee": "1588-0000",
        "started_at": started_at,
        **extra,
    }


def _post(created, body: bytes, headers: dict) -> None:
    kind = created.inbox.kind
    request = RequestFactory().post(
        f"/hooks/{kind}/{created.key}",
        data=body,
        content_type="application/json",
        headers=headers,
        REMOTE_ADDR="127.0.0.1",
    )
    response = hook(request, kind=kind, inbox_key=created.key)
    if response.status_code >= 400:
        raise RuntimeError(f"demo {kind} webhook refused: {response.content[:300]!r}")
