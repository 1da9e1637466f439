"""Naver TalkTalk: payloads built from the navertalk/chatbot-api spec, replayed through the real webhook view;
replies delivered to a local fake of Naver's send API."""

import base64
import json
import logging

import httpx
import pytest
from django.test import Client

from sonnim.conversations.models import Conversation, Message
from sonnim.conversations.pipeline import StepContext, bot_may_answer
from sonnim.conversations.tasks import deliver_message
from sonnim.core.models import Event
from sonnim.customers.models import Customer, Identity
from sonnim.inboxes.adapters.base import BotReply, Card, LinkButton, OutboundMessage, QuickReply
from sonnim.inboxes.adapters.talktalk import TalkTalkAdapter
from sonnim.inboxes.selectors import inbox_config
from sonnim.inboxes.services import create_inbox
from sonnim.testing.fakes.base import Reply
from sonnim.testing.fakes.naver import FakeNaver, refused
from sonnim.testing.server import ServerProcess

USER = "al-2eGuGr5WQOnco1_V-FQ"
PARTNER_KEY = "ct_wc8b1i_partner-key"


@pytest.fixture
def naver():
    with FakeNaver(PARTNER_KEY) as fake:
        yield fake


@pytest.fixture
def talktalk(workspace, naver):
    created = create_inbox(
        workspace,
        kind="talktalk",
        name="네이버 톡톡",
        settings={
            "api_url": naver.api_url,
            "allowed_ips": ["127.0.0.1/32"],
            "trusted_proxies": ["10.0.0.0/8"],
        },
        credentials={"authorization": PARTNER_KEY},
    )
    return created


def post(created, payload, *, raw: bytes | None = None, **meta):
    body = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
    return Client().post(
        f"/hooks/talktalk/{created.key}", data=body, content_type="application/json;charset=UTF-8", **meta
    )


def send_text(text: str, user: str = USER, **extra) -> dict:
    return {"event": "send", "user": user, "textContent": {"text": text, "inputType": "typing"}, **extra}


def deliver_all(workspace):
    for pk in Message.objects.filter(workspace=workspace, delivery_status="queued").values_list(
        "pk", flat=True
    ):
        deliver_message.call(workspace_id=workspace.pk, message_id=pk)


# --- inbound ---------------------------------------------------------------------------------------------


def test_korean_text_with_emoji_becomes_a_talktalk_conversation(talktalk, workspace, api, agent):
    response = post(talktalk, send_text("배송 언제 오나요? 🙏 빨리 받고 싶어요"))
    assert (response.status_code, response.content) == (200, b"")
    message = Message.objects.get(inbox=talktalk.inbox)
    assert (message.direction, message.text) == ("in", "배송 언제 오나요? 🙏 빨리 받고 싶어요")
    assert message.metadata == {"content": "text", "input_type": "typing"}
    identity = Identity.objects.get(workspace=workspace, kind="talktalk")
    assert (identity.external_id, identity.customer_id) == (USER, message.conversation.customer_id)
    listed = api(agent).get("/api/v1/conversations").json()["items"]
    assert [(c["id"], c["inbox"]["kind"], c["last_message"]["text"]) for c in listed] == [
        (message.conversation_id, "talktalk", "배송 언제 오나요? 🙏 빨리 받고 싶어요")
    ]


def test_redelivered_event_is_stored_once(talktalk, workspace):
    payload = send_text("환불 문의드려요")
    assert [post(talktalk, payload).status_code for _ in range(3)] == [200, 200, 200]
    assert Message.objects.filter(inbox=talktalk.inbox).count() == 1
    assert Event.objects.filter(workspace=workspace, type="message.received").count() == 1
    post(talktalk, send_text("다른 질문이요"))
    assert Message.objects.filter(inbox=talktalk.inbox).count() == 2


@pytest.mark.parametrize(
    ("content", "text", "metadata"),
    [
        (
            {"textContent": {"text": "좋아요", "inputType": "sticker"}},
            "좋아요",
            {"content": "text", "input_type": "sticker"},
        ),
        (
            {"textContent": {"text": "주문하기", "code": "ORDER-1", "inputType": "button"}},
            "주문하기",
            {"content": "text", "input_type": "button", "code": "ORDER-1"},
        ),
        (
            {"textContent": {"text": "050719003814,2017-11-03", "inputType": "vphone"}},
            "050719003814,2017-11-03",
            {
                "content": "text",
                "input_type": "vphone",
                "vphone": {"number": "050719003814", "expires_on": "2017-11-03"},
            },
        ),
        (
            {"imageContent": {"imageUrl": "https://talk.phinf.naver.net/a.jpg"}},
            "https://talk.phinf.naver.net/a.jpg",
            {"content": "image", "image_url": "https://talk.phinf.naver.net/a.jpg"},
        ),
    ],
)
def test_send_content_types_are_stored_with_their_facts(talktalk, content, text, metadata):
    assert post(talktalk, {"event": "send", "user": USER, **content}).status_code == 200
    message = Message.objects.get(inbox=talktalk.inbox)
    assert (message.text, message.metadata) == (text, metadata)


def test_composite_content_keeps_titles_as_text(talktalk):
    composite = {"compositeList": [{"title": "브레이즈드포크 세트", "description": "콜라 포함"}]}
    post(talktalk, {"event": "send", "user": USER, "compositeContent": composite})
    message = Message.objects.get(inbox=talktalk.inbox)
    assert (message.text, message.metadata["content"]) == ("브레이즈드포크 세트\n콜라 포함", "composite")


def test_product_inquiry_attaches_the_product(talktalk):
    payload = send_text(
        "이 상품 재입고 되나요?",
        options={"from": "309672359", "referer": "https://smartstore.naver.com/shop/products/309672359"},
    )
    payload["textContent"]["inputType"] = "product"
    post(talktalk, payload)
    message = Message.objects.get(inbox=talktalk.inbox)
    assert message.metadata["product"] == {
        "id": "309672359",
        "url": "https://smartstore.naver.com/shop/products/309672359",
    }
    assert message.metadata["input_type"] == "product"


def test_standby_message_is_stored_but_never_for_the_bot(talktalk):
    post(talktalk, send_text("상담원님 계세요?", standby=True))
    message = Message.objects.select_related("conversation", "inbox").get(inbox=talktalk.inbox)
    assert message.metadata["standby"] is True
    context = StepContext(message.inbox, message.conversation.customer, message.conversation, message, False)
    assert bot_may_answer(context) is False


def test_partner_center_echo_is_mirrored_as_sent_and_never_resent(talktalk, naver, workspace):
    post(talktalk, send_text("사이즈 문의"))
    echo = {
        "event": "echo",
        "echoedEvent": "send",
        "user": USER,
        "partner": "wc8b1i",
        "textContent": {"text": "M 사이즈 추천드려요", "inputType": "typing"},
        "options": {"mobile": False, "sourceId": 1, "threadOwnerId": 1, "managerNickname": "상담원"},
    }
    assert post(talktalk, echo).status_code == 200
    assert post(talktalk, echo).status_code == 200  # redelivered echo: still one mirror
    mirror = Message.objects.get(inbox=talktalk.inbox, direction="out")
    assert (mirror.text, mirror.delivery_status, mirror.author_kind) == (
        "M 사이즈 추천드려요",
        "sent",
        "agent",
    )
    deliver_all(workspace)
    assert naver.requests == []  # no loop: nothing went back to Naver
    assert Event.objects.filter(workspace=workspace, type="message.sent").count() == 1


def test_echo_of_our_own_send_is_dropped(talktalk, naver, workspace, api, agent):
    post(talktalk, send_text("배송 문의"))
    conversation = Conversation.objects.get(inbox=talktalk.inbox)
    api(agent).post(f"/api/v1/conversations/{conversation.pk}/reply", json={"text": "내일 도착해요"})
    deliver_all(workspace)
    for options in ({"sourceId": 10007, "threadOwnerId": 10007}, {}):  # bot's echo; echo without ids
        echo = {
            "event": "echo",
            "echoedEvent": "send",
            "user": USER,
            "textContent": {"text": "내일 도착해요"},
        }
        assert post(talktalk, {**echo, "options": options}).status_code == 200
    assert list(
        Message.objects.filter(inbox=talktalk.inbox).order_by("pk").values_list("direction", "text")
    ) == [
        ("in", "배송 문의"),
        ("out", "내일 도착해요"),
    ]
    assert len(naver.sends()) == 1


def test_open_event_stores_under14_and_inflow_without_a_message(talktalk, workspace):
    payload = {
        "event": "open",
        "user": USER,
        "options": {
            "inflow": "button",
            "from": "309672359",
            "friend": False,
            "under14": True,
            "under19": True,
        },
    }
    assert post(talktalk, payload).status_code == 200
    identity = Identity.objects.get(workspace=workspace, kind="talktalk", external_id=USER)
    assert identity.metadata == {
        "under14": True,
        "under19": True,
        "friend": False,
        "has_left": False,
        "inflow": {"inflow": "button", "from": "309672359"},
    }
    assert not Message.objects.filter(inbox=talktalk.inbox).exists()
    post(talktalk, {"event": "friend", "user": USER, "options": {"set": "on"}})
    post(talktalk, {"event": "leave", "user": USER})
    post(
        talktalk, {"event": "handover", "user": USER, "options": {"control": "passThread", "metadata": "{}"}}
    )
    identity.refresh_from_db()
    assert (
        identity.metadata["friend"],
        identity.metadata["has_left"],
        identity.metadata["thread_control"],
    ) == (
        True,
        True,
        "passThread",
    )
    assert not Message.objects.filter(inbox=talktalk.inbox).exists()


def test_profile_withdraw_erases_the_profile_fields(talktalk, workspace):
    post(talktalk, send_text("주문 확인 부탁해요"))
    profile = {
        "event": "profile",
        "user": USER,
        "options": {"nickname": "네이버톡톡", "cellphone": "01012341234", "result": "SUCCESS"},
    }
    assert post(talktalk, profile).status_code == 200
    customer = Customer.objects.get(workspace=workspace)
    assert (customer.display_name, customer.phone) == ("네이버톡톡", "01012341234")
    assert customer.phone_index != ""
    assert (
        post(talktalk, {"event": "profile", "user": USER, "options": {"result": "WITHDRAW"}}).status_code
        == 200
    )
    customer.refresh_from_db()
    assert (customer.display_name, customer.phone, customer.email, customer.phone_index) == ("", "", "", "")
    erased = Event.objects.get(workspace=workspace, type="customer.contact_erased")
    assert erased.data == {"fields": ["display_name", "phone"], "reason": "talktalk.profile"}
    assert Message.objects.filter(inbox=talktalk.inbox).count() == 1  # the conversation stays
    post(talktalk, {"event": "profile", "user": USER, "options": {"result": "WITHDRAW"}})
    assert Event.objects.filter(workspace=workspace, type="customer.contact_erased").count() == 1


def test_withdraw_from_an_unknown_user_creates_nothing(talktalk, workspace):
    assert (
        post(talktalk, {"event": "profile", "user": "unknown", "options": {"result": "WITHDRAW"}}).status_code
        == 200
    )
    assert not Customer.objects.filter(workspace=workspace).exists()


def test_unknown_events_are_accepted_and_ignored(talktalk):
    assert post(talktalk, {"event": "persistentMenu", "menuContent": []}).status_code == 200
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"{not json", "malformed_json"),
        (json.dumps({"user": USER}).encode(), "malformed_payload"),
        (json.dumps({"event": "send", "textContent": {"text": "x"}}).encode(), "malformed_payload"),
        (json.dumps({"event": "send", "user": USER}).encode(), "malformed_payload"),
        (json.dumps(["send"]).encode(), "malformed_payload"),
    ],
)
def test_malformed_input_is_a_400_with_its_code_and_no_body_in_the_log(talktalk, raw, code, caplog):
    with caplog.at_level(logging.INFO, logger="sonnim"):
        response = post(talktalk, None, raw=raw)
    assert (response.status_code, response.json()["code"]) == (400, code)
    assert f"code={code}" in caplog.text
    assert USER not in caplog.text and "not json" not in caplog.text
    assert not Message.objects.exists()


def test_request_from_outside_naver_is_403_logged_without_body(workspace, caplog):
    created = create_inbox(workspace, kind="talktalk", name="기본 허용목록")  # Naver's ranges only
    with caplog.at_level(logging.INFO, logger="sonnim"):
        response = post(created, send_text("010-9876-5432 로 연락주세요"))
    assert (response.status_code, response.json()["code"]) == (403, "forbidden_origin")
    assert "code=forbidden_origin" in caplog.text and "9876" not in caplog.text
    assert post(created, send_text("안녕"), REMOTE_ADDR="211.249.40.7").status_code == 200
    assert Message.objects.count() == 1


def test_forwarded_for_counts_only_from_a_trusted_proxy(talktalk):
    spoofed = post(talktalk, send_text("a"), REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert spoofed.status_code == 403
    proxied = post(
        talktalk, send_text("b"), REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="127.0.0.1, 10.0.0.9"
    )
    assert proxied.status_code == 200
    lying = post(
        talktalk, send_text("c"), REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="127.0.0.1, 198.51.100.7"
    )
    assert lying.status_code == 403  # the hop our proxy saw is not Naver, whatever the client wrote before it
    assert list(Message.objects.values_list("text", flat=True)) == ["b"]


def test_bad_allow_list_setting_is_refused(workspace):
    from sonnim.core.errors import SonnimError

    with pytest.raises(SonnimError) as refused_settings:
        create_inbox(workspace, kind="talktalk", name="x", settings={"allowed_ips": ["not-an-ip"]})
    assert refused_settings.value.code == "invalid_talktalk_settings"


# --- outbound --------------------------------------------------------------------------------------------


@pytest.fixture
def conversation(talktalk):
    post(talktalk, send_text("교환 가능한가요?"))
    return Conversation.objects.get(inbox=talktalk.inbox)


def test_agent_reply_reaches_naver_in_the_documented_shape(conversation, naver, workspace, api, agent):
    response = api(agent).post(
        f"/api/v1/conversations/{conversation.pk}/reply", json={"text": "네, 가능합니다 😊"}
    )
    assert response.status_code == 201
    deliver_all(workspace)
    assert [(r.method, r.path, r.headers["Authorization"]) for r in naver.requests] == [
        ("POST", "/chatbot/v1/event", PARTNER_KEY)
    ]
    assert naver.requests[0].headers["Content-Type"] == "application/json;charset=UTF-8"
    assert naver.json_bodies() == [
        {"event": "send", "user": USER, "textContent": {"text": "네, 가능합니다 😊"}}
    ]
    message = Message.objects.get(pk=response.json()["id"])
    assert (message.delivery_status, message.failure_reason, message.attempts) == ("sent", "", 1)


def test_image_reply_goes_as_image_content(conversation, naver, workspace, api, agent):
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 64).decode()
    attachment = {"filename": "사진.png", "content_type": "image/png", "data_base64": png}
    response = api(agent).post(
        f"/api/v1/conversations/{conversation.pk}/reply",
        json={"text": "사진 보내드려요", "attachments": [attachment]},
    )
    assert response.status_code == 201, response.content
    deliver_all(workspace)
    bodies = naver.json_bodies()
    assert bodies[0] == {"event": "send", "user": USER, "textContent": {"text": "사진 보내드려요"}}
    assert set(bodies[1]) == {"event", "user", "imageContent"}
    assert bodies[1]["imageContent"]["imageUrl"].startswith("http")


def test_refused_partner_key_fails_for_good_with_naver_reason(conversation, naver, workspace, api, agent):
    naver.then(refused("01", "Authorization 정보 오류"))
    reply = (
        api(agent).post(f"/api/v1/conversations/{conversation.pk}/reply", json={"text": "안녕하세요"}).json()
    )
    deliver_all(workspace)
    message = Message.objects.get(pk=reply["id"])
    assert (message.delivery_status, message.attempts) == ("failed", 1)
    assert (
        message.failure_reason
        == "TalkTalk refused the message: resultCode 01 (the partner key (Authorization) was refused)"
    )
    detail = api(agent).get(f"/api/v1/conversations/{conversation.pk}").json()
    shown = next(m for m in detail["messages"] if m["id"] == reply["id"])
    assert (shown["delivery_status"], shown["failure_reason"]) == ("failed", message.failure_reason)


def test_transient_failures_are_retried_until_sent(conversation, naver, workspace, api, agent):
    naver.then(Reply(503, {"error": "busy"}), refused("99", "일시적 오류"))
    reply = (
        api(agent)
        .post(f"/api/v1/conversations/{conversation.pk}/reply", json={"text": "곧 답변드릴게요"})
        .json()
    )
    results = [deliver_message.call(workspace_id=workspace.pk, message_id=reply["id"]) for _ in range(3)]
    assert results == ["retrying", "retrying", "sent"]
    message = Message.objects.get(pk=reply["id"])
    assert (message.delivery_status, message.attempts, message.failure_reason) == ("sent", 3, "")
    assert len(naver.sends()) == 3
    retrying = Event.objects.filter(workspace=workspace, type="message.retrying").order_by("seq")
    assert [e.data["reason"] for e in retrying] == [
        "TalkTalk send API answered HTTP 503",
        "TalkTalk refused the message: resultCode 99 (일시적 오류)",
    ]


def test_send_api_timeout_is_retryable(conversation, naver, workspace, settings):
    settings.DELIVERY_TIMEOUT_SECONDS = 0.2
    naver.then(Reply(200, {"success": True, "resultCode": "00"}, delay_seconds=1.0))
    adapter = TalkTalkAdapter(inbox_config(conversation.inbox))
    result = adapter.deliver(OutboundMessage(1, conversation.pk, conversation.customer_id, USER, "늦은 답장"))
    assert (result.reason, result.retryable) == ("TalkTalk send API unreachable: ReadTimeout", True)


def test_text_over_10000_characters_is_refused_before_sending(conversation, workspace, api, agent):
    response = api(agent).post(f"/api/v1/conversations/{conversation.pk}/reply", json={"text": "가" * 10_001})
    assert (response.status_code, response.json()["code"]) == (400, "message_too_long")
    assert response.json()["details"] == {"limit": 10_000, "length": 10_001}
    assert not Message.objects.filter(direction="out").exists()
    assert (
        api(agent)
        .post(f"/api/v1/conversations/{conversation.pk}/reply", json={"text": "가" * 10_000})
        .status_code
        == 201
    )


def test_non_image_file_is_refused_before_sending(conversation, api, agent):
    pdf = {
        "filename": "견적서.pdf",
        "content_type": "application/pdf",
        "data_base64": base64.b64encode(b"%PDF-1.4").decode(),
    }
    response = api(agent).post(
        f"/api/v1/conversations/{conversation.pk}/reply", json={"text": "첨부", "attachments": [pdf]}
    )
    assert (response.status_code, response.json()["code"]) == (400, "attachment_not_supported")
    assert not Message.objects.filter(direction="out").exists()


def test_bot_reply_renders_composite_with_buttons_and_quick_replies(conversation, naver):
    reply = BotReply(
        cards=[
            Card(
                title="주문 조회",
                description="최근 주문 1건",
                buttons=[LinkButton("주문 보기", "https://shop.kr/o/1")],
            )
        ],
        quick_replies=[QuickReply("상담원 연결"), QuickReply("배송 조회", message="DELIVERY")],
    )
    adapter = TalkTalkAdapter(inbox_config(conversation.inbox))
    result = adapter.deliver(
        OutboundMessage(1, conversation.pk, conversation.customer_id, USER, "주문 조회", reply=reply)
    )
    assert result.external_id == ""
    assert naver.json_bodies() == [
        {
            "event": "send",
            "user": USER,
            "compositeContent": {
                "compositeList": [
                    {
                        "title": "주문 조회",
                        "description": "최근 주문 1건",
                        "buttonList": [
                            {
                                "type": "LINK",
                                "data": {
                                    "title": "주문 보기",
                                    "url": "https://shop.kr/o/1",
                                    "mobileUrl": "https://shop.kr/o/1",
                                },
                            }
                        ],
                    }
                ],
                "quickReply": {
                    "buttonList": [
                        {"type": "TEXT", "data": {"title": "상담원 연결"}},
                        {"type": "TEXT", "data": {"title": "배송 조회", "code": "DELIVERY"}},
                    ]
                },
            },
        }
    ]


def test_typing_indicator_goes_first_when_enabled(conversation, naver):
    inbox = conversation.inbox
    inbox.settings = {**inbox.settings, "typing_indicator": True}
    adapter = TalkTalkAdapter(inbox_config(inbox))
    adapter.deliver(OutboundMessage(1, conversation.pk, conversation.customer_id, USER, "확인해볼게요"))
    assert [b["event"] for b in naver.json_bodies()] == ["action", "send"]
    assert naver.json_bodies()[0]["options"] == {"action": "typingOn"}


# --- the real server -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_real_server_accepts_a_talktalk_event(workspace):
    created = create_inbox(
        workspace, kind="talktalk", name="톡톡", settings={"allowed_ips": ["127.0.0.1/32"]}
    )
    with ServerProcess() as server:
        payload = send_text("실서버 테스트 🚚")
        body = json.dumps(payload, ensure_ascii=False).encode()
        url = f"{server.url}/hooks/talktalk/{created.key}"
        responses = [
            # generous: the server's first request loads the Korean tokenizer, slow on a busy machine
            httpx.post(url, content=body, headers={"Content-Type": "application/json"}, timeout=120)
            for _ in range(2)
        ]
    assert [r.status_code for r in responses] == [200, 200]
    assert list(Message.objects.filter(inbox=created.inbox).values_list("text", flat=True)) == [
        "실서버 테스트 🚚"
    ]
