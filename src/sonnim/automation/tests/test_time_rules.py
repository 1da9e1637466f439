"""Time-based rules: pending for 48 h, no customer reply for N hours, open and unassigned for N minutes,
business minutes; each fires once per conversation and qualifying period, across runs and a crash."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone

from sonnim.conversations import services as conversation_services
from sonnim.conversations.models import Conversation, Message
from sonnim.core.actors import SYSTEM, Actor
from sonnim.core.errors import SonnimError
from sonnim.core.models import Event
from sonnim.sla.models import BusinessHours
from sonnim.testing.fixtures import inbound_payload

from ..models import Rule, RuleTimeFiring
from ..rules.services import save_rule
from ..rules.timers import run_all_time_rules, run_time_rules

pytestmark = pytest.mark.django_db

SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture
def say(api_inbox, post_inbound, django_capture_on_commit_callbacks):
    def send(external_id: str, text: str, sender_id: str = "u-1") -> Conversation:
        with django_capture_on_commit_callbacks(execute=False):
            response = post_inbound(api_inbox, inbound_payload(external_id, sender_id, text))
        assert response.status_code == 201, response.content
        return Conversation.objects.get(pk=response.json()["conversation_id"])

    return send


def time_rule(workspace, *, since, minutes, conditions=(), note="due", calendar_id=None, name="timer"):
    return save_rule(
        Rule(workspace=workspace),
        actor=SYSTEM,
        name=name,
        event_type="time.elapsed",
        time_trigger={"since": since, "minutes": minutes, "calendar_id": calendar_id},
        conditions=list(conditions),
        actions=[{"type": "add_note", "params": {"text": note}}],
    )


def notes(conversation) -> list[str]:
    return list(
        Message.objects.filter(conversation=conversation, direction="note")
        .order_by("pk")
        .values_list("text", flat=True)
    )


def later(**delta) -> datetime:
    return timezone.now() + timedelta(**delta)


PENDING = [{"field": "status", "op": "eq", "value": "pending"}]


def test_pending_for_48_hours_fires_once_per_period(workspace, agent, say):
    time_rule(workspace, since="status_changed", minutes=48 * 60, conditions=PENDING, note="48h")
    conversation = say("m-1", "문의")
    other = say("m-2", "다른 문의", sender_id="u-2")  # stays open: never fires
    conversation_services.set_status(conversation, status="pending", actor=Actor.agent(agent))
    assert run_time_rules(workspace.pk, now=later(hours=47)).fired == 0
    assert run_time_rules(workspace.pk, now=later(hours=49)).fired == 1
    again = run_time_rules(workspace.pk, now=later(hours=50))
    assert (again.fired, again.checked) == (0, 0)  # same period: once, and no longer even a candidate
    assert notes(conversation) == ["48h"] and notes(other) == []
    fired = Event.objects.get(workspace=workspace, type="rule.fired")
    assert (fired.data["trigger"], fired.data["since"], fired.conversation_id) == (
        "time.elapsed",
        "status_changed",
        conversation.pk,
    )
    # the customer answers, the agent sets pending again: a new period, which fires again 48 h later
    conversation.refresh_from_db()
    conversation_services.set_status(conversation, status="open", actor=Actor.agent(agent))
    conversation_services.set_status(conversation, status="pending", actor=Actor.agent(agent))
    assert run_time_rules(workspace.pk, now=later(hours=47)).fired == 0
    assert run_time_rules(workspace.pk, now=later(hours=49)).fired == 1
    assert notes(conversation) == ["48h", "48h"]
    assert RuleTimeFiring.objects.filter(conversation=conversation).count() == 2


def test_a_crash_before_commit_fires_again_and_only_once(workspace, agent, say):
    time_rule(workspace, since="status_changed", minutes=60, conditions=PENDING)
    conversation = say("m-1", "문의")
    conversation_services.set_status(conversation, status="pending", actor=Actor.agent(agent))
    with pytest.raises(RuntimeError), transaction.atomic():
        assert run_time_rules(workspace.pk, now=later(hours=2)).fired == 1
        raise RuntimeError("worker killed before commit")
    assert notes(conversation) == [] and not RuleTimeFiring.objects.exists()
    assert run_all_time_rules(now=later(hours=2)).fired == 1
    assert run_all_time_rules(now=later(hours=3)).fired == 0
    assert notes(conversation) == ["due"]


def test_no_customer_reply_for_n_hours(workspace, agent, say):
    time_rule(workspace, since="awaiting_customer", minutes=24 * 60, note="nudge")
    conversation = say("m-1", "사이즈 문의")
    assert run_time_rules(workspace.pk, now=later(hours=30)).fired == 0  # we never answered
    conversation_services.send_reply(conversation, text="M 사이즈를 추천드려요", actor=Actor.agent(agent))
    assert run_time_rules(workspace.pk, now=later(hours=23)).fired == 0
    assert run_time_rules(workspace.pk, now=later(hours=25)).fired == 1
    assert run_time_rules(workspace.pk, now=later(hours=26)).fired == 0
    say("m-2", "감사합니다")  # the customer answered: nothing awaited from them any more
    assert run_time_rules(workspace.pk, now=later(hours=60)).fired == 0
    assert notes(conversation) == ["nudge"]


def test_open_and_unassigned_for_n_minutes(workspace, agent, say):
    unassigned = [
        {"field": "status", "op": "eq", "value": "open"},
        {"field": "assignee_id", "op": "eq", "value": None},
    ]
    time_rule(workspace, since="created", minutes=30, conditions=unassigned, note="unassigned")
    taken = say("m-1", "문의")
    waiting = say("m-2", "문의", sender_id="u-2")
    conversation_services.assign_conversation(taken, assignee=agent, actor=Actor.agent(agent))
    assert run_time_rules(workspace.pk, now=later(minutes=20)).fired == 0
    result = run_time_rules(workspace.pk, now=later(minutes=31))
    assert (result.fired, result.checked) == (1, 1)  # the assigned one is filtered out in SQL
    assert notes(waiting) == ["unassigned"] and notes(taken) == []


def test_business_minutes_skip_nights_and_weekends(workspace, agent, say):
    hours = BusinessHours.objects.create(workspace=workspace, name="평일", uses_public_holidays=False)
    time_rule(workspace, since="created", minutes=60, calendar_id=hours.pk, note="1 business hour")
    conversation = say("m-1", "문의")
    # opened Friday 16:30 (Seoul): one business hour ends Monday 10:30
    friday = datetime(2026, 11, 20, 16, 30, tzinfo=SEOUL)
    Conversation.objects.filter(pk=conversation.pk).update(created_at=friday)
    assert run_time_rules(workspace.pk, now=datetime(2026, 11, 22, 12, 0, tzinfo=SEOUL)).fired == 0
    assert run_time_rules(workspace.pk, now=datetime(2026, 11, 23, 10, 20, tzinfo=SEOUL)).fired == 0
    assert run_time_rules(workspace.pk, now=datetime(2026, 11, 23, 10, 31, tzinfo=SEOUL)).fired == 1
    assert notes(conversation) == ["1 business hour"]


def test_other_workspace_time_rules_never_touch_this_one(workspace, other_workspace, agent, say):
    time_rule(other_workspace, since="created", minutes=1)
    conversation = say("m-1", "문의")
    assert run_all_time_rules(now=later(hours=1)).fired == 0
    assert notes(conversation) == []


def test_time_trigger_is_validated(workspace):
    with pytest.raises(SonnimError) as error:
        time_rule(workspace, since="whenever", minutes=10)
    assert error.value.code == "invalid_time_trigger"
    with pytest.raises(SonnimError) as error:
        time_rule(workspace, since="created", minutes=0)
    assert error.value.code == "invalid_time_trigger"
    with pytest.raises(SonnimError) as error:
        time_rule(workspace, since="created", minutes=5, calendar_id=987654)
    assert error.value.code == "calendar_not_found"
    assert not Rule.objects.exists()


def test_customer_waiting_for_a_reply_and_the_api_contract(workspace, agent, supervisor, api, say):
    created = api(supervisor).post(
        "/api/v1/automation/rules",
        json={
            "name": "답변 대기 2시간",
            "event_type": "time.elapsed",
            "time_trigger": {"since": "awaiting_agent", "minutes": 120},
            "actions": [{"type": "set_priority", "params": {"priority": "high"}}],
        },
    )
    assert created.status_code == 201, created.content
    assert created.json()["time_trigger"] == {"since": "awaiting_agent", "minutes": 120}
    bad = api(supervisor).post(
        "/api/v1/automation/rules",
        json={"name": "x", "event_type": "time.elapsed", "actions": [{"type": "close"}]},
    )
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_time_trigger")
    answered = say("m-1", "문의")
    waiting = say("m-2", "문의", sender_id="u-2")
    conversation_services.send_reply(answered, text="답변드립니다", actor=Actor.agent(agent))
    assert run_time_rules(workspace.pk, now=later(hours=3)).fired == 1
    assert Conversation.objects.get(pk=waiting.pk).priority == "high"
    assert Conversation.objects.get(pk=answered.pk).priority == "medium"
