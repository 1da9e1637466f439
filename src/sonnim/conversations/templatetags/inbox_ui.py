"""Template filters of the agent UI: relative times like the JS shows them, channel glyphs, highlights."""

import re
from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()

# One or two letters per channel kind; the full name goes in the aria-label beside it.
CHANNEL_GLYPHS = {
    "api": "API",
    "email": "✉",
    "webchat": "W",
    "kakao": "K",
    "talktalk": "N",
    "sms": "SMS",
    "phone": "☎",
    "board": "Q&A",
    "sns": "#",
}


@register.filter
def channel_glyph(kind: str) -> str:
    return CHANNEL_GLYPHS.get(kind, "•")


# Labels by value without Model.get_FOO_display(), which rebuilt its choices (make_hashable) on every call:
# a quarter of the inbox list's render time, three calls a row.
@register.filter
def channel_label(kind: str) -> str:
    from sonnim.inboxes.choices import ChannelKind

    return str(dict(ChannelKind.choices).get(kind, kind)) if kind in ChannelKind.values else kind


@register.filter
def priority_label(priority: str) -> str:
    from sonnim.conversations.choices import Priority

    return str(Priority(priority).label) if priority in Priority.values else priority


@register.filter
def reltime(value: datetime | None, now: datetime | None = None) -> str:
    """ "3분 전" / "3 minutes ago"; the same rules as relTime() in static/sonnim/time.js."""
    if value is None:
        return ""
    seconds = ((now or timezone.now()) - value).total_seconds()
    if seconds < 45:
        return _("just now")
    minutes = max(1, round(seconds / 60))
    if minutes < 60:
        return ngettext("%(n)d minute ago", "%(n)d minutes ago", minutes) % {"n": minutes}
    hours = round(seconds / 3600)
    if hours < 24:
        return ngettext("%(n)d hour ago", "%(n)d hours ago", hours) % {"n": hours}
    days = round(seconds / 86400)
    return ngettext("%(n)d day ago", "%(n)d days ago", days) % {"n": days}


@register.filter
def highlight(text: str, query: str) -> SafeString:
    """Wrap each query word in <mark>. Korean words match inside longer words ("환불" in "환불해주세요")."""
    words = sorted({w for w in (query or "").split() if w}, key=len, reverse=True)
    if not words:
        return escape(text)
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    out.append(escape(text[last:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece is escaped above


@register.filter
def is_image(content_type: str) -> bool:
    return content_type.startswith("image/")


@register.filter
def file_url(attachment) -> str:
    from sonnim.conversations.attachments import attachment_url

    return attachment_url(attachment)


@register.filter
def krw(value: int | None) -> str:
    """12,900원 (integer won; never a float)."""
    if value is None:
        return ""
    return _("%(amount)s won") % {"amount": f"{int(value):,}"}
