"""Background work after commit. A task is a nudge, the row is the truth: sweeps re-enqueue what a
crash between commit and enqueue would have lost."""

import logging
from datetime import datetime
from functools import partial

from django.db import transaction

logger = logging.getLogger("sonnim.jobs")


def enqueue_on_commit(task, *, run_after: datetime | None = None, **kwargs) -> None:
    transaction.on_commit(partial(_enqueue, task, run_after, kwargs))


def _enqueue(task, run_after: datetime | None, kwargs: dict) -> None:
    if run_after is not None:
        task = task.using(run_after=run_after)
    result = task.enqueue(**kwargs)
    logger.debug("enqueued %s id=%s", task.name, result.id)
