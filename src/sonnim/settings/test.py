"""Test settings: the same as production, with a per-xdist-worker Redis prefix and fast retries."""

import os

os.environ.setdefault("SONNIM_DELIVERY_BACKOFF_SECONDS", "0")
os.environ.setdefault("SONNIM_DELIVERY_MAX_ATTEMPTS", "4")
# One id per test run (the controller's pid; xdist workers and their subprocesses inherit it) and one
# Redis prefix per run and worker: workers never share cache keys or channel groups. (The prefix is set,
# not defaulted: a worker inherits the controller's environment, prefix included.)
_run = os.environ.get("SONNIM_TEST_RUN_ID", str(os.getpid()))
os.environ["SONNIM_TEST_RUN_ID"] = _run
_worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
os.environ["SONNIM_REDIS_PREFIX"] = f"sonnim-test-{_run}-{_worker}"

from .base import *  # noqa: E402, F403
from .base import DATABASES, VAR_DIR  # noqa: E402

# Test databases are named per run (pytest-django adds the xdist worker's suffix), so parallel runs on one
# machine never share one. SQLite uses a file, not :memory:, so that subprocesses can open it.
if DATABASES["default"]["ENGINE"] == "sonnim.core.sqlite":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-sonnim-{_run}.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_sonnim_{_run}"}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = VAR_DIR / "test-media"
