"""Core pages: the workspace switcher, the language toggle, health, and the admins' settings for agents and
teams (inboxes' settings live in inboxes/views.py)."""

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from .auth import SESSION_WORKSPACE_KEY, AgentContext
from .choices import Role
from .errors import SonnimError
from .models import Agent, Team
from .pages import agent_page, chrome_context
from .services import create_agent, create_team, set_agent_language


@login_required
@require_POST
def switch_workspace(request: HttpRequest, workspace_id: int) -> HttpResponse:
    """Agents in several workspaces choose one per session; others' ids are simply ignored."""
    if Agent.objects.filter(user=request.user, workspace_id=workspace_id, is_active=True).exists():
        request.session[SESSION_WORKSPACE_KEY] = workspace_id
    return redirect("/")


@require_POST
@agent_page
def set_language(request: HttpRequest) -> HttpResponse:
    """The language toggle: saved on the agent's profile (every workspace of the person), so the next login
    speaks it; the cookie keeps the login page in step."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return HttpResponse(status=400)
    set_agent_language(request.agent, language=language, actor=_actor(request))
    next_url = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    response = redirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
    )
    return response


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True, "database": connection.vendor})


def _actor(request: HttpRequest):
    return AgentContext(agent=request.agent, workspace=request.agent.workspace).actor


def _settings_page(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    return render(request, template, {**chrome_context(request, "settings"), **context})


class AgentForm(forms.Form):
    email = forms.EmailField()
    display_name = forms.CharField(max_length=120, required=False)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.AGENT)


@agent_page(admin=True)
def settings_agents(request: HttpRequest) -> HttpResponse:
    workspace = request.agent.workspace
    form = AgentForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = create_agent(
                workspace,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                display_name=form.cleaned_data["display_name"] or None,
                actor=_actor(request),
            )
            form = AgentForm()
        except SonnimError as exc:
            form.add_error(None, exc.message)
    agents = (
        Agent.objects.for_workspace(workspace)
        .select_related("user")
        .prefetch_related("teams")
        .order_by("display_name", "pk")
    )
    return _settings_page(
        request, "core/pages/settings_agents.html", {"form": form, "agents": agents, "created": created}
    )


class TeamForm(forms.Form):
    name = forms.CharField(max_length=120)
    members = forms.ModelMultipleChoiceField(
        queryset=Agent.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, workspace, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.fields["members"].queryset = Agent.objects.for_workspace(workspace).filter(is_active=True)
        self.fields["members"].label_from_instance = lambda a: a.display_name

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if Team.objects.for_workspace(self.workspace).filter(name=name).exists():
            raise forms.ValidationError(_("A team with this name exists."))
        return name


@agent_page(admin=True)
def settings_teams(request: HttpRequest) -> HttpResponse:
    workspace = request.agent.workspace
    form = TeamForm(request.POST or None, workspace=workspace)
    if request.method == "POST" and form.is_valid():
        create_team(
            workspace,
            name=form.cleaned_data["name"],
            members=list(form.cleaned_data["members"]),
            actor=_actor(request),
        )
        return redirect("settings-teams")
    teams = Team.objects.for_workspace(workspace).prefetch_related("members").order_by("name")
    return _settings_page(request, "core/pages/settings_teams.html", {"form": form, "teams": teams})
