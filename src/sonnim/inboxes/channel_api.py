"""Agent API for channel-specific work: a phone conversation's call log, and Facebook/Instagram comment
actions (reply publicly or privately, hide a comment)."""

import json
from datetime import datetime
from typing import Literal

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status

from sonnim.conversations import selectors as conversation_selectors
from sonnim.conversations.schemas import MessageOut, message_out
from sonnim.core.auth import agent_auth
from sonnim.core.choices import ADMIN_ROLES
from sonnim.core.errors import CoreError, NotFound, SonnimError

from . import social
from .models import CallLog
from .selectors import get_inbox
from .services import update_inbox, update_inbox_credentials

router = Router(tags=["channels"], auth=agent_auth)


class CallLogOut(Schema):
    call_id: str
    direction: str  # inbound / outbound
    status: str  # the latest event: ringing / answered / ended / missed
    outcome: str  # answered / missed, "" while ringing
    agent_id: int | None
    started_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    duration_seconds: int | None
    recording_url: str


class CommentReplyIn(Schema):
    text: str = Field(min_length=1, max_length=2_000)
    mode: Literal["public", "private"] = "public"


class HideIn(Schema):
    comment_id: str = Field("", max_length=255)  # default: the customer's latest comment in the thread
    hidden: bool = True


class HideOut(Schema):
    comment_id: str
    hidden: bool


class ChannelConfigIn(Schema):
    settings: dict | None = None  # replaces the inbox's settings (checked by the channel's adapter)
    credentials: dict[str, str] | None = None  # merged into the encrypted secrets; "" removes a key


class ChannelConfigOut(Schema):
    id: int
    kind: str
    settings: dict
    credential_keys: list[str]  # which secrets are set; their values are never returned


@router.patch("/inboxes/{inbox_id}/channel", response=ChannelConfigOut)
def configure_channel(request: HttpRequest, inbox_id: int, payload: ChannelConfigIn):
    """Admins set a channel's settings and secrets (SMS provider and sender numbers, Meta app secret and
    page token, ...; see the README per channel). 400 with the channel's code when a setting is wrong."""
    ctx = request.auth
    if ctx.agent.role not in ADMIN_ROLES:
        raise SonnimError(
            CoreError.PERMISSION_DENIED, _("Only admins can change channel settings."), status=403
        )
    inbox = get_inbox(ctx.workspace, inbox_id)
    with transaction.atomic():
        if payload.settings is not None:
            inbox = update_inbox(inbox, settings=payload.settings, actor=ctx.actor)
        if payload.credentials is not None:
            inbox = update_inbox_credentials(inbox, credentials=payload.credentials, actor=ctx.actor)
    keys = sorted(json.loads(inbox.credentials)) if inbox.credentials else []
    return ChannelConfigOut(id=inbox.pk, kind=inbox.kind, settings=inbox.settings, credential_keys=keys)


@router.get("/conversations/{conversation_id}/call", response=CallLogOut)
def call_log(request: HttpRequest, conversation_id: int):
    """The call a phone conversation logs: direction, outcome, agent, times, duration, recording."""
    conversation = conversation_selectors.get_conversation(request.auth.workspace, conversation_id)
    log = (
        CallLog.objects.for_workspace(request.auth.workspace).filter(conversation_id=conversation.pk).first()
    )
    if log is None:
        raise NotFound("call_not_found", _("This conversation logs no call."))
    return CallLogOut(**{name: getattr(log, name) for name in CallLogOut.model_fields})


@router.post("/conversations/{conversation_id}/meta/reply", response={201: MessageOut})
def meta_reply(request: HttpRequest, conversation_id: int, payload: CommentReplyIn):
    """Answer a Facebook/Instagram comment thread: `public` replies under the comment, `private` sends a
    private message to the commenter (Meta: one per comment, within 7 days). Delivery is queued and
    retried like any reply; 409 not_a_comment_thread on other conversations."""
    ctx = request.auth
    conversation = conversation_selectors.get_conversation(ctx.workspace, conversation_id)
    message = social.reply_to_comment(conversation, text=payload.text, mode=payload.mode, actor=ctx.actor)
    return Status(201, message_out(conversation_selectors.get_message(ctx.workspace, message.pk)))


@router.post("/conversations/{conversation_id}/meta/hide", response=HideOut)
def meta_hide(request: HttpRequest, conversation_id: int, payload: HideIn):
    """Hide (hidden=false: show again) a customer's comment on Facebook/Instagram. 502 meta_action_failed
    with Meta's reason when the Graph API refuses; try again later when details.retryable."""
    ctx = request.auth
    conversation = conversation_selectors.get_conversation(ctx.workspace, conversation_id)
    comment_id = social.hide_comment(
        conversation, comment_id=payload.comment_id, hidden=payload.hidden, actor=ctx.actor
    )
    return HideOut(comment_id=comment_id, hidden=payload.hidden)
