"""Background entry points of inboxes: polling email inboxes over IMAP.

A poll never loses or doubles a mail, even when the worker is killed mid-batch: each mail is stored through
receive_message() (idempotent on Message-ID, or a content hash when there is none) and its own
transaction, and only then does the folder's last UID move past it. A kill between the two means the
next poll fetches that mail again and the pipeline reports it as a duplicate."""

import logging
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.cache import cache
from django.tasks import task

from sonnim.conversations.pipeline import receive_message
from sonnim.core.errors import SonnimError

from .adapters.base import WebhookRejected
from .adapters.email import EmailAdapter
from .adapters.imap import ImapMailbox, MailboxError
from .choices import ChannelKind
from .errors import InboxError
from .models import Inbox
from .selectors import inbox_config
from .services import advance_mailbox, mailbox_state

logger = logging.getLogger("sonnim.email")

POLL_BATCH = 200  # mails per poll; the next poll goes on where this one stopped
POLL_LOCK_SECONDS = 300


@dataclass
class PollResult:
    inbox_id: int
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    bounces: int = 0
    skipped: int = 0
    last_uid: int = 0
    error: str = ""


def poll_mailbox(inbox: Inbox, *, limit: int = POLL_BATCH) -> PollResult:
    """Fetch the inbox folder's mail above the last UID, store each, advance the mark, mark it processed.
    Raises SonnimError when the inbox has no usable IMAP settings and MailboxError when the server fails."""
    adapter = EmailAdapter(inbox_config(inbox))
    imap = adapter.email_settings.imap
    if imap is None:
        raise SonnimError(InboxError.NO_IMAP, "This email inbox has no IMAP settings.")
    result = PollResult(inbox.pk)
    password = adapter.config.credentials.get("imap_password", "")
    with ImapMailbox(imap, password, timeout=settings.DELIVERY_TIMEOUT_SECONDS * 3) as mailbox:
        state = mailbox_state(inbox, folder=imap.folder, uidvalidity=mailbox.uidvalidity)
        for uid in mailbox.uids_after(state.last_uid)[:limit]:
            raw = mailbox.fetch(uid)
            if raw is not None:
                result.fetched += 1
                _ingest(adapter, raw, result)
            advance_mailbox(state, uid=uid)  # after the mail's own commit, never before
            try:
                mailbox.mark_processed(uid)
            except MailboxError as exc:  # the mark already moved past it: a flag we could not set is cosmetic
                logger.warning("could not mark mail processed inbox=%s uid=%s: %s", inbox.pk, uid, exc)
        result.last_uid = state.last_uid
    return result


def _ingest(adapter: EmailAdapter, raw: bytes, result: PollResult) -> None:
    try:
        received = receive_message(adapter.inbound_from_raw(raw))
    except (WebhookRejected, SonnimError) as exc:  # a mail we can never store (no sender, refused): skip it
        code = getattr(exc, "code", "")
        logger.warning("mail skipped inbox=%s code=%s", adapter.config.inbox_id, code)
        result.skipped += 1
        return
    if received.is_bounce:
        result.bounces += 1
    elif received.duplicate:
        result.duplicates += 1
    else:
        result.stored += 1


@task()
def poll_imap_inbox(*, workspace_id: int, inbox_id: int) -> dict:
    inbox = Inbox.objects.filter(
        pk=inbox_id, workspace_id=workspace_id, kind=ChannelKind.EMAIL, is_active=True
    ).first()
    if inbox is None:  # switched off or deleted since it was scheduled
        return asdict(PollResult(inbox_id, error="inactive"))
    # One poll per inbox at a time: a slow server must not pile up overlapping polls. Overlap would be
    # harmless (dedup), only wasteful; a killed worker's lock expires on its own.
    lock = f"email-poll:{inbox_id}"
    if not cache.add(lock, 1, timeout=POLL_LOCK_SECONDS):
        return asdict(PollResult(inbox_id, error="busy"))
    try:
        result = poll_mailbox(inbox)
    except (SonnimError, MailboxError) as exc:  # the task's edge: log the reason, the next poll tries again
        logger.warning("poll failed inbox=%s: %s", inbox_id, getattr(exc, "code", None) or exc)
        return asdict(PollResult(inbox_id, error=str(getattr(exc, "code", None) or exc)))
    finally:
        cache.delete(lock)
    level = logging.INFO if result.fetched else logging.DEBUG
    logger.log(level, "polled inbox=%s fetched=%s stored=%s", inbox_id, result.fetched, result.stored)
    return asdict(result)


def email_inboxes_to_poll() -> list[Inbox]:
    """Active email inboxes with IMAP settings (forwarding-only inboxes have none)."""
    return list(
        Inbox.objects.filter(kind=ChannelKind.EMAIL, is_active=True, settings__has_key="imap").order_by("pk")
    )


def enqueue_email_polls() -> int:
    """Called by the worker every SONNIM_EMAIL_POLL_SECONDS. Two polls of one inbox at once are harmless."""
    inboxes = email_inboxes_to_poll()
    for inbox in inboxes:
        poll_imap_inbox.enqueue(workspace_id=inbox.workspace_id, inbox_id=inbox.pk)
    return len(inboxes)
