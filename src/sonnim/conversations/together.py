"""Single inbound messages that arrive at the same moment are stored together (group commit).

Writers queue anyway (SQLite has one writer; on PostgreSQL one workspace's event counter orders them), so
while one request stores its message, the requests arriving meanwhile wait. Here the first of them leads:
it takes everything that queued up, stores it with the pipeline's batch form (receive_many: one
transaction, the lookups and inserts done together) and hands each request its own result, then takes
the next group, until none is left. A request's result is exactly what receive_message() would return."""

import logging
import threading
from concurrent.futures import Future

from sonnim.core.errors import SonnimError
from sonnim.inboxes.adapters.base import InboundMessage
from sonnim.inboxes.models import Inbox

from .pipeline import Received, prepare, receive_many, receive_message

logger = logging.getLogger("sonnim.pipeline")

MAX_GROUP = 200

_lock = threading.Lock()
_waiting: list[tuple[Inbox, InboundMessage, Future]] = []
_leading = False


def receive_together(inbound: InboundMessage, *, inbox: Inbox) -> Received:
    """receive_message(inbound, inbox=inbox), stored with whatever arrives at the same time."""
    global _leading
    prepare(inbox, [inbound])  # on this request's own thread, while the leader stores the others
    mine: Future = Future()
    with _lock:
        _waiting.append((inbox, inbound, mine))
        lead, _leading = not _leading, True
    if lead:
        _lead()
    result = mine.result()
    if isinstance(result, SonnimError):
        raise result
    return result


def _lead() -> None:
    global _leading
    try:
        while True:
            with _lock:
                group = _waiting[:MAX_GROUP]
                del _waiting[:MAX_GROUP]
                if not group:
                    _leading = False
                    return
            _store(group)
    except BaseException as exc:  # the process is going down: nobody may wait for a leader forever
        with _lock:
            stranded, _waiting[:], _leading = [*group, *_waiting], [], False
        for _, _, future in stranded:
            if not future.done():
                future.set_exception(exc)
        raise


def _store(group: list[tuple[Inbox, InboundMessage, Future]]) -> None:
    by_inbox: dict[int, list[tuple[Inbox, InboundMessage, Future]]] = {}
    for item in group:
        by_inbox.setdefault(item[0].pk, []).append(item)
    for items in by_inbox.values():
        try:
            results = receive_many(items[0][0], [inbound for _, inbound, _ in items])
        except Exception:  # one bad message must not fail the others: each alone, its error its own
            logger.exception("a group of %s inbound messages failed: storing them one by one", len(items))
            for inbox, inbound, future in items:
                try:
                    future.set_result(receive_message(inbound, inbox=inbox))
                except Exception as exc:
                    future.set_exception(exc)
            continue
        for (_, _, future), result in zip(items, results, strict=True):
            future.set_result(result)
