"""Writes of automation rows: canned replies (macros extend them later)."""

from django.db import transaction
from django.utils.translation import gettext as _

from sonnim.core.actors import Actor
from sonnim.core.errors import SonnimError
from sonnim.core.events import record_event
from sonnim.core.models import Agent, Workspace

from .errors import AutomationError
from .models import CannedReply

TITLE_MAX = 120
TEXT_MAX = 10_000


def _check(title: str, text: str) -> tuple[str, str]:
    title, text = title.strip(), text.strip()
    if not title or not text:
        raise SonnimError(AutomationError.CANNED_REPLY_INVALID, _("A canned reply needs a title and a text."))
    if len(title) > TITLE_MAX or len(text) > TEXT_MAX:
        raise SonnimError(AutomationError.CANNED_REPLY_INVALID, _("The title or the text is too long."))
    return title, text


@transaction.atomic
def create_canned_reply(
    workspace: Workspace, *, title: str, text: str, is_shared: bool, created_by: Agent | None, actor: Actor
) -> CannedReply:
    title, text = _check(title, text)
    reply = CannedReply.objects.create(
        workspace=workspace, title=title, text=text, is_shared=is_shared, created_by=created_by
    )
    record_event(workspace, "canned_reply.created", actor=actor, data={"canned_reply_id": reply.pk})
    return reply


@transaction.atomic
def delete_canned_reply(reply: CannedReply, *, actor: Actor) -> None:
    reply_id = reply.pk
    CannedReply.objects.filter(pk=reply_id, workspace_id=reply.workspace_id).delete()
    record_event(reply.workspace_id, "canned_reply.deleted", actor=actor, data={"canned_reply_id": reply_id})
