"""The contract between the pipeline and channel adapters. Plain data in and out; no ORM."""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime

from django.http import HttpRequest, HttpResponse


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


@dataclass(frozen=True)
class Delivered:
    external_id: str = ""  # the platform's id for the sent message, when it gives one


@dataclass(frozen=True)
class DeliveryFailed:
    reason: str  # shown to agents: no PII, no secrets
    retryable: bool


class WebhookRejected(Exception):
    def __init__(self, code: str, reason: str, *, status: int = 400) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
        self.status = status


class ChannelAdapter(ABC):
    def __init__(self, config: InboxConfig) -> None:
        self.config = config

    @classmethod
    def validate_settings(cls, settings: dict) -> None:  # noqa: B027 - optional hook
        """Raise SonnimError (with a code and field details) when an inbox's settings are unusable."""

    def verify(self, request: HttpRequest) -> None:  # noqa: B027 - optional hook
        """Raise WebhookRejected when the request is not from the platform."""

    @abstractmethod
    def parse(self, request: HttpRequest) -> list[InboundMessage]: ...

    def acknowledge(self, received: list) -> HttpResponse:
        return HttpResponse(status=200)

    @abstractmethod
    def deliver(self, message: OutboundMessage) -> Delivered | DeliveryFailed: ...
