"""Core endpoints: who am I, agents, teams, and the event catch-up."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from . import selectors
from .auth import agent_auth
from .events import serialize_event
from .models import Agent, Team

router = Router(tags=["core"], auth=agent_auth)


class AgentOut(Schema):
    id: int
    name: str
    email: str
    role: str


class MeOut(Schema):
    agent: AgentOut
    workspace: dict
    last_seq: int


def agent_out(agent: Agent) -> AgentOut:
    return AgentOut(id=agent.pk, name=agent.display_name, email=agent.user.username, role=agent.role)


@router.get("/me", response=MeOut)
def me(request: HttpRequest):
    ctx = request.auth
    return MeOut(
        agent=agent_out(ctx.agent),
        workspace={"id": ctx.workspace.pk, "name": ctx.workspace.name, "time_zone": ctx.workspace.time_zone},
        last_seq=selectors.last_seq(ctx.workspace),
    )


@router.get("/agents", response=list[AgentOut])
def list_agents(request: HttpRequest):
    agents = Agent.objects.for_workspace(request.auth.workspace).filter(is_active=True).select_related("user")
    return [agent_out(a) for a in agents.order_by("display_name", "pk")]


class TeamOut(Schema):
    id: int
    name: str
    member_ids: list[int]


@router.get("/teams", response=list[TeamOut])
def list_teams(request: HttpRequest):
    teams = Team.objects.for_workspace(request.auth.workspace).prefetch_related("members").order_by("name")
    return [TeamOut(id=t.pk, name=t.name, member_ids=sorted(m.pk for m in t.members.all())) for t in teams]


class EventOut(Schema):
    seq: int
    type: str
    actor: dict
    conversation_id: int | None
    customer_id: int | None
    data: dict
    created_at: datetime


class EventsOut(Schema):
    events: list[EventOut]
    last_seq: int = Field(
        description="The workspace's newest sequence number; ask again after the last event"
    )
    has_more: bool


@router.get("/events", response=EventsOut)
def list_events(request: HttpRequest, after: int = 0, limit: int = Query(500, ge=1, le=1000)):
    """Everything after sequence `after`, oldest first: what a reconnecting client missed."""
    events = selectors.events_after(request.auth.workspace, after, limit=limit + 1)
    return EventsOut(
        events=[serialize_event(e) for e in events[:limit]],
        last_seq=selectors.last_seq(request.auth.workspace),
        has_more=len(events) > limit,
    )
