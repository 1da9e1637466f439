"""The one event log. record_event() writes the row with the workspace's next sequence number in the
caller's transaction and pushes it to agents' websockets after commit.

The sequence counter row is locked until commit, so record events after taking the rows' own locks
(lock order: customer -> conversation -> event counter); the other order can deadlock on PostgreSQL."""

from functools import partial

from django.db import transaction
from django.db.models import F

from .actors import Actor
from .models import Event, EventCounter, Workspace


def next_seq(workspace_id: int) -> int:
    # UPDATE ... takes the row lock until commit: concurrent writers in one workspace queue here,
    # which keeps sequence order equal to commit order.
    updated = EventCounter.objects.filter(workspace_id=workspace_id).update(last_seq=F("last_seq") + 1)
    if not updated:
        EventCounter.objects.get_or_create(workspace_id=workspace_id)
        EventCounter.objects.filter(workspace_id=workspace_id).update(last_seq=F("last_seq") + 1)
    return EventCounter.objects.values_list("last_seq", flat=True).get(workspace_id=workspace_id)


def record_event(
    workspace: Workspace | int,
    type: str,
    *,
    actor: Actor,
    conversation_id: int | None = None,
    customer_id: int | None = None,
    data: dict | None = None,
) -> Event:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_event() must run inside the transaction of the change it records")
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    event = Event.objects.create(
        workspace_id=workspace_id,
        seq=next_seq(workspace_id),
        type=type,
        actor_kind=actor.kind,
        actor_id=actor.id,
        conversation_id=conversation_id,
        customer_id=customer_id,
        data=data or {},
    )
    from . import realtime  # realtime imports channels; keep model-only imports light

    transaction.on_commit(partial(realtime.push_event, event))
    return event


def serialize_event(event: Event) -> dict:
    """The one shape of an event, on the websocket and in GET /api/v1/events."""
    return {
        "seq": event.seq,
        "type": event.type,
        "actor": {"kind": event.actor_kind, "id": event.actor_id},
        "conversation_id": event.conversation_id,
        "customer_id": event.customer_id,
        "data": event.data,
        "created_at": event.created_at.isoformat(),
    }
