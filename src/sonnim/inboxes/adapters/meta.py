"""A Facebook Page and its Instagram professional account through the Graph API, inbox kind `meta`.

Webhook (/hooks/meta/<inbox key>, one URL for both objects):
- GET: the subscription handshake. Meta calls ?hub.mode=subscribe&hub.verify_token=<ours>&hub.challenge=<n>
  and we answer the challenge as plain text when the token matches (inboxes/meta_views.py).
- POST: `X-Hub-Signature-256: sha256=<hex of HMAC-SHA256(app secret, raw body)>` is checked first. The body
  is {"object": "page" | "instagram", "entry": [...]}:
  `entry[].messaging[]` are direct messages (message with mid/text/attachments, postback); `is_echo` marks
  what the Page itself sent: echoes of our own sends (our app_id, or a mid we just sent) are dropped, messages
  typed in Meta's own inbox are mirrored as already-sent replies and never re-sent.
  `entry[].changes[]` with field `feed` (Page: item comment, verb add) or `comments` (Instagram) are public
  comments: one conversation per top-level comment and its replies (thread `fb-comment:<id>` /
  `ig-comment:<id>`), metadata {"meta": {"public": true, ...}}; our own comments are dropped (by author id,
  or by the id Graph gave our public reply).
  Deliveries, reads, reactions and edits are accepted and ignored.

Outbound (Graph base URL and version configurable; the page access token goes in the Authorization header):
- a DM thread: POST {graph_url}/{version}/me/messages {"recipient": {"id"}, "message": {"text"}};
- a comment thread, publicly: POST /{comment-id}/comments (Facebook) or /{comment-id}/replies (Instagram);
- a comment thread, privately (the reply's metadata {"meta": {"mode": "private", "comment_id"}}, set by
  POST /api/v1/conversations/{id}/meta/reply: the customer's own latest comment, never the thread's root):
  POST /me/messages {"recipient": {"comment_id"}, ...};
- hiding a comment: POST /{comment-id} {"is_hidden": true} (Facebook) or {"hide": true} (Instagram).

Only connection errors are retried: after a read timeout Meta may have sent the message. A text and its
images are separate sends; the ones sent are kept in metadata meta.sent_parts and skipped on a retry.

Settings (Inbox.settings): graph_url, graph_version, page_id and app_id (required), instagram_account_id
(required for Instagram events).
Credentials: {"app_secret", "verify_token", "page_access_token"}.
"""

import hashlib
import hmac
import json
from datetime import UTC, datetime

import httpx
from django.conf import settings as django_settings
from django.http import HttpRequest
from django.utils.translation import gettext as _

from sonnim.core.errors import SonnimError

from . import redelivery
from .base import (
    ChannelAdapter,
    Delivered,
    DeliveryFailed,
    InboundMessage,
    OutboundMessage,
    SenderIdentity,
    WebhookRejected,
    check_text_length,
)
from .sms import send_error

GRAPH_URL = "https://graph.facebook.com"
GRAPH_VERSION = "v21.0"
SIGNATURE_HEADER = "X-Hub-Signature-256"
TEXT_MAX_CHARS = 2_000  # Messenger's text limit (Instagram's is in bytes and close to it)
IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif"}
PLATFORMS = {"page": "facebook", "instagram": "instagram"}
# Graph error codes a later attempt may get past: temporary errors and rate limits.
RETRYABLE_CODES = {1, 2, 4, 17, 32, 341, 613}
REQUIRED_SETTINGS = ("page_id", "app_id")
ANY_USER = "*"  # our sends are remembered by mid alone (a private reply's recipient is a comment, not a user)


class MetaAdapter(ChannelAdapter):
    @classmethod
    def validate_settings(cls, settings: dict) -> None:
        """page_id and app_id are how we know our own comments and echoes (without them every reply we post
        comes back as a customer message, and may be answered again: a loop). An inbox serves Instagram
        when it has an instagram_account_id. Empty settings are a fresh inbox: its webhooks are refused
        until they are set."""
        if not settings:
            return
        bad = {}
        for name in REQUIRED_SETTINGS:
            if not isinstance(settings.get(name), str | int) or not str(settings.get(name)).strip():
                bad[name] = "required: our own comments and echoes are recognised by it"
        ig = settings.get("instagram_account_id")
        if ig is not None and (not isinstance(ig, str | int) or not str(ig).strip()):
            bad["instagram_account_id"] = "the Instagram professional account id, or leave it out"
        if bad:
            raise SonnimError(
                "invalid_meta_settings",
                _("Some Facebook/Instagram settings are missing or wrong (page_id and app_id are required)."),
                details=bad,
            )

    @classmethod
    def check_outbound(cls, text: str, files: list) -> None:
        check_text_length(
            text,
            limit=TEXT_MAX_CHARS,
            message=_(
                "Facebook/Instagram messages are limited to %(limit)s characters (this one has %(count)s)."
            ),
        )
        for f in files:
            if f.content_type not in IMAGE_TYPES:
                raise SonnimError(
                    "attachment_not_supported",
                    _("Facebook and Instagram replies can only carry JPG, PNG or GIF images."),
                    details={"filename": f.filename},
                )

    # --- inbound -----------------------------------------------------------------------------------------

    def handshake(self, params) -> str:
        """The GET subscription check: the challenge when our verify token matches."""
        expected = str(self.config.credentials.get("verify_token", ""))
        given = str(params.get("hub.verify_token", ""))
        if params.get("hub.mode") != "subscribe" or not params.get("hub.challenge"):
            raise WebhookRejected("malformed_payload", "Expected hub.mode=subscribe and a hub.challenge.")
        if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
            raise WebhookRejected("bad_verify_token", "hub.verify_token does not match.", status=403)
        return str(params["hub.challenge"])[:200]

    def verify(self, request: HttpRequest) -> None:
        secret = str(self.config.credentials.get("app_secret", ""))
        given = request.headers.get(SIGNATURE_HEADER, "")
        if not secret or not given.startswith("sha256="):
            raise WebhookRejected("bad_signature", f"The {SIGNATURE_HEADER} header is missing.", status=401)
        expected = "sha256=" + hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), given.strip().encode()):
            raise WebhookRejected("bad_signature", f"The {SIGNATURE_HEADER} does not match.", status=401)

    def parse(self, request: HttpRequest) -> list[InboundMessage]:
        try:
            payload = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise WebhookRejected("malformed_json", "The body is not valid JSON.") from exc
        if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
            raise WebhookRejected("malformed_payload", "The payload has no `object` and `entry` list.")
        platform = PLATFORMS.get(payload.get("object"))
        if platform is None:
            return []  # a subscription we do not handle (user, permissions): nothing to store
        self._check_configured(platform)
        items: list[InboundMessage] = []
        for entry in payload["entry"]:
            if not isinstance(entry, dict):
                raise WebhookRejected("malformed_payload", "An entry is not an object.")
            for event in _list(entry, "messaging"):
                items.extend(self._messaging(platform, event))
            for change in _list(entry, "changes"):
                items.extend(self._change(platform, change))
        return items

    def _check_configured(self, platform: str) -> None:
        """Without our own ids we cannot tell our comments and echoes from the customers': refuse rather than
        loop (Meta retries, so nothing is lost while an admin completes the settings)."""
        needed = [*REQUIRED_SETTINGS, *(["instagram_account_id"] if platform == "instagram" else [])]
        missing = [name for name in needed if not str(self.config.settings.get(name) or "").strip()]
        if missing:
            raise WebhookRejected(
                "meta_not_configured",
                f"This inbox has no {', '.join(missing)} setting: {platform} events are refused.",
                status=409,
            )

    def _messaging(self, platform: str, event: dict) -> list[InboundMessage]:
        sender, recipient = _id(event, "sender"), _id(event, "recipient")
        message, postback = event.get("message"), event.get("postback")
        if isinstance(message, dict):
            if message.get("is_deleted"):
                return []
            if message.get("is_echo"):
                return self._echo(platform, recipient, message, event)
            return [self._dm(platform, sender, message, event)]
        if isinstance(postback, dict):  # a tapped button: the customer "said" its title
            external_id = str(postback.get("mid") or f"postback:{sender}:{event.get('timestamp', '')}")
            return [
                InboundMessage(
                    inbox_id=self.config.inbox_id,
                    external_id=external_id[:255],
                    sender=SenderIdentity(external_id=sender),
                    text=str(postback.get("title", ""))[:1000],
                    thread_key=f"{_short(platform)}-dm:{sender}",
                    sent_at=_time(event.get("timestamp")),
                    metadata={
                        "meta": {"platform": platform, "kind": "dm"},
                        "postback": str(postback.get("payload", ""))[:1000],
                    },
                )
            ]
        return []  # delivery, read, reaction, referral, optin: not messages

    def _dm(
        self, platform: str, sender: str, message: dict, event: dict, *, echo: bool = False
    ) -> InboundMessage:
        mid = message.get("mid")
        if not isinstance(mid, str) or not mid:
            raise WebhookRejected("malformed_payload", "A message has no `mid`.")
        text = str(message.get("text", ""))
        attachments = [
            {"type": str(a.get("type", "")), "url": str((a.get("payload") or {}).get("url", ""))}
            for a in message.get("attachments") or []
            if isinstance(a, dict)
        ]
        metadata: dict = {"meta": {"platform": platform, "kind": "dm"}}
        if attachments:
            metadata["attachments"] = attachments
        if isinstance(message.get("quick_reply"), dict):
            metadata["quick_reply_payload"] = str(message["quick_reply"].get("payload", ""))[:1000]
        if isinstance(message.get("reply_to"), dict):
            metadata["reply_to"] = str(message["reply_to"].get("mid", ""))[:255]
        if echo:
            metadata["echo"] = True
        return InboundMessage(
            inbox_id=self.config.inbox_id,
            external_id=mid[:255],
            sender=SenderIdentity(external_id=sender),
            text=text or "\n".join(a["url"] for a in attachments if a["url"]),
            thread_key=f"{_short(platform)}-dm:{sender}",
            sent_at=_time(event.get("timestamp")),
            metadata=metadata,
            is_echo=echo,
            allows_bot_reply=not echo,
        )

    def _echo(self, platform: str, customer: str, message: dict, event: dict) -> list[InboundMessage]:
        """What the Page sent. Ours (sent by this app, or a mid we just sent) is already stored: drop it, or
        it would loop. Typed in Meta's inbox by the shop: mirror it as a sent reply, never deliver it."""
        app_id = str(self.config.settings.get("app_id", ""))
        mid = str(message.get("mid", ""))
        if (app_id and str(message.get("app_id", "")) == app_id) or redelivery.was_sent_by_us(
            "meta", self.config.inbox_id, ANY_USER, mid
        ):
            return []
        return [self._dm(platform, customer, message, event, echo=True)]

    def _change(self, platform: str, change: dict) -> list[InboundMessage]:
        value = change.get("value") if isinstance(change, dict) else None
        if not isinstance(value, dict):
            raise WebhookRejected("malformed_payload", "A change has no `value` object.")
        field = change.get("field")
        if platform == "facebook" and field == "feed":
            if value.get("item") != "comment" or value.get("verb") != "add":
                return []  # posts, reactions, edits and removals
            comment_id, post_id = value.get("comment_id"), value.get("post_id")
            parent = value.get("parent_id")
            author = value.get("from") if isinstance(value.get("from"), dict) else {}
            name, text, own = (
                author.get("name", ""),
                value.get("message", ""),
                self.config.settings.get("page_id"),
            )
            root = comment_id if parent in (None, "", post_id) else parent
        elif platform == "instagram" and field == "comments":
            comment_id = value.get("id")
            media = value.get("media") if isinstance(value.get("media"), dict) else {}
            post_id, parent = media.get("id"), value.get("parent_id")
            author = value.get("from") if isinstance(value.get("from"), dict) else {}
            name, text = author.get("username", ""), value.get("text", "")
            own = self.config.settings.get("instagram_account_id")
            root = parent or comment_id
        else:
            return []  # mentions, story insights, other fields
        if not isinstance(comment_id, str) or not comment_id or not isinstance(author.get("id"), str):
            raise WebhookRejected("malformed_payload", "A comment has no id or no author id.")
        if (own and author["id"] == str(own)) or redelivery.was_sent_by_us(
            "meta", self.config.inbox_id, ANY_USER, comment_id
        ):
            # our own reply, published by us: already on the timeline. Instagram names the author by an
            # app-scoped id, not the account id, so the id we were given when posting is checked too.
            return []
        return [
            InboundMessage(
                inbox_id=self.config.inbox_id,
                external_id=f"comment:{comment_id}"[:255],
                sender=SenderIdentity(external_id=author["id"], name=str(name)[:200]),
                text=str(text),
                # the conversation's title in the inbox: agents see at once that the thread is public
                subject="Facebook 공개 댓글" if platform == "facebook" else "Instagram 공개 댓글",
                thread_key=f"{_short(platform)}-comment:{root}",
                sent_at=_time(value.get("created_time") or value.get("timestamp")),
                metadata={
                    "meta": {
                        "platform": platform,
                        "kind": "comment",
                        "public": True,
                        "comment_id": comment_id,
                        "post_id": str(post_id or ""),
                        "parent_id": str(parent or ""),
                    }
                },
            )
        ]

    # --- outbound ----------------------------------------------------------------------------------------

    def deliver(self, message: OutboundMessage) -> Delivered | DeliveryFailed:
        token = str(self.config.credentials.get("page_access_token", ""))
        if not token:
            return DeliveryFailed("This Meta inbox has no page access token.", retryable=False)
        kind, _sep, target = message.thread_key.partition(":")
        options = message.metadata.get("meta") or {}
        if kind.endswith("-comment") and target:
            if options.get("mode") == "private":
                # the commenter of this conversation, never the thread's root: under another customer's
                # comment the root is theirs, and a "private" reply would land in their inbox
                comment_id = str(options.get("comment_id") or "")
                if not comment_id:
                    return DeliveryFailed("This private reply names no comment to answer.", retryable=False)
                return self._send_dm({"comment_id": comment_id}, message, token)
            edge = "comments" if kind == "fb-comment" else "replies"
            result = self.graph_post(f"{target}/{edge}", {"message": message.text}, token)
            if isinstance(result, Delivered) and result.external_id:  # it comes back as a comment: _change()
                redelivery.mark_sent("meta", self.config.inbox_id, ANY_USER, result.external_id, seconds=3600)
            return result
        if kind.endswith("-dm") and message.recipient_external_id:
            return self._send_dm({"id": message.recipient_external_id}, message, token)
        return DeliveryFailed(
            "This conversation has no Facebook/Instagram thread to answer.", retryable=False
        )

    def _send_dm(self, recipient: dict, message: OutboundMessage, token: str) -> Delivered | DeliveryFailed:
        bodies = []
        if message.text:
            bodies.append({"text": message.text})
        bodies.extend(
            {"attachment": {"type": "image", "payload": {"url": a.url, "is_reusable": False}}}
            for a in message.attachments
        )
        # A text and its images are separate sends: the parts already sent (an earlier attempt failed on a
        # later part) are kept in the message's metadata (meta.sent_parts) and skipped, never sent twice.
        sent = dict((message.metadata.get("meta") or {}).get("sent_parts") or {})
        result: Delivered | DeliveryFailed = DeliveryFailed("Nothing to send.", retryable=False)
        for index, body in enumerate(bodies):
            if str(index) in sent:
                result = Delivered(external_id=str(sent[str(index)]))
                continue
            payload = {"recipient": recipient, "messaging_type": "RESPONSE", "message": body}
            result = self.graph_post("me/messages", payload, token)
            if isinstance(result, DeliveryFailed):
                return result
            if result.external_id:  # its echo comes back with this mid: see _echo()
                redelivery.mark_sent("meta", self.config.inbox_id, ANY_USER, result.external_id)
            if len(bodies) > 1:
                from sonnim.inboxes.social import record_sent_part  # the one write an adapter asks for

                record_sent_part(message.message_id, index, result.external_id)
                sent[str(index)] = result.external_id
        return result

    def hide_comment(self, comment_id: str, *, platform: str, hidden: bool) -> DeliveryFailed | None:
        token = str(self.config.credentials.get("page_access_token", ""))
        if not token:
            return DeliveryFailed("This Meta inbox has no page access token.", retryable=False)
        field = "is_hidden" if platform == "facebook" else "hide"
        result = self.graph_post(comment_id, {field: hidden}, token)
        return result if isinstance(result, DeliveryFailed) else None

    def graph_post(self, path: str, payload: dict, token: str) -> Delivered | DeliveryFailed:
        base = str(self.config.settings.get("graph_url") or GRAPH_URL).rstrip("/")
        version = str(self.config.settings.get("graph_version") or GRAPH_VERSION)
        try:
            response = httpx.post(
                f"{base}/{version}/{path}",
                content=json.dumps(payload, ensure_ascii=False).encode(),
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
                timeout=django_settings.DELIVERY_TIMEOUT_SECONDS,
            )
        except httpx.HTTPError as exc:  # retryable only when the request never reached Meta
            return send_error(exc, "Graph API")
        return read_graph_result(response)


def read_graph_result(response: httpx.Response) -> Delivered | DeliveryFailed:
    """200 {"recipient_id", "message_id"} / {"id"} / {"success": true}; errors
    {"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    error = body.get("error") if isinstance(body.get("error"), dict) else None
    if response.status_code >= 400 or error is not None:
        error = error or {}
        code = error.get("code")
        retryable = response.status_code >= 500 or response.status_code == 429 or code in RETRYABLE_CODES
        subcode = f"/{error['error_subcode']}" if error.get("error_subcode") else ""
        return DeliveryFailed(
            f"Meta refused the request: HTTP {response.status_code}, code {code or '?'}{subcode} "
            f"({str(error.get('message', ''))[:120]})",
            retryable=retryable,
        )
    return Delivered(external_id=str(body.get("message_id") or body.get("id") or "")[:200])


def _list(entry: dict, name: str) -> list[dict]:
    value = entry.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise WebhookRejected("malformed_payload", f"`{name}` is not a list of objects.")
    return value


def _id(event: dict, name: str) -> str:
    value = event.get(name)
    if not isinstance(value, dict) or not isinstance(value.get("id"), str | int) or not str(value["id"]):
        raise WebhookRejected("malformed_payload", f"A messaging event has no `{name}.id`.")
    return str(value["id"])[:255]


def _short(platform: str) -> str:
    return "fb" if platform == "facebook" else "ig"


def _time(value) -> datetime | None:
    """Graph gives milliseconds (messaging), seconds (feed created_time) or an ISO time (Instagram)."""
    if isinstance(value, int | float) and value > 0:
        seconds = value / 1000 if value > 10_000_000_000 else value
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):  # Infinity, year 300000: no usable time
            return None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("+0000", "+00:00"))
        except ValueError:
            return None
        return moment if moment.utcoffset() is not None else None
    return None
