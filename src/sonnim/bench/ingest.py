"""`sonnim bench ingest`: inbound messages over real HTTP into the real server, through the whole pipeline.

http mode posts one message per request from several keep-alive connections at once; batch mode posts
up to 1,000 messages per request (one connection at a time, as a shop's sync job would). Latency is per
request, measured by the client; throughput is messages over the wall time of the whole run."""

import asyncio
import json
import random
import time

from sonnim.conversations.models import Message
from sonnim.core.services import create_workspace
from sonnim.inboxes.services import create_inbox

from .common import (
    Server,
    bench_database,
    http_exchange,
    korean_texts,
    latency_summary,
    machine_load,
)

CONNECTIONS = 4  # a shop's system posting from a few workers; more give bigger group commits (--connections)
BATCH_SIZE = 1000
WARMUP = 50


def run(
    *, mode: str = "http", messages: int = 2000, connections: int = CONNECTIONS, workers: int = 1, **_options
) -> dict:
    with bench_database() as database_url:
        workspace = create_workspace(name="bench ingest")
        created = create_inbox(workspace, kind="api", name="bench")
        payloads = make_payloads(messages + WARMUP, seed=messages)
        with Server(database_url, workers=workers) as server:
            client = InboundClient(server.port, created.inbox.pk, created.key)
            # The first message loads Kiwi inside its write transaction, which holds every other writer
            # back for as long: send it alone, then warm the connections up.
            asyncio.run(client.send_singles(payloads[:1], 1))
            asyncio.run(client.send_singles(payloads[1:WARMUP], connections))
            body = payloads[WARMUP:]
            load, cpu = machine_load(), server.cpu_seconds()
            started = time.perf_counter()
            if mode == "batch":
                latencies = asyncio.run(client.send_batches(body, BATCH_SIZE))
            else:
                latencies = asyncio.run(client.send_singles(body, connections))
            elapsed = time.perf_counter() - started
            cpu = server.cpu_seconds() - cpu
            rss = server.peak_rss_mb()
        stored = Message.objects.filter(workspace=workspace, direction="in").count()
    if stored != messages + WARMUP:
        raise RuntimeError(f"stored {stored} messages, sent {messages + WARMUP}")
    return {
        "mode": mode,
        "messages": messages,
        "msgs_per_s": round(messages / elapsed, 1),
        **latency_summary(latencies),
        "peak_rss_mb": rss,
        # the server's own CPU per message: comparable across runs even when the machine is busy
        "server_cpu_ms_per_msg": round(cpu * 1000 / messages, 2),
        "load_avg_1m": [load, machine_load()],
        "requests": len(latencies),
        "connections": connections if mode == "http" else 1,
        "workers": workers,
        "database": database_url.split(":", 1)[0],
    }


def make_payloads(count: int, *, seed: int) -> list[dict]:
    """Korean messages from count/4 senders: most continue a customer's running conversation, a fifth
    of the senders give contact data that identity resolution looks up by blind index."""
    rng = random.Random(seed)
    texts = korean_texts(300)
    senders = max(1, count // 4)
    payloads = []
    for n in range(count):
        s = rng.randrange(senders)
        sender = {"external_id": f"member-{s}", "name": f"고객{s}"}
        if s % 5 == 0:
            sender.update(email=f"member{s}@example.com", phone=f"010-{1000 + s % 9000}-{s % 10000:04d}")
        payloads.append({"external_id": f"bench-{seed}-{n}", "sender": sender, "text": rng.choice(texts)})
    return payloads


class InboundClient:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams: the machine has two cores, and the
    client's own overhead must not eat the server's."""

    def __init__(self, port: int, inbox_id: int, key: str) -> None:
        self.port = port
        self.inbox_id = inbox_id
        self.key = key

    def _request(self, path: str, body: dict) -> bytes:
        data = json.dumps(body, ensure_ascii=False).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nAuthorization: Bearer {self.key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
        )
        return head.encode() + data

    async def _post(self, reader, writer, request: bytes, expected: tuple[int, ...]) -> float:
        started = time.perf_counter()
        status, body = await http_exchange(reader, writer, request)
        if status not in expected:
            raise RuntimeError(f"HTTP {status}: {body[:300]!r}")
        return time.perf_counter() - started

    async def send_singles(self, payloads: list[dict], connections: int) -> list[float]:
        path = f"/api/v1/inboxes/{self.inbox_id}/messages"
        requests = [self._request(path, p) for p in payloads]
        latencies: list[float] = []

        async def worker(share: list[bytes]) -> None:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            for request in share:
                latencies.append(await self._post(reader, writer, request, (201,)))
            writer.close()

        await asyncio.gather(*(worker(requests[i::connections]) for i in range(connections)))
        return latencies

    async def send_batches(self, payloads: list[dict], size: int) -> list[float]:
        path = f"/api/v1/inboxes/{self.inbox_id}/messages/batch"
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        latencies = []
        for start in range(0, len(payloads), size):
            request = self._request(path, {"messages": payloads[start : start + size]})
            latencies.append(await self._post(reader, writer, request, (200,)))
        writer.close()
        return latencies
