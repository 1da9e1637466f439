"""`restdealer`: a reference Kakao dealer with a plain JSON REST API. Real dealers differ in names, not in
kind; this module is the template for the next one.

The dealer shape (all JSON, UTF-8):

Outbound, base URL from the inbox settings `dealer_url`, header `X-Api-Key: <credentials.api_key>`:

    POST /v1/messages   {"sender_key", "user_key", "serial_number", "type": "text" | "image" | "file",
                         "text"?, "image_url"?, "file_url"?, "file_name"?, "file_size"?}
    POST /v1/sessions/end  {"sender_key", "user_key"}
    POST /v1/alimtalk   {"sender_key", "template_code", "phone", "text", "buttons": [...],
                         "serial_number", "fallback": null | {"type": "SMS" | "LMS", "text"}}

    answer: {"code": "0000", "message_id": "..."} on success, else {"code": "E...", "message": "..."}
    (HTTP 200 or 4xx/5xx). Codes: E401 bad API key, E404 unknown user, E409 serial number already used (the
    earlier send went through: success), E410 session expired (30 days of customer silence), E413 too large,
    E422 invalid message / template, E429 rate limited, E500 dealer error.

Inbound, POSTed by the dealer to /hooks/kakao_counsel/<inbox key>, signed with
`X-Dealer-Signature: sha256=<hex HMAC-SHA256(credentials.webhook_secret, raw body)>`:

    {"event": "message", "message_id", "user_key", "sender_key", "type": "text" | "image" | "file",
     "text"?, "attachment"?: {"url", "name", "size"}, "sent_at": ISO 8601}
    {"event": "session_end" | "session_expired", "user_key", "sender_key"}
"""

import hashlib
import hmac
import json
from datetime import datetime

import httpx
from django.conf import settings as django_settings
from django.http import HttpRequest

from ..base import ChannelEvent, Delivered, DeliveryFailed, InboundMessage, SenderIdentity, WebhookRejected
from .base import AlimTalkRequest, CounselMessage, KakaoDealer

SIGNATURE_HEADER = "X-Dealer-Signature"
RETRYABLE = {"E429", "E500"}
REASONS = {
    "E401": "the dealer refused the API key",
    "E404": "the dealer does not know this KakaoTalk user",
    "E410": "the 상담톡 session expired after 30 days of customer silence; use an AlimTalk template",
    "E413": "the message or file is too large for KakaoTalk",
    "E422": "the dealer found the message or template invalid",
    "E429": "the dealer is rate limiting us",
    "E500": "the dealer had an internal error",
}


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class RestDealer(KakaoDealer):
    name = "restdealer"

    def verify(self, request: HttpRequest) -> None:
        secret = str(self.config.credentials.get("webhook_secret", ""))
        given = request.headers.get(SIGNATURE_HEADER, "")
        if not secret or not hmac.compare_digest(sign(secret, request.body), given.strip()):
            raise WebhookRejected(
                "bad_signature", f"The {SIGNATURE_HEADER} signature does not match.", status=401
            )

    def parse(self, request: HttpRequest) -> list[InboundMessage | ChannelEvent]:
        try:
            payload = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise WebhookRejected("malformed_json", "The body is not valid JSON.") from exc
        if (
            not isinstance(payload, dict)
            or not isinstance(payload.get("user_key"), str)
            or not payload["user_key"]
        ):
            raise WebhookRejected("malformed_payload", "The dealer event has no user_key.")
        sender = SenderIdentity(external_id=payload["user_key"])
        event = payload.get("event")
        if event in ("session_end", "session_expired"):
            return [ChannelEvent(self.config.inbox_id, sender, event, {"session_open": False})]
        if event != "message":
            return []
        if not payload.get("message_id"):
            raise WebhookRejected("malformed_payload", "The dealer message has no message_id.")
        text, metadata = _content(payload)
        return [
            InboundMessage(
                inbox_id=self.config.inbox_id,
                external_id=str(payload["message_id"])[:255],
                sender=sender,
                text=text,
                sent_at=_when(payload.get("sent_at")),
                metadata=metadata,
            )
        ]

    def send(self, message: CounselMessage) -> Delivered | DeliveryFailed:
        body = {"user_key": message.user_key, "serial_number": message.serial_number}
        if message.image_url:
            body.update(type="image", image_url=message.image_url)
        elif message.file_url:
            body.update(
                type="file",
                file_url=message.file_url,
                file_name=message.file_name,
                file_size=message.file_size,
            )
        else:
            body.update(type="text", text=message.text)
        return self._post("/v1/messages", body)

    def end_session(self, user_key: str) -> Delivered | DeliveryFailed:
        return self._post("/v1/sessions/end", {"user_key": user_key})

    def send_alimtalk(self, request: AlimTalkRequest) -> Delivered | DeliveryFailed:
        fallback = {"type": request.fallback, "text": request.text} if request.fallback else None
        body = {
            "template_code": request.template_code,
            "phone": request.phone,
            "text": request.text,
            "buttons": request.buttons,
            "serial_number": request.serial_number,
            "fallback": fallback,
        }
        return self._post("/v1/alimtalk", body)

    def _post(self, path: str, body: dict) -> Delivered | DeliveryFailed:
        base = str(self.config.settings.get("dealer_url", "")).rstrip("/")
        if not base:
            return DeliveryFailed("This KakaoTalk inbox has no dealer_url setting.", retryable=False)
        payload = {"sender_key": self.config.settings.get("sender_key", ""), **body}
        try:
            response = httpx.post(
                base + path,
                content=json.dumps(payload, ensure_ascii=False).encode(),
                headers={
                    "Content-Type": "application/json",
                    "X-Api-Key": str(self.config.credentials.get("api_key", "")),
                },
                timeout=django_settings.DELIVERY_TIMEOUT_SECONDS,
            )
        except httpx.HTTPError as exc:
            return DeliveryFailed(f"Kakao dealer unreachable: {type(exc).__name__}", retryable=True)
        return read_answer(response)


def read_answer(response: httpx.Response) -> Delivered | DeliveryFailed:
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or "code" not in answer:
        retryable = response.status_code >= 500 or response.status_code == 429 or response.status_code < 400
        return DeliveryFailed(
            f"Kakao dealer answered HTTP {response.status_code} without a result code", retryable
        )
    code = str(answer["code"])
    if code in ("0000", "E409"):  # E409: this serial number was sent before, so it is delivered
        return Delivered(external_id=str(answer.get("message_id", ""))[:200])
    reason = REASONS.get(code, str(answer.get("message", ""))[:120])
    return DeliveryFailed(f"Kakao dealer refused: {code} ({reason})", retryable=code in RETRYABLE)


def _content(payload: dict) -> tuple[str, dict]:
    kind = payload.get("type", "text")
    attachment = payload.get("attachment") if isinstance(payload.get("attachment"), dict) else {}
    if kind in ("image", "file") and attachment.get("url"):
        url = str(attachment["url"])[:1000]
        meta = {"content": kind, "url": url, "name": str(attachment.get("name", ""))[:255]}
        return str(payload.get("text") or url), meta
    if not isinstance(payload.get("text"), str):
        raise WebhookRejected("malformed_payload", "The dealer message has no text.")
    return payload["text"], {"content": "text"}


def _when(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise WebhookRejected("malformed_payload", "sent_at is not an ISO 8601 time.") from exc
