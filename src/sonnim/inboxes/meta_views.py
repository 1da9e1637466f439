"""/hooks/meta/<inbox_key>: Meta's GET subscription handshake; POSTs go to the generic hook view."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from sonnim.core.errors import SonnimError

from .adapters.base import WebhookRejected
from .adapters.meta import MetaAdapter
from .selectors import inbox_config, inbox_for_key
from .views import _reject, hook


@csrf_exempt
def meta_hook(request: HttpRequest, inbox_key: str) -> HttpResponse:
    if request.method != "GET":
        return hook(request, kind="meta", inbox_key=inbox_key)
    try:
        inbox = inbox_for_key(inbox_key, kind="meta")
        challenge = MetaAdapter(inbox_config(inbox)).handshake(request.GET)
    except SonnimError as exc:
        return _reject("meta", exc.code, exc.message, exc.status)
    except WebhookRejected as exc:
        return _reject("meta", exc.code, exc.reason, exc.status)
    return HttpResponse(challenge, content_type="text/plain")
