"""Pushes events to agents' websockets: one channel-layer group per workspace.

Pushes are best effort by design: a browser that missed one (offline, a push lost between processes)
catches up from GET /api/v1/events?after=SEQ, because every push carries its sequence number.

In the server process, pushes never block the request that made them: they are queued to the server's
event loop, where one task sends them in the order they were queued.
"""

import asyncio
import atexit
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger("sonnim.realtime")

# The server's event loop, when this process serves websockets. The in-memory channel layer's queues
# belong to that loop, so pushes from other threads (request threads, the in-process worker) go to it.
_server_loop: asyncio.AbstractEventLoop | None = None
_outbox: asyncio.Queue | None = None  # lives on _server_loop; only touched from its thread


def set_server_loop(loop: asyncio.AbstractEventLoop) -> None:
    global _server_loop, _outbox
    _server_loop, _outbox = loop, None


def workspace_group(workspace_id: int) -> str:
    return f"workspace.{workspace_id}"


def push_event(event) -> None:
    push_events([event])


def push_events(events: list) -> None:
    """Many events in one hop (one transaction's, a sweep's), in sequence order."""
    from .events import serialize_event

    send_many(
        [
            (workspace_group(e.workspace_id), {"type": "event.push", "event": serialize_event(e)})
            for e in events
        ]
    )


def send_to_group(group: str, message: dict) -> None:
    send_many([(group, message)])


def send_many(items: list[tuple[str, dict]]) -> None:
    layer = get_channel_layer()
    if layer is None or not items:
        return
    try:
        loop = _server_loop if _server_loop is not None else _pusher_loop(layer)
        if loop is not None and loop.is_running() and not _in_loop_thread(loop):
            loop.call_soon_threadsafe(_queue_on_loop, items)
        elif loop is not None and loop.is_running():
            _queue_on_loop(items)  # sync code on the server loop's own thread: it may not block the loop
        elif _loop_running_here():
            # Sync code called from inside some other running loop (an async caller, a test driver):
            # async_to_sync refuses that thread, so the send runs on a short-lived thread of its own.
            with ThreadPoolExecutor(max_workers=1) as pool:
                pool.submit(async_to_sync(_send_all), layer, items).result(timeout=30)
        else:
            async_to_sync(_send_all)(layer, items)
    except Exception:  # a lost push is recovered by the client's catch-up; never fail the caller
        logger.warning("realtime push of %s messages failed", len(items), exc_info=True)


async def _send_all(layer, items: list[tuple[str, dict]]) -> None:
    for group, message in items:
        await layer.group_send(group, message)


def _queue_on_loop(items: list[tuple[str, dict]]) -> None:
    """Runs on the server loop's thread: one queue and one sender task keep pushes in order."""
    global _outbox
    if _outbox is None:
        _outbox = asyncio.Queue()
        asyncio.get_running_loop().create_task(_drain(_outbox))
    _outbox.put_nowait(items)


async def _drain(queue: asyncio.Queue) -> None:
    while True:
        items = await queue.get()
        try:
            await _send_all(get_channel_layer(), items)
        except Exception:  # best effort, like every push; the task must keep running for the next ones
            logger.warning("realtime push of %s messages failed", len(items), exc_info=True)
        finally:
            queue.task_done()


def flush(timeout: float = 5.0) -> None:
    """Wait until this process's queued pushes are sent (a command about to exit)."""
    loop, queue = _pusher, _outbox
    if loop is None or queue is None or not loop.is_running() or _server_loop is not None:
        return
    try:
        asyncio.run_coroutine_threadsafe(queue.join(), loop).result(timeout=timeout)
    except Exception:
        logger.warning("realtime pushes still queued at exit", exc_info=True)


_pusher: asyncio.AbstractEventLoop | None = None
_pusher_lock = threading.Lock()


def _pusher_loop(layer) -> asyncio.AbstractEventLoop | None:
    """Outside the server (a worker process, the CLI), pushes to a shared layer (Redis) go through one
    background loop of this process: it keeps its connections, and the writer does not wait. The
    in-memory layer only reaches the loop that reads it, so it keeps the direct path."""
    global _pusher
    if type(layer).__name__ == "InMemoryChannelLayer":
        return None
    if _pusher is None:
        with _pusher_lock:
            if _pusher is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="sonnim-realtime", daemon=True).start()
                _pusher = loop
                atexit.register(flush)
    return _pusher


def _loop_running_here() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _in_loop_thread(loop: asyncio.AbstractEventLoop) -> bool:
    return getattr(loop, "_thread_id", None) == threading.get_ident()
