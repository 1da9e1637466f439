"""`sonnim demo`'s sample shop: agents, inboxes of every kind, customers, orders and a month of
customer-service conversations, all written through the real services and the inbound pipeline.

Deterministic (one seeded random.Random; times relative to the moment of seeding) and idempotent: a
database that has the demo workspace is left alone and gets the same login back."""

import hashlib
import hmac
import random
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sonnim.commerce.models import Order
from sonnim.commerce.services import OrderLine, create_order
from sonnim.core import crypto
from sonnim.core.actors import SYSTEM
from sonnim.core.choices import Role
from sonnim.core.models import Agent, ApiToken, Workspace
from sonnim.core.services import create_agent, create_api_token, create_team, create_workspace
from sonnim.customers.models import Customer
from sonnim.customers.services import create_customer
from sonnim.inboxes.models import Inbox
from sonnim.inboxes.services import create_inbox, update_inbox
from sonnim.webchat.services import ensure_widget

from . import data
from .bot import seed_bot
from .channels import seed_channels
from .story import Backdate, Cast, play_conversations

SEED = 20260101
CUSTOMERS = 62
ORDERS = 230
CONVERSATIONS = 330
WEBCHAT_SETTINGS = {
    "brand_color": "#0f766e",
    "greeting": {
        "ko": "손님상회입니다. 무엇을 도와드릴까요?",
        "en": "Hi from Sonnim Store! How can we help?",
    },
    "prechat": [
        {
            "name": "topic",
            "label": {"ko": "문의 유형", "en": "Topic"},
            "options": ["배송", "교환/반품", "주문/결제", "기타"],
        },
        {"name": "order_number", "label": {"ko": "주문번호 (선택)", "en": "Order number (optional)"}},
    ],
}


@dataclass(frozen=True)
class DemoInfo:
    admin_email: str
    admin_password: str
    api_token: str
    api_inbox_id: int
    api_inbox_key: str
    workspace_id: int

    def as_dict(self) -> dict:
        return asdict(self)


def seed_demo(*, now: datetime | None = None) -> DemoInfo:
    """Seed the demo shop once (one transaction: all or nothing) and return its login."""
    workspace = Workspace.objects.filter(slug=data.SHOP_SLUG).first()
    if workspace is None:
        with transaction.atomic():
            workspace = _seed(now or timezone.now())
    return _info(workspace)


def demo_token_key() -> str:
    """The demo's API token, the same on every run of one installation (derived from its secret)."""
    digest = hmac.new(settings.SECRET_KEY.encode(), b"sonnim demo api token", hashlib.sha256).hexdigest()
    return f"snm_demo_{digest[:32]}"


def _info(workspace: Workspace) -> DemoInfo:
    admin = Agent.objects.select_related("user").get(workspace=workspace, user__username=data.ADMIN_EMAIL)
    key = demo_token_key()
    if not ApiToken.objects.filter(key_hash=crypto.secret_hash(key)).exists():
        create_api_token(admin, name="demo", key=key)  # only when the installation's secret changed
    inbox = Inbox.objects.for_workspace(workspace).filter(kind="api").order_by("pk").first()
    return DemoInfo(
        admin_email=data.ADMIN_EMAIL,
        admin_password=data.ADMIN_PASSWORD,
        api_token=key,
        api_inbox_id=inbox.pk,
        api_inbox_key=inbox.key,
        workspace_id=workspace.pk,
    )


def _seed(now: datetime) -> Workspace:
    rng = random.Random(SEED)
    opened_at = now - timedelta(days=90)
    workspace = create_workspace(name=data.SHOP_NAME, slug=data.SHOP_SLUG)
    backdate = Backdate(workspace.pk)
    admin = create_agent(
        workspace,
        email=data.ADMIN_EMAIL,
        role=Role.OWNER,
        display_name="관리자",
        password=data.ADMIN_PASSWORD,
    ).agent
    create_api_token(admin, name="demo", key=demo_token_key())
    agents = [
        create_agent(workspace, email=email, role=role, display_name=name, password=data.ADMIN_PASSWORD).agent
        for email, name, role in data.AGENTS
    ]
    for team_name, members in data.TEAMS.items():
        create_team(workspace, name=team_name, members=[agents[i] for i in members])
    inboxes = {
        kind: create_inbox(workspace, kind=kind, name=name).inbox for kind, name, _share in data.INBOXES
    }
    # The main web chat's widget (the sample shop page /demo/shop/ embeds the bot inbox's, made in seed_bot).
    inboxes["webchat"] = update_inbox(inboxes["webchat"], actor=SYSTEM, settings=WEBCHAT_SETTINGS)
    ensure_widget(inboxes["webchat"])
    Workspace.objects.filter(pk=workspace.pk).update(created_at=opened_at)
    Agent.objects.filter(workspace=workspace).update(created_at=opened_at)
    Inbox.objects.filter(workspace=workspace).update(created_at=opened_at)
    backdate.stamp(opened_at)
    customers = _make_customers(workspace, rng, backdate, now)
    orders, lines = _make_orders(workspace, rng, customers, backdate, now)
    cast = Cast(
        workspace=workspace,
        agents=[admin, *agents],
        inboxes=inboxes,
        customers=customers,
        orders=orders,
        order_lines=lines,
    )
    play_conversations(cast, rng, backdate, now=now, count=CONVERSATIONS)
    # A bot-enabled chat answering from the sample help center; the sample shop page embeds its widget, with
    # the main chat's look but no pre-chat form, so help-center suggestions and the bot come first.
    bot_widget = {k: v for k, v in WEBCHAT_SETTINGS.items() if k != "prechat"}
    seed_bot(workspace, backdate, now=now, widget_settings=bot_widget)
    seed_channels(workspace, customers, now=now)  # calls and Facebook/Instagram, through their webhooks
    return workspace


def _korean_name(rng: random.Random, used: set[str]) -> str:
    while True:
        name = rng.choice(data.SURNAMES) + rng.choice(data.GIVEN_NAMES)
        if name not in used:
            used.add(name)
            return name


def _make_customers(
    workspace: Workspace, rng: random.Random, backdate: Backdate, now: datetime
) -> list[Customer]:
    """Shop members with contact data (most with a phone, many with an email) and a few English speakers."""
    customers, used = [], set()
    for n in range(CUSTOMERS):
        english = n >= CUSTOMERS - len(data.ENGLISH_NAMES)
        name = (
            data.ENGLISH_NAMES[n - CUSTOMERS + len(data.ENGLISH_NAMES)]
            if english
            else _korean_name(rng, used)
        )
        has_email = english or rng.random() < 0.6
        has_phone = not english and rng.random() < 0.9
        joined_at = now - timedelta(days=rng.uniform(60, 400))
        customer = create_customer(
            workspace,
            name=name,
            email=f"customer{n + 1:03d}@example.com" if has_email else "",
            phone=f"010-{rng.randint(2000, 9999)}-{rng.randint(1000, 9999)}" if has_phone else "",
            member_id=f"member{n + 1:04d}",
            actor=SYSTEM,
        )
        Customer.objects.filter(pk=customer.pk).update(created_at=joined_at, updated_at=joined_at)
        backdate.stamp(joined_at)
        customers.append(customer)
    return customers


def _make_orders(
    workspace: Workspace, rng: random.Random, customers: list[Customer], backdate: Backdate, now: datetime
) -> tuple[list[Order], dict[int, list[OrderLine]]]:
    """Orders over the last 60 days, oldest first; the older an order, the further along it is."""
    times = sorted(now - timedelta(minutes=rng.uniform(30, 60 * 24 * 60)) for _ in range(ORDERS))
    statuses, weights = list(data.ORDER_STATUSES), list(data.ORDER_STATUSES.values())
    orders, lines_by_order = [], {}
    for n, ordered_at in enumerate(times):
        age_days = (now - ordered_at).days
        status = rng.choices(statuses, weights)[0]
        if age_days > 10 and status in ("paid", "preparing", "shipped"):
            status = "delivered"
        elif age_days < 2 and status in ("delivered", "returned"):
            status = "preparing"
        lines = []
        for product in rng.sample(data.PRODUCTS, rng.choice([1, 1, 1, 2, 2, 3])):
            sku, name, price, options = product
            lines.append(OrderLine(sku, name, rng.choice([1, 1, 1, 2]), price, rng.choice(options)))
        shipped = status in ("shipped", "delivered", "returned")
        order = create_order(
            workspace,
            customer=rng.choice(customers),
            number=f"{ordered_at:%Y%m%d}-{n + 1:07d}",
            ordered_at=ordered_at,
            lines=lines,
            status=status,
            platform="cafe24",
            tracking_number=f"{rng.randint(10**11, 10**12 - 1)}" if shipped else "",
            carrier=rng.choice(data.CARRIERS) if shipped else "",
        )
        Order.objects.filter(pk=order.pk).update(created_at=ordered_at)
        backdate.stamp(ordered_at)
        orders.append(order)
        lines_by_order[order.pk] = lines
    return orders, lines_by_order
