"""Phone calls from any PBX/CTI (or a Twilio-like voice provider), inbox kind `phone`.

The PBX POSTs one JSON event per call state change to /hooks/phone/<inbox key>, signed like the API inbox
(signing.py): `X-Sonnim-Timestamp: <unix seconds>` and `X-Sonnim-Signature: sha256=<hex of
HMAC-SHA256(inbox signing secret, timestamp + "." + raw body)>`; an inbox without a secret refuses all.
The body (README "Phone calls"):

    {"event": "ringing" | "answered" | "ended" | "missed", "call_id": "pbx-7781",
     "direction": "inbound" | "outbound", "caller": "010-1234-5678", "callee": "02-1588-1234",
     "agent_email": "kim@shop.kr", "started_at": "2026-11-25T10:00:00+09:00",
     "answered_at": "...", "ended_at": "...", "duration_seconds": 192, "recording_url": "https://..."}

Only event, call_id, direction and the customer's number (caller when inbound, callee when outbound) are
required. Each call is one conversation (thread `call:<call_id>`) on the customer's timeline, one line per
event; (call_id, event) is the message id, so a repeated event is a no-op. inboxes/calls.py keeps the call
log, pops the customer to agents on ringing (`call.ringing`) and turns a missed call into a callback task.
Phone inboxes send nothing: an agent calls back, or writes on another channel.
"""

import json
from datetime import UTC, datetime

from django.http import HttpRequest
from django.utils.translation import gettext as _

from sonnim.conversations.choices import Priority  # plain choices, no models
from sonnim.core.crypto import normalize_phone
from sonnim.core.errors import SonnimError

from . import signing
from .base import (
    ChannelAdapter,
    DeliveryFailed,
    InboundMessage,
    OutboundMessage,
    SenderIdentity,
    WebhookRejected,
)
from .sms import e164

EVENTS = ("ringing", "answered", "ended", "missed")
DIRECTIONS = ("inbound", "outbound")
MAX_DURATION_SECONDS = 172_800  # two days: longer is a PBX bug, and the call log's column has a limit
LINES = {  # the timeline line of each event (stored text; Korean first like the shop's customers)
    ("inbound", "ringing"): "📞 수신 전화 - 벨 울림",
    ("inbound", "answered"): "📞 수신 전화 - 연결됨",
    ("inbound", "ended"): "📞 수신 전화 - 종료",
    ("inbound", "missed"): "📞 부재중 전화 - 콜백 필요",
    ("outbound", "ringing"): "📞 발신 전화 - 연결 중",
    ("outbound", "answered"): "📞 발신 전화 - 연결됨",
    ("outbound", "ended"): "📞 발신 전화 - 종료",
    ("outbound", "missed"): "📞 발신 전화 - 고객 부재",
}


NO_SEND_REASON = (
    "A phone inbox cannot send messages: call the customer back, or reply on another of the customer's "
    "channels (SMS, chat)."
)


class PhoneAdapter(ChannelAdapter):
    # No check_outbound() refusal: rules, surveys and macros that answer every new conversation would then
    # fail the PBX's webhook itself. A reply is stored and fails at once, with the reason shown.

    @classmethod
    def validate_settings(cls, settings: dict) -> None:
        bad = {}
        if settings.get("callback_priority", "high") not in Priority.values:
            bad["callback_priority"] = "one of " + ", ".join(Priority.values)
        category = settings.get("callback_category", "callback")
        if not isinstance(category, str) or not category.strip() or len(category) > 40:
            bad["callback_category"] = "a label of 1 to 40 characters"
        if bad:
            raise SonnimError("invalid_phone_settings", _("Some phone settings are wrong."), details=bad)

    def verify(self, request: HttpRequest) -> None:
        if not self.config.signing_secret:  # an HMAC with an empty key is one anybody can compute
            raise WebhookRejected(
                "bad_signature", "This phone inbox has no signing secret: events are refused.", status=401
            )
        if reason := signing.check_request(self.config.signing_secret, request):
            raise WebhookRejected("bad_signature", reason, status=401)

    def parse(self, request: HttpRequest) -> list[InboundMessage]:
        try:
            payload = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise WebhookRejected("malformed_json", "The body is not valid JSON.") from exc
        call = read_call(payload)
        number = call.pop("customer_number")
        # The phone network vouches for the number: it joins the customer's profile with that phone. A
        # withheld number (발신번호 표시제한) is logged on a customer of its own, to merge by hand.
        sender = (
            SenderIdentity(external_id=number, phone=number, is_verified=True)
            if number
            else SenderIdentity(external_id=f"withheld:{call['call_id']}")
        )
        duration = call.get("duration_seconds")
        text = LINES[(call["direction"], call["event"])]
        if call["event"] == "ended" and duration:
            text += f" ({duration // 60}분 {duration % 60}초)"
        return [
            InboundMessage(
                inbox_id=self.config.inbox_id,
                external_id=f"call:{call['call_id']}:{call['event']}",
                sender=sender,
                text=text,
                subject=_call_subject(call["direction"]),
                thread_key=f"call:{call['call_id']}",
                sent_at=_at(call, "ended_at" if call["event"] in ("ended", "missed") else "started_at"),
                metadata={"call": call},
                allows_bot_reply=False,  # a call log line is nothing a bot should answer
            )
        ]

    def deliver(self, message: OutboundMessage) -> DeliveryFailed:
        return DeliveryFailed(NO_SEND_REASON, retryable=False)


def read_call(payload) -> dict:
    """The checked call event; the customer's number kept apart (it goes to the encrypted profile, never
    into message metadata)."""
    if not isinstance(payload, dict):
        raise WebhookRejected("malformed_payload", "The call event is not a JSON object.")
    event, direction = payload.get("event"), payload.get("direction", "inbound")
    if event not in EVENTS:
        raise WebhookRejected("malformed_payload", "`event` must be ringing, answered, ended or missed.")
    if direction not in DIRECTIONS:
        raise WebhookRejected("malformed_payload", "`direction` must be inbound or outbound.")
    call_id = payload.get("call_id")
    if not isinstance(call_id, str | int) or not str(call_id).strip() or len(str(call_id)) > 100:
        raise WebhookRejected("malformed_payload", "`call_id` is missing or longer than 100 characters.")
    side = "caller" if direction == "inbound" else "callee"
    customer_side = payload.get(side)
    if not isinstance(customer_side, str):
        raise WebhookRejected("malformed_payload", f'`{side}` is missing (send "anonymous" when withheld).')
    # "anonymous", "private", "" and the like: the caller withheld the number
    is_number = 7 <= len(normalize_phone(customer_side)) <= 15
    duration = payload.get("duration_seconds")
    if duration is not None and (
        not isinstance(duration, int)
        or isinstance(duration, bool)
        or not 0 <= duration <= MAX_DURATION_SECONDS
    ):
        raise WebhookRejected(
            "malformed_payload",
            f"`duration_seconds` must be a whole number of seconds from 0 to {MAX_DURATION_SECONDS}.",
        )
    call = {
        "call_id": str(call_id).strip(),
        "event": event,
        "direction": direction,
        "customer_number": e164(customer_side) if is_number else "",
        "is_number_withheld": not is_number,
        "line": str(payload.get("callee" if direction == "inbound" else "caller") or "")[:30],  # the shop's
        "agent_email": str(payload.get("agent_email") or "")[:254].strip().lower(),
        "duration_seconds": duration,
        "recording_url": _url(payload.get("recording_url")),
    }
    for name in ("started_at", "answered_at", "ended_at"):
        value = payload.get(name)
        if value is not None:
            try:
                moment = datetime.fromisoformat(str(value))
            except ValueError as exc:
                raise WebhookRejected("malformed_payload", f"`{name}` is not an ISO 8601 time.") from exc
            if moment.utcoffset() is None:  # a PBX's local time is ambiguous: ask for the offset
                raise WebhookRejected("malformed_payload", f"`{name}` has no UTC offset (+09:00).")
            try:  # 9999-12-31T23:00-10:00 parses, but is past the last storable moment in UTC
                moment.astimezone(UTC)
            except OverflowError as exc:
                raise WebhookRejected("malformed_payload", f"`{name}` is out of range.") from exc
            call[name] = moment.isoformat()
    return call


def _url(value) -> str:
    if not value:
        return ""
    if not isinstance(value, str) or not value.startswith(("https://", "http://")) or len(value) > 1000:
        raise WebhookRejected("malformed_payload", "`recording_url` must be an http(s) URL.")
    return value


def _at(call: dict, name: str) -> datetime | None:
    value = call.get(name) or call.get("started_at")
    return datetime.fromisoformat(value) if value else None


def _call_subject(direction: str) -> str:
    return "수신 전화" if direction == "inbound" else "발신 전화"
