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
from .models import Conversation, Message, ReadMarker, SavedView, Tag


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


# ---- saved views ----


def clean_filter_spec(workspace_id: int, spec: dict) -> dict:
    """A filter spec as stored: only the list API's query fields, each checked; empty values dropped.
    Ids must name this workspace's agents, teams and inboxes (never another workspace's)."""
    from sonnim.core.models import Agent as AgentModel
    from sonnim.inboxes.models import Inbox

    from .selectors import FILTER_KEYS

    unknown = sorted(set(spec) - set(FILTER_KEYS))
    if unknown:
        raise SonnimError("invalid_input", _("Unknown filter field."), details={"fields": unknown})
    clean = {k: str(v).strip() for k, v in spec.items() if v not in (None, "") and str(v).strip()}

    def refuse(field: str) -> SonnimError:
        return SonnimError("invalid_input", _("This filter value is not valid."), details={"field": field})

    models_by_key = {"assignee": AgentModel, "team": Team, "inbox": Inbox}
    for key, value in clean.items():
        if key == "status" and value not in {*Status.values, "active"}:
            raise refuse(key)
        if key == "priority" and value not in Priority.values:
            raise refuse(key)
        if key in ("tag", "q") and len(value) > (60 if key == "tag" else 200):
            raise refuse(key)
        if key in models_by_key and not (key == "assignee" and value in ("me", "none")):
            model = models_by_key[key]
            if not value.isdigit() or not model.objects.filter(workspace_id=workspace_id, pk=value).exists():
                raise refuse(key)
    return {k: clean[k] for k in FILTER_KEYS if k in clean}


@transaction.atomic
def create_saved_view(owner: Agent, *, name: str, filters: dict, is_shared: bool, actor: Actor) -> SavedView:
    name = name.strip()
    if not name or len(name) > 80:
        raise SonnimError("invalid_input", _("A view needs a name of at most 80 characters."))
    view = SavedView.objects.create(
        workspace_id=owner.workspace_id,
        owner=owner,
        name=name,
        is_shared=is_shared,
        filters=clean_filter_spec(owner.workspace_id, filters),
    )
    events.saved_view_event(view, "saved_view.created", actor=actor)
    return view


@transaction.atomic
def delete_saved_view(view: SavedView, *, agent: Agent, actor: Actor) -> None:
    """Its owner deletes a view; an admin may also delete a shared one."""
    from sonnim.core.choices import ADMIN_ROLES

    if view.owner_id != agent.pk and not (view.is_shared and agent.role in ADMIN_ROLES):
        raise SonnimError(
            "permission_denied", _("Only its owner or an admin can delete this view."), status=403
        )
    events.saved_view_event(view, "saved_view.deleted", actor=actor)
    view.delete()


# ---- unread ----


def mark_conversation_read(conversation: Conversation, *, agent: Agent) -> None:
    """The agent has seen the conversation as loaded: one upsert, no event (a private, frequent marker).
    A stale `conversation` only leaves the marker lower, so a newer message never hides as read."""
    ReadMarker.objects.bulk_create(
        [
            ReadMarker(
                workspace_id=conversation.workspace_id,
                agent=agent,
                conversation=conversation,
                message_count=conversation.message_count,
                read_at=timezone.now(),
            )
        ],
        update_conflicts=True,
        unique_fields=["agent", "conversation"],
        update_fields=["message_count", "read_at"],
    )


# ---- replying on another channel ----


@transaction.atomic
def send_reply_on_inbox(
    conversation: Conversation, *, inbox, text: str, actor: Actor, files: list[FileUpload] = ()
) -> Message:
    """Reply to the conversation's customer through `inbox` (another channel of the workspace): the reply
    goes into the customer's active conversation on that inbox, or a new one (pending: we wait on them),
    and a note on this conversation says where it went. The customer must have an identity of that
    channel's kind, or (email) an email address, which then becomes their email identity."""
    if inbox.pk == conversation.inbox_id:
        return send_reply(conversation, text=text, actor=actor, files=files)
    _check_body(text, list(files))
    if inbox.workspace_id != conversation.workspace_id or not inbox.is_active:
        raise SonnimError(ConversationError.NO_IDENTITY, _("This inbox cannot send replies."), status=400)
    _ensure_identity(conversation.customer, inbox.kind, actor=actor, inbox_name=inbox.name)
    target = _conversation_on_inbox(conversation, inbox, actor=actor)
    message = send_reply(target, text=text, actor=actor, files=files)
    add_note(
        conversation,
        text=_("Reply sent on %(inbox)s in conversation #%(id)s.") % {"inbox": inbox.name, "id": target.pk},
        actor=actor,
    )
    return message


def _ensure_identity(customer: Customer, kind: str, *, actor: Actor, inbox_name: str) -> None:
    from sonnim.customers.models import Identity
    from sonnim.customers.services import add_identity
    from sonnim.inboxes.choices import ChannelKind

    if Identity.objects.filter(workspace_id=customer.workspace_id, customer=customer, kind=kind).exists():
        return
    if kind == ChannelKind.EMAIL and customer.email_index:
        if add_identity(customer, kind=kind, external_id=customer.email, actor=actor) is not None:
            return
    raise SonnimError(
        ConversationError.NO_IDENTITY,
        _("This customer cannot be reached on %(inbox)s.") % {"inbox": inbox_name},
        status=400,
    )


def _conversation_on_inbox(conversation: Conversation, inbox, *, actor: Actor) -> Conversation:
    from sonnim.inboxes.choices import CONTINUOUS_KINDS

    from .choices import ACTIVE_STATUSES

    # Lock the customer as the pipeline does: two replies at once must not open two conversations there.
    Customer.objects.select_for_update().filter(pk=conversation.customer_id).first()
    existing = (
        Conversation.objects.for_workspace(conversation.workspace_id)
        .filter(inbox=inbox, customer_id=conversation.customer_id, status__in=ACTIVE_STATUSES)
        .order_by("-last_message_at", "-pk")
        .first()
    )
    if existing is not None:
        return existing
    now = timezone.now()
    # The pipeline's threading: chat-like channels continue the customer's running thread; email threads
    # by the Message-ID of this reply, so the key only has to be unique.
    thread_key = (
        f"customer:{conversation.customer_id}"
        if inbox.kind in CONTINUOUS_KINDS
        else f"reply:{conversation.pk}:{int(now.timestamp() * 1000)}"
    )
    created = Conversation.objects.create(
        workspace_id=conversation.workspace_id,
        inbox=inbox,
        customer_id=conversation.customer_id,
        status=Status.PENDING,
        priority=conversation.priority,
        team_id=conversation.team_id,
        assignee_id=_author_agent(actor),
        subject=conversation.subject,
        thread_key=thread_key,
        last_message_at=now,
        created_at=now,
        updated_at=now,
    )
    events.conversation_created(created, actor=actor)
    return created


# ---- channel read receipts ----


@transaction.atomic
def mark_read_by_customer(workspace_id: int, *, message_ids: list[int]) -> int:
    """A channel reported that the customer read these replies (the web chat widget): stamp
    metadata["read_at"] once per reply and record message.read so the agent's timeline shows it."""
    now = timezone.now().isoformat()
    messages = (
        Message.objects.filter(workspace_id=workspace_id, pk__in=message_ids, direction=Direction.OUT)
        .select_related("conversation")
        .select_for_update()
        .order_by("pk")
    )
    count = 0
    for message in messages:
        if message.metadata.get("read_at"):
            continue
        message.metadata = {**message.metadata, "read_at": now}
        message.save(update_fields=["metadata"])
        events.message_event(
            message, "message.read", actor=Actor(ActorKind.CUSTOMER, message.conversation.customer_id)
        )
        count += 1
    return count
