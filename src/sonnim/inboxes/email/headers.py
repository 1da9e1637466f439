"""Top-level header reading straight from the raw bytes.

We read headers ourselves instead of through `email.message` so that raw 8-bit
values (UTF-8 or CP949 straight in the header, common from old Korean clients)
reach our charset detection as bytes rather than as surrogate-escaped text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import getaddresses, parsedate_to_datetime
from functools import lru_cache

from .charsets import decode_8bit_header, decode_encoded_words

_HEADER_LINE = re.compile(rb"^([!-9;-~]+)[ \t]*:(.*)$", re.DOTALL)
MAX_HEADER_BYTES = 64 * 1024
_MSG_ID = re.compile(r"<([^<>\s]+)>")


@dataclass
class RawHeaders:
    items: list[tuple[str, bytes]] = field(default_factory=list)

    def raw(self, name: str) -> bytes | None:
        wanted = name.lower()
        return next((value for key, value in self.items if key == wanted), None)

    def has(self, name: str) -> bool:
        return self.raw(name) is not None

    def ascii(self, name: str) -> str:
        """Undecoded value for machine-readable headers (Auto-Submitted, Message-ID...)."""
        value = self.raw(name)
        return value.decode("ascii", "replace").strip() if value is not None else ""

    def text(self, name: str, problems: list[str]) -> str | None:
        value = self.raw(name)
        if value is None:
            return None
        decoded = decode_8bit_header(value)
        problems.extend(decoded.problems)
        text = decode_encoded_words(decoded.text, problems)
        return re.sub(r"[\r\n\t]+", " ", text).strip()


def split_head(raw: bytes) -> bytes:
    """The header block: everything before the first empty line."""
    match = re.search(rb"\r?\n\r?\n", raw)
    return raw[: match.start()] if match else raw


def read_headers(raw: bytes) -> RawHeaders:
    headers = RawHeaders()
    for line in re.split(rb"\r?\n(?![ \t])", split_head(raw)):
        match = _HEADER_LINE.match(line)
        if match is None:
            continue  # mbox "From " line or garbage; tolerated
        # No legitimate header needs more than 64 KB; bounding it bounds all later regex work.
        value = re.sub(rb"\r?\n", b"", match.group(2)[:MAX_HEADER_BYTES]).strip()
        headers.items.append((match.group(1).decode("ascii").lower(), value))
    return headers


@dataclass
class Address:
    name: str
    address: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "address": self.address}


def parse_addresses(headers: RawHeaders, name: str, problems: list[str]) -> list[Address]:
    value = headers.raw(name)
    if value is None:
        return []
    decoded = decode_8bit_header(value)
    problems.extend(decoded.problems)
    # Split addresses before decoding encoded words: a decoded name may contain "," or "<".
    result: list[Address] = []
    for display, address in _split_addresses(decoded.text):
        display = decode_encoded_words(display, problems).strip()
        address = address.strip()
        if "@" not in address:
            if address or display:
                problems.append("bad_address")
            continue
        result.append(Address(display, address))
    return result


@lru_cache(maxsize=1024)
def _split_addresses(value: str) -> tuple[tuple[str, str], ...]:
    """getaddresses() is a third of the envelope's cost, and To (the shop) and regular customers' From
    repeat from mail to mail; a pure function of the text, so its answers are kept."""
    return tuple(getaddresses([value]))


def parse_date(headers: RawHeaders, problems: list[str]) -> str | None:
    value = headers.ascii("date")
    if not value:
        problems.append("missing_date")
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        parsed = _iso_fallback(value)
    if parsed is None:
        problems.append("bad_date")
        return None
    if parsed.tzinfo is None:
        # "-0000" (or a missing zone) means "UTC, local offset unknown" (RFC 5322 3.3).
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.isoformat()


def _iso_fallback(value: str) -> datetime | None:
    """Some shop systems send "2026-11-03 14:10:00 +0900"; anything without an offset is rejected."""
    try:
        parsed = datetime.fromisoformat(value.replace(" +", "+").replace(" -", "-"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def parse_message_ids(value: str) -> list[str]:
    ids = _MSG_ID.findall(value)
    if ids:
        return ids
    # Broken clients omit the angle brackets.
    return [token for token in value.split() if "@" in token]


def first_message_id(value: str) -> str | None:
    ids = parse_message_ids(value)
    return ids[0] if ids else None
