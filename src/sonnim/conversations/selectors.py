"""Reads of conversations and messages: scoped to a workspace, related rows fetched up front."""

import base64
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from sonnim.core import rows
from sonnim.core.errors import NotFound, SonnimError
from sonnim.core.models import Workspace

from . import search
from .errors import ConversationError
from .models import Attachment, Conversation, Message, ReadMarker, SavedView, Tag


def get_conversation(workspace: Workspace, conversation_id: int) -> Conversation:
    conversation = (
        Conversation.objects.for_workspace(workspace)
        .filter(pk=conversation_id)
        .select_related("inbox", "customer", "assignee", "team", "sla_clock")
        .first()
    )
    if conversation is None:
        raise NotFound(ConversationError.CONVERSATION_NOT_FOUND, _("Conversation not found."))
    return conversation


def get_message(workspace: Workspace, message_id: int) -> Message:
    message = (
        Message.objects.for_workspace(workspace)
        .filter(pk=message_id)
        .select_related("conversation", "author_agent")
        .prefetch_related("attachments")
        .first()
    )
    if message is None:
        raise NotFound(ConversationError.MESSAGE_NOT_FOUND, _("Message not found."))
    return message


@dataclass(frozen=True)
class ConversationFilters:
    status: str | None = None  # one status, or "active" for open+pending+snoozed
    assignee_id: int | None = None
    unassigned: bool = False
    team_id: int | None = None
    inbox_id: int | None = None
    tag: str | None = None
    priority: str | None = None
    customer_id: int | None = None
    q: str | None = None
    sla_state: str | None = None  # sla.choices.SlaState


@dataclass
class Page:
    items: list = field(default_factory=list)
    next_cursor: str | None = None


def encode_cursor(conversation: Conversation) -> str:
    raw = f"{conversation.last_message_at.isoformat()}|{conversation.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, pk = raw.split("|")
        return datetime.fromisoformat(moment), int(pk)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SonnimError(ConversationError.BAD_CURSOR, _("The cursor is not valid.")) from exc


def filtered_conversations(workspace: Workspace, filters: ConversationFilters) -> QuerySet[Conversation]:
    qs = Conversation.objects.for_workspace(workspace)
    if filters.status == "active":
        qs = qs.filter(status__in=["open", "pending", "snoozed"])
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.unassigned:
        qs = qs.filter(assignee__isnull=True)
    elif filters.assignee_id:
        qs = qs.filter(assignee_id=filters.assignee_id)
    if filters.team_id:
        qs = qs.filter(team_id=filters.team_id)
    if filters.inbox_id:
        qs = qs.filter(inbox_id=filters.inbox_id)
    if filters.priority:
        qs = qs.filter(priority=filters.priority)
    if filters.customer_id:
        qs = qs.filter(customer_id=filters.customer_id)
    if filters.tag:
        qs = qs.filter(tags__name=filters.tag)
    if filters.q:
        qs = qs.filter(pk__in=search.conversation_ids_matching(workspace, filters.q))
    if filters.sla_state:
        qs = qs.filter(sla_state=filters.sla_state)
    return qs


# Encrypted columns a list never shows: decrypting them on every row was most of a list page's CPU time.
LIST_DEFERRED = (
    "customer__email",
    "customer__phone",
    "customer__address",
    "inbox__key",
    "inbox__credentials",
    "inbox__signing_secret",
)


def list_conversations(
    workspace: Workspace,
    filters: ConversationFilters,
    *,
    cursor: str | None = None,
    limit: int = 25,
    sort: str = "recent",
) -> Page:
    """Newest activity first, cursor on (last_message_at, id) over the matching index: constant
    query count and cost whatever the page. sort="sla": nearest SLA due time first (see sla_page)."""
    qs = filtered_conversations(workspace, filters)
    if sort == "sla":
        from sonnim.sla.selectors import sla_page

        return sla_page(qs, cursor=cursor, limit=limit)
    if cursor:
        moment, pk = decode_cursor(cursor)
        qs = qs.filter(Q(last_message_at__lt=moment) | Q(last_message_at=moment, pk__lt=pk))
    rows = list(
        qs.select_related("customer", "inbox", "assignee", "team", "sla_clock")
        .defer(*LIST_DEFERRED)
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))
        .order_by("-last_message_at", "-pk")[: limit + 1]
    )
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return Page(items=rows[:limit], next_cursor=next_cursor)


def conversation_messages(conversation: Conversation, *, limit: int = 200) -> list[Message]:
    """The newest `limit` messages in time order, with their authors and attachments."""
    rows = list(
        Message.objects.filter(conversation=conversation, workspace_id=conversation.workspace_id)
        .select_related("author_agent")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("pk")))
        .order_by("-created_at", "-pk")[:limit]
    )
    rows.reverse()
    return rows


def count_by_status(workspace: Workspace) -> dict[str, int]:
    from django.db.models import Count

    rows = Conversation.objects.for_workspace(workspace).values("status").annotate(n=Count("pk"))
    return {row["status"]: row["n"] for row in rows}


@dataclass(frozen=True)
class SearchResult:
    conversation_id: int | None
    message_id: int | None
    customer_id: int | None
    customer_name: str
    text: str
    created_at: datetime | None


def search_results(workspace: Workspace, query: str, *, limit: int = 20) -> list[SearchResult]:
    """Hits with their message text and customer name, in three queries whatever the limit."""
    from sonnim.customers.models import Customer

    hits = search.search(workspace, query, limit=limit)
    messages = Message.objects.for_workspace(workspace).in_bulk([h.message_id for h in hits if h.message_id])
    names = dict(
        Customer.objects.for_workspace(workspace)
        .filter(pk__in={h.customer_id for h in hits if h.customer_id})
        .values_list("pk", "display_name")
    )
    results = []
    for h in hits:
        message = messages.get(h.message_id)
        results.append(
            SearchResult(
                conversation_id=h.conversation_id,
                message_id=h.message_id,
                customer_id=h.customer_id,
                customer_name=names.get(h.customer_id, ""),
                text=message.text if message else names.get(h.customer_id, ""),
                created_at=message.created_at if message else None,
            )
        )
    return results


@dataclass(frozen=True)
class ViewCounts:
    """Live counts of the inbox's left pane (the per-inbox, per-tag and per-team counts only read open
    conversations)."""

    by_key: dict[str, int]  # mine, unassigned, open, pending, snoozed, resolved
    inboxes: list  # (Inbox, open count)
    tags: list  # (Tag, open count)
    teams: list = field(default_factory=list)  # (Team, open count)


COUNTS_CACHE_SECONDS = 300  # a key names one state of the workspace and never goes stale; this bounds memory


def view_counts(workspace: Workspace, agent_id: int) -> ViewCounts:
    from django.db.models import Count

    from sonnim.core.models import Team
    from sonnim.inboxes.models import Inbox

    shared = workspace_counts(workspace)
    # conv_assignee_idx (workspace, assignee, status): the one count that depends on who looks
    mine = (
        Conversation.objects.for_workspace(workspace)
        .filter(status="open", assignee_id=agent_id)
        .order_by()
        .aggregate(n=Count("pk"))["n"]
    )
    inboxes = Inbox.objects.for_workspace(workspace).order_by("name", "pk")
    tags = Tag.objects.for_workspace(workspace).order_by("name")[:50]
    teams = Team.objects.for_workspace(workspace).order_by("name")[:50]
    return ViewCounts(
        by_key={**shared["by_key"], "mine": mine},
        inboxes=[(i, shared["inboxes"].get(i.pk, 0)) for i in inboxes],
        tags=[(t, shared["tags"].get(t.pk, 0)) for t in tags],
        teams=[(t, shared["teams"].get(t.pk, 0)) for t in teams],
    )


def workspace_counts(workspace: Workspace) -> dict:
    """The counts every agent of the workspace shares, cached under the workspace's event sequence number:
    every change that moves a count (a new conversation, status, assignee, team, tags) records an event in
    the same transaction, so a key names one committed state and is never stale. One event makes every
    agent's browser refresh its left pane; with the cache (Redis when configured) the first of them counts
    and the others read the answer."""
    from django.core.cache import cache

    from sonnim.core.selectors import last_seq

    # created_at: a recreated workspace (tests reuse ids) never meets the counts of the one before
    key = f"sonnim:counts:{workspace.pk}:{workspace.created_at.timestamp()}:{last_seq(workspace)}"
    counts = cache.get(key)
    if counts is None:
        counts = count_workspace_views(workspace)
        cache.set(key, counts, COUNTS_CACHE_SECONDS)
    return counts


def count_workspace_views(workspace: Workspace) -> dict:
    """The shared counts, uncached: one grouped query per kind of view, each over an index."""
    from django.db.models import Count

    conversations = Conversation.objects.for_workspace(workspace).order_by()
    open_ones = conversations.filter(status="open")
    # conv_status_list_idx: an index-only count per status
    by_status = dict(
        conversations.filter(status__in=["open", "pending", "snoozed", "resolved"])
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    by_key = {key: by_status.get(key, 0) for key in ("open", "pending", "snoozed", "resolved")}
    by_key["unassigned"] = open_ones.filter(assignee__isnull=True).count()  # conv_assignee_idx
    return {
        "by_key": by_key,
        "inboxes": dict(open_ones.values_list("inbox_id").annotate(n=Count("pk"))),
        "teams": dict(open_ones.filter(team__isnull=False).values_list("team_id").annotate(n=Count("pk"))),
        "tags": dict(
            Conversation.tags.through.objects.filter(conversation__in=open_ones.values("pk"))
            .order_by()
            .values_list("tag_id")
            .annotate(n=Count("pk"))
        ),
    }


def conversation_row(
    workspace: Workspace, filters: ConversationFilters, conversation_id: int
) -> Conversation | None:
    """One conversation as the list shows it, or None when it does not belong in this list (any more)."""
    return (
        filtered_conversations(workspace, filters)
        .filter(pk=conversation_id)
        .select_related("customer", "inbox", "assignee", "team", "sla_clock")
        .defer(*LIST_DEFERRED)
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))
        .first()
    )


# ---- saved views and the filter spec they store ----

FILTER_KEYS = ("status", "assignee", "team", "inbox", "tag", "priority", "q")
MAX_SAVED_VIEWS = 30  # shown in the left pane, each with its own count query


def filters_from_spec(spec: dict, agent_id: int) -> ConversationFilters:
    """A filter spec (the list API's query fields, as saved or typed) as list filters; "me" is the viewer."""

    def number(key: str) -> int | None:
        value = str(spec.get(key) or "")
        return int(value) if value.isdigit() else None

    assignee = str(spec.get("assignee") or "")
    return ConversationFilters(
        status=spec.get("status") or None,
        assignee_id=agent_id if assignee == "me" else number("assignee"),
        unassigned=assignee == "none",
        team_id=number("team"),
        inbox_id=number("inbox"),
        tag=spec.get("tag") or None,
        priority=spec.get("priority") or None,
        q=spec.get("q") or None,
    )


def visible_saved_views(workspace: Workspace, agent_id: int) -> list[SavedView]:
    """The agent's own views and the ones shared with the workspace, by name."""
    return list(
        SavedView.objects.for_workspace(workspace)
        .filter(Q(owner_id=agent_id) | Q(is_shared=True))
        .select_related("owner")
        .order_by("name", "pk")[:MAX_SAVED_VIEWS]
    )


def get_saved_view(workspace: Workspace, agent_id: int, view_id: int) -> SavedView:
    found = (
        SavedView.objects.for_workspace(workspace)
        .filter(Q(owner_id=agent_id) | Q(is_shared=True), pk=view_id)
        .select_related("owner")
        .first()
    )
    if found is None:
        raise NotFound(ConversationError.SAVED_VIEW_NOT_FOUND, _("Saved view not found."))
    return found


def saved_view_counts(workspace: Workspace, agent_id: int, views: list[SavedView]) -> dict[int, int]:
    """One COUNT per saved view (each filter is its own shape; most ride the status indexes), cached like
    workspace_counts under the event sequence number (per agent only for a view that says "me")."""
    from django.core.cache import cache

    from sonnim.core.selectors import last_seq

    if not views:
        return {}
    state = f"{workspace.pk}:{workspace.created_at.timestamp()}:{last_seq(workspace)}"

    def key(view: SavedView) -> str:
        who = agent_id if view.filters.get("assignee") == "me" else ""
        return f"sonnim:saved-count:{state}:{view.pk}:{who}"

    keys = {view.pk: key(view) for view in views}
    cached = cache.get_many(list(keys.values()))
    counts = {}
    for view in views:
        if keys[view.pk] in cached:
            counts[view.pk] = cached[keys[view.pk]]
            continue
        filters = filters_from_spec(view.filters, agent_id)
        counts[view.pk] = filtered_conversations(workspace, filters).order_by().count()
        cache.set(keys[view.pk], counts[view.pk], COUNTS_CACHE_SECONDS)
    return counts


# ---- unread: per agent read markers against the conversation's denormalized counters ----


def read_markers(agent_id: int, conversation_ids: list[int]) -> dict[int, int]:
    """conversation id -> Conversation.message_count when the agent last read it; one query per page."""
    if not conversation_ids:
        return {}
    return dict(
        ReadMarker.objects.filter(agent_id=agent_id, conversation_id__in=conversation_ids).values_list(
            "conversation_id", "message_count"
        )
    )


def mark_unread(agent_id: int, conversations: list[Conversation]) -> None:
    """Set `unread_count` on each row: messages (customer's and replies, not notes) since the agent last
    read it. Never opened: all of them."""
    markers = read_markers(agent_id, [c.pk for c in conversations])
    for c in conversations:
        c.unread_count = max(0, c.message_count - markers.get(c.pk, 0))


# ---- the composer's channel choice ----


def reply_inboxes(conversation: Conversation) -> list:
    """Inboxes a reply to this conversation's customer can go out on: the conversation's own first, then the
    workspace's active inboxes of a kind the customer has an identity on (email also when an address is
    known). Two queries."""
    from sonnim.customers.models import Identity
    from sonnim.inboxes.choices import ChannelKind
    from sonnim.inboxes.models import Inbox

    kinds = set(
        Identity.objects.filter(
            workspace_id=conversation.workspace_id, customer_id=conversation.customer_id
        ).values_list("kind", flat=True)
    )
    if conversation.customer.email_index:
        kinds.add(ChannelKind.EMAIL)
    others = (
        Inbox.objects.for_workspace(conversation.workspace_id)
        .filter(is_active=True, kind__in=kinds)
        .exclude(pk=conversation.inbox_id)
        .only("pk", "name", "kind", "workspace_id")
        .order_by("name", "pk")
    )
    return [conversation.inbox, *others]


# -- the inbound pipeline's reads (every message): hand-written SQL, see core/rows.py ---------------------


def stored_messages(inbox, external_ids: set[str]) -> list[Message]:
    """The messages of `inbox` already stored under these external ids, with their conversations
    (Message.objects.filter(inbox=inbox, external_id__in=ids).select_related("conversation"))."""
    if not external_ids:
        return []
    ids = list(external_ids)
    return rows.select(
        Message,
        f"{{t}}.inbox_id = %s AND {{t}}.external_id IN ({rows.placeholders(ids)})",
        [inbox.pk, *ids],
        related=(("conversation", Conversation),),
    )


def threads_of(inbox, *, customer_ids: set[int], thread_keys: set[str]) -> list[Conversation]:
    """The inbox's conversations of these customers and thread keys, newest first, locked for the
    pipeline's update (the customers' rows are locked first: the pipeline's lock order)."""
    customers, keys = list(customer_ids), list(thread_keys)
    if not customers or not keys:
        return []
    return rows.select(
        Conversation,
        f"{{t}}.workspace_id = %s AND {{t}}.inbox_id = %s"
        f" AND {{t}}.customer_id IN ({rows.placeholders(customers)})"
        f" AND {{t}}.thread_key IN ({rows.placeholders(keys)})",
        [inbox.workspace_id, inbox.pk, *customers, *keys],
        order_by="{t}.created_at DESC, {t}.id DESC",
        for_update=True,
    )


def latest_thread(inbox, *, customer_id: int, thread_key: str) -> Conversation | None:
    """The customer's newest conversation on this inbox and thread key, locked (threads_of() for one)."""
    return rows.first(
        Conversation,
        "{t}.workspace_id = %s AND {t}.inbox_id = %s AND {t}.thread_key = %s AND {t}.customer_id = %s",
        [inbox.workspace_id, inbox.pk, thread_key, customer_id],
        order_by="{t}.created_at DESC, {t}.id DESC",
        for_update=True,
    )
