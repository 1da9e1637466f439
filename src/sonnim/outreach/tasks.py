"""Background entry points of outreach: take ids, reload rows, call the dealer and a service."""

import logging

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from sonnim.core import crypto
from sonnim.core.actors import SYSTEM
from sonnim.core.jobs import enqueue_on_commit
from sonnim.inboxes.adapters import adapter_for
from sonnim.inboxes.adapters.base import Delivered, DeliveryFailed
from sonnim.inboxes.adapters.kakao_dealers.base import AlimTalkRequest
from sonnim.inboxes.selectors import inbox_config

from .choices import SendStatus
from .models import AlimTalkSend
from .services import record_alimtalk_result, retry_delay

logger = logging.getLogger("sonnim.alimtalk")


@task()
def deliver_alimtalk(*, workspace_id: int, send_id: int) -> str:
    """Hand one queued AlimTalk to the dealer. Safe to run twice: a finished send is skipped, and the
    dealer's serial number (one per send) makes a repeated call a no-op on its side."""
    send = (
        AlimTalkSend.objects.select_related("template__inbox", "customer")
        .filter(pk=send_id, workspace_id=workspace_id)
        .first()
    )
    if send is None or send.status != SendStatus.QUEUED:
        return "skipped"
    result = attempt(send)
    if isinstance(result, Delivered):
        record_alimtalk_result(send, ok=True, dealer_message_id=result.external_id, actor=SYSTEM)
        logger.info("alimtalk sent send=%s attempts=%s", send.pk, send.attempts + 1)
        return "sent"
    retry = result.retryable and send.attempts + 1 < settings.DELIVERY_MAX_ATTEMPTS
    with transaction.atomic():
        send = record_alimtalk_result(send, ok=False, reason=result.reason, retry=retry, actor=SYSTEM)
        if retry:
            run_after = timezone.now() + retry_delay(send.attempts)
            enqueue_on_commit(
                deliver_alimtalk, run_after=run_after, workspace_id=workspace_id, send_id=send_id
            )
    logger.warning("alimtalk failed send=%s attempts=%s retry=%s", send.pk, send.attempts, retry)
    return "retrying" if retry else "failed"


def attempt(send: AlimTalkSend) -> Delivered | DeliveryFailed:
    customer, template = send.customer, send.template
    if not customer.phone or crypto.phone_index(customer.phone) != send.phone_index:
        return DeliveryFailed(
            "The customer's phone number changed or was erased after this was queued.", False
        )
    adapter = adapter_for(template.inbox.kind)(inbox_config(template.inbox))
    request = AlimTalkRequest(
        template_code=template.code,
        phone=customer.phone,
        text=send.rendered_text,
        serial_number=f"alimtalk-{send.pk}",
        buttons=template.buttons,
        fallback=send.fallback,
    )
    try:
        return adapter.send_alimtalk(request)
    except Exception as exc:  # the task's edge: record why, retry
        logger.exception("alimtalk adapter crashed send=%s", send.pk)
        return DeliveryFailed(f"adapter error: {type(exc).__name__}", retryable=True)
