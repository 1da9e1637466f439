"""The contract between the pipeline and channel adapters. Plain data in and out; no ORM."""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime

from django.http import HttpRequest, HttpResponse

from sonnim.core.errors import SonnimError


@dataclass(frozen=True)
class SenderIdentity:
    """Who sent an inbound message, as the channel adapter saw it."""

    external_id: str
    name: str = ""
    email: str = ""
    phone: str = ""
    # The channel vouches for email/phone (a shop's authenticated API call, a signed widget member):
    # only then may they join the message to an existing profile.
    is_verified: bool = False


@dataclass(frozen=True)
class InboundAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class BounceReport:
    """A delivery failure report (email DSN) about one of our outbound messages."""

    original_message_id: str  # the Message-ID of our mail that bounced, "" when the report names none
    reason: str  # shown to agents: status and diagnostic, addresses removed


@dataclass(frozen=True)
class InboundMessage:
    inbox_id: int
    external_id: str
    sender: SenderIdentity
    text: str = ""
    html: str = ""
    subject: str = ""
    thread_key: str = ""
    sent_at: datetime | None = None
    attachments: list[InboundAttachment] = field(default_factory=list)
    # The adapter already sanitized `html` with an allowlist of its own (email keeps inline styles and cid:
    # images): stored as it is. False: the pipeline cleans it with nh3's defaults.
    is_html_sanitized: bool = False
    # Email: what the sender did not newly write (quoted history, signature), behind "show quoted text".
    quoted_text: str = ""
    # Email threading headers (Message-IDs without angle brackets).
    message_id: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    # Machine-generated or bulk (vacation notices, lists): stored, never answered automatically.
    is_auto_reply: bool = False
    # A delivery failure report: not a customer message; it fails the outbound message it names.
    bounce: BounceReport | None = None
    # Channel facts kept on the stored message (Message.metadata): the product a TalkTalk inquiry is about,
    # the TalkTalk inputType, the Kakao skill block and params. No secrets: agents can read it.
    metadata: dict = field(default_factory=dict)
    # Our own side's message mirrored back by the platform (TalkTalk `echo`: typed in Naver's partner
    # center). Stored as an already-sent outbound message, never delivered again: no loops.
    is_echo: bool = False
    # False when a human holds the thread on the platform (TalkTalk handover `standby`): the message is
    # stored and routed as usual, but no bot may answer it.
    allows_bot_reply: bool = True


@dataclass(frozen=True)
class ChannelEvent:
    """Something a channel reports that is not a message: a chat opened, a friend added, a thread handed
    over, profile consent given or withdrawn. It updates the sender's identity (Identity.metadata) and is
    never shown as a message."""

    inbox_id: int
    sender: SenderIdentity
    name: str  # the platform's event name: open, leave, friend, handover, profile, session_expired
    attributes: dict = field(default_factory=dict)  # merged into the identity's metadata (under14, friend)
    # The customer withdrew consent to the profile data the channel gave us: erase name, phone and email.
    erases_contact_data: bool = False


@dataclass(frozen=True)
class QuickReply:
    label: str  # what the button shows and, when tapped, what the customer "says"
    message: str = ""  # the text sent when tapped, when it differs from the label


@dataclass(frozen=True)
class LinkButton:
    label: str
    url: str


@dataclass(frozen=True)
class Card:
    title: str = ""
    description: str = ""
    image_url: str = ""
    buttons: list[LinkButton | QuickReply] = field(default_factory=list)


@dataclass(frozen=True)
class BotReply:
    """The pipeline's answer inside the webhook's own response, for channels that answer a request
    synchronously (the Kakao chatbot skill). A bot step sets StepContext.reply; receive_message() returns it
    as Received.reply, and the adapter's acknowledge() renders it in the platform's format. `is_pending`
    means "the answer is being worked out and comes through send_reply()": the Kakao skill then answers
    with useCallback and the reply goes out through the callback URL."""

    text: str = ""
    cards: list[Card] = field(default_factory=list)
    quick_replies: list[QuickReply] = field(default_factory=list)
    is_pending: bool = False


def bot_reply_from(metadata: dict | None) -> BotReply | None:
    """The bot's structured answer kept on its reply (Message.metadata["bot"], see assist/bot.py) as a
    BotReply: quick replies as buttons, the knowledge-base articles it answered from as link cards."""
    bot = (metadata or {}).get("bot")
    if not isinstance(bot, dict):
        return None
    cards = [
        Card(
            title=str(s.get("title", ""))[:80],
            buttons=[LinkButton(str(bot.get("more_label") or "자세히 보기"), s["url"])],
        )
        for s in bot.get("sources", [])
        if isinstance(s, dict) and s.get("url")
    ]
    return BotReply(
        text=str(bot.get("text", "")),
        cards=cards[:3],
        quick_replies=[
            QuickReply(str(label)) for label in bot.get("quick_replies", []) if str(label).strip()
        ],
    )


@dataclass(frozen=True)
class InboxConfig:
    """An inbox's decrypted settings, handed to its adapter."""

    inbox_id: int
    kind: str
    settings: dict
    credentials: dict
    webhook_url: str = ""
    signing_secret: str = ""
    require_signature: bool = False


@dataclass(frozen=True)
class OutboundAttachment:
    filename: str
    content_type: str
    url: str
    size: int
    storage_name: str = ""  # the file in Django's default storage, for channels that send the bytes (email)


@dataclass(frozen=True)
class OutboundMessage:
    message_id: int
    conversation_id: int
    customer_id: int
    recipient_external_id: str  # the customer's identity on this channel
    text: str
    html: str = ""
    subject: str = ""
    thread_key: str = ""
    author_name: str = ""
    attachments: list[OutboundAttachment] = field(default_factory=list)
    # Email threading: the customer's last Message-ID and the thread's earlier ones (no angle brackets).
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    # A bot's structured answer (cards, quick replies) for channels that can render it; `text` stays its
    # plain form for the timeline and for channels that cannot.
    reply: BotReply | None = None
    # The stored reply's Message.metadata: channel options the agent chose ({"meta": {"mode": "private"}}).
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Delivered:
    external_id: str = ""  # the platform's id for the sent message, when it gives one


@dataclass(frozen=True)
class DeliveryFailed:
    reason: str  # shown to agents: no PII, no secrets
    retryable: bool


@dataclass(frozen=True)
class DeliveryReceipt:
    """A platform's report on one of our sent messages (SMS status callback): `external_id` is the id the
    platform gave the message when it accepted it (Delivered.external_id)."""

    inbox_id: int
    external_id: str
    status: str  # "delivered" or "failed"; anything else is only a step on the way and changes nothing
    reason: str = ""  # shown to agents when failed: no PII


class WebhookRejected(Exception):
    def __init__(self, code: str, reason: str, *, status: int = 400) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
        self.status = status


class ChannelAdapter(ABC):
    # True for channels that answer inside the webhook's own response (the Kakao chatbot skill): the bot's
    # answer goes out there (Received.reply), not through deliver().
    answers_in_response: bool = False

    def __init__(self, config: InboxConfig) -> None:
        self.config = config

    @classmethod
    def validate_settings(cls, settings: dict) -> None:
        """Raise SonnimError (with a code and field details) when an inbox's settings are unusable."""
        return None  # optional hook: most channels keep no settings to check

    @classmethod
    def check_outbound(cls, text: str, files: list) -> None:
        """Raise SonnimError (with a code) when a reply cannot go out on this channel (too long, a file type
        the platform refuses), before it is stored: the agent sees why at once. `files` have filename,
        content_type and data."""
        return None  # optional hook: most channels take what send_reply already checked

    def verify(self, request: HttpRequest) -> None:  # noqa: B027 - optional hook
        """Raise WebhookRejected when the request is not from the platform."""

    @abstractmethod
    def parse(self, request: HttpRequest) -> list[InboundMessage | ChannelEvent]: ...

    def acknowledge(self, received: list) -> HttpResponse:
        return HttpResponse(status=200)

    @abstractmethod
    def deliver(self, message: OutboundMessage) -> Delivered | DeliveryFailed: ...


def check_text_length(text: str, *, limit: int, message: str) -> None:
    """Refuse a text over the channel's limit before anything is sent. `message` is the channel's own
    translated sentence with %(limit)s and %(count)s in it."""
    if len(text) > limit:
        raise SonnimError(
            "message_too_long",
            message % {"limit": f"{limit:,}", "count": f"{len(text):,}"},
            details={"limit": limit, "length": len(text)},
        )
