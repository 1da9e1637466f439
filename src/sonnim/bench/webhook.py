"""`sonnim bench webhook --channel talktalk|kakao`: platform webhooks over real HTTP into the real server.

TalkTalk events go to /hooks/talktalk/<key> (allow-listed from 127.0.0.1), Kakao skill requests to
/hooks/kakao/skill/<key> with the shared secret; each is stored through the whole pipeline and answered
(Kakao with its SkillResponse). Several keep-alive connections post at once, as the platforms do; latency
is per request, measured by the client, throughput is messages over the wall time of the run. The server's
first requests (imports, the Korean tokenizer) are a warm-up and not timed."""

import asyncio
import json
import time

from sonnim.conversations.models import Message
from sonnim.core.services import create_workspace
from sonnim.inboxes.services import create_inbox

from .common import Server, bench_database, http_exchange, korean_texts, latency_summary

CONNECTIONS = 4
WARMUP = 30
SECRET = "bench-skill-secret"


def run(*, channel: str = "kakao", messages: int = 1000, **_options) -> dict:
    with bench_database() as database_url:
        workspace = create_workspace(name=f"bench webhook {channel}")
        if channel == "talktalk":
            created = create_inbox(
                workspace, kind="talktalk", name="bench", settings={"allowed_ips": ["127.0.0.1/32"]}
            )
            path, headers = f"/hooks/talktalk/{created.key}", {}
        else:
            created = create_inbox(workspace, kind="kakao", name="bench", credentials={"secret": SECRET})
            path, headers = f"/hooks/kakao/skill/{created.key}", {"X-Sonnim-Secret": SECRET}
        payloads = make_payloads(channel, messages + WARMUP)
        with Server(database_url) as server:
            client = WebhookClient(server.port, path, headers)
            asyncio.run(client.send(payloads[:WARMUP], CONNECTIONS))
            started = time.perf_counter()
            latencies = asyncio.run(client.send(payloads[WARMUP:], CONNECTIONS))
            elapsed = time.perf_counter() - started
            rss = server.peak_rss_mb()
        stored = Message.objects.filter(workspace=workspace, direction="in").count()
    if stored != messages + WARMUP:
        raise RuntimeError(f"stored {stored} messages, sent {messages + WARMUP}")
    return {
        "channel": channel,
        "messages": messages,
        "msgs_per_s": round(messages / elapsed, 1),
        **latency_summary(latencies),
        "peak_rss_mb": rss,
        "connections": CONNECTIONS,
        "database": database_url.split(":", 1)[0],
    }


def make_payloads(channel: str, count: int) -> list[dict]:
    """Korean texts from count/4 users; each body distinct (TalkTalk and Kakao give no message id, and
    identical bodies from one user within seconds count as one redelivered event)."""
    texts = korean_texts(200)
    users = max(1, count // 4)
    payloads = []
    for n in range(count):
        user, text = f"bench-user-{n % users}", f"{texts[n % len(texts)]} #{n}"
        if channel == "talktalk":
            payloads.append(
                {"event": "send", "user": user, "textContent": {"text": text, "inputType": "typing"}}
            )
        else:
            payloads.append(
                {
                    "intent": {"id": "blk", "name": "문의"},
                    "userRequest": {
                        "utterance": text,
                        "user": {"id": user, "type": "botUserKey", "properties": {"plusfriendUserKey": user}},
                    },
                    "bot": {"id": "bot", "name": "bench"},
                    "action": {"name": "sonnim", "params": {}},
                }
            )
    return payloads


class WebhookClient:
    """HTTP/1.1 keep-alive on asyncio streams: cheap enough to leave the two cores to the server."""

    def __init__(self, port: int, path: str, headers: dict[str, str]) -> None:
        self.port, self.path = port, path
        self.extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())

    def _request(self, body: dict) -> bytes:
        data = json.dumps(body, ensure_ascii=False).encode()
        head = (
            f"POST {self.path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n{self.extra}"
            f"Content-Type: application/json;charset=UTF-8\r\nContent-Length: {len(data)}\r\n\r\n"
        )
        return head.encode() + data

    async def _post(self, reader, writer, request: bytes) -> float:
        started = time.perf_counter()
        status, body = await http_exchange(reader, writer, request)
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {body[:300]!r}")
        return time.perf_counter() - started

    async def send(self, payloads: list[dict], connections: int) -> list[float]:
        requests = [self._request(p) for p in payloads]
        latencies: list[float] = []

        async def worker(share: list[bytes]) -> None:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            for request in share:
                latencies.append(await self._post(reader, writer, request))
            writer.close()

        await asyncio.gather(*(worker(requests[i::connections]) for i in range(connections)))
        return latencies
