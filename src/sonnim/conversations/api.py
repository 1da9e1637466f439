"""The agent API for conversations: parse, authorize (workspace from the token), call one service."""

import base64
import binascii
from typing import Literal

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status

from sonnim.core.auth import agent_auth
from sonnim.core.errors import SonnimError
from sonnim.core.idempotency import run_idempotent
from sonnim.core.selectors import get_agent, get_team
from sonnim.inboxes.selectors import get_inbox

from . import selectors, services
from .schemas import (
    AssignIn,
    ConversationDetail,
    ConversationOut,
    ConversationPage,
    InboxRef,
    MessageOut,
    PriorityIn,
    Ref,
    ReplyChannelOut,
    ReplyIn,
    SavedViewIn,
    SavedViewOut,
    SearchHitOut,
    StatusIn,
    TagsIn,
    TeamIn,
    conversation_out,
    message_out,
)

router = Router(tags=["conversations"], auth=agent_auth)


class ListQuery(Schema):
    status: str | None = None
    assignee: str | None = None  # an agent id, "me" or "none"
    team: int | None = None
    inbox: int | None = None
    tag: str | None = None
    priority: str | None = None
    customer: int | None = None
    q: str | None = None
    sla_state: str | None = None  # running | warning | breached | paused | met
    sort: Literal["recent", "sla"] = "recent"  # sla: nearest SLA due time first
    cursor: str | None = None
    limit: int = 25


@router.get("/conversations", response=ConversationPage)
def list_conversations(request: HttpRequest, query: Query[ListQuery]):
    ctx = request.auth
    assignee_id, unassigned = None, False
    if query.assignee == "me":
        assignee_id = ctx.agent.pk
    elif query.assignee == "none":
        unassigned = True
    elif query.assignee:
        if not query.assignee.isdigit():
            raise SonnimError("invalid_input", _("assignee must be an agent id, 'me' or 'none'."))
        assignee_id = int(query.assignee)
    filters = selectors.ConversationFilters(
        status=query.status,
        assignee_id=assignee_id,
        unassigned=unassigned,
        team_id=query.team,
        inbox_id=query.inbox,
        tag=query.tag,
        priority=query.priority,
        customer_id=query.customer,
        q=query.q,
        sla_state=query.sla_state,
    )
    page = selectors.list_conversations(
        ctx.workspace, filters, cursor=query.cursor, limit=max(1, min(query.limit, 100)), sort=query.sort
    )
    selectors.mark_unread(ctx.agent.pk, page.items)
    return ConversationPage(items=[conversation_out(c) for c in page.items], next_cursor=page.next_cursor)


@router.get("/conversations/{conversation_id}", response=ConversationDetail)
def get_conversation(request: HttpRequest, conversation_id: int):
    conversation = selectors.get_conversation(request.auth.workspace, conversation_id)
    messages = selectors.conversation_messages(conversation)
    return ConversationDetail(
        **conversation_out(conversation).model_dump(), messages=[message_out(m) for m in messages]
    )


def _files(payload: ReplyIn) -> list[services.FileUpload]:
    files = []
    for a in payload.attachments:
        try:
            data = base64.b64decode(a.data_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise SonnimError(
                "invalid_attachment", _("Attachment %(name)s is not valid base64.") % {"name": a.filename}
            ) from exc
        files.append(services.FileUpload(a.filename, a.content_type, data))
    return files


def _write_message(request: HttpRequest, conversation_id: int, payload: ReplyIn, write) -> tuple[int, dict]:
    ctx = request.auth
    conversation = selectors.get_conversation(ctx.workspace, conversation_id)

    def run() -> tuple[int, dict]:
        message = write(conversation, text=payload.text, actor=ctx.actor, files=_files(payload))
        message = selectors.get_message(ctx.workspace, message.pk)
        return 201, message_out(message).model_dump(mode="json")

    return run_idempotent(request, ctx.workspace, run)


@router.post("/conversations/{conversation_id}/reply", response={201: MessageOut})
def reply(request: HttpRequest, conversation_id: int, payload: ReplyIn):
    """Queue a reply on the conversation's channel, or with `inbox_id` on another inbox of the workspace
    where the customer has an identity (email: an address): the reply then lands in the customer's active
    conversation there, or a new one, whose id the answer's `conversation_id` gives. Send
    `Idempotency-Key` to make a retry safe. The replying agent's read marker moves past their reply."""
    ctx = request.auth

    def write(conversation, **kwargs):
        with transaction.atomic():
            if payload.inbox_id is None:
                message = services.send_reply(conversation, **kwargs)
            else:
                inbox = get_inbox(ctx.workspace, payload.inbox_id)
                message = services.send_reply_on_inbox(conversation, inbox=inbox, **kwargs)
            target = selectors.get_conversation(ctx.workspace, message.conversation_id)
            services.mark_conversation_read(target, agent=ctx.agent)
        return message

    return Status(*_write_message(request, conversation_id, payload, write))


@router.get("/conversations/{conversation_id}/reply-channels", response=list[ReplyChannelOut])
def reply_channels(request: HttpRequest, conversation_id: int):
    """The inboxes a reply can go out on (the conversation's own first)."""
    conversation = selectors.get_conversation(request.auth.workspace, conversation_id)
    return [
        ReplyChannelOut(
            inbox=InboxRef(id=i.pk, kind=i.kind, name=i.name), is_default=i.pk == conversation.inbox_id
        )
        for i in selectors.reply_inboxes(conversation)
    ]


@router.post("/conversations/{conversation_id}/read", response={204: None})
def mark_read(request: HttpRequest, conversation_id: int):
    """The calling agent has read the conversation as it is now (the inbox's unread marks)."""
    ctx = request.auth
    conversation = selectors.get_conversation(ctx.workspace, conversation_id)
    services.mark_conversation_read(conversation, agent=ctx.agent)
    return Status(204, None)


@router.post("/conversations/{conversation_id}/notes", response={201: MessageOut})
def add_note(request: HttpRequest, conversation_id: int, payload: ReplyIn):
    return Status(*_write_message(request, conversation_id, payload, services.add_note))


@router.post("/conversations/{conversation_id}/assign", response=ConversationOut)
def assign(request: HttpRequest, conversation_id: int, payload: AssignIn):
    ctx = request.auth
    conversation = selectors.get_conversation(ctx.workspace, conversation_id)
    assignee = get_agent(ctx.workspace, payload.assignee_id) if payload.assignee_id else None
    services.assign_conversation(conversation, assignee=assignee, actor=ctx.actor)
    return conversation_out(selectors.get_conversation(ctx.workspace, conversation_id))


@router.post("/conversations/{conversation_id}/team", response=ConversationOut)
def set_team(request: HttpRequest, conversation_id: int, payload: TeamIn):
    ctx = request.auth
    conversation = selectors.get_conversation(ctx.workspace, conversation_id)
    team = get_team(ctx.workspace, payload.team_id) if payload.team_id else None
    services.set_team(conversation, team=team, actor=ctx.actor)
    return conversation_out(selectors.get_conversation(ctx.workspace, conversation_id))


@router.post("/conversations/{conversation_id}/status", response=ConversationOut)
def set_status(request: HttpRequest, conversation_id: int, payload: StatusIn):
    ctx = request.auth
    conversation = selectors.get_conversation(ctx.workspace, conversation_id)
    from .choices import Status

    if payload.status not in Status.values:
        raise SonnimError("invalid_input", _("Unknown status."), details={"status": payload.status})
    services.set_status(
        conversation, status=payload.status, snoozed_until=payload.snoozed_until, actor=ctx.actor
    )
    return conversation_out(selectors.get_conversation(ctx.workspace, conversation_id))


@router.post("/conversations/{conversation_id}/priority", response=ConversationOut)
def set_priority(request: HttpRequest, conversation_id: int, payload: PriorityIn):
    ctx = request.auth
    conversation = selectors.get_conversation(ctx.workspace, conversation_id)
    services.set_priority(conversation, priority=payload.priority, actor=ctx.actor)
    return conversation_out(selectors.get_conversation(ctx.workspace, conversation_id))


@router.post("/conversations/{conversation_id}/tags", response=ConversationOut)
def change_tags(request: HttpRequest, conversation_id: int, payload: TagsIn):
    ctx = request.auth
    conversation = selectors.get_conversation(ctx.workspace, conversation_id)
    services.change_tags(conversation, add=payload.add, remove=payload.remove, actor=ctx.actor)
    return conversation_out(selectors.get_conversation(ctx.workspace, conversation_id))


@router.post("/messages/{message_id}/retry", response=MessageOut)
def retry(request: HttpRequest, message_id: int):
    ctx = request.auth
    message = selectors.get_message(ctx.workspace, message_id)
    services.retry_message(message, actor=ctx.actor)
    return message_out(selectors.get_message(ctx.workspace, message_id))


@router.get("/search", response=list[SearchHitOut])
def search_messages(request: HttpRequest, q: str, limit: int = 20):
    """Korean and English full text over messages, subjects and customer names, newest first."""
    return selectors.search_results(request.auth.workspace, q, limit=max(1, min(limit, 100)))


def _saved_view_out(view, count: int) -> SavedViewOut:
    return SavedViewOut(
        id=view.pk,
        name=view.name,
        is_shared=view.is_shared,
        owner=Ref(id=view.owner_id, name=view.owner.display_name),
        filters=view.filters,
        count=count,
        created_at=view.created_at,
    )


@router.get("/saved-views", response=list[SavedViewOut], tags=["saved views"])
def list_saved_views(request: HttpRequest):
    """The caller's own saved filters and the ones shared with the workspace, each with its live count."""
    ctx = request.auth
    views = selectors.visible_saved_views(ctx.workspace, ctx.agent.pk)
    counts = selectors.saved_view_counts(ctx.workspace, ctx.agent.pk, views)
    return [_saved_view_out(v, counts[v.pk]) for v in views]


@router.post("/saved-views", response={201: SavedViewOut}, tags=["saved views"])
def create_saved_view(request: HttpRequest, payload: SavedViewIn):
    ctx = request.auth
    view = services.create_saved_view(
        ctx.agent,
        name=payload.name,
        filters=payload.filters.model_dump(exclude_none=True),
        is_shared=payload.is_shared,
        actor=ctx.actor,
    )
    view = selectors.get_saved_view(ctx.workspace, ctx.agent.pk, view.pk)
    count = selectors.saved_view_counts(ctx.workspace, ctx.agent.pk, [view])[view.pk]
    return Status(201, _saved_view_out(view, count))


@router.delete("/saved-views/{view_id}", response={204: None}, tags=["saved views"])
def delete_saved_view(request: HttpRequest, view_id: int):
    """Its owner deletes a view; an admin may also delete a shared one (403 permission_denied otherwise)."""
    ctx = request.auth
    view = selectors.get_saved_view(ctx.workspace, ctx.agent.pk, view_id)
    services.delete_saved_view(view, agent=ctx.agent, actor=ctx.actor)
    return Status(204, None)
