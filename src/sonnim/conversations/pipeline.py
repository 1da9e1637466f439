"""The spine: every inbound message goes through receive_message(); every reply through send_reply().

Read top to bottom. Only entry points (webhook views, the inbound API, tasks, the CLI) import this module.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import nh3
from django.db import IntegrityError, transaction
from django.utils import timezone

from sonnim.core.actors import SYSTEM, Actor
from sonnim.core.korean import detect_language
from sonnim.customers.models import Customer
from sonnim.customers.services import resolve_customer
from sonnim.inboxes.adapters.base import InboundMessage
from sonnim.inboxes.choices import CONTINUOUS_KINDS
from sonnim.inboxes.models import Inbox

from . import events, search
from .attachments import check_attachment, store_attachment
from .choices import ACTIVE_STATUSES, Direction, Status
from .models import Conversation, Message
from .services import send_reply  # noqa: F401 - the outbound half of the spine, re-exported for entry points

logger = logging.getLogger("sonnim.pipeline")


@dataclass
class StepContext:
    inbox: Inbox
    customer: Customer
    conversation: Conversation
    message: Message
    is_new_conversation: bool


Step = Callable[[StepContext], None]


def triage(context: StepContext) -> None:
    """Language now; category, urgency and sentiment come with the assist app."""
    language = detect_language(context.message.text)
    if language:
        context.message.language = language
        context.message.save(update_fields=["language"])
        if not context.conversation.language:
            context.conversation.language = language
            context.conversation.save(update_fields=["language"])


# Order matters (DESIGN.md): triage feeds SLA and routing, rules see the routed conversation, the bot
# answers last and only when no human holds the conversation. SLA, routing, rules and the bot join this
# list as their apps land.
STEPS: list[Step] = [triage]


@dataclass(frozen=True)
class Received:
    message: Message
    duplicate: bool


class DuplicateMessage(Exception):
    pass


def receive_message(inbound: InboundMessage) -> Received:
    """Store one inbound message exactly once, on the right customer and conversation, and run the steps.
    A redelivery (same inbox and external id), even concurrent from another process, is a no-op."""
    for a in inbound.attachments:  # refuse bad files before anything is written
        check_attachment(a.filename, a.content_type, a.data)
    with transaction.atomic():
        inbox = Inbox.objects.select_related("workspace").get(pk=inbound.inbox_id)
        try:
            with transaction.atomic():  # savepoint: a duplicate undoes only this block
                customer = resolve_customer(
                    inbox.workspace, kind=inbox.kind, sender=inbound.sender, actor=SYSTEM
                )
                conversation, is_new = find_or_open_conversation(inbox, customer, inbound)
                message = store_inbound_message(conversation, inbound)
        except DuplicateMessage:
            existing = Message.objects.get(inbox=inbox, external_id=inbound.external_id)
            logger.info("duplicate inbound inbox=%s message=%s", inbox.pk, existing.pk)
            return Received(message=existing, duplicate=True)
        context = StepContext(inbox, customer, conversation, message, is_new)
        for step in STEPS:
            step(context)
    return Received(message=message, duplicate=False)


def thread_key_for(inbox: Inbox, customer: Customer, inbound: InboundMessage) -> str:
    """The channel's own thread key when it gives one; on chat-like channels one running thread per
    customer; otherwise (email, board posts) each message starts its own thread."""
    if inbound.thread_key:
        return inbound.thread_key[:255]
    if inbox.kind in CONTINUOUS_KINDS:
        return f"customer:{customer.pk}"
    return f"message:{inbound.external_id}"[:255]


def find_or_open_conversation(
    inbox: Inbox, customer: Customer, inbound: InboundMessage
) -> tuple[Conversation, bool]:
    # Lock the customer: two messages of one customer arriving at once must not open two conversations.
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    thread_key = thread_key_for(inbox, customer, inbound)
    latest = (
        Conversation.objects.for_workspace(inbox.workspace_id)
        .filter(inbox=inbox, thread_key=thread_key, customer=customer)
        .order_by("-created_at", "-pk")
        .select_for_update()
        .first()
    )
    now = timezone.now()
    actor = Actor.customer(customer)
    if latest is not None and latest.status in ACTIVE_STATUSES:
        if latest.status != Status.OPEN:  # the customer answered: pending/snoozed wake up
            previous = latest.status
            latest.status, latest.snoozed_until = Status.OPEN, None
            latest.save(update_fields=["status", "snoozed_until"])
            events.status_changed(latest, actor=actor, previous=previous)
        return latest, False
    window = timedelta(days=inbox.workspace.reopen_window_days)
    if (
        latest is not None
        and latest.status == Status.RESOLVED
        and latest.resolved_at
        and now - latest.resolved_at <= window
    ):
        latest.status, latest.resolved_at = Status.OPEN, None
        latest.save(update_fields=["status", "resolved_at"])
        events.conversation_reopened(latest, actor=actor, previous_status=Status.RESOLVED)
        return latest, False
    conversation = Conversation.objects.create(
        workspace_id=inbox.workspace_id,
        inbox=inbox,
        customer=customer,
        thread_key=thread_key,
        subject=inbound.subject[:300],
        last_message_at=now,
    )
    events.conversation_created(conversation, actor=actor)
    return conversation, True


def store_inbound_message(conversation: Conversation, inbound: InboundMessage) -> Message:
    try:
        with transaction.atomic():
            message = Message.objects.create(
                workspace_id=conversation.workspace_id,
                conversation=conversation,
                inbox_id=inbound.inbox_id,
                direction=Direction.IN,
                author_kind="customer",
                text=inbound.text,
                html=nh3.clean(inbound.html) if inbound.html else "",
                external_id=inbound.external_id,
                sent_at=inbound.sent_at,
            )
    except IntegrityError as exc:
        if Message.objects.filter(inbox_id=inbound.inbox_id, external_id=inbound.external_id).exists():
            raise DuplicateMessage from exc
        raise
    for a in inbound.attachments:
        store_attachment(message, filename=a.filename, content_type=a.content_type, data=a.data)
    touch_conversation(conversation, message)
    search.index_message(message)
    events.message_event(message, "message.received", actor=Actor.customer(conversation.customer))
    return message


def touch_conversation(conversation: Conversation, message: Message) -> None:
    """Denormalize the newest message onto the conversation (the inbox list reads only this row)."""
    conversation.last_message_at = message.created_at
    conversation.last_message_preview = (message.text or "").replace("\n", " ")[:200]
    conversation.last_message_direction = message.direction
    conversation.message_count += 1
    conversation.updated_at = message.created_at
    conversation.save(
        update_fields=[
            "last_message_at",
            "last_message_preview",
            "last_message_direction",
            "message_count",
            "updated_at",
        ]
    )
