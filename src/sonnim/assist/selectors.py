"""Reads of the assist app: reply suggestions for an agent looking at a conversation."""

import math
from collections import Counter
from dataclasses import dataclass

from sonnim.conversations.choices import Direction, Status
from sonnim.conversations.models import Conversation, Message
from sonnim.knowledge.search import char_ngrams, ngram_text, search_articles

PAST_CONVERSATIONS = 300  # the most recent resolved conversations of the same category are compared
MIN_REPLY_SCORE = 0.2


@dataclass(frozen=True)
class Suggestion:
    kind: str  # "article" or "reply"
    text: str
    source_id: str  # the article's external id, or the past conversation's id
    score: float


def _cosine(a: Counter, b: Counter) -> float:
    dot = sum(v * b.get(k, 0) for k, v in a.items())
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


def latest_customer_text(conversation: Conversation) -> str:
    return (
        Message.objects.filter(conversation=conversation, direction=Direction.IN)
        .exclude(text="")
        .order_by("-created_at", "-pk")
        .values_list("text", flat=True)
        .first()
        or ""
    )


def similar_replies(conversation: Conversation, text: str, *, top: int) -> list[Suggestion]:
    """The last reply of resolved conversations whose first customer message resembles `text`."""
    past = list(
        Conversation.objects.for_workspace(conversation.workspace_id)
        .filter(status__in=[Status.RESOLVED, Status.CLOSED], category=conversation.category)
        .exclude(pk=conversation.pk)
        .order_by("-last_message_at")
        .values_list("pk", flat=True)[:PAST_CONVERSATIONS]
    )
    if not past:
        return []
    firsts: dict[int, str] = {}
    replies: dict[int, str] = {}
    rows = (
        Message.objects.filter(workspace_id=conversation.workspace_id, conversation_id__in=past)
        .filter(direction__in=[Direction.IN, Direction.OUT])
        .exclude(text="")
        .order_by("conversation_id", "created_at", "pk")
        .values_list("conversation_id", "direction", "text")
    )
    for conversation_id, direction, message_text in rows:
        if direction == Direction.IN:
            firsts.setdefault(conversation_id, message_text)
        else:
            replies[conversation_id] = message_text  # the last one wins
    query = char_ngrams(ngram_text("", text))
    scored = [
        (round(_cosine(query, char_ngrams(ngram_text("", firsts[c]))), 4), c) for c in replies if c in firsts
    ]
    scored = sorted((s for s in scored if s[0] >= MIN_REPLY_SCORE), key=lambda s: (-s[0], -s[1]))[:top]
    return [Suggestion("reply", replies[c], str(c), score) for score, c in scored]


def reply_suggestions(conversation: Conversation, *, top: int = 3) -> list[Suggestion]:
    """Top knowledge-base articles (internal ones too: agents may use them) and the replies that resolved
    similar past conversations, each list best first."""
    text = latest_customer_text(conversation)
    if not text:
        return []
    articles = [
        Suggestion("article", h.title, h.external_id, h.score)
        for h in search_articles(conversation.workspace_id, text, top=top, include_internal=True)
    ]
    return articles + similar_replies(conversation, text, top=top)
