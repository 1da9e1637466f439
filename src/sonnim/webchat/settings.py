"""A webchat inbox's settings (Inbox.settings), read in one place with their defaults.

allowed_origins   ["https://shop.example"]: pages that may embed the widget ("*" any); Sonnim's own
                  origin is always allowed
language          "auto" (the visitor's browser), "ko" or "en"
brand_color       "#RRGGBB" (default #2563eb)
greeting          {"ko": "...", "en": "..."} or one string
offline_message   {"ko": ..., "en": ...} or one string: shown above the offline form
business_hours_id an sla BusinessHours calendar of the workspace; or
business_hours    {"time_zone": "Asia/Seoul", "weekly": {"0": [["09:00", "18:00"]], ...}}
                  (neither: always open)
prechat           [{"name": "order_number", "label": {"ko": ..., "en": ...}, "required": false,
                    "options": ["배송", "교환/반품"]}]  (options: a choice; none: free text)
visitor_messages_per_minute (20), ip_requests_per_minute (120): whole numbers from 1 to 10,000
trusted_proxies   ["10.0.0.0/8"]: our reverse proxies; X-Forwarded-For counts only from them (the per-IP
                  limit then counts the address they saw), else the direct peer is the visitor
"""

import re

from django.utils.translation import gettext as _

from sonnim.core.errors import SonnimError
from sonnim.inboxes.adapters.network import Network, networks

COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
DEFAULT_COLOR = "#2563eb"
DEFAULT_GREETING = {"ko": "안녕하세요! 무엇을 도와드릴까요?", "en": "Hi! How can we help?"}
DEFAULT_OFFLINE = {
    "ko": "지금은 상담 시간이 아닙니다. 남겨 주시면 이메일이나 카카오톡으로 답변드릴게요.",
    "en": "We're away right now. Leave a message and we'll answer by email or KakaoTalk.",
}
LIMITS = {"visitor_messages_per_minute": 20, "ip_requests_per_minute": 120}  # name -> default
LIMIT_MAX = 10_000


def localized(value, default: dict) -> dict:
    if isinstance(value, str) and value:
        return {"ko": value, "en": value}
    if isinstance(value, dict):
        return {lang: str(value.get(lang) or default[lang]) for lang in ("ko", "en")}
    return dict(default)


def validate(settings: dict) -> None:
    bad: dict[str, str] = {}
    origins = settings.get("allowed_origins", [])
    if not isinstance(origins, list) or not all(
        isinstance(o, str) and (o == "*" or re.match(r"^https?://[^/\s]+$", o)) for o in origins
    ):
        bad["allowed_origins"] = "a list of origins like https://shop.example (no path), or *"
    if settings.get("language", "auto") not in ("auto", "ko", "en"):
        bad["language"] = "auto, ko or en"
    if not COLOR.match(str(settings.get("brand_color", DEFAULT_COLOR))):
        bad["brand_color"] = "a colour like #2563eb"
    prechat = settings.get("prechat", [])
    if not isinstance(prechat, list) or not all(
        isinstance(q, dict) and NAME.match(str(q.get("name", ""))) for q in prechat
    ):
        bad["prechat"] = "a list of questions, each with a name like order_number"
    hours = settings.get("business_hours")
    if hours is not None and not (isinstance(hours, dict) and isinstance(hours.get("weekly"), dict)):
        bad["business_hours"] = "{time_zone, weekly: {0..6: [[HH:MM, HH:MM]]}}"
    for name in LIMITS:
        if name in settings and _limit(settings[name]) is None:
            bad[name] = f"a whole number from 1 to {LIMIT_MAX:,}"
    try:
        networks(settings.get("trusted_proxies", []))
    except (TypeError, ValueError):
        bad["trusted_proxies"] = "a list of IP addresses or CIDR ranges"
    if bad:
        raise SonnimError("invalid_webchat_settings", _("Some web chat settings are wrong."), details=bad)


def prechat_questions(settings: dict) -> list[dict]:
    questions = []
    for q in settings.get("prechat", []) or []:
        if not isinstance(q, dict) or not NAME.match(str(q.get("name", ""))):
            continue
        label = localized(q.get("label") or q["name"], {"ko": q["name"], "en": q["name"]})
        options = [str(o)[:80] for o in q.get("options", []) if isinstance(o, str | int)][:20]
        questions.append(
            {"name": q["name"], "label": label, "required": bool(q.get("required")), "options": options}
        )
    return questions


def _limit(value) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    return number if 1 <= number <= LIMIT_MAX else None


def limit(settings: dict, name: str) -> int:
    """A per-minute limit: the inbox's value, or the default when it is missing or wrong (settings saved
    before validation existed must not break every widget call)."""
    value = _limit(settings.get(name, LIMITS[name]))
    return LIMITS[name] if value is None else value


def trusted_proxies(settings: dict) -> list[Network]:
    """The inbox's reverse proxies (none when the setting is missing or wrong)."""
    try:
        return networks(settings.get("trusted_proxies", []))
    except (TypeError, ValueError):
        return []
