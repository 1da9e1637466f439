"""The web chat widget (sonnim.webchat). Visitors' messages come through the widget's own endpoints
(/widget/api/<widget key>/...), not through /hooks/: parse() refuses webhook calls. Delivery appends the
reply to the visitor's stream and pushes it to their open widgets; a visitor who is away sees it in the
history when they come back, so a reply is delivered once it is in the stream."""

from django.http import HttpRequest
from django.utils.translation import gettext as _

from .base import (
    ChannelAdapter,
    ChannelEvent,
    Delivered,
    DeliveryFailed,
    InboundMessage,
    OutboundMessage,
    WebhookRejected,
    check_text_length,
)

TEXT_MAX_CHARS = 5000  # either way: a visitor's message over it is refused, never cut


def check_length(text: str) -> None:
    """message_too_long (400) for a text over TEXT_MAX_CHARS, a visitor's or an agent's."""
    check_text_length(
        text,
        limit=TEXT_MAX_CHARS,
        message=_("Web chat messages are limited to %(limit)s characters (this one has %(count)s)."),
    )


class WebchatAdapter(ChannelAdapter):
    @classmethod
    def validate_settings(cls, settings: dict) -> None:
        from sonnim.webchat.settings import validate

        validate(settings)

    @classmethod
    def check_outbound(cls, text: str, files: list) -> None:
        check_length(text)

    def parse(self, request: HttpRequest) -> list[InboundMessage | ChannelEvent]:
        raise WebhookRejected(
            "not_a_webhook", "Web chat messages come from the widget, not from a webhook.", status=404
        )

    def deliver(self, message: OutboundMessage) -> Delivered | DeliveryFailed:
        from sonnim.webchat.services import push_reply  # the widget's stream is the webchat app's room

        if not message.recipient_external_id:  # e.g. a reply sent here from another channel's conversation
            return DeliveryFailed("This customer has never used the chat widget.", retryable=False)
        item = push_reply(message, inbox_id=self.config.inbox_id)
        if item is None:
            return DeliveryFailed("This customer has no web chat session in this inbox.", retryable=False)
        return Delivered(external_id=f"webchat:{message.message_id}")
