"""Time-based rules (event type `time.elapsed`): "pending for 48 business hours", "no customer reply for
24 h", "open and unassigned for 30 minutes".

A rule's `time_trigger` names an anchor (when the qualifying period began) and a duration, in calendar
minutes or, with a calendar, business minutes. The periodic sweep finds conversations whose anchor is old
enough, checks the rule's conditions under the conversation's row lock and fires the rule with a
`RuleTimeFiring` row in the same transaction: its unique (rule, conversation, anchor) constraint makes each
period fire at most once, across runs, racing workers and crashes. A new period (the status changes again,
the customer writes, ...) moves the anchor and may fire again."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Case, DateTimeField, Exists, F, Max, OuterRef, Q, Subquery, When
from django.db.models.functions import Coalesce
from django.tasks import task
from django.utils import timezone

from sonnim.core.models import Event

from ..models import Rule, RuleTimeFiring
from .conditions import Facts, holds
from .engine import CompiledRule, active_rules, fire_rule

logger = logging.getLogger("sonnim.rules")

TIME_EVENT = "time.elapsed"
MAX_MINUTES = 60 * 24 * 365
BATCH = 500
MAX_PER_RULE = 5_000  # conversations looked at per rule and sweep; the rest wait for the next sweep

# anchor -> what starts the qualifying period
ANCHORS = {
    "created": "the conversation was opened",
    "status_changed": "the conversation entered its current status",
    "assignee_changed": "the assignee last changed (or the conversation was opened)",
    "last_message": "the last message in either direction",
    "awaiting_customer": "our last reply, when the customer has not written since",
    "awaiting_agent": "the customer's last message, when nobody has replied since",
}


def _latest_event(type_: str):
    return Subquery(
        Event.objects.filter(
            workspace_id=OuterRef("workspace_id"), conversation_id=OuterRef("pk"), type=type_
        )
        .order_by("-seq")
        .values("created_at")[:1]
    )


def _latest_message(direction: str):
    from sonnim.conversations.models import Message

    return Subquery(
        Message.objects.filter(conversation_id=OuterRef("pk"), direction=direction)
        .values("conversation_id")
        .annotate(at=Max("created_at"))
        .values("at")[:1]
    )


def annotate_anchor(queryset, since: str):
    """The conversations with `anchor` (None: no period runs, e.g. awaiting_agent after our reply)."""
    out = DateTimeField()
    if since == "created":
        return queryset.annotate(anchor=F("created_at"))
    if since == "last_message":
        return queryset.annotate(anchor=F("last_message_at"))
    if since == "status_changed":
        return queryset.annotate(
            anchor=Coalesce(_latest_event("conversation.status_changed"), F("created_at"), output_field=out)
        )
    if since == "assignee_changed":
        return queryset.annotate(
            anchor=Coalesce(_latest_event("conversation.assigned"), F("created_at"), output_field=out)
        )
    mine, theirs = ("out", "in") if since == "awaiting_customer" else ("in", "out")
    queryset = queryset.annotate(_mine=_latest_message(mine), _theirs=_latest_message(theirs))
    waiting = Q(_mine__isnull=False) & (Q(_theirs__isnull=True) | Q(_mine__gt=F("_theirs")))
    return queryset.annotate(anchor=Case(When(waiting, then=F("_mine")), default=None, output_field=out))


def check_time_trigger(trigger: dict) -> str | None:
    """Why a time trigger is malformed, or None."""
    if not isinstance(trigger, dict) or trigger.get("since") not in ANCHORS:
        return "since must be one of: " + ", ".join(ANCHORS)
    minutes = trigger.get("minutes")
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= MAX_MINUTES:
        return "minutes must be a whole number from 1 to 525600"
    if trigger.get("calendar_id") is not None and not isinstance(trigger["calendar_id"], int):
        return "calendar_id must be an id"
    if set(trigger) - {"since", "minutes", "calendar_id"}:
        return "unknown keys"
    return None


def _prefilter(queryset, conditions: list[dict]):
    """Narrow the candidates in SQL with the conditions that map to columns (status, assignee); the rest
    are checked in Python. Closed conversations only when a status condition asks for them."""
    status_wanted = None
    for c in conditions:
        if c["field"] == "status" and c["op"] in ("eq", "in"):
            status_wanted = [c["value"]] if c["op"] == "eq" else list(c["value"])
            queryset = queryset.filter(status__in=status_wanted)
        elif c["field"] == "assignee_id" and c["op"] == "eq" and c.get("value") is None:
            queryset = queryset.filter(assignee__isnull=True)
        elif c["field"] == "assignee_id" and c["op"] == "neq" and c.get("value") is None:
            queryset = queryset.filter(assignee__isnull=False)
    if status_wanted is None:
        queryset = queryset.exclude(status="closed")
    return queryset


@dataclass
class TimeSweepResult:
    fired: int = 0
    checked: int = 0


def _calendar(workspace_id: int, calendar_id: int | None):
    if calendar_id is None:
        return None
    from sonnim.sla.models import BusinessHours
    from sonnim.sla.selectors import compile_calendar

    hours = BusinessHours.objects.filter(workspace_id=workspace_id, pk=calendar_id).first()
    return compile_calendar(hours, list(hours.overrides.all())) if hours else False


def _elapsed_enough(calendar, anchor: datetime, now: datetime, minutes: int) -> bool:
    if calendar is None:
        return now - anchor >= timedelta(minutes=minutes)
    from sonnim.sla.business_hours import business_minutes_between

    return business_minutes_between(calendar, anchor, now) >= minutes


def run_time_rules(workspace_id: int, *, now: datetime | None = None) -> TimeSweepResult:
    """Fire every due time-based rule of one workspace."""
    now = now or timezone.now()
    result = TimeSweepResult()
    for compiled in active_rules(workspace_id, TIME_EVENT):
        _run_rule(compiled, now, result)
    return result


def _candidates(rule: Rule, now: datetime):
    from sonnim.conversations.models import Conversation

    trigger = rule.time_trigger
    queryset = _prefilter(Conversation.objects.filter(workspace_id=rule.workspace_id), rule.conditions)
    # calendar minutes are never fewer than business minutes: a cheap bound for both kinds
    queryset = annotate_anchor(queryset, trigger["since"]).filter(
        anchor__lte=now - timedelta(minutes=trigger["minutes"])
    )
    done = RuleTimeFiring.objects.filter(
        rule_id=rule.pk, conversation_id=OuterRef("pk"), anchor_at=OuterRef("anchor")
    )
    return queryset.filter(~Exists(done))


def _run_rule(compiled: CompiledRule, now: datetime, result: TimeSweepResult) -> None:
    rule = compiled.rule
    trigger = rule.time_trigger
    if check_time_trigger(trigger):
        return
    calendar = _calendar(rule.workspace_id, trigger.get("calendar_id"))
    if calendar is False:  # its calendar was deleted: nothing can be measured
        return
    last_pk, seen = 0, 0
    while seen < MAX_PER_RULE:
        batch = list(
            _candidates(rule, now).filter(pk__gt=last_pk).order_by("pk").values_list("pk", "anchor")[:BATCH]
        )
        if not batch:
            break
        last_pk, seen = batch[-1][0], seen + len(batch)
        for conversation_id, anchor in batch:
            result.checked += 1
            if _elapsed_enough(calendar, anchor, now, trigger["minutes"]) and _fire_once(
                compiled, conversation_id, now, calendar
            ):
                result.fired += 1


def _fire_once(compiled: CompiledRule, conversation_id: int, now: datetime, calendar) -> bool:
    """Under the conversation's lock: recompute the anchor (a reply may have moved it), check the
    conditions, claim the period with the firing row, run the rule. False when nothing fired."""
    from sonnim.conversations.models import Conversation

    rule = compiled.rule
    trigger = rule.time_trigger
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update()
            .filter(pk=conversation_id, workspace_id=rule.workspace_id)
            .first()
        )
        if conversation is None:
            return False
        anchor = (
            annotate_anchor(Conversation.objects.filter(pk=conversation_id), trigger["since"])
            .values_list("anchor", flat=True)
            .first()
        )
        if anchor is None or not _elapsed_enough(calendar, anchor, now, trigger["minutes"]):
            return False
        conversation = Conversation.objects.select_related("customer", "inbox").get(pk=conversation_id)
        facts = Facts(conversation, None, conversation.inbox.kind)
        if not all(holds(facts, c) for c in rule.conditions):
            return False
        try:
            with transaction.atomic():
                RuleTimeFiring.objects.create(
                    workspace_id=rule.workspace_id, rule=rule, conversation=conversation, anchor_at=anchor
                )
        except IntegrityError:  # this period already fired (another worker, an earlier run)
            return False
        fire_rule(
            compiled,
            TIME_EVENT,
            conversation,
            inbox_kind=conversation.inbox.kind,
            trigger_key=f"t{int(anchor.timestamp() * 1_000_000)}",
            data={"since": trigger["since"], "anchor_at": anchor.isoformat()},
        )
    logger.info("time rule fired rule=%s conversation=%s", rule.pk, conversation_id)
    return True


def run_all_time_rules(*, now: datetime | None = None) -> TimeSweepResult:
    total = TimeSweepResult()
    workspace_ids = (
        Rule.objects.filter(is_active=True, event_type=TIME_EVENT)
        .values_list("workspace_id", flat=True)
        .distinct()
    )
    for workspace_id in workspace_ids:
        try:
            part = run_time_rules(workspace_id, now=now)
        except Exception:  # a task's edge: one workspace's failure must not stop the others
            logger.exception("time rules failed workspace=%s", workspace_id)
            continue
        total.fired += part.fired
        total.checked += part.checked
    return total


@task()
def run_time_rules_task() -> int:
    """The worker enqueues it every minute (commands/server.py)."""
    return run_all_time_rules().fired
