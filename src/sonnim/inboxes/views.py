"""The webhook entry point of every channel, /hooks/<kind>/<inbox_key>, and the admins' inbox settings.

verify -> parse -> receive_message() per message -> acknowledge. A rejected call gets a 4xx with its
code and reason and a log line with the code (never the body: it may carry PII)."""

import json
import logging

from django import forms
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from sonnim.conversations.pipeline import receive_channel_event, receive_message
from sonnim.core.actors import Actor
from sonnim.core.errors import SonnimError
from sonnim.core.pages import agent_page, chrome_context

from .adapters import adapter_for
from .adapters.base import ChannelEvent, DeliveryReceipt, WebhookRejected
from .choices import ChannelKind
from .followups import after_receive, record_delivery_receipt
from .selectors import inbound_url, inbox_config, inbox_for_key, inboxes_of
from .services import create_inbox

logger = logging.getLogger("sonnim.hooks")


def _reject(kind: str, code: str, reason: str, status: int) -> JsonResponse:
    logger.warning("webhook rejected kind=%s code=%s status=%s", kind, code, status)
    return JsonResponse({"code": code, "message": reason, "details": None}, status=status)


@csrf_exempt
@require_POST
def hook(request: HttpRequest, kind: str, inbox_key: str) -> HttpResponse:
    adapter_class = adapter_for(kind)
    if adapter_class is None:
        return _reject(kind, "unknown_channel_kind", "No channel of this kind.", 404)
    try:
        inbox = inbox_for_key(inbox_key, kind=kind)
    except SonnimError as exc:
        return _reject(kind, exc.code, exc.message, exc.status)
    adapter = adapter_class(inbox_config(inbox))
    try:
        adapter.verify(request)
        inbound = adapter.parse(request)
    except WebhookRejected as exc:
        return _reject(kind, exc.code, exc.reason, exc.status)
    except (KeyError, TypeError, ValueError, json.JSONDecodeError) as exc:
        return _reject(
            kind,
            "malformed_payload",
            f"The payload is missing or has a bad field ({type(exc).__name__}).",
            400,
        )
    try:
        received = []
        for item in inbound:
            if isinstance(item, ChannelEvent):  # not a message: it updates the sender's identity
                receive_channel_event(item)
            elif isinstance(item, DeliveryReceipt):  # the platform's word on one of our sends
                record_delivery_receipt(inbox, item)
            else:
                # one transaction: a follow-up that fails (a call log refusing a field) stores nothing
                with transaction.atomic():
                    result = receive_message(item)
                    after_receive(inbox, item, result)  # channel follow-ups that need the stored message
                received.append(result)
    except SonnimError as exc:
        return _reject(kind, exc.code, exc.message, exc.status)
    return adapter.acknowledge(received)


@csrf_exempt
@require_POST
def kakao_skill_hook(request: HttpRequest, inbox_key: str) -> HttpResponse:
    """Kakao i Open Builder calls skills at a URL of the bot's choosing: /hooks/kakao/skill/<inbox_key>,
    the same flow as /hooks/kakao/<inbox_key>."""
    return hook(request, kind="kakao", inbox_key=inbox_key)


class InboxForm(forms.Form):
    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(choices=ChannelKind.choices, initial=ChannelKind.API)
    webhook_url = forms.URLField(required=False, assume_scheme="https")


@agent_page(admin=True)
def settings_inboxes(request: HttpRequest) -> HttpResponse:
    """Create inboxes; a new inbox's key is shown once, with the URL the shop posts to."""
    workspace = request.agent.workspace
    form = InboxForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        created = create_inbox(workspace, actor=Actor.agent(request.agent), **form.cleaned_data)
        form = InboxForm()
    inboxes = [(inbox, inbound_url(inbox)) for inbox in inboxes_of(workspace)]
    context = {"form": form, "inboxes": inboxes, "created": created}
    if created:
        context["created_url"] = inbound_url(created.inbox)
    return render(
        request, "inboxes/pages/settings_inboxes.html", {**chrome_context(request, "settings"), **context}
    )
