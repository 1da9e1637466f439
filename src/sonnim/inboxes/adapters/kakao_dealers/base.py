"""The dealer interface. Kakao offers 상담톡 (human chat in a KakaoTalk channel) and AlimTalk only through
official dealers, each with its own API; one module per dealer implements this class and one entry in
DEALERS (kakao_dealers/__init__.py) makes it selectable with the inbox setting {"dealer": "<name>"}.

A dealer turns its inbound webhook into InboundMessages (or ChannelEvents: session ended or expired),
sends text, image and file messages, ends a session, and sends AlimTalk. A 상담톡 session closes after
30 days of customer silence: after that only AlimTalk reaches the customer."""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.http import HttpRequest

from ..base import ChannelEvent, Delivered, DeliveryFailed, InboundMessage, InboxConfig

SESSION_SILENCE_LIMIT = timedelta(days=30)


def session_is_open(last_customer_message_at: datetime | None, now: datetime) -> bool:
    """A 상담톡 session lives while the customer spoke within the last 30 days."""
    return last_customer_message_at is not None and now - last_customer_message_at < SESSION_SILENCE_LIMIT


@dataclass(frozen=True)
class CounselMessage:
    """One outbound 상담톡 bubble: text, or an image or a file by URL (the dealer fetches it)."""

    user_key: str
    serial_number: str  # our idempotency key for this bubble: a retried send must not show twice
    text: str = ""
    image_url: str = ""
    file_url: str = ""
    file_name: str = ""
    file_size: int = 0


@dataclass(frozen=True)
class AlimTalkRequest:
    template_code: str
    phone: str  # plaintext only here, on the way to the dealer; never logged
    text: str  # the rendered template
    serial_number: str  # the send's idempotency key
    buttons: list = field(default_factory=list)
    fallback: str = ""  # "" (none), "SMS" or "LMS": the dealer sends the text as a text message when it fails


class KakaoDealer(ABC):
    name: str = ""

    def __init__(self, config: InboxConfig) -> None:
        self.config = config

    @abstractmethod
    def verify(self, request: HttpRequest) -> None:
        """Raise WebhookRejected unless the webhook comes from the dealer (its signature)."""

    @abstractmethod
    def parse(self, request: HttpRequest) -> list[InboundMessage | ChannelEvent]: ...

    @abstractmethod
    def send(self, message: CounselMessage) -> Delivered | DeliveryFailed: ...

    @abstractmethod
    def end_session(self, user_key: str) -> Delivered | DeliveryFailed: ...

    @abstractmethod
    def send_alimtalk(self, request: AlimTalkRequest) -> Delivered | DeliveryFailed: ...
