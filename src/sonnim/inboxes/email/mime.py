"""Walk a MIME tree and sort its parts into body text, HTML and attachments."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from email.errors import MessageError
from email.generator import BytesGenerator
from email.message import Message
from email.policy import compat32

from .autoreply import ReportParts
from .charsets import decode_8bit_header, decode_bytes, decode_encoded_words
from .quotes import unflow

MAX_DEPTH = 30
MAX_PARTS = 500
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_BODY_TYPES = {"text/plain", "text/html"}


class RawHeaderPolicy(type(compat32)):  # type: ignore[misc]
    """compat32 turns 8-bit header values into lossy Header objects; keep the escaped bytes instead."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        return value


_ORIGINAL_TYPES = {"message/rfc822", "message/global", "text/rfc822-headers", "message/global-headers"}


@dataclass
class Attachment:
    filename: str | None
    content_type: str
    size: int
    content_id: str | None
    inline: bool

    def to_dict(self) -> dict[str, str | int | bool | None]:
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "content_id": self.content_id,
            "inline": self.inline,
        }


@dataclass
class AttachmentPayload:
    filename: str | None
    content_type: str
    content_id: str | None
    inline: bool
    data: bytes


@dataclass
class Collected:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[AttachmentPayload] = field(default_factory=list)
    report: ReportParts = field(default_factory=ReportParts)
    problems: list[str] = field(default_factory=list)
    part_count: int = 0


def _header_text(value: object, problems: list[str]) -> str:
    """Part headers keep 8-bit bytes surrogate-escaped (see RawHeaderPolicy); recover and decode them."""
    text = str(value)
    if not text.isascii():
        try:
            decoded = decode_8bit_header(text.encode("ascii", "surrogateescape"))
        except UnicodeEncodeError:
            decoded = None  # already real Unicode (RFC 2231 decoded by `email`)
        if decoded is not None:
            problems.extend(decoded.problems)
            text = decoded.text
    return decode_encoded_words(text, problems).strip()


def _filename(part: Message, problems: list[str]) -> str | None:
    try:
        name = part.get_filename()
    except (ValueError, LookupError, TypeError):
        problems.append("bad_filename")
        return None
    if not name:
        return None
    return _header_text(name, problems) or None


def _content_id(part: Message) -> str | None:
    value = part.get("content-id")
    if value is None:
        return None
    cleaned = str(value).strip().strip("<>").strip()
    return cleaned or None


def _disposition(part: Message) -> str | None:
    try:
        value = part.get_content_disposition()
    except (ValueError, TypeError):
        return None
    return value.lower() if value else None


def _payload_bytes(part: Message, problems: list[str]) -> bytes:
    if part.is_multipart():
        # message/rfc822, message/delivery-status: `email` parsed the body into sub-messages.
        # Re-serialise the part and keep its body, i.e. the embedded .eml as it was sent.
        buffer = io.BytesIO()
        try:
            BytesGenerator(buffer, mangle_from_=False, maxheaderlen=0).flatten(part)
        except (MessageError, ValueError, TypeError, LookupError, IndexError, UnicodeError):
            problems.append("bad_embedded_message")
            return b""
        return buffer.getvalue().partition(b"\n\n")[2]
    data = part.get_payload(decode=True)
    if any("Base64" in type(defect).__name__ for defect in part.defects):
        problems.append("bad_base64")
    return data if isinstance(data, bytes) else b""


def _decode_text_part(part: Message, content_type: str, data: bytes, problems: list[str]) -> str:
    declared = part.get_content_charset()
    if declared is None and content_type == "text/html":
        meta = _META_CHARSET.search(data[:4096])
        declared = meta.group(1).decode("ascii") if meta else None
    decoded = decode_bytes(data, declared)
    problems.extend(decoded.problems)
    text = decoded.text.replace("\r\n", "\n").replace("\r", "\n")
    if content_type == "text/plain" and (part.get_param("format") or "").lower() == "flowed":
        text = unflow(text, delsp=(part.get_param("delsp") or "").lower() == "yes")
    return text


def _attachment(part: Message, out: Collected) -> None:
    content_type = part.get_content_type()
    content_id = _content_id(part)
    disposition = _disposition(part)
    filename = _filename(part, out.problems)
    if filename is None and content_type in ("message/rfc822", "message/global"):
        filename = _embedded_filename(part, out.problems)
    inline = disposition == "inline" or (disposition is None and content_id is not None)
    data = _payload_bytes(part, out.problems)
    out.attachments.append(AttachmentPayload(filename, content_type, content_id, inline, data))


def _embedded_filename(part: Message, problems: list[str]) -> str:
    """Forwarded messages rarely carry a filename; name them after their subject for the agent UI."""
    inner = part.get_payload(0) if part.is_multipart() else None
    subject = _header_text(inner.get("subject", ""), problems) if isinstance(inner, Message) else ""
    safe = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", subject).strip()[:100]
    return f"{safe or 'message'}.eml"


def _alternative(part: Message, depth: int, out: Collected) -> None:
    """Take plain text from the first child that has it and HTML from the last (the richest)."""
    results: list[Collected] = []
    for child in part.get_payload():
        sub = Collected(report=out.report, problems=out.problems, part_count=out.part_count)
        walk(child, depth + 1, sub)
        out.part_count = sub.part_count
        results.append(sub)
    out.plain.extend(next((r.plain for r in results if r.plain), []))
    out.html.extend(next((r.html for r in reversed(results) if r.html), []))
    for result in results:
        out.attachments.extend(result.attachments)


def walk(part: Message, depth: int, out: Collected) -> None:
    out.part_count += 1
    if depth > MAX_DEPTH or out.part_count > MAX_PARTS:
        out.problems.append("too_many_parts")
        return
    content_type = part.get_content_type()
    if (
        content_type == "multipart/report"
        and (part.get_param("report-type") or "").lower() == "delivery-status"
    ):
        out.report.is_dsn = True
    if content_type == "message/delivery-status":
        out.report.delivery_status.append(part)
    elif content_type in _ORIGINAL_TYPES:
        out.report.originals.append(part)
    if content_type == "multipart/encrypted":
        out.problems.append("encrypted")
    if part.is_multipart() and content_type.startswith("multipart/"):
        if content_type == "multipart/alternative":
            _alternative(part, depth, out)
            return
        for child in part.get_payload():
            walk(child, depth + 1, out)
        return
    is_body = content_type in _BODY_TYPES and _disposition(part) != "attachment"
    if is_body and _filename(part, []) is None:
        data = _payload_bytes(part, out.problems)
        target = out.plain if content_type == "text/plain" else out.html
        target.append(_decode_text_part(part, content_type, data, out.problems))
        return
    _attachment(part, out)
