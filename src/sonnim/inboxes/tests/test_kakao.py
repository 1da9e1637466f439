"""KakaoTalk chatbot skill: Open Builder payloads (v2 and v1) through /hooks/kakao/skill/<key>, SkillResponse 2.0
answers, and the 1-minute single-use callback against a local fake."""

import json
import logging

import httpx
import pytest
from django.test import Client

from sonnim.conversations.models import Conversation, Message
from sonnim.conversations.tasks import deliver_message
from sonnim.core.models import Event
from sonnim.customers.models import Identity
from sonnim.inboxes.adapters.base import BotReply, Card, LinkButton, QuickReply
from sonnim.inboxes.adapters.kakao import NO_PUSH_REASON, answer_skill_callback, skill_response
from sonnim.inboxes.services import create_inbox
from sonnim.testing.fakes.kakao import FakeKakaoCallback, skill_payload, skill_payload_v1
from sonnim.testing.server import ServerProcess

SECRET = "skill-shared-secret"
ACK = {
    "version": "2.0",
    "template": {
        "outputs": [{"simpleText": {"text": "문의가 접수되었어요. 상담원이 곧 답변드릴게요."}}],
        "quickReplies": [{"label": "상담원 연결", "action": "message", "messageText": "상담원 연결"}],
    },
}


@pytest.fixture
def kakao(workspace):
    return create_inbox(workspace, kind="kakao", name="카카오 챗봇", credentials={"secret": SECRET})


@pytest.fixture
def callback():
    with FakeKakaoCallback() as fake:
        yield fake


def post(created, payload, *, raw: bytes | None = None, secret: str | None = SECRET, path: str = "skill/"):
    body = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
    headers = {"HTTP_X_SONNIM_SECRET": secret} if secret is not None else {}
    return Client().post(
        f"/hooks/kakao/{path}{created.key}", data=body, content_type="application/json", **headers
    )


def wait_for_agent(created, **extra):
    inbox = created.inbox
    inbox.settings = {"callback_mode": "wait_for_agent", "callback_wait_seconds": 0, **extra}
    inbox.save(update_fields=["settings"])


def test_utterance_is_stored_and_answered_with_the_acknowledgment(kakao, workspace, api, agent):
    response = post(kakao, skill_payload("주문한 상품 언제 와요? 📦"))
    assert (response.status_code, response.json()) == (200, ACK)
    message = Message.objects.get(inbox=kakao.inbox)
    assert (message.direction, message.text) == ("in", "주문한 상품 언제 와요? 📦")
    assert message.metadata == {
        "kakao": {
            "user_keys": {"plusfriendUserKey": "pf-user-1", "botUserKey": "bot-user-1", "id": "bot-user-1"},
            "block": "상담 문의",
            "params": {},
        }
    }
    assert Identity.objects.get(workspace=workspace, kind="kakao").external_id == "pf-user-1"
    listed = api(agent).get("/api/v1/conversations").json()["items"]
    assert [(c["inbox"]["kind"], c["last_message"]["text"]) for c in listed] == [
        ("kakao", "주문한 상품 언제 와요? 📦")
    ]


def test_generic_hook_url_works_too_and_settings_change_the_acknowledgment(kakao):
    inbox = kakao.inbox
    inbox.settings = {"ack_text": "접수했습니다!", "quick_replies": ["상담원 연결", "배송 조회"]}
    inbox.save(update_fields=["settings"])
    body = post(kakao, skill_payload("안녕하세요"), path="").json()
    assert body["template"]["outputs"] == [{"simpleText": {"text": "접수했습니다!"}}]
    assert [q["label"] for q in body["template"]["quickReplies"]] == ["상담원 연결", "배송 조회"]


def test_v1_payload_is_accepted(kakao, workspace):
    assert post(kakao, skill_payload_v1("환불 문의")).status_code == 200
    message = Message.objects.get(inbox=kakao.inbox)
    assert message.text == "환불 문의"
    assert message.metadata["kakao"]["user_keys"] == {
        "plusfriendUserKey": "pf-user-1",
        "appUserId": "708203191",
        "id": "620678",
    }
    assert Identity.objects.get(workspace=workspace, kind="kakao").external_id == "pf-user-1"


def test_bot_user_key_is_the_identity_without_a_channel_key(kakao, workspace):
    post(kakao, skill_payload("hi", plusfriend_user_key=None, bot_user_key="bk-9"))
    assert Identity.objects.get(workspace=workspace, kind="kakao").external_id == "bk-9"


def test_handoff_quick_reply_is_marked(kakao):
    post(kakao, skill_payload("상담원 연결"))
    assert Message.objects.get(inbox=kakao.inbox).metadata["asks_for_agent"] is True


def test_redelivered_request_is_stored_once(kakao, workspace):
    payload = skill_payload("교환하고 싶어요")
    assert [post(kakao, payload).status_code for _ in range(2)] == [200, 200]
    assert Message.objects.filter(inbox=kakao.inbox).count() == 1
    assert Event.objects.filter(workspace=workspace, type="message.received").count() == 1


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x"])
def test_wrong_or_missing_secret_is_401_and_stores_nothing(kakao, secret, caplog):
    with caplog.at_level(logging.INFO, logger="sonnim"):
        response = post(kakao, skill_payload("몰래 보내기"), secret=secret)
    assert (response.status_code, response.json()["code"]) == (401, "bad_secret")
    assert "code=bad_secret" in caplog.text and "몰래" not in caplog.text
    assert not Message.objects.exists()


def test_inbox_without_secret_refuses_everything(workspace):
    created = create_inbox(workspace, kind="kakao", name="비밀 없음")
    assert post(created, skill_payload("x"), secret="").status_code == 401


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"\xff\xfe not json", "malformed_json"),
        (b"[]", "malformed_payload"),
        (json.dumps({"bot": {}}).encode(), "malformed_payload"),
        (
            json.dumps({"userRequest": {"utterance": "x", "user": {"properties": {}}}}).encode(),
            "malformed_payload",
        ),
        (json.dumps({"userRequest": {"user": {"id": "u1"}}}).encode(), "malformed_payload"),
    ],
)
def test_malformed_payload_is_400_with_code(kakao, raw, code, caplog):
    with caplog.at_level(logging.INFO, logger="sonnim"):
        response = post(kakao, None, raw=raw)
    assert (response.status_code, response.json()["code"]) == (400, code)
    assert f"code={code}" in caplog.text
    assert not Message.objects.exists()


def test_text_over_1000_characters_is_refused_before_sending(kakao, api, agent):
    post(kakao, skill_payload("문의"))
    conversation = Conversation.objects.get(inbox=kakao.inbox)
    response = api(agent).post(f"/api/v1/conversations/{conversation.pk}/reply", json={"text": "나" * 1001})
    assert (response.status_code, response.json()["code"]) == (400, "message_too_long")
    assert not Message.objects.filter(direction="out").exists()


def test_skill_response_renders_cards_and_quick_replies():
    reply = BotReply(
        text="주문 2건이 있어요",
        cards=[
            Card(
                title="주문 1",
                description="배송 중",
                image_url="https://img/1.png",
                buttons=[LinkButton("배송 조회", "https://t/1")],
            ),
            Card(
                title="주문 2", description="배송 준비", buttons=[QuickReply("취소하기", message="CANCEL 2")]
            ),
        ],
        quick_replies=[QuickReply("상담원 연결")],
    )
    assert skill_response(reply) == {
        "version": "2.0",
        "template": {
            "outputs": [
                {"simpleText": {"text": "주문 2건이 있어요"}},
                {
                    "carousel": {
                        "type": "basicCard",
                        "items": [
                            {
                                "title": "주문 1",
                                "description": "배송 중",
                                "thumbnail": {"imageUrl": "https://img/1.png"},
                                "buttons": [
                                    {"action": "webLink", "label": "배송 조회", "webLinkUrl": "https://t/1"}
                                ],
                            },
                            {
                                "title": "주문 2",
                                "description": "배송 준비",
                                "buttons": [
                                    {"action": "message", "label": "취소하기", "messageText": "CANCEL 2"}
                                ],
                            },
                        ],
                    }
                },
            ],
            "quickReplies": [{"label": "상담원 연결", "action": "message", "messageText": "상담원 연결"}],
        },
    }
    one = skill_response(BotReply(cards=[Card(title="주문 1")]))
    assert one["template"]["outputs"] == [{"basicCard": {"title": "주문 1"}}]


# --- callback ----------------------------------------------------------------------------------------------


def test_agent_answer_goes_through_the_callback_once(kakao, callback, workspace, api, agent):
    wait_for_agent(kakao)
    url = callback.callback_url()
    response = post(kakao, skill_payload("재고 있나요?", callback_url=url))
    assert response.json() == {
        "version": "2.0",
        "useCallback": True,
        "data": {"text": "답변을 준비하고 있어요. 잠시만 기다려 주세요."},
    }
    conversation = Conversation.objects.get(inbox=kakao.inbox)
    reply = (
        api(agent)
        .post(f"/api/v1/conversations/{conversation.pk}/reply", json={"text": "네, 재고 있어요!"})
        .json()
    )
    assert deliver_message.call(workspace_id=workspace.pk, message_id=reply["id"]) == "sent"
    assert [(r.path, r.json()) for r in callback.requests] == [
        (
            url.removeprefix(callback.url),
            {"version": "2.0", "template": {"outputs": [{"simpleText": {"text": "네, 재고 있어요!"}}]}},
        )
    ]
    message = Message.objects.get(pk=reply["id"])
    assert (message.delivery_status, message.external_id.startswith("out:")) == ("sent", True)
    # the fallback finds the callback used, and a second agent reply cannot be pushed
    response = skill_response(BotReply(text="ack"))
    assert (
        answer_skill_callback.call(inbox_id=kakao.inbox.pk, user_key="pf-user-1", response=response)
        == "already_answered"
    )
    second = (
        api(agent).post(f"/api/v1/conversations/{conversation.pk}/reply", json={"text": "추가 안내"}).json()
    )
    assert deliver_message.call(workspace_id=workspace.pk, message_id=second["id"]) == "failed"
    failed = Message.objects.get(pk=second["id"])
    assert (failed.delivery_status, failed.failure_reason, failed.attempts) == (
        "failed",
        NO_PUSH_REASON[:300],
        1,
    )
    assert len(callback.requests) == 1


def test_without_an_answer_the_fallback_sends_the_acknowledgment(kakao, callback, workspace):
    wait_for_agent(kakao)
    url = callback.callback_url()
    post(kakao, skill_payload("문의드려요", callback_url=url))
    result = answer_skill_callback.call(inbox_id=kakao.inbox.pk, user_key="pf-user-1", response=ACK)
    assert result == "answered"
    assert [r.json() for r in callback.requests] == [ACK]


def test_expired_callback_is_not_used(kakao, callback, workspace, api, agent):
    wait_for_agent(kakao, callback_valid_seconds=0)
    post(kakao, skill_payload("늦은 답변 테스트", callback_url=callback.callback_url()))
    conversation = Conversation.objects.get(inbox=kakao.inbox)
    reply = api(agent).post(f"/api/v1/conversations/{conversation.pk}/reply", json={"text": "답변"}).json()
    assert deliver_message.call(workspace_id=workspace.pk, message_id=reply["id"]) == "failed"
    assert callback.requests == []


def test_synchronous_answer_retires_the_callback(kakao, callback, workspace, api, agent):
    """Without callback_mode the acknowledgment answers at once; the callback URL can no longer be used."""
    assert post(kakao, skill_payload("질문", callback_url=callback.callback_url())).json() == ACK
    conversation = Conversation.objects.get(inbox=kakao.inbox)
    reply = api(agent).post(f"/api/v1/conversations/{conversation.pk}/reply", json={"text": "답변"}).json()
    deliver_message.call(workspace_id=workspace.pk, message_id=reply["id"])
    assert Message.objects.get(pk=reply["id"]).failure_reason == NO_PUSH_REASON[:300]
    assert callback.requests == []


def test_refused_callback_fails_for_good(kakao, callback, workspace, api, agent):
    wait_for_agent(kakao)
    url = callback.callback_url()
    callback.used.add(url.removeprefix(callback.url))  # Kakao already took an answer on it
    post(kakao, skill_payload("질문", callback_url=url))
    conversation = Conversation.objects.get(inbox=kakao.inbox)
    reply = api(agent).post(f"/api/v1/conversations/{conversation.pk}/reply", json={"text": "답변"}).json()
    assert deliver_message.call(workspace_id=workspace.pk, message_id=reply["id"]) == "failed"
    message = Message.objects.get(pk=reply["id"])
    assert message.failure_reason == "Kakao refused the callback: HTTP 200, status FAIL"


@pytest.mark.django_db(transaction=True)
def test_real_server_answers_a_skill_request(workspace):
    created = create_inbox(workspace, kind="kakao", name="카카오", credentials={"secret": SECRET})
    with ServerProcess() as server:
        url = f"{server.url}/hooks/kakao/skill/{created.key}"
        headers = {"X-Sonnim-Secret": SECRET}
        first = httpx.post(url, json=skill_payload("실서버 문의"), headers=headers, timeout=120)
        wrong = httpx.post(url, json=skill_payload("침입"), headers={"X-Sonnim-Secret": "nope"}, timeout=30)
    assert (first.status_code, first.json()) == (200, ACK)
    assert (wrong.status_code, wrong.json()["code"]) == (401, "bad_secret")
    assert list(Message.objects.filter(inbox=created.inbox).values_list("text", flat=True)) == ["실서버 문의"]
