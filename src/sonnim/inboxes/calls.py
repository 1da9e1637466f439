"""Writes of phone calls (adapters/phone.py turns the PBX's events into call log lines; the pipeline stored
the line on the call's conversation; this module does the rest):

- ringing (inbound): `call.ringing` on the event log, carrying customer_id and conversation_id, so the
  agents' inbox pops the customer (static/sonnim/inbox.js);
- answered: the answering agent (matched by agent_email) gets the conversation, and the SLA's first
  response is met (a person answered);
- ended: duration and outcome on the call log, `call.ended`;
- missed (or ended without an answer): the conversation becomes a callback task - category `callback`,
  priority high (inbox settings callback_category / callback_priority), an SLA clock started if none runs,
  so SLA policies on phone, priority or category hold the team to calling back. `call.missed`.

The same (call_id, event) twice is a no-op: CallLog.events lists what was applied."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from sonnim.conversations.models import Conversation, Message
from sonnim.conversations.services import assign_conversation, set_category, set_priority
from sonnim.core.actors import SYSTEM
from sonnim.core.events import record_event
from sonnim.core.models import Agent
from sonnim.sla import services as sla_services

from .models import CallLog, Inbox

DEFAULT_CALLBACK_CATEGORY = "callback"
DEFAULT_CALLBACK_PRIORITY = "high"


@transaction.atomic
def record_call_event(inbox: Inbox, call: dict, message: Message) -> CallLog:
    conversation = message.conversation
    log = _lock_or_create_log(inbox, call, conversation)
    event = call["event"]
    if event in log.events:
        return log
    agent = _agent(inbox.workspace_id, call.get("agent_email", ""))
    was_missed = log.outcome == "missed"
    _apply(log, call, event, agent)
    log.save()
    data = {"call_id": log.call_id, "inbox_id": inbox.pk, "direction": log.direction, "call_log_id": log.pk}
    if agent is not None:
        data["agent_id"] = agent.pk
    if event == "ringing":
        _record(log, "call.ringing", data)
    elif event == "answered":
        if agent is not None and log.direction == "inbound":
            assign_conversation(conversation, assignee=agent, actor=SYSTEM)
        sla_services.on_agent_reply(conversation, at=log.answered_at or timezone.now())
        _record(log, "call.answered", data)
    elif event == "ended":
        _record(log, "call.ended", {**data, "outcome": log.outcome, "duration_seconds": log.duration_seconds})
    if log.outcome == "missed" and not was_missed:
        _open_callback_task(inbox, conversation)
        _record(log, "call.missed", data)
    return log


def _lock_or_create_log(inbox: Inbox, call: dict, conversation: Conversation) -> CallLog:
    existing = CallLog.objects.select_for_update().filter(inbox=inbox, call_id=call["call_id"]).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():  # savepoint: the call's other event may create it at the same moment
            return CallLog.objects.create(
                workspace_id=inbox.workspace_id,
                inbox=inbox,
                call_id=call["call_id"],
                conversation_id=conversation.pk,
                customer_id=conversation.customer_id,
                direction=call["direction"],
                status=call["event"],
            )
    except IntegrityError:
        return CallLog.objects.select_for_update().get(inbox=inbox, call_id=call["call_id"])


def _apply(log: CallLog, call: dict, event: str, agent: Agent | None) -> None:
    for name in ("started_at", "answered_at", "ended_at"):
        if call.get(name):
            setattr(log, name, datetime.fromisoformat(call[name]))
    if event == "answered" and log.answered_at is None:
        log.answered_at = timezone.now()
    if call.get("duration_seconds") is not None:
        log.duration_seconds = call["duration_seconds"]
    if call.get("recording_url"):
        log.recording_url = call["recording_url"]
    if agent is not None and (event == "answered" or log.agent_id is None):
        log.agent = agent
    if event == "answered":
        log.outcome = "answered"
    elif event == "missed":
        log.outcome = log.outcome or "missed"
    elif event == "ended" and not log.outcome:
        answered = log.answered_at is not None or bool(log.duration_seconds)
        log.outcome = "answered" if answered else "missed"
    # a late "ringing" after "answered" (PBXs do not promise order) must not move the status back
    if event != "ringing" or not log.events:
        log.status = event
    log.events = [*log.events, event]
    log.updated_at = timezone.now()


def _agent(workspace_id: int, email: str) -> Agent | None:
    if not email:
        return None
    return (
        Agent.objects.for_workspace(workspace_id)
        .filter(user__email__iexact=email, is_active=True)
        .order_by("pk")
        .first()
    )


def _open_callback_task(inbox: Inbox, conversation: Conversation) -> None:
    """The missed call's conversation is the task: labelled, prioritized and under an SLA clock."""
    settings = inbox.settings or {}
    conversation = set_category(
        conversation, category=str(settings.get("callback_category", DEFAULT_CALLBACK_CATEGORY)), actor=SYSTEM
    )
    conversation = set_priority(
        conversation, priority=str(settings.get("callback_priority", DEFAULT_CALLBACK_PRIORITY)), actor=SYSTEM
    )
    # A clock started on ringing stays; otherwise match the policies again now that priority and category
    # say "callback" (a policy for high priority or the callback category applies from here).
    sla_services.start_clock(
        conversation,
        channel_kind=inbox.kind,
        tier=conversation.customer.tier,
        zone=inbox.workspace.time_zone,
        at=timezone.now(),
    )


def _record(log: CallLog, type: str, data: dict) -> None:
    record_event(
        log.workspace_id,
        type,
        actor=SYSTEM,
        conversation_id=log.conversation_id,
        customer_id=log.customer_id,
        data=data,
    )
