"""Background entry points of the assist app. `retrain_category_models` is the periodic retraining: the
worker enqueues it every ASSIST_RETRAIN_SECONDS (daily by default; `sonnim assist retrain --workspace W`
retrains one workspace by hand)."""

import logging

from django.tasks import task

from sonnim.core.models import Workspace

from .services import retrain_category_model

logger = logging.getLogger("sonnim.assist")


@task()
def retrain_category_models() -> dict:
    """Retrain each workspace whose agents corrected a category since its last training; the others (one
    query each) keep their model, and workspaces never corrected keep the shipped one. Idempotent."""
    trained = 0
    for workspace in Workspace.objects.order_by("pk").iterator():
        try:
            trained += bool(retrain_category_model(workspace, only_if_changed=True)["trained"])
        except Exception:  # a task's edge: one workspace's failure must not stop the others
            logger.exception("retrain failed workspace=%s", workspace.pk)
    return {"trained": trained}
