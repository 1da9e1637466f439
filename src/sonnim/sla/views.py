"""The supervisors' (and admins') settings pages for business hours (with date overrides) and SLA policies:
list, create, edit, delete. Views parse, call one service, and show a refused change's message on the form."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from sonnim.core.auth import AgentContext
from sonnim.core.errors import SonnimError
from sonnim.core.pages import agent_page, chrome_context

from . import selectors, services
from .forms import BusinessHoursForm, OverrideForm, PolicyForm
from .models import BusinessHours, BusinessHoursOverride, SlaPolicy


def _actor(request: HttpRequest):
    return AgentContext(agent=request.agent, workspace=request.agent.workspace).actor


def _page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    return render(request, template, {**chrome_context(request, "settings"), **context}, status=status)


@agent_page(supervisor=True)
def hours_list(request: HttpRequest) -> HttpResponse:
    calendars = selectors.list_calendars(request.agent.workspace)
    return _page(request, "sla/pages/hours_list.html", {"calendars": calendars})


def _calendar_or_404(request: HttpRequest, calendar_id: int | None) -> BusinessHours | None:
    if calendar_id is None:
        return None
    hours = BusinessHours.objects.for_workspace(request.agent.workspace).filter(pk=calendar_id).first()
    if hours is None:
        raise Http404
    return hours


@agent_page(supervisor=True)
def hours_edit(request: HttpRequest, calendar_id: int | None = None) -> HttpResponse:
    hours = _calendar_or_404(request, calendar_id)
    actor = _actor(request)
    if request.method == "POST" and "delete" in request.POST and hours is not None:
        try:
            services.delete_calendar(hours, actor=actor)
            return redirect("settings-hours")
        except SonnimError as exc:
            form = BusinessHoursForm(initial=BusinessHoursForm.initial_for(hours))
            return _hours_page(request, hours, form, error=exc.message)
    if request.method == "POST" and "delete_override" in request.POST and hours is not None:
        override = BusinessHoursOverride.objects.filter(
            calendar=hours, pk=request.POST["delete_override"]
        ).first()
        if override is not None:
            services.delete_override(override, actor=actor)
        return redirect("settings-hours-edit", calendar_id=hours.pk)
    if request.method == "POST" and "add_override" in request.POST and hours is not None:
        override_form = OverrideForm(request.POST, prefix="override")
        if override_form.is_valid():
            d = override_form.cleaned_data
            services.set_override(hours, day=d["date"], intervals=d["hours"], note=d["note"], actor=actor)
            return redirect("settings-hours-edit", calendar_id=hours.pk)
        form = BusinessHoursForm(initial=BusinessHoursForm.initial_for(hours))
        return _hours_page(request, hours, form, override_form=override_form, status=400)
    if request.method == "POST":
        form = BusinessHoursForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            fields = {
                "name": d["name"].strip(),
                "time_zone": d["time_zone"].strip(),
                "uses_public_holidays": d["uses_public_holidays"],
                "weekly_hours": d["weekly_hours"],
            }
            try:
                if hours is None:
                    hours = services.create_calendar(request.agent.workspace, actor=actor, **fields)
                else:
                    taken = (
                        BusinessHours.objects.for_workspace(request.agent.workspace)
                        .filter(name=fields["name"])
                        .exclude(pk=hours.pk)
                        .exists()
                    )
                    if taken:
                        raise SonnimError("calendar_name_taken", _name_taken())
                    services.update_calendar(hours, actor=actor, **fields)
                return redirect("settings-hours-edit", calendar_id=hours.pk)
            except SonnimError as exc:
                form.add_error(_error_field(exc), exc.message)
        return _hours_page(request, hours, form, status=400)
    return _hours_page(request, hours, BusinessHoursForm(initial=BusinessHoursForm.initial_for(hours)))


def _error_field(exc: SonnimError) -> str | None:
    if exc.code == "calendar_name_taken":
        return "name"
    if isinstance(exc.details, dict) and "time_zone" in exc.details:
        return "time_zone"
    return None


def _name_taken() -> str:
    from django.utils.translation import gettext as _

    return _("Business hours with this name exist.")


def _hours_page(request, hours, form, *, override_form=None, error: str = "", status: int = 200):
    overrides = list(hours.overrides.order_by("date")) if hours else []
    context = {
        "hours": hours,
        "form": form,
        "override_form": override_form or OverrideForm(prefix="override"),
        "overrides": overrides,
        "error": error,
    }
    return _page(request, "sla/pages/hours_form.html", context, status=400 if error else status)


@agent_page(supervisor=True)
def policies_list(request: HttpRequest) -> HttpResponse:
    policies = SlaPolicy.objects.for_workspace(request.agent.workspace).select_related("calendar", "team")
    return _page(request, "sla/pages/policies_list.html", {"policies": policies.order_by("order", "pk")})


@agent_page(supervisor=True)
def policy_edit(request: HttpRequest, policy_id: int | None = None) -> HttpResponse:
    workspace = request.agent.workspace
    policy = None
    if policy_id is not None:
        policy = SlaPolicy.objects.for_workspace(workspace).filter(pk=policy_id).first()
        if policy is None:
            raise Http404
    actor = _actor(request)
    if request.method == "POST" and "delete" in request.POST and policy is not None:
        services.delete_policy(policy, actor=actor)
        return redirect("settings-sla")
    posted = request.POST if request.method == "POST" else None
    form = PolicyForm(posted, workspace=workspace, initial=PolicyForm.initial_for(policy) or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                if policy is None:
                    services.create_policy(workspace, actor=actor, **form.policy_fields())
                else:
                    services.update_policy(policy, actor=actor, **form.policy_fields())
                return redirect("settings-sla")
            except SonnimError as exc:
                form.add_error(None, exc.message)
        return _page(request, "sla/pages/policy_form.html", {"form": form, "policy": policy}, status=400)
    return _page(request, "sla/pages/policy_form.html", {"form": form, "policy": policy})
