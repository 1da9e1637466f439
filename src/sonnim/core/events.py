"""The one event log. record_event() writes the row with the workspace's next sequence number in the
caller's transaction and pushes it to agents' websockets after commit.

The sequence counter row is locked until commit, so record events after taking the rows' own locks
(lock order: customer -> conversation -> event counter); the other order can deadlock on PostgreSQL."""

from dataclasses import dataclass, field
from functools import partial

from django.db import connection, transaction

from .actors import Actor
from .bulk import insert_rows
from .models import Event, EventCounter, Workspace

_TAKE_SEQS = (
    "UPDATE core_eventcounter SET last_seq = last_seq + %s WHERE workspace_id = %s RETURNING last_seq"
)


def take_seqs(workspace_id: int, n: int = 1) -> int:
    """Reserve the workspace's next n sequence numbers and return the last. The UPDATE takes the counter
    row's lock until commit: concurrent writers in one workspace queue here, which keeps sequence order
    equal to commit order. One statement (UPDATE ... RETURNING) on SQLite and PostgreSQL alike."""
    with connection.cursor() as cursor:
        cursor.execute(_TAKE_SEQS, [n, workspace_id])
        row = cursor.fetchone()
    if row is None:  # the workspace's first event
        EventCounter.objects.get_or_create(workspace_id=workspace_id)
        return take_seqs(workspace_id, n)
    return row[0]


def record_event(
    workspace: Workspace | int,
    type: str,
    *,
    actor: Actor,
    conversation_id: int | None = None,
    customer_id: int | None = None,
    data: dict | None = None,
) -> Event:
    _require_transaction("record_event")
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    (event,) = insert_rows(
        [
            Event(
                workspace_id=workspace_id,
                seq=take_seqs(workspace_id),
                type=type,
                actor_kind=actor.kind,
                actor_id=actor.id,
                conversation_id=conversation_id,
                customer_id=customer_id,
                data=data or {},
            )
        ]
    )
    from . import realtime  # realtime imports channels; keep model-only imports light

    transaction.on_commit(partial(realtime.push_event, event))
    return event


@dataclass(frozen=True)
class PendingEvent:
    """One event of a bulk write (record_events)."""

    workspace_id: int
    type: str
    conversation_id: int | None = None
    customer_id: int | None = None
    data: dict = field(default_factory=dict)
    actor: Actor | None = None  # this event's own actor, else record_events' actor


def record_events(pending: list[PendingEvent], *, actor: Actor) -> list[Event]:
    """Many events in two statements per workspace (a sweep's notices): the same contract as record_event,
    one sequence range per workspace, pushed in one hop after commit."""
    _require_transaction("record_events")
    by_workspace: dict[int, list[PendingEvent]] = {}
    for item in pending:
        by_workspace.setdefault(item.workspace_id, []).append(item)
    created: list[Event] = []
    for workspace_id, items in sorted(by_workspace.items()):  # one lock order for every writer
        first = take_seqs(workspace_id, len(items)) - len(items) + 1
        created += insert_rows(
            [
                Event(
                    workspace_id=workspace_id,
                    seq=first + i,
                    type=item.type,
                    actor_kind=(item.actor or actor).kind,
                    actor_id=(item.actor or actor).id,
                    conversation_id=item.conversation_id,
                    customer_id=item.customer_id,
                    data=item.data,
                )
                for i, item in enumerate(items)
            ]
        )
    if created:
        from . import realtime

        transaction.on_commit(partial(realtime.push_events, created))
    return created


def _require_transaction(name: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{name}() must run inside the transaction of the change it records")


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
