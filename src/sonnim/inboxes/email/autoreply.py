"""Auto-reply / bulk detection and bounce (delivery failure) parsing.

`is_auto_reply` means "machine-generated or bulk: never answer it automatically",
so mailing-list and marketplace notification mail counts too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message
from email.parser import HeaderParser

from .headers import RawHeaders, first_message_id

_BULK_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
_AUTO_FLAG_HEADERS = ("x-autoreply", "x-autorespond", "x-autoresponder", "x-auto-response-suppress")
_BULK_HEADERS = ("list-id", "list-unsubscribe")
# Subjects are matched as a prefix: "부재중" alone also means "I was out" in delivery complaints
# ("부재중이라 택배를 못 받았어요"), so the Korean words need a bracket/colon or a notice word.
_AUTO_SUBJECT = re.compile(
    r"^\s*(\[|\()?\s*("
    r"out of (the )?office|automatic reply|auto[- ]?reply|autoreply|auto:|auto response|autoresponse"
    r"|자동\s?회신|자동\s?응답|부재\s?중\s*[:\]\)]|부재\s?중\s*(안내|알림|입니다|자동)|휴가\s?중\s*[:\]\)]"
    r")",
    re.IGNORECASE,
)
_BOUNCE_SUBJECT = re.compile(
    r"undelivered mail returned to sender|delivery status notification \(failure\)|mail delivery failed"
    r"|^\s*undeliverable:|^\s*returned mail:|failure notice|delivery failure"
    r"|메일 ?전송 ?실패|메일 ?발송 ?실패|메일 ?전송에 ?실패|메일이 반송",
    re.IGNORECASE,
)
_DAEMON_LOCALPARTS = {"mailer-daemon", "postmaster", "mail-daemon"}
_STATUS = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")
_SMTP_LINE = re.compile(r"^.*\b[45]\d\d[ -](?:[45]\.\d{1,3}\.\d{1,3}\b)?.*$", re.MULTILINE)
_ANGLE_ADDRESS = re.compile(r"<([^<>\s@]+@[^<>\s@]+)>")
_BODY_MESSAGE_ID = re.compile(r"^\s*Message-ID:\s*<([^<>\s]+)>", re.IGNORECASE | re.MULTILINE)
_NOT_FAILED = {"delayed", "delivered", "relayed", "expanded"}


def is_auto_reply(headers: RawHeaders, subject: str) -> bool:
    auto_submitted = headers.ascii("auto-submitted").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if any(headers.has(name) and headers.ascii(name).lower() != "no" for name in _AUTO_FLAG_HEADERS):
        return True
    if headers.ascii("precedence").lower() in _BULK_PRECEDENCE:
        return True
    if any(headers.has(name) for name in _BULK_HEADERS):
        return True
    # The null reverse-path is reserved for notifications (RFC 5321 4.5.5).
    if headers.ascii("return-path").replace(" ", "") == "<>":
        return True
    return bool(_AUTO_SUBJECT.match(subject))


@dataclass
class Bounce:
    status: str | None = None
    diagnostic: str | None = None
    original_message_id: str | None = None
    recipient: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {
            "status": self.status,
            "diagnostic": self.diagnostic,
            "original_message_id": self.original_message_id,
            "recipient": self.recipient,
        }


@dataclass
class ReportParts:
    """Machine-readable pieces of a delivery report, collected during the MIME walk."""

    delivery_status: list[Message] = field(default_factory=list)
    originals: list[Message] = field(default_factory=list)
    is_dsn: bool = False


def _status_blocks(part: Message) -> list[dict[str, str]]:
    """message/delivery-status is a series of header blocks: per-message first, then per-recipient."""
    payload = part.get_payload()
    if isinstance(payload, list):
        blocks = [block for block in payload if isinstance(block, Message)]
    else:
        raw = part.get_payload(decode=True) or b""
        texts = re.split(r"\r?\n\s*\r?\n", raw.decode("utf-8", "replace"))
        blocks = [HeaderParser().parsestr(text.strip() + "\n") for text in texts]
    result: list[dict[str, str]] = []
    for block in blocks:
        fields = {key.lower(): re.sub(r"\s+", " ", str(value)).strip() for key, value in block.items()}
        if fields:
            result.append(fields)
    return result


def _after_type(value: str | None) -> str | None:
    """DSN fields look like "rfc822; user@example.com" or "smtp; 550 5.1.1 ..."."""
    if not value:
        return None
    return value.split(";", 1)[1].strip() if ";" in value else value.strip()


def _original_message_id(report: ReportParts, text: str) -> str | None:
    for part in report.originals:
        payload = part.get_payload()
        if isinstance(payload, list) and payload and isinstance(payload[0], Message):
            headers = payload[0]
        else:
            raw = part.get_payload(decode=True) or b""
            headers = HeaderParser().parsestr(raw.decode("utf-8", "replace"))
        message_id = first_message_id(str(headers.get("message-id", "")))
        if message_id:
            return message_id
    match = _BODY_MESSAGE_ID.search(text)
    return match.group(1) if match else None


def _from_dsn(report: ReportParts, text: str) -> tuple[bool, Bounce]:
    recipients = [block for part in report.delivery_status for block in _status_blocks(part)]
    recipients = [b for b in recipients if "final-recipient" in b or "original-recipient" in b]
    failed = [b for b in recipients if b.get("action", "").lower() not in _NOT_FAILED]
    chosen = (failed or recipients or [{}])[0]
    bounce = Bounce(
        status=chosen.get("status") or None,
        diagnostic=_after_type(chosen.get("diagnostic-code")),
        original_message_id=_original_message_id(report, text),
        recipient=_after_type(chosen.get("final-recipient") or chosen.get("original-recipient")),
    )
    return bool(failed) or not recipients, bounce


def _from_text(report: ReportParts, text: str) -> Bounce:
    status = _STATUS.search(text)
    smtp = _SMTP_LINE.search(text)
    recipient = _ANGLE_ADDRESS.search(text)
    return Bounce(
        status=status.group(1) if status else None,
        diagnostic=smtp.group(0).strip() if smtp else None,
        original_message_id=_original_message_id(report, text),
        recipient=recipient.group(1) if recipient else None,
    )


def detect_bounce(report: ReportParts, sender: str, subject: str, text: str) -> Bounce | None:
    """Standard DSNs first; otherwise the usual MAILER-DAEMON / "Undelivered Mail" heuristics."""
    if report.is_dsn:
        failed, bounce = _from_dsn(report, text)
        return bounce if failed else None
    localpart = sender.split("@")[0].lower()
    if localpart in _DAEMON_LOCALPARTS or _BOUNCE_SUBJECT.search(subject):
        return _from_text(report, text)
    return None
