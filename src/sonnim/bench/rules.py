"""`sonnim bench rules`: the pipeline cost per inbound message with N active rules.

N message.received rules of the kinds shops write (Korean keyword, channel, priority, customer tier,
business hours, language), about one in a hundred matching a given message (it tags the conversation).
Timed per message: receive_message() with no rules, then with the N rules (the difference is the rules
step, actions included), and the evaluation alone (every rule's conditions against a stored message,
no action run) - the part that grows with the number of rules."""

import random

from django.db import connection

from sonnim.automation.models import Rule
from sonnim.automation.rules.engine import evaluate
from sonnim.automation.rules.services import save_rule
from sonnim.conversations.models import Message
from sonnim.conversations.pipeline import receive_message
from sonnim.core.actors import SYSTEM
from sonnim.core.services import create_workspace
from sonnim.inboxes.adapters.base import InboundMessage, SenderIdentity
from sonnim.inboxes.services import create_inbox

from .common import Timer, bench_database, korean_texts, machine_load, peak_rss_mb

KEYWORDS = [
    "환불",
    "교환",
    "배송",
    "취소",
    "사이즈",
    "쿠폰",
    "불량",
    "파손",
    "주소",
    "결제",
    "적립금",
    "재입고",
]


def make_rules(workspace, count: int, *, seed: int = 5) -> None:
    rng = random.Random(seed)
    for n in range(count):
        shape = n % 5
        if shape == 0:  # a keyword rule, narrowed to one channel so that few match
            conditions = [
                {"field": "channel", "op": "eq", "value": rng.choice(["kakao", "email", "board"])},
                {"field": "text", "op": "contains", "value": rng.choice(KEYWORDS)},
            ]
        elif shape == 1:
            conditions = [{"field": "priority", "op": "eq", "value": "urgent"}]
        elif shape == 2:
            conditions = [{"field": "customer_tier", "op": "in", "value": ["vip", "gold"]}]
        elif shape == 3:
            conditions = [{"field": "language", "op": "eq", "value": "ja"}]
        else:
            conditions = [{"field": "category", "op": "eq", "value": f"cat-{n}"}]
        if n % 100 == 7:  # about one in a hundred matches every message
            conditions = [{"field": "text", "op": "contains", "value": "문의"}]
        save_rule(
            Rule(workspace=workspace),
            actor=SYSTEM,
            name=f"rule {n}",
            order=n,
            event_type="message.received",
            conditions=conditions,
            actions=[{"type": "add_tags", "params": {"tags": [f"r{n}"]}}],
        )


def ingest(inbox, texts: list[str], prefix: str) -> Timer:
    timer = Timer()
    for i, text in enumerate(texts):
        inbound = InboundMessage(
            inbox_id=inbox.pk,
            external_id=f"{prefix}-{i}",
            text=f"{text} 문의",
            sender=SenderIdentity(external_id=f"{prefix}-sender-{i % 50}", name="고객"),
        )
        with timer.measure():
            receive_message(inbound)
    return timer


def mean_ms(values: list[float]) -> float:
    return round(sum(values) / len(values) * 1000, 3)


def run(*, rules: int = 200, messages: int = 300, **_options) -> dict:
    with bench_database():
        texts = korean_texts(messages)
        baseline_ws, ruled_ws = create_workspace(name="bench rules 0"), create_workspace(name="bench rules N")
        baseline_inbox = create_inbox(baseline_ws, kind="api", name="api").inbox
        ruled_inbox = create_inbox(ruled_ws, kind="api", name="api").inbox
        make_rules(ruled_ws, rules)
        ingest(baseline_inbox, texts[:20], "warm")  # load Kiwi and warm caches, untimed
        load = machine_load()
        baseline = ingest(baseline_inbox, texts, "base")
        with_rules = ingest(ruled_inbox, texts, "rules")
        stored = list(
            Message.objects.filter(workspace=ruled_ws, direction="in").select_related(
                "conversation__customer", "conversation__inbox"
            )
        )
        evaluation = Timer()
        fired = 0
        for message in stored:  # conditions of every rule against each message; no action runs
            with evaluation.measure():
                fired += len(
                    evaluate("message.received", message.conversation, message=message, inbox_kind="api")
                )
        wall = [b - a for a, b in zip(baseline.wall, with_rules.wall, strict=True)]
        return {
            "rules": rules,
            "messages": messages,
            "pipeline_ms_mean_without_rules": mean_ms(baseline.wall),
            "pipeline_ms_mean_with_rules": mean_ms(with_rules.wall),
            "rules_step_ms_mean_including_actions": round(sum(wall) / len(wall) * 1000, 3),
            "rules_evaluation_ms_mean": mean_ms(evaluation.wall),
            "rules_evaluation_cpu_ms_mean": mean_ms(evaluation.cpu),
            **{f"evaluation_{k}": v for k, v in evaluation.summary().items()},
            "rules_matching_per_message": round(fired / len(stored), 2),
            "target_ms": 2.0,
            "database": connection.vendor,
            "peak_rss_mb": peak_rss_mb(),
            "load_avg_1m": [load, machine_load()],
        }
