"""The supervisors' (and admins') settings pages for routing rules, automation rules and survey switches:
list, create, edit, delete. Views parse, call one service, and show a refused change's message on the form."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from sonnim.core.auth import AgentContext
from sonnim.core.errors import SonnimError
from sonnim.core.pages import agent_page, chrome_context

from .forms import EVENT_LABELS, RULE_ERROR_FIELDS, RoutingRuleForm, RuleForm, SurveySwitchForm
from .models import RoutingRule, Rule
from .routing import delete_routing_rule, save_routing_rule
from .rules.actions import RULE_ACTIONS
from .rules.conditions import FIELDS, OPS
from .rules.services import delete_rule, save_rule
from .rules.webhooks import webhook_secret
from .surveys import set_survey_switches, survey_switches


def _actor(request: HttpRequest):
    return AgentContext(agent=request.agent, workspace=request.agent.workspace).actor


def _page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    return render(request, template, {**chrome_context(request, "settings"), **context}, status=status)


def _posted(request: HttpRequest):
    """The POST data, or None on GET (an empty POST, e.g. every checkbox off, is still a submission)."""
    return request.POST if request.method == "POST" else None


def _get(model, request: HttpRequest, pk: int | None):
    if pk is None:
        return None
    row = model.objects.for_workspace(request.agent.workspace).filter(pk=pk).first()
    if row is None:  # another workspace's id: a 404, never a 403
        raise Http404
    return row


# ---- routing rules --------------------------------------------------------------------------------------


@agent_page(supervisor=True)
def routing_list(request: HttpRequest) -> HttpResponse:
    rules = (
        RoutingRule.objects.for_workspace(request.agent.workspace)
        .select_related("team")
        .order_by("order", "pk")
    )
    return _page(request, "automation/pages/routing_list.html", {"rules": rules})


@agent_page(supervisor=True)
def routing_edit(request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
    workspace = request.agent.workspace
    rule = _get(RoutingRule, request, rule_id)
    if request.method == "POST" and "delete" in request.POST and rule is not None:
        delete_routing_rule(rule, actor=_actor(request))
        return redirect("settings-routing")
    form = RoutingRuleForm(_posted(request), workspace=workspace, initial=RoutingRuleForm.initial_for(rule))
    if request.method == "POST":
        if form.is_valid():
            try:
                save_routing_rule(
                    rule or RoutingRule(workspace=workspace), actor=_actor(request), **form.rule_fields()
                )
                return redirect("settings-routing")
            except SonnimError as exc:
                form.add_error(None, exc.message)
        return _page(request, "automation/pages/routing_form.html", {"form": form, "rule": rule}, status=400)
    return _page(request, "automation/pages/routing_form.html", {"form": form, "rule": rule})


# ---- automation rules -----------------------------------------------------------------------------------


@agent_page(supervisor=True)
def rules_list(request: HttpRequest) -> HttpResponse:
    workspace = request.agent.workspace
    rules = list(Rule.objects.for_workspace(workspace).order_by("event_type", "order", "pk"))
    for rule in rules:
        rule.event_label = EVENT_LABELS.get(rule.event_type, rule.event_type)
    context = {"rules": rules, "webhook_secret": webhook_secret(workspace.pk)}
    return _page(request, "automation/pages/rules_list.html", context)


def _reference() -> dict:
    actions = [
        (key, action.label, ", ".join(action.Params.model_fields))
        for key, action in sorted(RULE_ACTIONS.items())
    ]
    return {"condition_fields": sorted(FIELDS), "condition_ops": sorted(OPS), "action_reference": actions}


@agent_page(supervisor=True)
def rule_edit(request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
    workspace = request.agent.workspace
    rule = _get(Rule, request, rule_id)
    if request.method == "POST" and "delete" in request.POST and rule is not None:
        delete_rule(rule, actor=_actor(request))
        return redirect("settings-rules")
    form = RuleForm(_posted(request), workspace=workspace, initial=RuleForm.initial_for(rule))
    context = {"form": form, "rule": rule, **_reference()}
    if request.method == "POST":
        if form.is_valid():
            try:
                save_rule(rule or Rule(workspace=workspace), actor=_actor(request), **form.rule_fields())
                return redirect("settings-rules")
            except SonnimError as exc:
                form.add_error(RULE_ERROR_FIELDS.get(exc.code), _with_details(exc))
        return _page(request, "automation/pages/rule_form.html", context, status=400)
    return _page(request, "automation/pages/rule_form.html", context)


def _with_details(exc: SonnimError) -> str:
    """The service's message, plus the concrete problem when it names one (a bad field, a bad param)."""
    details = exc.details if isinstance(exc.details, dict) else {}
    if "problem" in details:
        return f"{exc.message} ({details['problem']})"
    if details.get("errors"):
        first = details["errors"][0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return f"{exc.message} ({where}: {first.get('msg', '')})"
    return exc.message


# ---- surveys ----------------------------------------------------------------------------------------------


@agent_page(supervisor=True)
def surveys(request: HttpRequest) -> HttpResponse:
    workspace = request.agent.workspace
    current = survey_switches(workspace.pk)
    form = SurveySwitchForm(
        _posted(request),
        initial={"csat_enabled": current.csat_enabled, "nps_enabled": current.nps_enabled},
    )
    saved = False
    if request.method == "POST" and form.is_valid():
        set_survey_switches(workspace, actor=_actor(request), **form.cleaned_data)
        saved = True
    return _page(request, "automation/pages/surveys.html", {"form": form, "saved": saved})
