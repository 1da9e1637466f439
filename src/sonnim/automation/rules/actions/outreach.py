"""Actions that reach the customer outside the conversation's channel: an AlimTalk (Kakao notification)
through the outreach app."""

from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema

from sonnim.conversations import services
from sonnim.core.errors import SonnimError

from . import RuleAction, RuleContext


class SendAlimTalk(RuleAction):
    """Queue an approved AlimTalk template to the conversation's customer. Template variables (#{고객명})
    are filled from `variables`, whose values may use the macro variables ({customer_name},
    {order_number}, {tracking_url}). The idempotency key comes from the rule, the conversation and the
    trigger, so a re-run of the same trigger never sends twice. When it cannot be sent (a variable without
    value, no phone, template not approved), a note on the conversation says why; the rule goes on."""

    key = "send_alimtalk"
    label = _("Send an AlimTalk template")

    class Params(Schema):
        template_id: int
        variables: dict[str, str] = Field(default_factory=dict, max_length=30)

    def run(self, context: RuleContext, params: Params) -> None:
        from sonnim.automation.macros import conversation_values, render
        from sonnim.outreach.models import AlimTalkTemplate
        from sonnim.outreach.services import send_alimtalk

        c = context.conversation
        template = AlimTalkTemplate.objects.filter(workspace_id=c.workspace_id, pk=params.template_id).first()
        if template is None:
            return self._note(context, "template not found")
        values = conversation_values(c)
        filled, missing = {}, []
        for name, text in params.variables.items():
            rendered = render(text, values)
            missing += [m for m in rendered.missing if m not in missing]
            filled[name] = rendered.text
        if missing:
            return self._note(context, "missing: " + ", ".join(missing))
        try:
            send_alimtalk(
                template,
                c.customer,
                variables=filled,
                idempotency_key=context.idempotency_key(f"alimtalk{template.pk}"),
                actor=context.actor,
            )
        except SonnimError as exc:  # the send's savepoint rolled back; the rule's transaction goes on
            self._note(context, exc.code)

    def _note(self, context: RuleContext, reason: str) -> None:
        text = f"[{context.rule.name}] AlimTalk not sent: {reason}"
        services.add_note(context.conversation, text=text, actor=context.actor)
