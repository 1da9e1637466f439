"""The SLA step of the inbound pipeline (conversations/pipeline.py STEPS)."""

from . import services


def apply_sla(context) -> None:
    """Start or move the conversation's SLA clock for this customer message (see services)."""
    conversation = context.conversation
    services.on_customer_message(
        conversation,
        context.message,
        channel_kind=context.inbox.kind,
        tier=context.customer.tier,
        workspace=context.inbox.workspace,
        is_new=context.is_new_conversation,
    )
