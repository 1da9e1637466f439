"""The first-line bot through the pipeline (the real inbound API) and `sonnim bot ask`."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from sonnim.cli import main
from sonnim.commerce.services import OrderLine, create_order
from sonnim.conversations.models import Conversation, Message
from sonnim.conversations.services import send_reply
from sonnim.core.actors import SYSTEM, Actor
from sonnim.core.models import Event
from sonnim.customers.models import Customer
from sonnim.customers.services import create_customer, update_customer
from sonnim.inboxes.models import Inbox
from sonnim.testing.fixtures import inbound_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def bot_inbox(api_inbox):
    Inbox.objects.filter(pk=api_inbox.inbox.pk).update(
        is_bot_enabled=True, settings={"bot": {"sensitive_topics": ["알레르기"]}}
    )
    api_inbox.inbox.refresh_from_db()
    return api_inbox


def bot_messages(conversation_id: int) -> list[Message]:
    return list(Message.objects.filter(conversation_id=conversation_id, author_kind="bot").order_by("pk"))


def say(post_inbound, inbox, text: str, n: int, sender: str = "u-1") -> Conversation:
    response = post_inbound(inbox, inbound_payload(external_id=f"m-{n}", sender_id=sender, text=text))
    assert response.status_code == 201, response.content
    return Conversation.objects.get(pk=response.json()["conversation_id"])


def order_for(workspace, customer, *, number="20261101-00042", status="shipped", tracking="123456789012"):
    return create_order(
        workspace,
        customer=customer,
        number=number,
        ordered_at=timezone.now() - timedelta(days=2),
        lines=[OrderLine(sku="KNIT-1", name="니트", quantity=1, unit_price_krw=39000)],
        status=status,
        tracking_number=tracking,
        carrier="CJ대한통운",
    )


def test_bot_answers_from_the_knowledge_base_with_the_link(
    triage_models, bot_inbox, post_inbound, sample_kb, workspace
):
    conversation = say(post_inbound, bot_inbox, "배송 얼마나 걸려요?", 1)
    [reply] = bot_messages(conversation.pk)
    assert (reply.direction, reply.delivery_status) == ("out", "queued")
    assert reply.text.startswith("배송은 얼마나 걸리나요?\n결제 완료 후 1~2영업일 안에 출고")
    assert f"자세히 보기: http://127.0.0.1:8000/help/{workspace.slug}/delivery/" in reply.text
    bot = reply.metadata["bot"]
    assert (bot["reason"], bot["handoff"], bot["sources"][0]["id"]) == ("kb", False, "ship-time")
    assert bot["quick_replies"] == []  # an api inbox renders no buttons
    assert not Event.objects.filter(type="bot.handed_off").exists()


def test_angry_message_is_handed_to_a_person_with_a_summary(
    triage_models, bot_inbox, post_inbound, sample_kb, workspace
):
    conversation = say(post_inbound, bot_inbox, "택배가 일주일째 안 와요. 정말 어이가 없네요", 1)
    note = Message.objects.get(conversation=conversation, direction="note")
    assert note.author_kind == "bot"
    assert note.text.splitlines()[0] == "[봇 인계] 고객 감정 격앙 (anger)"
    assert "- 고객 메시지: 택배가 일주일째 안 와요. 정말 어이가 없네요" in note.text
    handed = Event.objects.get(type="bot.handed_off", conversation_id=conversation.pk)
    assert (handed.actor_kind, handed.data["reason"]) == ("bot", "anger")
    conversation.refresh_from_db()
    assert conversation.status == "open"
    assert conversation.priority in ("medium", "high")
    [notice] = [m for m in bot_messages(conversation.pk) if m.direction == "out"]
    assert notice.text == "상담원에게 연결해 드릴게요. 잠시만 기다려 주세요."
    # the bot now stays silent: a human holds the conversation
    say(post_inbound, bot_inbox, "배송 얼마나 걸려요?", 2)
    assert [m.direction for m in bot_messages(conversation.pk)] == ["note", "out"]


def test_legal_threat_raises_priority_to_high(triage_models, bot_inbox, post_inbound, sample_kb):
    conversation = say(post_inbound, bot_inbox, "환불 안 해주면 한국소비자원에 신고하겠습니다", 1)
    conversation.refresh_from_db()
    assert (conversation.priority, conversation.urgency) == ("high", "high")
    assert Event.objects.get(type="bot.handed_off").data["reason"] == "complaint"


def test_bot_is_silent_when_an_agent_holds_the_conversation(
    triage_models, bot_inbox, post_inbound, sample_kb, agent
):
    conversation = say(post_inbound, bot_inbox, "안녕하세요", 1)
    send_reply(conversation, text="안녕하세요, 상담원 김민지입니다.", actor=Actor.agent(agent))
    before = len(bot_messages(conversation.pk))
    say(post_inbound, bot_inbox, "배송 얼마나 걸려요?", 2)
    assert len(bot_messages(conversation.pk)) == before


def test_two_unsure_turns_in_a_row_hand_over(triage_models, bot_inbox, post_inbound, sample_kb):
    conversation = say(post_inbound, bot_inbox, "음 그러니까 그게요", 1)
    [first] = bot_messages(conversation.pk)
    assert first.metadata["bot"]["reason"] == "unsure"
    say(post_inbound, bot_inbox, "아니 그거 말고 저거요", 2)
    assert Event.objects.get(type="bot.handed_off").data["reason"] == "low_confidence"


def test_sensitive_topic_and_vip_hand_over(triage_models, bot_inbox, post_inbound, sample_kb, workspace):
    conversation = say(post_inbound, bot_inbox, "이 크림 알레르기 있어도 써도 되나요?", 1)
    assert (
        Event.objects.get(conversation_id=conversation.pk, type="bot.handed_off").data["reason"]
        == "sensitive_topic"
    )
    vip = say(post_inbound, bot_inbox, "안녕하세요", 2, sender="vip-1")
    update_customer(vip.customer, tier="vip", actor=SYSTEM)
    vip.customer.refresh_from_db()
    # the first message got an answer; the next one, now from a VIP, goes to a person
    say(post_inbound, bot_inbox, "배송 얼마나 걸려요?", 3, sender="vip-1")
    assert Event.objects.get(conversation_id=vip.pk, type="bot.handed_off").data["reason"] == "vip"


def test_order_status_needs_a_link_then_answers_from_the_order(
    triage_models, bot_inbox, post_inbound, sample_kb, workspace
):
    owner = create_customer(workspace, name="박서준", phone="010-2345-6789", actor=SYSTEM)
    order_for(workspace, owner)
    conversation = say(post_inbound, bot_inbox, "제 주문 언제 와요?", 1)
    [ask_link] = bot_messages(conversation.pk)
    assert ask_link.metadata["bot"]["reason"] == "link_request"
    assert "주문번호와 주문하실 때 입력한 휴대폰 번호" in ask_link.text
    say(post_inbound, bot_inbox, "20261101-00042 010-9999-0000", 2)  # wrong phone: not linked, no leak
    assert bot_messages(conversation.pk)[-1].metadata["bot"]["reason"] == "link_request"
    assert "20261101-00042" not in bot_messages(conversation.pk)[-1].text
    say(post_inbound, bot_inbox, "20261101-00042 010-2345-6789", 3)
    answer = bot_messages(conversation.pk)[-1]
    assert answer.text == "주문 20261101-00042은(는) 현재 배송 중 상태예요. 송장번호: CJ대한통운 123456789012"
    assert Customer.objects.get(pk=conversation.customer_id).merged_into_id == owner.pk
    say(post_inbound, bot_inbox, "제 주문 어디쯤 왔나요", 4)  # now linked: answered at once
    assert bot_messages(conversation.pk)[-1].metadata["bot"]["reason"] == "order_status"


def test_ask_command_answers_refund_status_for_a_customer(workspace, sample_kb, capsys, triage_models):
    customer = create_customer(workspace, name="이하은", phone="010-1111-2222", actor=SYSTEM)
    order_for(workspace, customer, number="R-1001", status="returned", tracking="")
    argv = [
        "bot",
        "ask",
        "환불 됐나요?",
        "--workspace",
        workspace.slug,
        "--customer",
        str(customer.pk),
        "--json",
    ]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"answer", "sources", "confidence", "handoff", "reason"}
    assert (out["handoff"], out["reason"], out["confidence"]) == (False, "refund_status", 1.0)
    assert out["answer"].startswith("주문 R-1001은(는) 반품 완료 상태로 환불이 처리되었어요.")


def test_ask_command_kb_answer_and_handoff(workspace, sample_kb, capsys, triage_models):
    assert main(["bot", "ask", "How do I return an item?", "--workspace", workspace.slug, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["handoff"], out["reason"], [s["id"] for s in out["sources"]]) == (False, "kb", ["en-returns"])
    assert out["confidence"] >= 0.15 and "More: http" in out["answer"]
    assert main(["bot", "ask", "I want to talk to a human", "--workspace", workspace.slug, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["handoff"], out["reason"], out["sources"]) == (True, "requested_human", [])
