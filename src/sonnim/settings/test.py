"""Test settings: the same as production, with a per-xdist-worker Redis prefix and fast retries."""

import os

os.environ.setdefault("SONNIM_DELIVERY_BACKOFF_SECONDS", "0")
os.environ.setdefault("SONNIM_DELIVERY_MAX_ATTEMPTS", "4")
_worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
os.environ.setdefault("SONNIM_REDIS_PREFIX", f"sonnim-test-{os.getpid()}-{_worker}")

from .base import *  # noqa: E402, F403
from .base import DATABASES, VAR_DIR  # noqa: E402

# A file database (not :memory:) so that subprocesses in tests can share it; pytest-django adds the
# xdist worker's suffix.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-sonnim.sqlite3")}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = VAR_DIR / "test-media"
