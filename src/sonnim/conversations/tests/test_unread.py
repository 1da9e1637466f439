"""Unread per agent: the list compares the conversation's message_count with the agent's read marker (no
query over messages), opening the conversation clears it, a new message makes it unread again."""

import re

import pytest
from django.test import Client

from sonnim.core.actors import Actor
from sonnim.testing.fixtures import inbound_payload

from ..models import Conversation, ReadMarker
from ..services import add_note

pytestmark = pytest.mark.django_db


def browser(agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def unread(html: str) -> dict[int, int]:
    """conversation id -> the row's unread badge (0 when the row is not unread)."""
    rows = re.findall(r'<li class="row([^"]*)" data-id="(\d+)".*?</li>', html, flags=re.S)
    result = {}
    for classes, pk in rows:
        block = re.search(rf'data-id="{pk}".*?</li>', html, flags=re.S).group(0)
        badge = re.search(r'data-unread="(\d+)"', block)
        assert ("is-unread" in classes) == bool(badge)
        result[int(pk)] = int(badge.group(1)) if badge else 0
    return result


@pytest.fixture
def send(api_inbox, post_inbound):
    def post(external_id: str, sender: str, text: str = "문의드려요") -> int:
        response = post_inbound(api_inbox, inbound_payload(external_id, sender, text))
        assert response.status_code == 201
        return response.json()["conversation_id"]

    return post


def test_new_conversations_are_unread_until_opened(agent, supervisor, send):
    first = send("m-1", "u-1")
    send("m-2", "u-1")  # the same customer's running thread: two new messages
    second = send("m-3", "u-2")
    client = browser(agent)
    assert unread(client.get("/").content.decode()) == {first: 2, second: 1}
    # opening it (the partial the JS loads) marks it read for this agent only
    assert client.get(f"/inbox/conversations/{first}").status_code == 200
    assert unread(client.get("/").content.decode()) == {first: 0, second: 1}
    assert unread(browser(supervisor).get("/").content.decode()) == {first: 2, second: 1}
    # a new customer message: unread again, with the count of what is new
    send("m-4", "u-1")
    assert unread(client.get("/").content.decode())[first] == 1
    html = client.get(f"/inbox/rows/{first}", {"view": "open"}).content.decode()
    assert 'class="row is-unread"' in html and 'data-unread="1"' in html
    # the first paint with ?c= marks it read too
    client.get("/", {"c": second})
    assert unread(client.get("/").content.decode()) == {first: 1, second: 0}


def test_notes_do_not_make_it_unread_and_own_reply_keeps_it_read(agent, api, send):
    conversation_id = send("m-1", "u-1")
    client = api(agent)
    assert client.post(f"/api/v1/conversations/{conversation_id}/read").status_code == 204
    add_note(Conversation.objects.get(pk=conversation_id), text="메모", actor=Actor.agent(agent))
    assert (
        client.post(
            f"/api/v1/conversations/{conversation_id}/reply", json={"text": "확인했습니다"}
        ).status_code
        == 201
    )
    assert unread(browser(agent).get("/").content.decode()) == {conversation_id: 0}
    marker = ReadMarker.objects.get(agent=agent, conversation_id=conversation_id)
    assert marker.message_count == Conversation.objects.get(pk=conversation_id).message_count == 2


def test_read_of_another_workspaces_conversation_is_404(other_workspace_agent, api, send):
    conversation_id = send("m-1", "u-1")
    response = api(other_workspace_agent).post(f"/api/v1/conversations/{conversation_id}/read")
    assert (response.status_code, response.json()["code"]) == (404, "conversation_not_found")
    assert not ReadMarker.objects.exists()


def test_unread_costs_one_query_per_page(agent, send, django_assert_num_queries):
    client = browser(agent)
    for i in range(3):
        send(f"m-{i}", f"u-{i}")
    client.get("/")
    with django_assert_num_queries(15):
        assert len(unread(client.get("/").content.decode())) == 3
    for i in range(3, 12):
        send(f"m-{i}", f"u-{i}")
    client.get("/")
    with django_assert_num_queries(15):
        assert sum(unread(client.get("/").content.decode()).values()) == 12


def test_list_api_gives_the_callers_unread_count(agent, supervisor, api, send):
    conversation_id = send("m-1", "u-1")
    send("m-2", "u-1")
    assert api(agent).post(f"/api/v1/conversations/{conversation_id}/read").status_code == 204
    send("m-3", "u-1")
    items = api(agent).get("/api/v1/conversations", status="open").json()["items"]
    assert [(c["id"], c["unread_count"]) for c in items] == [(conversation_id, 1)]
    items = api(supervisor).get("/api/v1/conversations", status="open").json()["items"]
    assert [c["unread_count"] for c in items] == [3]
    detail = api(agent).get(f"/api/v1/conversations/{conversation_id}").json()
    assert detail["unread_count"] is None  # the list call only
