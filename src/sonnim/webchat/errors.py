from enum import StrEnum


class WebchatError(StrEnum):
    WIDGET_NOT_FOUND = "widget_not_found"
    ORIGIN_NOT_ALLOWED = "origin_not_allowed"
    VISITOR_REQUIRED = "visitor_required"
    RATE_LIMITED = "rate_limited"
    BAD_SIGNATURE = "bad_member_signature"
    INVALID_MESSAGE = "invalid_message"
    PRECHAT_REQUIRED = "prechat_required"
    CONTACT_REQUIRED = "contact_required"
    TOO_MANY_FILES = "too_many_files"
    NOT_A_WEBHOOK = "not_a_webhook"
