"""Outbound replies through the real task worker to a real local HTTP server (the shop's webhook).

Settings for tests: backoff 0 seconds, 4 attempts (settings/test.py)."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from sonnim.commands.server import run_worker_loop
from sonnim.core.models import Event
from sonnim.inboxes.adapters import signing
from sonnim.inboxes.services import create_inbox
from sonnim.testing.fixtures import InboxWithKey, inbound_payload
from sonnim.testing.http import Behaviour, RecordingServer

from ..models import Message
from ..tasks import deliver_message, sweep_queued_messages

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shop():
    """The shop's webhook endpoint; tests change its behaviour as they go."""
    with RecordingServer(Behaviour(body={"id": "wh-1"})) as server:
        yield server


@pytest.fixture
def hooked_inbox(workspace, shop) -> InboxWithKey:
    created = create_inbox(workspace, kind="api", name="쇼핑몰", webhook_url=f"{shop.url}/sonnim-hook")
    return InboxWithKey(created.inbox, created.key)


@pytest.fixture
def conversation_id(hooked_inbox, post_inbound) -> int:
    response = post_inbound(hooked_inbox, inbound_payload("in-1", "shop-user-7", "주문 취소 가능한가요?"))
    assert response.status_code == 201
    return response.json()["conversation_id"]


@pytest.fixture
def reply(api, agent, conversation_id):
    client = api(agent)

    def send(text: str = "네, 취소해 드렸습니다.") -> int:
        response = client.post(f"/api/v1/conversations/{conversation_id}/reply", json={"text": text})
        assert response.status_code == 201
        return response.json()["id"]

    send.client = client
    return send


def work() -> None:
    """Run the real worker until no task is waiting. A retry enqueued with backoff 0 can be due in the
    same millisecond as the batch worker's last look (SQLite's Now() has millisecond precision), so one
    batch pass may end just before it: look again, boundedly."""
    for _ in range(50):
        run_worker_loop(interval=0.05, batch=True)
        if not DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists():
            return
        time.sleep(0.01)


def message_events(message_id: int) -> list[str]:
    return list(
        Event.objects.filter(data__message_id=message_id)
        .exclude(type="message.received")
        .order_by("seq")
        .values_list("type", flat=True)
    )


def test_webhook_gets_documented_body_with_valid_signature(shop, hooked_inbox, reply, agent, conversation_id):
    message_id = reply()
    work()
    [request] = shop.requests
    message = Message.objects.select_related("conversation").get(pk=message_id)
    assert (request.method, request.path) == ("POST", "/sonnim-hook")
    assert request.headers["Content-Type"] == "application/json"
    assert request.json() == {
        "type": "message.outbound",
        "message_id": message_id,
        "conversation_id": conversation_id,
        "customer_id": message.conversation.customer_id,
        "recipient": {"external_id": "shop-user-7"},
        "text": "네, 취소해 드렸습니다.",
        "thread_key": f"customer:{message.conversation.customer_id}",
        "author": {"name": agent.display_name},
        "attachments": [],
    }
    secret = hooked_inbox.inbox.signing_secret
    signature, timestamp = request.headers["X-Sonnim-Signature"], request.headers["X-Sonnim-Timestamp"]
    assert signing.check(secret, request.body, signature, timestamp) is None
    assert signing.check(secret, request.body + b" ", signature, timestamp) == "signature does not match"
    assert (message.delivery_status, message.attempts, message.external_id) == ("sent", 1, "out:wh-1")
    assert message.sent_at is not None
    assert message_events(message_id) == ["message.queued", "message.sent"]


def test_failing_twice_then_succeeding_is_sent_after_three_attempts(shop, reply):
    shop.behaviour.fail_first = 2
    message_id = reply()
    work()
    assert len(shop.requests) == 3
    message = Message.objects.get(pk=message_id)
    assert (message.delivery_status, message.attempts, message.failure_reason) == ("sent", 3, "")
    assert message_events(message_id) == [
        "message.queued",
        "message.retrying",
        "message.retrying",
        "message.sent",
    ]
    retrying = Event.objects.filter(data__message_id=message_id, type="message.retrying").order_by("seq")
    assert [(e.data["attempts"], e.data["reason"]) for e in retrying] == [
        (1, "webhook answered HTTP 503"),
        (2, "webhook answered HTTP 503"),
    ]
    assert {r.json()["message_id"] for r in shop.requests} == {message_id}


def test_always_failing_ends_failed_with_reason_then_retry_by_hand_sends(shop, reply):
    shop.behaviour.fail_first = 1000
    message_id = reply()
    work()
    assert len(shop.requests) == 4
    shown = reply.client.get(
        f"/api/v1/conversations/{Message.objects.get(pk=message_id).conversation_id}"
    ).json()
    [out] = [m for m in shown["messages"] if m["id"] == message_id]
    assert (out["delivery_status"], out["failure_reason"], out["attempts"]) == (
        "failed",
        "webhook answered HTTP 503",
        4,
    )
    assert message_events(message_id) == ["message.queued", *["message.retrying"] * 3, "message.failed"]

    shop.behaviour.fail_first = 0
    retried = reply.client.post(f"/api/v1/messages/{message_id}/retry")
    assert retried.status_code == 200
    assert (retried.json()["delivery_status"], retried.json()["attempts"]) == ("queued", 0)
    work()
    message = Message.objects.get(pk=message_id)
    assert (message.delivery_status, message.attempts, message.failure_reason) == ("sent", 1, "")
    assert len(shop.requests) == 5
    again = reply.client.post(f"/api/v1/messages/{message_id}/retry")
    assert (again.status_code, again.json()["code"]) == (409, "message_not_retryable")


def test_client_error_is_not_retried(shop, reply):
    shop.behaviour.fail_first, shop.behaviour.fail_status = 1000, 400
    message_id = reply()
    work()
    assert len(shop.requests) == 1
    message = Message.objects.get(pk=message_id)
    assert (message.delivery_status, message.attempts) == ("failed", 1)
    assert message.failure_reason == "webhook refused with HTTP 400"
    assert message_events(message_id) == ["message.queued", "message.failed"]


def test_unreachable_webhook_fails_with_reason(workspace, post_inbound, api, agent):
    with RecordingServer() as gone:
        url = gone.url
    created = create_inbox(workspace, kind="api", name="닫힌 곳", webhook_url=url)
    sent = post_inbound(InboxWithKey(created.inbox, created.key), inbound_payload()).json()
    message_id = (
        api(agent)
        .post(f"/api/v1/conversations/{sent['conversation_id']}/reply", json={"text": "x"})
        .json()["id"]
    )
    work()
    message = Message.objects.get(pk=message_id)
    assert (message.delivery_status, message.attempts) == ("failed", 4)
    assert message.failure_reason == "webhook unreachable: ConnectError"


def test_delivering_one_message_twice_at_once_sends_it_once(shop, reply, workspace):
    message_id = reply()
    DBTaskResult.objects.all().delete()  # the task the reply enqueued: this test runs the task by hand
    shop.behaviour.delay_seconds = 0.5  # the first delivery is still in flight when the second starts
    results: list[str] = []

    def deliver() -> None:
        try:
            results.append(deliver_message.call(workspace_id=workspace.pk, message_id=message_id))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["sent", "skipped"]
    assert len(shop.requests) == 1
    assert deliver_message.call(workspace_id=workspace.pk, message_id=message_id) == "skipped"
    assert len(shop.requests) == 1
    assert Message.objects.get(pk=message_id).attempts == 1


def test_sweep_reenqueues_only_stuck_queued_messages(shop, reply):
    stuck, fresh = reply("첫 번째"), reply("두 번째")
    DBTaskResult.objects.all().delete()  # as if the process died between commit and enqueue
    Message.objects.filter(pk=stuck).update(next_attempt_at=timezone.now() - timedelta(minutes=5))
    assert sweep_queued_messages.call() == 1
    [task] = DBTaskResult.objects.all()
    assert task.args_kwargs["kwargs"]["message_id"] == stuck
    work()
    assert [r.json()["message_id"] for r in shop.requests] == [stuck]
    assert Message.objects.get(pk=stuck).delivery_status == "sent"
    assert Message.objects.get(pk=fresh).delivery_status == "queued"
    assert sweep_queued_messages.call() == 0
