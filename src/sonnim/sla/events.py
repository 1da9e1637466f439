"""One constructor per SLA event type."""

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from asgiref.sync import async_to_sync
from django.db import transaction
from django.db.models import F

from sonnim.core.actors import Actor
from sonnim.core.events import record_event
from sonnim.core.models import Event, EventCounter

logger = logging.getLogger("sonnim.sla")


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


@dataclass(frozen=True)
class PendingEvent:
    workspace_id: int
    type: str
    conversation_id: int
    customer_id: int
    data: dict


def record_events_bulk(pending: list[PendingEvent], *, actor: Actor) -> None:
    """Many events in three statements per workspace: the sweep's notices. Same contract as
    core.events.record_event: inside the writing transaction, the workspace's counter row locked until
    commit (one UPDATE takes the whole sequence range), pushed to websockets after commit."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_events_bulk() must run inside the transaction of the change it records")
    by_workspace: dict[int, list[PendingEvent]] = {}
    for item in pending:
        by_workspace.setdefault(item.workspace_id, []).append(item)
    for workspace_id, items in sorted(by_workspace.items()):
        n = len(items)
        if not EventCounter.objects.filter(workspace_id=workspace_id).update(last_seq=F("last_seq") + n):
            EventCounter.objects.get_or_create(workspace_id=workspace_id)
            EventCounter.objects.filter(workspace_id=workspace_id).update(last_seq=F("last_seq") + n)
        last = EventCounter.objects.values_list("last_seq", flat=True).get(workspace_id=workspace_id)
        rows = Event.objects.bulk_create(
            Event(
                workspace_id=workspace_id,
                seq=last - n + 1 + i,
                type=item.type,
                actor_kind=actor.kind,
                actor_id=actor.id,
                conversation_id=item.conversation_id,
                customer_id=item.customer_id,
                data=item.data,
            )
            for i, item in enumerate(items)
        )
        transaction.on_commit(partial(push_all, rows))


def push_all(rows: list[Event]) -> None:
    """realtime.push_event for many events in one hop to the event loop (one async_to_sync per event costs
    more than the sweep itself). Best effort like every push: clients catch up by sequence number."""
    import asyncio

    from channels.layers import get_channel_layer

    from sonnim.core import realtime
    from sonnim.core.events import serialize_event

    layer = get_channel_layer()
    if layer is None or not rows:
        return

    async def send() -> None:
        for row in rows:
            message = {"type": "event.push", "event": serialize_event(row)}
            await layer.group_send(realtime.workspace_group(row.workspace_id), message)

    try:
        loop = realtime._server_loop  # the same routing as realtime.send_to_group
        if loop is not None and loop.is_running() and not realtime._in_loop_thread(loop):
            asyncio.run_coroutine_threadsafe(send(), loop).result(timeout=30)
        else:
            async_to_sync(send)()
    except Exception:
        logger.warning("realtime push of %s sla events failed", len(rows), exc_info=True)
