"""Replying on another channel: the reply goes through another inbox of the workspace where the customer
has an identity (email: an address), into their conversation there; refused with a code otherwise."""

import pytest
from django.test import Client

from sonnim.customers.models import Identity
from sonnim.inboxes.services import create_inbox
from sonnim.testing.fixtures import inbound_payload
from sonnim.testing.http import Behaviour, RecordingServer

from ..models import Conversation, Message
from .test_delivery import work

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def app_hook():
    with RecordingServer(Behaviour(body={"id": "push-1"})) as server:
        yield server


@pytest.fixture
def first(api_inbox, post_inbound) -> Conversation:
    """A customer wrote through the shop's API inbox (which has no webhook: it cannot answer them)."""
    payload = inbound_payload("m-1", "member-7", "교환 문의", sender={"email": "minji@example.kr"})
    response = post_inbound(api_inbox, payload)
    assert response.status_code == 201
    return Conversation.objects.get(pk=response.json()["conversation_id"])


def test_reply_goes_out_through_the_other_inbox_webhook(agent, api, first, app_hook, workspace):
    app = create_inbox(workspace, kind="api", name="앱 푸시", webhook_url=f"{app_hook.url}/push").inbox
    client = api(agent)
    channels = client.get(f"/api/v1/conversations/{first.pk}/reply-channels").json()
    assert [(c["inbox"]["name"], c["is_default"]) for c in channels] == [
        ("쇼핑몰 API", True),
        ("앱 푸시", False),
    ]

    response = client.post(
        f"/api/v1/conversations/{first.pk}/reply", json={"text": "앱으로 안내드려요", "inbox_id": app.pk}
    )
    assert response.status_code == 201, response.content
    message = Message.objects.get(pk=response.json()["id"])
    target = message.conversation
    assert (target.inbox_id, target.customer_id, target.status) == (app.pk, first.customer_id, "pending")
    assert target.assignee_id == agent.pk and response.json()["conversation_id"] == target.pk
    note = Message.objects.get(conversation=first, direction="note")
    assert f"#{target.pk}" in note.text and "앱 푸시" in note.text
    work()
    [request] = app_hook.requests
    body = request.json()
    assert (request.path, body["text"], body["recipient"]) == (
        "/push",
        "앱으로 안내드려요",
        {"external_id": "member-7"},
    )
    assert body["conversation_id"] == target.pk
    message.refresh_from_db()
    assert message.delivery_status == "sent"
    # a second reply on that channel continues the same conversation there
    again = client.post(
        f"/api/v1/conversations/{first.pk}/reply", json={"text": "추가 안내", "inbox_id": app.pk}
    )
    assert again.json()["conversation_id"] == target.pk
    # and the own inbox (or no inbox_id) is the conversation's channel
    own = client.post(
        f"/api/v1/conversations/{first.pk}/reply", json={"text": "여기로", "inbox_id": first.inbox_id}
    )
    assert own.json()["conversation_id"] == first.pk


def test_email_reply_uses_the_customers_address_as_their_email_identity(agent, api, first, workspace):
    mail = create_inbox(workspace, kind="email", name="고객센터 메일").inbox
    client = api(agent)
    names = [
        c["inbox"]["name"] for c in client.get(f"/api/v1/conversations/{first.pk}/reply-channels").json()
    ]
    assert names == ["쇼핑몰 API", "고객센터 메일"]
    response = client.post(
        f"/api/v1/conversations/{first.pk}/reply", json={"text": "메일로 보냅니다", "inbox_id": mail.pk}
    )
    assert response.status_code == 201, response.content
    identity = Identity.objects.get(customer_id=first.customer_id, kind="email")
    assert identity.external_id == "minji@example.kr"
    target = Conversation.objects.get(pk=response.json()["conversation_id"])
    assert (target.inbox_id, target.subject) == (mail.pk, first.subject)


def test_unreachable_channel_is_refused_and_nothing_is_written(agent, api, first, workspace, other_api_inbox):
    kakao = create_inbox(workspace, kind="kakao", name="카카오").inbox
    client = api(agent)
    before = (Conversation.objects.count(), Message.objects.count(), Identity.objects.count())
    response = client.post(
        f"/api/v1/conversations/{first.pk}/reply", json={"text": "안녕하세요", "inbox_id": kakao.pk}
    )
    assert (response.status_code, response.json()["code"]) == (400, "no_identity_on_channel")
    response = client.post(
        f"/api/v1/conversations/{first.pk}/reply",
        json={"text": "안녕하세요", "inbox_id": other_api_inbox.inbox.pk},
    )
    assert (response.status_code, response.json()["code"]) == (404, "inbox_not_found")
    response = client.post(
        f"/api/v1/conversations/{first.pk}/reply", json={"text": " ", "inbox_id": kakao.pk}
    )
    assert (response.status_code, response.json()["code"]) == (400, "empty_message")
    assert (Conversation.objects.count(), Message.objects.count(), Identity.objects.count()) == before


def test_composer_offers_the_reachable_channels(agent, first, workspace):
    create_inbox(workspace, kind="api", name="앱 푸시")
    create_inbox(workspace, kind="kakao", name="카카오")
    client = Client()
    client.force_login(agent.user)
    html = client.get(f"/inbox/conversations/{first.pk}").content.decode()
    assert 'id="composer-inbox"' in html
    assert "앱 푸시" in html and "카카오" not in html
