"""The widget's entry points: the script, the visitor API (CORS, per-inbox origin allow-list, rate limits)
and the demo's sample shop page.

    GET  /widget/<widget key>.js                         the widget (plain JS, no build step)
    POST /widget/api/<widget key>/session                {token?, member?} -> token, config, history
    POST /widget/api/<widget key>/messages               JSON or multipart: client_id, text, answers, file
    GET  /widget/api/<widget key>/poll?after=N&wait=25   long-poll fallback: items after N
    POST /widget/api/<widget key>/read                   {seq}: the visitor saw the stream up to seq
    POST /widget/api/<widget key>/typing                 the visitor is typing (agents see it)
    POST /widget/api/<widget key>/offline                {client_id, name, email, phone, reply_via, text}
    GET  /widget/api/<widget key>/articles?q=...         up to 3 help-center articles before a first message
    POST /widget/api/<widget key>/articles/<id>/deflected   the visitor read it instead (counted once)

Every call but the first session carries the visitor token in the X-Sonnim-Visitor header."""

import asyncio
import json
import logging
import re
from functools import wraps
from pathlib import Path

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from sonnim.conversations.errors import ConversationError
from sonnim.conversations.pipeline import receive_message
from sonnim.core.errors import SonnimError
from sonnim.inboxes.adapters.base import InboundAttachment
from sonnim.inboxes.adapters.network import client_address

from . import realtime, selectors, services
from . import settings as widget_settings
from .errors import WebchatError
from .models import Visitor, Widget
from .realtime import stream_group

logger = logging.getLogger("sonnim.webchat")

WIDGET_JS = Path(__file__).parent / "static" / "webchat" / "widget.js"
POLL_MAX_SECONDS = 25
VISITOR_HEADER = "HTTP_X_SONNIM_VISITOR"
ALLOWED_HEADERS = "Content-Type, X-Sonnim-Visitor"
UPLOAD_OVERHEAD_BYTES = 64 * 1024  # multipart boundaries, the text and the pre-chat answers
DEMO_MEMBER = re.compile(r"^member\d{4}$")  # the demo seed's member ids (member0001, ...)


def _error(code: str, message: str, status: int, details=None) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, "details": details}, status=status)


def _with_cors(response: HttpResponse, origin: str | None) -> HttpResponse:
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Max-Age"] = "600"
    response["Vary"] = "Origin"
    response["Cache-Control"] = "no-store"
    return response


def client_ip(request: HttpRequest, widget: Widget) -> str:
    """The visitor's address for the per-IP limit: X-Forwarded-For only from the inbox's trusted_proxies
    (like TalkTalk's allow-list), so a visitor cannot pick a fresh address per request."""
    address = client_address(request, widget_settings.trusted_proxies(widget.inbox.settings))
    return str(address) if address is not None else "unknown"


def _gate(request: HttpRequest, widget_key: str) -> tuple[Widget | None, HttpResponse | None]:
    """The widget of the key, the Origin checked against its inbox's allow-list, the IP rate-limited."""
    origin = request.headers.get("Origin")
    try:
        widget = selectors.get_widget(widget_key)
    except SonnimError as exc:
        return None, _with_cors(_error(exc.code, exc.message, exc.status), None)
    if not selectors.origin_allowed(widget, origin, own_host=request.get_host()):
        logger.warning("widget origin refused widget=%s", widget.pk)
        return None, _error(
            WebchatError.ORIGIN_NOT_ALLOWED, _("This site may not use this chat widget."), 403
        )
    if request.method != "OPTIONS":
        limit = widget_settings.limit(widget.inbox.settings, "ip_requests_per_minute")
        try:
            services.check_rate(f"ip:{widget.inbox_id}:{client_ip(request, widget)}", limit=limit)
        except SonnimError as exc:
            return None, _with_cors(_error(exc.code, exc.message, exc.status), origin)
    return widget, None


def widget_api(method: str):
    """CORS preflight, origin and IP checks, the visitor token, errors as {code, message, details}."""

    def decorate(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, widget_key: str, **kwargs) -> HttpResponse:
            origin = request.headers.get("Origin")
            widget, refused = _gate(request, widget_key)
            if refused is not None:
                return refused
            if request.method == "OPTIONS":
                return _with_cors(HttpResponse(status=204), origin)
            if request.method != method:
                return _with_cors(_error("method_not_allowed", "Method not allowed.", 405), origin)
            try:
                response = view(request, widget, **kwargs)
            except SonnimError as exc:
                response = _error(exc.code, exc.message, exc.status, exc.details)
            return _with_cors(response, origin)

        return wrapper

    return decorate


def _body(request: HttpRequest) -> dict:
    if request.content_type == "multipart/form-data":
        _check_upload_size(request)
        return {k: v for k, v in request.POST.items()}
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise SonnimError("malformed_json", "The body is not valid JSON.") from exc
    if not isinstance(body, dict):
        raise SonnimError("malformed_json", "The body must be a JSON object.")
    return body


def _visitor(request: HttpRequest, widget: Widget) -> Visitor:
    visitor = selectors.visitor_for_token(widget, request.META.get(VISITOR_HEADER, ""))
    if visitor is None:
        raise SonnimError(WebchatError.VISITOR_REQUIRED, _("Start a chat session first."), status=401)
    return visitor


def _visitor_rate(widget: Widget, visitor: Visitor) -> None:
    limit = widget_settings.limit(widget.inbox.settings, "visitor_messages_per_minute")
    services.check_rate(f"visitor:{visitor.pk}", limit=limit)


def _too_large(name: str) -> SonnimError:
    return SonnimError(
        ConversationError.ATTACHMENT_TOO_LARGE,
        _("%(name)s is larger than %(limit)d MB.")
        % {"name": name, "limit": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)},
        status=413,
    )


def _check_upload_size(request: HttpRequest) -> None:
    """A multipart body is one file and a few short fields: one declared larger than that is refused
    before Django parses (and spools) it."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.ATTACHMENT_MAX_BYTES + UPLOAD_OVERHEAD_BYTES:
        raise _too_large(_("The upload"))


# ---- the script ----


def widget_script(request: HttpRequest, widget_key: str) -> HttpResponse:
    """The widget for one inbox: the static script with its key and Sonnim's address in front."""
    try:
        widget = selectors.get_widget(widget_key)
    except SonnimError:
        return HttpResponse("/* unknown chat widget */", status=404, content_type="text/javascript")
    # Sonnim's configured address, not the request's Host header (which a caller chooses)
    boot = {"key": widget.public_key, "base": settings.PUBLIC_URL}
    source = f"window.SonnimWidgetBoot={json.dumps(boot)};\n" + WIDGET_JS.read_text()
    response = HttpResponse(source, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


# ---- the visitor API ----


@widget_api("POST")
def session(request: HttpRequest, widget: Widget) -> HttpResponse:
    body = _body(request)
    raw = body.get("member") if isinstance(body.get("member"), dict) else {}
    member = services.Member(
        member_id=str(raw.get("id", "") or "")[:100],
        email=str(raw.get("email", "") or "")[:254],
        name=str(raw.get("name", "") or "")[:200],
        signature=str(raw.get("signature", "") or "")[:128],
    )
    token = str(body.get("token") or request.META.get(VISITOR_HEADER, ""))
    opened = services.open_session(widget, token=token, member=member)
    stream = opened.stream
    return JsonResponse(
        {
            "token": opened.token or None,
            "verified": opened.visitor.is_verified,
            "config": selectors.public_config(widget),
            "items": selectors.history(stream),
            "last_seq": stream.last_seq if stream else 0,
            "agent_read_seq": stream.agent_read_seq if stream else 0,
        }
    )


def _files(request: HttpRequest) -> list[InboundAttachment]:
    """At most one file per message (the widget sends one), its size checked before it is read."""
    if request.content_type != "multipart/form-data":
        return []
    uploads = [upload for name in request.FILES for upload in request.FILES.getlist(name)]
    if len(uploads) > 1:
        raise SonnimError(WebchatError.TOO_MANY_FILES, _("Send one file per message."))
    if not uploads:
        return []
    upload = uploads[0]
    if upload.size > settings.ATTACHMENT_MAX_BYTES:  # refused before it is read into memory
        raise _too_large(upload.name)
    return [InboundAttachment(upload.name, upload.content_type or "", upload.read())]


def _receive(widget: Widget, visitor: Visitor, inbound, *, answers: dict, contact: dict | None) -> dict:
    with transaction.atomic():
        services.prepare_sender(visitor)
        received = receive_message(inbound)
        return services.record_visitor_message(
            widget, visitor, received.message, duplicate=received.duplicate, answers=answers, contact=contact
        )


@widget_api("POST")
def messages(request: HttpRequest, widget: Widget) -> HttpResponse:
    visitor = _visitor(request, widget)
    _visitor_rate(widget, visitor)
    body = _body(request)
    answers = services.clean_answers(widget, body.get("answers"))
    if isinstance(body.get("answers"), str):  # multipart sends them as JSON text
        try:
            answers = services.clean_answers(widget, json.loads(body["answers"]))
        except ValueError:
            answers = {}
    stream = selectors.stream_of(visitor)
    if stream is None and (missing := services.missing_answers(widget, answers)):
        raise SonnimError(
            WebchatError.PRECHAT_REQUIRED, _("Please answer the questions first."), details=missing
        )
    inbound = services.inbound_for(
        visitor,
        client_id=str(body.get("client_id", "")),
        text=str(body.get("text", "")),
        files=_files(request),
        answers=answers,
    )
    item = _receive(widget, visitor, inbound, answers=answers, contact=None)
    return JsonResponse({"item": item}, status=200 if item.get("duplicate") else 201)


@widget_api("POST")
def offline(request: HttpRequest, widget: Widget) -> HttpResponse:
    """The offline form: the visitor's contact and message land as a conversation like any chat."""
    visitor = _visitor(request, widget)
    _visitor_rate(widget, visitor)
    body = _body(request)
    contact = {
        "name": services.clean_text(str(body.get("name", "")))[:100],
        "email": str(body.get("email", "")).strip()[:254],
        "phone": str(body.get("phone", "")).strip()[:30],
        "reply_via": body.get("reply_via")
        if body.get("reply_via") in ("email", "kakao", "phone")
        else "email",
    }
    if not (contact["email"] or contact["phone"]) and not visitor.is_verified:
        raise SonnimError(WebchatError.CONTACT_REQUIRED, _("Leave an email address or a phone number."))
    inbound = services.inbound_for(
        visitor, client_id=str(body.get("client_id", "")), text=str(body.get("text", "")), contact=contact
    )
    item = _receive(widget, visitor, inbound, answers={}, contact=contact)
    return JsonResponse({"item": item}, status=200 if item.get("duplicate") else 201)


@widget_api("POST")
def read(request: HttpRequest, widget: Widget) -> HttpResponse:
    visitor = _visitor(request, widget)
    try:
        seq = int(_body(request).get("seq", 0))
    except (TypeError, ValueError):
        seq = 0
    return JsonResponse({"marked": services.mark_visitor_read(visitor, seq=seq)})


@widget_api("POST")
def typing(request: HttpRequest, widget: Widget) -> HttpResponse:
    visitor = _visitor(request, widget)
    services.check_rate(f"typing:{visitor.pk}", limit=services.TYPING_PER_MINUTE)
    realtime.relay_visitor_typing(visitor, is_typing=bool(_body(request).get("typing", True)))
    return HttpResponse(status=204)


# ---- help-center suggestions (deflection) ----


@widget_api("GET")
def articles(request: HttpRequest, widget: Widget) -> HttpResponse:
    """Up to 3 public articles of the shop's help center for what the visitor types before a first message."""
    visitor = _visitor(request, widget)
    services.check_rate(f"articles:{visitor.pk}", limit=services.SUGGESTIONS_PER_MINUTE)
    return JsonResponse({"articles": selectors.suggested_articles(widget, request.GET.get("q", ""))})


@widget_api("POST")
def deflected(request: HttpRequest, widget: Widget, article_id: int) -> HttpResponse:
    """The visitor opened a suggested article instead of starting a chat: counted once per visitor."""
    visitor = _visitor(request, widget)
    counted = services.record_deflection(widget, visitor, article_id=article_id)
    return JsonResponse({"counted": counted}, status=201 if counted else 200)


# ---- long-poll ----


def _poll_start(request: HttpRequest, widget_key: str):
    widget, refused = _gate(request, widget_key)
    if refused is not None:
        return None, None, refused
    if request.method == "OPTIONS":
        return None, None, HttpResponse(status=204)
    try:
        visitor = _visitor(request, widget)
    except SonnimError as exc:
        return None, None, _error(exc.code, exc.message, exc.status)
    return widget, selectors.stream_of(visitor), None


@csrf_exempt
async def poll(request: HttpRequest, widget_key: str) -> HttpResponse:
    """Items after `after`, at once when there are any, else when one arrives or after `wait` seconds
    (at most 25): the fallback when websockets are blocked. Subscribes before the second look, so an item
    committed in between is not missed."""
    origin = request.headers.get("Origin")
    _widget, stream, refused = await database_sync_to_async(_poll_start)(request, widget_key)
    if refused is not None:
        return _with_cors(refused, origin)
    try:
        after = max(0, int(request.GET.get("after", "0")))
        wait = min(POLL_MAX_SECONDS, max(0.0, float(request.GET.get("wait", POLL_MAX_SECONDS))))
    except ValueError:
        return _with_cors(_error("invalid_input", "after and wait are numbers.", 400), origin)
    items = await database_sync_to_async(selectors.items_after)(stream, after)
    if not items and wait > 0:
        if stream is None:
            await asyncio.sleep(min(wait, 5))  # nothing can arrive before the first message: come back
        else:
            items = await _wait_for_items(stream, after, wait)
    last = items[-1]["seq"] if items else after
    return _with_cors(JsonResponse({"items": items, "last_seq": last}), origin)


async def _wait_for_items(stream, after: int, wait: float) -> list[dict]:
    layer = get_channel_layer()
    group = stream_group(stream.pk)
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    try:
        items = await database_sync_to_async(selectors.items_after)(stream, after)
        if items:
            return items
        try:
            await asyncio.wait_for(layer.receive(channel), timeout=wait)
        except TimeoutError:
            return []
        return await database_sync_to_async(selectors.items_after)(stream, after)
    finally:
        await layer.group_discard(group, channel)


# ---- the demo's sample shop ----


def demo_enabled() -> bool:
    """The sample shop page exists only under `sonnim demo` (settings.DEMO, SONNIM_DEMO=1) or DEBUG: it
    signs members with the demo inbox's real secret."""
    return bool(settings.DEBUG or getattr(settings, "DEMO", False))


def demo_shop(request: HttpRequest) -> HttpResponse:
    """A sample shop page with the demo's chat widget (only where `sonnim demo` seeded its shop).
    ?member=member0001 plays a logged-in member: the page signs it as the shop's server would, for the
    seeded members of the demo shop only."""
    from sonnim.customers.models import Customer
    from sonnim.demo import data
    from sonnim.inboxes.models import Inbox

    if not demo_enabled():
        return HttpResponse("Not found.", status=404, content_type="text/plain")
    inbox = (  # the bot-enabled chat (`sonnim demo` seeds one) answers delivery and return questions itself
        Inbox.objects.filter(workspace__slug=data.SHOP_SLUG, kind="webchat", is_active=True)
        .order_by("-is_bot_enabled", "pk")
        .first()
    )
    if inbox is None:
        return HttpResponse("The demo shop is not seeded (run `sonnim demo`).", status=404)
    widget = services.ensure_widget(inbox)
    member = None
    member_id = request.GET.get("member", "")[:40]
    seeded = (
        member_id
        and DEMO_MEMBER.match(member_id)
        and Customer.objects.for_workspace(inbox.workspace_id).filter(member_id=member_id).exists()
    )
    if seeded:
        member = {
            "id": member_id,
            "email": "",
            "signature": services.member_signature(inbox.signing_secret, member_id, ""),
        }
    return render(
        request,
        "webchat/demo_shop.html",
        {"shop_name": data.SHOP_NAME, "widget": widget, "member": member},
    )
