"""Sliding-window counters in Django's cache (Redis when REDIS_URL is set, so every web process counts
together; per process otherwise).

Two fixed windows, the current one and the one before, weighted by how much of the previous window still
lies inside the last `window_seconds`: a burst that straddles a window boundary is still counted whole
(a plain fixed window forgets it at the boundary and lets up to twice the limit through)."""

import time

from django.core.cache import cache


def allow(key: str, *, limit: int, window_seconds: int = 60, now: float | None = None) -> bool:
    """Count one hit on `key`; False once the last `window_seconds` already had `limit` hits."""
    now = time.time() if now is None else now
    window, elapsed = divmod(now, window_seconds)
    current = f"webchat:rl:{key}:{int(window)}"
    previous = cache.get(f"webchat:rl:{key}:{int(window) - 1}", 0)
    if cache.add(current, 1, timeout=2 * window_seconds + 5):
        count = 1
    else:
        try:
            count = cache.incr(current)
        except ValueError:  # expired between add and incr
            cache.add(current, 1, timeout=2 * window_seconds + 5)
            count = 1
    weighted = previous * (1 - elapsed / window_seconds) + count
    return weighted <= limit
