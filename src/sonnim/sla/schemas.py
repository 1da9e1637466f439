from datetime import date, datetime

from ninja import Field, Schema

from .clocks import nearest_target


class SlaOut(Schema):
    state: str  # SlaState
    due_at: datetime | None
    target: str | None  # the running target due first


def sla_out(conversation) -> SlaOut | None:
    """The conversation's SLA from its denormalized pair and its clock; the selector must have fetched
    `sla_clock` (select_related) when a policy applies. No policy, no clock read at all."""
    if not conversation.sla_state:
        return None
    clock = getattr(conversation, "sla_clock", None)
    return SlaOut(
        state=conversation.sla_state,
        due_at=conversation.sla_due_at,
        target=nearest_target(clock) if clock is not None else None,
    )


HOURS_EXAMPLE = {"0": [["10:00", "12:00"], ["13:00", "17:00"]], "5": [], "6": []}


class OverrideOut(Schema):
    date: date
    intervals: list[list[str]]
    note: str


class CalendarOut(Schema):
    id: int
    name: str
    time_zone: str
    weekly_hours: dict[str, list[list[str]]]
    uses_public_holidays: bool
    overrides: list[OverrideOut]


class CalendarIn(Schema):
    name: str = Field(min_length=1, max_length=120)
    time_zone: str = "Asia/Seoul"
    weekly_hours: dict[str, list[list[str]]] | None = Field(None, examples=[HOURS_EXAMPLE])
    uses_public_holidays: bool = True


class CalendarPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=120)
    time_zone: str | None = None
    weekly_hours: dict[str, list[list[str]]] | None = None
    uses_public_holidays: bool | None = None


class OverrideIn(Schema):
    date: date
    intervals: list[list[str]] = Field(default_factory=list)  # [] = closed all day
    note: str = Field("", max_length=200)


class EscalationStep(Schema):
    on: str  # warning | breached
    action: str  # notify_assignee | notify_supervisors | raise_priority | reassign_team
    target: str | None = None  # only for this target; None = any
    priority: str | None = None
    team_id: int | None = None


class PolicyFields(Schema):
    order: int | None = None
    is_active: bool | None = None
    calendar_id: int | None = None
    channel_kinds: list[str] | None = None
    priorities: list[str] | None = None
    categories: list[str] | None = None
    customer_tiers: list[str] | None = None
    team_id: int | None = None
    first_response_minutes: int | None = Field(None, ge=1)
    first_response_business: bool | None = None
    next_response_minutes: int | None = Field(None, ge=1)
    next_response_business: bool | None = None
    resolution_minutes: int | None = Field(None, ge=1)
    resolution_business: bool | None = None
    warning_percent: int | None = Field(None, ge=1, le=100)
    escalation: list[EscalationStep] | None = None


class PolicyIn(PolicyFields):
    name: str = Field(min_length=1, max_length=120)


class PolicyPatch(PolicyFields):
    name: str | None = Field(None, min_length=1, max_length=120)


class PolicyOut(Schema):
    id: int
    name: str
    order: int
    is_active: bool
    calendar_id: int | None
    channel_kinds: list[str]
    priorities: list[str]
    categories: list[str]
    customer_tiers: list[str]
    team_id: int | None
    first_response_minutes: int | None
    first_response_business: bool
    next_response_minutes: int | None
    next_response_business: bool
    resolution_minutes: int | None
    resolution_business: bool
    warning_percent: int
    escalation: list[EscalationStep]


class PlannedStepOut(Schema):
    conversation_id: int
    target: str
    kind: str
    action: str
    detail: dict


class SweepPreviewOut(Schema):
    checked: int
    notices: int
    steps: list[PlannedStepOut]
