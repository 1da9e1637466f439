"""Writes of conversations and messages. Each opens the transaction, locks, saves with update_fields,
records its event, and schedules side effects after commit."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sonnim.core.actors import Actor
from sonnim.core.choices import ActorKind
from sonnim.core.errors import SonnimError
from sonnim.core.jobs import enqueue_on_commit
from sonnim.core.models import Agent, Team
from sonnim.customers.models import Customer
from sonnim.sla import services as sla_services

from . import events, search
from .attachments import check_attachment, store_attachment
from .choices import TRANSITIONS, DeliveryStatus, Direction, Priority, Status
from .errors import ConversationError
from .locks import lock_conversation, lock_message
from .models import Conversation, Message, Tag


@dataclass(frozen=True)
class FileUpload:
    filename: str
    content_type: str
    data: bytes


def _check_body(text: str, files: list[FileUpload]) -> None:
    if not text.strip() and not files:
        raise SonnimError(ConversationError.EMPTY_MESSAGE, _("Write something or attach a file."))
    for f in files:
        check_attachment(f.filename, f.content_type, f.data)


def _check_channel_limits(conversation: Conversation, text: str, files: list[FileUpload]) -> None:
    """The channel's own limits (TalkTalk 10,000 characters, Kakao 1,000, image types), checked before the
    reply is stored so the agent sees the reason at once instead of a failed delivery later."""
    from sonnim.inboxes.adapters import adapter_for

    adapter = adapter_for(conversation.inbox.kind)
    if adapter is not None:
        adapter.check_outbound(text, files)


def _author_agent(actor: Actor) -> int | None:
    return actor.id if actor.kind == ActorKind.AGENT else None


@transaction.atomic
def send_reply(
    conversation: Conversation,
    *,
    text: str,
    actor: Actor,
    files: list[FileUpload] = (),
    metadata: dict | None = None,
    in_response: bool = False,
) -> Message:
    """Store the reply as queued and deliver it after commit; delivery retries with backoff and ends
    sent or failed (with its reason, retryable by hand). `metadata` lands on Message.metadata: the bot
    keeps its structured answer there ({"bot": {"quick_replies": [...], "sources": [...], ...}}).
    `in_response`: the reply goes out inside the webhook response being answered (the Kakao chatbot
    skill's bot answer): it is recorded as sent, and never delivered again."""
    from .tasks import deliver_message

    _check_body(text, list(files))
    _check_channel_limits(conversation, text, list(files))
    conversation = lock_conversation(conversation)
    now = timezone.now()
    message = Message.objects.create(
        workspace_id=conversation.workspace_id,
        conversation=conversation,
        inbox_id=conversation.inbox_id,
        direction=Direction.OUT,
        author_kind=actor.kind,
        author_agent_id=_author_agent(actor),
        text=text,
        metadata=metadata or {},
        delivery_status=DeliveryStatus.QUEUED,
        next_attempt_at=now,
        created_at=now,
    )
    for f in files:
        store_attachment(message, filename=f.filename, content_type=f.content_type, data=f.data)
    _after_outbound(conversation, message, actor=actor)
    events.message_event(message, "message.queued", actor=actor)
    if in_response:
        return record_delivery(message, status=DeliveryStatus.SENT, actor=actor)
    enqueue_on_commit(deliver_message, workspace_id=message.workspace_id, message_id=message.pk)
    return message


def _after_outbound(conversation: Conversation, message: Message, *, actor: Actor) -> None:
    from .pipeline import touch_conversation

    if conversation.first_response_at is None and actor.kind in (ActorKind.AGENT, ActorKind.BOT):
        conversation.first_response_at = message.created_at
        conversation.save(update_fields=["first_response_at"])
    if actor.kind == ActorKind.AGENT:  # SLA response targets count people, not the bot's answers
        sla_services.on_agent_reply(conversation, at=message.created_at)
    message.conversation = conversation
    touch_conversation(conversation, message)
    search.index_message(message)


@transaction.atomic
def add_note(conversation: Conversation, *, text: str, actor: Actor, files: list[FileUpload] = ()) -> Message:
    """An internal note: agents only, never delivered, does not count as a response."""
    _check_body(text, list(files))
    conversation = lock_conversation(conversation)
    message = Message.objects.create(
        workspace_id=conversation.workspace_id,
        conversation=conversation,
        inbox_id=conversation.inbox_id,
        direction=Direction.NOTE,
        author_kind=actor.kind,
        author_agent_id=_author_agent(actor),
        text=text,
    )
    for f in files:
        store_attachment(message, filename=f.filename, content_type=f.content_type, data=f.data)
    search.index_message(message)
    events.message_event(message, "note.added", actor=actor)
    return message


@transaction.atomic
def assign_conversation(conversation: Conversation, *, assignee: Agent | None, actor: Actor) -> Conversation:
    """Set or clear the assignee. Assigning the current assignee again is a no-op: no event, no push."""
    conversation = lock_conversation(conversation)
    new_id = assignee.pk if assignee else None
    if conversation.assignee_id == new_id:
        return conversation
    previous_id = conversation.assignee_id
    conversation.assignee = assignee
    conversation.updated_at = timezone.now()
    conversation.save(update_fields=["assignee", "updated_at"])
    events.assigned(conversation, actor=actor, previous_assignee_id=previous_id)
    return conversation


@transaction.atomic
def set_team(conversation: Conversation, *, team: Team | None, actor: Actor) -> Conversation:
    conversation = lock_conversation(conversation)
    if conversation.team_id == (team.pk if team else None):
        return conversation
    previous = conversation.team_id
    conversation.team = team
    conversation.save(update_fields=["team"])
    events.team_changed(conversation, actor=actor, previous_team_id=previous)
    return conversation


@transaction.atomic
def set_status(conversation: Conversation, *, status: str, actor: Actor, snoozed_until=None) -> Conversation:
    conversation = lock_conversation(conversation)
    if conversation.status == status:
        return conversation
    if status not in TRANSITIONS.get(conversation.status, set()):
        raise SonnimError(
            ConversationError.INVALID_TRANSITION,
            _("A %(current)s conversation cannot become %(new)s.")
            % {"current": conversation.status, "new": status},
            status=409,
        )
    previous = conversation.status
    conversation.status = status
    conversation.snoozed_until = snoozed_until if status == Status.SNOOZED else None
    conversation.resolved_at = timezone.now() if status in (Status.RESOLVED, Status.CLOSED) else None
    conversation.updated_at = timezone.now()
    conversation.save(update_fields=["status", "snoozed_until", "resolved_at", "updated_at"])
    events.status_changed(conversation, actor=actor, previous=previous)
    sla_services.on_status_changed(conversation, previous=previous)
    if status == Status.RESOLVED:  # the satisfaction survey goes out after commit, once per conversation
        from sonnim.automation.surveys import send_survey_task

        enqueue_on_commit(
            send_survey_task, workspace_id=conversation.workspace_id, conversation_id=conversation.pk
        )
    return conversation


@transaction.atomic
def set_category(conversation: Conversation, *, category: str, actor: Actor) -> Conversation:
    """Set the conversation's category (any short label code; triage uses assist's set). No change, no
    event; a change by an agent is the label that retraining learns from."""
    category = category.strip()
    if len(category) > 40:
        raise SonnimError("invalid_input", _("A category has at most 40 characters."))
    conversation = lock_conversation(conversation)
    if conversation.category == category:
        return conversation
    previous = conversation.category
    conversation.category = category
    conversation.save(update_fields=["category"])
    events.category_changed(conversation, actor=actor, previous=previous)
    return conversation


@transaction.atomic
def set_priority(conversation: Conversation, *, priority: str, actor: Actor) -> Conversation:
    if priority not in Priority.values:
        raise SonnimError("invalid_input", _("Unknown priority."), details={"priority": priority})
    conversation = lock_conversation(conversation)
    if conversation.priority == priority:
        return conversation
    previous = conversation.priority
    conversation.priority = priority
    conversation.save(update_fields=["priority"])
    events.priority_changed(conversation, actor=actor, previous=previous)
    return conversation


@transaction.atomic
def change_tags(
    conversation: Conversation, *, add: list[str] = (), remove: list[str] = (), actor: Actor
) -> Conversation:
    """Add and remove tags by name; unknown names are created. No change, no event."""
    conversation = lock_conversation(conversation)
    current = set(conversation.tags.values_list("name", flat=True))
    to_add = sorted({n.strip()[:60] for n in add if n.strip()} - current)
    to_remove = sorted(current & {n.strip() for n in remove})
    if not to_add and not to_remove:
        return conversation
    for name in to_add:
        tag, _created = Tag.objects.get_or_create(workspace_id=conversation.workspace_id, name=name)
        conversation.tags.add(tag)
    if to_remove:
        conversation.tags.remove(
            *Tag.objects.filter(workspace_id=conversation.workspace_id, name__in=to_remove)
        )
    events.tags_changed(conversation, actor=actor, added=to_add, removed=to_remove)
    return conversation


@transaction.atomic
def retry_message(message: Message, *, actor: Actor) -> Message:
    """An agent retries a failed delivery: back to queued with fresh attempts."""
    from .tasks import deliver_message

    message = lock_message(message)
    if message.direction != Direction.OUT or message.delivery_status != DeliveryStatus.FAILED:
        raise SonnimError(
            ConversationError.NOT_RETRYABLE, _("Only a failed reply can be retried."), status=409
        )
    message.delivery_status, message.attempts, message.next_attempt_at = (
        DeliveryStatus.QUEUED,
        0,
        timezone.now(),
    )
    message.save(update_fields=["delivery_status", "attempts", "next_attempt_at"])
    events.message_event(message, "message.queued", actor=actor, retry=True)
    enqueue_on_commit(deliver_message, workspace_id=message.workspace_id, message_id=message.pk)
    return message


@transaction.atomic
def record_delivery(
    message: Message,
    *,
    status: str,
    reason: str = "",
    external_id: str = "",
    next_attempt_at=None,
    actor: Actor,
) -> Message:
    """The outcome of one delivery attempt. `queued` with a reason means "failed, will retry at
    next_attempt_at"."""
    message = lock_message(message)
    message.attempts += 1
    message.delivery_status = status
    message.failure_reason = reason[:300]
    message.next_attempt_at = next_attempt_at if status == DeliveryStatus.QUEUED else None
    fields = ["attempts", "delivery_status", "failure_reason", "next_attempt_at"]
    if external_id:
        # prefixed: the platform's ids for our sends must not collide with its inbound message ids
        message.external_id, fields = f"out:{external_id}"[:255], [*fields, "external_id"]
    if status == DeliveryStatus.SENT:
        message.sent_at, fields = timezone.now(), [*fields, "sent_at"]
    message.save(update_fields=fields)
    event_type = {"sent": "message.sent", "delivered": "message.delivered", "failed": "message.failed"}.get(
        status, "message.retrying"
    )
    events.message_event(
        message, event_type, actor=actor, reason=message.failure_reason, attempts=message.attempts
    )
    return message


def move_conversations(source: Customer, target: Customer, *, ids: list[int] | None = None) -> list[int]:
    """For merge/unmerge (inside their transaction): move conversations between customers."""
    qs = Conversation.objects.filter(workspace_id=source.workspace_id, customer=source)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    moved = list(qs.order_by("pk").values_list("pk", flat=True))
    Conversation.objects.filter(pk__in=moved).update(customer=target)
    search.reassign_customer(moved, target.pk)
    return moved
