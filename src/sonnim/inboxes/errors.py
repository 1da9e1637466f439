from enum import StrEnum


class InboxError(StrEnum):
    INBOX_NOT_FOUND = "inbox_not_found"
    INBOX_INACTIVE = "inbox_inactive"
    BAD_INBOX_KEY = "bad_inbox_key"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_KIND = "unknown_channel_kind"
    NO_WEBHOOK_URL = "no_webhook_url"
    INVALID_EMAIL_SETTINGS = "invalid_email_settings"
    NO_IMAP = "email_no_imap"
