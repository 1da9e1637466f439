"""One constructor per conversation event type."""

from sonnim.core.actors import SYSTEM, Actor
from sonnim.core.events import PendingEvent, record_event, record_events

from .models import Conversation, Message


def _record(conversation: Conversation, type: str, *, actor: Actor, **data) -> None:
    record_event(
        conversation.workspace_id,
        type,
        actor=actor,
        conversation_id=conversation.pk,
        customer_id=conversation.customer_id,
        data=data,
    )


def conversation_created(conversation: Conversation, *, actor: Actor) -> None:
    _record(conversation, "conversation.created", actor=actor, inbox_id=conversation.inbox_id)


def conversation_reopened(conversation: Conversation, *, actor: Actor, previous_status: str) -> None:
    _record(conversation, "conversation.reopened", actor=actor, previous_status=previous_status)


def message_event(message: Message, type: str, *, actor: Actor, **extra) -> None:
    """message.received / message.queued / message.sent / message.delivered / message.failed / note.added"""
    _record(message.conversation, type, actor=actor, **_message_data(message, extra))


def messages_received(received: list[tuple[Message, Actor, dict]]) -> None:
    """message.received of a batch (the pipeline's receive_many) in one write: (message, actor, extra)."""
    record_events(
        [
            PendingEvent(
                message.workspace_id,
                "message.received",
                conversation_id=message.conversation_id,
                customer_id=message.conversation.customer_id,
                data=_message_data(message, extra),
                actor=actor,
            )
            for message, actor, extra in received
        ],
        actor=SYSTEM,
    )


def _message_data(message: Message, extra: dict) -> dict:
    return {
        "message_id": message.pk,
        "direction": message.direction,
        "delivery_status": message.delivery_status,
        **extra,
    }


def status_changed(conversation: Conversation, *, actor: Actor, previous: str) -> None:
    _record(
        conversation,
        "conversation.status_changed",
        actor=actor,
        status=conversation.status,
        previous=previous,
    )


def assigned(conversation: Conversation, *, actor: Actor, previous_assignee_id: int | None) -> None:
    _record(
        conversation,
        "conversation.assigned",
        actor=actor,
        assignee_id=conversation.assignee_id,
        previous_assignee_id=previous_assignee_id,
    )


def team_changed(conversation: Conversation, *, actor: Actor, previous_team_id: int | None) -> None:
    _record(
        conversation,
        "conversation.team_changed",
        actor=actor,
        team_id=conversation.team_id,
        previous=previous_team_id,
    )


def priority_changed(conversation: Conversation, *, actor: Actor, previous: str) -> None:
    _record(
        conversation,
        "conversation.priority_changed",
        actor=actor,
        priority=conversation.priority,
        previous=previous,
    )


def category_changed(conversation: Conversation, *, actor: Actor, previous: str) -> None:
    """An agent's change is a label: `sonnim assist retrain` learns from these events."""
    _record(
        conversation,
        "conversation.category_changed",
        actor=actor,
        category=conversation.category,
        previous=previous,
    )


def tags_changed(conversation: Conversation, *, actor: Actor, added: list[str], removed: list[str]) -> None:
    _record(conversation, "conversation.tags_changed", actor=actor, added=added, removed=removed)


def customer_moved(conversation: Conversation, *, actor: Actor, previous_customer_id: int) -> None:
    _record(
        conversation, "conversation.customer_changed", actor=actor, previous_customer_id=previous_customer_id
    )


def saved_view_event(view, type: str, *, actor: Actor) -> None:
    """saved_view.created / saved_view.deleted: the left panes refresh (a private view's name stays out)."""
    record_event(
        view.workspace_id,
        type,
        actor=actor,
        data={"saved_view_id": view.pk, "owner_id": view.owner_id, "is_shared": view.is_shared},
    )
