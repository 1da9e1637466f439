from enum import StrEnum


class ConversationError(StrEnum):
    CONVERSATION_NOT_FOUND = "conversation_not_found"
    MESSAGE_NOT_FOUND = "message_not_found"
    INVALID_TRANSITION = "invalid_status_transition"
    EMPTY_MESSAGE = "empty_message"
    NOT_RETRYABLE = "message_not_retryable"
    ATTACHMENT_TOO_LARGE = "attachment_too_large"
    ATTACHMENT_TYPE = "attachment_type_not_allowed"
    BAD_CURSOR = "bad_cursor"
    NO_IDENTITY = "no_identity_on_channel"
    SAVED_VIEW_NOT_FOUND = "saved_view_not_found"
