"""Ids for platforms that give their webhook events none (Naver TalkTalk, the Kakao chatbot skill).

The pipeline is idempotent on (inbox, external id), so a redelivered event must get the id of its first
delivery. The first delivery of a body from one user claims a short-lived cache key (an atomic `add`); a
copy within the window reads the claim back and gets the same id, which the pipeline then stores once.
The trade-off, by design: the very same content from the same user twice inside the window (default 10 s
after the first one was answered) counts as one delivery. Needs a cache shared by the web processes
(Redis) when there are several.
"""

import hashlib
import time

from django.core.cache import cache

DEFAULT_WINDOW_SECONDS = 10
PROCESSING_GRACE_SECONDS = 60  # longer than any platform waits for our answer


def derived_external_id(prefix: str, inbox_id: int, user: str, body: bytes, *, window_seconds: int) -> str:
    key = claim_key(inbox_id, user, body)
    digest = key.removeprefix("redelivery:")
    first_seen = str(time.time_ns())
    # Held while the first delivery is being processed (however slow), then for the window: see extend().
    if not cache.add(key, first_seen, timeout=max(1, window_seconds) + PROCESSING_GRACE_SECONDS):
        first_seen = cache.get(key) or first_seen  # expired between add and get: a new delivery after all
    return f"{prefix}:{digest[:32]}:{first_seen}"


def claim_key(inbox_id: int, user: str, body: bytes) -> str:
    return "redelivery:" + hashlib.sha256(f"{inbox_id}\x00{user}\x00".encode() + body).hexdigest()


def extend(keys: list[str], *, window_seconds: int) -> None:
    """Start the window when the first delivery was answered: a platform redelivers because we were slow,
    so the claim lasts through the slow first answer (a cold server's first request can take seconds) and
    the window counts from its end."""
    for key in keys:
        cache.touch(key, timeout=max(1, window_seconds))


def mark_sent(channel: str, inbox_id: int, user: str, text: str, *, seconds: int = 120) -> None:
    """Remember what we just sent, so that the platform's echo of it is recognised as ours."""
    cache.set(_sent_key(channel, inbox_id, user, text), 1, timeout=seconds)


def was_sent_by_us(channel: str, inbox_id: int, user: str, text: str) -> bool:
    return cache.get(_sent_key(channel, inbox_id, user, text)) is not None


def _sent_key(channel: str, inbox_id: int, user: str, text: str) -> str:
    digest = hashlib.sha256(f"{channel}\x00{inbox_id}\x00{user}\x00{text}".encode()).hexdigest()
    return f"sent:{digest}"
