"""Per-process caches of the configuration the inbound pipeline reads for every message.

SLA policies, business hours, routing and automation rules change a few times a month and are read for
every message. Each save or delete of such a row (whatever code does it: a service, the admin, a test)
gives its workspace a new random `config_version` in the same transaction (random, not a counter: a
version rolled back with its transaction, or a test's, never comes back, so nothing cached from rows that
were never committed can match); a process serves them from memory while
the version it read with the inbox's workspace is the one it cached them under.

An app registers its models with `watch()` in its AppConfig.ready(). Bulk `QuerySet.update()` sends no
signals: code that bulk-updates watched rows calls `changed()` itself.
"""

import threading
from collections.abc import Callable

from django.db.models.signals import post_delete, post_save

from .models import Workspace, new_config_version

_cache: dict[tuple[int, str], tuple[int, object]] = {}
_lock = threading.Lock()


def changed(workspace_id: int) -> None:
    """The workspace's pipeline configuration changed: every process reloads it on its next message."""
    Workspace.objects.filter(pk=workspace_id).update(config_version=new_config_version())


def watch(*models) -> None:
    for model in models:
        post_save.connect(_on_change, sender=model, dispatch_uid=f"config:{model._meta.label}:save")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"config:{model._meta.label}:delete")


def _on_change(sender, instance, **kwargs) -> None:
    if getattr(instance, "workspace_id", None) is not None:
        changed(instance.workspace_id)


def cached[T](workspace: Workspace | None, key: str, load: Callable[[], T]) -> T:
    """load() once per workspace, key and config_version. Without a workspace row to read the version from
    (callers outside the pipeline), load() every time: correctness first."""
    if workspace is None:
        return load()
    entry = _cache.get((workspace.pk, key))
    if entry is not None and entry[0] == workspace.config_version:
        return entry[1]  # type: ignore[return-value]
    value = load()
    with _lock:
        _cache[(workspace.pk, key)] = (workspace.config_version, value)
    return value
