"""Events of outreach. No phone numbers and no rendered text: ids, codes, statuses and reasons only."""

from sonnim.core.actors import Actor
from sonnim.core.events import record_event

from .models import AlimTalkSend, AlimTalkTemplate


def template_event(template: AlimTalkTemplate, type_: str, *, actor: Actor, **data) -> None:
    record_event(
        template.workspace_id,
        type_,
        actor=actor,
        data={"template_id": template.pk, "code": template.code, "status": template.status, **data},
    )


def send_event(send: AlimTalkSend, type_: str, *, actor: Actor) -> None:
    record_event(
        send.workspace_id,
        type_,
        actor=actor,
        customer_id=send.customer_id,
        data={
            "send_id": send.pk,
            "template_id": send.template_id,
            "status": send.status,
            "fallback": send.fallback,
            "attempts": send.attempts,
            "reason": send.failure_reason,
        },
    )
