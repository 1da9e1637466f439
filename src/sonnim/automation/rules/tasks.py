"""Background entry points of the rules engine: webhooks (after commit) and rules triggered by events
recorded outside the pipeline (an agent's status change, an SLA warning or breach)."""

import logging

from django.db import transaction
from django.tasks import task

from sonnim.core.choices import ActorKind
from sonnim.core.models import Event

from ..models import Rule, RuleEventCursor
from .engine import PIPELINE_EVENTS, run_rules
from .webhooks import WebhookRefused, post_signed, webhook_secret

logger = logging.getLogger("sonnim.rules")


class WebhookFailed(Exception):
    pass


@task()
def call_rule_webhook(*, workspace_id: int, url: str, payload: dict) -> int:
    """POST the rule's JSON, signed with the workspace's webhook secret, never to an internal host
    (webhooks.py). A refusal or a failure raises, and the task backend records it (no retry storm)."""
    try:
        status = post_signed(url, payload, secret=webhook_secret(workspace_id))
    except WebhookRefused as exc:
        logger.warning("rule webhook refused workspace=%s reason=%s", workspace_id, exc)
        raise
    logger.info("rule webhook workspace=%s status=%s", workspace_id, status)
    if status >= 400:
        raise WebhookFailed(f"the receiver answered {status}")
    return status


def process_rule_events(workspace_id: int, *, limit: int = 500) -> int:
    """Run rules for the workspace's new events since its cursor. Events the pipeline step already
    handled and events made by rules (dispatched in their chain) are skipped. One transaction per run:
    the cursor row lock keeps two workers from running the same events."""
    with transaction.atomic():
        RuleEventCursor.objects.get_or_create(workspace_id=workspace_id)
        cursor = RuleEventCursor.objects.select_for_update().get(workspace_id=workspace_id)
        types = set(
            Rule.objects.filter(workspace_id=workspace_id, is_active=True).values_list(
                "event_type", flat=True
            )
        ) - set(PIPELINE_EVENTS)
        rows = list(
            Event.objects.filter(workspace_id=workspace_id, seq__gt=cursor.last_seq).order_by("seq")[:limit]
        )
        if not rows:
            return 0
        from sonnim.conversations.models import Conversation

        handled = 0
        for event in rows:
            if event.type not in types or event.actor_kind == ActorKind.RULE or event.conversation_id is None:
                continue
            conversation = (
                Conversation.objects.select_related("customer", "inbox")
                .filter(pk=event.conversation_id)
                .first()
            )
            if conversation is not None:
                run_rules(
                    event.type, conversation, inbox_kind=conversation.inbox.kind, trigger_key=f"e{event.seq}"
                )
                handled += 1
        cursor.last_seq = rows[-1].seq
        cursor.save(update_fields=["last_seq"])
    return handled


@task()
def process_rule_events_task() -> int:
    """Every workspace with active rules; the worker enqueues it next to the SLA sweep."""
    workspace_ids = Rule.objects.filter(is_active=True).values_list("workspace_id", flat=True).distinct()
    return sum(process_rule_events(w) for w in workspace_ids)
