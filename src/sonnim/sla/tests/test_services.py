"""SLA clocks through the real pipeline and conversation services; the sweep and its escalations."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sonnim.conversations import services as conversation_services
from sonnim.conversations.models import Conversation, Message
from sonnim.core.actors import SYSTEM, Actor
from sonnim.core.models import Event
from sonnim.core.services import create_team

from ..business_hours import add_business_minutes
from ..models import Notification, SlaClock, SlaNotice
from ..selectors import compile_calendar
from ..sweep import sweep_sla

pytestmark = pytest.mark.django_db


def events_of(workspace, prefix: str) -> list[tuple]:
    return list(
        Event.objects.filter(workspace=workspace, type__startswith=prefix)
        .order_by("seq")
        .values_list("type", "data__target")
    )


def test_first_matching_policy_by_order_sets_due_times(workspace, make_policy, sla_inbound):
    make_policy(name="email", order=1, channel_kinds=["email"], first_response_minutes=5)
    make_policy(name="vip", order=2, customer_tiers=["vip"], first_response_minutes=10)
    chosen = make_policy(
        name="chat",
        order=3,
        first_response_minutes=60,
        first_response_business=False,
        resolution_minutes=72 * 60,
        resolution_business=False,
    )
    conversation = Conversation.objects.get(pk=sla_inbound("m-1")["conversation_id"])
    message = Message.objects.get(conversation=conversation)
    clock = SlaClock.objects.get(conversation=conversation)
    assert clock.policy_id == chosen.pk
    assert clock.first_response_due_at == message.created_at + timedelta(minutes=60)
    assert clock.first_response_warn_at == message.created_at + timedelta(minutes=48)
    assert clock.resolution_due_at == message.created_at + timedelta(hours=72)
    assert (conversation.sla_state, conversation.sla_due_at) == ("running", clock.first_response_due_at)
    assert clock.next_check_at == clock.first_response_warn_at


def test_no_matching_policy_leaves_no_clock(workspace, make_policy, sla_inbound):
    make_policy(name="email", channel_kinds=["email"], first_response_minutes=5)
    conversation = Conversation.objects.get(pk=sla_inbound("m-1")["conversation_id"])
    assert (conversation.sla_state, conversation.sla_due_at) == ("", None)
    assert not SlaClock.objects.exists()


def test_business_hours_policy_counts_in_the_calendar(workspace, shop_hours, make_policy, sla_inbound):
    make_policy(calendar_id=shop_hours.pk, first_response_minutes=60)
    conversation = Conversation.objects.get(pk=sla_inbound("m-1")["conversation_id"])
    message = Message.objects.get(conversation=conversation)
    calendar = compile_calendar(shop_hours, [])
    assert conversation.sla_due_at == add_business_minutes(calendar, message.created_at, 60)


def test_replies_meet_first_then_next_response_cycles(workspace, agent, make_policy, sla_inbound):
    make_policy(
        first_response_minutes=60,
        next_response_minutes=30,
        first_response_business=False,
        next_response_business=False,
    )
    conversation = Conversation.objects.get(pk=sla_inbound("m-1")["conversation_id"])
    conversation_services.send_reply(conversation, text="확인해 드릴게요", actor=Actor.agent(agent))
    clock = SlaClock.objects.get(conversation=conversation)
    assert clock.first_response_met_at is not None and clock.next_response_cycle == 0
    assert Conversation.objects.get(pk=conversation.pk).sla_state == "met"
    sla_inbound("m-2", text="아직인가요?")
    clock.refresh_from_db()
    second = Message.objects.get(external_id="m-2")
    assert (clock.next_response_cycle, clock.next_response_due_at) == (
        1,
        second.created_at + timedelta(minutes=30),
    )
    assert Conversation.objects.get(pk=conversation.pk).sla_due_at == clock.next_response_due_at
    sla_inbound("m-3", text="여보세요?")  # still waiting: the running cycle keeps its due time
    clock.refresh_from_db()
    assert (clock.next_response_cycle, clock.next_response_due_at) == (
        1,
        second.created_at + timedelta(minutes=30),
    )
    conversation_services.send_reply(conversation, text="출고되었습니다", actor=Actor.agent(agent))
    clock.refresh_from_db()
    assert clock.next_response_met_at is not None
    assert Conversation.objects.get(pk=conversation.pk).sla_state == "met"


def test_bot_and_system_messages_do_not_meet_response_targets(workspace, make_policy, sla_inbound):
    make_policy(first_response_minutes=60)
    conversation = Conversation.objects.get(pk=sla_inbound("m-1")["conversation_id"])
    conversation_services.send_reply(conversation, text="자동 안내", actor=SYSTEM)
    assert SlaClock.objects.get(conversation=conversation).first_response_met_at is None


def test_pending_pauses_and_the_customer_reply_resumes(workspace, agent, make_policy, sla_inbound):
    make_policy(resolution_minutes=600, resolution_business=False)
    conversation = Conversation.objects.get(pk=sla_inbound("m-1")["conversation_id"])
    due = conversation.sla_due_at
    conversation_services.set_status(conversation, status="pending", actor=Actor.agent(agent))
    conversation.refresh_from_db()
    clock = SlaClock.objects.get(conversation=conversation)
    assert (conversation.sla_state, conversation.sla_due_at, clock.next_check_at) == ("paused", None, None)
    paused_at = clock.paused_at
    sla_inbound("m-2", text="사진 보냈어요")
    conversation.refresh_from_db()
    clock.refresh_from_db()
    resumed_at = Message.objects.get(external_id="m-2").created_at
    assert conversation.status == "open" and clock.paused_at is None
    assert clock.resolution_due_at == due + (resumed_at - paused_at)
    assert (conversation.sla_state, conversation.sla_due_at) == ("running", clock.resolution_due_at)
    assert clock.paused_seconds == int((resumed_at - paused_at).total_seconds())


def test_resolving_meets_resolution_and_reopening_restarts_it(workspace, agent, make_policy, sla_inbound):
    make_policy(resolution_minutes=600, resolution_business=False)
    conversation = Conversation.objects.get(pk=sla_inbound("m-1")["conversation_id"])
    conversation_services.set_status(conversation, status="resolved", actor=Actor.agent(agent))
    clock = SlaClock.objects.get(conversation=conversation)
    assert clock.resolution_met_at is not None
    assert Conversation.objects.get(pk=conversation.pk).sla_state == "met"
    sla_inbound("m-2", text="다시 문의드려요")  # reopens within the window
    clock.refresh_from_db()
    assert (clock.resolution_cycle, clock.resolution_met_at) == (1, None)
    assert Conversation.objects.get(pk=conversation.pk).sla_state == "running"


@pytest.fixture
def breaching(workspace, make_policy, sla_inbound, supervisor, agent):
    """A conversation with a 60-minute calendar-time first response, assigned to `agent`."""

    def make(escalation=(), **fields):
        make_policy(
            first_response_minutes=60, first_response_business=False, escalation=list(escalation), **fields
        )
        conversation = Conversation.objects.get(pk=sla_inbound("m-1")["conversation_id"])
        conversation_services.assign_conversation(conversation, assignee=agent, actor=SYSTEM)
        return Conversation.objects.get(pk=conversation.pk), SlaClock.objects.get(conversation=conversation)

    return make


def test_sweep_records_warning_then_breach_exactly_once(workspace, breaching):
    conversation, clock = breaching()
    assert sweep_sla(now=clock.first_response_warn_at - timedelta(seconds=1)).notices == 0
    assert sweep_sla(now=clock.first_response_warn_at).notices == 1
    assert sweep_sla(now=clock.first_response_warn_at + timedelta(minutes=1)).notices == 0
    assert Conversation.objects.get(pk=conversation.pk).sla_state == "warning"
    after = clock.first_response_due_at + timedelta(seconds=5)
    assert sweep_sla(now=after).notices == 1
    assert sweep_sla(now=after).notices == 0
    assert events_of(workspace, "sla.") == [
        ("sla.warning", "first_response"),
        ("sla.breached", "first_response"),
    ]
    assert Conversation.objects.get(pk=conversation.pk).sla_state == "breached"
    assert SlaNotice.objects.count() == 2
    assert SlaClock.objects.get(pk=clock.pk).next_check_at is None


def test_a_late_sweep_announces_breach_and_warning_together_once(workspace, breaching):
    _conversation, clock = breaching()
    result = sweep_sla(now=clock.first_response_due_at + timedelta(hours=3))
    assert (result.checked, result.notices) == (1, 2)
    assert sorted(events_of(workspace, "sla.")) == [
        ("sla.breached", "first_response"),
        ("sla.warning", "first_response"),
    ]


def test_escalation_notifies_raises_priority_and_reassigns(workspace, breaching, supervisor, agent):
    team = create_team(workspace, name="에스컬레이션", members=[supervisor])
    conversation, clock = breaching(
        escalation=[
            {"on": "warning", "action": "notify_assignee"},
            {"on": "breached", "action": "raise_priority", "priority": "urgent"},
            {"on": "breached", "action": "notify_supervisors"},
            {"on": "breached", "action": "reassign_team", "team_id": team.pk},
        ]
    )
    sweep_sla(now=clock.first_response_warn_at)
    assert list(Notification.objects.values_list("agent_id", "kind")) == [(agent.pk, "sla.warning")]
    sweep_sla(now=clock.first_response_due_at)
    conversation.refresh_from_db()
    assert (conversation.priority, conversation.team_id, conversation.assignee_id) == (
        "urgent",
        team.pk,
        None,
    )
    assert sorted(Notification.objects.values_list("agent_id", "kind")) == sorted(
        [(agent.pk, "sla.warning"), (supervisor.pk, "sla.breached")]
    )
    escalated = list(
        Event.objects.filter(workspace=workspace, type="sla.escalated")
        .order_by("seq")
        .values_list("data__action", flat=True)
    )
    assert escalated == ["notify_assignee", "raise_priority", "notify_supervisors", "reassign_team"]


def test_escalation_never_lowers_priority(workspace, breaching, agent):
    conversation, clock = breaching(
        escalation=[
            {"on": "breached", "action": "raise_priority", "priority": "low"},
            {"on": "breached", "action": "raise_priority"},
        ],
    )
    conversation_services.set_priority(conversation, priority="urgent", actor=Actor.agent(agent))
    sweep_sla(now=clock.first_response_due_at)
    assert Conversation.objects.get(pk=conversation.pk).priority == "urgent"
    assert not Event.objects.filter(workspace=workspace, type="sla.escalated").exists()


def test_raise_without_a_priority_goes_one_step_up(workspace, breaching):
    conversation, clock = breaching(escalation=[{"on": "breached", "action": "raise_priority"}])
    sweep_sla(now=clock.first_response_due_at)
    assert Conversation.objects.get(pk=conversation.pk).priority == "high"  # from medium


def test_dry_run_lists_what_would_happen_and_writes_nothing(workspace, breaching, agent):
    conversation, clock = breaching(
        escalation=[{"on": "breached", "action": "raise_priority", "priority": "high"}]
    )
    events_before = Event.objects.filter(workspace=workspace).count()
    result = sweep_sla(now=clock.first_response_due_at, dry_run=True)
    assert [(s.kind, s.action, s.detail.get("to")) for s in result.steps] == [
        ("breached", "record_event", None),
        ("breached", "raise_priority", "high"),
        ("warning", "record_event", None),
    ]
    assert Event.objects.filter(workspace=workspace).count() == events_before
    assert not SlaNotice.objects.exists()
    conversation.refresh_from_db()
    assert (conversation.priority, conversation.sla_state) == ("medium", "running")
    assert SlaClock.objects.get(pk=clock.pk).next_check_at == clock.next_check_at


def test_paused_clock_is_not_announced(workspace, breaching, agent):
    conversation, clock = breaching()
    conversation_services.set_status(
        conversation,
        status="snoozed",
        actor=Actor.agent(agent),
        snoozed_until=timezone.now() + timedelta(days=1),
    )
    assert sweep_sla(now=clock.first_response_due_at + timedelta(hours=1)).notices == 0
