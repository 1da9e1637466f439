"""Background entry points of conversations: take ids, reload rows, call services."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from sonnim.core.actors import SYSTEM
from sonnim.core.jobs import enqueue_on_commit
from sonnim.customers.models import Identity
from sonnim.inboxes.adapters import adapter_for
from sonnim.inboxes.adapters.base import (
    Delivered,
    DeliveryFailed,
    OutboundAttachment,
    OutboundMessage,
    bot_reply_from,
)
from sonnim.inboxes.selectors import inbox_config

from .attachments import attachment_url
from .choices import DeliveryStatus
from .models import Message
from .services import record_delivery

logger = logging.getLogger("sonnim.delivery")


def lease_seconds() -> float:
    return settings.DELIVERY_TIMEOUT_SECONDS * 3


@task()
def deliver_message(*, workspace_id: int, message_id: int) -> str:
    """Hand one queued reply to its channel adapter. Safe to run twice, even at once: a worker first
    leases the message (a conditional UPDATE), and only a queued message whose time has come is sent."""
    now = timezone.now()
    leased = Message.objects.filter(
        pk=message_id,
        workspace_id=workspace_id,
        delivery_status=DeliveryStatus.QUEUED,
        next_attempt_at__lte=now,
    ).update(next_attempt_at=now + timedelta(seconds=lease_seconds()))
    if not leased:
        return "skipped"
    message = Message.objects.select_related("inbox", "conversation", "author_agent").get(pk=message_id)
    result = attempt_delivery(message)
    if isinstance(result, Delivered):
        record_delivery(message, status=DeliveryStatus.SENT, external_id=result.external_id, actor=SYSTEM)
        logger.info("delivered message=%s attempts=%s", message.pk, message.attempts + 1)
        return "sent"
    if not result.retryable or message.attempts + 1 >= settings.DELIVERY_MAX_ATTEMPTS:
        record_delivery(message, status=DeliveryStatus.FAILED, reason=result.reason, actor=SYSTEM)
        logger.warning("delivery failed for good message=%s attempts=%s", message.pk, message.attempts + 1)
        return "failed"
    retry_at = timezone.now() + timedelta(seconds=settings.DELIVERY_BACKOFF_SECONDS * (2**message.attempts))
    with transaction.atomic():
        record_delivery(
            message,
            status=DeliveryStatus.QUEUED,
            reason=result.reason,
            next_attempt_at=retry_at,
            actor=SYSTEM,
        )
        enqueue_on_commit(
            deliver_message, run_after=retry_at, workspace_id=workspace_id, message_id=message_id
        )
    logger.warning("delivery failed, will retry message=%s attempts=%s", message.pk, message.attempts + 1)
    return "retrying"


def attempt_delivery(message: Message) -> Delivered | DeliveryFailed:
    adapter_class = adapter_for(message.inbox.kind)
    if adapter_class is None:
        return DeliveryFailed(f"no delivery adapter for {message.inbox.kind} yet", retryable=False)
    identity = (
        Identity.objects.filter(
            workspace_id=message.workspace_id, customer_id=message.conversation.customer_id
        )
        .filter(kind=message.inbox.kind)
        .order_by("pk")
        .first()
    )
    outbound = OutboundMessage(
        message_id=message.pk,
        conversation_id=message.conversation_id,
        customer_id=message.conversation.customer_id,
        recipient_external_id=identity.external_id if identity else "",
        text=message.text,
        subject=message.conversation.subject,
        thread_key=message.conversation.thread_key,
        author_name=message.author_agent.display_name if message.author_agent else "",
        attachments=[
            OutboundAttachment(
                a.filename,
                a.content_type,
                settings.PUBLIC_URL + attachment_url(a),
                a.size,
                storage_name=a.file.name,
            )
            for a in message.attachments.all()
        ],
        metadata=message.metadata,
        reply=bot_reply_from(message.metadata),
        **(email_thread_headers(message) if message.inbox.kind == "email" else {}),
    )
    try:
        return adapter_class(inbox_config(message.inbox)).deliver(outbound)
    except Exception as exc:  # the task's edge: record why, retry
        logger.exception("adapter crashed message=%s", message.pk)
        return DeliveryFailed(f"adapter error: {type(exc).__name__}", retryable=True)


def email_thread_headers(message: Message) -> dict:
    """In-Reply-To (the customer's last Message-ID) and References (the thread's last ten, oldest first) for
    an email reply. Our own sends are stored as "out:<id>"; mail without a Message-ID got a hash id."""
    rows = list(
        Message.objects.filter(conversation_id=message.conversation_id, external_id__isnull=False)
        .exclude(pk=message.pk)
        .exclude(external_id__startswith="sha256:")
        .filter(created_at__lte=message.created_at)
        .order_by("created_at", "pk")
        .values_list("direction", "external_id")
    )
    last_in = next((ext for direction, ext in reversed(rows) if direction == "in"), "")
    return {"in_reply_to": last_in, "references": [ext.removeprefix("out:") for _d, ext in rows][-10:]}


@task()
def sweep_queued_messages() -> int:
    """Re-enqueue replies whose lease or retry time passed with no task to send them (a crash between
    commit and enqueue, a worker killed mid-send). deliver_message's lease makes a double nudge harmless."""
    stuck = list(
        Message.objects.filter(
            delivery_status=DeliveryStatus.QUEUED, next_attempt_at__lt=timezone.now() - timedelta(seconds=60)
        ).values_list("workspace_id", "pk")[:1000]
    )
    with transaction.atomic():
        for workspace_id, message_id in stuck:
            enqueue_on_commit(deliver_message, workspace_id=workspace_id, message_id=message_id)
    return len(stuck)
