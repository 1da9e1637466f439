"""The email inbox: raw RFC 822 mail in (forwarded by the shop's MTA to /hooks/email/<key>, or polled over
IMAP by inboxes.tasks), replies out over SMTP. Parsing is the `inboxes.email` library's; this module only
maps it onto the adapter contract, threads replies with our own Message-IDs, and talks SMTP.

Inbox.settings = {"imap": {...}, "smtp": {...}} (see EmailSettings); Inbox.credentials holds
{"imap_password", "smtp_password"}."""

import html
import re
import smtplib
import ssl
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Literal

from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sonnim.core.errors import SonnimError
from sonnim.inboxes.email import AttachmentPayload, ParsedEmail, content_hash, parse_email_and_payloads
from sonnim.inboxes.email.autoreply import Bounce
from sonnim.inboxes.errors import InboxError

from .base import (
    BounceReport,
    ChannelAdapter,
    Delivered,
    DeliveryFailed,
    InboundAttachment,
    InboundMessage,
    OutboundMessage,
    SenderIdentity,
    WebhookRejected,
)

MAX_RAW_BYTES = 40 * 1024 * 1024  # a forwarded mail above this is refused (attachments are capped at 20 MB)

# --- settings ----------------------------------------------------------------------------------------------


class ImapSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = Field(min_length=1, max_length=255)
    port: int = Field(default=993, ge=1, le=65535)
    security: Literal["ssl", "starttls", "none"] = "ssl"
    user: str = Field(min_length=1, max_length=255)
    folder: str = Field(default="INBOX", min_length=1, max_length=255)
    processed_folder: str = Field(default="", max_length=255)  # move processed mail here; "" = flag \Seen


class SmtpSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = Field(min_length=1, max_length=255)
    port: int = Field(default=465, ge=1, le=65535)
    security: Literal["ssl", "starttls", "none"] = "ssl"
    user: str = Field(default="", max_length=255)  # "" = no AUTH (a local relay)
    from_address: str = Field(max_length=254)
    from_name: str = Field(default="", max_length=120)
    signature: str = Field(default="", max_length=2000)  # appended to every reply of this inbox

    @field_validator("from_address")
    @classmethod
    def _looks_like_address(cls, value: str) -> str:
        if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", value):
            raise ValueError("not an email address")
        return value

    @property
    def domain(self) -> str:
        return self.from_address.rsplit("@", 1)[1].lower()


class EmailSettings(BaseModel):
    """Both halves are optional: a forwarding-only inbox has no IMAP, a receive-only one no SMTP."""

    model_config = ConfigDict(extra="forbid")

    imap: ImapSettings | None = None
    smtp: SmtpSettings | None = None


def read_settings(raw: dict) -> EmailSettings:
    try:
        return EmailSettings.model_validate(raw or {})
    except ValidationError as exc:
        fields = {".".join(str(p) for p in e["loc"]): e["msg"] for e in exc.errors()}
        raise SonnimError(
            InboxError.INVALID_EMAIL_SETTINGS,
            _("The email inbox settings are incomplete or wrong."),
            details=fields,
        ) from exc


# --- our Message-IDs and subject tags: the reply token ------------------------------------------------

_TOKEN = re.compile(r"^sonnim\.(\d+)\.(\d+)\.([0-9a-f]{12})@", re.IGNORECASE)
_SUBJECT_TAG = re.compile(r"\[#(\d{1,12})\]")
_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|답장|회신|전달)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)


def _token_mac(conversation_id: int, message_id: int) -> str:
    return salted_hmac(
        "sonnim.email.reply-token", f"{conversation_id}.{message_id}", algorithm="sha256"
    ).hexdigest()[:12]


def outbound_message_id(conversation_id: int, message_id: int, domain: str) -> str:
    """Deterministic, so a retried send carries the same Message-ID; signed, so a stranger cannot forge a
    reference into someone else's conversation. No angle brackets (stored like parsed ids)."""
    return f"sonnim.{conversation_id}.{message_id}.{_token_mac(conversation_id, message_id)}@{domain}"


def read_reply_token(message_id: str) -> tuple[int, int] | None:
    """(conversation id, message id) of one of our outbound Message-IDs, or None (not ours, or forged)."""
    match = _TOKEN.match(message_id or "")
    if not match:
        return None
    conversation_id, outbound_id = int(match[1]), int(match[2])
    return (
        (conversation_id, outbound_id)
        if constant_time_compare(match[3].lower(), _token_mac(conversation_id, outbound_id))
        else None
    )


def read_subject_tag(subject: str) -> int | None:
    match = _SUBJECT_TAG.search(subject or "")
    return int(match[1]) if match else None


def reply_subject(subject: str, conversation_id: int) -> str:
    base = _REPLY_PREFIX.sub("", _SUBJECT_TAG.sub("", subject or "")).strip()
    return f"Re: {base} [#{conversation_id}]" if base else f"Re: [#{conversation_id}]"


# --- inbound ------------------------------------------------------------------------------------------------

_ADDRESS = re.compile(r"<?[^\s<>()\"',;:]+@[^\s<>()\"',;:]+>?")


def without_addresses(text: str) -> str:
    """Bounce diagnostics and SMTP replies often quote the recipient: agents see the reason, not it."""
    return _ADDRESS.sub("<address>", text or "")


def bounce_reason(bounce: Bounce) -> str:
    parts = [p for p in (bounce.status, without_addresses(bounce.diagnostic or "").strip()) if p]
    return ("bounced: " + " ".join(parts) if parts else "bounced")[:300]


def _sent_at(parsed: ParsedEmail) -> datetime | None:
    try:
        return datetime.fromisoformat(parsed.date) if parsed.date else None
    except ValueError:
        return None


def _accepted_attachments(
    payloads: list[AttachmentPayload],
) -> tuple[list[InboundAttachment], list[str]]:
    """The files the desk may store; refused ones (winmail.dat, executables, too large) are named in the
    text instead of failing the whole mail."""
    from sonnim.conversations.attachments import check_attachment  # a pure check over bytes

    accepted, refused = [], []
    for index, payload in enumerate(payloads, start=1):
        filename = payload.filename or f"attachment-{index}"
        try:
            content_type = check_attachment(filename, payload.content_type, payload.data)
        except SonnimError:
            refused.append(filename)
            continue
        accepted.append(InboundAttachment(filename=filename, content_type=content_type, data=payload.data))
    return accepted, refused


def _bodies(parsed: ParsedEmail, refused: list[str]) -> tuple[str, str]:
    """(text, quoted_text): the new words for the timeline, the rest behind the toggle."""
    if parsed.reply_text.strip():
        text, quoted = (
            parsed.reply_text,
            "\n\n".join(p for p in (parsed.signature, parsed.quoted_text) if p.strip()),
        )
    else:  # only quoted text (a bare forward): show all of it
        text, quoted = parsed.text, ""
    if refused:
        text += "\n\n" + _("[Attachments not accepted: %(names)s]") % {"names": ", ".join(refused)}
    return text, quoted


class EmailAdapter(ChannelAdapter):
    @classmethod
    def validate_settings(cls, settings: dict) -> None:
        read_settings(settings)

    @property
    def email_settings(self) -> EmailSettings:
        return read_settings(self.config.settings)

    def parse(self, request: HttpRequest) -> list[InboundMessage]:
        if len(request.body) > MAX_RAW_BYTES:
            raise WebhookRejected("email_too_large", "The mail is larger than 40 MB.", status=413)
        if request.body.isspace() or not request.body:  # not .strip(): that copies up to 40 MB
            raise WebhookRejected("empty_email", "The body must be a raw RFC 822 message.")
        return [self.inbound_from_raw(request.body)]

    def acknowledge(self, received: list) -> HttpResponse:
        items = [
            {
                "message_id": r.message.pk if r.message else None,
                "duplicate": r.duplicate,
                "bounce": r.is_bounce,
            }
            for r in received
        ]
        return JsonResponse(items[0] if len(items) == 1 else items, safe=False)

    def inbound_from_raw(self, raw: bytes) -> InboundMessage:
        """One raw mail (hook body or IMAP fetch) to an InboundMessage. Raises WebhookRejected only when the
        mail names no sender at all; everything else odd is recorded by the parser and stored."""
        parsed, payloads = parse_email_and_payloads(raw)
        sender = parsed.from_ or (parsed.reply_to[0] if parsed.reply_to else None)
        if sender is None or "@" not in sender.address:
            raise WebhookRejected("email_missing_sender", "The mail has no From address.")
        if read_reply_token(parsed.message_id or ""):
            # Our own reply came back (a BCC to the shop, a copy in the polled folder). Answered with 200 so a
            # piping MTA does not bounce it, which would come back to us as a bounce of that very reply.
            raise WebhookRejected(
                "own_message", "This is a reply Sonnim sent; it is not stored again.", status=200
            )
        address = sender.address.strip().lower()
        attachments, refused = _accepted_attachments(payloads)
        text, quoted = _bodies(parsed, refused)
        bounce = None
        if parsed.is_bounce and parsed.bounce is not None:
            bounce = BounceReport(parsed.bounce.original_message_id or "", bounce_reason(parsed.bounce))
        return InboundMessage(
            inbox_id=self.config.inbox_id,
            external_id=(parsed.message_id or f"sha256:{content_hash(raw, parsed=parsed)}")[:255],
            # Plain mail proves nothing about the From address: it finds the customer through an existing
            # email identity, but never joins a profile by contact data.
            sender=SenderIdentity(
                external_id=address, name=sender.name or "", email=address, is_verified=False
            ),
            text=text,
            html=parsed.html,
            is_html_sanitized=True,  # by the parser, with the mail allowlist (styles, cid: images)
            subject=parsed.subject,
            sent_at=_sent_at(parsed),
            attachments=attachments,
            quoted_text=quoted,
            message_id=parsed.message_id or "",
            in_reply_to=parsed.in_reply_to or "",
            references=list(parsed.references),
            is_auto_reply=parsed.is_auto_reply,
            bounce=bounce,
        )

    # --- outbound over SMTP ---------------------------------------------------------------------------------

    def deliver(self, message: OutboundMessage) -> Delivered | DeliveryFailed:
        try:
            smtp = self.email_settings.smtp
        except SonnimError:
            return DeliveryFailed("the email inbox settings are invalid", retryable=False)
        if smtp is None:
            return DeliveryFailed("this email inbox has no SMTP settings", retryable=False)
        if "@" not in message.recipient_external_id:
            return DeliveryFailed("the customer has no email address on this inbox", retryable=False)
        mail = compose_reply(message, smtp)
        failure = self._send(mail, smtp, message.recipient_external_id)
        return failure or Delivered(external_id=mail["Message-ID"].strip("<> "))

    def _send(self, mail: EmailMessage, smtp: SmtpSettings, recipient: str) -> DeliveryFailed | None:
        timeout = django_settings.DELIVERY_TIMEOUT_SECONDS
        try:
            if smtp.security == "ssl":
                client = smtplib.SMTP_SSL(
                    smtp.host, smtp.port, timeout=timeout, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(smtp.host, smtp.port, timeout=timeout)
            with client:
                if smtp.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if smtp.user:
                    client.login(smtp.user, self.config.credentials.get("smtp_password", ""))
                client.send_message(mail, from_addr=smtp.from_address, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            return _smtp_failure(code, reply)
        except smtplib.SMTPResponseException as exc:
            return _smtp_failure(exc.smtp_code, exc.smtp_error)
        except (smtplib.SMTPException, OSError) as exc:  # refused connection, timeout, TLS, dropped line
            return DeliveryFailed(f"mail server unreachable: {type(exc).__name__}", retryable=True)
        return None


def _smtp_failure(code: int, reply: bytes | str) -> DeliveryFailed:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    reason = f"SMTP {code}: {without_addresses(' '.join(text.split()))}"[:300]
    # 4xx is the server's "try again later"; 5xx is final (no such user, refused, auth failed).
    return DeliveryFailed(reason, retryable=not 500 <= code < 600)


def _with_signature(text: str, signature: str) -> str:
    return f"{text.rstrip()}\n\n-- \n{signature.strip()}" if signature.strip() else text


def _as_html(text: str) -> str:
    paragraphs = [html.escape(p).replace("\n", "<br>\n") for p in text.split("\n\n")]
    return "<!DOCTYPE html><html><body>" + "".join(f"<p>{p}</p>\n" for p in paragraphs) + "</body></html>"


def compose_reply(message: OutboundMessage, smtp: SmtpSettings) -> EmailMessage:
    """The reply as sent: our signed Message-ID, the thread's In-Reply-To/References, "Re: … [#id]",
    text with an HTML alternative, the inbox signature, and the files."""
    mail = EmailMessage()
    mail["From"] = Address(display_name=smtp.from_name or message.author_name, addr_spec=smtp.from_address)
    mail["To"] = message.recipient_external_id
    mail["Subject"] = reply_subject(message.subject, message.conversation_id)
    mail["Date"] = format_datetime(timezone.now())
    mail["Message-ID"] = f"<{outbound_message_id(message.conversation_id, message.message_id, smtp.domain)}>"
    if message.in_reply_to:
        mail["In-Reply-To"] = f"<{message.in_reply_to}>"
    references = list(dict.fromkeys([*message.references, message.in_reply_to]))
    if any(references):
        mail["References"] = " ".join(f"<{r}>" for r in references if r)
    text = _with_signature(message.text, smtp.signature)
    mail.set_content(text)
    mail.add_alternative(_as_html(text), subtype="html")
    for a in message.attachments:
        with default_storage.open(a.storage_name, "rb") as f:
            data = f.read()
        maintype, _slash, subtype = a.content_type.partition("/")
        mail.add_attachment(
            data, maintype=maintype or "application", subtype=subtype or "octet-stream", filename=a.filename
        )
    return mail
