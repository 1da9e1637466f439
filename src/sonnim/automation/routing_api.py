"""Routing settings and agent availability: /api/v1/routing/... (registered in sonnim/api.py)."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status

from sonnim.core.auth import agent_auth
from sonnim.core.choices import SUPERVISOR_ROLES
from sonnim.core.errors import CoreError, NotFound, SonnimError

from .models import AgentStatus, RoutingRule, Rule
from .routing import RoutingError, save_routing_rule, set_agent_status
from .rules.services import preview_rule, save_rule

router = Router(tags=["routing", "rules"], auth=agent_auth)


def _require_supervisor(request: HttpRequest) -> None:
    if request.auth.agent.role not in SUPERVISOR_ROLES:
        raise SonnimError(
            CoreError.PERMISSION_DENIED, _("Only supervisors can change automation."), status=403
        )


class StatusIn(Schema):
    status: str
    capacity: dict[str, int] | None = None
    default_capacity: int | None = Field(None, ge=0, le=500)


class StatusOut(Schema):
    agent_id: int
    status: str
    capacity: dict[str, int]
    default_capacity: int


def status_out(row: AgentStatus) -> StatusOut:
    return StatusOut(
        agent_id=row.agent_id, status=row.status, capacity=row.capacity, default_capacity=row.default_capacity
    )


@router.post("/routing/status", response=StatusOut)
def set_my_status(request: HttpRequest, payload: StatusIn):
    """The caller's own availability; going offline hands their open chats back to routing."""
    ctx = request.auth
    return status_out(set_agent_status(ctx.agent, actor=ctx.actor, **payload.model_dump(exclude_none=True)))


@router.get("/routing/agents", response=list[StatusOut])
def list_statuses(request: HttpRequest):
    rows = AgentStatus.objects.for_workspace(request.auth.workspace).order_by("agent_id")
    return [status_out(r) for r in rows]


class RoutingRuleIn(Schema):
    name: str = Field(min_length=1, max_length=120)
    order: int = 0
    is_active: bool = True
    channel_kinds: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    customer_tiers: list[str] = Field(default_factory=list)
    team_id: int
    strategy: str = RoutingRule.ROUND_ROBIN


class RoutingRulePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=120)
    order: int | None = None
    is_active: bool | None = None
    channel_kinds: list[str] | None = None
    categories: list[str] | None = None
    languages: list[str] | None = None
    customer_tiers: list[str] | None = None
    team_id: int | None = None
    strategy: str | None = None


class RoutingRuleOut(RoutingRuleIn):
    id: int


def routing_rule_out(rule: RoutingRule) -> RoutingRuleOut:
    return RoutingRuleOut.model_validate(rule, from_attributes=True)


@router.get("/routing/rules", response=list[RoutingRuleOut])
def list_routing_rules(request: HttpRequest):
    rows = RoutingRule.objects.for_workspace(request.auth.workspace).order_by("order", "pk")
    return [routing_rule_out(r) for r in rows]


@router.post("/routing/rules", response={201: RoutingRuleOut})
def create_routing_rule(request: HttpRequest, payload: RoutingRuleIn):
    _require_supervisor(request)
    ctx = request.auth
    rule = save_routing_rule(RoutingRule(workspace=ctx.workspace), actor=ctx.actor, **payload.model_dump())
    return Status(201, routing_rule_out(rule))


@router.patch("/routing/rules/{int:rule_id}", response=RoutingRuleOut)
def update_routing_rule(request: HttpRequest, rule_id: int, payload: RoutingRulePatch):
    _require_supervisor(request)
    ctx = request.auth
    rule = RoutingRule.objects.for_workspace(ctx.workspace).filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(RoutingError.RULE_NOT_FOUND, _("Routing rule not found."))
    return routing_rule_out(
        save_routing_rule(rule, actor=ctx.actor, **payload.model_dump(exclude_unset=True))
    )


class RuleIn(Schema):
    name: str = Field(min_length=1, max_length=120)
    order: int = 0
    is_active: bool = True
    event_type: str
    conditions: list[dict] = Field(default_factory=list, max_length=50)
    actions: list[dict] = Field(min_length=1, max_length=20)
    # event_type "time.elapsed": {"since": "status_changed", "minutes": 2880, "calendar_id": null}
    time_trigger: dict = Field(default_factory=dict)


class RulePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=120)
    order: int | None = None
    is_active: bool | None = None
    event_type: str | None = None
    conditions: list[dict] | None = None
    actions: list[dict] | None = None
    time_trigger: dict | None = None


class RuleOut(RuleIn):
    id: int
    fire_count: int


class PreviewIn(Schema):
    conditions: list[dict] = Field(default_factory=list, max_length=50)
    actions: list[dict] = Field(default_factory=list, max_length=20)


class PreviewHitOut(Schema):
    conversation_id: int
    actions: list[dict]


def rule_out(rule: Rule) -> RuleOut:
    return RuleOut.model_validate(rule, from_attributes=True)


@router.get("/automation/rules", response=list[RuleOut])
def list_rules(request: HttpRequest):
    return [
        rule_out(r)
        for r in Rule.objects.for_workspace(request.auth.workspace).order_by("event_type", "order", "pk")
    ]


@router.post("/automation/rules", response={201: RuleOut})
def create_rule(request: HttpRequest, payload: RuleIn):
    _require_supervisor(request)
    ctx = request.auth
    return Status(
        201, rule_out(save_rule(Rule(workspace=ctx.workspace), actor=ctx.actor, **payload.model_dump()))
    )


@router.patch("/automation/rules/{int:rule_id}", response=RuleOut)
def update_rule(request: HttpRequest, rule_id: int, payload: RulePatch):
    _require_supervisor(request)
    ctx = request.auth
    rule = Rule.objects.for_workspace(ctx.workspace).filter(pk=rule_id).first()
    if rule is None:
        raise NotFound("rule_not_found", _("Rule not found."))
    return rule_out(save_rule(rule, actor=ctx.actor, **payload.model_dump(exclude_unset=True)))


@router.post("/automation/rules/preview", response=list[PreviewHitOut])
def preview(request: HttpRequest, payload: PreviewIn):
    """Which of the last 100 conversations these conditions match and what the actions would do. Writes
    nothing."""
    _require_supervisor(request)
    hits = preview_rule(request.auth.workspace, conditions=payload.conditions, actions=payload.actions)
    return [PreviewHitOut(conversation_id=h.conversation_id, actions=h.actions) for h in hits]


# ---- macros and auto-close -----------------------------------------------------------------------


class MacroIn(Schema):
    key: str = Field(min_length=1, max_length=60, pattern=r"^[-a-zA-Z0-9_]+$")
    title: str = Field(min_length=1, max_length=120)
    text: str = Field(min_length=1, max_length=10_000)
    language: str = Field("ko", max_length=8)
    actions: list[dict] = Field(default_factory=list, max_length=20)
    shared: bool = True


class MacroOut(Schema):
    id: int
    key: str
    title: str
    text: str
    language: str
    actions: list[dict]
    shared: bool
    usage_count: int


class RenderedOut(Schema):
    text: str
    missing: list[str]  # variables without a value: the composer warns before sending


class ApplyIn(Schema):
    allow_missing: bool = False


class AppliedOut(RenderedOut):
    message_id: int


def macro_out(m) -> MacroOut:
    return MacroOut(
        id=m.pk,
        key=m.key,
        title=m.title,
        text=m.text,
        language=m.language,
        actions=m.actions,
        shared=m.is_shared,
        usage_count=m.usage_count,
    )


@router.get("/macros", response=list[MacroOut])
def list_macros(request: HttpRequest, language: str = "ko"):
    from .macro_services import visible_macros

    return [macro_out(m) for m in visible_macros(request.auth.agent, language=language)]


@router.post("/macros", response={201: MacroOut})
def create_macro(request: HttpRequest, payload: MacroIn):
    from .macro_services import create_macro as create

    ctx = request.auth
    if payload.shared:
        _require_supervisor(request)  # personal macros are anyone's; shared ones are a supervisor's call
    data = payload.model_dump()
    macro = create(ctx.workspace, is_shared=data.pop("shared"), created_by=ctx.agent, actor=ctx.actor, **data)
    return Status(201, macro_out(macro))


@router.get("/conversations/{conversation_id}/macros/{macro_id}/render", response=RenderedOut)
def render_macro(request: HttpRequest, conversation_id: int, macro_id: int):
    from sonnim.conversations.selectors import get_conversation

    from .macro_services import get_macro, render_macro

    ctx = request.auth
    rendered = render_macro(
        get_macro(ctx.agent, macro_id), get_conversation(ctx.workspace, conversation_id), agent=ctx.agent
    )
    return RenderedOut(text=rendered.text, missing=rendered.missing)


@router.post("/conversations/{conversation_id}/macros/{macro_id}/apply", response={201: AppliedOut})
def apply_macro(request: HttpRequest, conversation_id: int, macro_id: int, payload: ApplyIn):
    from sonnim.conversations.selectors import get_conversation

    from .macro_services import apply_macro as apply
    from .macro_services import get_macro

    ctx = request.auth
    applied = apply(
        get_macro(ctx.agent, macro_id),
        get_conversation(ctx.workspace, conversation_id),
        agent=ctx.agent,
        allow_missing=payload.allow_missing,
    )
    return Status(
        201,
        AppliedOut(
            text=applied.rendered.text, missing=applied.rendered.missing, message_id=applied.message_id
        ),
    )


class AutoCloseIn(Schema):
    days: int = Field(ge=1, le=365)
    final_message: str = Field("", max_length=2000)
    is_active: bool = True


@router.put("/automation/auto-close", response=AutoCloseIn)
def set_auto_close(request: HttpRequest, payload: AutoCloseIn):
    from .models import AutoCloseSetting

    _require_supervisor(request)
    row, _created = AutoCloseSetting.objects.update_or_create(
        workspace=request.auth.workspace, defaults=payload.model_dump()
    )
    return AutoCloseIn(days=row.days, final_message=row.final_message, is_active=row.is_active)


class SurveySwitchesIn(Schema):
    csat_enabled: bool = True
    nps_enabled: bool = True


@router.get("/automation/surveys", response=SurveySwitchesIn)
def get_survey_switches(request: HttpRequest):
    from .surveys import survey_switches

    row = survey_switches(request.auth.workspace.pk)
    return SurveySwitchesIn(csat_enabled=row.csat_enabled, nps_enabled=row.nps_enabled)


@router.put("/automation/surveys", response=SurveySwitchesIn)
def put_survey_switches(request: HttpRequest, payload: SurveySwitchesIn):
    """Which surveys go out after resolution: CSAT (1-5), NPS (0-10, capped per customer), both or none."""
    from .surveys import set_survey_switches

    _require_supervisor(request)
    ctx = request.auth
    row = set_survey_switches(ctx.workspace, actor=ctx.actor, **payload.model_dump())
    return SurveySwitchesIn(csat_enabled=row.csat_enabled, nps_enabled=row.nps_enabled)
