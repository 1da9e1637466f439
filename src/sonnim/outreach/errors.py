from enum import StrEnum


class OutreachError(StrEnum):
    TEMPLATE_NOT_FOUND = "alimtalk_template_not_found"
    TEMPLATE_CODE_TAKEN = "alimtalk_template_code_taken"
    TEMPLATE_NOT_APPROVED = "alimtalk_template_not_approved"
    INVALID_TRANSITION = "alimtalk_invalid_transition"
    MISSING_VARIABLES = "alimtalk_missing_variables"
    TOO_LONG = "alimtalk_too_long"
    NO_PHONE = "alimtalk_customer_has_no_phone"
    NOT_A_DEALER_INBOX = "alimtalk_not_a_dealer_inbox"
    CUSTOMER_NOT_FOUND = "customer_not_found"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
