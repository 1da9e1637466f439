"""The SLA sweep: announce every warning and breach whose time has come, once, and escalate.

Reads only clocks whose `next_check_at` passed (an index), in batches; locks conversations then clocks
in pk order (the pipeline's order: conversation -> clock -> event counter), skipping rows another
process holds (they are due again at the next sweep). A dry run plans the same and writes nothing."""

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from sonnim.conversations.models import Conversation
from sonnim.core.actors import SYSTEM

from . import clocks, escalation, events
from .escalation import PlannedStep
from .models import Notification, SlaClock, SlaNotice

logger = logging.getLogger("sonnim.sla")


@dataclass
class SweepResult:
    checked: int = 0
    notices: int = 0
    dry_run: bool = False
    steps: list[PlannedStep] = field(default_factory=list)


def sweep_sla(
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    batch_size: int = 500,
    workspace_id: int | None = None,
) -> SweepResult:
    now = now or timezone.now()
    result = SweepResult(dry_run=dry_run)
    due = SlaClock.objects.filter(next_check_at__lte=now)
    if workspace_id is not None:
        due = due.filter(workspace_id=workspace_id)
    last_conversation_id = 0
    while True:
        conversation_ids = list(
            due.filter(conversation_id__gt=last_conversation_id)
            .order_by("conversation_id")
            .values_list("conversation_id", flat=True)[:batch_size]
        )
        if not conversation_ids:
            break
        last_conversation_id = conversation_ids[-1]
        if dry_run:
            _sweep_batch(conversation_ids, now, result)
        else:
            with transaction.atomic():
                _sweep_batch(conversation_ids, now, result)
    logger.info("sla sweep checked=%s notices=%s dry_run=%s", result.checked, result.notices, dry_run)
    return result


@dataclass
class _Writes:
    """What one batch writes, collected and then written in a few bulk statements."""

    notices: list[SlaNotice] = field(default_factory=list)
    pending_events: list[events.PendingEvent] = field(default_factory=list)
    notifications: list = field(default_factory=list)
    service_steps: list[tuple[Conversation, PlannedStep]] = field(default_factory=list)
    clocks: list[SlaClock] = field(default_factory=list)
    conversations: list[Conversation] = field(default_factory=list)


def _sweep_batch(conversation_ids: list[int], now: datetime, result: SweepResult) -> None:
    conversations = Conversation.objects.filter(pk__in=conversation_ids).order_by("pk")
    clock_rows = SlaClock.objects.filter(conversation_id__in=conversation_ids).select_related("policy")
    if not result.dry_run:
        conversations = conversations.select_for_update(skip_locked=True)
        clock_rows = clock_rows.select_for_update(of=("self",))
    conversations = {c.pk: c for c in conversations}
    clock_rows = [c for c in clock_rows.order_by("pk") if c.conversation_id in conversations]
    seen = set(
        SlaNotice.objects.filter(clock__in=[c.pk for c in clock_rows]).values_list(
            "clock_id", "target", "kind", "cycle"
        )
    )
    writes = _Writes()
    for clock in clock_rows:
        conversation = conversations[clock.conversation_id]
        result.checked += 1
        fresh = [
            n for n in clocks.passed_notices(clock, now) if (clock.pk, n.target, n.kind, n.cycle) not in seen
        ]
        for notice in fresh:
            _announce(clock, conversation, notice, result, writes)
        if result.dry_run:
            continue
        clock.next_check_at = clocks.next_check(clock, now)
        writes.clocks.append(clock)
        summary = clocks.summarize(clock, now)
        if (conversation.sla_state, conversation.sla_due_at) != (summary.state, summary.due_at):
            conversation.sla_state, conversation.sla_due_at = summary.state, summary.due_at
            writes.conversations.append(conversation)
    if not result.dry_run:
        _write(writes)


def _announce(
    clock: SlaClock, conversation: Conversation, notice: clocks.Notice, result: SweepResult, writes: _Writes
) -> None:
    plans = [
        PlannedStep(
            conversation.pk, notice.target, notice.kind, "record_event", {"due_at": notice.due_at.isoformat()}
        ),
        *escalation.plan_steps(conversation, clock.policy, target=notice.target, kind=notice.kind),
    ]
    result.steps.extend(plans)
    result.notices += 1
    if result.dry_run:
        return
    writes.notices.append(
        SlaNotice(
            workspace_id=clock.workspace_id,
            clock=clock,
            target=notice.target,
            kind=notice.kind,
            cycle=notice.cycle,
        )
    )
    base = {
        "workspace_id": clock.workspace_id,
        "conversation_id": conversation.pk,
        "customer_id": conversation.customer_id,
    }
    writes.pending_events.append(
        events.PendingEvent(
            **base,
            type=f"sla.{notice.kind}",
            data={
                "target": notice.target,
                "cycle": notice.cycle,
                "due_at": notice.due_at.isoformat(),
                "policy_id": clock.policy_id,
            },
        )
    )
    for plan in plans[1:]:
        writes.pending_events.append(
            events.PendingEvent(
                **base,
                type="sla.escalated",
                data={"action": plan.action, "target": plan.target, "on": plan.kind, **plan.detail},
            )
        )
        if plan.action in escalation.NOTIFY_ACTIONS:
            writes.notifications.extend(escalation.notifications(conversation, plan))
        else:
            writes.service_steps.append((conversation, plan))


def _write(writes: _Writes) -> None:
    """Notices, events and notifications in bulk (one sequence range per workspace), then the steps that go
    through conversation services (priority, team: their own events), then clocks and conversations."""
    SlaNotice.objects.bulk_create(writes.notices)  # the constraint still guards a racing sweep
    events.record_events(writes.pending_events, actor=SYSTEM)
    Notification.objects.bulk_create(writes.notifications)
    for conversation, plan in writes.service_steps:
        escalation.carry_out(conversation, plan)
    _update_rows(SlaClock, ["next_check_at"], writes.clocks)
    _update_rows(Conversation, ["sla_state", "sla_due_at"], writes.conversations)


def _update_rows(model, fields: list[str], rows: list) -> None:
    """One prepared UPDATE run for every row (executemany): Django's bulk_update builds a CASE per row and
    field, which costs more CPU than the sweep's whole arithmetic."""
    if not rows:
        return
    meta = model._meta
    columns = [meta.get_field(f) for f in fields]
    assignments = ", ".join(f"{connection.ops.quote_name(c.column)} = %s" for c in columns)
    sql = f"UPDATE {connection.ops.quote_name(meta.db_table)} SET {assignments} WHERE id = %s"  # noqa: S608
    params = [
        [*(c.get_db_prep_save(getattr(row, c.attname), connection) for c in columns), row.pk] for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
