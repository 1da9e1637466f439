from enum import StrEnum


class SlaError(StrEnum):
    CALENDAR_NOT_FOUND = "calendar_not_found"
    POLICY_NOT_FOUND = "policy_not_found"
    INVALID_HOURS = "invalid_hours"
    INVALID_ESCALATION = "invalid_escalation"
    CALENDAR_NAME_TAKEN = "calendar_name_taken"
    CALENDAR_IN_USE = "calendar_in_use"
