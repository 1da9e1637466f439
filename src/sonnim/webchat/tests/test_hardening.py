"""The widget's edges: tokens and members stay in their inbox and workspace, agents' typing stays in its
workspace, limits per IP behind proxies and per websocket frame, long texts and uploads refused, bad
settings refused on save and harmless on read, erasure reaches the widget's copies, no contact data in logs."""

import asyncio
import json
import logging

import pytest
from django.db import connections

from sonnim.conversations.models import Conversation, Message
from sonnim.conversations.services import send_reply
from sonnim.core.actors import SYSTEM, Actor
from sonnim.core.errors import SonnimError
from sonnim.core.services import create_api_token
from sonnim.customers.models import Customer
from sonnim.customers.services import create_customer, erase_contact_data
from sonnim.inboxes.adapters.webchat import TEXT_MAX_CHARS
from sonnim.inboxes.models import Inbox
from sonnim.inboxes.services import update_inbox
from sonnim.testing.fixtures import clear_cache
from sonnim.webchat import services
from sonnim.webchat.models import StreamItem, Visitor

from .fixtures import SHOP_ORIGIN, VisitorClient, make_chat
from .test_api import Socket, _upload, work

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    clear_cache()
    yield
    clear_cache()


def run(scenario) -> None:
    async def wrapped():
        try:
            await scenario()
        finally:
            from channels.db import database_sync_to_async

            await database_sync_to_async(connections.close_all)()  # the consumers' query thread

    asyncio.run(wrapped())


# ---- tenancy ----


def test_a_visitor_token_of_one_inbox_is_refused_by_another(workspace):
    first, second = make_chat(workspace), make_chat(workspace)
    visitor = VisitorClient(first)
    visitor.start()
    assert visitor.say("첫 인박스").status_code == 201
    elsewhere = VisitorClient(second)
    elsewhere.token = visitor.token  # the same browser token, sent to the other widget
    for response in (elsewhere.say("다른 인박스"), elsewhere.post("read", {"seq": 1}), elsewhere.get("poll")):
        assert (response.status_code, response.json()["code"]) == (401, "visitor_required")
    assert Message.objects.count() == 1


def test_a_member_id_joins_a_profile_of_its_own_workspace_only(workspace, other_workspace):
    stranger = create_customer(other_workspace, name="다른 가게 회원", member_id="member0042", actor=SYSTEM)
    chat = make_chat(workspace)
    visitor = VisitorClient(chat)
    signature = services.member_signature(chat.inbox.signing_secret, "member0042", "")
    assert visitor.start({"id": "member0042", "signature": signature})["verified"] is True
    assert visitor.say("주문 문의").status_code == 201
    customer = Conversation.objects.get().customer
    assert customer.pk != stranger.pk and customer.workspace_id == workspace.pk
    assert Customer.objects.filter(workspace=other_workspace).count() == 1


def test_agents_typing_reaches_only_their_own_workspaces_visitors(workspace, owner, other_workspace_agent):
    chat = make_chat(workspace)
    visitor = VisitorClient(chat)
    visitor.start()
    visitor.say("안녕하세요")
    conversation = Conversation.objects.get()
    own_key = create_api_token(owner).key
    other_key = create_api_token(other_workspace_agent).key
    typing = json.dumps({"type": "typing", "conversation_id": conversation.pk})

    async def scenario():
        widget = Socket(f"/ws/widget/{chat.widget.public_key}/?token={visitor.token}&after=0", SHOP_ORIGIN)
        assert await widget.connect()
        assert (await widget.receive())["type"] == "items"
        other = Socket(f"/ws/agent/?token={other_key}", "http://testserver")
        assert await other.connect()
        assert (await other.receive())["type"] == "hello"
        await other.app.send_input({"type": "websocket.receive", "text": typing})
        await other.app.send_input({"type": "websocket.receive", "text": '{"type": "ping"}'})
        assert await other.receive() == {"type": "pong"}  # its typing frame was handled before the ping
        own = Socket(f"/ws/agent/?token={own_key}", "http://testserver")
        assert await own.connect()
        assert (await own.receive())["type"] == "hello"
        await own.app.send_input({"type": "websocket.receive", "text": typing})
        # the first hint the visitor gets is their own shop's agent, never the other workspace's
        assert await widget.receive() == {"type": "typing", "name": owner.display_name}
        for socket in (widget, other, own):
            await socket.app.send_input({"type": "websocket.disconnect", "code": 1000})

    run(scenario)


# ---- limits ----


def test_per_ip_limit_counts_the_visitor_behind_trusted_proxies_only(workspace):
    chat = make_chat(workspace, ip_requests_per_minute=2, trusted_proxies=["10.0.0.0/8"])
    # behind our proxy: each visitor's own address counts, not the proxy's
    codes = [
        VisitorClient(chat, ip="10.0.0.5", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 10.0.0.9")
        .post("session", {})
        .status_code
        for n in range(4)
    ]
    assert codes == [200, 200, 200, 200]
    # a direct caller cannot pick a fresh address per request with the header
    direct = [
        VisitorClient(chat, ip="203.0.113.7", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").post("session", {})
        for n in range(10, 13)
    ]
    assert [r.status_code for r in direct] == [200, 200, 429]
    with pytest.raises(SonnimError) as refused:
        update_inbox(chat.inbox, actor=SYSTEM, settings={"trusted_proxies": "10.0.0.0/8"})
    assert "trusted_proxies" in refused.value.details


def test_websocket_frames_count_against_the_rate_limit(workspace):
    chat = make_chat(workspace, ip_requests_per_minute=3)
    visitor = VisitorClient(chat)
    visitor.start()
    visitor.say("안녕하세요")
    clear_cache()  # the websocket's frames alone: 3 a minute

    async def scenario():
        from channels.layers import get_channel_layer

        from sonnim.core.realtime import workspace_group

        layer = get_channel_layer()
        agents = await layer.new_channel()
        await layer.group_add(workspace_group(workspace.pk), agents)
        ws = Socket(f"/ws/widget/{chat.widget.public_key}/?token={visitor.token}&after=0", SHOP_ORIGIN)
        assert await ws.connect()
        await ws.receive()
        for _ in range(5):
            await ws.app.send_input({"type": "websocket.receive", "text": '{"type": "typing"}'})
        await ws.app.send_input({"type": "websocket.receive", "text": '{"type": "ping"}'})
        assert await ws.receive() == {"type": "pong"}  # every frame before it was handled

        async def next_hint(timeout: float) -> dict:
            # the visitor's message event is pushed after commit by a background loop (Redis), so it may
            # reach the group after group_add: only the typing hints count here
            while (message := await asyncio.wait_for(layer.receive(agents), timeout))["type"] == "event.push":
                pass
            return message

        hints = [await next_hint(2) for _ in range(3)]
        assert all(h["state"] == "typing" for h in hints)
        with pytest.raises(TimeoutError):  # frames 4 and 5 were dropped
            await next_hint(0.3)
        await ws.app.send_input({"type": "websocket.receive", "text": '{"type": "sync", "after": 0}'})
        await ws.app.send_input({"type": "websocket.receive", "text": '{"type": "ping"}'})
        assert await ws.receive() == {"type": "pong"}  # the sync over the limit got no answer
        await ws.app.send_input({"type": "websocket.disconnect", "code": 1000})

    run(scenario)


def test_bad_limits_are_refused_on_save_and_fall_back_to_defaults_on_read(chat):
    for bad in ("lots", 0, -5, 1.5, True, None, 10**9):
        with pytest.raises(SonnimError) as refused:
            update_inbox(
                chat.inbox,
                actor=SYSTEM,
                settings={"visitor_messages_per_minute": bad, "ip_requests_per_minute": bad},
            )
        assert set(refused.value.details) == {"visitor_messages_per_minute", "ip_requests_per_minute"}
    update_inbox(chat.inbox, actor=SYSTEM, settings={"visitor_messages_per_minute": "30"})
    # saved before validation existed (or written by hand): every call still works, with the defaults
    Inbox.objects.filter(pk=chat.inbox.pk).update(
        settings={
            "allowed_origins": [SHOP_ORIGIN],
            "visitor_messages_per_minute": "lots",
            "ip_requests_per_minute": {"a": 1},
            "trusted_proxies": "nonsense",
        }
    )
    visitor = VisitorClient(chat)
    visitor.start()
    assert visitor.say("설정이 이상해도").status_code == 201
    assert visitor.post("typing", {}).status_code == 204


# ---- what a visitor sends ----


def test_a_message_over_the_limit_is_refused_not_cut(chat):
    visitor = VisitorClient(chat)
    visitor.start()
    too_long = visitor.say("가" * (TEXT_MAX_CHARS + 1))
    assert (too_long.status_code, too_long.json()["code"]) == (400, "message_too_long")
    assert too_long.json()["details"] == {"limit": TEXT_MAX_CHARS, "length": TEXT_MAX_CHARS + 1}
    assert Message.objects.count() == 0
    assert visitor.say("가" * TEXT_MAX_CHARS).status_code == 201
    assert len(Message.objects.get().text) == TEXT_MAX_CHARS


def test_one_file_per_message_and_oversized_bodies_are_refused(chat, settings):
    visitor = VisitorClient(chat)
    visitor.start()
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    two = visitor.client.post(
        chat.api + "messages",
        {"client_id": "file-msg-0001", "file": [_upload("a.png", png, "image/png"), _upload("b.png", png, "image/png")]},
        **visitor.headers(),
    )  # fmt: skip
    assert (two.status_code, two.json()["code"]) == (400, "too_many_files")
    renamed = visitor.client.post(
        chat.api + "messages",
        {"client_id": "file-msg-0002", "file": _upload("a.png", png, "image/png"),
         "other": _upload("b.png", png, "image/png")},
        **visitor.headers(),
    )  # fmt: skip
    assert renamed.json()["code"] == "too_many_files"
    settings.ATTACHMENT_MAX_BYTES = 50
    huge = visitor.client.post(
        chat.api + "messages",
        {"client_id": "file-msg-0003", "file": _upload("big.png", png + b"0" * 70_000, "image/png")},
        **visitor.headers(),
    )  # refused from the declared length, before Django parses the body
    assert (huge.status_code, huge.json()["code"]) == (413, "attachment_too_large")
    assert Message.objects.count() == 0


def test_widget_script_points_at_the_configured_public_url(chat, client, settings):
    settings.PUBLIC_URL = "https://chat.sonnim.example"
    source = client.get(f"/widget/{chat.widget.public_key}.js", HTTP_HOST="127.0.0.1").content.decode()
    boot = json.loads(source.removeprefix("window.SonnimWidgetBoot=").split(";\n", 1)[0])
    assert boot == {"key": chat.widget.public_key, "base": "https://chat.sonnim.example"}


def test_offline_contact_data_never_reaches_the_logs(workspace, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sonnim")
    closed = {"time_zone": "Asia/Seoul", "weekly": {str(d): [] for d in range(7)}}
    chat = make_chat(workspace, business_hours=closed)
    visitor = VisitorClient(chat)
    visitor.start()
    response = visitor.post(
        "offline",
        {"client_id": "offline-0001", "name": "최유나", "email": "yuna.secret@example.com",
         "phone": "010-9876-5432", "reply_via": "phone", "text": "환불 문의입니다"},
    )  # fmt: skip
    assert response.status_code == 201
    work()
    VisitorClient(chat, origin="https://evil.example").post("session", {})  # logs a refusal
    assert "widget origin refused" in caplog.text  # the logs are captured
    for secret in ("yuna.secret", "example.com", "9876", "5432"):
        assert secret not in caplog.text


# ---- erasure ----


def test_erasure_clears_the_widgets_copies(chat, owner):
    create_customer(chat.inbox.workspace, name="김민지", member_id="member0042", actor=SYSTEM)
    visitor = VisitorClient(chat)
    signature = services.member_signature(chat.inbox.signing_secret, "member0042", "minji@example.com")
    visitor.start(
        {"id": "member0042", "email": "minji@example.com", "name": "김민지", "signature": signature}
    )
    visitor.say("주소는 서울시 강남구 테헤란로 1 입니다")
    conversation = Conversation.objects.get()
    send_reply(conversation, text="김민지 고객님, 확인했습니다.", actor=Actor.agent(owner))
    work()
    other = VisitorClient(chat)  # another customer's chat stays as it was
    other.start()
    other.say("다른 고객")

    erase_contact_data(conversation.customer, actor=SYSTEM, reason="request")

    erased = Visitor.objects.get(external_id="member:member0042")
    assert (erased.verified_email, erased.name) == ("", "")
    items = visitor.start({"id": "member0042", "email": "minji@example.com", "signature": signature})["items"]
    assert [(i["from"], i["text"], i["author"], i["erased"]) for i in items if i["kind"] == "message"] == [
        ("visitor", "", "", True),
        ("agent", "", "", True),
    ]
    assert "테헤란로" not in json.dumps(list(StreamItem.objects.values_list("payload", flat=True)))
    assert [i["text"] for i in other.start()["items"]] == ["다른 고객"]
    assert conversation.messages.filter(text__contains="테헤란로").exists()  # the conversation stays
