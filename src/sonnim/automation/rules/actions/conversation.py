"""Actions that change the conversation, through conversations.services."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema

from sonnim.conversations import services
from sonnim.conversations.choices import TRANSITIONS, Priority, Status
from sonnim.core.models import Agent, Team

from . import RuleAction, RuleContext


class Assign(RuleAction):
    key = "assign"
    label = _("Assign to an agent")

    class Params(Schema):
        agent_id: int | None  # None unassigns

    def run(self, context: RuleContext, params: Params) -> None:
        c = context.conversation
        agent = Agent.objects.filter(workspace_id=c.workspace_id, pk=params.agent_id, is_active=True).first()
        if params.agent_id is None or agent is not None:
            services.assign_conversation(c, assignee=agent, actor=context.actor)


class SetTeam(RuleAction):
    key = "set_team"
    label = _("Set team")

    class Params(Schema):
        team_id: int | None

    def run(self, context: RuleContext, params: Params) -> None:
        c = context.conversation
        team = Team.objects.filter(workspace_id=c.workspace_id, pk=params.team_id).first()
        if params.team_id is None or team is not None:
            services.set_team(c, team=team, actor=context.actor)


class SetPriority(RuleAction):
    key = "set_priority"
    label = _("Set priority")

    class Params(Schema):
        priority: Priority

    def run(self, context: RuleContext, params: Params) -> None:
        services.set_priority(context.conversation, priority=str(params.priority), actor=context.actor)


class SetStatus(RuleAction):
    key = "set_status"
    label = _("Set status")

    class Params(Schema):
        status: Status

    def run(self, context: RuleContext, params: Params) -> None:
        c = context.conversation
        if str(params.status) in TRANSITIONS.get(c.status, set()):  # a rule never forces a bad transition
            services.set_status(c, status=str(params.status), actor=context.actor)


class AddTags(RuleAction):
    key = "add_tags"
    label = _("Add tags")

    class Params(Schema):
        tags: list[str] = Field(min_length=1, max_length=20)

    def run(self, context: RuleContext, params: Params) -> None:
        services.change_tags(context.conversation, add=params.tags, actor=context.actor)


class RemoveTags(RuleAction):
    key = "remove_tags"
    label = _("Remove tags")

    class Params(Schema):
        tags: list[str] = Field(min_length=1, max_length=20)

    def run(self, context: RuleContext, params: Params) -> None:
        services.change_tags(context.conversation, remove=params.tags, actor=context.actor)


class Snooze(RuleAction):
    key = "snooze"
    label = _("Snooze")

    class Params(Schema):
        minutes: int = Field(gt=0, le=60 * 24 * 90)

    def run(self, context: RuleContext, params: Params) -> None:
        c = context.conversation
        if Status.SNOOZED in TRANSITIONS.get(c.status, set()):
            until = timezone.now() + timedelta(minutes=params.minutes)
            services.set_status(c, status=Status.SNOOZED, snoozed_until=until, actor=context.actor)


class Close(RuleAction):
    key = "close"
    label = _("Close")

    def run(self, context: RuleContext, params) -> None:
        c = context.conversation
        if Status.CLOSED in TRANSITIONS.get(c.status, set()):
            services.set_status(c, status=Status.CLOSED, actor=context.actor)
