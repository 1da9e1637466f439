"""The rules engine: for one event on one conversation, run every active rule of that event type whose
conditions hold, in order, with the rule as actor, and record `rule.fired`.

Loop safety: events the actions record (a priority change, a tag) are dispatched to the rules of their
type at depth + 1, never to a rule already in the chain (a rule cannot re-trigger itself, directly or
through another), and not beyond MAX_DEPTH. Active rules are cached per process and workspace, keyed by
the active rules' (count, newest update, top id): 200 rules cost one aggregate query per message."""

import logging
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from sonnim.core.actors import Actor
from sonnim.core.choices import ActorKind
from sonnim.core.errors import SonnimError
from sonnim.core.events import record_event
from sonnim.core.models import Event, EventCounter

from ..models import Rule
from .actions import RULE_ACTIONS, RuleContext
from .conditions import Facts, holds

logger = logging.getLogger("sonnim.rules")

MAX_DEPTH = 3
# events the pipeline step handles itself; the event processor (tasks.py) must not run them again
PIPELINE_EVENTS = ("conversation.created", "message.received")


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    actions: list[tuple]  # (RuleAction, parsed params)


_cache: dict[int, tuple[tuple, dict[str, list[CompiledRule]]]] = {}


def rules_version(workspace_id: int) -> tuple:
    """(count, newest update, highest id) of the active rules: one indexed aggregate instead of loading and
    parsing every rule per message; any save changes it (save_rule stamps updated_at)."""
    table = connection.ops.quote_name(Rule._meta.db_table)
    with connection.cursor() as cursor:  # raw: the ORM's aggregate costs more CPU than the query
        cursor.execute(
            f"SELECT COUNT(*), MAX(updated_at), MAX(id) FROM {table} WHERE workspace_id = %s AND is_active",  # noqa: S608
            [workspace_id],
        )
        return tuple(cursor.fetchone())


def compile_rule(rule: Rule) -> CompiledRule:
    actions = [
        (RULE_ACTIONS[a["type"]], RULE_ACTIONS[a["type"]].Params(**a.get("params", {}))) for a in rule.actions
    ]
    return CompiledRule(rule, actions)


def active_rules(workspace_id: int, event_type: str, *, version: tuple | None = None) -> list[CompiledRule]:
    version = version or rules_version(workspace_id)
    if version[0] == 0:
        return []
    cached = _cache.get(workspace_id)
    if cached is None or cached[0] != version:
        by_type: dict[str, list[CompiledRule]] = {}
        for rule in Rule.objects.filter(workspace_id=workspace_id, is_active=True).order_by("order", "pk"):
            by_type.setdefault(rule.event_type, []).append(compile_rule(rule))
        cached = _cache[workspace_id] = (version, by_type)
    return cached[1].get(event_type, [])


def _last_seq(workspace_id: int) -> int:
    return (
        EventCounter.objects.filter(workspace_id=workspace_id).values_list("last_seq", flat=True).first() or 0
    )


def run_rules(
    event_type: str,
    conversation,
    *,
    message=None,
    inbox_kind: str = "",
    chain: tuple[int, ...] = (),
    depth: int = 0,
    version: tuple | None = None,
    trigger_key: str = "",
) -> list[int]:
    """Run the matching rules inside the caller's transaction; returns the ids of the rules that fired.
    `trigger_key` names what triggered them (a message, an event), stable when the trigger is run again:
    actions with outside effects derive their idempotency keys from it."""
    rules = active_rules(conversation.workspace_id, event_type, version=version)
    if not rules:
        return []
    if not trigger_key and message is not None:
        trigger_key = f"m{message.pk}"
    facts = Facts(conversation, message, inbox_kind)
    fired = []
    for compiled in rules:
        rule = compiled.rule
        if rule.pk in chain:
            continue
        if not all(holds(facts, c) for c in rule.conditions):
            continue
        if fire_rule(
            compiled,
            event_type,
            conversation,
            message=message,
            inbox_kind=inbox_kind,
            chain=chain,
            depth=depth,
            trigger_key=trigger_key,
        ):
            fired.append(rule.pk)
        facts = Facts(conversation, message, inbox_kind)
    return fired


def fire_rule(
    compiled: CompiledRule,
    event_type: str,
    conversation,
    *,
    message=None,
    inbox_kind: str = "",
    chain: tuple[int, ...] = (),
    depth: int = 0,
    trigger_key: str = "",
    data: dict | None = None,
) -> bool:
    """Run one rule whose conditions hold (the caller checked), record `rule.fired`, and dispatch the events
    its actions recorded to the next depth. Inside the caller's transaction. False when an action refused:
    the rule's changes are rolled back and `rule.failed` says why."""
    before = _last_seq(conversation.workspace_id)
    try:
        with transaction.atomic():  # a rule that cannot finish changes nothing, and stops nothing else
            _fire(compiled, event_type, conversation, message, depth, trigger_key, data or {})
    except SonnimError as exc:
        _failed(compiled.rule, event_type, conversation, exc)
        conversation.refresh_from_db()
        return False
    conversation.refresh_from_db()  # later rules see what this one changed
    if depth + 1 < MAX_DEPTH:
        _dispatch_follow_ups(
            conversation,
            before,
            (*chain, compiled.rule.pk),
            depth + 1,
            message,
            inbox_kind,
            f"{trigger_key}/r{compiled.rule.pk}",
        )
    return True


def evaluate(event_type: str, conversation, *, message=None, inbox_kind: str = "") -> list[Rule]:
    """The rules whose conditions hold right now, in order; runs nothing, writes nothing (the preview's
    and the benchmark's view of the engine)."""
    facts = Facts(conversation, message, inbox_kind)
    return [
        c.rule
        for c in active_rules(conversation.workspace_id, event_type)
        if all(holds(facts, condition) for condition in c.rule.conditions)
    ]


def _fire(
    compiled: CompiledRule, event_type: str, conversation, message, depth: int, trigger_key: str, data: dict
) -> None:
    rule = compiled.rule
    actor = Actor(ActorKind.RULE, rule.pk)
    context = RuleContext(rule, event_type, conversation, message, actor, depth, trigger_key)
    for action, params in compiled.actions:
        action.run(context, params)
    record_event(
        conversation.workspace_id,
        "rule.fired",
        actor=actor,
        conversation_id=conversation.pk,
        customer_id=conversation.customer_id,
        data={"rule_id": rule.pk, "name": rule.name, "trigger": event_type, "depth": depth, **data},
    )
    Rule.objects.filter(pk=rule.pk).update(fire_count=F("fire_count") + 1, last_fired_at=timezone.now())
    logger.info("rule fired rule=%s conversation=%s depth=%s", rule.pk, conversation.pk, depth)


def _failed(rule: Rule, event_type: str, conversation, exc: SonnimError) -> None:
    """An action refused (a reply the channel cannot carry, a bad parameter): the message that triggered
    the rule is kept, and agents see which rule failed and why in the conversation's events."""
    record_event(
        conversation.workspace_id,
        "rule.failed",
        actor=Actor(ActorKind.RULE, rule.pk),
        conversation_id=conversation.pk,
        customer_id=conversation.customer_id,
        data={
            "rule_id": rule.pk,
            "name": rule.name,
            "trigger": event_type,
            "code": exc.code,
            "reason": exc.message,
        },
    )
    logger.warning("rule failed rule=%s conversation=%s code=%s", rule.pk, conversation.pk, exc.code)


def _dispatch_follow_ups(
    conversation, after_seq: int, chain: tuple[int, ...], depth: int, message, kind, trigger_key: str
) -> None:
    follow_ups = list(
        Event.objects.filter(
            workspace_id=conversation.workspace_id,
            seq__gt=after_seq,
            conversation_id=conversation.pk,
            actor_kind=ActorKind.RULE,
        )
        .exclude(type="rule.fired")
        .order_by("seq")
        .values_list("type", flat=True)
    )
    for event_type in dict.fromkeys(follow_ups):  # once per type and step
        run_rules(
            event_type,
            conversation,
            message=message,
            inbox_kind=kind,
            chain=chain,
            depth=depth,
            trigger_key=f"{trigger_key}/{event_type}",
        )


def run_rules_step(context) -> None:
    """The pipeline step: conversation.created (for a new conversation), then message.received."""
    conversation = context.conversation
    conversation.customer = context.customer
    # The workspace row read with this request carries the configuration version (core/config.py): no
    # per-message aggregate over the rules table.
    version = ("config", context.inbox.workspace.config_version)
    kind = context.inbox.kind
    if context.is_new_conversation:
        run_rules(
            "conversation.created", conversation, message=context.message, inbox_kind=kind, version=version
        )
    run_rules("message.received", conversation, message=context.message, inbox_kind=kind, version=version)
