"""The assist app's pipeline steps: `triage` (first) and `bot_turn` (last). See conversations/pipeline.py."""

import logging
import time
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import connection
from django.utils import timezone

from sonnim.conversations.choices import Direction
from sonnim.conversations.models import Conversation
from sonnim.core import rows

from .services import apply_triage, apply_triages
from .triage import triage_text

if TYPE_CHECKING:
    from sonnim.conversations.pipeline import StepContext

logger = logging.getLogger("sonnim.assist")

REPEAT_WINDOW = timedelta(days=7)


def repeated_contacts(context: "StepContext") -> int:
    """How many conversations this customer opened with the shop in the last week, this one included: a
    customer who has to come back again and again is a customer about to leave."""
    customer_id = context.customer.pk
    return repeated_contact_counts(context.inbox.workspace_id, {customer_id}).get(customer_id, 0)


def repeated_contact_counts(workspace_id: int, customer_ids: set[int]) -> dict[int, int]:
    """repeated_contacts() of many customers in one query."""
    if not customer_ids:
        return {}
    since = timezone.now() - REPEAT_WINDOW
    ids = list(customer_ids)
    table = connection.ops.quote_name(Conversation._meta.db_table)
    sql = (  # every inbound message asks: hand-written SQL (see core/rows.py) for the ORM's GROUP BY query
        f"SELECT customer_id, COUNT(*) FROM {table} WHERE workspace_id = %s"  # noqa: S608 - our names
        f" AND customer_id IN ({rows.placeholders(ids)}) AND created_at >= %s GROUP BY customer_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [workspace_id, *ids, connection.ops.adapt_datetimefield_value(since)])
        return dict(cursor.fetchall())


def _wants_triage(context: "StepContext") -> bool:
    message = context.message
    return message.direction == Direction.IN and bool(message.text.strip())


def triage(context: "StepContext") -> None:
    """Category, urgency and sentiment of an inbound customer message, on the message and the conversation."""
    if not _wants_triage(context):
        return
    message = context.message
    started = time.perf_counter()
    result = triage_text(
        message.text, workspace_id=context.inbox.workspace_id, repeated_contacts=repeated_contacts(context)
    )
    message = apply_triage(message, result, locked=True)  # the pipeline holds the conversation's lock
    context.message, context.conversation = message, message.conversation
    logger.debug("triage message=%s ms=%.2f", message.pk, (time.perf_counter() - started) * 1000)


def triage_many(contexts: list["StepContext"]) -> None:
    """The triage step over a batch of messages (receive_many): the repeat counts in one query, the
    results stored in one UPDATE per table."""
    todo = [context for context in contexts if _wants_triage(context)]
    if not todo:
        return
    workspace_id = todo[0].inbox.workspace_id
    repeats = repeated_contact_counts(workspace_id, {context.customer.pk for context in todo})
    apply_triages(
        [
            (
                context.message,
                triage_text(
                    context.message.text,
                    workspace_id=workspace_id,
                    repeated_contacts=repeats.get(context.customer.pk, 0),
                ),
            )
            for context in todo
        ]
    )


triage.many = triage_many  # the pipeline's batch runs it over the whole batch at once


def bot_turn(context: "StepContext") -> None:
    """The first-line bot's turn (assist/bot.py), on bot-enabled inboxes only."""
    if not context.inbox.is_bot_enabled:
        return
    from .bot import take_turn

    take_turn(context)
