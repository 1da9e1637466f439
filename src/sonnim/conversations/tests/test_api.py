"""The agent API, entered the way scripts and the UI enter it: HTTP with a token or a session."""

from datetime import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from sonnim.commerce.models import Order, OrderItem
from sonnim.core.choices import Role
from sonnim.core.models import Event
from sonnim.core.services import create_team
from sonnim.customers.models import Customer
from sonnim.inboxes.services import create_inbox
from sonnim.testing.fixtures import InboxWithKey, inbound_payload, make_agent

from ..choices import DeliveryStatus
from ..models import Conversation, Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbound(api_inbox, post_inbound):
    """inbound(external_id, sender_id, text, target=api_inbox) -> the inbound API's JSON answer."""

    def send(external_id: str, sender_id: str = "u-1", text: str = "배송 언제 오나요?", target=None, **extra):
        response = post_inbound(target or api_inbox, inbound_payload(external_id, sender_id, text, **extra))
        assert response.status_code == 201, response.content
        return response.json()

    return send


@pytest.fixture
def conversation(inbound) -> Conversation:
    return Conversation.objects.get(pk=inbound("c-1")["conversation_id"])


def event_count(workspace, type_: str | None = None) -> int:
    qs = Event.objects.filter(workspace=workspace)
    return (qs.filter(type=type_) if type_ else qs).count()


def conversation_state(pk: int) -> tuple:
    c = Conversation.objects.get(pk=pk)
    return (
        c.status,
        c.priority,
        c.assignee_id,
        c.team_id,
        c.customer_id,
        sorted(c.tags.values_list("name", flat=True)),
    )


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


# --- the list contract, filters and pagination -------------------------------------------------------


def test_list_contract(api, agent, api_inbox, inbound):
    sent = inbound("m-1", text="환불해주세요")
    response = api(agent).get("/api/v1/conversations", status="open")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"items", "next_cursor"}
    assert body["next_cursor"] is None
    [item] = body["items"]
    message = Message.objects.get(pk=sent["message_id"])
    assert item["id"] == sent["conversation_id"]
    assert (item["status"], item["priority"]) == ("open", "medium")
    assert item["customer"] == {"id": sent["customer_id"], "name": "김민지"}
    assert {k: item["inbox"][k] for k in ("id", "kind")} == {"id": api_inbox.inbox.pk, "kind": "api"}
    assert item["last_message"]["text"] == "환불해주세요"
    shown = datetime.fromisoformat(item["last_message"]["created_at"])  # JSON times carry milliseconds
    assert shown == message.created_at.replace(microsecond=message.created_at.microsecond // 1000 * 1000)


def test_list_filters(api, workspace, agent, supervisor, inbound, post_inbound):
    second = create_inbox(workspace, kind="api", name="second")
    second_inbox = InboxWithKey(second.inbox, second.key)
    a = inbound("a", "u-a", "환불해주세요")["conversation_id"]
    b = inbound("b", "u-b", "반품요청합니다")["conversation_id"]
    c = inbound("c", "u-c", "Where is my parcel?")["conversation_id"]
    d = inbound("d", "u-d", "사이즈 교환 문의", target=second_inbox)["conversation_id"]
    team = create_team(workspace, name="배송팀")
    client = api(agent)
    assert client.post(f"/api/v1/conversations/{a}/assign", json={"assignee_id": agent.pk}).status_code == 200
    assert (
        client.post(f"/api/v1/conversations/{b}/assign", json={"assignee_id": supervisor.pk}).status_code
        == 200
    )
    assert client.post(f"/api/v1/conversations/{c}/team", json={"team_id": team.pk}).status_code == 200
    assert client.post(f"/api/v1/conversations/{b}/tags", json={"add": ["vip"]}).status_code == 200
    assert client.post(f"/api/v1/conversations/{c}/priority", json={"priority": "urgent"}).status_code == 200
    assert client.post(f"/api/v1/conversations/{d}/status", json={"status": "pending"}).status_code == 200

    url = "/api/v1/conversations"
    assert ids(client.get(url)) == [d, c, b, a]
    assert ids(client.get(url, status="open")) == [c, b, a]
    assert ids(client.get(url, status="pending")) == [d]
    assert ids(client.get(url, status="active")) == [d, c, b, a]
    assert ids(client.get(url, assignee="me")) == [a]
    assert ids(client.get(url, assignee=str(supervisor.pk))) == [b]
    assert ids(client.get(url, assignee="none")) == [d, c]
    assert ids(client.get(url, team=team.pk)) == [c]
    assert ids(client.get(url, inbox=second.inbox.pk)) == [d]
    assert ids(client.get(url, tag="vip")) == [b]
    assert ids(client.get(url, priority="urgent")) == [c]
    assert ids(client.get(url, q="환불")) == [a]
    assert ids(client.get(url, q="반품")) == [b]
    assert ids(client.get(url, q="parcel")) == [c]
    assert ids(client.get(url, q="PARCEL")) == [c]
    assert ids(client.get(url, q="교환")) == [d]
    assert ids(client.get(url, q="김민지")) == [d, c, b, a]  # the customer's name matches every one
    assert ids(client.get(url, q="환불", assignee="none")) == []
    bad = client.get(url, assignee="someone")
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_input")


def test_cursor_pagination_walks_every_row_once_newest_first(api, agent, inbound):
    created = [inbound(f"p{i}", f"u{i}")["conversation_id"] for i in range(7)]
    inbound("p-again", "u2")  # activity on an old conversation moves it to the top
    expected = [created[2], *reversed(created[3:]), created[1], created[0]]
    client = api(agent)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/v1/conversations", **params).json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == expected
    assert pages == 3


@pytest.mark.parametrize("cursor", ["garbage!", "eHx5", "MjAyNi0wMS0wMXxhYmM", "%%%"])
def test_bad_cursor_is_400(api, agent, cursor):
    response = api(agent).get("/api/v1/conversations", cursor=cursor)
    assert (response.status_code, response.json()["code"]) == (400, "bad_cursor")


# --- no N+1 ------------------------------------------------------------------------------------------


def _decorate(client, conversation_id: int, agent, team) -> None:
    """Give a conversation every related row the list and detail show: assignee, team, tags, note, reply."""
    client.post(f"/api/v1/conversations/{conversation_id}/assign", json={"assignee_id": agent.pk})
    client.post(f"/api/v1/conversations/{conversation_id}/team", json={"team_id": team.pk})
    client.post(f"/api/v1/conversations/{conversation_id}/tags", json={"add": ["a", "b"]})


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


def test_list_runs_constant_queries(api, workspace, agent, inbound, django_assert_num_queries):
    team = create_team(workspace, name="팀")
    client = api(agent)
    client.get("/api/v1/me")  # the token's last_used_at is written once a minute: not in the count below
    for i in range(2):
        _decorate(client, inbound(f"n{i}", f"u{i}")["conversation_id"], agent, team)
    with django_assert_num_queries(4):  # token, conversations with their joins, tags, caller's read markers
        assert len(client.get("/api/v1/conversations").json()["items"]) == 2
    for i in range(2, 20):
        _decorate(client, inbound(f"n{i}", f"u{i}")["conversation_id"], agent, team)
    with django_assert_num_queries(4):
        assert len(client.get("/api/v1/conversations", limit=50).json()["items"]) == 20
    with django_assert_num_queries(5):  # + the search query
        assert len(client.get("/api/v1/conversations", q="배송", limit=50).json()["items"]) == 20


def test_detail_runs_constant_queries(
    api, workspace, agent, conversation, inbound, django_assert_num_queries
):
    client = api(agent)
    client.get("/api/v1/me")
    url = f"/api/v1/conversations/{conversation.pk}"
    _decorate(client, conversation.pk, agent, create_team(workspace, name="팀"))
    client.post(f"{url}/notes", json={"text": "메모 0"})
    n = count_queries(client, url)
    for i in range(6):
        inbound(f"more-{i}")
        client.post(f"{url}/reply", json={"text": f"답장 {i}"})
        client.post(f"{url}/notes", json={"text": f"메모 {i}"})
    with django_assert_num_queries(n):
        assert len(client.get(url).json()["messages"]) == 20
    assert n == 5  # token, conversation, tags, messages, attachments


def test_customer_360_runs_constant_queries(api, workspace, agent, inbound, django_assert_num_queries):
    client = api(agent)
    client.get("/api/v1/me")
    customer_id = inbound("o-0", "u-1", thread_key="t0")["customer_id"]
    customer = Customer.objects.get(pk=customer_id)

    def add_order(i: int) -> None:
        order = Order.objects.create(
            workspace=workspace, customer=customer, number=f"ORD-{i}", total_krw=1000 * i
        )
        OrderItem.objects.create(
            workspace=workspace, order=order, name="티셔츠", quantity=1, unit_price_krw=1000 * i
        )
        OrderItem.objects.create(workspace=workspace, order=order, name="양말", quantity=2, unit_price_krw=0)

    inbound("o-1", "u-1", thread_key="t1")
    add_order(0)
    add_order(1)
    url = f"/api/v1/customers/{customer_id}"
    n = count_queries(client, url)
    for i in range(2, 20):
        inbound(f"o-{i}", "u-1", thread_key=f"t{i}")
        add_order(i)
    with django_assert_num_queries(n):
        body = client.get(url).json()
    assert (len(body["conversations"]), len(body["orders"])) == (20, 20)
    assert n == 8  # token, customer, orders, items, conversations, tags, identities, merges


# --- detail and writes -------------------------------------------------------------------------------


def test_detail_with_messages(api, agent, conversation, inbound):
    inbound("c-2", text="두 번째 메시지")
    client = api(agent)
    client.post(f"/api/v1/conversations/{conversation.pk}/reply", json={"text": "확인해 드릴게요"})
    body = client.get(f"/api/v1/conversations/{conversation.pk}").json()
    assert body["id"] == conversation.pk
    assert [(m["direction"], m["text"]) for m in body["messages"]] == [
        ("in", "배송 언제 오나요?"),
        ("in", "두 번째 메시지"),
        ("out", "확인해 드릴게요"),
    ]
    assert body["messages"][2]["author"] == {"kind": "agent", "id": agent.pk, "name": agent.display_name}
    assert body["message_count"] == 3
    assert body["last_message"]["text"] == "확인해 드릴게요"


def test_reply_is_queued_and_enqueued(
    api, agent, conversation, workspace, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api(agent).post(
            f"/api/v1/conversations/{conversation.pk}/reply", json={"text": "곧 보내드려요"}
        )
    assert response.status_code == 201
    body = response.json()
    assert (body["direction"], body["delivery_status"], body["text"], body["attempts"]) == (
        "out",
        "queued",
        "곧 보내드려요",
        0,
    )
    message = Message.objects.get(pk=body["id"])
    assert (message.conversation_id, message.delivery_status) == (conversation.pk, DeliveryStatus.QUEUED)
    [task] = DBTaskResult.objects.all()
    assert task.args_kwargs["kwargs"] == {"workspace_id": workspace.pk, "message_id": message.pk}
    assert Conversation.objects.get(pk=conversation.pk).first_response_at == message.created_at
    assert event_count(workspace, "message.queued") == 1


def test_note_is_never_delivered(api, agent, conversation, workspace, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api(agent).post(
            f"/api/v1/conversations/{conversation.pk}/notes", json={"text": "VIP 고객"}
        )
    assert response.status_code == 201
    body = response.json()
    assert (body["direction"], body["delivery_status"], body["text"]) == ("note", "", "VIP 고객")
    assert not DBTaskResult.objects.exists()
    assert Conversation.objects.get(pk=conversation.pk).first_response_at is None
    assert event_count(workspace, "note.added") == 1


def test_empty_reply_is_refused(api, agent, conversation):
    response = api(agent).post(f"/api/v1/conversations/{conversation.pk}/reply", json={"text": "  "})
    assert (response.status_code, response.json()["code"]) == (400, "empty_message")
    assert Message.objects.filter(direction="out").count() == 0


def test_assign_and_unassign(api, agent, supervisor, conversation, workspace):
    client = api(supervisor)
    url = f"/api/v1/conversations/{conversation.pk}/assign"
    first = client.post(url, json={"assignee_id": agent.pk})
    assert first.status_code == 200
    assert first.json()["assignee"] == {"id": agent.pk, "name": agent.display_name}
    again = client.post(url, json={"assignee_id": agent.pk})
    assert again.json()["assignee"]["id"] == agent.pk
    assert event_count(workspace, "conversation.assigned") == 1
    cleared = client.post(url, json={"assignee_id": None})
    assert cleared.json()["assignee"] is None
    assert Conversation.objects.get(pk=conversation.pk).assignee_id is None
    data = list(
        Event.objects.filter(workspace=workspace, type="conversation.assigned")
        .order_by("seq")
        .values_list("data", flat=True)
    )
    assert data == [
        {"assignee_id": agent.pk, "previous_assignee_id": None},
        {"assignee_id": None, "previous_assignee_id": agent.pk},
    ]


def test_team(api, agent, conversation, workspace):
    team = create_team(workspace, name="환불팀")
    response = api(agent).post(f"/api/v1/conversations/{conversation.pk}/team", json={"team_id": team.pk})
    assert response.json()["team"] == {"id": team.pk, "name": "환불팀"}
    assert Conversation.objects.get(pk=conversation.pk).team_id == team.pk
    missing = api(agent).post(
        f"/api/v1/conversations/{conversation.pk}/team", json={"team_id": team.pk + 999}
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "team_not_found")
    assert Conversation.objects.get(pk=conversation.pk).team_id == team.pk


def test_status_transitions(api, agent, conversation, workspace):
    client = api(agent)
    url = f"/api/v1/conversations/{conversation.pk}/status"
    assert client.post(url, json={"status": "pending"}).json()["status"] == "pending"
    resolved = client.post(url, json={"status": "resolved"}).json()
    assert resolved["status"] == "resolved" and resolved["resolved_at"] is not None
    assert client.post(url, json={"status": "closed"}).json()["status"] == "closed"
    events_before = event_count(workspace)
    refused = client.post(url, json={"status": "open"})
    assert (refused.status_code, refused.json()["code"]) == (409, "invalid_status_transition")
    unknown = client.post(url, json={"status": "deleted"})
    assert (unknown.status_code, unknown.json()["code"]) == (400, "invalid_input")
    assert Conversation.objects.get(pk=conversation.pk).status == "closed"
    assert event_count(workspace) == events_before
    changes = Event.objects.filter(workspace=workspace, type="conversation.status_changed").order_by("seq")
    assert [(e.data["previous"], e.data["status"]) for e in changes] == [
        ("open", "pending"),
        ("pending", "resolved"),
        ("resolved", "closed"),
    ]


def test_priority(api, agent, conversation, workspace):
    client = api(agent)
    url = f"/api/v1/conversations/{conversation.pk}/priority"
    assert client.post(url, json={"priority": "high"}).json()["priority"] == "high"
    bad = client.post(url, json={"priority": "extreme"})
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_input")
    assert Conversation.objects.get(pk=conversation.pk).priority == "high"
    assert event_count(workspace, "conversation.priority_changed") == 1


def test_tags_add_and_remove(api, agent, conversation, workspace):
    client = api(agent)
    url = f"/api/v1/conversations/{conversation.pk}/tags"
    assert client.post(url, json={"add": ["환불", "vip"]}).json()["tags"] == ["vip", "환불"]
    assert client.post(url, json={"add": ["vip"]}).json()["tags"] == ["vip", "환불"]  # no change, no event
    assert client.post(url, json={"remove": ["vip"], "add": ["긴급"]}).json()["tags"] == ["긴급", "환불"]
    changes = Event.objects.filter(workspace=workspace, type="conversation.tags_changed").order_by("seq")
    assert [(e.data["added"], e.data["removed"]) for e in changes] == [
        (["vip", "환불"], []),
        (["긴급"], ["vip"]),
    ]


def test_idempotency_key_on_reply(api, agent, conversation, workspace):
    client = api(agent)
    url = f"/api/v1/conversations/{conversation.pk}/reply"
    first = client.post(url, json={"text": "한 번만"}, **{"Idempotency-Key": "k-1"})
    replay = client.post(url, json={"text": "한 번만"}, **{"Idempotency-Key": "k-1"})
    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.json() == first.json()
    assert Message.objects.filter(direction="out").count() == 1
    other = client.post(url, json={"text": "다른 내용"}, **{"Idempotency-Key": "k-1"})
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    assert Message.objects.filter(direction="out").count() == 1
    assert event_count(workspace, "message.queued") == 1


# --- workspace isolation -----------------------------------------------------------------------------


@pytest.fixture
def world(workspace, other_workspace, agent, other_workspace_agent, api_inbox, other_api_inbox, inbound, api):
    """Workspace A with a conversation, a failed reply, two customers, an order and a merge; B with its own."""
    a1 = inbound("w-1", "wa-1", "환불해주세요")
    a2 = inbound("w-2", "wa-2", "반품요청합니다")
    api(agent).post(f"/api/v1/conversations/{a1['conversation_id']}/reply", json={"text": "답장"})
    failed = Message.objects.get(direction="out")
    Message.objects.filter(pk=failed.pk).update(delivery_status="failed", failure_reason="HTTP 500")
    a3 = inbound("w-3", "wa-3", "합칠 고객")
    a4 = inbound("w-4", "wa-4", "합칠 대상")
    merge = (
        api(agent)
        .post(
            "/api/v1/customers/merge", json={"source_id": a3["customer_id"], "target_id": a4["customer_id"]}
        )
        .json()
    )
    b1 = inbound("w-1", "wb-1", "다른 가게 환불", target=other_api_inbox)
    team = create_team(workspace, name="A팀")
    return {
        "conversation": a1["conversation_id"],
        "customer": a1["customer_id"],
        "customer2": a2["customer_id"],
        "message": failed.pk,
        "merge": merge["id"],
        "b_conversation": b1["conversation_id"],
        "b_customer": b1["customer_id"],
        "team": team.pk,
        "agent": agent.pk,
    }


def snapshot(workspace) -> tuple:
    customers = sorted(
        (c.pk, c.display_name, c.email, c.merged_into_id, c.notes)
        for c in Customer.objects.filter(workspace=workspace)
    )
    conversations = sorted(
        conversation_state(pk)
        for pk in Conversation.objects.filter(workspace=workspace).values_list("pk", flat=True)
    )
    messages = sorted(
        Message.objects.filter(workspace=workspace).values_list("pk", "delivery_status", "attempts")
    )
    return (event_count(workspace), customers, conversations, messages)


ISOLATED_CALLS = [
    ("get", "/api/v1/conversations/{conversation}", None, "conversation_not_found"),
    ("post", "/api/v1/conversations/{conversation}/reply", {"text": "침입"}, "conversation_not_found"),
    ("post", "/api/v1/conversations/{conversation}/notes", {"text": "침입"}, "conversation_not_found"),
    ("post", "/api/v1/conversations/{conversation}/assign", {"assignee_id": None}, "conversation_not_found"),
    ("post", "/api/v1/conversations/{b_conversation}/assign", {"assignee_id": "{agent}"}, "agent_not_found"),
    ("post", "/api/v1/conversations/{conversation}/team", {"team_id": None}, "conversation_not_found"),
    ("post", "/api/v1/conversations/{b_conversation}/team", {"team_id": "{team}"}, "team_not_found"),
    ("post", "/api/v1/conversations/{conversation}/status", {"status": "closed"}, "conversation_not_found"),
    (
        "post",
        "/api/v1/conversations/{conversation}/priority",
        {"priority": "urgent"},
        "conversation_not_found",
    ),
    ("post", "/api/v1/conversations/{conversation}/tags", {"add": ["x"]}, "conversation_not_found"),
    ("post", "/api/v1/messages/{message}/retry", None, "message_not_found"),
    ("get", "/api/v1/customers/{customer}", None, "customer_not_found"),
    ("patch", "/api/v1/customers/{customer}", {"name": "바뀐 이름", "notes": "x"}, "customer_not_found"),
    (
        "post",
        "/api/v1/customers/merge",
        {"source_id": "{customer}", "target_id": "{customer2}"},
        "customer_not_found",
    ),
    (
        "post",
        "/api/v1/customers/merge",
        {"source_id": "{b_customer}", "target_id": "{customer}"},
        "customer_not_found",
    ),
    (
        "post",
        "/api/v1/customers/merge",
        {"source_id": "{customer}", "target_id": "{b_customer}"},
        "customer_not_found",
    ),
    ("post", "/api/v1/customers/merges/{merge}/undo", None, "merge_not_found"),
]


def _fill(value, world: dict):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in world:
        return world[value[1:-1]]
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("method", "url", "body", "code"), ISOLATED_CALLS)
def test_other_workspace_objects_are_404_and_unchanged(
    api, world, workspace, other_workspace, other_workspace_agent, method, url, body, code
):
    client = api(other_workspace_agent)
    before = (snapshot(workspace), snapshot(other_workspace))
    url = url.format(**world)
    response = client.get(url) if method == "get" else getattr(client, method)(url, json=_fill(body, world))
    assert (response.status_code, response.json()["code"]) == (404, code)
    assert (snapshot(workspace), snapshot(other_workspace)) == before


def test_other_workspace_lists_show_nothing_of_ours(
    api, world, workspace, other_workspace, other_workspace_agent
):
    client = api(other_workspace_agent)
    assert ids(client.get("/api/v1/conversations")) == [world["b_conversation"]]
    assert (
        ids(
            client.get(
                "/api/v1/conversations", inbox=Conversation.objects.get(pk=world["conversation"]).inbox_id
            )
        )
        == []
    )
    assert ids(client.get("/api/v1/conversations", customer=world["customer"])) == []
    assert ids(client.get("/api/v1/conversations", q="환불")) == [world["b_conversation"]]
    assert ids(client.get("/api/v1/conversations", assignee=str(world["agent"]))) == []
    hits = client.get("/api/v1/search", q="환불").json()
    assert {h["conversation_id"] for h in hits} == {world["b_conversation"]}
    assert client.get("/api/v1/search", q="반품").json() == []
    events = client.get("/api/v1/events", after=0).json()["events"]
    own_seqs = list(
        Event.objects.filter(workspace=other_workspace).order_by("seq").values_list("seq", flat=True)
    )
    assert [e["seq"] for e in events] == own_seqs
    a_conversations = set(Conversation.objects.filter(workspace=workspace).values_list("pk", flat=True))
    a_customers = set(Customer.objects.filter(workspace=workspace).values_list("pk", flat=True))
    assert not {e["conversation_id"] for e in events} & a_conversations
    assert not {e["customer_id"] for e in events} & a_customers
    assert [i["id"] for i in client.get("/api/v1/inboxes").json()] == [
        Conversation.objects.get(pk=world["b_conversation"]).inbox_id
    ]
    assert [a["id"] for a in client.get("/api/v1/agents").json()] == [other_workspace_agent.pk]
    assert client.get("/api/v1/teams").json() == []
    me = client.get("/api/v1/me").json()
    assert (me["agent"]["id"], me["workspace"]["id"]) == (other_workspace_agent.pk, other_workspace.pk)
    assert me["last_seq"] == own_seqs[-1]


def test_assign_to_agent_of_other_workspace_is_refused(conversation, supervisor, other_workspace_agent, api):
    url = f"/api/v1/conversations/{conversation.pk}/assign"
    response = api(supervisor).post(url, json={"assignee_id": other_workspace_agent.pk})
    assert (response.status_code, response.json()["code"]) == (404, "agent_not_found")
    assert Conversation.objects.get(pk=conversation.pk).assignee_id is None
    assert not Event.objects.filter(workspace=conversation.workspace, type="conversation.assigned").exists()


# --- authentication ----------------------------------------------------------------------------------


@pytest.mark.parametrize("authorization", [None, "Bearer snm_not-a-token", "Token abc", "Bearer "])
def test_missing_or_bad_token_is_401(client, conversation, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    listed = client.get("/api/v1/conversations", **headers)
    replied = client.post(
        f"/api/v1/conversations/{conversation.pk}/reply",
        data={"text": "x"},
        content_type="application/json",
        **headers,
    )
    for response in (listed, replied):
        assert (response.status_code, response.json()["code"]) == (401, "auth_required")
    assert not Message.objects.filter(direction="out").exists()


def test_inbox_key_is_not_an_agent_token(client, api_inbox, conversation):
    response = client.get("/api/v1/conversations", HTTP_AUTHORIZATION=f"Bearer {api_inbox.key}")
    assert (response.status_code, response.json()["code"]) == (401, "auth_required")


def test_session_auth_reads_and_needs_csrf_to_write(workspace, conversation):
    agent = make_agent(workspace, "session@sample.kr", Role.AGENT)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent.user)
    listed = browser.get("/api/v1/conversations")
    assert ids(listed) == [conversation.pk]
    url = f"/api/v1/conversations/{conversation.pk}/notes"
    without = browser.post(url, data={"text": "메모"}, content_type="application/json")
    assert (without.status_code, without.json()["code"]) == (401, "auth_required")
    assert not Message.objects.filter(direction="note").exists()
    token = "a" * 32
    browser.cookies["csrftoken"] = token
    wrong = browser.post(
        url, data={"text": "메모"}, content_type="application/json", HTTP_X_CSRFTOKEN="b" * 32
    )
    assert wrong.status_code == 401
    ok = browser.post(url, data={"text": "메모"}, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert ok.status_code == 201
    assert ok.json()["author"]["id"] == agent.pk
    assert Message.objects.filter(direction="note").count() == 1
