"""Auto-close: pending conversations with no activity for the workspace's N days get the final message
(if one is set) and are closed, with the system as actor."""

from datetime import timedelta

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from sonnim.core.actors import SYSTEM

from .models import AutoCloseSetting


def auto_close_pending(*, now=None) -> list[int]:
    from sonnim.conversations.models import Conversation
    from sonnim.conversations.services import send_reply, set_status

    now = now or timezone.now()
    closed = []
    for setting in AutoCloseSetting.objects.filter(is_active=True).order_by("workspace_id"):
        stale = Conversation.objects.filter(
            workspace_id=setting.workspace_id,
            status="pending",
            updated_at__lte=now - timedelta(days=setting.days),
        ).order_by("pk")
        for conversation in stale[:500]:
            with transaction.atomic():
                locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
                if locked.status != "pending":  # the customer answered meanwhile
                    continue
                if setting.final_message.strip():
                    send_reply(locked, text=setting.final_message, actor=SYSTEM)
                set_status(locked, status="closed", actor=SYSTEM)
            closed.append(conversation.pk)
    return closed


@task()
def auto_close_task() -> int:
    return len(auto_close_pending())
