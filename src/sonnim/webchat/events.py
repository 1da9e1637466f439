"""The events the widget records itself (its messages are recorded by the pipeline)."""

from sonnim.core.actors import Actor
from sonnim.core.events import record_event
from sonnim.core.models import Event

KB_DEFLECTED = "kb.deflected"


def record_kb_deflected(
    workspace_id: int,
    *,
    actor: Actor,
    article_id: int,
    inbox_id: int,
    visitor_id: int,
    customer_id: int | None,
) -> Event:
    """A visitor opened a suggested article instead of starting a chat (counted as a deflection)."""
    return record_event(
        workspace_id,
        KB_DEFLECTED,
        actor=actor,
        customer_id=customer_id,
        data={"article_id": article_id, "inbox_id": inbox_id, "visitor_id": visitor_id},
    )
