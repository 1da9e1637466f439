"""`sonnim bench email`: raw mail parsed (inboxes.email) and ingested through receive_message(), in process.

Messages are typical ~10 KB customer mail: multipart/alternative (text and HTML), Korean, a third of them
replies that carry the quoted history and thread by In-Reply-To. Generation is untimed; each timed step is
parse (adapter.inbound_from_raw) plus receive_message() on a fresh database."""

import random
import time
from email.message import EmailMessage
from html import escape

from sonnim.conversations.models import Message
from sonnim.conversations.pipeline import receive_message
from sonnim.core.services import create_workspace
from sonnim.inboxes.adapters.email import EmailAdapter
from sonnim.inboxes.selectors import inbox_config
from sonnim.inboxes.services import create_inbox

from .common import bench_database, korean_texts, latency_summary, peak_rss_mb

WARMUP = 20
TARGET_BYTES = 10_000


def run(*, messages: int = 2000, **_options) -> dict:
    with bench_database() as database_url:
        workspace = create_workspace(name="bench email")
        inbox = create_inbox(workspace, kind="email", name="bench").inbox
        adapter = EmailAdapter(inbox_config(inbox))
        warmup = min(WARMUP, messages)
        raws = make_mails(messages + warmup, seed=messages)
        for raw in raws[:warmup]:  # imports, Kiwi, connections
            receive_message(adapter.inbound_from_raw(raw))
        latencies, parse_latencies = [], []
        started, cpu_started = time.perf_counter(), time.process_time()
        for raw in raws[warmup:]:
            began = time.perf_counter()
            inbound = adapter.inbound_from_raw(raw)
            parsed = time.perf_counter()
            receive_message(inbound)
            latencies.append(time.perf_counter() - began)
            parse_latencies.append(parsed - began)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        stored = Message.objects.filter(workspace=workspace, direction="in").count()
    if stored != len(raws):
        raise RuntimeError(f"stored {stored} mails, sent {len(raws)}")
    return {
        "messages": messages,
        "mails_per_s": round(messages / elapsed, 1),
        **latency_summary(latencies),
        # the parse alone (adapter.inbound_from_raw); the rest of each mail's time is the pipeline
        **latency_summary(parse_latencies, prefix="parse_"),
        "peak_rss_mb": peak_rss_mb(),
        # wall time suffers from whatever else runs on the machine; CPU time per mail does not
        "cpu_ms_per_mail": round(cpu / messages * 1000, 2),
        "avg_mail_bytes": round(sum(map(len, raws)) / len(raws)),
        "database": database_url.split(":", 1)[0],
    }


def make_mails(count: int, *, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    texts = korean_texts(400)
    senders = [f"customer{n}@example.kr" for n in range(max(1, count // 5))]
    sent: dict[str, str] = {}  # sender -> their last Message-ID, for replies
    mails = []
    for n in range(count):
        sender = rng.choice(senders)
        previous = sent.get(sender) if rng.random() < 0.35 else None
        message_id = f"bench-{seed}-{n}@example.kr"
        mails.append(make_mail(rng, texts, sender, message_id, previous))
        sent[sender] = message_id
    return mails


def make_mail(
    rng: random.Random, texts: list[str], sender: str, message_id: str, previous: str | None
) -> bytes:
    new = "\n".join(rng.sample(texts, 3))
    history = []
    while len("\n".join(history).encode()) < TARGET_BYTES * 21 // 50:
        history.append(rng.choice(texts))
    quoted = "\n".join(f"> {line}" for line in history)
    text = f"{new}\n\n2026년 11월 3일 (화) 오후 2:10, 샘플샵 <help@sample.kr>님이 작성:\n{quoted}\n"
    mail = EmailMessage()
    mail["From"] = f"고객 <{sender}>"
    mail["To"] = "help@sample.kr"
    mail["Subject"] = (
        f"Re: 주문 문의 {rng.randint(1, 9999)}" if previous else f"주문 문의 {rng.randint(1, 9999)}"
    )
    mail["Date"] = "Tue, 03 Nov 2026 15:00:00 +0900"
    mail["Message-ID"] = f"<{message_id}>"
    if previous:
        mail["In-Reply-To"] = f"<{previous}>"
        mail["References"] = f"<{previous}>"
    mail.set_content(text, cte="8bit")
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in new.splitlines())
    blockquote = "<br>".join(escape(line) for line in history)
    mail.add_alternative(
        f"<div>{paragraphs}</div><blockquote>{blockquote}</blockquote>", subtype="html", cte="8bit"
    )
    return mail.as_bytes()
