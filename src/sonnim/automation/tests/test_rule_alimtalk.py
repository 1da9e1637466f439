"""The send_alimtalk rule action (through outreach, to a local fake dealer) and the order_status condition."""

import pytest
from django.utils import timezone

from sonnim.commerce.services import create_order
from sonnim.conversations.models import Conversation, Message
from sonnim.core.actors import SYSTEM
from sonnim.core.errors import SonnimError
from sonnim.customers.services import update_customer
from sonnim.inboxes.services import create_inbox
from sonnim.outreach.models import AlimTalkSend, AlimTalkTemplate
from sonnim.outreach.services import register_template, set_template_status
from sonnim.outreach.tasks import deliver_alimtalk
from sonnim.testing.fakes.dealer import FakeDealer
from sonnim.testing.fixtures import inbound_payload

from ..models import Rule
from ..rules.services import save_rule
from ..rules.tasks import process_rule_events

pytestmark = pytest.mark.django_db

PHONE = "010-2345-6789"
BODY = "#{고객명}님, 주문 #{주문번호} 상품이 발송되었습니다."


@pytest.fixture
def dealer():
    with FakeDealer("dealer-api-key") as fake:
        yield fake


@pytest.fixture
def template(workspace, dealer) -> AlimTalkTemplate:
    counsel = create_inbox(
        workspace,
        kind="kakao_counsel",
        name="카카오 상담톡",
        settings={"dealer": "restdealer", "dealer_url": dealer.url, "sender_key": "sk-shop-1"},
        credentials={"api_key": "dealer-api-key", "webhook_secret": "s"},
    ).inbox
    template = register_template(
        workspace, inbox=counsel, code="SHIPPED_01", name="발송 안내", body=BODY, actor=SYSTEM
    )
    return set_template_status(template, status="approved", actor=SYSTEM)


@pytest.fixture
def say(api_inbox, post_inbound, django_capture_on_commit_callbacks):
    def send(external_id: str, text: str, sender_id: str = "u-1") -> Conversation:
        with django_capture_on_commit_callbacks(execute=False):
            response = post_inbound(api_inbox, inbound_payload(external_id, sender_id, text))
        assert response.status_code == 201, response.content
        return Conversation.objects.get(pk=response.json()["conversation_id"])

    return send


def shipped_rule(workspace, template, *, statuses=("shipped", "delivered"), variables=None):
    return save_rule(
        Rule(workspace=workspace),
        actor=SYSTEM,
        name="배송 문의 알림톡",
        event_type="message.received",
        conditions=[{"field": "order_status", "op": "in", "value": list(statuses)}],
        actions=[
            {
                "type": "send_alimtalk",
                "params": {
                    "template_id": template.pk,
                    "variables": variables or {"고객명": "{customer_name}", "주문번호": "{order_number}"},
                },
            }
        ],
    )


def order(conversation, number: str, status: str, minutes_ago: int = 0):
    return create_order(
        conversation.workspace,
        customer=conversation.customer,
        number=number,
        ordered_at=timezone.now() - timezone.timedelta(minutes=minutes_ago),
        lines=[],
        status=status,
    )


def test_latest_shipped_order_sends_the_alimtalk_once(workspace, template, dealer, say):
    first = say("m-0", "안녕하세요")  # no order yet: the condition does not hold
    assert not AlimTalkSend.objects.exists()
    update_customer(first.customer, phone=PHONE, actor=SYSTEM)
    order(first, "A-100", "paid", minutes_ago=60)
    order(first, "A-200", "shipped")  # the latest order decides
    shipped_rule(workspace, template)
    say("m-1", "배송 언제 와요?")
    [send] = AlimTalkSend.objects.all()
    assert (send.customer_id, send.rendered_text) == (
        first.customer_id,
        "김민지님, 주문 A-200 상품이 발송되었습니다.",
    )
    assert send.idempotency_key.startswith(f"rule{Rule.objects.get().pk}:c{first.pk}:alimtalk{template.pk}:m")
    assert deliver_alimtalk.call(workspace_id=workspace.pk, send_id=send.pk) == "sent"
    [body] = dealer.bodies("/v1/alimtalk")
    assert (body["phone"], body["template_code"]) == (PHONE, "SHIPPED_01")
    say("m-2", "또 물어봐요")  # another message is another trigger: another send, with its own key
    assert AlimTalkSend.objects.count() == 2


def test_paid_order_does_not_match_and_no_phone_leaves_a_note(workspace, template, say):
    conversation = say("m-0", "안녕하세요")
    order(conversation, "A-100", "paid")
    shipped_rule(workspace, template)
    say("m-1", "배송 언제 와요?")
    assert not AlimTalkSend.objects.exists()
    order(conversation, "A-200", "delivered")
    say("m-2", "도착했나요?")  # matches now, but the customer has no phone
    assert not AlimTalkSend.objects.exists()
    assert list(Message.objects.filter(direction="note").values_list("text", flat=True)) == [
        "[배송 문의 알림톡] AlimTalk not sent: alimtalk_customer_has_no_phone"
    ]


def test_a_rerun_of_the_same_event_never_sends_twice(workspace, template, agent, say):
    from sonnim.conversations import services as conversation_services
    from sonnim.core.actors import Actor

    conversation = say("m-0", "안녕하세요")
    update_customer(conversation.customer, phone=PHONE, actor=SYSTEM)
    order(conversation, "A-200", "shipped")
    rule = shipped_rule(workspace, template)
    save_rule(rule, actor=SYSTEM, event_type="conversation.status_changed")
    conversation_services.set_status(conversation, status="pending", actor=Actor.agent(agent))
    assert process_rule_events(workspace.pk) == 1
    [send] = AlimTalkSend.objects.all()
    from sonnim.automation.models import RuleEventCursor

    RuleEventCursor.objects.filter(workspace=workspace).update(last_seq=0)  # as if the run was lost
    assert process_rule_events(workspace.pk) == 1
    assert list(AlimTalkSend.objects.all()) == [send]  # the same key: the first send


def test_bad_order_status_and_params_are_refused(workspace, template):
    with pytest.raises(SonnimError) as error:
        shipped_rule(workspace, template, statuses=("teleported",))
    assert error.value.code == "invalid_rule_condition"
    with pytest.raises(SonnimError) as error:
        save_rule(
            Rule(workspace=workspace),
            actor=SYSTEM,
            name="x",
            event_type="message.received",
            actions=[{"type": "send_alimtalk", "params": {"variables": {}}}],
        )
    assert error.value.code == "invalid_action_params"
