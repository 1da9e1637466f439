"""Rule conditions: {"field", "op", "value"} checked against the facts of one conversation and message.
Facts are computed lazily, once per event (the Korean morphemes of the text only when a rule asks)."""

from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from django.utils import timezone

OPS = {"eq", "neq", "in", "not_in", "contains", "not_contains"}
FIELDS = {
    "channel",
    "inbox_id",
    "text",
    "category",
    "language",
    "priority",
    "status",
    "urgency",
    "sentiment",
    "customer_tier",
    "customer_tags",
    "team_id",
    "assignee_id",
    "is_auto_reply",
    "business_hours",
    "tags",
    "order_status",  # the status of the customer's latest order ("" when they have none)
}


# read straight off the conversation row (urgency and sentiment once triage stores them there)
_CONVERSATION_FIELDS = {
    "inbox_id",
    "category",
    "priority",
    "status",
    "urgency",
    "sentiment",
    "team_id",
    "assignee_id",
}


@dataclass
class Facts:
    conversation: object
    message: object | None = None
    inbox_kind: str = ""
    _calendars: dict = field(default_factory=dict)

    @cached_property
    def text(self) -> str:
        return (self.message.text if self.message is not None else "") or ""

    @cached_property
    def tokens(self) -> set[str]:
        from sonnim.core.korean import search_tokens

        return set(search_tokens(self.text))

    @cached_property
    def order_status(self) -> str:
        from sonnim.commerce.models import Order

        c = self.conversation
        status = (
            Order.objects.filter(workspace_id=c.workspace_id, customer_id=c.customer_id)
            .order_by("-ordered_at", "-pk")
            .values_list("status", flat=True)
            .first()
        )
        return status or ""

    @cached_property
    def tags(self) -> list[str]:
        return list(self.conversation.tags.values_list("name", flat=True))

    def value(self, name: str):
        c = self.conversation
        if name in _CONVERSATION_FIELDS:
            return getattr(c, name, "")
        if name == "channel":
            return self.inbox_kind or c.inbox.kind
        if name == "text":
            return self.text
        if name == "language":
            return (self.message.language if self.message is not None else "") or c.language
        if name == "customer_tier":
            return c.customer.tier
        if name == "customer_tags":
            return list(c.customer.tags or [])
        if name == "order_status":
            return self.order_status
        if name == "is_auto_reply":
            return bool(self.message is not None and self.message.is_auto_reply)
        return self.tags  # "tags"

    def is_business_hours(self, calendar_id: int) -> bool:
        from sonnim.sla.business_hours import is_open_at
        from sonnim.sla.models import BusinessHours
        from sonnim.sla.selectors import compile_calendar

        if calendar_id not in self._calendars:
            hours = BusinessHours.objects.filter(
                workspace_id=self.conversation.workspace_id, pk=calendar_id
            ).first()
            self._calendars[calendar_id] = (
                compile_calendar(hours, list(hours.overrides.all())) if hours else None
            )
        calendar = self._calendars[calendar_id]
        return calendar is not None and is_open_at(calendar, timezone.now())


@lru_cache(maxsize=4096)
def needle_tokens(needle: str) -> frozenset[str]:
    """A rule's keyword as morphemes, once per process (rules repeat on every message)."""
    from sonnim.core.korean import search_tokens

    return frozenset(search_tokens(needle))


def text_contains(facts: Facts, needle: str) -> bool:
    """Case-insensitive substring, else Korean by morphemes ("환불해 주세요" matches "환불해주세요"). The text
    is analysed (Kiwi, the costly part) only when every morpheme of the keyword appears in it literally,
    which a morpheme match needs in practice: most messages are decided without analysis."""
    text = facts.text.casefold()
    if needle.casefold() in text:
        return True
    wanted = needle_tokens(needle)
    if not wanted or not all(token.casefold() in text for token in wanted):
        return False
    return wanted <= facts.tokens


def holds(facts: Facts, condition: dict) -> bool:
    name, op, wanted = condition["field"], condition["op"], condition.get("value")
    if name == "business_hours":  # value: {"calendar_id": id, "open": bool}
        return facts.is_business_hours(wanted["calendar_id"]) == wanted.get("open", True)
    if name == "text" and op in ("contains", "not_contains"):
        found = text_contains(facts, str(wanted))
        return found if op == "contains" else not found
    actual = facts.value(name)
    if op == "eq":
        return actual == wanted
    if op == "neq":
        return actual != wanted
    if op == "in":
        return actual in wanted
    if op == "not_in":
        return actual not in wanted
    if op == "contains":
        return wanted in (actual or [])
    return wanted not in (actual or [])  # not_contains


def check_condition(condition: dict) -> str | None:
    """Why a condition is malformed, or None."""
    if (
        not isinstance(condition, dict)
        or condition.get("field") not in FIELDS
        or condition.get("op") not in OPS
    ):
        return "unknown field or op"
    if condition["op"] in ("in", "not_in") and not isinstance(condition.get("value"), list):
        return "in / not_in need a list"
    if condition["field"] == "business_hours" and not isinstance(condition.get("value"), dict):
        return "business_hours needs {calendar_id, open}"
    if condition["field"] == "order_status":
        from sonnim.commerce.choices import OrderStatus

        wanted = condition.get("value")
        values = wanted if isinstance(wanted, list) else [wanted]
        known = {"", *OrderStatus.values}
        if condition["op"] not in ("eq", "neq", "in", "not_in") or not set(values) <= known:
            return "order_status takes eq/neq/in/not_in and order statuses: " + ", ".join(OrderStatus.values)
    return None
