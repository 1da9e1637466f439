"""Reads of automation rows, scoped to a workspace."""

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from sonnim.core.errors import NotFound
from sonnim.core.models import Agent

from .errors import AutomationError
from .models import CannedReply


def canned_replies_for(agent: Agent) -> QuerySet[CannedReply]:
    """What one agent may insert: the workspace's shared replies and their own private ones."""
    return (
        CannedReply.objects.for_workspace(agent.workspace_id)
        .filter(Q(is_shared=True) | Q(created_by=agent))
        .order_by("title", "pk")
    )


def get_canned_reply(agent: Agent, canned_reply_id: int) -> CannedReply:
    reply = canned_replies_for(agent).filter(pk=canned_reply_id).first()
    if reply is None:
        raise NotFound(AutomationError.CANNED_REPLY_NOT_FOUND, _("Canned reply not found."))
    return reply
