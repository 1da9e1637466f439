"""Reads of core rows."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from . import crypto
from .errors import CoreError, NotFound
from .models import Agent, ApiToken, Event, Team, Workspace


def get_workspace(workspace_id_or_slug: int | str) -> Workspace:
    lookup = {"pk": int(workspace_id_or_slug)} if str(workspace_id_or_slug).isdigit() else {}
    workspace = Workspace.objects.filter(**lookup or {"slug": workspace_id_or_slug}).first()
    if workspace is None:
        raise NotFound(CoreError.WORKSPACE_NOT_FOUND, _("Workspace not found."))
    return workspace


def get_agent(workspace: Workspace, agent_id: int) -> Agent:
    agent = Agent.objects.for_workspace(workspace).filter(pk=agent_id, is_active=True).first()
    if agent is None:
        raise NotFound(CoreError.AGENT_NOT_FOUND, _("Agent not found."))
    return agent


def get_agent_by_email(workspace: Workspace, email: str) -> Agent:
    agent = (
        Agent.objects.for_workspace(workspace)
        .filter(user__username=crypto.normalize_email(email), is_active=True)
        .first()
    )
    if agent is None:
        raise NotFound(CoreError.AGENT_NOT_FOUND, _("Agent not found."))
    return agent


def get_team(workspace: Workspace, team_id: int) -> Team:
    team = Team.objects.for_workspace(workspace).filter(pk=team_id).first()
    if team is None:
        raise NotFound(CoreError.TEAM_NOT_FOUND, _("Team not found."))
    return team


def agents_of_user(user) -> QuerySet[Agent]:
    return (
        Agent.objects.filter(user=user, is_active=True)
        .select_related("workspace")
        .order_by("workspace__name")
    )


def token_for_key(key: str) -> ApiToken | None:
    return (
        ApiToken.objects.filter(key_hash=crypto.secret_hash(key), agent__is_active=True)
        .select_related("agent", "agent__workspace", "agent__user")
        .first()
    )


def events_after(workspace: Workspace, after: int, *, limit: int = 500) -> list[Event]:
    return list(Event.objects.for_workspace(workspace).filter(seq__gt=after).order_by("seq")[:limit])


def last_seq(workspace: Workspace) -> int:
    from .models import EventCounter

    return EventCounter.objects.filter(workspace=workspace).values_list("last_seq", flat=True).first() or 0
