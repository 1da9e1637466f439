"""HTML sanitizing (nh3) and HTML-to-text conversion for mail bodies."""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

import nh3

_SAFE_STYLE = {
    "color",
    "background-color",
    "font-weight",
    "font-style",
    "font-size",
    "font-family",
    "text-align",
    "text-decoration",
    "line-height",
    "margin",
    "margin-left",
    "margin-right",
    "margin-top",
    "margin-bottom",
    "padding",
    "padding-left",
    "padding-right",
    "padding-top",
    "padding-bottom",
    "border",
    "border-left",
    "border-top",
    "width",
    "height",
    "vertical-align",
    "white-space",
}
_TAGS = set(nh3.ALLOWED_TAGS) | {"font"}
_ATTRIBUTES: dict[str, set[str]] = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": {"style", "dir", "lang", "title"},
    "font": {"color", "face", "size"},
    "td": set(nh3.ALLOWED_ATTRIBUTES["td"]) | {"width", "valign", "bgcolor"},
    "table": set(nh3.ALLOWED_ATTRIBUTES["table"]) | {"width", "cellpadding", "cellspacing", "border"},
}


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    # Remote images are tracking pixels in practice: drop their URL so nothing loads
    # until an agent explicitly asks (the original is still in the raw message).
    # cid: images are parts of this very message, so they stay.
    if tag == "img" and attribute == "src" and not value.strip().lower().startswith("cid:"):
        return None
    return value


_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*?(/?)>")
_VOID = {"br", "img", "hr", "meta", "link", "input", "col", "area", "base", "wbr", "source", "param"}
# nh3 (html5ever) gets quadratic on absurd nesting: 20,000 nested blockquotes take seconds.
MAX_NESTING = 1000


def nesting_depth(html: str) -> int:
    """Rough maximum element nesting, good enough to spot hostile or runaway HTML."""
    depth = deepest = 0
    for match in _TAG.finditer(html):
        closing, name, self_closing = match.groups()
        if name.lower() in _VOID or self_closing:
            continue
        depth = max(0, depth - 1) if closing else depth + 1
        deepest = max(deepest, depth)
    return deepest


def is_too_deep(html: str) -> bool:
    """nesting_depth(html) > MAX_NESTING. Every level is a "<", so ordinary mail (a few hundred tags)
    is answered by one count instead of a regex pass over every tag."""
    return html.count("<") > MAX_NESTING and nesting_depth(html) > MAX_NESTING


# Built once: nh3.clean() with these options converts every set to Rust on each call, which costs as
# much as cleaning a 10 KB mail.
_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags={"script", "style", "title", "noscript", "template"},
    attributes=_ATTRIBUTES,
    attribute_filter=_filter_attribute,
    url_schemes={"http", "https", "mailto", "tel", "cid"},
    filter_style_properties=_SAFE_STYLE,
)


def sanitize_html(html: str) -> str:
    """Safe HTML for the agent UI; absurdly nested HTML is replaced by its text in a <pre>."""
    if is_too_deep(html):
        return f"<pre>{escape(html_to_text(html))}</pre>"
    return _CLEANER.clean(html)


_BLOCK = {
    "p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "dl", "dt", "dd",
    "hr", "pre", "section", "article", "header", "footer", "address", "center", "blockquote",
}  # fmt: skip
_SKIP = {"script", "style", "head", "title", "noscript", "template"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.quote_depth = 0
        self.skip_depth = 0
        self.pre_depth = 0

    def flush(self, force: bool = False) -> None:
        """End the current line; empty lines are only kept for <br> (Gmail's way to write blank lines)."""
        text = "".join(self.current)
        self.current = []
        if not force and not text.strip() and "\u00a0" not in text:
            return  # Naver and Outlook write blank lines as <p>&nbsp;</p>, so those are kept
        text = text if self.pre_depth else re.sub(r"[ \t\u00a0]+", " ", text).strip()
        prefix = "> " * min(self.quote_depth, 20)
        for line in text.split("\n"):
            self.lines.append((prefix + line).rstrip() if line or not prefix else prefix.rstrip())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip_depth += 1
        elif tag in _BLOCK:
            self.flush(force=tag == "br")
        if tag == "blockquote":
            self.quote_depth += 1
        elif tag == "pre":
            self.pre_depth += 1
        elif tag == "li":
            self.current.append("- ")
        elif tag in ("td", "th") and self.current:
            self.current.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _BLOCK:
            self.flush()
        if tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth - 1)
        elif tag == "pre":
            self.pre_depth = max(0, self.pre_depth - 1)

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.current.append(data if self.pre_depth else data.replace("\n", " "))


def html_to_text(html: str) -> str:
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    parser.flush()
    text = "\n".join(parser.lines)
    # Block tags nest deeply in mail HTML; keep at most one blank line between paragraphs.
    text = re.sub(r"\n(\s*\n){2,}", "\n\n", text)
    return text.strip("\n")
