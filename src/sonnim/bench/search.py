"""`sonnim bench search`: Korean full-text queries over N messages generated in bulk (untimed).

Tokenizing a million messages with Kiwi would take most of an hour, so a few hundred distinct texts are
tokenized once and their tokens reused: the index holds what conversations/search.py would have written
for those texts. Times conversations.search.search() directly and GET /api/v1/search through Django's test
client in this process (server time, no network)."""

import random
from datetime import timedelta

from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from sonnim.conversations import search
from sonnim.conversations.models import Conversation, Message, SearchEntry
from sonnim.customers.models import Customer

from .common import (
    BulkInserter,
    Timer,
    bench_database,
    db_datetime,
    fix_sequences,
    korean_texts,
    machine_load,
    next_id,
    peak_rss_mb,
    tokenized,
)
from .inbox import Desk, make_desk

QUERIES = [
    "환불", "반품", "배송", "교환 사이즈", "쿠폰 적립금", "배송 지연", "택배 송장번호", "환불 카드",
    "사이즈 교환", "재입고", "선크림", "감귤 상해", "refund", "order", "적립금", "불량 반품",
]  # fmt: skip
MESSAGES_PER_CONVERSATION = 4
WARMUP = 5


def generate_messages(desk: Desk, count: int, *, seed: int = 2) -> None:
    """count messages in count/4 conversations, each with its SearchEntry (and FTS5 row on SQLite), in
    one transaction of bulk inserts; newest entries last, as real ingestion writes them."""
    rng = random.Random(seed)
    texts = korean_texts(400)
    tokens = [f"{search.workspace_token(desk.workspace.pk)} {t}" for t in tokenized(texts)]
    now, ws = timezone.now(), desk.workspace.pk
    conversations = max(1, -(-count // MESSAGES_PER_CONVERSATION))  # rounded up: every message has one
    customers = max(1, conversations // 2)
    with transaction.atomic():
        first_customer, first_conversation = next_id(Customer), next_id(Conversation)
        first_message, first_entry = next_id(Message), next_id(SearchEntry)
        at = db_datetime(now)
        BulkInserter(Customer, ["id", "workspace_id", "display_name"]).insert(
            (first_customer + n, ws, f"고객{n}") for n in range(customers)
        )
        inbox_id = desk.inboxes[0].pk
        BulkInserter(Conversation, ["id", "workspace_id", "inbox_id", "customer_id", "thread_key"]).insert(
            (first_conversation + n, ws, inbox_id, first_customer + n % customers, f"bench:{n}")
            for n in range(conversations)
        )
        picks = [rng.randrange(len(texts)) for _ in range(count)]
        start = now - timedelta(days=365)
        step = timedelta(days=365) / max(1, count)
        message_columns = [
            "id",
            "workspace_id",
            "conversation_id",
            "inbox_id",
            "direction",
            "author_kind",
            "text",
        ]

        def conversation_of(n: int) -> int:
            return first_conversation + n // MESSAGES_PER_CONVERSATION

        BulkInserter(Message, [*message_columns, "created_at"]).insert(
            (first_message + n, ws, conversation_of(n), inbox_id, "in", "customer", texts[picks[n]],
             db_datetime(start + step * n))
            for n in range(count)
        )  # fmt: skip
        entry_columns = ["id", "workspace_id", "conversation_id", "message_id", "customer_id", "tokens"]
        BulkInserter(SearchEntry, [*entry_columns, "created_at"]).insert(
            (first_entry + n, ws, conversation_of(n), first_message + n,
             first_customer + (n // MESSAGES_PER_CONVERSATION) % customers, tokens[picks[n]], at)
            for n in range(count)
        )  # fmt: skip
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                sql = f"INSERT INTO {search.FTS_TABLE}(rowid, tokens) VALUES (%s, %s)"  # noqa: S608
                rows = ((first_entry + n, tokens[picks[n]]) for n in range(count))
                while chunk := [row for _, row in zip(range(50_000), rows, strict=False)]:
                    cursor.executemany(sql, chunk)
        fix_sequences(Customer, Conversation, Message, SearchEntry)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"INSERT INTO {search.FTS_TABLE}({search.FTS_TABLE}) VALUES ('optimize')")  # noqa: S608
        cursor.execute("ANALYZE")


def run(*, messages: int = 100_000, queries: int = 200, **_options) -> dict:
    with bench_database():
        desk = make_desk("bench search")
        generate_messages(desk, messages)
        workspace = desk.workspace
        plan = [QUERIES[n % len(QUERIES)] for n in range(queries)]
        hits = {q: len(search.search(workspace, q)) for q in QUERIES}  # also warms Kiwi and the page cache
        load, direct = machine_load(), Timer()
        for q in plan:
            with direct.measure():
                search.search(workspace, q)
        client, auth = Client(), f"Bearer {desk.token}"
        for q in QUERIES[:WARMUP]:
            client.get("/api/v1/search", {"q": q}, HTTP_AUTHORIZATION=auth)
        api = Timer()
        for q in plan:
            with api.measure():
                response = client.get("/api/v1/search", {"q": q}, HTTP_AUTHORIZATION=auth)
            if response.status_code != 200:
                raise RuntimeError(f"search {q}: HTTP {response.status_code}")
        return {
            "messages": messages,
            "queries": queries,
            **direct.summary(),
            **api.summary("api_"),
            "peak_rss_mb": peak_rss_mb(),
            "load_avg_1m": [load, machine_load()],
            "via": "search.search() and GET /api/v1/search through django test client, in-process",
            "database": connection.vendor,
            "hits_per_query": hits,
        }
