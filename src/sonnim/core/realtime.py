"""Pushes events to agents' websockets: one channel-layer group per workspace.

Pushes are best effort by design: a browser that missed one (offline, a push lost between processes)
catches up from GET /api/v1/events?after=SEQ, because every push carries its sequence number.
"""

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger("sonnim.realtime")

# The server's event loop, when this process serves websockets. The in-memory channel layer's queues
# belong to that loop, so pushes from other threads (the in-process worker) are handed to it.
_server_loop: asyncio.AbstractEventLoop | None = None


def set_server_loop(loop: asyncio.AbstractEventLoop) -> None:
    global _server_loop
    _server_loop = loop


def workspace_group(workspace_id: int) -> str:
    return f"workspace.{workspace_id}"


def push_event(event) -> None:
    from .events import serialize_event

    message = {"type": "event.push", "event": serialize_event(event)}
    send_to_group(workspace_group(event.workspace_id), message)


def send_to_group(group: str, message: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        loop = _server_loop
        if loop is not None and loop.is_running() and not _in_loop_thread(loop):
            asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop).result(timeout=5)
        elif _loop_running_here():
            # Sync code called from inside some other running loop (an async caller, a test driver):
            # async_to_sync refuses that thread, so the send runs on a short-lived thread of its own.
            with ThreadPoolExecutor(max_workers=1) as pool:
                pool.submit(async_to_sync(layer.group_send), group, message).result(timeout=5)
        else:
            async_to_sync(layer.group_send)(group, message)
    except Exception:  # a lost push is recovered by the client's catch-up; never fail the caller
        logger.warning("realtime push to %s failed", group, exc_info=True)


def _loop_running_here() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _in_loop_thread(loop: asyncio.AbstractEventLoop) -> bool:
    return getattr(loop, "_thread_id", None) == threading.get_ident()
