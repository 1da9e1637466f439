"""The visitor API through Django's test client, the pipeline and the delivery worker for real."""

import gzip
import time

import pytest
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from sonnim.commands.server import run_worker_loop
from sonnim.conversations.models import Conversation, Message
from sonnim.conversations.services import send_reply
from sonnim.core.actors import SYSTEM, Actor
from sonnim.customers.models import Customer
from sonnim.customers.services import create_customer
from sonnim.testing.fixtures import clear_cache
from sonnim.webchat import services
from sonnim.webchat.models import StreamItem, Visitor

from .fixtures import SHOP_ORIGIN, VisitorClient, make_chat

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    clear_cache()
    yield
    clear_cache()


def work() -> None:
    """Run the real task worker until no task waits (delivery of replies)."""
    for _ in range(50):
        run_worker_loop(interval=0.05, batch=True)
        if not DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists():
            return
        time.sleep(0.01)


def test_script_is_plain_js_under_30_kb_gzipped(chat, client):
    response = client.get(f"/widget/{chat.widget.public_key}.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    body = response.content
    assert chat.widget.public_key.encode() in body and b"attachShadow" in body
    assert len(gzip.compress(body)) < 30 * 1024
    assert client.get("/widget/wgt_nope.js").status_code == 404


def test_other_sites_are_refused_and_the_shop_gets_cors(chat):
    evil = VisitorClient(chat, origin="https://evil.example")
    refused = evil.post("session", {})
    assert refused.status_code == 403
    assert refused.json()["code"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in refused
    assert Visitor.objects.count() == 0

    shop = VisitorClient(chat)
    preflight = shop.client.options(chat.api + "messages", HTTP_ORIGIN=SHOP_ORIGIN)
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == SHOP_ORIGIN
    assert "X-Sonnim-Visitor" in preflight["Access-Control-Allow-Headers"]
    started = shop.start()
    assert started["token"].startswith("wv_")
    assert started["config"]["greeting"]["ko"]
    assert Visitor.objects.get().token_hash != started["token"]  # only the hash is kept


def test_visitor_message_lands_once_with_a_resent_client_id(chat):
    visitor = VisitorClient(chat)
    visitor.start()
    first = visitor.say("<b>배송</b> 언제 오나요?", client_id="client-msg-0001")
    assert first.status_code == 201
    again = visitor.say("<b>배송</b> 언제 오나요?", client_id="client-msg-0001")
    assert again.status_code == 200
    assert again.json()["item"]["seq"] == first.json()["item"]["seq"]
    assert again.json()["item"]["duplicate"] is True
    message = Message.objects.get()
    assert message.text == "<b>배송</b> 언제 오나요?"  # stored as text; every renderer escapes it
    assert message.conversation.inbox_id == chat.inbox.pk
    assert StreamItem.objects.count() == 1
    other = VisitorClient(chat, ip="203.0.113.8")
    other.start()
    assert other.say("다른 방문자", client_id="client-msg-0001").status_code == 201  # ids are per visitor
    assert Message.objects.count() == 2
    assert Conversation.objects.count() == 2


def test_rate_limits_per_visitor_and_per_ip(workspace):
    chat = make_chat(workspace, visitor_messages_per_minute=2, ip_requests_per_minute=6)
    visitor = VisitorClient(chat)
    visitor.start()
    assert [visitor.say(f"m{i}").status_code for i in range(3)] == [201, 201, 429]
    assert visitor.say("again").json()["code"] == "rate_limited"
    # the same IP with new visitors: the per-IP budget (6 calls a minute) ends it
    codes = [VisitorClient(chat).post("session", {}).status_code for _ in range(3)]
    assert codes[-1] == 429
    assert Message.objects.count() == 2


def test_signed_member_lands_on_their_existing_profile(chat):
    existing = create_customer(chat.inbox.workspace, name="김민지", member_id="member0042", actor=SYSTEM)
    secret = chat.inbox.signing_secret
    forged = VisitorClient(chat).post(
        "session", {"member": {"id": "member0042", "email": "", "signature": "0" * 64}}
    )
    assert forged.status_code == 403
    assert forged.json()["code"] == "bad_member_signature"

    visitor = VisitorClient(chat)
    signature = services.member_signature(secret, "member0042", "")
    assert visitor.start({"id": "member0042", "name": "민지", "signature": signature})["verified"] is True
    assert visitor.say("지난주 주문 건 문의드려요").status_code == 201
    conversation = Conversation.objects.get()
    assert conversation.customer_id == existing.pk
    assert Customer.objects.count() == 1

    # logged out on the same browser: a new anonymous visitor, the member's history is not shown
    anonymous = visitor.start(None)
    assert anonymous["token"] and anonymous["items"] == [] and anonymous["verified"] is False


def test_verified_email_joins_the_profile_with_that_email(chat):
    existing = create_customer(chat.inbox.workspace, name="박서준", email="seojun@example.com", actor=SYSTEM)
    visitor = VisitorClient(chat)
    signature = services.member_signature(chat.inbox.signing_secret, "", "seojun@example.com")
    visitor.start({"email": "seojun@example.com", "signature": signature})
    visitor.say("안녕하세요")
    assert Conversation.objects.get().customer_id == existing.pk


def test_agent_reply_reaches_poll_after_seq_and_read_receipts_go_both_ways(chat, owner):
    visitor = VisitorClient(chat)
    visitor.start()
    first = visitor.say("사이즈 교환 되나요?").json()["item"]
    conversation = Conversation.objects.get()

    reply = send_reply(conversation, text="네, 가능합니다.", actor=Actor.agent(owner))
    work()
    reply.refresh_from_db()
    assert reply.delivery_status == "sent"

    missed = visitor.get("poll", after=first["seq"], wait=0).json()
    assert [(i["from"], i["text"]) for i in missed["items"]] == [("agent", "네, 가능합니다.")]
    assert missed["items"][0]["author"] == owner.display_name
    assert visitor.get("poll", after=missed["last_seq"], wait=0).json()["items"] == []
    # history after a reload: the same items in order
    assert [i["text"] for i in visitor.start()["items"]] == ["사이즈 교환 되나요?", "네, 가능합니다."]

    # the visitor read the reply: the agent sees it
    assert visitor.post("read", {"seq": missed["last_seq"]}).json() == {"marked": 1}
    reply.refresh_from_db()
    assert reply.metadata["read_at"]
    # an agent opened the conversation: the visitor sees their message read
    read = services.mark_agent_read(conversation)
    assert read["kind"] == "read" and read["up_to"] == first["seq"]
    assert services.mark_agent_read(conversation) is None  # nothing new: no write
    assert visitor.get("poll", after=missed["last_seq"], wait=0).json()["items"][0]["up_to"] == first["seq"]


def test_prechat_answers_are_required_and_land_on_the_conversation(workspace):
    chat = make_chat(
        workspace,
        prechat=[
            {"name": "order_number", "label": {"ko": "주문번호", "en": "Order number"}, "required": True},
            {"name": "topic", "label": "문의 유형", "options": ["배송", "교환/반품"]},
        ],
    )
    visitor = VisitorClient(chat)
    assert visitor.start()["config"]["prechat"][0]["name"] == "order_number"
    missing = visitor.say("배송 문의")
    assert missing.status_code == 400 and missing.json()["details"] == ["order_number"]
    assert (
        visitor.say("배송 문의", answers={"order_number": "20261125-0001", "topic": "배송"}).status_code
        == 201
    )
    message = Message.objects.get(direction="in")
    assert message.metadata["prechat"] == {"order_number": "20261125-0001", "topic": "배송"}
    note = Message.objects.get(direction="note")
    assert "주문번호: 20261125-0001" in note.text and "배송" in note.text


def test_prechat_name_and_email_fill_a_new_profile_without_joining_another(workspace):
    existing = create_customer(workspace, name="진짜 주인", email="owner@example.com", actor=SYSTEM)
    chat = make_chat(workspace, prechat=[{"name": "name"}, {"name": "email"}])
    visitor = VisitorClient(chat)
    visitor.start()
    visitor.say("문의", answers={"name": "이서연", "email": "owner@example.com"})
    customer = Conversation.objects.get().customer
    assert customer.pk != existing.pk  # an unverified email never joins someone's profile
    assert (customer.display_name, customer.email) == ("이서연", "owner@example.com")


def test_offline_form_lands_as_a_conversation_with_the_contact(workspace):
    closed = {"time_zone": "Asia/Seoul", "weekly": {str(d): [] for d in range(7)}}
    chat = make_chat(workspace, business_hours=closed)
    visitor = VisitorClient(chat)
    assert visitor.start()["config"]["is_open"] is False
    response = visitor.post(
        "offline",
        {"client_id": "offline-0001", "name": "최유나", "email": "yuna@example.com", "reply_via": "email",
         "text": "환불 문의입니다"},
    )  # fmt: skip
    assert response.status_code == 201
    conversation = Conversation.objects.get()
    assert conversation.customer.email == "yuna@example.com"
    assert conversation.messages.get(direction="in").metadata["offline"] == {"reply_via": "email"}
    assert conversation.messages.filter(direction="note").exists()
    no_contact = visitor.post("offline", {"client_id": "offline-0002", "text": "?"})
    assert no_contact.json()["code"] == "contact_required"


def test_attachments_are_checked(chat, settings):
    visitor = VisitorClient(chat)
    visitor.start()
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    ok = visitor.client.post(
        chat.api + "messages",
        {"client_id": "file-msg-0001", "text": "사진", "file": _upload("photo.png", png, "image/png")},
        **visitor.headers(),
    )
    assert ok.status_code == 201
    assert ok.json()["item"]["files"][0]["name"] == "photo.png"
    bad = visitor.client.post(
        chat.api + "messages",
        {
            "client_id": "file-msg-0002",
            "file": _upload("run.exe", b"MZ" + b"0" * 10, "application/x-msdownload"),
        },
        **visitor.headers(),
    )
    assert bad.status_code == 415
    settings.ATTACHMENT_MAX_BYTES = 50
    big = visitor.client.post(
        chat.api + "messages",
        {"client_id": "file-msg-0003", "file": _upload("big.png", png, "image/png")},
        **visitor.headers(),
    )
    assert (big.status_code, big.json()["code"]) == (413, "attachment_too_large")
    assert Message.objects.count() == 1


def test_webhook_calls_to_a_webchat_inbox_are_refused(chat, client):
    response = client.post(f"/hooks/webchat/{chat.inbox.key}", data="{}", content_type="application/json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_a_webhook"


def _upload(name: str, data: bytes, content_type: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


class Socket:
    """A websocket client speaking ASGI to the application in this process (no server, no daphne)."""

    def __init__(self, path: str, origin: str) -> None:
        from asgiref.testing import ApplicationCommunicator

        from sonnim.asgi import application

        route, _sep, query = path.partition("?")
        scope = {
            "type": "websocket",
            "path": route,
            "query_string": query.encode(),
            "headers": [(b"origin", origin.encode()), (b"host", b"testserver")],
            "subprotocols": [],
        }
        self.app = ApplicationCommunicator(application, scope)

    async def connect(self) -> bool:
        await self.app.send_input({"type": "websocket.connect"})
        return (await self.app.receive_output(5))["type"] == "websocket.accept"

    async def receive(self) -> dict:
        import json

        return json.loads((await self.app.receive_output(5))["text"])


def test_websocket_checks_origin_and_sends_missed_then_live_items(chat, owner):
    import asyncio

    from channels.db import database_sync_to_async as sync_to_async
    from channels.layers import get_channel_layer
    from django.db import connections

    from sonnim.core.realtime import workspace_group
    from sonnim.webchat.realtime import agent_typing_group

    visitor = VisitorClient(chat)
    visitor.start()
    visitor.say("첫 메시지")
    conversation = Conversation.objects.get()
    path = f"/ws/widget/{chat.widget.public_key}/?token={visitor.token}&after=0"

    async def scenario():
        assert not await Socket(path, "https://evil.example").connect()
        ws = Socket(path, SHOP_ORIGIN)
        assert await ws.connect()
        missed = await ws.receive()
        assert [i["text"] for i in missed["items"]] == ["첫 메시지"]
        await sync_to_async(send_reply)(conversation, text="실시간 답변", actor=Actor.agent(owner))
        await sync_to_async(work)()
        live = await ws.receive()
        assert live["items"][0]["text"] == "실시간 답변"

        # typing both ways: the visitor's reaches the agents' workspace group, an agent's reaches the visitor
        layer = get_channel_layer()
        agents = await layer.new_channel()
        await layer.group_add(workspace_group(chat.inbox.workspace_id), agents)
        await ws.app.send_input({"type": "websocket.receive", "text": '{"type": "typing"}'})
        hint = await asyncio.wait_for(layer.receive(agents), 5)
        assert (hint["type"], hint["state"], hint["conversation_id"]) == (
            "presence.push",
            "typing",
            conversation.pk,
        )
        await layer.group_send(
            agent_typing_group(chat.inbox.workspace_id, conversation.pk),
            {"type": "agent.typing", "agent_name": "김상담"},
        )
        assert await ws.receive() == {"type": "typing", "name": "김상담"}
        await ws.app.send_input({"type": "websocket.disconnect", "code": 1000})
        await sync_to_async(connections.close_all)()  # the thread the consumer's queries ran in

    asyncio.run(scenario())


def test_long_poll_waits_then_answers_empty(chat):
    visitor = VisitorClient(chat)
    visitor.start()
    visitor.say("안녕하세요")
    response = visitor.get("poll", after=1, wait=0.2)  # nothing arrives in the wait: an empty answer
    assert response.status_code == 200
    assert response.json() == {"items": [], "last_seq": 1}
    assert VisitorClient(chat, origin="https://evil.example").get("poll", after=0).status_code == 403


def test_history_and_poll_queries_do_not_grow_with_items(workspace, django_assert_num_queries):
    chat = make_chat(workspace, visitor_messages_per_minute=100)
    visitor = VisitorClient(chat)
    visitor.start()
    for i in range(2):
        visitor.say(f"메시지 {i}")
    with django_assert_num_queries(8):
        assert len(visitor.start()["items"]) == 2
    with django_assert_num_queries(5):
        assert len(visitor.get("poll", after=0, wait=0).json()["items"]) == 2
    for i in range(2, 20):
        visitor.say(f"메시지 {i}")
    with django_assert_num_queries(8):
        assert len(visitor.start()["items"]) == 20
    with django_assert_num_queries(5):
        assert len(visitor.get("poll", after=0, wait=0).json()["items"]) == 20


def test_admins_get_the_script_tag_of_a_webchat_inbox(chat, api, owner, agent, other_workspace):
    response = api(owner).get(f"/api/v1/inboxes/{chat.inbox.pk}/widget")
    assert response.status_code == 200
    body = response.json()
    assert body["widget_key"] == chat.widget.public_key
    assert body["snippet"].endswith(f'/widget/{chat.widget.public_key}.js" async></script>')
    assert api(agent).get(f"/api/v1/inboxes/{chat.inbox.pk}/widget").status_code == 403
    elsewhere = make_chat(other_workspace)
    assert api(owner).get(f"/api/v1/inboxes/{elsewhere.inbox.pk}/widget").status_code == 404


def test_open_hours_follow_the_workspaces_sla_calendar(workspace):
    from datetime import UTC, datetime

    from sonnim.sla.services import create_calendar
    from sonnim.webchat import selectors

    weekdays = {str(d): ([["09:00", "18:00"]] if d < 5 else []) for d in range(7)}
    hours = create_calendar(workspace, name="평일", weekly_hours=weekdays, actor=SYSTEM)
    chat = make_chat(workspace, business_hours_id=hours.pk)
    tuesday_noon_kst = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    saturday_noon_kst = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
    assert selectors.is_open(chat.widget, tuesday_noon_kst) is True
    assert selectors.is_open(chat.widget, saturday_noon_kst) is False
