"""Server-rendered pages of conversations, and attachment files behind signed links."""

from django.core import signing
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from sonnim.core.auth import session_agent

from .attachments import SIGNING_SALT
from .models import Attachment
from .selectors import ConversationFilters, list_conversations

def attachment_file(request: HttpRequest, token: str, filename: str) -> FileResponse:
    try:
        attachment_id, workspace_id = signing.loads(token, salt=SIGNING_SALT)
    except signing.BadSignature as exc:
        raise Http404 from exc
    attachment = Attachment.objects.filter(pk=attachment_id, workspace_id=workspace_id).first()
    if attachment is None:
        raise Http404
    inline = attachment.content_type.startswith("image/")
    response = FileResponse(
        attachment.file.open("rb"), content_type=attachment.content_type, as_attachment=not inline,
        filename=attachment.filename,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The agent workspace. (The full three-pane inbox is built on the same API and websocket.)"""
    agent = session_agent(request)
    if agent is None:
        return render(request, "conversations/pages/no_workspace.html", status=403)
    page = list_conversations(agent.workspace, ConversationFilters(status="open"), limit=50)
    return render(request, "conversations/pages/inbox.html", {"agent": agent, "page": page})
