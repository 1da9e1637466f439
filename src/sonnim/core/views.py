"""Core pages: the workspace switcher, health, and the admins' settings for inboxes, agents and teams."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from sonnim.inboxes.choices import ChannelKind
from sonnim.inboxes.selectors import inbound_url, inboxes_of
from sonnim.inboxes.services import create_inbox

from .auth import SESSION_WORKSPACE_KEY, AgentContext
from .choices import Role
from .errors import SonnimError
from .models import Agent, Team
from .pages import agent_page, chrome_context
from .services import create_agent, create_team


@login_required
@require_POST
def switch_workspace(request: HttpRequest, workspace_id: int) -> HttpResponse:
    """Agents in several workspaces choose one per session; others' ids are simply ignored."""
    if Agent.objects.filter(user=request.user, workspace_id=workspace_id, is_active=True).exists():
        request.session[SESSION_WORKSPACE_KEY] = workspace_id
    return redirect("/")


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True, "database": connection.vendor})


def _actor(request: HttpRequest):
    return AgentContext(agent=request.agent, workspace=request.agent.workspace).actor


def _settings_page(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    return render(request, template, {**chrome_context(request, "settings"), **context})


class InboxForm(forms.Form):
    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(choices=ChannelKind.choices, initial=ChannelKind.API)
    webhook_url = forms.URLField(required=False, assume_scheme="https")


@agent_page(admin=True)
def settings_inboxes(request: HttpRequest) -> HttpResponse:
    """Create inboxes; a new inbox's key is shown once, with the URL the shop posts to."""
    workspace = request.agent.workspace
    form = InboxForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        created = create_inbox(workspace, actor=_actor(request), **form.cleaned_data)
        form = InboxForm()
    inboxes = [(inbox, inbound_url(inbox)) for inbox in inboxes_of(workspace)]
    context = {"form": form, "inboxes": inboxes, "created": created}
    if created:
        context["created_url"] = inbound_url(created.inbox)
    return _settings_page(request, "core/pages/settings_inboxes.html", context)


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
