"""Writes of inboxes."""

import json
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sonnim.core import crypto
from sonnim.core.actors import SYSTEM, Actor
from sonnim.core.errors import SonnimError
from sonnim.core.events import record_event
from sonnim.core.models import Workspace

from .choices import ChannelKind
from .errors import InboxError
from .models import Inbox, MailboxState


@dataclass(frozen=True)
class CreatedInbox:
    inbox: Inbox
    key: str


@transaction.atomic
def create_inbox(
    workspace: Workspace,
    *,
    kind: str,
    name: str,
    webhook_url: str = "",
    signing_secret: str | None = None,
    require_signature: bool = False,
    settings: dict | None = None,
    credentials: dict | None = None,
    actor: Actor = SYSTEM,
) -> CreatedInbox:
    if kind not in ChannelKind.values:
        raise SonnimError(InboxError.UNKNOWN_KIND, _("Unknown channel kind."), details={"kind": kind})
    _validate_settings(kind, settings or {})
    key = "inb_" + secrets.token_urlsafe(24)
    inbox = Inbox.objects.create(
        workspace=workspace,
        kind=kind,
        name=name,
        key=key,
        key_hash=crypto.secret_hash(key),
        webhook_url=webhook_url,
        signing_secret=signing_secret if signing_secret is not None else secrets.token_urlsafe(32),
        require_signature=require_signature,
        settings=settings or {},
        credentials=json.dumps(credentials) if credentials else "",
    )
    record_event(workspace, "inbox.created", actor=actor, data={"inbox_id": inbox.pk, "kind": kind})
    return CreatedInbox(inbox=inbox, key=key)


@transaction.atomic
def update_inbox(inbox: Inbox, *, actor: Actor, **changes) -> Inbox:
    allowed = {"name", "webhook_url", "require_signature", "is_active", "is_bot_enabled", "settings"}
    unknown = set(changes) - allowed
    if unknown:
        raise SonnimError("invalid_input", _("These fields cannot be changed."), details=sorted(unknown))
    if "settings" in changes:
        _validate_settings(inbox.kind, changes["settings"])
    inbox = Inbox.objects.select_for_update().get(pk=inbox.pk, workspace_id=inbox.workspace_id)
    changed = [k for k, v in changes.items() if getattr(inbox, k) != v]
    for k in changed:
        setattr(inbox, k, changes[k])
    if changed:
        inbox.save(update_fields=changed)
        record_event(
            inbox.workspace_id, "inbox.updated", actor=actor, data={"inbox_id": inbox.pk, "fields": changed}
        )
    return inbox


def _validate_settings(kind: str, settings: dict) -> None:
    """The channel's adapter checks its own settings (SonnimError with its code and field details)."""
    from .adapters import adapter_for

    adapter = adapter_for(kind)
    if adapter is not None:
        adapter.validate_settings(settings)


def mailbox_state(inbox: Inbox, *, folder: str, uidvalidity: int) -> MailboxState:
    """The poller's mark in one IMAP folder. A changed UIDVALIDITY restarts the folder from UID 0: the server
    renumbered it, and the pipeline's Message-ID dedup keeps mail already stored from doubling."""
    state, _created = MailboxState.objects.get_or_create(
        workspace_id=inbox.workspace_id, inbox=inbox, folder=folder, defaults={"uidvalidity": uidvalidity}
    )
    if state.uidvalidity != uidvalidity:
        state.uidvalidity, state.last_uid, state.updated_at = uidvalidity, 0, timezone.now()
        state.save(update_fields=["uidvalidity", "last_uid", "updated_at"])
    return state


def advance_mailbox(state: MailboxState, *, uid: int) -> None:
    """Move the mark forward only (a second poller that is behind must not move it back)."""
    MailboxState.objects.filter(pk=state.pk, uidvalidity=state.uidvalidity, last_uid__lt=uid).update(
        last_uid=uid, updated_at=timezone.now()
    )
    state.last_uid = max(state.last_uid, uid)


@transaction.atomic
def update_inbox_credentials(inbox: Inbox, *, credentials: dict, actor: Actor) -> Inbox:
    """Merge secrets into the inbox's encrypted credentials; a key set to "" is removed. The event names the
    keys that changed, never their values."""
    inbox = Inbox.objects.select_for_update().get(pk=inbox.pk, workspace_id=inbox.workspace_id)
    current = json.loads(inbox.credentials) if inbox.credentials else {}
    merged = {**current, **{k: v for k, v in credentials.items() if v != ""}}
    for key in [k for k, v in credentials.items() if v == ""]:
        merged.pop(key, None)
    if merged == current:
        return inbox
    inbox.credentials = json.dumps(merged) if merged else ""
    inbox.save(update_fields=["credentials"])
    changed = sorted(k for k in set(current) | set(merged) if current.get(k) != merged.get(k))
    record_event(
        inbox.workspace_id,
        "inbox.updated",
        actor=actor,
        data={"inbox_id": inbox.pk, "fields": ["credentials"], "credential_keys": changed},
    )
    return inbox
