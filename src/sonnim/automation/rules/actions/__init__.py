"""Rule actions, one class per key, registered in RULE_ACTIONS. Each validates its params with a schema
(saving a rule checks them; the editor builds its form from them) and changes rows only through the
owning app's services, with the rule as actor."""

from abc import ABC, abstractmethod
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from ninja import Schema

from sonnim.core.actors import Actor


@dataclass
class RuleContext:
    rule: object  # automation.models.Rule
    event_type: str
    conversation: object  # conversations.models.Conversation (locked by the caller's transaction)
    message: object | None
    actor: Actor  # Actor(RULE, rule.pk)
    depth: int
    trigger_key: str = ""  # what triggered the firing, stable across a re-run (see engine.run_rules)

    def idempotency_key(self, action: str) -> str:
        """One key per rule, conversation, trigger and action: a re-run of the same trigger sends nothing
        twice. Without a trigger key (a bare call) the firing's time stands in."""
        from django.utils import timezone

        trigger = self.trigger_key or f"at{timezone.now().timestamp()}"
        return f"rule{self.rule.pk}:c{self.conversation.pk}:{action}:{trigger}"[:200]


class RuleAction(ABC):
    key: str = ""
    label = _("Action")

    class Params(Schema):
        pass

    @abstractmethod
    def run(self, context: RuleContext, params) -> None: ...

    def describe(self, params) -> dict:
        """What the action would do, for the preview (nothing is run)."""
        return {"type": self.key, **params.model_dump()}


def _registry() -> dict[str, RuleAction]:
    from . import conversation, messaging, outreach

    actions = [
        conversation.Assign(),
        conversation.SetTeam(),
        conversation.SetPriority(),
        conversation.SetStatus(),
        conversation.AddTags(),
        conversation.RemoveTags(),
        conversation.Snooze(),
        conversation.Close(),
        messaging.AddNote(),
        messaging.SendCannedReply(),
        messaging.Notify(),
        messaging.CallWebhook(),
        outreach.SendAlimTalk(),
    ]
    return {a.key: a for a in actions}


RULE_ACTIONS: dict[str, RuleAction] = _registry()
