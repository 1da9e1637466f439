"""Inbound e-mail parsing for Sonnim (pure library: standard library + nh3)."""

from .parser import (
    Address,
    Attachment,
    AttachmentPayload,
    Bounce,
    ParsedEmail,
    attachment_payloads,
    content_hash,
    parse_email,
    parse_email_and_payloads,
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
