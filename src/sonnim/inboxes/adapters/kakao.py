"""KakaoTalk chatbot skill (Kakao i Open Builder), inbox kind `kakao`.

Open Builder POSTs the skill payload (v2: userRequest.user.properties.botUserKey / plusfriendUserKey /
appUserId, utterance, callbackUrl, action.params; v1 and the legacy auto-reply API in snake_case) to
/hooks/kakao/skill/<inbox key> and waits 5 s for a SkillResponse 2.0. We check the shared secret header
`X-Sonnim-Secret` (set it in the skill's headers in Open Builder; stored encrypted as credentials
{"secret": ...}), store the utterance through the pipeline and answer at once:

- a bot step's synchronous answer (Received.reply, a BotReply) -> simpleText / basicCard / carousel with
  quickReplies;
- no answer yet -> the inbox's acknowledgment (settings `ack_text`, `quick_replies`, default
  "문의가 접수되었어요. 상담원이 곧 답변드릴게요." with "상담원 연결");
- a slow answer (BotReply.is_pending, or settings `callback_mode: "wait_for_agent"`, when the request
  carries a callbackUrl) -> {"version": "2.0", "useCallback": true, "data": {"text": ...}}: the reply that
  comes through send_reply() within the callback's life (1 minute, single use) is POSTed to the callback
  URL by deliver(); if none comes within `callback_wait_seconds` (default 40), a task posts the
  acknowledgment so the customer is never left waiting.

Kakao lets a skill only answer a request: an agent's reply after the callback is gone cannot be pushed.
deliver() then fails, not retryable, and says so: reach the customer through 상담톡 or AlimTalk.
"""

import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta

import httpx
from django.conf import settings as django_settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from sonnim.core.errors import SonnimError
from sonnim.core.jobs import enqueue_on_commit

from . import redelivery
from .base import (
    BotReply,
    Card,
    ChannelAdapter,
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

logger = logging.getLogger("sonnim.kakao")

SECRET_HEADER = "X-Sonnim-Secret"
TEXT_MAX_CHARS = 1_000  # simpleText
IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif"}
DEFAULT_ACK = "문의가 접수되었어요. 상담원이 곧 답변드릴게요."
DEFAULT_WAITING = "답변을 준비하고 있어요. 잠시만 기다려 주세요."
HANDOFF_LABEL = "상담원 연결"
CALLBACK_VALID_SECONDS = 55  # Kakao: 1 minute from the request; keep a margin for the POST itself
NO_PUSH_REASON = (
    "KakaoTalk chatbot skills can only answer a customer's request, and this conversation has no open "
    "callback (it lasts 1 minute and is single use). Reach the customer through a KakaoTalk counsel "
    "(상담톡) inbox or an AlimTalk template."
)


class KakaoSkillAdapter(ChannelAdapter):
    answers_in_response = True  # a skill answers the request it is given

    @classmethod
    def check_outbound(cls, text: str, files: list) -> None:
        check_text_length(
            text,
            limit=TEXT_MAX_CHARS,
            message=_("KakaoTalk messages are limited to %(limit)s characters (this one has %(count)s)."),
        )
        for f in files:
            if f.content_type not in IMAGE_TYPES:
                raise SonnimError(
                    "attachment_not_supported",
                    _("KakaoTalk chatbot answers can only carry JPG, PNG or GIF images."),
                    details={"filename": f.filename},
                )

    # --- inbound -----------------------------------------------------------------------------------------

    def verify(self, request: HttpRequest) -> None:
        expected = str(self.config.credentials.get("secret", ""))
        given = request.headers.get(SECRET_HEADER, "")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            raise WebhookRejected(
                "bad_secret", f"The {SECRET_HEADER} header is missing or wrong.", status=401
            )

    def parse(self, request: HttpRequest) -> list[InboundMessage]:
        try:
            payload = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise WebhookRejected("malformed_json", "The body is not valid JSON.") from exc
        skill = read_skill_payload(payload)
        if skill.callback_url:
            offer_callback(self.config.inbox_id, skill.user_key, skill.callback_url, self._valid_seconds())
        window = self._window()
        self._claims = [redelivery.claim_key(self.config.inbox_id, skill.user_key, request.body)]
        metadata = {"kakao": skill.facts}
        if skill.utterance.strip() == HANDOFF_LABEL:
            metadata["asks_for_agent"] = True
        self._skill = skill  # acknowledge() answers this request
        return [
            InboundMessage(
                inbox_id=self.config.inbox_id,
                external_id=redelivery.derived_external_id(
                    "kakao", self.config.inbox_id, skill.user_key, request.body, window_seconds=window
                ),
                sender=SenderIdentity(external_id=skill.user_key),
                text=skill.utterance,
                metadata=metadata,
            )
        ]

    def acknowledge(self, received: list) -> HttpResponse:
        redelivery.extend(getattr(self, "_claims", []), window_seconds=self._window())
        skill = getattr(self, "_skill", None)
        reply = next((r.reply for r in received if getattr(r, "reply", None)), None)
        wants_callback = (reply is not None and reply.is_pending) or (
            reply is None and self.config.settings.get("callback_mode") == "wait_for_agent"
        )
        if skill is not None and skill.callback_url and wants_callback and self._schedule_fallback(skill):
            waiting = str(self.config.settings.get("waiting_text") or DEFAULT_WAITING)
            return skill_json({"version": "2.0", "useCallback": True, "data": {"text": waiting}})
        if skill is not None and skill.callback_url:
            claim_callback(self.config.inbox_id, skill.user_key)  # answered now: nobody may use it later
        answer = reply if reply is not None and not reply.is_pending else self.acknowledgment()
        return skill_json(skill_response(answer))

    def acknowledgment(self) -> BotReply:
        labels = self.config.settings.get("quick_replies", [HANDOFF_LABEL])
        return BotReply(
            text=str(self.config.settings.get("ack_text") or DEFAULT_ACK),
            quick_replies=[QuickReply(str(label)) for label in labels],
        )

    def _schedule_fallback(self, skill: "SkillRequest") -> bool:
        """If no reply uses the callback in time, the acknowledgment goes through it."""
        wait = float(self.config.settings.get("callback_wait_seconds", 40))
        enqueue_on_commit(
            answer_skill_callback,
            run_after=timezone.now() + timedelta(seconds=wait),
            inbox_id=self.config.inbox_id,
            user_key=skill.user_key,
            response=skill_response(self.acknowledgment()),
        )
        return True

    def _window(self) -> int:
        return int(self.config.settings.get("dedup_window_seconds", redelivery.DEFAULT_WINDOW_SECONDS))

    def _valid_seconds(self) -> float:
        return float(self.config.settings.get("callback_valid_seconds", CALLBACK_VALID_SECONDS))

    # --- outbound ----------------------------------------------------------------------------------------

    def deliver(self, message: OutboundMessage) -> Delivered | DeliveryFailed:
        url = claim_callback(self.config.inbox_id, message.recipient_external_id)
        if url is None:
            return DeliveryFailed(NO_PUSH_REASON, retryable=False)
        reply = message.reply or BotReply(text=message.text)
        response = skill_response(reply, images=[a.url for a in message.attachments])
        return post_callback(url, response)


class SkillRequest:
    """What we read from one skill payload."""

    def __init__(self, user_key: str, utterance: str, callback_url: str, facts: dict) -> None:
        self.user_key, self.utterance, self.callback_url, self.facts = (
            user_key,
            utterance,
            callback_url,
            facts,
        )


def read_skill_payload(payload) -> SkillRequest:
    """v2 (camelCase, userRequest.user.properties), v1 (snake_case keys inside userRequest/user_request)
    and the legacy auto-reply API ({"user_key", "type", "content"})."""
    if not isinstance(payload, dict):
        raise WebhookRejected("malformed_payload", "The skill payload is not a JSON object.")
    request = payload.get("userRequest", payload.get("user_request"))
    if request is None and "user_key" in payload:  # legacy auto-reply API
        request = {"utterance": payload.get("content"), "user": {"id": payload["user_key"], "properties": {}}}
    if not isinstance(request, dict):
        raise WebhookRejected("malformed_payload", "The payload has no userRequest.")
    user = request.get("user") if isinstance(request.get("user"), dict) else {}
    properties = user.get("properties") if isinstance(user.get("properties"), dict) else {}
    keys = {
        "plusfriendUserKey": properties.get("plusfriendUserKey") or properties.get("plusfriend_user_key"),
        "botUserKey": properties.get("botUserKey") or properties.get("bot_user_key"),
        "appUserId": properties.get("appUserId") or properties.get("app_user_id"),
        "id": user.get("id"),
    }
    # The channel's user key first: it is the same for this user in 상담톡 and AlimTalk of the channel.
    user_key = next((str(v) for v in keys.values() if isinstance(v, str | int) and str(v)), "")
    utterance = request.get("utterance")
    if not user_key or not isinstance(utterance, str):
        raise WebhookRejected("malformed_payload", "The payload has no user key or no utterance.")
    action = payload.get("action") if isinstance(payload.get("action"), dict) else {}
    intent = payload.get("intent") if isinstance(payload.get("intent"), dict) else {}
    facts = {
        "user_keys": {k: str(v) for k, v in keys.items() if isinstance(v, str | int) and str(v)},
        "block": str((intent or request.get("block") or {}).get("name", ""))[:100],
        "params": action.get("params") if isinstance(action.get("params"), dict) else {},
    }
    callback = request.get("callbackUrl", request.get("callback_url", ""))
    return SkillRequest(user_key[:255], utterance, callback if isinstance(callback, str) else "", facts)


def skill_response(reply: BotReply, *, images: list[str] = ()) -> dict:
    """A BotReply as SkillResponse 2.0: simpleText, simpleImage, one basicCard or a carousel of them (at
    most 3 outputs), quickReplies as message actions."""
    outputs: list[dict] = []
    if reply.text:
        outputs.append({"simpleText": {"text": reply.text[:TEXT_MAX_CHARS]}})
    outputs.extend({"simpleImage": {"imageUrl": url, "altText": "이미지"}} for url in images)
    cards = [basic_card(card) for card in reply.cards[:10]]
    if len(cards) == 1:
        outputs.append({"basicCard": cards[0]})
    elif cards:
        outputs.append({"carousel": {"type": "basicCard", "items": cards}})
    template: dict = {"outputs": outputs[:3] or [{"simpleText": {"text": " "}}]}
    if reply.quick_replies:
        template["quickReplies"] = [
            {"label": q.label[:14], "action": "message", "messageText": q.message or q.label}
            for q in reply.quick_replies[:10]
        ]
    return {"version": "2.0", "template": template}


def basic_card(card: Card) -> dict:
    body: dict = {k: v for k, v in (("title", card.title), ("description", card.description[:230])) if v}
    if card.image_url:
        body["thumbnail"] = {"imageUrl": card.image_url}
    buttons = []
    for b in card.buttons[:3]:
        if isinstance(b, LinkButton):
            buttons.append({"action": "webLink", "label": b.label[:14], "webLinkUrl": b.url})
        else:
            buttons.append({"action": "message", "label": b.label[:14], "messageText": b.message or b.label})
    if buttons:
        body["buttons"] = buttons
    return body


def skill_json(body: dict) -> JsonResponse:
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


# --- the 1-minute, single-use callback ----------------------------------------------------------------------
# Kept in the cache (shared Redis when web and worker are separate processes): it is a short-lived capability,
# not a record. A claim is get-then-delete and only the caller whose delete removed the key may use it, so two
# workers never both answer through one callback.


def _callback_key(inbox_id: int, user_key: str) -> str:
    return f"kakao-callback:{inbox_id}:{hashlib.sha256(user_key.encode()).hexdigest()[:32]}"


def offer_callback(inbox_id: int, user_key: str, url: str, valid_seconds: float) -> None:
    expires = time.time() + valid_seconds
    cache.set(
        _callback_key(inbox_id, user_key),
        {"url": url, "expires": expires},
        timeout=max(1, int(valid_seconds) + 1),
    )


def claim_callback(inbox_id: int, user_key: str) -> str | None:
    key = _callback_key(inbox_id, user_key)
    offer = cache.get(key)
    if not offer or not cache.delete(key) or offer["expires"] <= time.time():
        return None
    return offer["url"]


def post_callback(url: str, response: dict) -> Delivered | DeliveryFailed:
    """Kakao answers a callback with {"taskId", "status": "SUCCESS" | "FAIL", "message"}. A used callback
    cannot be tried again, so every failure is final."""
    try:
        answer = httpx.post(url, json=response, timeout=django_settings.DELIVERY_TIMEOUT_SECONDS)
    except httpx.HTTPError as exc:
        return DeliveryFailed(
            f"Kakao callback unreachable: {type(exc).__name__} (single use, not retried)", False
        )
    try:
        body = answer.json()
    except ValueError:
        body = {}
    if answer.status_code >= 400 or not isinstance(body, dict) or body.get("status") != "SUCCESS":
        status = body.get("status", "?") if isinstance(body, dict) else "?"
        return DeliveryFailed(
            f"Kakao refused the callback: HTTP {answer.status_code}, status {status}", False
        )
    return Delivered(external_id=str(body.get("taskId", ""))[:100])


@task()
def answer_skill_callback(*, inbox_id: int, user_key: str, response: dict) -> str:
    """The fallback after useCallback: if no reply used the callback in time, send the acknowledgment."""
    url = claim_callback(inbox_id, user_key)
    if url is None:
        return "already_answered"
    result = post_callback(url, response)
    if isinstance(result, DeliveryFailed):
        logger.warning("kakao callback fallback failed inbox=%s", inbox_id)
        return "failed"
    return "answered"
