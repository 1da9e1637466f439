"""Article Markdown to safe HTML (pages) and to plain text (chat answers, meta descriptions)."""

import re

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe


def render_markdown(body: str) -> SafeString:
    """Markdown to HTML, then nh3 keeps only safe tags and attributes: an article can hold no script, no
    event handler and no javascript: link, whoever wrote it."""
    html = markdown.markdown(body, extensions=["extra", "sane_lists"], output_format="html")
    return mark_safe(nh3.clean(html))  # noqa: S308 - sanitized by nh3 on this line


def plain_excerpt(body: str, limit: int = 280) -> str:
    """The article's words without Markdown (links keep their text, not their target), cut at `limit`."""
    text = nh3.clean(body, tags=set())  # raw HTML inside Markdown goes first
    text = re.sub(r"\[([^\]]*)\]\((?:[^()]|\([^()]*\))*\)", r"\1", text)  # one level of nested ()
    text = re.sub(r"[*_`#>]+", "", text)
    text = re.sub(r"^\s*[-+]\s+", "· ", text, flags=re.MULTILINE)
    text = re.sub(r"\n{2,}", "\n", text).strip()
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
