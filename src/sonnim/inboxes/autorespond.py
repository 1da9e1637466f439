"""Loop safety for anything that answers by itself (bots, auto-acknowledgements, rules that reply).

Ask `may_auto_respond()` right before sending an automatic answer: it says no to machine-generated or bulk
mail, and at most AUTO_RESPONSES_PER_HOUR times per inbox and address in one clock hour, so two
autoresponders can never ping-pong. A yes counts as one response."""

import hashlib
from datetime import datetime

from django.conf import settings
from django.core.cache import cache

AUTO_RESPONSES_PER_HOUR = 3


def _limit() -> int:
    return int(getattr(settings, "AUTO_RESPONSES_PER_HOUR", AUTO_RESPONSES_PER_HOUR))


def may_auto_respond(inbox_id: int, address: str, now: datetime, *, is_auto_reply: bool = False) -> bool:
    if is_auto_reply or not address:
        return False
    # Hashed: cache keys show up in Redis tooling, addresses must not.
    digest = hashlib.sha256(address.strip().lower().encode()).hexdigest()[:24]
    key = f"autorespond:{inbox_id}:{digest}:{now:%Y%m%d%H}"
    cache.add(key, 0, timeout=2 * 3600)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr: count this one as the first
        cache.set(key, 1, timeout=2 * 3600)
        count = 1
    return count <= _limit()
