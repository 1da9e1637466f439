"""The first-line bot: answers routine questions from the knowledge base and the customer's own orders, and
hands everything else to a person at once, with a summary at the top of the conversation.

`take_turn(context)` is the `bot_turn` pipeline step's body; `ask()` answers without storing or sending
anything (`sonnim bot ask`). Replies go out through conversations.services.send_reply(actor=BOT), so
delivery, retries and the timeline are the normal ones. The structured answer (BotAnswer below, including
`quick_replies` for channels with buttons) is kept on the reply's Message.metadata["bot"]; channel adapters
that can render buttons (kakao, talktalk, webchat) read it there, sms and email get the plain text."""

import logging
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction

from sonnim.conversations.choices import PRIORITY_RANK, Direction, Status
from sonnim.conversations.models import Conversation, Message
from sonnim.conversations.services import add_note, send_reply, set_priority, set_status
from sonnim.core.actors import BOT
from sonnim.core.errors import SonnimError
from sonnim.core.events import record_event
from sonnim.core.korean import detect_language
from sonnim.core.models import Event, Workspace
from sonnim.customers.models import Customer
from sonnim.inboxes.adapters import adapter_for
from sonnim.inboxes.adapters.base import bot_reply_from
from sonnim.knowledge.links import article_url
from sonnim.knowledge.models import Article
from sonnim.knowledge.search import Hit, article_excerpt, search_articles

from . import llm
from .orders import describe_order, find_claimed_order, latest_order, order_intent
from .rules import HandoffFacts, handoff_reason

if TYPE_CHECKING:
    from sonnim.conversations.pipeline import StepContext

logger = logging.getLogger("sonnim.assist")

KB_MIN_SCORE = (
    0.15  # below: a guess. On the sample query set right answers score 0.11-1.0 (median 0.55), chit-chat 0.03
)
QUICK_REPLY_KINDS = {"kakao", "talktalk", "webchat"}  # channels that render buttons
URGENCY_PRIORITY = {"high": "high", "medium": "medium", "low": "low"}
TURN_MEMORY = 10  # the bot's replies it reads back (its state, and what it tried, for the handoff note)

REASON_LABELS = {
    "requested_human": "상담원 연결 요청",
    "complaint": "불만·법적 조치 언급",
    "anger": "고객 감정 격앙",
    "vip": "VIP 고객",
    "sensitive_topic": "민감 주제",
    "low_confidence": "봇이 두 번 연속 답을 찾지 못함",
}
TEXTS = {
    "ko": {
        "handoff": "상담원에게 연결해 드릴게요. 잠시만 기다려 주세요.",
        "unsure": "질문을 정확히 이해하지 못했어요. 조금 더 자세히 말씀해 주시거나 '상담원 연결'을 눌러 주세요.",  # noqa: E501 - Korean text is wide
        "link": "주문 내역을 확인하려면 주문번호와 주문하실 때 입력한 휴대폰 번호를 함께 보내 주세요. "
        "(예: 20261101-00042 010-1234-5678)",
        "no_orders": "확인되는 주문이 없어요. 주문번호와 주문하신 휴대폰 번호를 보내 주시면 다시 확인해 드릴게요.",  # noqa: E501 - Korean text is wide
        "more": "자세히 보기",
        "quick": ["배송 조회", "교환·반품", "상담원 연결"],
    },
    "en": {
        "handoff": "I'm connecting you with a member of our team. Please hold on.",
        "unsure": "Sorry, I didn't quite get that. Could you say it in other words, or tap 'Talk to an agent'?",  # noqa: E501 - Korean text is wide
        "link": "To look up your order, please send your order number and the phone number you ordered with "
        "(e.g. 20261101-00042 010-1234-5678).",
        "no_orders": "I couldn't find an order. Send your order number and the phone number you ordered with "
        "and I'll check again.",
        "more": "More",
        "quick": ["Track my order", "Returns", "Talk to an agent"],
    },
}


@dataclass(frozen=True)
class BotAnswer:
    """What the bot says (or that it hands over). `quick_replies` are button labels for chat channels
    (empty for sms and email); tapping one sends its label as the customer's next message."""

    text: str
    sources: list[dict] = field(default_factory=list)  # [{"id", "title", "url"}]
    confidence: float = 0.0
    handoff: bool = False
    reason: str = ""  # handoff: requested_human, complaint, anger, vip, sensitive_topic, low_confidence;
    # answered: kb, generated, order_status, refund_status, link_request, unsure
    intent: str = ""  # the triage category, or order_status / refund_status
    order_number: str = ""
    quick_replies: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TurnState:
    """What the bot remembers of the conversation, read from its own earlier replies' metadata."""

    previous_unsure: bool = False
    pending_intent: str = ""  # an order question waiting for the order number and phone
    tried: tuple[str, ...] = ()


@dataclass(frozen=True)
class Question:
    text: str
    language: str
    category: str
    sentiment: str
    sentiment_confidence: float
    urgency: str
    channel_kind: str


# -- deciding ----------------------------------------------------------------------------------------------


def _quick(question: Question, labels: list[str]) -> list[str]:
    return labels if question.channel_kind in QUICK_REPLY_KINDS else []


def _texts(question: Question) -> dict:
    return TEXTS["en" if question.language == "en" else "ko"]


def kb_answer(workspace: Workspace, question: Question, hits: list[Hit]) -> BotAnswer:
    best = hits[0]
    url = article_url(workspace, best)
    sources = [{"id": best.external_id, "title": best.title, "url": url}]
    generated = None
    if llm.is_enabled():
        articles = Article.objects.for_workspace(workspace).in_bulk([h.article_id for h in hits[:3]])
        grounding = [(a.display_title, a.body) for h in hits[:3] if (a := articles.get(h.article_id))]
        generated = llm.generate_answer(question.text, grounding)
    body = generated or f"{best.title}\n{article_excerpt(workspace, best.article_id)}"
    texts = _texts(question)
    text = f"{body}\n\n{texts['more']}: {url}"
    quick = _quick(question, [texts["quick"][2]])
    reason = "generated" if generated else "kb"
    return BotAnswer(text, sources, best.score, False, reason, question.category, "", quick)


def order_answer(
    workspace: Workspace, question: Question, customer: Customer | None, intent: str
) -> tuple[BotAnswer, "Customer | None"]:
    """The answer, and the customer the order belongs to when the text proved a different one (to link)."""
    texts = _texts(question)
    claimed = find_claimed_order(customer, question.text) if customer is not None else None
    order = claimed or latest_order(customer)
    if order is None:
        has_try = bool(re.search(r"\d{5,}", question.text))
        reply = texts["no_orders"] if has_try else texts["link"]
        return BotAnswer(reply, [], 0.5, False, "link_request", intent), None
    described = describe_order(order, intent=intent, language=question.language)
    quick = _quick(question, [texts["quick"][2]])
    answer = BotAnswer(described.text, [], 1.0, False, intent, intent, described.order_number, quick)
    owner = (
        claimed.customer
        if claimed is not None and claimed.customer_id != getattr(customer, "pk", None)
        else None
    )
    return answer, owner


def decide(
    workspace: Workspace,
    question: Question,
    *,
    customer: Customer | None,
    state: TurnState,
    sensitive_topics: tuple[str, ...] = (),
) -> tuple[BotAnswer, "Customer | None"]:
    # After the bot asked for the order number and phone, a reply with digits continues that question.
    pending = state.pending_intent if re.search(r"\d{4,}", question.text) else ""
    intent = order_intent(question.text) or pending
    hits = [] if intent else search_articles(workspace, question.text, top=3)
    unsure = not intent and (not hits or hits[0].score < KB_MIN_SCORE)
    facts = HandoffFacts(
        sentiment=question.sentiment,
        sentiment_confidence=question.sentiment_confidence,
        category=question.category,
        is_vip=bool(customer and customer.tier.strip().lower() == "vip"),
        sensitive_topics=sensitive_topics,
        previous_turn_was_unsure=state.previous_unsure,
        this_turn_is_unsure=unsure,
    )
    reason = handoff_reason(question.text, facts)
    if reason:
        confidence = hits[0].score if hits else 0.0
        return BotAnswer(
            _texts(question)["handoff"], [], confidence, True, reason, intent or question.category
        ), None
    if intent:
        return order_answer(workspace, question, customer, intent)
    if unsure:
        texts = _texts(question)
        confidence = hits[0].score if hits else 0.0
        return BotAnswer(
            texts["unsure"],
            [],
            confidence,
            False,
            "unsure",
            question.category,
            "",
            _quick(question, texts["quick"]),
        ), None
    return kb_answer(workspace, question, hits), None


# -- the pipeline step -------------------------------------------------------------------------------------


class RecentReplies:
    """The conversation's last TURN_MEMORY replies (author kind, metadata, time), newest first: read once,
    when first needed, for both human_holds and turn_state."""

    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation
        self._rows: list[tuple[str, dict, datetime]] | None = None

    @property
    def rows(self) -> list[tuple[str, dict, datetime]]:
        if self._rows is None:
            self._rows = list(
                Message.objects.filter(conversation=self.conversation, direction=Direction.OUT)
                .order_by("-created_at", "-pk")
                .values_list("author_kind", "metadata", "created_at")[:TURN_MEMORY]
            )
        return self._rows

    @property
    def complete(self) -> bool:
        """All of the conversation's replies are in `rows`."""
        return len(self.rows) < TURN_MEMORY


def human_holds(conversation: Conversation, recent: RecentReplies | None = None) -> bool:
    """An assignee, an agent's reply, or the bot's own handoff since the conversation was last resolved or
    reopened: a person is on it, so the bot stays silent. `recent`: the bot's turn shares its read of the
    last replies, which usually settles the agent-reply question without another query."""
    if conversation.assignee_id:
        return True
    events = (
        Event.objects.for_workspace(conversation.workspace_id)
        .filter(conversation_id=conversation.pk)
        .filter(type__in=["bot.handed_off", "conversation.reopened", "conversation.status_changed"])
        .order_by("-seq")
        .values_list("type", "data", "created_at")[:50]
    )
    since = None
    for type_, data, created_at in events:
        if type_ == "bot.handed_off":
            return True
        if type_ == "conversation.reopened" or data.get("status") in (Status.RESOLVED, Status.CLOSED):
            since = created_at
            break
    if recent is not None:
        if any(kind == "agent" and (since is None or at > since) for kind, _metadata, at in recent.rows):
            return True
        if recent.complete:
            return False
    replies = Message.objects.filter(conversation=conversation, direction=Direction.OUT, author_kind="agent")
    if since is not None:
        replies = replies.filter(created_at__gt=since)
    return replies.exists()


def turn_state(conversation: Conversation, recent: RecentReplies | None = None) -> TurnState:
    """From the conversation's last replies: no query beyond `recent`'s, a second only when the last ten
    replies mix the bot with someone else (the bot's ten latest are what it remembers)."""
    rows = (recent or RecentReplies(conversation)).rows
    if not rows or rows[0][0] != "bot":
        return TurnState()
    if all(kind == "bot" for kind, _metadata, _at in rows):
        bot_messages = [metadata for _kind, metadata, _at in rows]
    else:
        bot_messages = list(
            Message.objects.filter(conversation=conversation, direction=Direction.OUT, author_kind="bot")
            .order_by("-created_at", "-pk")
            .values_list("metadata", flat=True)[:TURN_MEMORY]
        )
    last = (bot_messages[0] or {}).get("bot", {})
    tried = tuple(
        m["bot"].get("summary", "") for m in reversed(bot_messages) if m and m.get("bot", {}).get("summary")
    )
    return TurnState(
        previous_unsure=last.get("reason") == "unsure",
        pending_intent=last.get("intent", "") if last.get("reason") == "link_request" else "",
        tried=tried,
    )


def question_from_message(message: Message, channel_kind: str) -> Question:
    score = message.sentiment_score or 0.0
    return Question(
        text=message.text,
        language=message.language or detect_language(message.text) or "ko",
        category=message.category,
        sentiment=message.sentiment or "neutral",
        sentiment_confidence=-score if message.sentiment == "negative" else 0.0,
        urgency=message.urgency or "low",
        channel_kind=channel_kind,
    )


def _summary_of(answer: BotAnswer) -> str:
    if answer.reason in ("kb", "generated") and answer.sources:
        return f"도움말 안내: {answer.sources[0]['title']}"
    if answer.reason in ("order_status", "refund_status"):
        return f"주문 조회 ({answer.reason}): {answer.order_number}"
    if answer.reason == "link_request":
        return "주문번호·휴대폰 번호 요청"
    return "질문 재확인 요청"


def take_turn(context: "StepContext") -> None:
    message, conversation = context.message, context.conversation
    if message.direction != Direction.IN or message.is_auto_reply or not message.text.strip():
        return
    if (message.metadata or {}).get("standby"):  # a human holds the thread on the platform
        return
    # A conversation this message just opened has no handoff, reply or bot state to read back yet.
    fresh = context.is_new_conversation
    recent = RecentReplies(conversation)
    if conversation.assignee_id if fresh else human_holds(conversation, recent):
        return
    question = question_from_message(message, context.inbox.kind)
    settings = (context.inbox.settings or {}).get("bot", {})
    topics = tuple(str(t) for t in settings.get("sensitive_topics", []) if str(t).strip())
    state = TurnState() if fresh else turn_state(conversation, recent)
    answer, owner = decide(
        context.inbox.workspace, question, customer=context.customer, state=state, sensitive_topics=topics
    )
    if owner is not None:
        link_customer(context.customer, owner)
    if answer.handoff:
        hand_off(conversation, question, answer, state, context=context)
        return
    metadata = {
        "bot": {**asdict(answer), "summary": _summary_of(answer), "more_label": _texts(question)["more"]}
    }
    reply_to(context, conversation, answer.text, metadata)


def reply_to(context: "StepContext", conversation: Conversation, text: str, metadata: dict) -> None:
    """Send the bot's reply. A channel that answers inside its webhook response (the Kakao skill) gets it
    there, as the step's reply; the others get it through delivery, with the same buttons and cards."""
    adapter = adapter_for(context.inbox.kind)
    in_response = bool(adapter and adapter.answers_in_response)
    send_reply(conversation, text=text, actor=BOT, metadata=metadata, in_response=in_response)
    if in_response:
        context.reply = bot_reply_from(metadata)


def link_customer(customer: Customer, owner: Customer) -> None:
    """The customer proved an order is theirs (its number and phone): this chat identity joins the profile
    that placed it, so their next questions are answered from their orders."""
    from sonnim.customers.services import merge_customers

    try:
        with transaction.atomic():
            merge_customers(customer, owner, actor=BOT)
    except SonnimError as exc:  # already merged elsewhere: answer anyway, an agent can merge by hand
        logger.info("bot could not link customer=%s code=%s", customer.pk, exc.code)


def hand_off(
    conversation: Conversation,
    question: Question,
    answer: BotAnswer,
    state: TurnState,
    *,
    context: "StepContext",
) -> None:
    """A summary note for the agent, priority raised from urgency, the conversation open, the event, and a
    short notice to the customer. From now on the bot stays silent (human_holds)."""
    tried = "; ".join(state.tried) or "없음"
    order = latest_order(conversation.customer)
    lines = [
        f"[봇 인계] {REASON_LABELS.get(answer.reason, answer.reason)} ({answer.reason})",
        f"- 문의 유형: {question.category or '-'} / 긴급도: {question.urgency} / 감정: {question.sentiment}",
        f"- 최근 주문: {order.number} ({order.status})" if order else "- 최근 주문: 없음",
        f"- 봇이 시도한 것: {tried}",
        f"- 고객 메시지: {question.text[:300]}",
    ]
    add_note(conversation, text="\n".join(lines), actor=BOT)
    wanted = URGENCY_PRIORITY.get(question.urgency, "low")
    conversation.refresh_from_db(fields=["priority", "status"])
    if PRIORITY_RANK.get(wanted, 0) > PRIORITY_RANK.get(conversation.priority, 0):
        set_priority(conversation, priority=wanted, actor=BOT)
    if conversation.status != Status.OPEN:
        set_status(conversation, status=Status.OPEN, actor=BOT)
    record_event(
        conversation.workspace_id,
        "bot.handed_off",
        actor=BOT,
        conversation_id=conversation.pk,
        customer_id=conversation.customer_id,
        data={"reason": answer.reason, "intent": answer.intent, "urgency": question.urgency},
    )
    metadata = {"bot": {**asdict(answer), "summary": "상담원 인계"}}
    reply_to(context, conversation, answer.text, metadata)
    from sonnim.automation.routing import route_conversation  # routing waited for the handoff

    conversation.refresh_from_db(fields=["status", "assignee", "team"])
    route_conversation(conversation, channel_kind=context.inbox.kind, tier=context.customer.tier, actor=BOT)


# -- the command line -------------------------------------------------------------------------------------


def ask(
    workspace: Workspace, text: str, *, customer_id: int | None = None, channel_kind: str = "webchat"
) -> BotAnswer:
    """What the bot would answer to one message, with no conversation: nothing is stored or sent."""
    from sonnim.customers.selectors import get_customer

    from .triage import default_model, triage_text

    customer = get_customer(workspace, customer_id) if customer_id else None
    result = triage_text(text, workspace_id=workspace.pk)
    sentiment = default_model("sentiment").predict(text)
    question = Question(
        text=text,
        language=result.language or "ko",
        category=result.category,
        sentiment=result.sentiment,
        sentiment_confidence=sentiment.scores.get("negative", 0.0),
        urgency=result.urgency,
        channel_kind=channel_kind,
    )
    answer, _owner = decide(workspace, question, customer=customer, state=TurnState())
    return answer
