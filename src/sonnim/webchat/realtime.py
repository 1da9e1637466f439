"""Pushes to visitors: one channel-layer group per stream (a customer's feed in one webchat inbox).
Best effort like the agents' pushes: a widget that missed one asks for "after N" on reconnect."""

from django.utils.translation import gettext as _

from sonnim.core.realtime import send_to_group, workspace_group

from .models import Visitor


def stream_group(stream_id: int) -> str:
    return f"webchat.stream.{stream_id}"


def agent_typing_group(workspace_id: int, conversation_id: int) -> str:
    """The visitor sockets of one conversation, which hear its agents type. The workspace is in the name,
    and agents' sockets only send for their own workspace's conversations."""
    return f"webchat.conversation.{workspace_id}.{conversation_id}"


def push_item(stream_id: int, item: dict) -> None:
    send_to_group(stream_group(stream_id), {"type": "widget.item", "item": item})


def relay_visitor_typing(visitor: Visitor, *, is_typing: bool) -> None:
    """Agents see "<customer> is typing" through their presence bar (an ephemeral hint, not an event)."""
    from . import selectors

    customer = selectors.customer_of(visitor)
    if customer is None:
        return
    conversation = selectors.latest_conversation_id(visitor, customer.pk)
    if conversation is None:
        return
    send_to_group(
        workspace_group(visitor.workspace_id),
        {
            "type": "presence.push",
            "agent_id": f"visitor-{visitor.pk}",
            "agent_name": customer.display_name or str(_("Customer")),
            "conversation_id": conversation,
            "state": "typing" if is_typing else "left",
        },
    )
