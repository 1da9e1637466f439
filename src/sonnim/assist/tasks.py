"""Background entry points of the assist app. `retrain_category_models` is the periodic retraining: the
operator schedules it (cron: `sonnim assist retrain --workspace W`, or enqueue this task nightly)."""

import logging

from django.tasks import task

from sonnim.core.models import Workspace

from .services import retrain_category_model

logger = logging.getLogger("sonnim.assist")


@task()
def retrain_category_models() -> dict:
    """Retrain every workspace that has agents' category corrections; the others keep the shipped model."""
    trained = 0
    for workspace in Workspace.objects.order_by("pk").iterator():
        try:
            trained += bool(retrain_category_model(workspace)["trained"])
        except Exception:  # a task's edge: one workspace's failure must not stop the others
            logger.exception("retrain failed workspace=%s", workspace.pk)
    return {"trained": trained}
