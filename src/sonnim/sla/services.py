"""Writes of calendars, policies and SLA clocks. Clock changes run inside the caller's transaction
(the pipeline's, or a conversation service's) right after the conversation changed, under its lock."""

from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sonnim.core import config
from sonnim.core.actors import Actor
from sonnim.core.errors import SonnimError
from sonnim.core.models import Workspace

from . import clocks
from .business_hours import parse_intervals
from .choices import EscalationAction, NoticeKind, Target
from .errors import SlaError
from .models import BusinessHours, BusinessHoursOverride, SlaClock, SlaPolicy
from .selectors import active_policies, policy_matches, policy_times

# ---- calendars and policies -------------------------------------------------------------------------


def _check_hours(weekly_hours: dict) -> dict:
    cleaned = {}
    try:
        for day in range(7):
            pairs = weekly_hours.get(str(day), [])
            parse_intervals(pairs)
            cleaned[str(day)] = [list(p) for p in pairs]
    except (ValueError, TypeError, AttributeError) as exc:
        raise SonnimError(
            SlaError.INVALID_HOURS,
            _("Business hours must be HH:MM intervals that do not overlap."),
            details={"error": str(exc)},
        ) from exc
    return cleaned


def _check_zone(zone: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SonnimError(
            SlaError.INVALID_HOURS, _("Unknown time zone."), details={"time_zone": zone}
        ) from exc
    return zone


@transaction.atomic
def create_calendar(
    workspace: Workspace,
    *,
    name: str,
    weekly_hours: dict | None = None,
    time_zone: str = "Asia/Seoul",
    uses_public_holidays: bool = True,
    actor: Actor,
) -> BusinessHours:
    if BusinessHours.objects.for_workspace(workspace).filter(name=name).exists():
        raise SonnimError(SlaError.CALENDAR_NAME_TAKEN, _("Business hours with this name exist."), status=409)
    hours = BusinessHours(
        workspace=workspace,
        name=name,
        time_zone=_check_zone(time_zone),
        uses_public_holidays=uses_public_holidays,
    )
    if weekly_hours is not None:
        hours.weekly_hours = _check_hours(weekly_hours)
    hours.save()
    return hours


@transaction.atomic
def update_calendar(hours: BusinessHours, *, actor: Actor, **changes) -> BusinessHours:
    hours = BusinessHours.objects.select_for_update().get(pk=hours.pk, workspace_id=hours.workspace_id)
    if "weekly_hours" in changes:
        changes["weekly_hours"] = _check_hours(changes["weekly_hours"])
    if "time_zone" in changes:
        _check_zone(changes["time_zone"])
    for field, value in changes.items():
        setattr(hours, field, value)
    if changes:
        hours.save(update_fields=list(changes))
    return hours


@transaction.atomic
def set_override(
    hours: BusinessHours, *, day: date, intervals: list, note: str = "", actor: Actor
) -> BusinessHoursOverride:
    """A company day off (no intervals) or a special opening on one date; setting a date again replaces it."""
    try:
        parse_intervals(intervals)
    except (ValueError, TypeError) as exc:
        raise SonnimError(
            SlaError.INVALID_HOURS,
            _("Business hours must be HH:MM intervals that do not overlap."),
            details={"error": str(exc)},
        ) from exc
    override, _created = BusinessHoursOverride.objects.update_or_create(
        workspace_id=hours.workspace_id,
        calendar=hours,
        date=day,
        defaults={"intervals": [list(p) for p in intervals], "note": note[:200]},
    )
    return override


@transaction.atomic
def delete_override(override: BusinessHoursOverride, *, actor: Actor) -> None:
    BusinessHoursOverride.objects.filter(pk=override.pk, workspace_id=override.workspace_id).delete()


@transaction.atomic
def delete_calendar(hours: BusinessHours, *, actor: Actor) -> None:
    """Delete business hours no policy counts in (a policy's clocks would lose their calendar)."""
    used_by = list(SlaPolicy.objects.filter(calendar=hours).values_list("name", flat=True)[:5])
    if used_by:
        raise SonnimError(
            SlaError.CALENDAR_IN_USE,
            _("These business hours are used by the SLA policies %(names)s.") % {"names": ", ".join(used_by)},
            status=409,
            details={"policies": used_by},
        )
    BusinessHours.objects.filter(pk=hours.pk, workspace_id=hours.workspace_id).delete()


@transaction.atomic
def delete_policy(policy: SlaPolicy, *, actor: Actor) -> None:
    """Delete a policy; running clocks keep their times and lose their policy (no new cycles start)."""
    SlaPolicy.objects.filter(pk=policy.pk, workspace_id=policy.workspace_id).delete()


POLICY_FIELDS = {
    "name",
    "order",
    "is_active",
    "calendar_id",
    "channel_kinds",
    "priorities",
    "categories",
    "customer_tiers",
    "team_id",
    "first_response_minutes",
    "first_response_business",
    "next_response_minutes",
    "next_response_business",
    "resolution_minutes",
    "resolution_business",
    "warning_percent",
    "escalation",
}


def _check_escalation(workspace_id: int, steps: list[dict]) -> list[dict]:
    from sonnim.conversations.choices import Priority
    from sonnim.core.models import Team

    for i, step in enumerate(steps):
        bad = (
            step.get("on") not in NoticeKind.values
            or step.get("action") not in EscalationAction.values
            or (step.get("target") not in (None, *Target.values))
            or (
                step["action"] == EscalationAction.RAISE_PRIORITY
                and step.get("priority") not in (None, *Priority.values)
            )
            or (
                step["action"] == EscalationAction.REASSIGN_TEAM
                and not Team.objects.filter(workspace_id=workspace_id, pk=step.get("team_id") or 0).exists()
            )
        )
        if bad:
            raise SonnimError(
                SlaError.INVALID_ESCALATION,
                _("Escalation step %(n)s is not valid.") % {"n": i + 1},
                details={"step": i, "value": step},
            )
    return steps


def _apply_policy_fields(policy: SlaPolicy, fields: dict) -> list[str]:
    unknown = set(fields) - POLICY_FIELDS
    if unknown:
        raise SonnimError("invalid_input", _("Unknown fields."), details={"fields": sorted(unknown)})
    if "escalation" in fields:
        _check_escalation(policy.workspace_id, fields["escalation"])
    if (
        fields.get("calendar_id")
        and not BusinessHours.objects.filter(
            workspace_id=policy.workspace_id, pk=fields["calendar_id"]
        ).exists()
    ):
        raise SonnimError(SlaError.CALENDAR_NOT_FOUND, _("Business hours not found."), status=404)
    if "warning_percent" in fields and not 1 <= fields["warning_percent"] <= 100:
        raise SonnimError("invalid_input", _("The warning threshold is a percentage from 1 to 100."))
    for name, value in fields.items():
        setattr(policy, name, value)
    return [f.removesuffix("_id") for f in fields]


@transaction.atomic
def create_policy(workspace: Workspace, *, actor: Actor, **fields) -> SlaPolicy:
    policy = SlaPolicy(workspace=workspace)
    _apply_policy_fields(policy, fields)
    policy.save()
    return policy


@transaction.atomic
def update_policy(policy: SlaPolicy, *, actor: Actor, **fields) -> SlaPolicy:
    policy = SlaPolicy.objects.select_for_update().get(pk=policy.pk, workspace_id=policy.workspace_id)
    changed = _apply_policy_fields(policy, fields)
    if changed:
        policy.save(update_fields=changed)
    return policy


# ---- clocks ---------------------------------------------------------------------------------------


def save_clock(clock: SlaClock, conversation, *, now: datetime) -> None:
    """Save the clock and denormalize its summary onto the conversation (the inbox reads only that row).
    A passed threshold not yet announced keeps the sweep's check time, so nothing is skipped."""
    upcoming = clocks.next_check(clock, now)
    if clock.next_check_at is not None and clock.next_check_at <= now:
        upcoming = clock.next_check_at
    clock.next_check_at = upcoming
    if clock.pk is None:
        clock.save()
    else:
        clock.save(update_fields=[f.attname for f in SlaClock._meta.concrete_fields if not f.primary_key])
    summary = clocks.summarize(clock, now)
    if (conversation.sla_state, conversation.sla_due_at) != (summary.state, summary.due_at):
        conversation.sla_state, conversation.sla_due_at = summary.state, summary.due_at
        type(conversation).objects.filter(pk=conversation.pk).update(
            sla_state=summary.state, sla_due_at=summary.due_at
        )


def _times_for(clock: SlaClock, workspace_zone: str | None = None) -> clocks.PolicyTimes | None:
    if clock.policy_id is None:
        return None
    if workspace_zone is None:
        workspace_zone = Workspace.objects.values_list("time_zone", flat=True).get(pk=clock.workspace_id)
    return policy_times([clock.policy], workspace_zone)[clock.policy_id]


def _compiled_times(policy: SlaPolicy, zone: str, workspace=None) -> clocks.PolicyTimes:
    """The policy's targets on its compiled calendar; cached per configuration version in the pipeline."""
    return config.cached(
        workspace, f"sla.times.{policy.pk}.{zone}", lambda: policy_times([policy], zone)[policy.pk]
    )


def _lock_clock(conversation) -> SlaClock | None:
    return (  # of=self: the policy is an outer join, which PostgreSQL cannot lock
        SlaClock.objects.select_for_update(of=("self",))
        .select_related("policy")
        .filter(conversation=conversation)
        .first()
    )


def start_clock(
    conversation, *, channel_kind: str, tier: str, zone: str, at: datetime, workspace=None
) -> SlaClock | None:
    """Match the first active policy and start first response and resolution; None when none matches.
    `workspace`: the request's row, for the per-process configuration cache (core/config.py)."""
    for policy in active_policies(conversation.workspace_id, workspace=workspace):
        if policy_matches(
            policy,
            channel_kind=channel_kind,
            priority=conversation.priority,
            category=conversation.category,
            tier=tier,
            team_id=conversation.team_id,
        ):
            break
    else:
        return None
    times = _compiled_times(policy, zone, workspace)
    clock = SlaClock(workspace_id=conversation.workspace_id, conversation=conversation, policy=policy)
    clocks.start_target(clock, times, Target.FIRST_RESPONSE, at)
    clocks.start_target(clock, times, Target.RESOLUTION, at)
    try:
        with transaction.atomic():
            save_clock(clock, conversation, now=at)
    except IntegrityError:  # another process started it first
        return _lock_clock(conversation)
    return clock


def on_customer_message(
    conversation, message, *, channel_kind: str, tier: str, workspace, is_new: bool = False
) -> None:
    """The pipeline's SLA step: start the clock of a new conversation; on an existing one, the customer's
    message resumes a paused clock, restarts resolution on a reopened one and starts a next-response
    cycle when an agent has already answered. `is_new`: the conversation was created in this transaction.
    A conversation with a clock always has an sla_state (save_clock), so without one there is none."""
    now, zone = message.created_at, workspace.time_zone
    clock = None if is_new or not conversation.sla_state else _lock_clock(conversation)
    if clock is None:
        start_clock(
            conversation, channel_kind=channel_kind, tier=tier, zone=zone, at=now, workspace=workspace
        )
        return
    times = _compiled_times(clock.policy, zone, workspace) if clock.policy_id else None
    if times is None:
        return
    if clock.paused_at is not None and conversation.status == "open":
        clocks.resume(clock, times, now)
    if clock.resolution_met_at is not None and conversation.status == "open":
        clock.resolution_cycle += 1
        clocks.start_target(clock, times, Target.RESOLUTION, now)
    awaiting = clock.first_response_met_at is not None and not clocks.is_running(clock, Target.NEXT_RESPONSE)
    if awaiting and not message.is_auto_reply:
        clock.next_response_cycle += 1
        clocks.start_target(clock, times, Target.NEXT_RESPONSE, now)
    save_clock(clock, conversation, now=now)


def on_agent_reply(conversation, *, at: datetime) -> None:
    """An agent's reply meets first response and the running next-response cycle."""
    clock = _lock_clock(conversation)
    if clock is None:
        return
    met_first = clocks.meet_target(clock, Target.FIRST_RESPONSE, at)
    met_next = clocks.meet_target(clock, Target.NEXT_RESPONSE, at)
    if met_first or met_next:
        save_clock(clock, conversation, now=at)


def on_status_changed(conversation, *, previous: str, at: datetime | None = None) -> None:
    """pending/snoozed pause the clocks; back to open resumes them (a reopened conversation restarts
    resolution); resolved/closed meet resolution and stop whatever still runs."""
    at = at or timezone.now()
    clock = _lock_clock(conversation)
    if clock is None:
        return
    times = _times_for(clock)
    status = conversation.status
    if status in ("pending", "snoozed"):
        clocks.pause(clock, at)
    elif status == "open" and times is not None:
        clocks.resume(clock, times, at)
        if previous in ("resolved", "closed") and clock.resolution_met_at is not None:
            clock.resolution_cycle += 1
            clocks.start_target(clock, times, Target.RESOLUTION, at)
    elif status in ("resolved", "closed"):
        if clock.paused_at is not None and times is not None:
            clocks.resume(clock, times, at)  # account the paused time, then stop
        clocks.meet_target(clock, Target.RESOLUTION, at)
        if clocks.is_running(clock, Target.NEXT_RESPONSE):  # nothing is awaited from a resolved thread
            clocks.meet_target(clock, Target.NEXT_RESPONSE, at)
    save_clock(clock, conversation, now=at)
