"""SMS through a Twilio-compatible provider API, inbox kind `sms`.

Inbound: the provider POSTs form fields (`MessageSid`, `From`, `To`, `Body`, `NumMedia`, `MediaUrl0`,
`MediaContentType0`, ...) to /hooks/sms/<inbox key>, signed with `X-Twilio-Signature`: base64 of
HMAC-SHA1(auth token, the exact URL + every parameter name and value, sorted by name). Status callbacks
come to the same URL (`MessageSid`, `MessageStatus` queued/sent/delivered/failed/undelivered,
`ErrorCode`) and mark our reply delivered or failed with the reason (a final one that outruns the worker
is answered 503 for the provider to retry: inboxes/followups.py).

Outbound: POST {api_url}/2010-04-01/Accounts/{account_sid}/Messages.json with HTTP Basic auth
(account sid, auth token) and form fields To, From, Body (and StatusCallback). Korean sender-number rules
(전기통신사업법 발신번호 사전등록): a reply goes out only from a registered sender number of the inbox -
the number the customer wrote to when it is registered, else `from_number`; an unregistered sender is
refused, never sent. A text is an SMS up to 90 bytes in EUC-KR (CP949) and an LMS up to 2,000 bytes;
anything longer is refused before it is stored (sms_bytes() is the one rule; the composer counts the same).

The gateway's wire format is an SmsProvider (PROVIDERS, settings `provider`, default "twilio"); the Korean
rules above hold for every provider.

Settings (Inbox.settings): provider, api_url (default Twilio's), account_sid, sender_numbers (the registered
numbers), from_number (default: the first registered one), status_callback_url (our hook URL for delivery
receipts), signature_url (the exact URL the provider signs, when it is not PUBLIC_URL + path),
message_type_param (a form field that carries "SMS"/"LMS", for gateways that need it).
Credentials: {"auth_token": ...}.
"""

import base64
import hashlib
import hmac
import logging
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import httpx
from django.conf import settings as django_settings
from django.http import HttpRequest
from django.utils.translation import gettext as _

from sonnim.core.crypto import normalize_phone
from sonnim.core.errors import SonnimError

from .base import (
    ChannelAdapter,
    Delivered,
    DeliveryFailed,
    DeliveryReceipt,
    InboundMessage,
    InboxConfig,
    OutboundMessage,
    SenderIdentity,
    WebhookRejected,
)

logger = logging.getLogger("sonnim.sms")

API_URL = "https://api.twilio.com"
SIGNATURE_HEADER = "X-Twilio-Signature"
SMS_MAX_BYTES = 90  # one SMS (단문) in EUC-KR
LMS_MAX_BYTES = 2_000  # one LMS (장문)
MAX_MEDIA = 10
PHONE_LIKE = re.compile(r"\+?\d[\d\- ]{6,}\d")
FINAL_FAILURES = {"failed", "undelivered"}
# Twilio's delivery error codes an agent can act on; others are shown by number.
ERROR_CODES = {
    "30003": "unreachable handset",
    "30004": "message blocked by the recipient or carrier",
    "30005": "unknown or inactive number",
    "30006": "landline or unreachable carrier",
    "30007": "filtered by the carrier as spam",
    "30008": "unknown error",
}


def sms_bytes(text: str) -> int:
    """The length the carriers bill: EUC-KR/CP949 bytes. ASCII is one byte and every other character two
    (CP949 is a double-byte set; a character it lacks, such as an emoji, is counted as two as well).
    static/sonnim/sms.js counts the same way."""
    return sum(1 if ord(ch) < 0x80 else 2 for ch in text)


def sms_type(text: str) -> str:
    """ "SMS" up to 90 bytes, "LMS" up to 2,000; longer is refused by check_outbound()."""
    return "SMS" if sms_bytes(text) <= SMS_MAX_BYTES else "LMS"


def e164(number: str) -> str:
    """'+82 10-1234-5678', '010-1234-5678' and '821012345678' -> '+821012345678'; Korean 8-digit
    representative numbers (1588-1234) -> '+8215881234'; other international numbers keep their code."""
    number = number.strip()
    digits = "".join(ch for ch in number if ch.isdigit())
    if number.startswith("+") and not digits.startswith("82"):
        return "+" + digits
    if digits.startswith("82") and (number.startswith("+") or len(digits) >= 11):
        return "+" + digits
    if digits.startswith("0"):
        return "+82" + digits[1:]
    if len(digits) == 8 and digits.startswith("1"):  # 15xx/16xx/18xx: no area code, no leading 0
        return "+82" + digits
    return "+" + digits if digits else ""


def twilio_signature(auth_token: str, url: str, params: list[tuple[str, str]]) -> str:
    """base64(HMAC-SHA1(token, url + name1 + value1 + name2 + value2 ...)), names sorted."""
    data = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@dataclass(frozen=True)
class InboundSms:
    """One incoming text as a provider reported it (numbers in E.164)."""

    provider_id: str
    sender: str
    to: str
    text: str
    media: list[dict] = field(default_factory=list)  # [{"url", "content_type"}]


@dataclass(frozen=True)
class SmsStatus:
    """A provider's delivery report on one of our sends: `status` is delivered, failed or a step before."""

    provider_id: str
    status: str
    reason: str = ""


class SmsProvider(ABC):
    """One SMS gateway's wire format. SmsAdapter keeps the rules that hold for every gateway around it
    (registered sender numbers, SMS/LMS by bytes, threading per shop number); a provider only checks the
    request's signature, reads its fields and sends."""

    def __init__(self, config: InboxConfig) -> None:
        self.config = config

    @abstractmethod
    def verify(self, request: HttpRequest) -> None: ...  # raises WebhookRejected

    @abstractmethod
    def read(self, request: HttpRequest) -> InboundSms | SmsStatus: ...  # raises WebhookRejected

    @abstractmethod
    def send(self, *, to: str, sender: str, text: str, sms_type: str) -> Delivered | DeliveryFailed: ...


class TwilioProvider(SmsProvider):
    """The Twilio Programmable Messaging shape, which many gateways copy."""

    def verify(self, request: HttpRequest) -> None:
        token = str(self.config.credentials.get("auth_token", ""))
        given = request.headers.get(SIGNATURE_HEADER, "")
        if not token or not given:
            raise WebhookRejected("bad_signature", f"The {SIGNATURE_HEADER} header is missing.", status=403)
        params = [(name, value) for name, values in request.POST.lists() for value in values]
        for url in self._signed_urls(request):
            if hmac.compare_digest(twilio_signature(token, url, params).encode(), given.encode()):
                return
        raise WebhookRejected("bad_signature", f"The {SIGNATURE_HEADER} does not match.", status=403)

    def _signed_urls(self, request: HttpRequest) -> list[str]:
        configured = str(self.config.settings.get("signature_url", ""))
        if configured:
            return [configured]
        return [django_settings.PUBLIC_URL + request.get_full_path(), request.build_absolute_uri()]

    def read(self, request: HttpRequest) -> InboundSms | SmsStatus:
        form = request.POST
        sid = form.get("MessageSid") or form.get("SmsSid") or ""
        if not sid:
            raise WebhookRejected("malformed_payload", "The request has no MessageSid.")
        status = form.get("MessageStatus") or ""
        if status and status != "received" and "Body" not in form:
            return self._status(sid, status, form.get("ErrorCode") or "")
        sender = e164(form.get("From") or "")
        if not sender:
            raise WebhookRejected("malformed_payload", "The message has no From number.")
        media = self._media(form)
        text = form.get("Body") or ""
        if not text and not media:
            raise WebhookRejected("malformed_payload", "The message has no Body and no media.")
        return InboundSms(sid[:255], sender, e164(form.get("To") or ""), text, media)

    def _media(self, form) -> list[dict]:
        raw = form.get("NumMedia") or "0"
        if not raw.isdigit():
            raise WebhookRejected("malformed_payload", "NumMedia is not a number.")
        count = min(int(raw), MAX_MEDIA)
        return [
            {"url": form.get(f"MediaUrl{i}", ""), "content_type": form.get(f"MediaContentType{i}", "")}
            for i in range(count)
            if form.get(f"MediaUrl{i}")
        ]

    def _status(self, sid: str, status: str, error_code: str) -> SmsStatus:
        if status in FINAL_FAILURES:
            explanation = ERROR_CODES.get(error_code, "no details")
            reason = f"SMS provider reported {status}: ErrorCode {error_code or '?'} ({explanation})"
            return SmsStatus(sid, "failed", reason)
        return SmsStatus(sid, status[:20])  # delivered, or queued/sending/sent: a step on the way

    def send(self, *, to: str, sender: str, text: str, sms_type: str) -> Delivered | DeliveryFailed:
        token = str(self.config.credentials.get("auth_token", ""))
        account = str(self.config.settings.get("account_sid", ""))
        if not token or not account:
            return DeliveryFailed("This SMS inbox has no account SID or auth token.", retryable=False)
        form = {"To": to, "From": sender, "Body": text}
        if callback := self.config.settings.get("status_callback_url"):
            form["StatusCallback"] = str(callback)
        if type_param := self.config.settings.get("message_type_param"):
            form[str(type_param)] = sms_type
        base = str(self.config.settings.get("api_url") or API_URL).rstrip("/")
        try:
            response = httpx.post(
                f"{base}/2010-04-01/Accounts/{account}/Messages.json",
                data=form,
                auth=(account, token),
                timeout=django_settings.DELIVERY_TIMEOUT_SECONDS,
            )
        except httpx.HTTPError as exc:
            return send_error(exc, "SMS provider")
        return read_send_result(response)


PROVIDERS: dict[str, type[SmsProvider]] = {"twilio": TwilioProvider}

# Only these mean "the request never reached the provider": safe to send again. Any other failure (a read
# timeout, a dropped connection) may come after the provider accepted the message: a retry could send twice.
NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout)
OUTCOME_UNKNOWN = "outcome unknown: the provider did not answer in time; check before resending"


def send_error(exc: httpx.HTTPError, who: str) -> DeliveryFailed:
    """A transport error on a send: retryable only when nothing can have been sent."""
    if isinstance(exc, NOT_SENT_ERRORS):
        return DeliveryFailed(f"{who} unreachable: {type(exc).__name__}", retryable=True)
    return DeliveryFailed(f"{who} {OUTCOME_UNKNOWN} ({type(exc).__name__})", retryable=False)


class SmsAdapter(ChannelAdapter):
    def __init__(self, config: InboxConfig) -> None:
        super().__init__(config)
        self.provider = PROVIDERS[str(config.settings.get("provider", "twilio"))](config)

    @classmethod
    def validate_settings(cls, settings: dict) -> None:
        bad = {}
        if settings.get("provider", "twilio") not in PROVIDERS:
            bad["provider"] = "one of " + ", ".join(PROVIDERS)
        numbers = settings.get("sender_numbers", [])
        if not isinstance(numbers, list) or not all(
            isinstance(n, str) and 8 <= len(normalize_phone(n)) <= 15 for n in numbers
        ):
            bad["sender_numbers"] = "a list of phone numbers"
        elif settings.get("from_number") and not _is_registered(settings["from_number"], numbers):
            bad["from_number"] = "must be one of sender_numbers"
        if bad:
            raise SonnimError("invalid_sms_settings", _("Some SMS settings are wrong."), details=bad)

    @classmethod
    def check_outbound(cls, text: str, files: list) -> None:
        size = sms_bytes(text)
        if size > LMS_MAX_BYTES:
            raise SonnimError(
                "message_too_long",
                _("An SMS (LMS) is limited to %(limit)s bytes (this one has %(count)s).")
                % {"limit": f"{LMS_MAX_BYTES:,}", "count": f"{size:,}"},
                details={"limit": LMS_MAX_BYTES, "bytes": size, "type": "LMS"},
            )
        if files:
            raise SonnimError(
                "attachment_not_supported",
                _("SMS replies carry text only."),
                details={"filename": files[0].filename},
            )

    # --- inbound -----------------------------------------------------------------------------------------

    def verify(self, request: HttpRequest) -> None:
        self.provider.verify(request)

    def parse(self, request: HttpRequest) -> list[InboundMessage | DeliveryReceipt]:
        read = self.provider.read(request)
        if isinstance(read, SmsStatus):
            return [DeliveryReceipt(self.config.inbox_id, read.provider_id, read.status, read.reason)]
        metadata: dict = {"sms": {"to": read.to, "type": sms_type(read.text)}}
        if read.media:
            metadata["media"] = read.media
        return [
            InboundMessage(
                inbox_id=self.config.inbox_id,
                external_id=read.provider_id,
                # The carrier vouches for the number: it joins the customer's profile with that phone.
                sender=SenderIdentity(external_id=read.sender, phone=read.sender, is_verified=True),
                text=read.text or "\n".join(m["url"] for m in read.media),
                # one thread per customer and shop number: the reply goes out from the number written to
                thread_key=f"sms:{read.to}" if read.to else "",
                metadata=metadata,
            )
        ]

    # --- outbound ----------------------------------------------------------------------------------------

    def deliver(self, message: OutboundMessage) -> Delivered | DeliveryFailed:
        if not message.recipient_external_id:
            return DeliveryFailed("The customer has no SMS number.", retryable=False)
        sender = self._sender(message.thread_key)
        if not sender:
            return DeliveryFailed(
                "No registered sender number (발신번호) is set for this SMS inbox: add one to "
                "sender_numbers.",
                retryable=False,
            )
        return self.provider.send(
            to=message.recipient_external_id,
            sender=sender,
            text=message.text,
            sms_type=sms_type(message.text),
        )

    def _sender(self, thread_key: str) -> str:
        """The number the customer wrote to when it is registered, else the inbox's from_number (or its
        first registered number). "" when none is registered: nothing may be sent."""
        numbers = self.config.settings.get("sender_numbers") or []
        candidates = [thread_key.removeprefix("sms:")] if thread_key.startswith("sms:") else []
        candidates.append(str(self.config.settings.get("from_number") or (numbers[0] if numbers else "")))
        for candidate in candidates:
            if candidate and _is_registered(candidate, numbers):
                return e164(candidate)
        return ""


def _is_registered(number: str, registered: list) -> bool:
    wanted = e164(number)
    return bool(wanted) and any(e164(str(n)) == wanted for n in registered)


def read_send_result(response: httpx.Response) -> Delivered | DeliveryFailed:
    """201 {"sid": "SM...", "status": "queued"}; errors {"code": 21211, "message": ...} with 4xx."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    if response.status_code >= 500 or response.status_code == 429:
        return DeliveryFailed(f"SMS provider answered HTTP {response.status_code}", retryable=True)
    if response.status_code >= 400:
        code = body.get("code", "?")
        detail = PHONE_LIKE.sub("…", str(body.get("message", "")))[:160]  # the provider may quote the number
        return DeliveryFailed(
            f"SMS provider refused the message: HTTP {response.status_code}, code {code} ({detail})",
            retryable=False,
        )
    sid = str(body.get("sid", ""))
    if not sid:
        return DeliveryFailed("SMS provider gave an unreadable answer", retryable=True)
    if body.get("status") in FINAL_FAILURES:
        return DeliveryFailed(f"SMS provider reported {body['status']} at once", retryable=False)
    return Delivered(external_id=sid)
