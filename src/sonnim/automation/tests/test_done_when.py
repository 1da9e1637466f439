"""Issue 8's "done when", through the settings pages and the real pipeline: an admin configures business
hours, an SLA policy, routing and two rules in the UI; a new conversation gets a due time, lands with the
team's online agent, the rules act (one on the message, one after 48 hours pending), and the customer gets
a survey when it is resolved."""

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from sonnim.conversations import services as conversation_services
from sonnim.conversations.models import Conversation, Message
from sonnim.core.actors import Actor
from sonnim.core.services import create_team
from sonnim.sla.models import BusinessHours
from sonnim.testing.fixtures import inbound_payload

from ..models import Survey
from ..routing import set_agent_status
from ..rules.timers import run_time_rules
from ..surveys import send_survey_task

pytestmark = pytest.mark.django_db


def test_configured_in_the_ui_then_tickets_run_themselves(
    supervisor, agent, workspace, api_inbox, post_inbound
):
    # The "done when": a supervisor (not an admin) configures it all in the settings pages.
    type(supervisor).objects.filter(pk=supervisor.pk).update(language="en")
    admin = Client()
    admin.force_login(supervisor.user)
    admin.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    team = create_team(workspace, name="상담1팀", members=[agent])
    set_agent_status(agent, status="online", actor=Actor.agent(agent))

    week = {f"day_{d}": "00:00-23:59" for d in range(7)}  # open all week: the test runs at any hour
    form = {"name": "상시", "time_zone": "Asia/Seoul", **week}
    assert admin.post("/settings/business-hours/new", form).status_code == 302
    calendar_id = str(BusinessHours.objects.get(workspace=workspace).pk)
    policy = {
        "name": "1시간 응답",
        "order": "0",
        "is_active": "on",
        "calendar": calendar_id,
        "first_response_minutes": "60",
        "first_response_business": "on",
        "warning_percent": "80",
    }
    assert admin.post("/settings/sla/new", policy).status_code == 302
    routing = {
        "name": "전체",
        "order": "0",
        "is_active": "on",
        "team": str(team.pk),
        "strategy": "least_load",
    }
    assert admin.post("/settings/routing/new", routing).status_code == 302
    refund = {
        "name": "환불 문의",
        "order": "0",
        "is_active": "on",
        "event_type": "message.received",
        "conditions": json.dumps([{"field": "text", "op": "contains", "value": "환불"}]),
        "actions": json.dumps(
            [
                {"type": "set_priority", "params": {"priority": "high"}},
                {"type": "add_tags", "params": {"tags": ["환불"]}},
            ]
        ),
    }
    assert admin.post("/settings/rules/new", refund).status_code == 302
    waiting = {
        "name": "48시간 대기",
        "order": "0",
        "is_active": "on",
        "event_type": "time.elapsed",
        "time_since": "status_changed",
        "time_minutes": str(48 * 60),
        "conditions": json.dumps([{"field": "status", "op": "eq", "value": "pending"}]),
        "actions": json.dumps([{"type": "add_note", "params": {"text": "48시간 응답 없음"}}]),
    }
    assert admin.post("/settings/rules/new", waiting).status_code == 302

    response = post_inbound(api_inbox, inbound_payload("m-1", "u-1", "주문 취소하고 환불해주세요"))
    conversation = Conversation.objects.get(pk=response.json()["conversation_id"])
    assert conversation.sla_due_at is not None and conversation.sla_state == "running"
    assert (conversation.team_id, conversation.assignee_id) == (team.pk, agent.pk)
    assert conversation.priority == "high"
    assert list(conversation.tags.values_list("name", flat=True)) == ["환불"]

    conversation_services.send_reply(conversation, text="확인해 보겠습니다", actor=Actor.agent(agent))
    conversation_services.set_status(conversation, status="pending", actor=Actor.agent(agent))
    assert run_time_rules(workspace.pk, now=timezone.now() + timedelta(hours=49)).fired == 1
    assert (
        Message.objects.filter(conversation=conversation, direction="note").get().text == "48시간 응답 없음"
    )

    conversation.refresh_from_db()
    conversation_services.set_status(conversation, status="resolved", actor=Actor.agent(agent))
    assert send_survey_task.call(workspace_id=workspace.pk, conversation_id=conversation.pk) == "sent"
    assert Survey.objects.get().conversation_id == conversation.pk
