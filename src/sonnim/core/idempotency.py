"""Idempotency-Key for API writes: the write and the stored answer commit together, so a replay (even a
concurrent one, whose insert of the key fails and rolls its own write back) gets the first answer."""

import hashlib
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from .errors import CoreError, SonnimError
from .models import IdempotencyRecord, Workspace

HEADER = "Idempotency-Key"


def run_idempotent(
    request: HttpRequest, workspace: Workspace, write: Callable[[], tuple[int, dict]]
) -> tuple[int, dict]:
    key = request.headers.get(HEADER, "").strip()
    if not key:
        return write()
    if len(key) > 200:
        raise SonnimError(CoreError.INVALID_INPUT, _("The Idempotency-Key is longer than 200 characters."))
    fingerprint = hashlib.sha256(f"{request.method} {request.path}\n".encode() + request.body).hexdigest()
    stored = _stored(workspace, key, fingerprint)
    if stored is not None:
        return stored
    try:
        with transaction.atomic():
            status, body = write()
            IdempotencyRecord.objects.create(
                workspace=workspace, key=key, fingerprint=fingerprint, status_code=status, response=body
            )
    except IntegrityError:
        stored = _stored(workspace, key, fingerprint)
        if stored is None:
            raise
        return stored
    return status, body


def _stored(workspace: Workspace, key: str, fingerprint: str) -> tuple[int, dict] | None:
    record = IdempotencyRecord.objects.filter(workspace=workspace, key=key).first()
    if record is None:
        return None
    if record.fingerprint != fingerprint:
        raise SonnimError(
            CoreError.IDEMPOTENCY_KEY_REUSED,
            _("This Idempotency-Key was used for another request."),
            status=422,
        )
    return record.status_code, record.response
