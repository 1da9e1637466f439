"""The demo seed: big enough, repeatable, and the login it prints works (in process and for real)."""

import os
import re
import subprocess
import sys
import time

import httpx
import pytest
from django.test import Client

from sonnim.commerce.models import Order, OrderItem
from sonnim.conversations.models import Conversation, Message, SearchEntry
from sonnim.core.models import Event
from sonnim.customers.models import Customer
from sonnim.demo import seed
from sonnim.demo.bot import BOT_CHATS
from sonnim.demo.data import ADMIN_EMAIL as ADMIN
from sonnim.demo.seed import seed_demo
from sonnim.inboxes.models import Inbox
from sonnim.knowledge.models import Article
from sonnim.testing.server import free_port


def table_counts(workspace_id: int) -> dict[str, int]:
    models = [Customer, Order, OrderItem, Conversation, Message, SearchEntry, Event, Inbox]
    return {m.__name__: m.objects.filter(workspace_id=workspace_id).count() for m in models}


@pytest.mark.django_db
def test_demo_seed_is_complete_repeatable_and_its_login_works():
    info = seed_demo()
    counts = table_counts(info.workspace_id)
    assert counts["Customer"] >= 50
    channel_chats = 4  # two calls, a Messenger question, a public comment (demo/channels.py)
    assert (counts["Order"], counts["Conversation"]) == (
        seed.ORDERS,
        seed.CONVERSATIONS + len(BOT_CHATS) + channel_chats,
    )
    conversations = Conversation.objects.filter(workspace_id=info.workspace_id)
    kinds = set(conversations.values_list("inbox__kind", flat=True))
    assert kinds == {"api", "email", "kakao", "talktalk", "webchat", "sms", "board", "phone", "meta"}
    assert_calls_and_social(info.workspace_id)
    assert {"open", "pending", "resolved", "closed"} <= set(conversations.values_list("status", flat=True))
    assert conversations.filter(language="en").exists() and conversations.filter(language="ko").exists()
    assert (
        conversations.filter(assignee__isnull=False).exists()
        and conversations.filter(tags__isnull=False).exists()
    )
    messages = Message.objects.filter(workspace_id=info.workspace_id)
    assert {"in", "out", "note"} == set(messages.values_list("direction", flat=True))
    assert not messages.filter(direction="out").exclude(delivery_status="sent").exists()
    assert set(Order.objects.filter(workspace_id=info.workspace_id).values_list("status", flat=True)) >= {
        "paid",
        "preparing",
        "shipped",
        "delivered",
        "cancelled",
        "returned",
    }
    assert not Order.objects.filter(
        workspace_id=info.workspace_id, status="shipped", tracking_number=""
    ).exists()

    assert_bot_inbox(info.workspace_id)

    assert seed_demo() == info  # the second run finds the shop and changes nothing
    assert table_counts(info.workspace_id) == counts

    browser = Client()
    response = browser.post("/login/", {"username": info.admin_email, "password": info.admin_password})
    assert (response.status_code, response["Location"]) == (302, "/")
    assert browser.get("/").status_code == 200
    response = Client().get("/api/v1/conversations", HTTP_AUTHORIZATION=f"Bearer {info.api_token}")
    assert response.status_code == 200
    assert len(response.json()["items"]) == 25


def assert_calls_and_social(workspace_id: int) -> None:
    """Calls land on the callers' existing profiles (by phone number, with their orders), the missed one as
    a callback task under an SLA clock; Facebook's public comment is a conversation marked public."""
    from sonnim.inboxes.models import CallLog

    calls = {log.call_id: log for log in CallLog.objects.filter(workspace_id=workspace_id)}
    assert set(calls) == {"demo-call-1", "demo-call-2"}
    answered, missed = calls["demo-call-1"], calls["demo-call-2"]
    for log in (answered, missed):
        customer = Customer.objects.get(pk=log.customer_id)
        assert customer.member_id and Order.objects.filter(customer=customer).exists()
    assert (answered.outcome, answered.duration_seconds, answered.agent.user.email) == (
        "answered",
        184,
        ADMIN,
    )
    callback = Conversation.objects.get(pk=missed.conversation_id)
    assert (missed.outcome, callback.category, callback.status) == ("missed", "callback", "open")
    meta = Conversation.objects.filter(workspace_id=workspace_id, inbox__kind="meta")
    public = [m.metadata.get("meta", {}).get("public") for c in meta for m in c.messages.all()]
    assert sorted(public, key=bool) == [None, True]


def assert_bot_inbox(workspace_id: int) -> None:
    """A bot-enabled chat inbox over the sample help center: one chat the bot answered from an article,
    one it handed to a person with its summary note."""
    assert Article.objects.filter(workspace_id=workspace_id, status="published").count() >= 20
    bot_inbox = Inbox.objects.get(workspace_id=workspace_id, is_bot_enabled=True)
    answered, handed = Conversation.objects.filter(inbox=bot_inbox).order_by("created_at")
    reply = Message.objects.get(conversation=answered, direction="out")
    assert (reply.author_kind, reply.metadata["bot"]["reason"], reply.delivery_status) == (
        "bot",
        "kb",
        "sent",
    )
    assert reply.metadata["bot"]["sources"][0]["id"] == "ship-time"
    assert not Event.objects.filter(conversation_id=answered.pk, type="bot.handed_off").exists()
    assert Event.objects.filter(conversation_id=handed.pk, type="bot.handed_off").exists()
    note = Message.objects.get(conversation=handed, direction="note")
    assert note.text.startswith("[봇 인계]") and handed.priority in ("medium", "high", "urgent")


def _read_until(proc: subprocess.Popen, pattern: str, lines: list[str], timeout: float) -> re.Match:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError("demo exited:\n" + "".join(lines))
        lines.append(line)
        match = re.search(pattern, line)
        if match:
            return match
    joined = "".join(lines)
    raise AssertionError(f"demo did not print {pattern!r} in time:\n{joined}")


def test_sonnim_demo_command_serves_a_shop_a_new_user_can_use(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        SONNIM_VAR_DIR=str(tmp_path),
        PYTHONWARNINGS="ignore",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "sonnim.cli", "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        url = _read_until(proc, r"open\s+(\S+)", lines, 900).group(1)
        email, password = _read_until(proc, r"log in\s+(\S+) / (\S+)", lines, 5).groups()
        token = _read_until(proc, r"API token\s+(\S+)", lines, 5).group(1)
        inbound, key = _read_until(
            proc, r"inbound\s+POST (\S+) \(Authorization: Bearer (\S+)\)", lines, 5
        ).groups()
        _read_until(proc, r"serving on", lines, 30)
        assert url == f"http://127.0.0.1:{port}/"

        with httpx.Client(base_url=url, timeout=10) as browser:
            browser.get("login/")
            response = browser.post(
                "login/",
                data={
                    "username": email,
                    "password": password,
                    "csrfmiddlewaretoken": browser.cookies["csrftoken"],
                },
            )
            assert (response.status_code, response.headers["location"]) == (302, "/")
            assert browser.get("").status_code == 200

        payload = {
            "external_id": "e2e-1",
            "sender": {"external_id": "e2e-customer", "name": "처음 온 손님"},
            "text": "데모에서 보낸 첫 문의입니다",
        }
        response = httpx.post(inbound, json=payload, headers={"Authorization": f"Bearer {key}"}, timeout=10)
        assert response.status_code == 201
        conversation_id = response.json()["conversation_id"]
        response = httpx.get(
            f"{url}api/v1/conversations",
            params={"status": "open"},
            headers={"Authorization": f"Bearer {token}"},
        )
        first = response.json()["items"][0]
        assert (first["id"], first["last_message"]["text"]) == (
            conversation_id,
            "데모에서 보낸 첫 문의입니다",
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
