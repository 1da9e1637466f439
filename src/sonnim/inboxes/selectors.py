"""Reads of inboxes."""

import json

from django.conf import settings
from django.utils.translation import gettext as _

from sonnim.core import crypto, rows
from sonnim.core.errors import NotFound, SonnimError
from sonnim.core.models import Workspace

from .adapters.base import InboxConfig
from .errors import InboxError
from .models import Inbox


def get_inbox(workspace: Workspace, inbox_id: int) -> Inbox:
    inbox = Inbox.objects.for_workspace(workspace).filter(pk=inbox_id).first()
    if inbox is None:
        raise NotFound(InboxError.INBOX_NOT_FOUND, _("Inbox not found."))
    return inbox


def inbox_for_key(key: str, *, inbox_id: int | None = None, kind: str | None = None) -> Inbox:
    """The inbox a key authenticates; 401 for a wrong key (never say whether the inbox exists)."""
    inbox = _inbox_by_key_hash(crypto.secret_hash(key)) if key else None
    if (
        inbox is None
        or (inbox_id is not None and inbox.pk != inbox_id)
        or (kind is not None and inbox.kind != kind)
    ):
        raise SonnimError(InboxError.BAD_INBOX_KEY, _("The inbox key is missing or wrong."), status=401)
    if not inbox.is_active:
        raise SonnimError(InboxError.INBOX_INACTIVE, _("This inbox is switched off."), status=403)
    return inbox


def _inbox_by_key_hash(key_hash: str) -> Inbox | None:
    """Inbox.objects.filter(key_hash=...).select_related("workspace").first(), without compiling the query
    on every inbound request (core/rows.py): the key is unique."""
    return rows.first(Inbox, "{t}.key_hash = %s", [key_hash], related=(("workspace", Workspace),))


def inbox_config(inbox: Inbox) -> InboxConfig:
    return InboxConfig(
        inbox_id=inbox.pk,
        kind=inbox.kind,
        settings=inbox.settings,
        credentials=json.loads(inbox.credentials) if inbox.credentials else {},
        webhook_url=inbox.webhook_url,
        signing_secret=inbox.signing_secret,
        require_signature=inbox.require_signature,
    )


def inbound_url(inbox: Inbox) -> str:
    if inbox.kind == "api":
        return f"{settings.PUBLIC_URL}/api/v1/inboxes/{inbox.pk}/messages"
    return f"{settings.PUBLIC_URL}/hooks/{inbox.kind}/<inbox key>"


def inboxes_of(workspace: Workspace) -> list[Inbox]:
    return list(Inbox.objects.for_workspace(workspace).order_by("pk"))
