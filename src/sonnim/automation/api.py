"""Canned replies for the composer: list what the agent may insert, create one."""

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.responses import Status

from sonnim.core.auth import agent_auth

from . import selectors, services
from .models import CannedReply

router = Router(tags=["automation"], auth=agent_auth)


class CannedReplyOut(Schema):
    id: int
    title: str
    text: str
    shared: bool


class CannedReplyIn(Schema):
    title: str = Field(min_length=1, max_length=services.TITLE_MAX)
    text: str = Field(min_length=1, max_length=services.TEXT_MAX)
    shared: bool = True


def canned_reply_out(reply: CannedReply) -> CannedReplyOut:
    return CannedReplyOut(id=reply.pk, title=reply.title, text=reply.text, shared=reply.is_shared)


@router.get("/canned-replies", response=list[CannedReplyOut])
def list_canned_replies(request: HttpRequest):
    """The workspace's shared replies and the caller's own, by title."""
    return [canned_reply_out(r) for r in selectors.canned_replies_for(request.auth.agent)]


@router.post("/canned-replies", response={201: CannedReplyOut})
def create_canned_reply(request: HttpRequest, payload: CannedReplyIn):
    ctx = request.auth
    reply = services.create_canned_reply(
        ctx.workspace,
        title=payload.title,
        text=payload.text,
        is_shared=payload.shared,
        created_by=ctx.agent,
        actor=ctx.actor,
    )
    return Status(201, canned_reply_out(reply))
