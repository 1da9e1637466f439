"""Reads of outreach, scoped to a workspace."""

from django.utils.translation import gettext as _

from sonnim.core.errors import NotFound
from sonnim.core.models import Workspace

from .errors import OutreachError
from .models import AlimTalkSend, AlimTalkTemplate


def get_template(workspace: Workspace, template_id: int) -> AlimTalkTemplate:
    template = AlimTalkTemplate.objects.for_workspace(workspace).filter(pk=template_id).first()
    if template is None:
        raise NotFound(OutreachError.TEMPLATE_NOT_FOUND, _("AlimTalk template not found."))
    return template


def templates_of(workspace: Workspace) -> list[AlimTalkTemplate]:
    return list(AlimTalkTemplate.objects.for_workspace(workspace).order_by("code"))


def get_send(workspace: Workspace, send_id: int) -> AlimTalkSend:
    send = AlimTalkSend.objects.for_workspace(workspace).filter(pk=send_id).first()
    if send is None:
        raise NotFound("alimtalk_send_not_found", _("AlimTalk send not found."))
    return send
