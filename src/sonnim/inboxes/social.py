"""Agent actions on Facebook/Instagram conversations (adapters/meta.py talks to the Graph API): answer a
public comment publicly or move it to a private message, and hide or unhide a customer's comment."""

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from sonnim.conversations.models import Conversation, Message
from sonnim.conversations.services import send_reply
from sonnim.core.actors import Actor
from sonnim.core.errors import SonnimError
from sonnim.core.events import record_event

from .adapters.meta import MetaAdapter
from .selectors import inbox_config

logger = logging.getLogger("sonnim.meta")

REPLY_MODES = ("public", "private")


def _comment_thread(conversation: Conversation) -> str:
    """The comment thread's root comment id; refuses a conversation that is not a public comment."""
    kind, _sep, root = conversation.thread_key.partition(":")
    if conversation.inbox.kind != "meta" or kind not in ("fb-comment", "ig-comment") or not root:
        raise SonnimError(
            "not_a_comment_thread",
            _("This conversation is not a Facebook or Instagram comment thread."),
            status=409,
        )
    return root


def reply_to_comment(conversation: Conversation, *, text: str, mode: str, actor: Actor) -> Message:
    """Queue a reply on a comment thread: `public` under the comment, `private` as a Messenger/Instagram
    private reply to the commenter (Meta allows one per comment, within 7 days).

    A private reply answers this conversation's customer's latest comment, kept in the reply's metadata
    ({"meta": {"mode": "private", "comment_id"}}): the thread's root comment may be another customer's
    (B answered under A's comment), and a private reply to it would reach A."""
    _comment_thread(conversation)
    if mode not in REPLY_MODES:
        raise SonnimError("invalid_input", _("The reply mode is public or private."), details={"mode": mode})
    options = {"mode": mode}
    if mode == "private":
        comment_id = latest_comment_id(conversation)
        if not comment_id:
            raise SonnimError("comment_not_found", _("No such comment in this conversation."), status=404)
        options["comment_id"] = comment_id
    return send_reply(conversation, text=text, actor=actor, metadata={"meta": options})


def record_sent_part(message_id: int, index: int, external_id: str) -> None:
    """Remember that part `index` of a multi-part reply (a text and its images) went out, as
    metadata["meta"]["sent_parts"][index] = its mid: a retry of the rest skips it (adapters/meta.py)."""
    with transaction.atomic():
        message = Message.objects.select_for_update().only("pk", "metadata").get(pk=message_id)
        metadata = dict(message.metadata or {})
        meta = dict(metadata.get("meta") or {})
        meta["sent_parts"] = {**(meta.get("sent_parts") or {}), str(index): external_id}
        message.metadata = {**metadata, "meta": meta}
        message.save(update_fields=["metadata"])


def latest_comment_id(conversation: Conversation) -> str:
    """The latest comment of this conversation's customer (its inbound messages are theirs alone)."""
    metadata = (
        Message.objects.for_workspace(conversation.workspace_id)
        .filter(conversation=conversation, direction="in", metadata__meta__kind="comment")
        .order_by("-created_at", "-pk")
        .values_list("metadata", flat=True)
        .first()
    )
    return str(((metadata or {}).get("meta") or {}).get("comment_id", ""))


def thread_comment_ids(conversation: Conversation) -> set[str]:
    rows = Message.objects.for_workspace(conversation.workspace_id).filter(
        conversation=conversation, direction="in"
    )
    return {str((m.get("meta") or {}).get("comment_id", "")) for m in rows.values_list("metadata", flat=True)}


def hide_comment(
    conversation: Conversation, *, comment_id: str = "", hidden: bool = True, actor: Actor
) -> str:
    """Hide (or show again) one of the customer's comments in this thread on the platform, then record
    `comment.hidden` / `comment.unhidden`. The Graph call is made before any transaction: a refusal is
    the agent's answer (502 with Meta's reason), and nothing is recorded."""
    root = _comment_thread(conversation)
    comment_id = comment_id or latest_comment_id(conversation) or root
    if comment_id not in thread_comment_ids(conversation):
        raise SonnimError("comment_not_found", _("No such comment in this conversation."), status=404)
    platform = "facebook" if conversation.thread_key.startswith("fb-") else "instagram"
    failure = MetaAdapter(inbox_config(conversation.inbox)).hide_comment(
        comment_id, platform=platform, hidden=hidden
    )
    if failure is not None:
        logger.warning("meta hide failed conversation=%s", conversation.pk)
        raise SonnimError(
            "meta_action_failed", failure.reason, status=502, details={"retryable": failure.retryable}
        )
    with transaction.atomic():
        record_event(
            conversation.workspace_id,
            "comment.hidden" if hidden else "comment.unhidden",
            actor=actor,
            conversation_id=conversation.pk,
            customer_id=conversation.customer_id,
            data={"comment_id": comment_id, "platform": platform},
        )
    return comment_id
