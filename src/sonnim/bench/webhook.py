"""`sonnim bench webhook --channel talktalk|kakao`: platform webhooks over real HTTP into the real server.

TalkTalk events go to /hooks/talktalk/<key> (allow-listed from 127.0.0.1), Kakao skill requests to
/hooks/kakao/skill/<key> with the shared secret; each is stored through the whole pipeline and answered
(Kakao with its SkillResponse). Several keep-alive connections post at once, as the platforms do; latency
is per request, measured by the client, throughput is messages over the wall time of the run. The server's
first requests (imports, the Korean tokenizer) are a warm-up and not timed.

Kakao measures the bot answering inside the skill response: the workspace gets the sample help center, the
inbox has its bot on, and customers ask the help-center questions of knowledge/data/kb_queries.jsonl. Each
response is read back and sorted by what it carries (see classify_skill_response); `answered_*` are the
latencies of the article answers alone. `--no-bot` runs the bot-less inbox (every request gets the
acknowledgment) with the demo shop's texts, as this bench did before."""

import asyncio
import json
import time
from collections import Counter
from pathlib import Path

from sonnim.assist.bot import TEXTS as BOT_TEXTS
from sonnim.conversations.models import Message
from sonnim.core.actors import SYSTEM
from sonnim.core.models import Workspace
from sonnim.core.services import create_workspace
from sonnim.inboxes.adapters.kakao import DEFAULT_ACK
from sonnim.inboxes.services import create_inbox, update_inbox
from sonnim.knowledge.services import import_articles

from .common import Server, bench_database, http_exchange, korean_texts, latency_summary

CONNECTIONS = 4
WARMUP = 30
SECRET = "bench-skill-secret"
KNOWLEDGE_DATA = Path(__file__).resolve().parent.parent / "knowledge" / "data"
SAMPLE_KB = KNOWLEDGE_DATA / "sample_kb.jsonl"
KB_QUERIES = KNOWLEDGE_DATA / "kb_queries.jsonl"
RESPONSE_KINDS = ("article", "bot", "unsure", "handoff", "ack", "callback")


def run(*, channel: str = "kakao", messages: int = 1000, no_bot: bool = False, **_options) -> dict:
    with_bot = channel == "kakao" and not no_bot
    with bench_database() as database_url:
        workspace = create_workspace(name=f"bench webhook {channel}")
        path, headers = open_inbox(workspace, channel, with_bot=with_bot)
        payloads = make_payloads(channel, messages + WARMUP, with_bot=with_bot)
        with Server(database_url) as server:
            client = WebhookClient(server.port, path, headers)
            asyncio.run(client.send(payloads[:WARMUP], CONNECTIONS))
            started = time.perf_counter()
            answers = asyncio.run(client.send(payloads[WARMUP:], CONNECTIONS))
            elapsed = time.perf_counter() - started
            rss = server.peak_rss_mb()
        stored = Message.objects.filter(workspace=workspace, direction="in").count()
    if stored != messages + WARMUP:
        raise RuntimeError(f"stored {stored} messages, sent {messages + WARMUP}")
    result = {
        "channel": channel,
        "messages": messages,
        "msgs_per_s": round(messages / elapsed, 1),
        **latency_summary([seconds for seconds, _body in answers]),
        "peak_rss_mb": rss,
        "connections": CONNECTIONS,
        "database": database_url.split(":", 1)[0],
    }
    if channel == "kakao":
        result.update(skill_summary(answers, with_bot=with_bot))
    return result


def open_inbox(workspace: Workspace, channel: str, *, with_bot: bool) -> tuple[str, dict[str, str]]:
    """The inbox the bench posts to, as (path, headers). With the bot: the sample help center first."""
    if channel == "talktalk":
        created = create_inbox(
            workspace, kind="talktalk", name="bench", settings={"allowed_ips": ["127.0.0.1/32"]}
        )
        return f"/hooks/talktalk/{created.key}", {}
    created = create_inbox(workspace, kind="kakao", name="bench", credentials={"secret": SECRET})
    if with_bot:
        import_articles(workspace, SAMPLE_KB.read_text(encoding="utf-8"), actor=SYSTEM)
        update_inbox(created.inbox, actor=SYSTEM, is_bot_enabled=True)
    return f"/hooks/kakao/skill/{created.key}", {"X-Sonnim-Secret": SECRET}


def make_payloads(channel: str, count: int, *, with_bot: bool = False) -> list[dict]:
    """Texts from count/4 users, each body distinct (TalkTalk and Kakao give no message id, and identical
    bodies from one user within seconds count as one redelivered event). The demo shop's Korean texts get a
    " #n" suffix; the bot's help-center questions keep their words (a suffix moves search scores: some
    questions fall below the bot's threshold) and differ in `action.clientExtra`, which Kakao carries from
    the button that sent the request and the adapter ignores."""
    users = max(1, count // 4)
    if with_bot:
        queries = [
            json.loads(line)["query"] for line in KB_QUERIES.read_text(encoding="utf-8").splitlines() if line
        ]
        texts = [queries[n % len(queries)] for n in range(count)]
    else:
        pool = korean_texts(200)
        texts = [f"{pool[n % len(pool)]} #{n}" for n in range(count)]
    payloads = []
    for n, text in enumerate(texts):
        user = f"bench-user-{n % users}"
        if channel == "talktalk":
            payloads.append(
                {"event": "send", "user": user, "textContent": {"text": text, "inputType": "typing"}}
            )
            continue
        action: dict = {"name": "sonnim", "params": {}}
        if with_bot:
            action["clientExtra"] = {"bench_request": n}
        payloads.append(
            {
                "intent": {"id": "blk", "name": "문의"},
                "userRequest": {
                    "utterance": text,
                    "user": {"id": user, "type": "botUserKey", "properties": {"plusfriendUserKey": user}},
                },
                "bot": {"id": "bot", "name": "bench"},
                "action": action,
            }
        )
    return payloads


def classify_skill_response(body: bytes) -> str:
    """What one SkillResponse 2.0 carries (kakao adapter's skill_response() of the bot's reply, see
    assist/bot.py):
    - "article": the bot answered from a help article: its text plus a basicCard linking the article;
    - "bot": another answer of the bot, text only (an order's status, a request for the order number);
    - "unsure": the bot asks to rephrase; "handoff": the bot's notice that a person takes over;
    - "ack": the inbox's acknowledgment, no bot answer (bot off, or a person holds the conversation);
    - "callback": useCallback, the answer comes later through the callback URL."""
    response = json.loads(body)
    if response.get("version") != "2.0":
        raise RuntimeError(f"not a SkillResponse 2.0: {body[:300]!r}")
    if response.get("useCallback"):
        return "callback"
    outputs = response["template"]["outputs"]
    if any("basicCard" in output or "carousel" in output for output in outputs):
        return "article"
    text = outputs[0].get("simpleText", {}).get("text", "")
    if text == DEFAULT_ACK:
        return "ack"
    if text in {texts["handoff"] for texts in BOT_TEXTS.values()}:
        return "handoff"
    if text in {texts["unsure"] for texts in BOT_TEXTS.values()}:
        return "unsure"
    return "bot"


def skill_summary(answers: list[tuple[float, bytes]], *, with_bot: bool) -> dict:
    kinds = [classify_skill_response(body) for _seconds, body in answers]
    answered = [seconds for (seconds, _body), kind in zip(answers, kinds, strict=True) if kind == "article"]
    counts = Counter(kinds)
    summary = latency_summary(answered, prefix="answered_")
    return {
        "bot_enabled": with_bot,
        "bot_answered": len(answered),
        "answered_p95_ms": summary["answered_p95_ms"],
        "answered_p99_ms": summary["answered_p99_ms"],
        "responses": {kind: counts[kind] for kind in RESPONSE_KINDS},
    }


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

    async def _post(self, reader, writer, request: bytes) -> tuple[float, bytes]:
        started = time.perf_counter()
        status, body = await http_exchange(reader, writer, request)
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {body[:300]!r}")
        return time.perf_counter() - started, body

    async def send(self, payloads: list[dict], connections: int) -> list[tuple[float, bytes]]:
        """(seconds, response body) per request, in completion order."""
        requests = [self._request(p) for p in payloads]
        answers: list[tuple[float, bytes]] = []

        async def worker(share: list[bytes]) -> None:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            for request in share:
                answers.append(await self._post(reader, writer, request))
            writer.close()

        await asyncio.gather(*(worker(requests[i::connections]) for i in range(connections)))
        return answers
