"""Reads of the widget: the widget of a key, the visitor of a token, a visitor's stream and its items."""

from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _

from sonnim.core import crypto
from sonnim.core.errors import NotFound
from sonnim.customers.models import Customer, Identity
from sonnim.inboxes.choices import ChannelKind
from sonnim.knowledge.links import article_url
from sonnim.knowledge.rendering import plain_excerpt
from sonnim.knowledge.search import search_articles
from sonnim.knowledge.selectors import public_articles
from sonnim.sla.business_hours import Calendar, is_open_at, parse_intervals

from . import settings as widget_settings
from .errors import WebchatError
from .models import Stream, StreamItem, Visitor, Widget

HISTORY_LIMIT = 100
SUGGESTIONS = 3  # articles the widget shows above its input before the first message
SUGGESTION_MIN_SCORE = 0.15  # the bot's KB_MIN_SCORE: below it a hit is a guess
SUGGESTION_EXCERPT = 140


def get_widget(public_key: str) -> Widget:
    """The active webchat inbox's widget of a public key (404 for anything else: never say why)."""
    widget = (
        Widget.objects.filter(public_key=public_key).select_related("inbox", "inbox__workspace").first()
        if public_key
        else None
    )
    if widget is None or not widget.inbox.is_active or widget.inbox.kind != ChannelKind.WEBCHAT:
        raise NotFound(WebchatError.WIDGET_NOT_FOUND, _("This chat widget does not exist."))
    return widget


def origin_allowed(widget: Widget, origin: str | None, *, own_host: str = "") -> bool:
    """A request without Origin (a same-origin GET, a script) passes: the allow-list stops other sites'
    pages, and a script can claim any Origin anyway (which is why members are verified by HMAC)."""
    if not origin:
        return True
    origin = origin.rstrip("/").lower()
    if own_host and urlsplit(origin).netloc == own_host.lower():
        return True
    allowed = [str(o).rstrip("/").lower() for o in widget.inbox.settings.get("allowed_origins", [])]
    return "*" in allowed or origin in allowed


def visitor_for_token(widget: Widget, token: str) -> Visitor | None:
    if not token or len(token) > 200:
        return None
    return (
        Visitor.objects.filter(token_hash=crypto.secret_hash(token), inbox_id=widget.inbox_id)
        .select_related("inbox", "inbox__workspace")
        .first()
    )


def customer_of(visitor: Visitor) -> Customer | None:
    """The customer the visitor's current handle belongs to (after merges), None before a first message."""
    identity = (
        Identity.objects.for_workspace(visitor.workspace_id)
        .filter(kind=ChannelKind.WEBCHAT, external_id=visitor.external_id)
        .select_related("customer")
        .first()
    )
    if identity is None:
        return None
    customer, seen = identity.customer, set()
    while customer.merged_into_id is not None and customer.pk not in seen:
        seen.add(customer.pk)
        customer = Customer.objects.get(pk=customer.merged_into_id, workspace_id=customer.workspace_id)
    return customer


def stream_of(visitor: Visitor) -> Stream | None:
    customer = customer_of(visitor)
    if customer is None:
        return None
    return Stream.objects.filter(inbox_id=visitor.inbox_id, customer=customer).first()


def latest_conversation_id(visitor: Visitor, customer_id: int) -> int | None:
    from sonnim.conversations.models import Conversation

    return (
        Conversation.objects.for_workspace(visitor.workspace_id)
        .filter(inbox_id=visitor.inbox_id, customer_id=customer_id)
        .order_by("-last_message_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )


def member_customer(visitor: Visitor, member_id: str) -> Customer | None:
    """The shop's member's existing profile (the shop's member id, imported with its orders)."""
    return (
        Customer.objects.for_workspace(visitor.workspace_id)
        .filter(member_id=member_id, merged_into__isnull=True)
        .order_by("pk")
        .first()
    )


def items_after(stream: Stream | None, after: int, *, limit: int = 200) -> list[dict]:
    if stream is None:
        return []
    rows = StreamItem.objects.filter(stream=stream, seq__gt=after).order_by("seq")[:limit]
    return [serialize_item(i) for i in rows]


def history(stream: Stream | None) -> list[dict]:
    if stream is None:
        return []
    rows = list(StreamItem.objects.filter(stream=stream).order_by("-seq")[:HISTORY_LIMIT])
    return [serialize_item(i) for i in reversed(rows)]


def serialize_item(item: StreamItem) -> dict:
    return {"seq": item.seq, "kind": item.kind, **item.payload, "at": item.created_at.isoformat()}


def calendar_for(widget: Widget) -> Calendar | None:
    """The inbox's business hours: an sla calendar of the workspace, else its own weekly hours, else none
    (always open)."""
    settings = widget.inbox.settings
    if settings.get("business_hours_id"):
        from sonnim.sla.selectors import compile_calendar, get_calendar

        try:
            hours = get_calendar(widget.inbox.workspace, int(settings["business_hours_id"]))
        except (NotFound, ValueError, TypeError):
            return None
        return compile_calendar(hours, list(hours.overrides.all()))
    own = settings.get("business_hours")
    if isinstance(own, dict) and isinstance(own.get("weekly"), dict):
        try:
            weekly = tuple(parse_intervals(own["weekly"].get(str(day), [])) for day in range(7))
            return Calendar(
                zone=ZoneInfo(str(own.get("time_zone") or widget.inbox.workspace.time_zone)),
                weekly=weekly,
                uses_holidays=bool(own.get("uses_public_holidays", True)),
            )
        except (ValueError, KeyError):
            return None
    return None


def is_open(widget: Widget, now=None) -> bool:
    calendar = calendar_for(widget)
    return True if calendar is None else is_open_at(calendar, now or timezone.now())


def public_config(widget: Widget) -> dict:
    """What the widget needs to draw itself: no secrets, nothing about other visitors."""
    s = widget.inbox.settings
    return {
        "name": widget.inbox.name,
        "language": s.get("language", "auto"),
        "brand_color": s.get("brand_color", widget_settings.DEFAULT_COLOR)
        if widget_settings.COLOR.match(str(s.get("brand_color", "")))
        else widget_settings.DEFAULT_COLOR,
        "greeting": widget_settings.localized(s.get("greeting"), widget_settings.DEFAULT_GREETING),
        "offline_message": widget_settings.localized(
            s.get("offline_message"), widget_settings.DEFAULT_OFFLINE
        ),
        "prechat": widget_settings.prechat_questions(s),
        "is_open": is_open(widget),
    }


def suggested_articles(widget: Widget, query: str) -> list[dict]:
    """Up to three published, public articles of the widget's workspace for what the visitor is typing (the
    bot's search). An empty query gets the articles readers found most helpful (none before any vote)."""
    workspace = widget.inbox.workspace
    query = query.strip()[:200]
    if query:
        hits = search_articles(workspace, query, top=SUGGESTIONS)
        ids = [h.article_id for h in hits if h.score >= SUGGESTION_MIN_SCORE]
        found = public_articles(workspace).in_bulk(ids)  # drafts and internal articles never leave
        articles = [found[i] for i in ids if i in found]
    else:
        articles = list(
            public_articles(workspace)
            .filter(helpful_count__gt=0)
            .order_by("-helpful_count", "pk")[:SUGGESTIONS]
        )
    return [
        {
            "id": a.pk,
            "title": a.display_title,
            "url": article_url(workspace, a),
            "excerpt": plain_excerpt(a.body, SUGGESTION_EXCERPT),
        }
        for a in articles
    ]
