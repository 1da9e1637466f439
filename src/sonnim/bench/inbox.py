"""`sonnim bench inbox`: the first page of the open-conversations list, through the API and as the HTML
inbox page, over N conversations generated in bulk (untimed).

Requests go through Django's test client in this process: the numbers are server time (routing, auth,
queries, serialization or template rendering), without the network and the ASGI server."""

import random
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from sonnim.conversations.models import Conversation, Tag
from sonnim.conversations.selectors import ConversationFilters, filtered_conversations
from sonnim.core.choices import Role
from sonnim.core.models import Agent, Workspace
from sonnim.core.services import create_agent, create_api_token, create_workspace
from sonnim.customers.models import Customer
from sonnim.inboxes.models import Inbox
from sonnim.inboxes.services import create_inbox

from .common import (
    BulkInserter,
    Timer,
    bench_database,
    db_datetime,
    fix_sequences,
    machine_load,
    next_id,
    peak_rss_mb,
)

# realistic desk: most conversations are done, a minority waits on the shop
STATUS_MIX = {"open": 12, "pending": 6, "snoozed": 2, "resolved": 35, "closed": 45}
PREVIEWS = ["배송 언제 오나요?", "교환 신청합니다", "환불 부탁드려요", "사이즈 문의요", "쿠폰이 안 보여요"]
WARMUP = 10


@dataclass
class Desk:
    workspace: Workspace
    agents: list[Agent]
    inboxes: list[Inbox]
    token: str


def make_desk(name: str) -> Desk:
    workspace = create_workspace(name=name)
    agents = [
        create_agent(
            workspace, email=f"bench{n}@{workspace.slug}.local", role=Role.OWNER if n == 0 else Role.AGENT
        ).agent
        for n in range(5)
    ]
    inboxes = [
        create_inbox(workspace, kind=kind, name=kind).inbox for kind in ("api", "kakao", "email", "webchat")
    ]
    return Desk(workspace, agents, inboxes, create_api_token(agents[0]).key)


def generate_conversations(desk: Desk, count: int, *, seed: int = 1) -> None:
    """count conversations of count/4 customers over the last year, in one transaction of bulk inserts."""
    rng = random.Random(seed)
    now = timezone.now()
    ws = desk.workspace.pk
    statuses, weights = list(STATUS_MIX), list(STATUS_MIX.values())
    with transaction.atomic():
        customers = max(1, count // 4)
        first_customer = next_id(Customer)
        BulkInserter(Customer, ["id", "workspace_id", "display_name", "created_at", "updated_at"]).insert(
            (first_customer + n, ws, f"고객{n}", db_datetime(now), db_datetime(now)) for n in range(customers)
        )
        first = next_id(Conversation)
        columns = [
            "id", "workspace_id", "inbox_id", "customer_id", "status", "assignee_id", "thread_key",
            "last_message_at", "last_message_preview", "last_message_direction", "message_count",
            "created_at", "updated_at",
        ]  # fmt: skip
        inbox_ids = [i.pk for i in desk.inboxes]
        agent_ids = [None, None, *(a.pk for a in desk.agents)]

        def rows():
            for n in range(count):
                at = db_datetime(now - timedelta(seconds=rng.random() * 365 * 86400))
                yield (
                    first + n, ws, rng.choice(inbox_ids), first_customer + rng.randrange(customers),
                    rng.choices(statuses, weights)[0], rng.choice(agent_ids), f"bench:{n}", at,
                    rng.choice(PREVIEWS), "in", rng.randint(1, 8), at, at,
                )  # fmt: skip

        BulkInserter(Conversation, columns).insert(rows())
        tags = [Tag.objects.create(workspace_id=ws, name=name) for name in ("배송", "교환", "환불", "VIP")]
        through = Conversation.tags.through
        BulkInserter(through, ["conversation_id", "tag_id"]).insert(
            (first + n, rng.choice(tags).pk) for n in range(0, count, 10)
        )
        fix_sequences(Customer, Conversation, through)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what a long-running installation's optimizer would know
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def time_get(client: Client, url: str, requests: int, **headers) -> Timer:
    for _ in range(WARMUP):
        response = client.get(url, **headers)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url}: HTTP {response.status_code}")
    timer = Timer()
    for _ in range(requests):
        with timer.measure():
            client.get(url, **headers)
    return timer


def run(*, conversations: int = 100_000, requests: int = 200, **_options) -> dict:
    with bench_database():
        desk = make_desk("bench inbox")
        generate_conversations(desk, conversations)
        load = machine_load()
        api_url = "/api/v1/conversations?status=open"
        api = time_get(Client(), api_url, requests, HTTP_AUTHORIZATION=f"Bearer {desk.token}")
        browser = Client()
        browser.force_login(desk.agents[0].user)
        html = time_get(browser, "/", requests)
        plan = filtered_conversations(desk.workspace, ConversationFilters(status="open")).order_by(
            "-last_message_at", "-pk"
        )[:26]
        return {
            "conversations": conversations,
            "requests": requests,
            **api.summary(),
            **html.summary("html_"),
            "peak_rss_mb": peak_rss_mb(),
            "load_avg_1m": [load, machine_load()],
            "via": "django test client, in-process (server time, no network)",
            "database": connection.vendor,
            "query_plan": plan.explain(),
        }
