"""The assist app's pipeline steps: `triage` (first) and `bot_turn` (last). See conversations/pipeline.py."""

import logging
import time
from datetime import timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from sonnim.conversations.choices import Direction
from sonnim.conversations.models import Conversation

from .services import apply_triage
from .triage import triage_text

if TYPE_CHECKING:
    from sonnim.conversations.pipeline import StepContext

logger = logging.getLogger("sonnim.assist")

REPEAT_WINDOW = timedelta(days=7)


def repeated_contacts(context: "StepContext") -> int:
    """How many conversations this customer opened with the shop in the last week, this one included: a
    customer who has to come back again and again is a customer about to leave."""
    since = timezone.now() - REPEAT_WINDOW
    return (
        Conversation.objects.for_workspace(context.inbox.workspace_id)
        .filter(customer_id=context.customer.pk, created_at__gte=since)
        .count()
    )


def triage(context: "StepContext") -> None:
    """Category, urgency and sentiment of an inbound customer message, on the message and the conversation."""
    message = context.message
    if message.direction != Direction.IN or not message.text.strip():
        return
    started = time.perf_counter()
    result = triage_text(
        message.text, workspace_id=context.inbox.workspace_id, repeated_contacts=repeated_contacts(context)
    )
    message = apply_triage(message, result, locked=True)  # the pipeline holds the conversation's lock
    context.message, context.conversation = message, message.conversation
    logger.debug("triage message=%s ms=%.2f", message.pk, (time.perf_counter() - started) * 1000)


def bot_turn(context: "StepContext") -> None:
    """The first-line bot's turn (assist/bot.py), on bot-enabled inboxes only."""
    if not context.inbox.is_bot_enabled:
        return
    from .bot import take_turn

    take_turn(context)
