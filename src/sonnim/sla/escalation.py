"""Escalation steps a policy runs when one of its targets warns or breaches. Each step is planned first
(what would happen, for the dry run and the preview) and then carried out by the sweep."""

from dataclasses import dataclass, field

from sonnim.conversations.choices import PRIORITY_RANK, Priority
from sonnim.core.actors import SYSTEM
from sonnim.core.choices import SUPERVISOR_ROLES
from sonnim.core.models import Agent, Team

from .choices import EscalationAction
from .models import Notification


@dataclass(frozen=True)
class PlannedStep:
    conversation_id: int
    target: str
    kind: str  # "warning" | "breached"
    action: str  # "record_event" or an EscalationAction
    detail: dict = field(default_factory=dict)


def raised_priority(current: str, wanted: str | None) -> str | None:
    """The priority a raise step sets, or None when it would not raise: escalation never lowers."""
    rank = PRIORITY_RANK[current]
    if wanted is None:  # one step up
        wanted = next((p for p, r in PRIORITY_RANK.items() if r == rank + 1), None)
    if wanted is None or PRIORITY_RANK[wanted] <= rank:
        return None
    return str(Priority(wanted))


def supervisors_for(conversation) -> list[int]:
    """The team's supervisors when the conversation has a team with some, else the workspace's."""
    qs = Agent.objects.filter(
        workspace_id=conversation.workspace_id, is_active=True, role__in=SUPERVISOR_ROLES
    )
    if conversation.team_id:
        in_team = list(qs.filter(teams=conversation.team_id).order_by("pk").values_list("pk", flat=True))
        if in_team:
            return in_team
    return list(qs.order_by("pk").values_list("pk", flat=True))


def plan_steps(conversation, policy, *, target: str, kind: str) -> list[PlannedStep]:
    plans = []
    for step in policy.escalation if policy else []:
        if step.get("on") != kind or step.get("target") not in (None, target):
            continue
        action, detail = step["action"], {}
        if action == EscalationAction.NOTIFY_ASSIGNEE:
            if conversation.assignee_id is None:
                continue
            detail = {"agent_ids": [conversation.assignee_id]}
        elif action == EscalationAction.NOTIFY_SUPERVISORS:
            detail = {"agent_ids": supervisors_for(conversation)}
        elif action == EscalationAction.RAISE_PRIORITY:
            new = raised_priority(conversation.priority, step.get("priority"))
            if new is None:
                continue
            detail = {"from": conversation.priority, "to": new}
        elif action == EscalationAction.REASSIGN_TEAM:
            if conversation.team_id == step["team_id"]:
                continue
            detail = {"from": conversation.team_id, "to": step["team_id"]}
        plans.append(PlannedStep(conversation.pk, target, kind, action, detail))
    return plans


NOTIFY_ACTIONS = (EscalationAction.NOTIFY_ASSIGNEE, EscalationAction.NOTIFY_SUPERVISORS)


def notifications(conversation, plan: PlannedStep) -> list[Notification]:
    """The unsaved Notification rows of a notify step (the sweep writes them in bulk)."""
    return [
        Notification(
            workspace_id=conversation.workspace_id,
            agent_id=agent_id,
            kind=f"sla.{plan.kind}",
            conversation_id=conversation.pk,
            text=f"SLA {plan.kind}: {plan.target} #{conversation.pk}",
            data={"target": plan.target, "action": plan.action},
        )
        for agent_id in plan.detail["agent_ids"]
    ]


def carry_out(conversation, plan: PlannedStep) -> None:
    """Run one planned step inside the sweep's transaction (the conversation is locked)."""
    from sonnim.conversations import services as conversation_services

    if plan.action in NOTIFY_ACTIONS:
        Notification.objects.bulk_create(notifications(conversation, plan))
    elif plan.action == EscalationAction.RAISE_PRIORITY:
        conversation_services.set_priority(conversation, priority=plan.detail["to"], actor=SYSTEM)
        conversation.priority = plan.detail["to"]
    elif plan.action == EscalationAction.REASSIGN_TEAM:
        team = Team.objects.get(workspace_id=conversation.workspace_id, pk=plan.detail["to"])
        conversation_services.set_team(conversation, team=team, actor=SYSTEM)
        conversation.team_id = team.pk
        if conversation.assignee_id and not team.members.filter(pk=conversation.assignee_id).exists():
            conversation_services.assign_conversation(conversation, assignee=None, actor=SYSTEM)
            conversation.assignee_id = None
