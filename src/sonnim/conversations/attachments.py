"""Checks and storage of attachment files: size limit, allowed types, content sniffed not trusted."""

import mimetypes
import re

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from sonnim.core.errors import SonnimError

from .errors import ConversationError
from .models import Attachment, Message

ALLOWED_PREFIXES = ("image/", "text/plain", "text/csv", "audio/", "video/")
ALLOWED_TYPES = {
    "application/pdf",
    "application/zip",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/x-hwp",
    "application/haansofthwp",
    "application/vnd.hancom.hwp",
    "application/vnd.hancom.hwpx",
}
# Files that run when opened are refused whatever type they claim.
BLOCKED_EXTENSIONS = {
    ".exe",
    ".bat",
    ".cmd",
    ".com",
    ".js",
    ".msi",
    ".scr",
    ".vbs",
    ".ps1",
    ".jar",
    ".sh",
    ".html",
    ".htm",
    ".svg",
}
_MAGIC = {
    b"\x89PNG": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF8": "image/gif",
    b"%PDF": "application/pdf",
    b"MZ": "application/x-msdownload",
}


def safe_filename(name: str) -> str:
    name = re.sub(r"[\\/\x00-\x1f]", "_", name).strip(". ") or "file"
    return name[-120:]


def sniff(data: bytes) -> str | None:
    for magic, content_type in _MAGIC.items():
        if data.startswith(magic):
            return content_type
    if data[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_attachment(filename: str, content_type: str, data: bytes) -> str:
    """The content type to store, or SonnimError with a code the sender can act on."""
    if len(data) > settings.ATTACHMENT_MAX_BYTES:
        raise SonnimError(
            ConversationError.ATTACHMENT_TOO_LARGE,
            _("%(name)s is larger than %(limit)d MB.")
            % {"name": filename, "limit": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)},
            status=413,
        )
    ext = ("." + filename.rsplit(".", 1)[-1].lower()) if "." in filename else ""
    sniffed = sniff(data)
    declared = (content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream").lower()
    actual = sniffed or declared
    allowed = actual in ALLOWED_TYPES or actual.startswith(ALLOWED_PREFIXES)
    if (
        ext in BLOCKED_EXTENSIONS
        or sniffed == "application/x-msdownload"
        or not allowed
        or actual == "image/svg+xml"
    ):
        raise SonnimError(
            ConversationError.ATTACHMENT_TYPE,
            _("Files of this type cannot be attached: %(name)s") % {"name": filename},
            status=415,
        )
    return actual


def store_attachment(message: Message, *, filename: str, content_type: str, data: bytes) -> Attachment:
    filename = safe_filename(filename)
    content_type = check_attachment(filename, content_type, data)
    attachment = Attachment(
        workspace_id=message.workspace_id,
        message=message,
        filename=filename,
        content_type=content_type,
        size=len(data),
    )
    attachment.file.save(filename, ContentFile(data), save=False)
    attachment.save()
    return attachment


SIGNING_SALT = "sonnim.attachment"


def attachment_url(attachment: Attachment) -> str:
    """An unguessable link (served by views.attachment_file): platforms fetching outbound files need no
    login, and strangers cannot enumerate other customers' files."""
    token = signing.dumps([attachment.pk, attachment.workspace_id], salt=SIGNING_SALT, compress=True)
    return f"/files/{token}/{attachment.filename}"
