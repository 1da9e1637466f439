"""The rules engine through the real pipeline: conditions (Korean morphemes), actions, rule.fired events,
loop safety, event-triggered rules, webhooks after commit, the preview, validation, tenancy."""

import pytest
from django_tasks_db.models import DBTaskResult

from sonnim.conversations import services as conversation_services
from sonnim.conversations.models import Conversation, Message
from sonnim.core.actors import SYSTEM, Actor
from sonnim.core.errors import SonnimError
from sonnim.core.models import Event
from sonnim.inboxes.adapters import signing
from sonnim.testing.fixtures import inbound_payload
from sonnim.testing.http import RecordingServer

from ..models import CannedReply, Rule
from ..rules.services import preview_rule, save_rule
from ..rules.tasks import call_rule_webhook, process_rule_events
from ..rules.webhooks import WebhookRefused, webhook_secret

pytestmark = pytest.mark.django_db


@pytest.fixture
def rule(workspace):
    def make(event_type="message.received", conditions=(), actions=(), target_workspace=None, **extra):
        return save_rule(
            Rule(workspace=target_workspace or workspace),
            actor=SYSTEM,
            name=extra.pop("name", f"rule-{Rule.objects.count() + 1}"),
            event_type=event_type,
            conditions=list(conditions),
            actions=list(actions),
            **extra,
        )

    return make


@pytest.fixture
def say(api_inbox, post_inbound, django_capture_on_commit_callbacks):
    def send(external_id: str, text: str, sender_id: str = "u-1") -> Conversation:
        with django_capture_on_commit_callbacks(execute=True):
            response = post_inbound(api_inbox, inbound_payload(external_id, sender_id, text))
        assert response.status_code == 201, response.content
        return Conversation.objects.get(pk=response.json()["conversation_id"])

    return send


def fired(workspace) -> list[tuple]:
    return list(
        Event.objects.filter(workspace=workspace, type="rule.fired")
        .order_by("seq")
        .values_list("data__name", "data__trigger", "data__depth")
    )


def test_korean_morpheme_condition_sets_priority_and_tags(workspace, rule, say):
    refund = rule(
        name="환불 문의",
        conditions=[{"field": "text", "op": "contains", "value": "환불"}],
        actions=[
            {"type": "set_priority", "params": {"priority": "high"}},
            {"type": "add_tags", "params": {"tags": ["환불"]}},
        ],
    )
    conversation = say("m-1", "주문한 거 환불해주세요")
    assert conversation.priority == "high"
    assert list(conversation.tags.values_list("name", flat=True)) == ["환불"]
    assert fired(workspace) == [("환불 문의", "message.received", 0)]
    changes = Event.objects.filter(workspace=workspace, type="conversation.priority_changed").get()
    assert (changes.actor_kind, changes.actor_id) == ("rule", refund.pk)
    other = say("m-2", "배송 언제 오나요?", sender_id="u-2")
    assert other.priority == "medium"
    refund.refresh_from_db()
    assert refund.fire_count == 1


def test_created_rule_runs_once_per_conversation(workspace, rule, say):
    rule(event_type="conversation.created", actions=[{"type": "add_note", "params": {"text": "새 문의"}}])
    conversation = say("m-1", "안녕하세요")
    say("m-2", "또 왔어요")
    assert list(
        Message.objects.filter(conversation=conversation, direction="note").values_list("text", flat=True)
    ) == ["새 문의"]


def test_rules_cannot_loop(workspace, rule, say):
    rule(name="C", actions=[{"type": "set_priority", "params": {"priority": "high"}}])
    rule(
        name="A",
        event_type="conversation.priority_changed",
        actions=[{"type": "add_tags", "params": {"tags": ["x"]}}],
    )
    rule(
        name="B",
        event_type="conversation.tags_changed",
        actions=[
            {"type": "set_priority", "params": {"priority": "urgent"}},
            {"type": "add_tags", "params": {"tags": ["y"]}},
        ],
    )
    rule(
        name="self",
        event_type="conversation.priority_changed",
        actions=[{"type": "set_priority", "params": {"priority": "low"}}],
    )
    conversation = say("m-1", "문의")
    # C (depth 0) -> priority_changed: A and "self" (depth 1); A -> tags_changed: B (depth 2), whose own
    # changes stop at MAX_DEPTH; "self" never re-runs in its own chain, its change reaches A once more (depth 2)
    assert fired(workspace) == [
        ("C", "message.received", 0),
        ("A", "conversation.priority_changed", 1),
        ("B", "conversation.tags_changed", 2),
        ("self", "conversation.priority_changed", 1),
        ("A", "conversation.priority_changed", 2),
    ]
    conversation.refresh_from_db()
    assert conversation.priority == "low"


def test_other_workspace_rules_never_fire(workspace, other_workspace, rule, say):
    rule(
        target_workspace=other_workspace, actions=[{"type": "set_priority", "params": {"priority": "urgent"}}]
    )
    assert say("m-1", "문의").priority == "medium"
    assert fired(workspace) == [] and fired(other_workspace) == []


def test_bad_action_params_are_refused_and_nothing_is_saved(workspace, rule):
    with pytest.raises(SonnimError) as refused:
        rule(actions=[{"type": "snooze", "params": {"minutes": 0}}])
    assert refused.value.code == "invalid_action_params"
    with pytest.raises(SonnimError) as unknown:
        rule(actions=[{"type": "launch_rocket"}])
    assert unknown.value.code == "invalid_action"
    with pytest.raises(SonnimError) as bad_condition:
        rule(conditions=[{"field": "mood", "op": "eq", "value": 1}], actions=[{"type": "close"}])
    assert bad_condition.value.code == "invalid_rule_condition"
    assert not Rule.objects.exists()


def test_status_change_by_an_agent_triggers_rules_from_the_event_log(workspace, agent, rule, say):
    rule(
        event_type="conversation.status_changed",
        conditions=[{"field": "status", "op": "eq", "value": "pending"}],
        actions=[{"type": "add_note", "params": {"text": "고객 응답 대기"}}],
    )
    conversation = say("m-1", "문의")
    assert process_rule_events(workspace.pk) == 0  # only pipeline events so far
    conversation_services.set_status(conversation, status="pending", actor=Actor.agent(agent))
    assert process_rule_events(workspace.pk) == 1
    assert process_rule_events(workspace.pk) == 0  # the cursor moved: once
    assert list(Message.objects.filter(direction="note").values_list("text", flat=True)) == ["고객 응답 대기"]


def test_webhook_is_called_after_commit_through_a_task(workspace, rule, say, settings):
    settings.RULE_WEBHOOK_ALLOW_PRIVATE = True  # the receiver is a local test server
    with RecordingServer() as server:
        rule(name="hook", actions=[{"type": "call_webhook", "params": {"url": server.url + "/hook"}}])
        conversation = say("m-1", "문의")
        [result] = DBTaskResult.objects.filter(task_path__endswith="call_rule_webhook")
        assert result.args_kwargs["kwargs"]["url"] == server.url + "/hook"
        assert call_rule_webhook.call(**result.args_kwargs["kwargs"]) == 200
        [request] = server.requests
    secret = webhook_secret(workspace.pk)
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert secret.startswith("whsec_") and secret not in str(request.headers)
    assert (
        signing.check(secret, request.body, headers["x-sonnim-signature"], headers["x-sonnim-timestamp"])
        is None
    )
    assert signing.check(
        "whsec_other", request.body, headers["x-sonnim-signature"], headers["x-sonnim-timestamp"]
    )
    assert request.json() == {
        "rule": {"id": Rule.objects.get().pk, "name": "hook"},
        "event": "message.received",
        "conversation": {
            "id": conversation.pk,
            "status": "open",
            "priority": "medium",
            "customer_id": conversation.customer_id,
        },
    }


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "10.0.0.8", "169.254.169.254", "[::1]", "[::ffff:127.0.0.1]"]
)
def test_webhook_to_an_internal_address_is_refused_without_a_request(workspace, host, settings):
    settings.RULE_WEBHOOK_ALLOW_PRIVATE = False
    with RecordingServer() as server:
        port = server.url.rsplit(":", 1)[1]
        url = f"http://{host}:{port}/hook"
        with pytest.raises(WebhookRefused):
            call_rule_webhook.call(workspace_id=workspace.pk, url=url, payload={"x": 1})
        assert server.requests == []


def test_canned_reply_action_fills_variables_or_leaves_a_note(workspace, rule, say):
    greet = CannedReply.objects.create(
        workspace=workspace, title="인사", text="{customer_name}님, 안녕하세요!"
    )
    order = CannedReply.objects.create(
        workspace=workspace, title="주문", text="주문 {order_number} 확인 중입니다"
    )
    rule(
        name="greet",
        event_type="conversation.created",
        actions=[
            {"type": "send_canned_reply", "params": {"canned_reply_id": greet.pk}},
            {"type": "send_canned_reply", "params": {"canned_reply_id": order.pk}},
        ],
    )
    conversation = say("m-1", "문의")
    rows = list(
        Message.objects.filter(conversation=conversation)
        .exclude(direction="in")
        .order_by("pk")
        .values_list("direction", "text")
    )
    assert rows == [("out", "김민지님, 안녕하세요!"), ("note", "[greet] missing: order_number")]


def test_preview_lists_matches_and_writes_nothing(workspace, say):
    first = say("m-1", "환불 부탁드려요")
    say("m-2", "배송 문의", sender_id="u-2")
    events = Event.objects.filter(workspace=workspace).count()
    hits = preview_rule(
        workspace,
        conditions=[{"field": "text", "op": "contains", "value": "환불"}],
        actions=[{"type": "set_priority", "params": {"priority": "high"}}],
    )
    assert [(h.conversation_id, h.actions) for h in hits] == [
        (first.pk, [{"type": "set_priority", "priority": "high"}])
    ]
    assert Event.objects.filter(workspace=workspace).count() == events
    assert Conversation.objects.get(pk=first.pk).priority == "medium"


def test_a_rule_that_cannot_finish_is_rolled_back_alone_and_the_message_is_kept(workspace, rule, say):
    blank = CannedReply.objects.create(workspace=workspace, title="빈 답변", text="   ")
    rule(
        name="broken",
        actions=[
            {"type": "add_tags", "params": {"tags": ["half-done"]}},
            {"type": "send_canned_reply", "params": {"canned_reply_id": blank.pk}},  # refused: empty
        ],
    )
    rule(name="after", actions=[{"type": "add_tags", "params": {"tags": ["next-rule"]}}])
    conversation = say("m-1", "문의드려요")  # 201: the message is stored
    assert Message.objects.filter(conversation=conversation, direction="in").count() == 1
    assert sorted(conversation.tags.values_list("name", flat=True)) == ["next-rule"]  # nothing half-done
    [failed] = Event.objects.filter(workspace=workspace, type="rule.failed")
    assert (failed.data["name"], failed.data["code"]) == ("broken", "empty_message")
    assert [name for name, *_ in fired(workspace)] == ["after"]
