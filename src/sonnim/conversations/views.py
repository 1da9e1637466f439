"""Server-rendered pages of conversations: the three-pane inbox, its partials (what the JS swaps in
place after an event), the search page, and attachment files behind signed links."""

from django.core import signing
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from sonnim.core.errors import NotFound
from sonnim.core.models import Agent
from sonnim.core.pages import agent_page, chrome_context
from sonnim.core.selectors import last_seq
from sonnim.customers.selectors import customer_360

from . import selectors
from .attachments import SIGNING_SALT
from .choices import Priority, Status
from .models import Attachment
from .selectors import ConversationFilters

PAGE_SIZE = 25
STATUS_VIEWS = ("pending", "snoozed", "resolved")


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
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=not inline,
        filename=attachment.filename,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def view_filters(view: str, agent: Agent) -> tuple[str, ConversationFilters]:
    """The left pane's views as list filters; an unknown view falls back to all open conversations."""
    if view == "mine":
        return view, ConversationFilters(status="open", assignee_id=agent.pk)
    if view == "unassigned":
        return view, ConversationFilters(status="open", unassigned=True)
    if view in STATUS_VIEWS:
        return view, ConversationFilters(status=view)
    if view.startswith("inbox:") and view[6:].isdigit():
        return view, ConversationFilters(status="open", inbox_id=int(view[6:]))
    if view.startswith("team:") and view[5:].isdigit():
        return view, ConversationFilters(status="open", team_id=int(view[5:]))
    if view.startswith("tag:") and len(view) > 4:
        return view, ConversationFilters(status="open", tag=view[4:])
    return "open", ConversationFilters(status="open")


def nav_context(agent: Agent, view: str) -> dict:
    counts = selectors.view_counts(agent.workspace, agent.pk)
    return {
        "view": view,
        "counts": counts,
        "inbox_views": [(f"inbox:{inbox.pk}", inbox.name, n) for inbox, n in counts.inboxes],
        "tag_views": [(f"tag:{tag.name}", tag.name, n) for tag, n in counts.tags],
        "team_views": [(f"team:{team.pk}", team.name, n) for team, n in counts.teams],
    }


def _conversation_context(agent: Agent, conversation_id: int) -> dict:
    try:
        conversation = selectors.get_conversation(agent.workspace, conversation_id)
    except NotFound as exc:
        raise Http404 from exc
    return {
        "conversation": conversation,
        "messages": selectors.conversation_messages(conversation, limit=100),
        "tags": [t.name for t in conversation.tags.order_by("name")],
        "agents": Agent.objects.for_workspace(agent.workspace)
        .filter(is_active=True)
        .order_by("display_name"),
        "statuses": Status.choices,
        "priorities": Priority.choices,
    }


def _customer_context(agent: Agent, customer_id: int, *, current_id: int | None = None) -> dict:
    try:
        view = customer_360(agent.workspace, customer_id)
    except NotFound as exc:
        raise Http404 from exc
    return {"c360": view, "current_id": current_id}


def _int_param(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


@agent_page
def inbox(request: HttpRequest) -> HttpResponse:
    """The three panes, fully rendered on the first paint; the JS keeps them current from events."""
    agent = request.agent
    view, filters = view_filters(request.GET.get("view", "open"), agent)
    context = {
        **chrome_context(request),
        **nav_context(agent, view),
        "page": selectors.list_conversations(agent.workspace, filters, limit=PAGE_SIZE),
        "last_seq": last_seq(agent.workspace),
        "open_id": None,
    }
    open_id = _int_param(request, "c")
    if open_id is not None:
        context.update(_conversation_context(agent, open_id), open_id=open_id)
        context.update(_customer_context(agent, context["conversation"].customer_id, current_id=open_id))
    return render(request, "conversations/pages/inbox.html", context)


@agent_page
def nav_partial(request: HttpRequest) -> HttpResponse:
    agent = request.agent
    view, _ = view_filters(request.GET.get("view", "open"), agent)
    return render(request, "conversations/partials/nav.html", nav_context(agent, view))


@agent_page
def rows_partial(request: HttpRequest) -> HttpResponse:
    """The next page of the list (cursor pagination: never everything at once)."""
    agent = request.agent
    view, filters = view_filters(request.GET.get("view", "open"), agent)
    page = selectors.list_conversations(
        agent.workspace, filters, cursor=request.GET.get("cursor"), limit=PAGE_SIZE
    )
    return render(request, "conversations/partials/rows.html", {"view": view, "page": page})


@agent_page
def row_partial(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """One row as the current view shows it, or 204 when it left the view (resolved, reassigned...)."""
    view, filters = view_filters(request.GET.get("view", "open"), request.agent)
    conversation = selectors.conversation_row(request.agent.workspace, filters, conversation_id)
    if conversation is None:
        return HttpResponse(status=204)
    return render(request, "conversations/partials/row.html", {"c": conversation, "view": view})


@agent_page
def conversation_partial(request: HttpRequest, conversation_id: int) -> HttpResponse:
    context = _conversation_context(request.agent, conversation_id)
    return render(request, "conversations/partials/conversation.html", context)


@agent_page
def header_partial(request: HttpRequest, conversation_id: int) -> HttpResponse:
    context = _conversation_context(request.agent, conversation_id)
    return render(request, "conversations/partials/header.html", context)


@agent_page
def message_partial(request: HttpRequest, message_id: int) -> HttpResponse:
    try:
        message = selectors.get_message(request.agent.workspace, message_id)
    except NotFound as exc:
        raise Http404 from exc
    return render(request, "conversations/partials/message.html", {"m": message})


@agent_page
def customer_partial(request: HttpRequest, customer_id: int) -> HttpResponse:
    context = _customer_context(request.agent, customer_id, current_id=_int_param(request, "current"))
    return render(request, "conversations/partials/customer.html", context)


@agent_page
def search_page(request: HttpRequest) -> HttpResponse:
    """Korean and English full text over messages and customers; the JS re-runs it through the API."""
    query = request.GET.get("q", "").strip()[:200]
    results = selectors.search_results(request.agent.workspace, query, limit=50) if query else []
    return render(
        request,
        "conversations/pages/search.html",
        {**chrome_context(request, "search"), "q": query, "results": results},
    )
