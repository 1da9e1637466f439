"""Fixed-window counters in Django's cache (Redis when REDIS_URL is set, so every web process counts
together; per process otherwise)."""

import time

from django.core.cache import cache


def allow(key: str, *, limit: int, window_seconds: int = 60) -> bool:
    """Count one hit on `key`; False once the window already had `limit` hits."""
    bucket = f"webchat:rl:{key}:{int(time.time() // window_seconds)}"
    if cache.add(bucket, 1, timeout=window_seconds + 5):
        return True
    try:
        count = cache.incr(bucket)
    except ValueError:  # expired between add and incr
        cache.add(bucket, 1, timeout=window_seconds + 5)
        return True
    return count <= limit
