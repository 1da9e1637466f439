"""KakaoTalk 상담톡 through a dealer (`restdealer`): signed inbound webhooks, text/image/file sends, session end and
expiry, against a local fake dealer."""

import base64
import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from sonnim.conversations.models import Conversation, Message
from sonnim.conversations.tasks import deliver_message
from sonnim.core.errors import SonnimError
from sonnim.customers.models import Identity
from sonnim.inboxes.adapters import adapter_for
from sonnim.inboxes.adapters.kakao_dealers import DEALERS
from sonnim.inboxes.adapters.kakao_dealers.base import session_is_open
from sonnim.inboxes.adapters.kakao_dealers.restdealer import sign
from sonnim.inboxes.selectors import inbox_config
from sonnim.inboxes.services import create_inbox
from sonnim.testing.fakes.base import Reply
from sonnim.testing.fakes.dealer import FakeDealer

WEBHOOK_SECRET = "dealer-webhook-secret"
API_KEY = "dealer-api-key"
USER = "kakao-user-77"


@pytest.fixture
def dealer():
    with FakeDealer(API_KEY) as fake:
        yield fake


@pytest.fixture
def counsel(workspace, dealer):
    return create_inbox(
        workspace,
        kind="kakao_counsel",
        name="카카오 상담톡",
        settings={"dealer": "restdealer", "dealer_url": dealer.url, "sender_key": "sk-shop-1"},
        credentials={"api_key": API_KEY, "webhook_secret": WEBHOOK_SECRET},
    )


def post(created, payload, *, raw: bytes | None = None, signature: str | None = None):
    body = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
    signature = sign(WEBHOOK_SECRET, body) if signature is None else signature
    return Client().post(
        f"/hooks/kakao_counsel/{created.key}",
        data=body,
        content_type="application/json",
        HTTP_X_DEALER_SIGNATURE=signature,
    )


def message_event(message_id: str, text: str, **extra) -> dict:
    return {
        "event": "message",
        "message_id": message_id,
        "user_key": USER,
        "sender_key": "sk-shop-1",
        "type": "text",
        "text": text,
        "sent_at": "2026-11-25T10:00:00+09:00",
        **extra,
    }


def test_signed_message_opens_a_counsel_conversation_once(counsel, workspace, api, agent):
    payload = message_event("dm-1", "사이즈 교환 문의드려요 👕")
    assert [post(counsel, payload).status_code for _ in range(2)] == [200, 200]
    message = Message.objects.get(inbox=counsel.inbox)
    assert (message.text, message.external_id, message.metadata) == (
        "사이즈 교환 문의드려요 👕",
        "dm-1",
        {"content": "text"},
    )
    assert message.sent_at == datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    assert Identity.objects.get(workspace=workspace, kind="kakao_counsel").external_id == USER
    listed = api(agent).get("/api/v1/conversations").json()["items"]
    assert [c["inbox"]["kind"] for c in listed] == ["kakao_counsel"]


def test_inbound_image_keeps_its_url(counsel):
    post(
        counsel,
        message_event("dm-2", "", type="image", attachment={"url": "https://dealer/i.png", "name": "i.png"}),
    )
    message = Message.objects.get(inbox=counsel.inbox)
    assert message.metadata == {"content": "image", "url": "https://dealer/i.png", "name": "i.png"}


@pytest.mark.parametrize("signature", ["", "sha256=00", sign("other-secret", b"{}")])
def test_bad_signature_is_401_and_stores_nothing(counsel, signature, caplog):
    with caplog.at_level(logging.INFO, logger="sonnim"):
        response = post(counsel, message_event("dm-3", "위조"), signature=signature)
    assert (response.status_code, response.json()["code"]) == (401, "bad_signature")
    assert "code=bad_signature" in caplog.text and "위조" not in caplog.text
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"{", "malformed_json"),
        (json.dumps({"event": "message", "text": "x"}).encode(), "malformed_payload"),
        (json.dumps({"event": "message", "user_key": USER, "text": "x"}).encode(), "malformed_payload"),
        (json.dumps(message_event("dm-4", "x", sent_at="어제")).encode(), "malformed_payload"),
    ],
)
def test_malformed_dealer_event_is_400(counsel, raw, code):
    response = post(counsel, None, raw=raw)
    assert (response.status_code, response.json()["code"]) == (400, code)
    assert not Message.objects.exists()


def test_session_expiry_event_updates_the_identity(counsel, workspace):
    post(counsel, message_event("dm-5", "안녕하세요"))
    post(counsel, {"event": "session_expired", "user_key": USER, "sender_key": "sk-shop-1"})
    assert Identity.objects.get(workspace=workspace, kind="kakao_counsel").metadata == {"session_open": False}
    assert Message.objects.filter(inbox=counsel.inbox).count() == 1


@pytest.fixture
def conversation(counsel):
    post(counsel, message_event("dm-10", "견적서 보내주세요"))
    return Conversation.objects.get(inbox=counsel.inbox)


def reply_with_files(api, agent, conversation, text="요청하신 자료예요"):
    png = {
        "filename": "상품.png",
        "content_type": "image/png",
        "data_base64": base64.b64encode(b"\x89PNG\r\n\x1a\n0000").decode(),
    }
    pdf = {
        "filename": "견적서.pdf",
        "content_type": "application/pdf",
        "data_base64": base64.b64encode(b"%PDF-1.4 x").decode(),
    }
    response = api(agent).post(
        f"/api/v1/conversations/{conversation.pk}/reply", json={"text": text, "attachments": [png, pdf]}
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_text_image_and_file_reach_the_dealer_in_its_shape(conversation, dealer, workspace, api, agent):
    message_id = reply_with_files(api, agent, conversation)
    assert deliver_message.call(workspace_id=workspace.pk, message_id=message_id) == "sent"
    assert {r.headers["X-Api-Key"] for r in dealer.requests} == {API_KEY}
    text, image, file = dealer.bodies("/v1/messages")
    assert text == {
        "sender_key": "sk-shop-1",
        "user_key": USER,
        "serial_number": f"sonnim-{message_id}-0",
        "type": "text",
        "text": "요청하신 자료예요",
    }
    assert (image["type"], image["serial_number"], image["image_url"].startswith("http")) == (
        "image",
        f"sonnim-{message_id}-1",
        True,
    )
    assert (file["type"], file["file_name"], file["file_size"]) == ("file", "견적서.pdf", 10)
    assert Message.objects.get(pk=message_id).external_id == f"out:m-sonnim-{message_id}-2"


def test_retry_after_partial_send_repeats_nothing(conversation, dealer, workspace, api, agent):
    message_id = reply_with_files(api, agent, conversation)
    dealer.then(
        Reply(200, {"code": "0000", "message_id": "m-first"}), Reply(503, {"code": "E500", "message": "down"})
    )
    assert deliver_message.call(workspace_id=workspace.pk, message_id=message_id) == "retrying"
    message = Message.objects.get(pk=message_id)
    assert (message.delivery_status, message.failure_reason) == (
        "queued",
        "Kakao dealer refused: E500 (the dealer had an internal error)",
    )
    dealer.serials.add(f"sonnim-{message_id}-0")  # the first attempt's text went through
    assert deliver_message.call(workspace_id=workspace.pk, message_id=message_id) == "sent"
    accepted = [b["serial_number"] for b in dealer.bodies("/v1/messages")]
    assert accepted == [f"sonnim-{message_id}-{i}" for i in (0, 1, 0, 1, 2)]
    assert dealer.serials == {f"sonnim-{message_id}-{i}" for i in (0, 1, 2)}  # each bubble shown once


def test_expired_session_fails_for_good_with_the_reason(conversation, dealer, workspace, api, agent):
    dealer.customer_spoke(USER, datetime.now() - timedelta(days=31))
    reply = (
        api(agent).post(f"/api/v1/conversations/{conversation.pk}/reply", json={"text": "늦은 답변"}).json()
    )
    assert deliver_message.call(workspace_id=workspace.pk, message_id=reply["id"]) == "failed"
    assert Message.objects.get(pk=reply["id"]).failure_reason == (
        "Kakao dealer refused: E410 (the 상담톡 session expired after 30 days of customer silence; use an AlimTalk template)"
    )


def test_wrong_api_key_fails_for_good(counsel, conversation, workspace, api, agent):
    inbox = counsel.inbox
    inbox.credentials = json.dumps({"api_key": "stale", "webhook_secret": WEBHOOK_SECRET})
    inbox.save(update_fields=["credentials"])
    reply = api(agent).post(f"/api/v1/conversations/{conversation.pk}/reply", json={"text": "답변"}).json()
    assert deliver_message.call(workspace_id=workspace.pk, message_id=reply["id"]) == "failed"
    assert (
        Message.objects.get(pk=reply["id"]).failure_reason
        == "Kakao dealer refused: E401 (the dealer refused the API key)"
    )


def test_end_session_reaches_the_dealer(counsel, dealer):
    adapter = adapter_for("kakao_counsel")(inbox_config(counsel.inbox))
    assert adapter.end_session(USER).external_id == "m-end"
    assert dealer.bodies("/v1/sessions/end") == [{"sender_key": "sk-shop-1", "user_key": USER}]


def test_unknown_dealer_is_refused(workspace):
    with pytest.raises(SonnimError) as refused:
        create_inbox(workspace, kind="kakao_counsel", name="x", settings={"dealer": "nobody"})
    assert (refused.value.code, refused.value.details["choices"]) == ("unknown_dealer", sorted(DEALERS))


def test_session_is_open_for_30_days_of_silence():
    now = datetime(2026, 11, 25, tzinfo=UTC)
    assert session_is_open(now - timedelta(days=29, hours=23), now) is True
    assert session_is_open(now - timedelta(days=30), now) is False
    assert session_is_open(None, now) is False
