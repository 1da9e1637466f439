"""A month of the demo shop's customer service, planned with a seeded random generator and played
through the real pipeline and services (so events, search entries and counters are what real use makes).

Services stamp rows with the current time; the demo's story happens over the past 30 days, so after
each step the rows it wrote get the step's time (Backdate)."""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection

from sonnim.commerce.models import Order
from sonnim.commerce.services import OrderLine
from sonnim.conversations.choices import DeliveryStatus
from sonnim.conversations.models import Conversation, Message, SearchEntry
from sonnim.conversations.pipeline import receive_message
from sonnim.conversations.services import (
    add_note,
    assign_conversation,
    change_tags,
    record_delivery,
    send_reply,
    set_priority,
    set_status,
)
from sonnim.core.actors import SYSTEM, Actor
from sonnim.core.models import Agent, Event, Workspace
from sonnim.customers.models import Customer
from sonnim.inboxes.adapters.base import InboundMessage, SenderIdentity
from sonnim.inboxes.models import Inbox

from . import data
from .data import Topic


@dataclass
class Cast:
    workspace: Workspace
    agents: list[Agent]  # [0] is the admin
    inboxes: dict[str, Inbox]
    customers: list[Customer]
    orders: list[Order]
    order_lines: dict[int, list[OrderLine]]  # order pk -> its lines, as ordered
    orders_by_customer: dict[int, list[Order]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for order in self.orders:
            self.orders_by_customer.setdefault(order.customer_id, []).append(order)


class Backdate:
    """Gives the rows written since the last stamp (events, messages, search entries) the story's time.
    Raw SQL: it runs after every step of every conversation, and the ORM's overhead tripled the seed."""

    def __init__(self, workspace_id: int) -> None:
        self.workspace_id = workspace_id
        self.marks = {Event: 0, Message: 0, SearchEntry: 0}

    def stamp(self, when: datetime) -> None:
        value = connection.ops.adapt_datetimefield_value(when)
        with connection.cursor() as cursor:
            for model, mark in self.marks.items():
                table = connection.ops.quote_name(model._meta.db_table)
                # sent_at is set only on inbound messages and sent replies
                sent = (
                    ", sent_at = CASE WHEN sent_at IS NULL THEN NULL ELSE %s END" if model is Message else ""
                )
                where = "WHERE workspace_id = %s AND id > %s RETURNING id"
                sql = f"UPDATE {table} SET created_at = %s{sent} {where}"  # noqa: S608 - table names are ours
                params = [value, value] if model is Message else [value]
                cursor.execute(sql, [*params, self.workspace_id, mark])
                self.marks[model] = max([mark, *(row[0] for row in cursor.fetchall())])


@dataclass
class Step:
    kind: str  # in, out, note, assign, tags, priority, status
    text: str = ""
    agent: Agent | None = None
    value: object = None
    minutes: float = 0.0  # after the previous step


@dataclass
class Plan:
    n: int
    customer: Customer | None  # None: a new web-chat visitor the pipeline meets for the first time
    sender: SenderIdentity
    inbox: Inbox
    topic: Topic
    start: datetime
    steps: list[Step]


def play_conversations(
    cast: Cast, rng: random.Random, backdate: Backdate, *, now: datetime, count: int
) -> None:
    plans = [plan_conversation(cast, rng, n, now) for n in range(count)]
    for plan in sorted(plans, key=lambda p: p.start):  # oldest first: event sequence follows the story
        play(plan, backdate, now=now)


def plan_conversation(cast: Cast, rng: random.Random, n: int, now: datetime) -> Plan:
    english = rng.random() < 0.06
    topic = rng.choice(data.ENGLISH_TOPICS if english else data.TOPICS)
    customer, order = _pick_customer(cast, rng, topic, english)
    start = now - timedelta(minutes=30 * 24 * 60 * rng.random() ** 1.4 + 3)
    if order is not None and start < order.ordered_at:
        start = min(order.ordered_at + timedelta(hours=rng.uniform(2, 48)), now - timedelta(minutes=3))
    kind = _pick_kind(rng, customer, english)
    agent = rng.choice(cast.agents[1:])
    fill = _fill(rng, customer, order, cast.order_lines.get(order.pk) if order else None, agent)
    steps = _steps(rng, topic, agent, cast.agents[1], _final_status(rng, now - start), fill)
    _fit(steps, start, now)
    return Plan(n, customer, _sender(customer, kind, n), cast.inboxes[kind], topic, start, steps)


def _pick_customer(
    cast: Cast, rng: random.Random, topic: Topic, english: bool
) -> tuple[Customer | None, Order | None]:
    n_english = len(data.ENGLISH_NAMES)
    if english:
        customer = rng.choice(cast.customers[-n_english:])
    elif topic.needs_order:
        customer = rng.choice(cast.orders).customer
    elif rng.random() < 0.12:
        return None, None  # a visitor who is not a member (yet)
    else:
        customer = rng.choice(cast.customers[:-n_english])
    orders = cast.orders_by_customer.get(customer.pk, [])
    return customer, (rng.choice(orders) if orders else None)


def _pick_kind(rng: random.Random, customer: Customer | None, english: bool) -> str:
    if customer is None:
        return "webchat"
    if english:
        return rng.choice(["email", "webchat"])
    kind = rng.choices([k for k, _n, _s in data.INBOXES], [s for _k, _n, s in data.INBOXES])[0]
    if kind == "email" and not customer.email:
        return "kakao"
    if kind == "sms" and not customer.phone:
        return "talktalk"
    return kind


def _sender(customer: Customer | None, kind: str, n: int) -> SenderIdentity:
    """The customer's handle on the channel. The demo's channels vouch for contact data (a logged-in
    member, a Kakao Sync profile, a carrier-verified phone), so messages join the member's profile."""
    if customer is None:
        return SenderIdentity(external_id=f"visitor-{n:04d}", name="")
    external_id = {
        "kakao": f"kakao-{customer.member_id}",
        "talktalk": f"naver-{customer.member_id}",
        "email": customer.email,
        "sms": customer.phone.replace("-", ""),
        "webchat": f"web-{customer.member_id}",
    }.get(kind, customer.member_id)
    return SenderIdentity(
        external_id=external_id,
        name=customer.display_name,
        email=customer.email,
        phone=customer.phone,
        is_verified=True,
    )


def _fill(
    rng: random.Random,
    customer: Customer | None,
    order: Order | None,
    lines: list[OrderLine] | None,
    agent: Agent,
) -> dict:
    product, option = rng.choice(data.PRODUCTS)[1], ""
    if lines:
        product, option = lines[0].name, lines[0].option
    return {
        "name": customer.display_name if customer else "고객",
        "order": order.number if order else "",
        "product": product,
        "option": option,
        "tracking": (order.tracking_number if order else "") or str(rng.randint(10**11, 10**12 - 1)),
        "carrier": (order.carrier if order else "") or "CJ대한통운",
        "amount": f"{order.total_krw:,}" if order else "0",
        "agent": agent.display_name,
    }


def _final_status(rng: random.Random, age: timedelta) -> str:
    if age < timedelta(days=1):
        weights = {"open": 55, "pending": 25, "resolved": 20}
    elif age < timedelta(days=7):
        weights = {"open": 20, "pending": 20, "resolved": 45, "closed": 15}
    else:
        weights = {"open": 5, "pending": 5, "resolved": 45, "closed": 45}
    return rng.choices(list(weights), list(weights.values()))[0]


def _steps(rng: random.Random, topic: Topic, agent: Agent, lead: Agent, final: str, fill: dict) -> list[Step]:
    """The customer asks; unless the conversation is brand new, an agent takes it, tags it, maybe notes
    something, answers; the customer may answer back; the status ends where the plan says."""
    say = lambda texts: rng.choice(texts).format_map(fill)  # noqa: E731
    steps = [Step("in", say(topic.openings))]
    if final == "open" and rng.random() < 0.45:
        return steps  # still waiting for its first answer
    steps.append(Step("assign", agent=agent, minutes=rng.uniform(1, 90)))
    if rng.random() < 0.75:
        steps.append(Step("tags", agent=agent, value=list(topic.tags), minutes=rng.uniform(0.2, 3)))
    if topic.priority != "medium" or rng.random() < 0.1:
        urgent = topic.priority == "high" and rng.random() < 0.3
        priority = "urgent" if urgent else topic.priority if topic.priority != "medium" else "high"
        steps.append(Step("priority", agent=lead, value=priority, minutes=rng.uniform(0.2, 5)))
    if topic.notes and rng.random() < 0.35:
        steps.append(Step("note", say(topic.notes), agent=agent, minutes=rng.uniform(1, 30)))
    if final == "open" and rng.random() < 0.5:
        return steps  # taken, not answered yet
    steps.append(Step("out", say(topic.replies), agent=agent, minutes=rng.uniform(2, 240)))
    if final == "open" or rng.random() < 0.4:
        steps.append(Step("in", say(topic.follow_ups), minutes=rng.uniform(5, 600)))
        if final != "open":
            steps.append(Step("out", say(topic.replies), agent=agent, minutes=rng.uniform(2, 180)))
    if final == "pending":
        steps.append(Step("status", agent=agent, value="pending", minutes=rng.uniform(0.1, 2)))
    if final in ("resolved", "closed"):
        steps.append(Step("status", agent=agent, value="resolved", minutes=rng.uniform(10, 720)))
    if final == "closed":
        # closing a resolved conversation after a quiet while is the system's work, not an agent's
        steps.append(Step("status", value="closed", minutes=rng.uniform(60 * 24, 60 * 72)))
    return steps


def _fit(steps: list[Step], start: datetime, now: datetime) -> None:
    """Squeeze the steps' gaps so that the last one happened before now."""
    total = sum(s.minutes for s in steps)
    room = (now - start).total_seconds() / 60 - 1
    if total > room > 0:
        for s in steps:
            s.minutes *= room / total


def play(plan: Plan, backdate: Backdate, *, now: datetime) -> None:
    at = plan.start
    conversation: Conversation | None = None
    first_out = resolved = last_message = None
    for i, step in enumerate(plan.steps):
        at = at + timedelta(minutes=step.minutes)
        actor = Actor.agent(step.agent) if step.agent else SYSTEM
        if step.kind == "in":
            subject = plan.topic.subject if i == 0 and plan.inbox.kind in ("email", "board") else ""
            received = receive_message(
                InboundMessage(
                    inbox_id=plan.inbox.pk,
                    external_id=f"demo-{plan.n:04d}-{i}",
                    sender=plan.sender,
                    text=step.text,
                    subject=subject,
                    thread_key=f"demo-{plan.n:04d}",
                    sent_at=at,
                )
            )
            conversation, last_message = received.message.conversation, at
        elif step.kind == "out":
            message = send_reply(conversation, text=step.text, actor=actor)
            # History: the reply went out back then. The delivery task queued after commit finds it sent.
            record_delivery(message, status=DeliveryStatus.SENT, actor=SYSTEM)
            first_out, last_message = first_out or at, at
        elif step.kind == "note":
            add_note(conversation, text=step.text, actor=actor)
        elif step.kind == "assign":
            assign_conversation(conversation, assignee=step.agent, actor=actor)
        elif step.kind == "tags":
            change_tags(conversation, add=step.value, actor=actor)
        elif step.kind == "priority":
            set_priority(conversation, priority=step.value, actor=actor)
        elif step.kind == "status":
            set_status(conversation, status=step.value, actor=actor)
            resolved = at if step.value == "resolved" else resolved
        backdate.stamp(at)
    Conversation.objects.filter(pk=conversation.pk).update(
        created_at=plan.start,
        last_message_at=last_message,
        updated_at=at,
        first_response_at=first_out,
        resolved_at=resolved if plan.steps[-1].value in ("resolved", "closed") else None,
    )
