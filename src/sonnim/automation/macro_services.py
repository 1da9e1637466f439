"""Macros: saved reply text with variables plus actions. The composer lists them (`/`), renders one for a
conversation (with the variables that have no value), and applies it: the reply, the actions, the count."""

from dataclasses import dataclass
from types import SimpleNamespace

from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _
from pydantic import ValidationError

from sonnim.core.actors import Actor
from sonnim.core.errors import NotFound, SonnimError
from sonnim.core.events import record_event
from sonnim.core.models import Agent, Workspace

from .macros import Rendered, render_for_conversation
from .models import Macro
from .rules.actions import RULE_ACTIONS, RuleContext


def _check_actions(actions: list) -> None:
    for i, action in enumerate(actions):
        if not isinstance(action, dict) or action.get("type") not in RULE_ACTIONS:
            raise SonnimError("invalid_action", _("Unknown action."), details={"index": i})
        try:
            RULE_ACTIONS[action["type"]].Params(**action.get("params", {}))
        except ValidationError as exc:
            raise SonnimError(
                "invalid_action_params",
                _("Action %(n)s has bad parameters.") % {"n": i + 1},
                details={"index": i},
            ) from exc


@transaction.atomic
def create_macro(
    workspace: Workspace,
    *,
    key: str,
    title: str,
    text: str,
    language: str = "ko",
    actions: list = (),
    is_shared: bool = True,
    created_by: Agent | None,
    actor: Actor,
) -> Macro:
    _check_actions(list(actions))
    if not text.strip() or not title.strip():
        raise SonnimError("invalid_macro", _("A macro needs a title and a text."))
    return Macro.objects.create(
        workspace=workspace,
        key=key,
        title=title.strip(),
        text=text,
        language=language,
        actions=list(actions),
        is_shared=is_shared,
        created_by=None if is_shared else created_by,
    )


def visible_macros(agent: Agent, *, language: str = "ko") -> list[Macro]:
    """Shared macros and the agent's own, one version per key: the asked language, else Korean."""
    rows = (
        Macro.objects.for_workspace(agent.workspace_id)
        .filter(Q(is_shared=True) | Q(created_by=agent))
        .filter(language__in={language, "ko"})
        .order_by("title", "pk")
    )
    chosen: dict[tuple, Macro] = {}
    for macro in rows:
        slot = (macro.key, macro.created_by_id)
        if slot not in chosen or macro.language == language:
            chosen[slot] = macro
    return sorted(chosen.values(), key=lambda m: (m.title, m.pk))


def get_macro(agent: Agent, macro_id: int) -> Macro:
    macro = (
        Macro.objects.for_workspace(agent.workspace_id)
        .filter(Q(is_shared=True) | Q(created_by=agent), pk=macro_id)
        .first()
    )
    if macro is None:
        raise NotFound("macro_not_found", _("Macro not found."))
    return macro


def render_macro(macro: Macro, conversation, *, agent: Agent) -> Rendered:
    return render_for_conversation(macro.text, conversation, agent=agent)


@dataclass(frozen=True)
class Applied:
    message_id: int
    rendered: Rendered


@transaction.atomic
def apply_macro(macro: Macro, conversation, *, agent: Agent, allow_missing: bool = False) -> Applied:
    """Send the rendered reply, run the macro's actions as the agent, count the use. Refused while a
    variable has no value unless `allow_missing` (the composer shows the warning first)."""
    from sonnim.conversations.services import send_reply

    rendered = render_macro(macro, conversation, agent=agent)
    if rendered.missing and not allow_missing:
        raise SonnimError(
            "macro_variables_missing",
            _("Some variables have no value."),
            details={"missing": rendered.missing},
        )
    actor = Actor.agent(agent)
    message = send_reply(conversation, text=rendered.text, actor=actor)
    as_rule = SimpleNamespace(pk=macro.pk, name=macro.title)  # actions name their origin like a rule's
    context = RuleContext(as_rule, "macro.applied", conversation, None, actor, 0)
    for action in macro.actions:
        kind = RULE_ACTIONS[action["type"]]
        kind.run(context, kind.Params(**action.get("params", {})))
    Macro.objects.filter(pk=macro.pk).update(usage_count=F("usage_count") + 1)
    record_event(
        conversation.workspace_id,
        "macro.applied",
        actor=actor,
        conversation_id=conversation.pk,
        customer_id=conversation.customer_id,
        data={"macro_id": macro.pk, "missing": rendered.missing},
    )
    return Applied(message.pk, rendered)
