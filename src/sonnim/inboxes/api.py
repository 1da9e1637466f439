"""Inbound messages for API inboxes (authenticated by the inbox key), and the inbox list for agents."""

import base64
import binascii

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router
from ninja.responses import Status
from ninja.security import HttpBearer

from sonnim.conversations.pipeline import Received, receive_many
from sonnim.conversations.together import receive_together
from sonnim.core.auth import agent_auth
from sonnim.core.errors import SonnimError

from .adapters.api import ApiAdapter
from .adapters.base import InboundAttachment, InboundMessage, WebhookRejected
from .models import Inbox
from .schemas import BatchIn, BatchItemOut, BatchOut, InboundIn, InboundOut, InboxOut
from .selectors import inbound_url, inbox_config, inbox_for_key, inboxes_of

router = Router(tags=["inbound"])


class InboxKeyAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Inbox | None:
        try:
            return inbox_for_key(token, kind="api")
        except SonnimError:
            return None


def _authorized_adapter(request: HttpRequest, inbox_id: int) -> ApiAdapter:
    inbox: Inbox = request.auth
    if inbox.pk != inbox_id:
        raise SonnimError("bad_inbox_key", _("The inbox key is missing or wrong."), status=401)
    adapter = ApiAdapter(inbox_config(inbox))
    try:
        adapter.verify(request)
    except WebhookRejected as exc:
        raise SonnimError(exc.code, exc.reason, status=exc.status) from exc
    return adapter


def _decode_attachments(item: InboundIn) -> list[InboundAttachment]:
    out = []
    for a in item.attachments:
        try:
            data = base64.b64decode(a.data_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise SonnimError(
                "invalid_attachment", _("Attachment %(name)s is not valid base64.") % {"name": a.filename}
            ) from exc
        out.append(InboundAttachment(a.filename, a.content_type, data))
    return out


def _inbound(adapter: ApiAdapter, item: InboundIn) -> InboundMessage:
    return adapter.message_from(item.model_dump(), attachments=_decode_attachments(item))


def _receive(request: HttpRequest, adapter: ApiAdapter, item: InboundIn) -> Received:
    # the inbox its key authenticated; stored together with the messages arriving at the same moment
    return receive_together(_inbound(adapter, item), inbox=request.auth)


def _out(received: Received) -> InboundOut:
    m = received.message
    return InboundOut(
        message_id=m.pk,
        conversation_id=m.conversation_id,
        customer_id=m.conversation.customer_id,
        duplicate=received.duplicate,
    )


@router.post("/inboxes/{inbox_id}/messages", auth=InboxKeyAuth(), response={201: InboundOut, 200: InboundOut})
def post_message(request: HttpRequest, inbox_id: int, payload: InboundIn):
    """One inbound message. 201 when stored, 200 with duplicate=true when this external_id was seen."""
    received = _receive(request, _authorized_adapter(request, inbox_id), payload)
    return Status(200 if received.duplicate else 201, _out(received))


@router.post("/inboxes/{inbox_id}/messages/batch", auth=InboxKeyAuth(), response=BatchOut)
def post_batch(request: HttpRequest, inbox_id: int, payload: BatchIn):
    """Up to 1,000 messages in one call and one commit. Each gets its own result; a bad one does not stop
    the others (it is rolled back alone)."""
    adapter = _authorized_adapter(request, inbox_id)
    results: list[BatchItemOut | None] = [None] * len(payload.messages)
    accepted: list[tuple[int, InboundMessage]] = []
    for index, item in enumerate(payload.messages):
        try:
            accepted.append((index, _inbound(adapter, item)))
        except SonnimError as exc:
            results[index] = _item_error(index, exc)
    received = receive_many(request.auth, [inbound for _index, inbound in accepted])
    for (index, _inbound_message), outcome in zip(accepted, received, strict=True):
        if isinstance(outcome, SonnimError):
            results[index] = _item_error(index, outcome)
        else:
            results[index] = BatchItemOut(index=index, **_out(outcome).model_dump())
    return BatchOut(
        created=sum(1 for r in results if r.duplicate is False),
        duplicates=sum(1 for r in results if r.duplicate),
        failed=sum(1 for r in results if r.error),
        results=results,
    )


def _item_error(index: int, exc: SonnimError) -> BatchItemOut:
    return BatchItemOut(index=index, error={"code": exc.code, "message": exc.message})


agent_router = Router(tags=["inboxes"], auth=agent_auth)


@agent_router.get("/inboxes", response=list[InboxOut])
def list_inboxes(request: HttpRequest):
    return [
        InboxOut(id=i.pk, kind=i.kind, name=i.name, is_active=i.is_active, inbound_url=inbound_url(i))
        for i in inboxes_of(request.auth.workspace)
    ]


router.add_router("", agent_router)
