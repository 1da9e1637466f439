"""Writes of core rows: workspaces, agents, teams, API tokens."""

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from . import crypto
from .actors import SYSTEM, Actor
from .choices import Role
from .errors import CoreError, SonnimError
from .events import record_event
from .models import Agent, ApiToken, EventCounter, Team, Workspace


@transaction.atomic
def create_workspace(*, name: str, slug: str | None = None, actor: Actor = SYSTEM) -> Workspace:
    base = slugify(slug or name, allow_unicode=False) or "workspace"
    candidate, n = base, 1
    while Workspace.objects.filter(slug=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    workspace = Workspace.objects.create(name=name, slug=candidate)
    EventCounter.objects.create(workspace=workspace)
    record_event(workspace, "workspace.created", actor=actor, data={"name": name})
    return workspace


@dataclass(frozen=True)
class CreatedAgent:
    agent: Agent
    password: str | None  # set when a new login was made: shown once


@transaction.atomic
def create_agent(
    workspace: Workspace,
    *,
    email: str,
    role: Role = Role.AGENT,
    display_name: str | None = None,
    password: str | None = None,
    actor: Actor = SYSTEM,
) -> CreatedAgent:
    """Add a person to a workspace. An existing login (same email) joins with its own password."""
    if role not in Role.values:
        raise SonnimError(CoreError.INVALID_INPUT, _("Unknown role."), details={"role": role})
    email = crypto.normalize_email(email)
    User = get_user_model()
    user = User.objects.filter(username=email).first()
    new_password = None
    if user is None:
        new_password = password or secrets.token_urlsafe(12)
        user = User.objects.create_user(username=email, email=email, password=new_password)
    if Agent.objects.filter(workspace=workspace, user=user).exists():
        raise SonnimError(CoreError.INVALID_INPUT, _("This person is already an agent here."), status=409)
    agent = Agent.objects.create(
        workspace=workspace, user=user, role=role, display_name=display_name or email.split("@")[0]
    )
    record_event(workspace, "agent.created", actor=actor, data={"agent_id": agent.pk, "role": role})
    return CreatedAgent(agent=agent, password=new_password)


@transaction.atomic
def create_team(workspace: Workspace, *, name: str, members: list[Agent] = (), actor: Actor = SYSTEM) -> Team:
    team = Team.objects.create(workspace=workspace, name=name)
    team.members.set([m for m in members if m.workspace_id == workspace.pk])
    record_event(workspace, "team.created", actor=actor, data={"team_id": team.pk})
    return team


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    key: str  # shown once


@transaction.atomic
def create_api_token(
    agent: Agent, *, name: str = "", key: str | None = None, actor: Actor = SYSTEM
) -> CreatedToken:
    """A new token; `key` is for the demo only, which prints the same token on every run."""
    key = key or "snm_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        workspace_id=agent.workspace_id,
        agent=agent,
        name=name,
        key_hash=crypto.secret_hash(key),
        prefix=key[:8],
    )
    record_event(agent.workspace_id, "token.created", actor=actor, data={"token_id": token.pk})
    return CreatedToken(token=token, key=key)


def touch_token(token: ApiToken) -> None:
    """last_used_at at most once a minute: no write on every API call."""
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)


@transaction.atomic
def set_agent_language(agent: Agent, *, language: str, actor: Actor) -> None:
    """The person's UI language, on each of their memberships (a language is a person's, not a shop's).
    One event per workspace whose agent changed."""
    from django.conf import settings

    if language not in dict(settings.LANGUAGES):
        raise SonnimError(CoreError.INVALID_INPUT, _("Unknown language."), details={"language": language})
    changed = list(
        Agent.objects.filter(user_id=agent.user_id)
        .exclude(language=language)
        .values_list("pk", "workspace_id")
    )
    Agent.objects.filter(pk__in=[pk for pk, _ws in changed]).update(language=language)
    for pk, workspace_id in changed:
        record_event(
            workspace_id, "agent.language_changed", actor=actor, data={"agent_id": pk, "language": language}
        )
    agent.language = language
