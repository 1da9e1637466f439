"""The event log (sequence numbers, catch-up API) and its realtime side: the real server's websocket."""

import asyncio
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.conf import settings
from django.db import connection
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from sonnim.core.models import Event
from sonnim.core.services import create_api_token
from sonnim.inboxes.services import create_inbox
from sonnim.testing.fixtures import inbound_payload
from sonnim.testing.http import RecordingServer
from sonnim.testing.server import ServerProcess, subprocess_env


def run_async(coroutine):
    """asyncio.run on a thread of its own: a browser test earlier in this worker may have left an event
    loop running on the main thread (Playwright's sync API), where asyncio.run is refused."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


# --- the log and the catch-up API --------------------------------------------------------------------


def seqs(workspace) -> list[int]:
    return list(Event.objects.filter(workspace=workspace).order_by("seq").values_list("seq", flat=True))


@pytest.mark.django_db
def test_sequences_are_gapless_per_workspace(
    api, agent, other_workspace_agent, api_inbox, other_api_inbox, post_inbound
):
    for i in range(4):
        post_inbound(api_inbox, inbound_payload(f"a{i}", f"u{i % 2}"))
        post_inbound(other_api_inbox, inbound_payload(f"b{i}", "u0"))
    conversation_id = post_inbound(api_inbox, inbound_payload("a-last")).json()["conversation_id"]
    api(agent).post(f"/api/v1/conversations/{conversation_id}/priority", json={"priority": "high"})
    for ws in (agent.workspace, other_workspace_agent.workspace):
        numbers = seqs(ws)
        assert numbers == list(range(1, len(numbers) + 1))
        created = list(
            Event.objects.filter(workspace=ws).order_by("seq").values_list("created_at", flat=True)
        )
        assert created == sorted(created)
    assert len(seqs(agent.workspace)) > 10


@pytest.mark.django_db
def test_events_after_n_in_order_with_paging(
    api, agent, other_workspace_agent, api_inbox, other_api_inbox, post_inbound
):
    client = api(agent)
    start = client.get("/api/v1/me").json()["last_seq"]
    sent = post_inbound(api_inbox, inbound_payload("e1", text="환불해주세요")).json()
    post_inbound(other_api_inbox, inbound_payload("e1"))  # B's events must not show in A's stream
    client.post(f"/api/v1/conversations/{sent['conversation_id']}/tags", json={"add": ["환불"]})
    body = client.get("/api/v1/events", after=start).json()
    assert [(e["seq"], e["type"]) for e in body["events"]] == [
        (start + 1, "customer.created"),
        (start + 2, "conversation.created"),
        (start + 3, "message.received"),
        (start + 4, "conversation.tags_changed"),
    ]
    received = body["events"][2]
    assert received["conversation_id"] == sent["conversation_id"]
    assert received["customer_id"] == sent["customer_id"]
    assert received["actor"] == {"kind": "customer", "id": sent["customer_id"]}
    assert received["data"]["message_id"] == sent["message_id"]
    assert (body["last_seq"], body["has_more"]) == (start + 4, False)

    pages, after = [], 0
    while True:
        page = client.get("/api/v1/events", after=after, limit=3).json()
        pages.append([e["seq"] for e in page["events"]])
        if not page["has_more"]:
            break
        after = page["events"][-1]["seq"]
    walked = [s for p in pages for s in p]
    assert walked == seqs(agent.workspace) == list(range(1, start + 5))
    assert all(len(p) == 3 for p in pages[:-1])
    assert client.get("/api/v1/events", after=start + 4).json()["events"] == []
    assert client.get("/api/v1/events", after=0, limit=0).status_code == 422


# --- the websocket, on the real server ----------------------------------------------------------------


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker):
    """One real `sonnim serve` for this module's websocket tests (each test makes its own workspace)."""
    with django_db_blocker.unblock():
        process = ServerProcess()
    yield process
    output = process.stop()
    if "Traceback" in output:
        print(output[-5000:])


def ws_url(server: ServerProcess, token: str) -> str:
    return f"ws://127.0.0.1:{server.port}/ws/agent/?token={token}"


def ws_connect(server: ServerProcess, token: str):
    # A browser always sends Origin; the server checks it against ALLOWED_HOSTS.
    return connect(ws_url(server, token), origin=f"http://127.0.0.1:{server.port}", open_timeout=10)


async def receive(ws, timeout: float = 10) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def receive_until(ws, predicate, timeout: float = 10) -> tuple[dict, list[dict]]:
    """The first frame matching predicate, and every frame before it."""
    before: list[dict] = []
    deadline = time.monotonic() + timeout
    while True:
        frame = await receive(ws, max(0.01, deadline - time.monotonic()))
        if predicate(frame):
            return frame, before
        before.append(frame)


async def nothing_arrives(ws, seconds: float = 1.0) -> list[dict]:
    frames = []
    try:
        while True:
            frames.append(await receive(ws, seconds))
    except TimeoutError:
        return frames


def post_inbound_http(base_url: str, inbox, payload: dict) -> dict:
    response = httpx.post(
        f"{base_url}/api/v1/inboxes/{inbox.inbox.pk}/messages",
        json=payload,
        headers={"Authorization": f"Bearer {inbox.key}"},
        timeout=60,  # a fresh server loads the Kiwi model on its first message: slow on a busy machine
    )
    assert response.status_code == 201, response.text
    return response.json()


def is_event(type_: str):
    return lambda frame: frame.get("type") == "event" and frame["event"]["type"] == type_


@pytest.mark.django_db(transaction=True)
def test_websocket_pushes_inbound_message_with_its_seq(server, agent, other_workspace_agent, api_inbox):
    token = create_api_token(agent).key
    other_token = create_api_token(other_workspace_agent).key

    async def scenario():
        async with ws_connect(server, token) as ws, ws_connect(server, other_token) as other:
            hello = await receive(ws)
            other_hello = await receive(other)
            sent = await asyncio.to_thread(post_inbound_http, server.url, api_inbox, inbound_payload("ws-1"))
            pushed, before = await receive_until(ws, is_event("message.received"), timeout=5)
            return hello, other_hello, sent, pushed, before, await nothing_arrives(other, 1.0)

    hello, other_hello, sent, pushed, before, other_frames = run_async(scenario())
    last = hello["last_seq"]
    assert hello == {"type": "hello", "agent_id": agent.pk, "last_seq": last}
    assert last == seqs(agent.workspace)[-4]  # the three events of the message came after it
    assert [(f["event"]["seq"], f["event"]["type"]) for f in before] == [
        (last + 1, "customer.created"),
        (last + 2, "conversation.created"),
    ]
    event = pushed["event"]
    assert (event["seq"], event["conversation_id"], event["customer_id"]) == (
        last + 3,
        sent["conversation_id"],
        sent["customer_id"],
    )
    assert event["data"]["message_id"] == sent["message_id"]
    assert other_hello["last_seq"] == seqs(other_workspace_agent.workspace)[-1]
    assert other_frames == []  # workspace B hears nothing of A


@pytest.mark.django_db(transaction=True)
def test_websocket_refuses_bad_token(server, agent):
    async def scenario():
        try:
            async with ws_connect(server, "snm_wrong") as ws:
                await receive(ws, 5)
        except InvalidStatus as exc:
            return ("refused", exc.response.status_code)
        except ConnectionClosed as exc:
            return ("closed", exc.rcvd.code if exc.rcvd else None)
        return ("accepted", None)

    assert run_async(scenario()) in {("refused", 403), ("closed", 4401)}


@pytest.mark.django_db(transaction=True)
def test_websocket_origin_foreign_refused_missing_allowed(server, agent):
    """A foreign site's page may not open an agent socket; a script (no Origin) with a token may."""
    token = create_api_token(agent).key

    async def scenario():
        try:
            async with connect(ws_url(server, token), origin="http://evil.example", open_timeout=10):
                foreign = "accepted"
        except InvalidStatus as exc:
            foreign = exc.response.status_code
        async with connect(ws_url(server, token), open_timeout=10) as ws:
            hello = await receive(ws)
        return foreign, hello["type"]

    assert run_async(scenario()) == (403, "hello")


@pytest.mark.django_db(transaction=True)
def test_presence_reaches_colleagues_only(
    server, agent, supervisor, other_workspace_agent, api_inbox, post_inbound
):
    conversation_id = post_inbound(api_inbox, inbound_payload("pr-1")).json()["conversation_id"]
    tokens = [create_api_token(a).key for a in (agent, supervisor, other_workspace_agent)]

    async def scenario():
        async with ws_connect(server, tokens[0]) as mine, ws_connect(server, tokens[1]) as colleague:
            async with ws_connect(server, tokens[2]) as stranger:
                for ws in (mine, colleague, stranger):
                    await receive(ws)  # hello
                await mine.send(json.dumps({"type": "viewing", "conversation_id": conversation_id}))
                seen = await receive(colleague, 5)
                return seen, await nothing_arrives(stranger, 0.8), await nothing_arrives(mine, 0.2)

    seen, stranger_frames, own_frames = run_async(scenario())
    assert seen == {
        "type": "presence",
        "agent_id": agent.pk,
        "agent_name": agent.display_name,
        "conversation_id": conversation_id,
        "state": "viewing",
    }
    assert stranger_frames == []
    assert own_frames == []


# --- several processes: two web servers and a worker on PostgreSQL + Redis -------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_servers_and_a_worker_share_events_and_deliveries(workspace, agent):
    if connection.vendor != "postgresql":
        pytest.skip("several processes writing at once is the PostgreSQL deployment; SQLite runs one server")
    if not settings.REDIS_URL:
        pytest.skip("pushes between processes need the Redis channel layer (REDIS_URL)")
    token = create_api_token(agent).key
    with RecordingServer() as shop:
        created = create_inbox(workspace, kind="api", name="멀티", webhook_url=shop.url)
        inbox = type("Inbox", (), {"inbox": created.inbox, "key": created.key})
        worker = subprocess.Popen(
            [sys.executable, "-m", "sonnim.cli", "worker", "--interval", "0.1"],
            env=subprocess_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        one = two = None
        try:
            one, two = ServerProcess(), ServerProcess()

            async def scenario():
                async with ws_connect(two, token) as ws:
                    hello = await receive(ws)
                    sent = await asyncio.to_thread(post_inbound_http, one.url, inbox, inbound_payload("mp-1"))
                    received, _ = await receive_until(ws, is_event("message.received"))
                    reply = await asyncio.to_thread(
                        httpx.post,
                        f"{two.url}/api/v1/conversations/{sent['conversation_id']}/reply",
                        json={"text": "두 번째 서버에서 답장"},
                        headers={"Authorization": f"Bearer {token}"},
                        timeout=20,
                    )
                    delivered, _ = await receive_until(ws, is_event("message.sent"), timeout=15)
                    return hello, sent, received, reply, delivered

            try:
                hello, sent, received, reply, delivered = run_async(scenario())
            except Exception:
                print("server 1:", one.stop()[-4000:], "server 2:", two.stop()[-4000:], sep="\n")
                raise
        finally:
            for server in (one, two):
                if server is not None:
                    server.stop()
            worker.terminate()
            worker.wait(timeout=10)
        assert received["event"]["seq"] == hello["last_seq"] + 3
        assert received["event"]["conversation_id"] == sent["conversation_id"]
        assert reply.status_code == 201
        assert delivered["event"]["data"]["message_id"] == reply.json()["id"]
        [request] = shop.requests
        assert request.json()["text"] == "두 번째 서버에서 답장"
        assert request.json()["recipient"] == {"external_id": "u-1"}


@pytest.mark.django_db(transaction=True)
def test_serve_with_two_http_processes_loses_no_message_and_no_event(workspace, agent):
    """`serve --workers 2`: connections land on either process; every message is stored once and every
    event reaches a websocket held by one of them, in sequence, through Redis (SQLite writers of both
    processes queue on core/sqlite's file lock)."""
    if not settings.REDIS_URL:
        pytest.skip("pushes between processes need the Redis channel layer (REDIS_URL)")
    token = create_api_token(agent).key
    created = create_inbox(workspace, kind="api", name="두 프로세스")
    inbox = type("Inbox", (), {"inbox": created.inbox, "key": created.key})
    server = ServerProcess(workers=2)
    try:
        assert len(server.pids()) == 2  # the first process and one forked worker

        async def scenario():
            async with ws_connect(server, token) as ws:
                hello = await receive(ws)
                with ThreadPoolExecutor(max_workers=6) as pool:  # a new connection per message
                    sent = list(
                        pool.map(
                            lambda n: post_inbound_http(server.url, inbox, inbound_payload(f"wk-{n}")),
                            range(24),
                        )
                    )
                frames = []
                while len([f for f in frames if f["event"]["type"] == "message.received"]) < 24:
                    if (frame := await receive(ws, timeout=15))["type"] == "event":
                        frames.append(frame)
                return hello, sent, frames

        try:
            hello, sent, frames = run_async(scenario())
        except Exception:
            print(server.stop()[-4000:])
            raise
    finally:
        output = server.stop()
    assert "Traceback" not in output, output[-3000:]
    assert len({s["message_id"] for s in sent}) == 24 and not any(s["duplicate"] for s in sent)
    # Each process pushes its own commits in order; two processes' pushes may interleave on the way (the
    # client orders them by seq and asks for any gap), but none is lost.
    pushed = sorted(f["event"]["seq"] for f in frames)
    assert pushed == list(range(hello["last_seq"] + 1, hello["last_seq"] + 1 + len(pushed)))
    assert Event.objects.filter(workspace=workspace, type="message.received").count() == 24
