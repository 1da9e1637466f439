"""One constructor per SLA event type."""

from datetime import datetime

from sonnim.core.actors import Actor
from sonnim.core.events import PendingEvent, record_event, record_events  # noqa: F401 - the sweep's bulk writes


def sla_notice(
    *,
    workspace_id: int,
    conversation_id: int,
    customer_id: int,
    kind: str,
    target: str,
    cycle: int,
    due_at: datetime,
    policy_id: int | None,
    actor: Actor,
) -> None:
    """sla.warning / sla.breached, once per target and cycle (SlaNotice's constraint guards it)."""
    record_event(
        workspace_id,
        f"sla.{kind}",
        actor=actor,
        conversation_id=conversation_id,
        customer_id=customer_id,
        data={"target": target, "cycle": cycle, "due_at": due_at.isoformat(), "policy_id": policy_id},
    )


def escalated(*, workspace_id: int, conversation_id: int, customer_id: int, actor: Actor, **data) -> None:
    record_event(
        workspace_id,
        "sla.escalated",
        actor=actor,
        conversation_id=conversation_id,
        customer_id=customer_id,
        data=data,
    )
