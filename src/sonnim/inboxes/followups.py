"""What a webhook view does after the pipeline, for channels whose events are more than messages: a phone
call's log and ringing pop-up, and delivery receipts (SMS status callbacks) for our sent messages.

Adapters stay model-free: they hand over plain data (InboundMessage.metadata["call"], DeliveryReceipt) and
these functions, called by inboxes/views.py, do the writes through the owning apps' services."""

import logging

from django.db import transaction

from sonnim.conversations.choices import DeliveryStatus, Direction
from sonnim.conversations.locks import lock_message
from sonnim.conversations.models import Message
from sonnim.conversations.services import record_delivery
from sonnim.core.actors import SYSTEM
from sonnim.core.errors import SonnimError

from .adapters.base import DeliveryReceipt, InboundMessage
from .models import Inbox

logger = logging.getLogger("sonnim.hooks")

# A receipt moves a message forward only: a late "delivered" never undoes "failed", and the same receipt
# twice is a no-op (platforms retry their callbacks).
RECEIPT_FROM = {
    DeliveryStatus.DELIVERED: {DeliveryStatus.SENT},
    DeliveryStatus.FAILED: {DeliveryStatus.SENT, DeliveryStatus.DELIVERED},
}


def after_receive(inbox: Inbox, inbound: InboundMessage, received) -> None:
    if inbox.kind == "phone" and received.message is not None and "call" in inbound.metadata:
        from .calls import record_call_event

        record_call_event(inbox, inbound.metadata["call"], received.message)


@transaction.atomic
def record_delivery_receipt(inbox: Inbox, receipt: DeliveryReceipt) -> Message | None:
    """Mark our sent message delivered or failed (with the platform's reason).

    A receipt may outrun the worker: the provider accepted the send and calls back before the worker has
    committed `out:<id>`. When no message has the id yet and a reply of this inbox is still being delivered
    (queued), the answer is 503 `receipt_not_ready` and the provider's retry finds it. Otherwise (no reply in
    flight: a send made outside Sonnim) the receipt is dropped with a 200, so it is not retried forever."""
    if receipt.status not in RECEIPT_FROM or not receipt.external_id:
        return None
    message = (
        Message.objects.for_workspace(inbox.workspace_id)
        .filter(inbox=inbox, direction=Direction.OUT, external_id=f"out:{receipt.external_id}"[:255])
        .select_related("conversation")
        .first()
    )
    if message is None:
        in_flight = (
            Message.objects.for_workspace(inbox.workspace_id)
            .filter(inbox=inbox, direction=Direction.OUT, delivery_status=DeliveryStatus.QUEUED)
            .exists()
        )
        logger.info(
            "receipt for no known message inbox=%s status=%s in_flight=%s",
            inbox.pk,
            receipt.status,
            in_flight,
        )
        if in_flight:
            raise SonnimError(
                "receipt_not_ready",
                "No sent message has this id yet: the send is still being recorded. Retry shortly.",
                status=503,
            )
        return None
    message = lock_message(message)  # two copies of one receipt at once: the second sees the first's status
    if message.delivery_status not in RECEIPT_FROM[receipt.status]:
        return message
    return record_delivery(message, status=receipt.status, reason=receipt.reason, actor=SYSTEM)
