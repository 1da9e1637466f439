"""Errors with codes. The API answers {code, message, details}; templates show the same message."""

from enum import StrEnum
from typing import Any


class SonnimError(Exception):
    def __init__(self, code: str, message: str, *, status: int = 400, details: Any = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = str(code)
        self.message = str(message)
        self.status = status
        self.details = details


class NotFound(SonnimError):
    """Another workspace's object is a 404 too, so ids do not leak."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, status=404)


class CoreError(StrEnum):
    AUTH_REQUIRED = "auth_required"
    PERMISSION_DENIED = "permission_denied"
    INVALID_INPUT = "invalid_input"
    MALFORMED_JSON = "malformed_json"
    WORKSPACE_NOT_FOUND = "workspace_not_found"
    AGENT_NOT_FOUND = "agent_not_found"
    TEAM_NOT_FOUND = "team_not_found"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
