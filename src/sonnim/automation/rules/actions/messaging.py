"""Actions that write to people: a note, a canned reply to the customer, a notification, a webhook."""

from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema

from sonnim.conversations import services
from sonnim.core.jobs import enqueue_on_commit

from . import RuleAction, RuleContext


class AddNote(RuleAction):
    key = "add_note"
    label = _("Add an internal note")

    class Params(Schema):
        text: str = Field(min_length=1, max_length=5000)

    def run(self, context: RuleContext, params: Params) -> None:
        services.add_note(context.conversation, text=params.text, actor=context.actor)


class SendCannedReply(RuleAction):
    key = "send_canned_reply"
    label = _("Send a canned reply / macro")

    class Params(Schema):
        canned_reply_id: int

    def run(self, context: RuleContext, params: Params) -> None:
        from sonnim.automation.macros import render_for_conversation
        from sonnim.automation.models import CannedReply

        c = context.conversation
        reply = CannedReply.objects.filter(workspace_id=c.workspace_id, pk=params.canned_reply_id).first()
        if reply is None:
            return
        rendered = render_for_conversation(reply.text, c, agent=None)
        if rendered.missing:  # never send a customer "{order_number}": leave it to a person
            services.add_note(
                c, text=f"[{context.rule.name}] missing: {', '.join(rendered.missing)}", actor=context.actor
            )
            return
        services.send_reply(c, text=rendered.text, actor=context.actor)


class Notify(RuleAction):
    key = "notify"
    label = _("Notify agents")

    class Params(Schema):
        agent_ids: list[int] = Field(default_factory=list, max_length=50)  # empty: the assignee
        text: str = Field("", max_length=300)

    def run(self, context: RuleContext, params: Params) -> None:
        from sonnim.core.models import Agent
        from sonnim.sla.models import Notification

        c = context.conversation
        ids = params.agent_ids or ([c.assignee_id] if c.assignee_id else [])
        agents = Agent.objects.filter(workspace_id=c.workspace_id, pk__in=ids).values_list("pk", flat=True)
        Notification.objects.bulk_create(
            Notification(
                workspace_id=c.workspace_id,
                agent_id=agent_id,
                kind="rule.notify",
                conversation_id=c.pk,
                text=(params.text or context.rule.name)[:300],
                data={"rule_id": context.rule.pk},
            )
            for agent_id in agents
        )


class CallWebhook(RuleAction):
    key = "call_webhook"
    label = _("Call a webhook")

    class Params(Schema):
        url: str = Field(pattern=r"^https?://", max_length=500)

    def run(self, context: RuleContext, params: Params) -> None:
        from sonnim.automation.rules.tasks import call_rule_webhook

        c = context.conversation
        payload = {
            "rule": {"id": context.rule.pk, "name": context.rule.name},
            "event": context.event_type,
            "conversation": {
                "id": c.pk,
                "status": c.status,
                "priority": c.priority,
                "customer_id": c.customer_id,
            },
        }
        # after commit, through a task: no HTTP inside the transaction, retried by the task on failure
        enqueue_on_commit(call_rule_webhook, workspace_id=c.workspace_id, url=params.url, payload=payload)
