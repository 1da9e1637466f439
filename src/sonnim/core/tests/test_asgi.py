"""The ASGI handler: a sync view's request runs Django's sync chain in one hop; async views keep the
stock async path. Driven through the real ASGI application (`sonnim.asgi`), not the test client."""

import json
import threading

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.core import signals

from sonnim.asgi import application
from sonnim.core.asgi import _view_is_async

pytestmark = pytest.mark.django_db(transaction=True)


def _request(method: str, path: str, **kwargs) -> tuple[int, dict, bytes]:
    return async_to_sync(_arequest)(method, path, **kwargs)


async def _arequest(method: str, path: str, *, body: bytes = b"", headers=()) -> tuple[int, dict, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    app = ApplicationCommunicator(application, scope)
    await app.send_input({"type": "http.request", "body": body, "more_body": False})
    start = await app.receive_output(10)
    chunks = []
    while True:
        message = await app.receive_output(10)
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    await app.wait(5)
    headers_out = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return start["status"], headers_out, b"".join(chunks)


def test_view_kind_is_known_from_the_path():
    assert _view_is_async("/widget/api/some-key/poll") is True
    assert _view_is_async("/healthz") is False
    assert _view_is_async("/api/v1/inboxes/1/messages") is False
    assert _view_is_async("/no/such/page") is False  # the sync chain answers the 404


def test_sync_view_runs_every_middleware_and_the_request_signals_on_one_thread():
    seen: dict[str, int] = {}

    def started(**kwargs):
        seen["started"] = threading.get_ident()

    def finished(**kwargs):
        seen["finished"] = threading.get_ident()

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    try:
        status, headers, body = _request("GET", "/healthz")
    finally:
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)
    assert (status, json.loads(body)["ok"]) == (200, True)
    assert headers["x-frame-options"] == "DENY"  # XFrameOptionsMiddleware, last in the chain
    assert "accept-language" in headers["vary"].lower()  # LocaleMiddleware
    assert seen["started"] == seen["finished"] != threading.get_ident()  # one hop, off the event loop


def test_login_page_sets_the_csrf_cookie_and_unknown_paths_are_404():
    status, headers, _body = _request("GET", "/login/")
    assert status == 200 and "csrftoken=" in headers.get("set-cookie", "")
    status, _headers, _body = _request("GET", "/no/such/page")
    assert status == 404


def test_a_post_body_reaches_the_view(api_inbox):
    payload = {
        "external_id": "asgi-1",
        "sender": {"external_id": "m-1", "name": "김민지"},
        "text": "환불해주세요",
    }
    status, _headers, body = _request(
        "POST",
        f"/api/v1/inboxes/{api_inbox.inbox.pk}/messages",
        body=json.dumps(payload).encode(),
        headers=[
            (b"authorization", f"Bearer {api_inbox.key}".encode()),
            (b"content-type", b"application/json"),
        ],
    )
    assert status == 201 and json.loads(body)["duplicate"] is False


def test_async_views_keep_the_async_path():
    status, _headers, body = _request("GET", "/widget/api/no-such-widget/poll")
    assert status == 404 and json.loads(body)["code"]
