"""SLA settings (business hours, policies) and the sweep preview. Reads for every agent; writes and the
preview for supervisors and up."""

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router
from ninja.responses import Status

from sonnim.core.auth import agent_auth
from sonnim.core.choices import SUPERVISOR_ROLES
from sonnim.core.errors import CoreError, SonnimError

from . import selectors, services
from .models import BusinessHours, SlaPolicy
from .schemas import (
    CalendarIn,
    CalendarOut,
    CalendarPatch,
    OverrideIn,
    OverrideOut,
    PolicyIn,
    PolicyOut,
    PolicyPatch,
    SweepPreviewOut,
)
from .sweep import sweep_sla

router = Router(tags=["sla"], auth=agent_auth)


def _require_supervisor(request: HttpRequest) -> None:
    if request.auth.agent.role not in SUPERVISOR_ROLES:
        raise SonnimError(
            CoreError.PERMISSION_DENIED, _("Only supervisors can change SLA settings."), status=403
        )


def calendar_out(hours: BusinessHours) -> CalendarOut:
    return CalendarOut(
        id=hours.pk,
        name=hours.name,
        time_zone=hours.time_zone,
        weekly_hours=hours.weekly_hours,
        uses_public_holidays=hours.uses_public_holidays,
        overrides=[
            OverrideOut(date=o.date, intervals=o.intervals, note=o.note) for o in hours.overrides.all()
        ],
    )


def policy_out(policy: SlaPolicy) -> PolicyOut:
    return PolicyOut.model_validate(policy, from_attributes=True)


@router.get("/sla/calendars", response=list[CalendarOut])
def list_calendars(request: HttpRequest):
    return [calendar_out(h) for h in selectors.list_calendars(request.auth.workspace)]


@router.post("/sla/calendars", response={201: CalendarOut})
def create_calendar(request: HttpRequest, payload: CalendarIn):
    _require_supervisor(request)
    ctx = request.auth
    hours = services.create_calendar(ctx.workspace, actor=ctx.actor, **payload.model_dump(exclude_none=True))
    return Status(201, calendar_out(selectors.get_calendar(ctx.workspace, hours.pk)))


@router.get("/sla/calendars/{calendar_id}", response=CalendarOut)
def get_calendar(request: HttpRequest, calendar_id: int):
    return calendar_out(selectors.get_calendar(request.auth.workspace, calendar_id))


@router.patch("/sla/calendars/{calendar_id}", response=CalendarOut)
def update_calendar(request: HttpRequest, calendar_id: int, payload: CalendarPatch):
    _require_supervisor(request)
    ctx = request.auth
    hours = selectors.get_calendar(ctx.workspace, calendar_id)
    services.update_calendar(hours, actor=ctx.actor, **payload.model_dump(exclude_unset=True))
    return calendar_out(selectors.get_calendar(ctx.workspace, calendar_id))


@router.post("/sla/calendars/{calendar_id}/overrides", response=CalendarOut)
def set_override(request: HttpRequest, calendar_id: int, payload: OverrideIn):
    """A company day off (`intervals: []`) or a special opening on one date; a date set again is replaced."""
    _require_supervisor(request)
    ctx = request.auth
    hours = selectors.get_calendar(ctx.workspace, calendar_id)
    services.set_override(
        hours, day=payload.date, intervals=payload.intervals, note=payload.note, actor=ctx.actor
    )
    return calendar_out(selectors.get_calendar(ctx.workspace, calendar_id))


@router.get("/sla/policies", response=list[PolicyOut])
def list_policies(request: HttpRequest):
    return [policy_out(p) for p in selectors.list_policies(request.auth.workspace)]


@router.post("/sla/policies", response={201: PolicyOut})
def create_policy(request: HttpRequest, payload: PolicyIn):
    _require_supervisor(request)
    ctx = request.auth
    fields = payload.model_dump(exclude_unset=True)
    _check_team(request, fields)
    policy = services.create_policy(ctx.workspace, actor=ctx.actor, **fields)
    return Status(201, policy_out(policy))


@router.get("/sla/policies/{policy_id}", response=PolicyOut)
def get_policy(request: HttpRequest, policy_id: int):
    return policy_out(selectors.get_policy(request.auth.workspace, policy_id))


@router.patch("/sla/policies/{policy_id}", response=PolicyOut)
def update_policy(request: HttpRequest, policy_id: int, payload: PolicyPatch):
    _require_supervisor(request)
    ctx = request.auth
    policy = selectors.get_policy(ctx.workspace, policy_id)
    fields = payload.model_dump(exclude_unset=True)
    _check_team(request, fields)
    return policy_out(services.update_policy(policy, actor=ctx.actor, **fields))


def _check_team(request: HttpRequest, fields: dict) -> None:
    from sonnim.core.selectors import get_team

    if fields.get("team_id"):
        get_team(request.auth.workspace, fields["team_id"])  # another workspace's team is a 404
    for step in fields.get("escalation") or []:
        for key in [k for k, v in step.items() if v is None]:
            del step[key]


@router.get("/sla/sweep/preview", response=SweepPreviewOut)
def preview_sweep(request: HttpRequest):
    """What the next SLA sweep would announce and escalate in this workspace right now. Writes nothing."""
    _require_supervisor(request)
    result = sweep_sla(now=timezone.now(), dry_run=True, workspace_id=request.auth.workspace.pk)
    return SweepPreviewOut(checked=result.checked, notices=result.notices, steps=result.steps)
