"""The agent API for conversations: parse, authorize (workspace from the token), call one service."""

import base64
import binascii
from typing import Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.responses import Status

from sonnim.core.auth import agent_auth
from sonnim.core.errors import SonnimError
from sonnim.core.idempotency import run_idempotent
from sonnim.core.selectors import get_agent, get_team

from . import selectors, services
from .schemas import (
    AssignIn,
    ConversationDetail,
    ConversationOut,
    ConversationPage,
    MessageOut,
    PriorityIn,
    ReplyIn,
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
    """Queue a reply on the conversation's channel. Send `Idempotency-Key` to make a retry safe."""
    return Status(*_write_message(request, conversation_id, payload, services.send_reply))


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
