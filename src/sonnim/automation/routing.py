"""Routing and assignment: a conversation goes to a team by the first matching RoutingRule, then to one
of the team's online agents below their capacity for the channel (round robin or least load).

Concurrency: the agents' AgentStatus rows are locked in pk order while loads are counted and the choice
is saved, so two arrivals at once cannot both take an agent's last free slot. Lock order everywhere:
conversation -> event counter -> agent status rows (set_agent_status records its event first)."""

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from sonnim.core import config
from sonnim.core.actors import SYSTEM, Actor
from sonnim.core.errors import SonnimError
from sonnim.core.events import record_event
from sonnim.core.models import Agent, Team, Workspace

from .models import AgentStatus, RoutingRule


class RoutingError(StrEnum):
    INVALID_STATUS = "invalid_agent_status"
    INVALID_RULE = "invalid_routing_rule"
    RULE_NOT_FOUND = "routing_rule_not_found"


@dataclass(frozen=True)
class Routed:
    team_id: int | None
    assignee_id: int | None
    rule_id: int | None


def rule_matches(rule: RoutingRule, *, channel_kind: str, category: str, language: str, tier: str) -> bool:
    return (
        (not rule.channel_kinds or channel_kind in rule.channel_kinds)
        and (not rule.categories or category in rule.categories)
        and (not rule.languages or language in rule.languages)
        and (not rule.customer_tiers or tier in rule.customer_tiers)
    )


def first_rule(workspace_id: int, *, workspace: Workspace | None = None, **facts) -> RoutingRule | None:
    """`workspace`: the request's row, for the per-process configuration cache (core/config.py)."""
    rules = config.cached(
        workspace,
        "routing.rules",
        lambda: list(
            RoutingRule.objects.filter(workspace_id=workspace_id, is_active=True)
            .select_related("team")
            .order_by("order", "pk")
        ),
    )
    return next((r for r in rules if rule_matches(r, **facts)), None)


def pick_agent(team: Team, *, channel_kind: str, strategy: str) -> Agent | None:
    """An online member of `team` below capacity for `channel_kind`, chosen by the strategy; marks the
    choice on its status row. Must run inside the transaction that saves the assignment."""
    statuses = list(
        AgentStatus.objects.select_for_update(of=("self",))  # only the status rows, not the team joins
        .filter(
            workspace_id=team.workspace_id,
            status=AgentStatus.ONLINE,
            agent__teams=team,
            agent__is_active=True,
        )
        .order_by("pk")
    )
    if not statuses:
        return None
    from sonnim.conversations.models import Conversation

    loads = dict(
        Conversation.objects.filter(
            workspace_id=team.workspace_id,
            assignee_id__in=[s.agent_id for s in statuses],
            status="open",
            inbox__kind=channel_kind,
        )
        .values("assignee_id")
        .annotate(n=Count("pk"))
        .values_list("assignee_id", "n")
    )
    free = [s for s in statuses if loads.get(s.agent_id, 0) < s.capacity_for(channel_kind)]
    if not free:
        return None
    never = datetime.min.replace(tzinfo=UTC)

    def waited(s: AgentStatus) -> tuple:
        return (s.last_assigned_at or never, s.pk)

    if strategy == RoutingRule.LEAST_LOAD:
        chosen = min(free, key=lambda s: (loads.get(s.agent_id, 0), *waited(s)))
    else:
        chosen = min(free, key=waited)
    chosen.last_assigned_at = timezone.now()
    chosen.save(update_fields=["last_assigned_at"])
    return Agent.objects.get(pk=chosen.agent_id)


def route_conversation(
    conversation, *, channel_kind: str, tier: str, actor: Actor = SYSTEM, workspace: Workspace | None = None
) -> Routed:
    """Team by rule (keeps a team already set), then an agent. An assigned conversation is left alone:
    manual assignment always wins."""
    from sonnim.conversations import services as conversation_services

    if conversation.assignee_id is not None or conversation.status != "open":
        return Routed(conversation.team_id, conversation.assignee_id, None)
    rule = first_rule(
        conversation.workspace_id,
        workspace=workspace,
        channel_kind=channel_kind,
        category=conversation.category,
        language=conversation.language,
        tier=tier,
    )
    team = conversation.team if conversation.team_id else (rule.team if rule else None)
    if team is None:
        return Routed(None, None, None)
    if conversation.team_id != team.pk:
        conversation_services.set_team(conversation, team=team, actor=actor)
        conversation.team = team
    strategy = rule.strategy if rule and rule.team_id == team.pk else RoutingRule.ROUND_ROBIN
    agent = (
        None
        if strategy == RoutingRule.TEAM_ONLY
        else pick_agent(team, channel_kind=channel_kind, strategy=strategy)
    )
    if agent is not None:
        conversation_services.assign_conversation(conversation, assignee=agent, actor=actor)
        conversation.assignee_id = agent.pk
    return Routed(team.pk, agent.pk if agent else None, rule.pk if rule else None)


def route(context) -> None:
    """The pipeline's routing step: an unassigned open conversation gets its team and agent. On a
    bot-enabled inbox the bot answers first: routing waits for its handoff (assist/bot.py hand_off), or an
    assignee would silence the bot before it said a word."""
    if context.conversation.assignee_id is not None:
        return
    if context.inbox.is_bot_enabled:
        from sonnim.assist.bot import human_holds

        if context.is_new_conversation or not human_holds(context.conversation):
            return
    route_conversation(
        context.conversation,
        channel_kind=context.inbox.kind,
        tier=context.customer.tier,
        workspace=context.inbox.workspace,
    )


@transaction.atomic
def set_agent_status(
    agent: Agent,
    *,
    status: str,
    capacity: dict | None = None,
    default_capacity: int | None = None,
    actor: Actor,
) -> AgentStatus:
    """Online / away / offline and capacities. Leaving `online` hands the agent's open conversations back
    to routing (their team's other online agents, or the team queue)."""
    if status not in dict(AgentStatus.STATUSES) or any(
        not isinstance(v, int) or v < 0 for v in (capacity or {}).values()
    ):
        raise SonnimError(RoutingError.INVALID_STATUS, _("Unknown status or a bad capacity."))
    # the event first: it takes the workspace's event counter lock before the status row (see the top)
    record_event(
        agent.workspace_id, "agent.status_changed", actor=actor, data={"agent_id": agent.pk, "status": status}
    )
    row, _created = AgentStatus.objects.get_or_create(workspace_id=agent.workspace_id, agent=agent)
    row = AgentStatus.objects.select_for_update().get(pk=row.pk)
    previous = row.status
    row.status, row.changed_at = status, timezone.now()
    fields = ["status", "changed_at"]
    if capacity is not None:
        row.capacity, fields = capacity, [*fields, "capacity"]
    if default_capacity is not None:
        row.default_capacity, fields = default_capacity, [*fields, "default_capacity"]
    row.save(update_fields=fields)
    if previous == AgentStatus.ONLINE and status != AgentStatus.ONLINE:
        reassign_open_conversations(agent, actor=actor)
    return row


def reassign_open_conversations(agent: Agent, *, actor: Actor) -> list[int]:
    from sonnim.conversations import services as conversation_services
    from sonnim.conversations.models import Conversation

    moved = []
    rows = (
        Conversation.objects.filter(workspace_id=agent.workspace_id, assignee=agent, status="open")
        .select_related("inbox", "customer", "team")
        .order_by("pk")
    )
    for conversation in rows:
        conversation_services.assign_conversation(conversation, assignee=None, actor=actor)
        conversation.assignee_id = None
        route_conversation(
            conversation, channel_kind=conversation.inbox.kind, tier=conversation.customer.tier, actor=actor
        )
        moved.append(conversation.pk)
    return moved


RULE_FIELDS = {
    "name",
    "order",
    "is_active",
    "channel_kinds",
    "categories",
    "languages",
    "customer_tiers",
    "team_id",
    "strategy",
}


@transaction.atomic
def save_routing_rule(rule: RoutingRule, *, actor: Actor, **fields) -> RoutingRule:
    """Create (unsaved `rule`) or update a routing rule; the team must be of the rule's workspace."""
    if set(fields) - RULE_FIELDS or fields.get("strategy", rule.strategy) not in dict(RoutingRule.STRATEGIES):
        raise SonnimError(
            RoutingError.INVALID_RULE, _("The routing rule is not valid."), details=sorted(fields)
        )
    if (
        "team_id" in fields
        and not Team.objects.filter(workspace_id=rule.workspace_id, pk=fields["team_id"]).exists()
    ):
        raise SonnimError("team_not_found", _("Team not found."), status=404)
    for name, value in fields.items():
        setattr(rule, name, value)
    rule.save()
    return rule


@transaction.atomic
def delete_routing_rule(rule: RoutingRule, *, actor: Actor) -> None:
    RoutingRule.objects.filter(pk=rule.pk, workspace_id=rule.workspace_id).delete()
