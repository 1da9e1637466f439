"""Parse raw customer mail into a `ParsedEmail` (pure library: stdlib + nh3).

`parse_email` never raises on malformed input; anything odd is reported as a short
code in `ParsedEmail.problems`:

    bad_encoded_word, unknown_charset, wrong_charset, missing_charset, undecodable_text,
    raw_8bit_header, bad_address, missing_from, missing_date, bad_date, missing_message_id,
    bad_base64, bad_filename, bad_embedded_message, bad_mime_structure, encrypted, too_many_parts,
    html_too_deep,
    body_truncated, no_headers, parse_error
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from email.parser import BytesParser

from .autoreply import Bounce, detect_bounce, is_auto_reply
from .charsets import decode_bytes
from .headers import (
    Address,
    RawHeaders,
    first_message_id,
    parse_addresses,
    parse_date,
    parse_message_ids,
    read_headers,
    split_head,
)
from .htmltext import html_to_text, is_too_deep, sanitize_html
from .mime import Attachment, AttachmentPayload, Collected, RawHeaderPolicy, walk
from .quotes import split_reply

TRUNCATION_NOTE = (
    "\n\n[본문이 너무 길어 {limit}자 이후를 생략했습니다 / body truncated after {limit} characters]"
)

__all__ = [
    "Address",
    "Attachment",
    "AttachmentPayload",
    "Bounce",
    "ParsedEmail",
    "attachment_payloads",
    "content_hash",
    "parse_email",
    "parse_email_and_payloads",
]


@dataclass
class ParsedEmail:
    subject: str = ""
    from_: Address | None = None
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    reply_to: list[Address] = field(default_factory=list)
    date: str | None = None
    message_id: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    text: str = ""
    html: str = ""
    reply_text: str = ""
    quoted_text: str = ""
    signature: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    is_auto_reply: bool = False
    is_bounce: bool = False
    language: str | None = None
    problems: list[str] = field(default_factory=list)
    bounce: Bounce | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "subject": self.subject,
            "from": self.from_.to_dict() if self.from_ else None,
            "to": [a.to_dict() for a in self.to],
            "cc": [a.to_dict() for a in self.cc],
            "reply_to": [a.to_dict() for a in self.reply_to],
            "date": self.date,
            "message_id": self.message_id,
            "in_reply_to": self.in_reply_to,
            "references": list(self.references),
            "text": self.text,
            "html": self.html,
            "reply_text": self.reply_text,
            "quoted_text": self.quoted_text,
            "signature": self.signature,
            "attachments": [a.to_dict() for a in self.attachments],
            "is_auto_reply": self.is_auto_reply,
            "is_bounce": self.is_bounce,
            "language": self.language,
            "problems": list(self.problems),
            "bounce": self.bounce.to_dict() if self.bounce else None,
        }


def parse_email(raw: bytes, *, max_body_chars: int = 200_000) -> ParsedEmail:
    return parse_email_and_payloads(raw, max_body_chars=max_body_chars)[0]


def parse_email_and_payloads(
    raw: bytes, *, max_body_chars: int = 200_000
) -> tuple[ParsedEmail, list[AttachmentPayload]]:
    """parse_email() plus the decoded bytes of its attachments (in the order of `ParsedEmail.attachments`),
    from one parse: the MIME walk decodes them anyway."""
    try:
        return _parse(bytes(raw), max_body_chars)
    except Exception:  # the contract is "never raise"; the raw mail is kept by the caller
        return ParsedEmail(problems=["parse_error"]), []


def attachment_payloads(raw: bytes) -> list[AttachmentPayload]:
    """Decoded attachment bytes, in the same order as `ParsedEmail.attachments`."""
    try:
        return _collect(bytes(raw)).attachments
    except Exception:  # same never-raise contract as parse_email
        return []


def content_hash(raw: bytes, *, parsed: ParsedEmail | None = None) -> str:
    """sha256 over the parsed essentials, stable across re-delivery (Received headers,
    header order/folding, CRLF vs LF), for de-duplicating mail without a Message-ID.
    `parsed` is parse_email(raw) (default limits) when the caller has it already."""
    parsed = parse_email(raw) if parsed is None else parsed
    if "parse_error" in parsed.problems:
        return hashlib.sha256(bytes(raw).replace(b"\r\n", b"\n")).hexdigest()
    essentials = [
        parsed.from_.address.lower() if parsed.from_ else "",
        sorted(a.address.lower() for a in parsed.to + parsed.cc),
        parsed.subject,
        parsed.date,
        re.sub(r"\s+", " ", parsed.text).strip(),
        [[a.filename, a.content_type, a.size] for a in parsed.attachments],
    ]
    return hashlib.sha256(json.dumps(essentials, ensure_ascii=False).encode("utf-8")).hexdigest()


def _collect(raw: bytes) -> Collected:
    message = BytesParser(policy=RawHeaderPolicy()).parsebytes(raw)
    collected = Collected()
    walk(message, 0, collected)
    return collected


def _read_envelope(headers: RawHeaders, parsed: ParsedEmail) -> None:
    problems = parsed.problems
    if not headers.items:
        problems.append("no_headers")
    parsed.subject = headers.text("subject", problems) or ""
    senders = parse_addresses(headers, "from", problems)
    parsed.from_ = senders[0] if senders else None
    if parsed.from_ is None:
        problems.append("missing_from")
    parsed.to = parse_addresses(headers, "to", problems)
    parsed.cc = parse_addresses(headers, "cc", problems)
    parsed.reply_to = parse_addresses(headers, "reply-to", problems)
    parsed.date = parse_date(headers, problems)
    parsed.message_id = first_message_id(headers.ascii("message-id"))
    if parsed.message_id is None:
        problems.append("missing_message_id")
    parsed.in_reply_to = first_message_id(headers.ascii("in-reply-to"))
    parsed.references = parse_message_ids(headers.ascii("references"))


def _cap(text: str, limit: int, parsed: ParsedEmail) -> str:
    if len(text) <= limit:
        return text
    if "body_truncated" not in parsed.problems:
        parsed.problems.append("body_truncated")
    return text[:limit]


def _read_body(collected: Collected, parsed: ParsedEmail, limit: int) -> None:
    html = "".join(collected.html)
    text = "\n\n".join(part.strip("\n") for part in collected.plain)
    if not collected.plain and html:
        text = html_to_text(html)
    text = _cap(text.strip(), limit, parsed)
    parts = split_reply(text, subject=parsed.subject)
    parsed.reply_text, parsed.quoted_text, parsed.signature = parts.reply, parts.quoted, parts.signature
    if "body_truncated" in parsed.problems:
        text += TRUNCATION_NOTE.format(limit=limit)
    parsed.text = text
    html = _cap(html, limit, parsed)
    if is_too_deep(html):
        parsed.problems.append("html_too_deep")
    parsed.html = sanitize_html(html) if html else ""
    parsed.attachments = [
        Attachment(p.filename, p.content_type, len(p.data), p.content_id, p.inline)
        for p in collected.attachments
    ]


def _collect_or_fallback(raw: bytes, parsed: ParsedEmail) -> Collected:
    """If `email` itself gives up (it recurses per nesting level), keep the envelope and
    show the undecoded body as plain text rather than losing the whole mail."""
    try:
        return _collect(raw)
    except Exception:  # any failure inside the stdlib parser
        parsed.problems.append("bad_mime_structure")
        body = raw[len(split_head(raw)) :].lstrip(b"\r\n")
        return Collected(plain=[decode_bytes(body, None).text.replace("\r\n", "\n")])


def _parse(raw: bytes, max_body_chars: int) -> tuple[ParsedEmail, list[AttachmentPayload]]:
    parsed = ParsedEmail()
    headers = read_headers(raw)
    _read_envelope(headers, parsed)
    collected = _collect_or_fallback(raw, parsed)
    parsed.problems.extend(collected.problems)
    _read_body(collected, parsed, max_body_chars)
    sender = parsed.from_.address if parsed.from_ else ""
    parsed.bounce = detect_bounce(collected.report, sender, parsed.subject, parsed.text)
    parsed.is_bounce = parsed.bounce is not None
    parsed.is_auto_reply = (
        parsed.is_bounce or collected.report.is_dsn or is_auto_reply(headers, parsed.subject)
    )
    parsed.language = detect_language(parsed.reply_text or parsed.text or parsed.subject)
    parsed.problems = list(dict.fromkeys(parsed.problems))
    return parsed, collected.attachments


_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


def detect_language(text: str) -> str | None:
    """Script-ratio heuristic: good enough to route Korean vs English mail, nothing more."""
    sample = text[:5000]
    hangul, kana = len(_HANGUL.findall(sample)), len(_KANA.findall(sample))
    han, latin = len(_HAN.findall(sample)), len(_LATIN.findall(sample))
    # Latin letters count less: Korean mail is full of order numbers, URLs and brand names.
    letters = hangul + kana + han + latin / 3
    if letters < 2:
        return None
    if hangul / letters >= 0.3:
        return "ko"
    if kana / letters >= 0.2:
        return "ja"
    if han / letters >= 0.3:
        return "zh"
    return "en" if latin >= 3 else None
