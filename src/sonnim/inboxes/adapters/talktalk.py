"""Naver TalkTalk (chatbot API v1, the navertalk/chatbot-api spec).

Inbound: Naver POSTs one JSON event per request to /hooks/talktalk/<inbox key> and waits 5 s at most, so
we answer 200 at once; replies go out later through the send API. Naver signs nothing: the request must
come from Naver's address ranges (per-inbox `allowed_ips`; X-Forwarded-For only from `trusted_proxies`),
and the inbox key in the URL is a secret.

Events: `send` (textContent with inputType typing/button/sticker/inquiry/vphone/product, imageContent,
compositeContent) becomes a message; `echo` (what the partner center's agents, or we, sent) is stored as an
already-sent outbound mirror, never re-sent, and our own sends' echoes are dropped; `standby: true` marks a
message sent while a human holds the thread (no bot may answer it); `open`, `leave`, `friend`, `handover`
and `profile` update the user's identity (`under14` for the guardian-consent rule; profile `WITHDRAW`
erases the profile fields Naver gave us). The `user` value is the identity. Events carry no message id:
see redelivery.py.

Settings (Inbox.settings): api_url (default Naver's gateway; tests point it at a local fake), allowed_ips,
trusted_proxies, typing_indicator, dedup_window_seconds. Credentials: {"authorization": "<partner key>"}.
"""

import json
import logging
import re

import httpx
from django.conf import settings as django_settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from sonnim.core.errors import SonnimError

from . import redelivery
from .base import (
    BotReply,
    ChannelAdapter,
    ChannelEvent,
    Delivered,
    DeliveryFailed,
    InboundMessage,
    LinkButton,
    OutboundMessage,
    QuickReply,
    SenderIdentity,
    WebhookRejected,
    check_text_length,
)
from .network import client_address
from .network import networks as _networks

logger = logging.getLogger("sonnim.talktalk")

API_URL = "https://gw.talk.naver.com/chatbot/v1/event"
NAVER_RANGES = ("211.249.40.0/27", "211.249.68.0/27", "220.230.168.0/27")
TEXT_MAX_CHARS = 10_000  # "텍스트의 최대 길이는 ... 1만자 이내"
IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif"}
IMAGE_MAX_BYTES = 20 * 1024 * 1024
PARTNER_SOURCE_ID = 1  # echo options.sourceId of a message typed in the partner center
IDENTITY_EVENTS = {"open", "leave", "friend", "handover", "profile"}
# resultCode -> may a later attempt succeed? 01 auth and 02 malformed will not; 99 is "anything else".
RETRYABLE_RESULT_CODES = {"99", "IMG-02"}


class TalkTalkAdapter(ChannelAdapter):
    @classmethod
    def validate_settings(cls, settings: dict) -> None:
        bad = {}
        for name in ("allowed_ips", "trusted_proxies"):
            try:
                _networks(settings.get(name, []))
            except (TypeError, ValueError):
                bad[name] = "a list of IP addresses or CIDR ranges"
        if bad:
            raise SonnimError(
                "invalid_talktalk_settings", _("Some TalkTalk settings are wrong."), details=bad
            )

    @classmethod
    def check_outbound(cls, text: str, files: list) -> None:
        check_text_length(
            text,
            limit=TEXT_MAX_CHARS,
            message=_("TalkTalk messages are limited to %(limit)s characters (this one has %(count)s)."),
        )
        for f in files:
            if f.content_type not in IMAGE_TYPES or len(f.data) > IMAGE_MAX_BYTES:
                raise SonnimError(
                    "attachment_not_supported",
                    _("TalkTalk only delivers JPG, PNG or GIF images up to 20 MB."),
                    details={"filename": f.filename},
                )

    # --- inbound -----------------------------------------------------------------------------------------

    def verify(self, request: HttpRequest) -> None:
        address = client_address(request, _networks(self.config.settings.get("trusted_proxies", [])))
        allowed = _networks(self.config.settings.get("allowed_ips", NAVER_RANGES))
        if address is None or not any(address in network for network in allowed):
            raise WebhookRejected(
                "forbidden_origin", "This address may not call the TalkTalk webhook.", status=403
            )

    def parse(self, request: HttpRequest) -> list[InboundMessage | ChannelEvent]:
        try:
            event = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise WebhookRejected("malformed_json", "The body is not valid JSON.") from exc
        if not isinstance(event, dict) or not isinstance(event.get("event"), str):
            raise WebhookRejected("malformed_payload", "The event has no `event` name.")
        name = event["event"]
        if name not in {"send", "echo", *IDENTITY_EVENTS}:
            return []  # action, persistentMenu, future events: nothing to store
        user = event.get("user")
        if not isinstance(user, str) or not user:
            raise WebhookRejected("malformed_payload", "The event has no `user`.")
        options = event.get("options") if isinstance(event.get("options"), dict) else {}
        if name in IDENTITY_EVENTS:
            return [self._identity_event(name, user, options)]
        if name == "echo":
            return self._echo(event, user, options, request.body)
        return [self._message(event, user, options, request.body)]

    def _message(self, event: dict, user: str, options: dict, body: bytes) -> InboundMessage:
        text, metadata = read_content(event)
        product = product_of(event, options)
        if product:
            metadata["product"] = product
        return InboundMessage(
            inbox_id=self.config.inbox_id,
            external_id=self._external_id("tt", user, body),
            sender=SenderIdentity(external_id=user),
            text=text,
            metadata=metadata,
            allows_bot_reply=event.get("standby") is not True,
        )

    def _echo(self, event: dict, user: str, options: dict, body: bytes) -> list[InboundMessage]:
        """The partner center's agents' messages are mirrored in; the echo of our own send is dropped (we
        stored it when we sent it): re-sending or re-storing it would loop."""
        if event.get("echoedEvent", "send") != "send":
            return []
        text, metadata = read_content(event)
        source = options.get("sourceId")
        if (source is not None and source != PARTNER_SOURCE_ID) or redelivery.was_sent_by_us(
            "talktalk", self.config.inbox_id, user, text
        ):
            return []
        metadata["echo"] = {"manager": str(options.get("managerNickname", ""))[:60]}
        return [
            InboundMessage(
                inbox_id=self.config.inbox_id,
                external_id=self._external_id("tt-echo", user, body),
                sender=SenderIdentity(external_id=user),
                text=text,
                metadata=metadata,
                is_echo=True,
                allows_bot_reply=False,
            )
        ]

    def _identity_event(self, name: str, user: str, options: dict) -> ChannelEvent:
        attributes: dict = {}
        sender = SenderIdentity(external_id=user)
        erases = False
        if name == "open":
            attributes = {
                k: options[k] for k in ("under14", "under19", "friend") if isinstance(options.get(k), bool)
            }
            attributes["has_left"] = False
            if options.get("from") or options.get("inflow"):
                attributes["inflow"] = {
                    "inflow": str(options.get("inflow", ""))[:20],
                    "from": str(options.get("from", ""))[:100],
                }
        elif name == "leave":
            attributes = {"has_left": True}
        elif name == "friend":
            attributes = {"friend": options.get("set") == "on"}
        elif name == "handover":
            attributes = {"thread_control": str(options.get("control", ""))[:20]}
        elif name == "profile":
            result = str(options.get("result", ""))[:20]
            attributes = {"profile_consent": result}
            erases = result == "WITHDRAW"
            if result == "SUCCESS":
                sender = SenderIdentity(
                    external_id=user,
                    name=str(options.get("nickname") or "")[:200],
                    phone=str(options.get("cellphone") or "")[:30],
                )
        return ChannelEvent(self.config.inbox_id, sender, name, attributes, erases_contact_data=erases)

    def _external_id(self, prefix: str, user: str, body: bytes) -> str:
        self._claims = [redelivery.claim_key(self.config.inbox_id, user, body)]
        return redelivery.derived_external_id(
            prefix, self.config.inbox_id, user, body, window_seconds=self._window()
        )

    def _window(self) -> int:
        return int(self.config.settings.get("dedup_window_seconds", redelivery.DEFAULT_WINDOW_SECONDS))

    def acknowledge(self, received: list) -> HttpResponse:
        """200 at once. A bot's synchronous answer rides in the response (Naver sends it to the user)."""
        redelivery.extend(getattr(self, "_claims", []), window_seconds=self._window())
        reply = next(
            (r.reply for r in received if getattr(r, "reply", None) and not r.reply.is_pending), None
        )
        if reply is None:
            return HttpResponse(status=200)
        return JsonResponse(
            {"event": "send", **render_reply(reply)}, json_dumps_params={"ensure_ascii": False}
        )

    # --- outbound ----------------------------------------------------------------------------------------

    def deliver(self, message: OutboundMessage) -> Delivered | DeliveryFailed:
        key = self.config.credentials.get("authorization", "")
        if not key:
            return DeliveryFailed("This TalkTalk inbox has no send API key (Authorization).", retryable=False)
        if not message.recipient_external_id:
            return DeliveryFailed("The customer has no TalkTalk user id.", retryable=False)
        bodies = outbound_bodies(message)
        if not bodies:
            return DeliveryFailed("Nothing to send: no text and no image.", retryable=False)
        if self.config.settings.get("typing_indicator"):
            self._post(
                key,
                {"event": "action", "user": message.recipient_external_id, "options": {"action": "typingOn"}},
            )
        for body in bodies:
            redelivery.mark_sent(
                "talktalk", self.config.inbox_id, message.recipient_external_id, _body_text(body)
            )
            failure = self._post(key, {"event": "send", "user": message.recipient_external_id, **body})
            if failure is not None:
                return failure
        return Delivered()

    def _post(self, key: str, payload: dict) -> DeliveryFailed | None:
        url = self.config.settings.get("api_url") or API_URL
        try:
            response = httpx.post(
                url,
                content=json.dumps(payload, ensure_ascii=False).encode(),
                headers={"Content-Type": "application/json;charset=UTF-8", "Authorization": key},
                timeout=django_settings.DELIVERY_TIMEOUT_SECONDS,
            )
        except httpx.HTTPError as exc:
            return DeliveryFailed(f"TalkTalk send API unreachable: {type(exc).__name__}", retryable=True)
        return read_result(response)


def read_result(response: httpx.Response) -> DeliveryFailed | None:
    """Naver answers HTTP 200 with {"success": false, "resultCode": ...} for refusals: read the body."""
    if response.status_code >= 500 or response.status_code == 429:
        return DeliveryFailed(f"TalkTalk send API answered HTTP {response.status_code}", retryable=True)
    if response.status_code >= 400:
        return DeliveryFailed(f"TalkTalk send API refused with HTTP {response.status_code}", retryable=False)
    try:
        result = response.json()
    except ValueError:
        return DeliveryFailed("TalkTalk send API gave an unreadable answer", retryable=True)
    if not isinstance(result, dict):
        return DeliveryFailed("TalkTalk send API gave an unreadable answer", retryable=True)
    code = str(result.get("resultCode", ""))
    if result.get("success") is True and code in ("00", ""):
        return None
    detail = {"01": "the partner key (Authorization) was refused", "02": "Naver could not parse the message"}
    explanation = detail.get(code) or str(result.get("resultMessage", ""))[:120]
    return DeliveryFailed(
        f"TalkTalk refused the message: resultCode {code or '?'} ({explanation})",
        retryable=code in RETRYABLE_RESULT_CODES,
    )


def read_content(event: dict) -> tuple[str, dict]:
    """The text shown to agents and the channel facts kept beside it."""
    text_content = event.get("textContent")
    if isinstance(text_content, dict):
        text = str(text_content.get("text", ""))
        input_type = str(text_content.get("inputType", "typing"))
        metadata: dict = {"content": "text", "input_type": input_type}
        if text_content.get("code"):
            metadata["code"] = str(text_content["code"])[:1000]
        if input_type == "vphone":  # "050719003814,2017-11-03": Naver's safe number and its expiry
            number, _sep, expires = text.partition(",")
            metadata["vphone"] = {"number": number.strip(), "expires_on": expires.strip()}
        return text, metadata
    image = event.get("imageContent")
    if isinstance(image, dict) and image.get("imageUrl"):
        url = str(image["imageUrl"])
        return url, {"content": "image", "image_url": url}
    composite = event.get("compositeContent")
    if isinstance(composite, dict) and isinstance(composite.get("compositeList"), list):
        parts = [
            line
            for item in composite["compositeList"]
            if isinstance(item, dict)
            for line in (str(item.get("title", "")), str(item.get("description", "")))
            if line
        ]
        return "\n".join(parts), {"content": "composite", "composite": composite}
    raise WebhookRejected(
        "malformed_payload", "The send event has no textContent, imageContent or compositeContent."
    )


def product_of(event: dict, options: dict) -> dict:
    """The Smart Store product an inquiry is about: an explicit product object (inputType `product`), or the
    `from` parameter / a /products/<no> referer of the chat link."""
    for candidate in (options.get("product"), (event.get("textContent") or {}).get("product")):
        if isinstance(candidate, dict) and candidate:
            return {k: candidate[k] for k in ("id", "name", "url", "price", "imageUrl") if k in candidate}
    product_id = str(options.get("from", "") or "")
    referer = str(options.get("referer", "") or "")
    if not product_id and (match := re.search(r"/products/(\d+)", referer)):
        product_id = match.group(1)
    if not product_id:
        return {}
    return {"id": product_id[:100], **({"url": referer[:500]} if referer else {})}


def outbound_bodies(message: OutboundMessage) -> list[dict]:
    """One send API body per bubble: the text (or the bot's structured reply), then each image."""
    bodies = []
    if message.reply is not None:
        bodies.append(render_reply(message.reply))
    elif message.text:
        bodies.append({"textContent": {"text": message.text}})
    for a in message.attachments:
        bodies.append({"imageContent": {"imageUrl": a.url}})
    return bodies


def render_reply(reply: BotReply) -> dict:
    """A BotReply in TalkTalk's message types: cards become compositeContent (a carousel past one), quick
    replies the quickReply button list (TEXT, or LINK for link buttons)."""
    quick = (
        {"quickReply": {"buttonList": [_button(q, 10) for q in reply.quick_replies]}}
        if reply.quick_replies
        else {}
    )
    if reply.cards:
        composites = []
        for card in reply.cards[:10]:
            item = {
                k: v for k, v in (("title", card.title[:200]), ("description", card.description[:1000])) if v
            }
            if card.image_url:
                item["image"] = {"imageUrl": card.image_url}
            if card.buttons:
                item["buttonList"] = [_button(b, 18) for b in card.buttons[:10]]
            composites.append(item)
        return {"compositeContent": {"compositeList": composites, **quick}}
    return {"textContent": {"text": reply.text[:TEXT_MAX_CHARS], **quick}}


def _button(button: QuickReply | LinkButton, limit: int) -> dict:
    if isinstance(button, LinkButton):
        return {
            "type": "LINK",
            "data": {"title": button.label[:limit], "url": button.url, "mobileUrl": button.url},
        }
    data = {"title": button.label[:limit]}
    if button.message and button.message != button.label:
        data["code"] = button.message[:1000]
    return {"type": "TEXT", "data": data}


def _body_text(body: dict) -> str:
    content = body.get("textContent") or {}
    return (
        str(content.get("text", "")) if content else str((body.get("imageContent") or {}).get("imageUrl", ""))
    )
