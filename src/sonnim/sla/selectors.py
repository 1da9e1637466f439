"""Reads of calendars and policies, and the compiled forms the arithmetic works on."""

import base64
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import F, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from sonnim.core import config
from sonnim.core.errors import NotFound, SonnimError
from sonnim.core.models import Workspace

from .business_hours import Calendar, always_open, parse_intervals
from .clocks import PolicyTimes
from .errors import SlaError
from .models import BusinessHours, BusinessHoursOverride, SlaPolicy


def compile_calendar(hours: BusinessHours, overrides: list[BusinessHoursOverride]) -> Calendar:
    """Weekly hours and overrides as the arithmetic's Calendar (overrides must be passed in: no query)."""
    weekly = tuple(parse_intervals(hours.weekly_hours.get(str(day), [])) for day in range(7))
    return Calendar(
        zone=ZoneInfo(hours.time_zone),
        weekly=weekly,
        overrides={o.date: parse_intervals(o.intervals) for o in overrides},
        uses_holidays=hours.uses_public_holidays,
    )


def get_calendar(workspace: Workspace, calendar_id: int) -> BusinessHours:
    hours = (
        BusinessHours.objects.for_workspace(workspace)
        .filter(pk=calendar_id)
        .prefetch_related(Prefetch("overrides", queryset=BusinessHoursOverride.objects.order_by("date")))
        .first()
    )
    if hours is None:
        raise NotFound(SlaError.CALENDAR_NOT_FOUND, _("Business hours not found."))
    return hours


def list_calendars(workspace: Workspace) -> list[BusinessHours]:
    return list(
        BusinessHours.objects.for_workspace(workspace)
        .prefetch_related(Prefetch("overrides", queryset=BusinessHoursOverride.objects.order_by("date")))
        .order_by("name", "pk")
    )


def get_policy(workspace: Workspace, policy_id: int) -> SlaPolicy:
    policy = SlaPolicy.objects.for_workspace(workspace).filter(pk=policy_id).first()
    if policy is None:
        raise NotFound(SlaError.POLICY_NOT_FOUND, _("SLA policy not found."))
    return policy


def list_policies(workspace: Workspace) -> list[SlaPolicy]:
    return list(SlaPolicy.objects.for_workspace(workspace).order_by("order", "pk"))


def active_policies(workspace_id: int, *, workspace: Workspace | None = None) -> list[SlaPolicy]:
    """`workspace`: the row read with this request, for the per-process cache (core/config.py)."""
    return config.cached(
        workspace,
        "sla.policies",
        lambda: list(
            SlaPolicy.objects.filter(workspace_id=workspace_id, is_active=True).order_by("order", "pk")
        ),
    )


def policy_times(policies: list[SlaPolicy], workspace_zone: str = "Asia/Seoul") -> dict[int, PolicyTimes]:
    """Compiled calendars for these policies, in two queries whatever their number."""
    ids = {p.calendar_id for p in policies if p.calendar_id}
    calendars = {
        h.pk: compile_calendar(h, list(h.overrides.all()))
        for h in BusinessHours.objects.filter(pk__in=ids).prefetch_related("overrides")
    }
    fallback = always_open(workspace_zone)
    return {p.pk: PolicyTimes(p, calendars.get(p.calendar_id, fallback)) for p in policies}


def policy_matches(
    policy: SlaPolicy, *, channel_kind: str, priority: str, category: str, tier: str, team_id: int | None
) -> bool:
    """Every non-empty condition must hold; an empty one matches anything."""
    return (
        (not policy.channel_kinds or channel_kind in policy.channel_kinds)
        and (not policy.priorities or priority in policy.priorities)
        and (not policy.categories or category in policy.categories)
        and (not policy.customer_tiers or tier in policy.customer_tiers)
        and (policy.team_id is None or policy.team_id == team_id)
    )


def encode_sla_cursor(conversation) -> str:
    due = conversation.sla_due_at.isoformat() if conversation.sla_due_at else ""
    return base64.urlsafe_b64encode(f"sla|{due}|{conversation.pk}".encode()).decode().rstrip("=")


def decode_sla_cursor(cursor: str) -> tuple[datetime | None, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, due, pk = raw.split("|")
        if kind != "sla":
            raise ValueError(kind)
        return (datetime.fromisoformat(due) if due else None), int(pk)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SonnimError("bad_cursor", _("The cursor is not valid.")) from exc


def sla_page(qs: QuerySet, *, cursor: str | None, limit: int):
    """Conversations nearest their SLA due time first (no due time last), cursor on (sla_due_at, id)
    over conv_sla_due_idx: the inbox's "sort by SLA"."""
    from sonnim.conversations.models import Tag
    from sonnim.conversations.selectors import Page

    if cursor:
        due, pk = decode_sla_cursor(cursor)
        if due is None:
            qs = qs.filter(sla_due_at__isnull=True, pk__gt=pk)
        else:
            qs = qs.filter(Q(sla_due_at__gt=due) | Q(sla_due_at=due, pk__gt=pk) | Q(sla_due_at__isnull=True))
    rows = list(
        qs.select_related("customer", "inbox", "assignee", "team", "sla_clock")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))
        .order_by(F("sla_due_at").asc(nulls_last=True), "pk")[: limit + 1]
    )
    next_cursor = encode_sla_cursor(rows[limit - 1]) if len(rows) > limit else None
    return Page(items=rows[:limit], next_cursor=next_cursor)
