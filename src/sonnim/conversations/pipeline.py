"""The spine: every inbound message goes through receive_message(); every reply through send_reply().

Read top to bottom. Only entry points (webhook views, the inbound API, tasks, the CLI) import this module.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import nh3
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from sonnim.assist.steps import bot_turn, triage
from sonnim.assist.triage import prepare_triage
from sonnim.automation.routing import route
from sonnim.automation.rules.engine import run_rules_step as run_rules
from sonnim.core.actors import SYSTEM, Actor
from sonnim.core.bulk import insert_rows, update_rows
from sonnim.core.errors import SonnimError
from sonnim.core.korean import detect_language
from sonnim.customers.models import Customer
from sonnim.customers.services import apply_channel_event, resolve_customer, resolve_customers
from sonnim.inboxes.adapters.base import BotReply, ChannelEvent, InboundMessage
from sonnim.inboxes.adapters.email import read_reply_token, read_subject_tag
from sonnim.inboxes.choices import CONTINUOUS_KINDS, ChannelKind
from sonnim.inboxes.models import Inbox
from sonnim.sla.steps import apply_sla

from . import events, search
from .attachments import check_attachment, store_attachment
from .choices import ACTIVE_STATUSES, DeliveryStatus, Direction, Status
from .models import Conversation, Message
from .selectors import latest_thread, stored_messages, threads_of
from .services import record_delivery, send_reply  # noqa: F401 - send_reply: re-exported for entry points

logger = logging.getLogger("sonnim.pipeline")


@dataclass
class StepContext:
    inbox: Inbox
    customer: Customer
    conversation: Conversation
    message: Message
    is_new_conversation: bool
    # The bot step's answer for channels that reply inside the webhook response (Kakao skill); see BotReply.
    reply: BotReply | None = None


Step = Callable[[StepContext], None]


# Order matters (DESIGN.md): triage (category, urgency, sentiment) feeds SLA and routing, rules see the
# routed conversation, the bot answers last and only when no human holds the conversation. Each joins this
# list as its app lands (assist, sla, automation). The message's language is detected when it is stored.
STEPS: list[Step] = [triage, apply_sla, route, run_rules, bot_turn]


@dataclass(frozen=True)
class Received:
    message: Message | None  # None only for a bounce that names no message of ours
    duplicate: bool
    is_bounce: bool = False  # a delivery failure report: it failed `message` (our reply), stored nothing
    reply: BotReply | None = None  # StepContext.reply: rendered by the adapter's acknowledge()


def receive_message(inbound: InboundMessage, *, inbox: Inbox | None = None) -> Received:
    """Store one inbound message exactly once, on the right customer and conversation, and run the steps.
    A redelivery (same inbox and external id), even concurrent from another process, is a no-op.
    `inbox`: the caller's already loaded inbox (with its workspace), e.g. the one its key authenticated."""
    for a in inbound.attachments:  # refuse bad files before anything is written
        check_attachment(a.filename, a.content_type, a.data)
    if inbox is None or inbox.pk != inbound.inbox_id:
        inbox = Inbox.objects.select_related("workspace").get(pk=inbound.inbox_id)
    prepare(inbox, [inbound])
    with transaction.atomic():
        if inbound.bounce is not None:
            return receive_bounce(inbox, inbound)
        try:
            with transaction.atomic():  # savepoint: a duplicate undoes only this block
                customer = resolve_customer(
                    inbox.workspace, kind=inbox.kind, sender=inbound.sender, actor=SYSTEM
                )
                conversation, is_new = find_or_open_conversation(inbox, customer, inbound)
                message = store_inbound_message(conversation, inbound)
        except IntegrityError:
            # (inbox, external_id) is unique: a redelivery, or the same message committed a moment ago by
            # another process (PostgreSQL waited for it). Anything else is a real error.
            existing = Message.objects.filter(inbox=inbox, external_id=inbound.external_id).first()
            if existing is None:
                raise
            logger.info("duplicate inbound inbox=%s message=%s", inbox.pk, existing.pk)
            return Received(message=existing, duplicate=True)
        context = StepContext(inbox, customer, conversation, message, is_new)
        for step in STEPS:
            step(context)
    return Received(message=message, duplicate=False, reply=context.reply)


def receive_many(inbox: Inbox, inbounds: list[InboundMessage]) -> list[Received | SonnimError]:
    """receive_message() for many messages of one inbox, in one transaction and in order (the batch API):
    the same result for each, with the batch's lookups, inserts and events written together. A message
    refused alone (a bad attachment) gets its error in its place, and the others are stored.
    Messages that need more than the common path (attachments, email threading, bounces, echoes) go
    through receive_message() one by one."""
    results: list[Received | SonnimError | None] = [None] * len(inbounds)
    common = [n for n, inbound in enumerate(inbounds) if _takes_common_path(inbox, inbound)]
    prepare(inbox, inbounds)
    with transaction.atomic():
        try:
            with transaction.atomic():  # savepoint: a message stored meanwhile by another process
                received = _receive_common(inbox, [inbounds[n] for n in common])
            for n, result in zip(common, received, strict=True):
                results[n] = result
        except IntegrityError:  # ...undoes the batch's common part, and one by one finds its duplicate
            logger.info("batch met a concurrent duplicate inbox=%s: one by one", inbox.pk)
        for n, inbound in enumerate(inbounds):
            if results[n] is None:
                try:
                    results[n] = receive_message(inbound, inbox=inbox)
                except SonnimError as exc:
                    results[n] = exc
    return results


def prepare(inbox: Inbox, inbounds: list[InboundMessage]) -> None:
    """The steps' work on the text alone, done before the write transaction: the search index's Kiwi
    analysis and the triage models need no database, and both remember their results (core.korean.analyze,
    assist.triage), so the steps inside find them done. The transaction then holds SQLite's one write lock
    (on PostgreSQL, the workspace's event counter row) only for the database work, and the other writers
    (another server process, the task worker) get in sooner."""
    for inbound in inbounds:
        if inbound.bounce is None and inbound.text.strip():
            search.prepare_text(inbound.text)
            if not inbound.is_echo:
                prepare_triage(inbound.text, workspace_id=inbox.workspace_id)


def _takes_common_path(inbox: Inbox, inbound: InboundMessage) -> bool:
    return (
        inbox.pk == inbound.inbox_id
        and inbox.kind != ChannelKind.EMAIL
        and inbound.bounce is None
        and not inbound.attachments
        and not inbound.is_echo
    )


def _receive_common(inbox: Inbox, inbounds: list[InboundMessage]) -> list[Received]:
    """receive_many's common part. Step for step what receive_message does, for the whole batch at a time:
    duplicates -> customers -> conversations -> messages -> steps."""
    stored = {m.external_id: m for m in stored_messages(inbox, {i.external_id for i in inbounds})}
    first_of: dict[str, int] = {}  # external id -> its first index in the batch
    for n, inbound in enumerate(inbounds):
        first_of.setdefault(inbound.external_id, n)
    fresh = [  # indexes of the messages to store
        n for n, i in enumerate(inbounds) if first_of[i.external_id] == n and i.external_id not in stored
    ]
    customers = resolve_customers(
        inbox.workspace, kind=inbox.kind, senders=[inbounds[n].sender for n in fresh], actor=SYSTEM
    )
    threads = open_conversations(
        inbox, [(customers[inbounds[n].sender.external_id], inbounds[n]) for n in fresh]
    )
    contexts: dict[int, StepContext] = {}
    for n, (conversation, is_new) in zip(fresh, threads, strict=True):
        message = new_message(conversation, inbounds[n])
        contexts[n] = StepContext(inbox, conversation.customer, conversation, message, is_new)
    insert_rows([context.message for context in contexts.values()])
    indexed = []
    for context in contexts.values():
        indexed.append((context.message, context.conversation.message_count == 0))
        _touch(context.conversation, context.message)
    update_rows(list({c.conversation.pk: c.conversation for c in contexts.values()}.values()), TOUCHED_FIELDS)
    search.index_messages(indexed)
    events.messages_received(
        [(c.message, Actor.customer(c.customer), _flags(inbounds[n])) for n, c in contexts.items()]
    )
    for step in STEPS:  # each step over the whole batch: its batch form when it has one
        if many := getattr(step, "many", None):
            many(list(contexts.values()))
        else:
            for context in contexts.values():
                step(context)
    results = []
    for n, inbound in enumerate(inbounds):
        if n in contexts:
            results.append(Received(message=contexts[n].message, duplicate=False, reply=contexts[n].reply))
        elif inbound.external_id in stored:
            results.append(Received(message=stored[inbound.external_id], duplicate=True))
        else:  # the same external id earlier in this batch
            results.append(Received(message=contexts[first_of[inbound.external_id]].message, duplicate=True))
    return results


def receive_channel_event(event: ChannelEvent) -> None:
    """A channel's non-message event (chat opened, friend added, consent withdrawn) updates the sender's
    identity; nothing is shown in a conversation."""
    inbox = Inbox.objects.select_related("workspace").get(pk=event.inbox_id)
    apply_channel_event(inbox.workspace, kind=inbox.kind, event=event, actor=SYSTEM)


def bot_may_answer(context: StepContext) -> bool:
    """The bot step's gate: never answer our own mirrored messages, machine-generated mail, or a message
    sent while a human held the thread on the platform (TalkTalk standby)."""
    message = context.message
    return (
        message.direction == Direction.IN
        and not message.is_auto_reply
        and not message.metadata.get("standby", False)
    )


def thread_key_for(inbox: Inbox, customer: Customer, inbound: InboundMessage) -> str:
    """The channel's own thread key when it gives one; on chat-like channels one running thread per
    customer; otherwise (email, board posts) each message starts its own thread."""
    if inbound.thread_key:
        return inbound.thread_key[:255]
    if inbox.kind in CONTINUOUS_KINDS:
        return f"customer:{customer.pk}"
    return f"message:{inbound.external_id}"[:255]


def find_email_thread(inbox: Inbox, customer: Customer, inbound: InboundMessage) -> Conversation | None:
    """Email threads by its headers, whatever the subject says: a Message-ID in In-Reply-To/References that
    we stored (the customer's earlier mail, or our reply), else our signed reply token in those headers,
    else the [#id] subject tag. Only this customer's conversations: a subject tag is easy to guess."""
    own = Conversation.objects.for_workspace(inbox.workspace_id).filter(inbox=inbox, customer=customer)
    ids = [i for i in [inbound.in_reply_to, *reversed(inbound.references)] if i]
    if ids:
        known = (
            Message.objects.filter(inbox=inbox, external_id__in=[*ids, *(f"out:{i}" for i in ids)])
            .order_by("-created_at", "-pk")
            .values_list("conversation_id", flat=True)
        )
        tokens = [token[0] for token in map(read_reply_token, ids) if token]
        for conversation_id in [*known[:20], *tokens]:
            if found := own.filter(pk=conversation_id).select_for_update().first():
                return found
    tag = read_subject_tag(inbound.subject)
    return own.filter(pk=tag).select_for_update().first() if tag else None


def open_conversations(
    inbox: Inbox, arrivals: list[tuple[Customer, InboundMessage]]
) -> list[tuple[Conversation, bool]]:
    """find_or_open_conversation() for a batch, in order: the batch's threads looked up in one query; a
    thread whose latest conversation is open takes it as it is, the others go through
    find_or_open_conversation(). The messages of one thread share one Conversation object."""
    keys = [(customer.pk, thread_key_for(inbox, customer, inbound)) for customer, inbound in arrivals]
    customer_ids = {customer_id for customer_id, _ in keys}
    if connection.features.has_select_for_update:  # the lock order: customers (in pk order), conversations
        list(Customer.objects.select_for_update().filter(pk__in=customer_ids).order_by("pk"))
    latest: dict[tuple[int, str], Conversation] = {}
    for conversation in threads_of(inbox, customer_ids=customer_ids, thread_keys={key for _, key in keys}):
        latest.setdefault((conversation.customer_id, conversation.thread_key), conversation)
    found: dict[tuple[int, str], Conversation] = {}
    result = []
    for key, (customer, inbound) in zip(keys, arrivals, strict=True):
        if key in found:
            result.append((found[key], False))
            continue
        conversation = latest.get(key)
        if conversation is not None and conversation.status == Status.OPEN:
            conversation.customer, is_new = customer, False
        else:
            conversation, is_new = find_or_open_conversation(inbox, customer, inbound)
        found[key] = conversation
        result.append((conversation, is_new))
    return result


def find_or_open_conversation(
    inbox: Inbox, customer: Customer, inbound: InboundMessage
) -> tuple[Conversation, bool]:
    # Lock the customer: two messages of one customer arriving at once must not open two conversations.
    # (SQLite has no row locks and needs none: its write transaction is exclusive.)
    if connection.features.has_select_for_update:
        Customer.objects.select_for_update().filter(pk=customer.pk).first()
    thread_key = thread_key_for(inbox, customer, inbound)
    latest = find_email_thread(inbox, customer, inbound) if inbox.kind == ChannelKind.EMAIL else None
    latest = latest or latest_thread(inbox, customer_id=customer.pk, thread_key=thread_key)
    now = timezone.now()
    actor = Actor.customer(customer)
    if latest is not None:
        latest.customer = customer  # known already: spare the steps a query each
    if latest is not None and latest.status in ACTIVE_STATUSES:
        if latest.status != Status.OPEN and not inbound.is_echo:  # the customer answered: wake up
            previous = latest.status
            latest.status, latest.snoozed_until = Status.OPEN, None
            latest.save(update_fields=["status", "snoozed_until"])
            events.status_changed(latest, actor=actor, previous=previous)
        return latest, False
    window = timedelta(days=inbox.workspace.reopen_window_days)
    if (
        latest is not None
        and latest.status == Status.RESOLVED
        and latest.resolved_at
        and now - latest.resolved_at <= window
    ):
        latest.status, latest.resolved_at = Status.OPEN, None
        latest.save(update_fields=["status", "resolved_at"])
        events.conversation_reopened(latest, actor=actor, previous_status=Status.RESOLVED)
        return latest, False
    (conversation,) = insert_rows(
        [
            Conversation(
                workspace_id=inbox.workspace_id,
                inbox=inbox,
                customer=customer,
                thread_key=thread_key,
                subject=inbound.subject[:300],
                last_message_at=now,
            )
        ]
    )
    events.conversation_created(conversation, actor=actor)
    return conversation, True


def store_inbound_message(conversation: Conversation, inbound: InboundMessage) -> Message:
    """Insert the message (a duplicate external id raises IntegrityError: receive_message() rolls back)."""
    message = new_message(conversation, inbound)
    insert_rows([message])  # the unique (inbox, external_id) raises IntegrityError for a redelivery
    for a in inbound.attachments:
        store_attachment(message, filename=a.filename, content_type=a.content_type, data=a.data)
    touch_conversation(conversation, message)
    search.index_message(message)
    if inbound.is_echo:  # typed on the platform by the shop's side: already sent, never delivered again
        events.message_event(message, "message.sent", actor=SYSTEM, echo=True)
        return message
    events.message_event(
        message, "message.received", actor=Actor.customer(conversation.customer), **_flags(inbound)
    )
    return message


def new_message(conversation: Conversation, inbound: InboundMessage) -> Message:
    """The inbound message's row, not saved yet."""
    return Message(
        workspace_id=conversation.workspace_id,
        conversation=conversation,
        inbox_id=inbound.inbox_id,
        **_origin(inbound),
        text=inbound.text,
        html=_html(inbound),
        quoted_text=inbound.quoted_text,
        is_auto_reply=inbound.is_auto_reply,
        external_id=inbound.external_id,
        language=detect_language(inbound.text),
        sent_at=inbound.sent_at,
        metadata=_metadata(inbound),
    )


def _html(inbound: InboundMessage) -> str:
    """The adapter's own allowlist stands (email keeps inline styles and cid: images, and a second clean
    with nh3's defaults stripped them, at about 5 ms a mail); anything else is cleaned here."""
    if not inbound.html or inbound.is_html_sanitized:
        return inbound.html
    return nh3.clean(inbound.html)


def _flags(inbound: InboundMessage) -> dict:
    return {"is_auto_reply": True} if inbound.is_auto_reply else {}  # rules and bots must not answer it


def _origin(inbound: InboundMessage) -> dict:
    if inbound.is_echo:
        return {"direction": Direction.OUT, "author_kind": "agent", "delivery_status": DeliveryStatus.SENT}
    return {"direction": Direction.IN, "author_kind": "customer"}


def _metadata(inbound: InboundMessage) -> dict:
    if inbound.allows_bot_reply:
        return dict(inbound.metadata)
    return {**inbound.metadata, "standby": True}


def receive_bounce(inbox: Inbox, inbound: InboundMessage) -> Received:
    """A delivery failure report fails the reply it names (by our reply token or its stored Message-ID)
    and is not stored as a customer message. A report about no reply of ours is dropped."""
    original = inbound.bounce.original_message_id
    token = read_reply_token(original)
    ours = Message.objects.filter(inbox=inbox, direction=Direction.OUT).select_related("conversation")
    if token:
        message = ours.filter(pk=token[1], conversation_id=token[0]).first()
    else:
        message = ours.filter(external_id=f"out:{original}").first() if original else None
    if message is None:
        logger.info("bounce for no known message inbox=%s", inbox.pk)
        return Received(message=None, duplicate=False, is_bounce=True)
    if message.delivery_status == DeliveryStatus.FAILED:  # the same report again, or a second one
        return Received(message=message, duplicate=True, is_bounce=True)
    reason = inbound.bounce.reason
    message = record_delivery(message, status=DeliveryStatus.FAILED, reason=reason, actor=SYSTEM)
    logger.info("bounce failed message=%s inbox=%s", message.pk, inbox.pk)
    return Received(message=message, duplicate=False, is_bounce=True)


TOUCHED_FIELDS = [
    "last_message_at",
    "last_message_preview",
    "last_message_direction",
    "message_count",
    "updated_at",
    "language",
]


def touch_conversation(conversation: Conversation, message: Message) -> None:
    """Denormalize the newest message onto the conversation (the inbox list reads only this row)."""
    _touch(conversation, message)
    update_rows([conversation], TOUCHED_FIELDS)  # save(update_fields=...) without compiling the UPDATE


def _touch(conversation: Conversation, message: Message) -> None:
    conversation.last_message_at = message.created_at
    conversation.last_message_preview = (message.text or "").replace("\n", " ")[:200]
    conversation.last_message_direction = message.direction
    conversation.message_count += 1
    conversation.updated_at = message.created_at
    if not conversation.language and message.direction == "in":
        conversation.language = message.language
