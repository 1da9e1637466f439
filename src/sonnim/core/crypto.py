"""PII at rest: Fernet encryption for contact data and a keyed blind index for lookups.

Both keys are derived from SONNIM_ENCRYPTION_SECRET with HKDF under different labels, so the blind index
cannot be used to decrypt and a leaked database alone reveals neither emails nor phone numbers.
"""

import base64
import hashlib
import hmac
import re
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models


def _derive(label: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"sonnim", info=label)
    return hkdf.derive(settings.ENCRYPTION_SECRET.encode())


@cache
def _fernet() -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(b"pii-encryption")))


@cache
def _index_key() -> bytes:
    return _derive(b"pii-blind-index")


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # wrong key or a corrupted row: say which, never the value
        raise ValueError("cannot decrypt a PII value: wrong SONNIM_ENCRYPTION_SECRET?") from exc


def normalize_email(email: str) -> str:
    return email.strip().lower()


def normalize_phone(phone: str) -> str:
    """Digits only, Korean numbers in domestic form: '+82 10-1234-5678' and '010 1234 5678' are one."""
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("82") and len(digits) >= 11:
        digits = "0" + digits[2:]
    return digits


def blind_index(kind: str, normalized: str) -> str:
    """A keyed hash for equality lookups; empty input has no index."""
    if not normalized:
        return ""
    return hmac.new(_index_key(), f"{kind}:{normalized}".encode(), hashlib.sha256).hexdigest()


def email_index(email: str | None) -> str:
    return blind_index("email", normalize_email(email or ""))


def phone_index(phone: str | None) -> str:
    return blind_index("phone", normalize_phone(phone or ""))


def secret_hash(secret: str) -> str:
    """For API tokens and inbox keys: a lookup hash (the secrets are long random strings, no salt needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class EncryptedTextField(models.TextField):
    """Stores Fernet ciphertext; reads return plaintext. Not searchable: use a blind index beside it."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
