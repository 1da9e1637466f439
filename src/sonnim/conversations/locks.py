from .models import Conversation, Message


def lock_conversation(conversation: Conversation) -> Conversation:
    """Re-read under the row lock (a no-op lock on SQLite, where the write transaction is exclusive)."""
    return Conversation.objects.select_for_update().get(
        pk=conversation.pk, workspace_id=conversation.workspace_id
    )


def lock_message(message: Message) -> Message:
    return (
        Message.objects.select_for_update()
        .select_related("conversation")
        .get(pk=message.pk, workspace_id=message.workspace_id)
    )
