"""Writes of rules (validated against the conditions and RULE_ACTIONS schemas) and the preview."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import ValidationError

from sonnim.core.actors import Actor
from sonnim.core.errors import SonnimError
from sonnim.core.models import Workspace

from ..models import Rule
from .actions import RULE_ACTIONS
from .conditions import Facts, check_condition, holds
from .timers import TIME_EVENT, check_time_trigger

RULE_FIELDS = {"name", "order", "is_active", "event_type", "conditions", "actions", "time_trigger"}
EVENT_TYPES = {
    "conversation.created",
    "message.received",
    "conversation.status_changed",
    "conversation.priority_changed",
    "conversation.assigned",
    "conversation.tags_changed",
    "conversation.team_changed",
    "sla.warning",
    "sla.breached",
    TIME_EVENT,  # fired by the periodic sweep (timers.py) when the rule's time_trigger has elapsed
}


def _check(fields: dict) -> None:
    if set(fields) - RULE_FIELDS:
        raise SonnimError("invalid_input", _("Unknown fields."), details=sorted(set(fields) - RULE_FIELDS))
    if "event_type" in fields and fields["event_type"] not in EVENT_TYPES:
        raise SonnimError(
            "invalid_rule_event", _("Unknown event type."), details={"event_type": fields["event_type"]}
        )
    for i, condition in enumerate(fields.get("conditions", [])):
        if problem := check_condition(condition):
            raise SonnimError(
                "invalid_rule_condition",
                _("Condition %(n)s is not valid.") % {"n": i + 1},
                details={"index": i, "problem": problem},
            )
    for i, action in enumerate(fields.get("actions", [])):
        known = isinstance(action, dict) and action.get("type") in RULE_ACTIONS
        if not known:
            raise SonnimError("invalid_action", _("Unknown action."), details={"index": i})
        try:
            RULE_ACTIONS[action["type"]].Params(**action.get("params", {}))
        except ValidationError as exc:
            raise SonnimError(
                "invalid_action_params",
                _("Action %(n)s has bad parameters.") % {"n": i + 1},
                details={"index": i, "errors": exc.errors(include_url=False, include_context=False)},
            ) from exc


@transaction.atomic
def save_rule(rule: Rule, *, actor: Actor, **fields) -> Rule:
    """Create (an unsaved `rule` with its workspace) or update; the new updated_at makes every process
    reload the workspace's rules (engine.rules_version)."""
    _check(fields)
    for name, value in fields.items():
        setattr(rule, name, value)
    if not rule.event_type or not rule.actions:
        raise SonnimError("invalid_rule", _("A rule needs an event type and at least one action."))
    if rule.event_type == TIME_EVENT:
        if problem := check_time_trigger(rule.time_trigger):
            raise SonnimError(
                "invalid_time_trigger",
                _("A time-based rule needs a start (since) and a number of minutes."),
                details={"problem": problem},
            )
        calendar_id = rule.time_trigger.get("calendar_id")
        if calendar_id is not None and not _calendar_exists(rule.workspace_id, calendar_id):
            raise SonnimError("calendar_not_found", _("Business hours not found."), status=404)
    elif rule.time_trigger:
        rule.time_trigger = {}  # only time-based rules keep one
    rule.updated_at = timezone.now()
    rule.save()
    return rule


def _calendar_exists(workspace_id: int, calendar_id: int) -> bool:
    from sonnim.sla.models import BusinessHours

    return BusinessHours.objects.filter(workspace_id=workspace_id, pk=calendar_id).exists()


@transaction.atomic
def delete_rule(rule: Rule, *, actor: Actor) -> None:
    """Delete a rule (its time firings go with it). The engine's cache notices the changed rule count."""
    Rule.objects.filter(pk=rule.pk, workspace_id=rule.workspace_id).delete()


@dataclass(frozen=True)
class PreviewHit:
    conversation_id: int
    actions: list[dict]


def preview_rule(
    workspace: Workspace, *, conditions: list, actions: list, limit: int = 100
) -> list[PreviewHit]:
    """The last `limit` conversations this rule's conditions match, with what it would do. Runs no action,
    writes nothing; the text conditions look at each conversation's latest customer message."""
    from sonnim.conversations.models import Conversation, Message

    _check({"conditions": conditions, "actions": actions})
    conversations = list(
        Conversation.objects.for_workspace(workspace)
        .select_related("customer", "inbox")
        .order_by("-last_message_at", "-pk")[:limit]
    )
    latest = {}
    for m in Message.objects.filter(conversation__in=conversations, direction="in").order_by(
        "created_at", "pk"
    ):
        latest[m.conversation_id] = m
    described = [
        RULE_ACTIONS[a["type"]].describe(RULE_ACTIONS[a["type"]].Params(**a.get("params", {})))
        for a in actions
    ]
    return [
        PreviewHit(c.pk, described)
        for c in conversations
        if all(holds(Facts(c, latest.get(c.pk)), cond) for cond in conditions)
    ]
