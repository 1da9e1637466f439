"""Background entry points of the SLA app."""

from django.tasks import task

from .sweep import sweep_sla


@task()
def sweep_sla_task() -> int:
    """Announce due warnings and breaches; the worker enqueues it every 30 seconds."""
    return sweep_sla().notices
