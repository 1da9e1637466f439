"""Server-rendered pages of conversations: the three-pane inbox, its partials (what the JS swaps in
place after an event), the search page, and attachment files behind signed links."""

from urllib.parse import urlencode

from django.core import signing
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from sonnim.core.actors import Actor
from sonnim.core.choices import ADMIN_ROLES
from sonnim.core.errors import NotFound, SonnimError
from sonnim.core.models import Agent
from sonnim.core.pages import agent_page, chrome_context
from sonnim.core.selectors import last_seq
from sonnim.customers.selectors import customer_360

from . import selectors, services
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
    """The left pane's views as list filters; an unknown view falls back to all open conversations.
    "saved:<id>" is a saved view the agent may see; "f:<query string>" a filter typed in the filter form."""
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
    if view.startswith("saved:") and view[6:].isdigit():
        try:
            saved = selectors.get_saved_view(agent.workspace, agent.pk, int(view[6:]))
        except NotFound:
            return "open", ConversationFilters(status="open")
        return view, selectors.filters_from_spec(saved.filters, agent.pk)
    if view.startswith("f:"):
        return view, selectors.filters_from_spec(filter_spec(view), agent.pk)
    return "open", ConversationFilters(status="open")


def filter_spec(view: str) -> dict[str, str]:
    """The filter form's fields from an "f:<query string>" view."""
    query = QueryDict(view[2:])
    return {key: query[key] for key in selectors.FILTER_KEYS if query.get(key)}


def filter_view(params) -> str:
    """The filter form's submitted fields as a view key (what every list URL carries)."""
    return "f:" + urlencode(
        {key: params[key] for key in selectors.FILTER_KEYS if params.get(key, "").strip()}
    )


def nav_context(agent: Agent, view: str) -> dict:
    counts = selectors.view_counts(agent.workspace, agent.pk)
    saved = selectors.visible_saved_views(agent.workspace, agent.pk)
    saved_counts = selectors.saved_view_counts(agent.workspace, agent.pk, saved)
    is_admin = agent.role in ADMIN_ROLES
    return {
        "view": view,
        "counts": counts,
        "inbox_views": [(f"inbox:{inbox.pk}", inbox.name, n) for inbox, n in counts.inboxes],
        "tag_views": [(f"tag:{tag.name}", tag.name, n) for tag, n in counts.tags],
        "team_views": [(f"team:{team.pk}", team.name, n) for team, n in counts.teams],
        "saved_views": [
            (v, f"saved:{v.pk}", saved_counts[v.pk], v.owner_id == agent.pk or (v.is_shared and is_admin))
            for v in saved
        ],
    }


def filter_form_context(agent: Agent, view: str, nav: dict) -> dict:
    """The list's filter form: the current spec (a typed filter, or a saved view's) and its choices (the
    saved views, teams and inboxes the left pane loaded already)."""
    spec = filter_spec(view) if view.startswith("f:") else {}
    spec = next((v.filters for v, key, *_rest in nav["saved_views"] if key == view), spec)
    counts = nav["counts"]
    return {
        "spec": spec,
        "is_filter": view.startswith("f:"),
        "filter_agents": Agent.objects.for_workspace(agent.workspace)
        .filter(is_active=True)
        .only("pk", "display_name")
        .order_by("display_name"),
        "filter_teams": [team for team, _n in counts.teams],
        "filter_inboxes": [inbox for inbox, _n in counts.inboxes],
        "statuses": Status.choices,
        "priorities": Priority.choices,
    }


def _conversation_context(agent: Agent, conversation_id: int, *, mark_read: bool = False) -> dict:
    try:
        conversation = selectors.get_conversation(agent.workspace, conversation_id)
    except NotFound as exc:
        raise Http404 from exc
    if mark_read:  # the agent opens it: what it holds now is read
        services.mark_conversation_read(conversation, agent=agent)
        webchat_read(conversation)
    return {
        "conversation": conversation,
        "messages": selectors.conversation_messages(conversation, limit=100),
        "tags": [t.name for t in conversation.tags.order_by("name")],
        "agents": Agent.objects.for_workspace(agent.workspace)
        .filter(is_active=True)
        .order_by("display_name"),
        "statuses": Status.choices,
        "priorities": Priority.choices,
        "reply_inboxes": selectors.reply_inboxes(conversation),
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


def _list_page(agent: Agent, filters: ConversationFilters, *, cursor: str | None = None) -> selectors.Page:
    page = selectors.list_conversations(agent.workspace, filters, cursor=cursor, limit=PAGE_SIZE)
    selectors.mark_unread(agent.pk, page.items)
    return page


@agent_page
def inbox(request: HttpRequest) -> HttpResponse:
    """The three panes, fully rendered on the first paint; the JS keeps them current from events."""
    agent = request.agent
    requested = request.GET.get("view", "open")
    if requested == "filter":  # the filter form was submitted: its fields become the view key
        return redirect(f"{request.path}?{urlencode({'view': filter_view(request.GET)})}")
    view, filters = view_filters(requested, agent)
    open_id = _int_param(request, "c")
    conversation_context = _conversation_context(agent, open_id, mark_read=True) if open_id else {}
    nav = nav_context(agent, view)
    context = {
        **chrome_context(request),
        **nav,
        **filter_form_context(agent, view, nav),
        "page": _list_page(agent, filters),
        "last_seq": last_seq(agent.workspace),
        "open_id": open_id,
        "saved_error": request.GET.get("saved_error", ""),
        **conversation_context,
    }
    if open_id is not None:
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
    page = _list_page(agent, filters, cursor=request.GET.get("cursor"))
    return render(request, "conversations/partials/rows.html", {"view": view, "page": page})


@agent_page
def row_partial(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """One row as the current view shows it, or 204 when it left the view (resolved, reassigned...)."""
    view, filters = view_filters(request.GET.get("view", "open"), request.agent)
    conversation = selectors.conversation_row(request.agent.workspace, filters, conversation_id)
    if conversation is None:
        return HttpResponse(status=204)
    selectors.mark_unread(request.agent.pk, [conversation])
    return render(request, "conversations/partials/row.html", {"c": conversation, "view": view})


@agent_page
def conversation_partial(request: HttpRequest, conversation_id: int) -> HttpResponse:
    context = _conversation_context(request.agent, conversation_id, mark_read=True)
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
    if message.direction == "in":  # a customer message arrived while the agent had it open
        webchat_read(message.conversation)
    return render(request, "conversations/partials/message.html", {"m": message})


def webchat_read(conversation) -> None:
    """A web chat visitor sees "read" once an agent has their message on screen (the widget's receipt)."""
    if conversation.inbox.kind == "webchat":
        from sonnim.webchat.services import mark_agent_read

        mark_agent_read(conversation)


@agent_page
def customer_partial(request: HttpRequest, customer_id: int) -> HttpResponse:
    context = _customer_context(request.agent, customer_id, current_id=_int_param(request, "current"))
    return render(request, "conversations/partials/customer.html", context)


@require_POST
@agent_page
def save_view(request: HttpRequest) -> HttpResponse:
    """Save the typed filter ("f:..." view) under a name, private or shared; then show it."""
    agent = request.agent
    view = request.POST.get("view", "")
    spec = filter_spec(view) if view.startswith("f:") else {}
    try:
        saved = services.create_saved_view(
            agent,
            name=request.POST.get("name", ""),
            filters=spec,
            is_shared=request.POST.get("is_shared") == "on",
            actor=Actor.agent(agent),
        )
    except SonnimError as exc:
        return redirect(f"/?{urlencode({'view': view, 'saved_error': exc.code})}")
    return redirect(f"/?{urlencode({'view': f'saved:{saved.pk}'})}")


@require_POST
@agent_page
def delete_view(request: HttpRequest, view_id: int) -> HttpResponse:
    agent = request.agent
    try:
        saved = selectors.get_saved_view(agent.workspace, agent.pk, view_id)
        services.delete_saved_view(saved, agent=agent, actor=Actor.agent(agent))
    except NotFound as exc:
        raise Http404 from exc
    except SonnimError:
        return HttpResponse(status=403)
    return redirect("/")


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
