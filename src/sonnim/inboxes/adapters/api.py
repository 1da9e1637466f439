"""The generic API inbox: any system posts messages in as JSON; replies go out as signed JSON webhooks."""

import json
from datetime import datetime

import httpx
from django.conf import settings
from django.http import HttpRequest

from . import signing
from .base import (
    ChannelAdapter,
    Delivered,
    DeliveryFailed,
    InboundAttachment,
    InboundMessage,
    OutboundMessage,
    SenderIdentity,
    WebhookRejected,
)


class ApiAdapter(ChannelAdapter):
    def verify(self, request: HttpRequest) -> None:
        if not self.config.require_signature:
            return
        if reason := signing.check_request(self.config.signing_secret, request):
            raise WebhookRejected("bad_signature", reason, status=401)

    def parse(self, request: HttpRequest) -> list[InboundMessage]:
        try:
            payload = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise WebhookRejected("malformed_json", "the body is not valid JSON") from exc
        items = payload if isinstance(payload, list) else [payload]
        return [self.message_from(item) for item in items]

    def message_from(self, item: dict, *, attachments: list[InboundAttachment] = ()) -> InboundMessage:
        """One validated inbound payload (the API's schema checked it) to an InboundMessage.
        The shop's authenticated system vouches for the sender's email and phone."""
        sender = item["sender"]
        sent_at = item.get("sent_at")
        return InboundMessage(
            inbox_id=self.config.inbox_id,
            external_id=str(item["external_id"]),
            sender=SenderIdentity(
                external_id=str(sender["external_id"]),
                name=sender.get("name") or "",
                email=sender.get("email") or "",
                phone=sender.get("phone") or "",
                is_verified=True,
            ),
            text=item.get("text") or "",
            subject=item.get("subject") or "",
            thread_key=item.get("thread_key") or "",
            sent_at=sent_at
            if isinstance(sent_at, datetime) or sent_at is None
            else datetime.fromisoformat(sent_at),
            attachments=list(attachments),
        )

    def deliver(self, message: OutboundMessage) -> Delivered | DeliveryFailed:
        if not self.config.webhook_url:
            return DeliveryFailed("This API inbox has no webhook URL for replies.", retryable=False)
        body = json.dumps(webhook_body(message), ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "Sonnim"}
        if self.config.signing_secret:
            headers.update(signing.sign(self.config.signing_secret, body))
        try:
            response = httpx.post(
                self.config.webhook_url,
                content=body,
                headers=headers,
                timeout=settings.DELIVERY_TIMEOUT_SECONDS,
            )
        except httpx.HTTPError as exc:
            return DeliveryFailed(f"webhook unreachable: {type(exc).__name__}", retryable=True)
        if response.status_code >= 500 or response.status_code == 429:
            return DeliveryFailed(f"webhook answered HTTP {response.status_code}", retryable=True)
        if response.status_code >= 400:
            return DeliveryFailed(f"webhook refused with HTTP {response.status_code}", retryable=False)
        return Delivered(external_id=_external_id(response))


def webhook_body(message: OutboundMessage) -> dict:
    return {
        "type": "message.outbound",
        "message_id": message.message_id,
        "conversation_id": message.conversation_id,
        "customer_id": message.customer_id,
        "recipient": {"external_id": message.recipient_external_id},
        "text": message.text,
        "thread_key": message.thread_key,
        "author": {"name": message.author_name},
        "attachments": [
            {"filename": a.filename, "content_type": a.content_type, "url": a.url, "size": a.size}
            for a in message.attachments
        ],
    }


def _external_id(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    return str(data.get("id", "")) if isinstance(data, dict) else ""
