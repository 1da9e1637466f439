from enum import StrEnum


class AutomationError(StrEnum):
    CANNED_REPLY_NOT_FOUND = "canned_reply_not_found"
    CANNED_REPLY_INVALID = "canned_reply_invalid"
