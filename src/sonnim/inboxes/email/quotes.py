"""Split a plain-text body into what the sender newly wrote, quoted history and signature.

Forwards: when a customer forwards something to the shop (an order confirmation, a
courier notice), the forwarded content *is* the message, so a forward marker is not
treated as quoted history: the forwarded block stays in `reply`. Only a reply
attribution ("... wrote:", Outlook header block, "Original Message") that appears
*before* any forward marker starts quoted history. An Outlook-style header block in a
mail whose subject says it is a forward ("FW:", "Fwd:", "전달:") counts as a forward.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ON_WROTE = re.compile(r"^On\b.{4,300}\bwrote:?$", re.IGNORECASE)
# Gmail: "2026년 11월 3일 (화) 오후 2:10, 홍길동 <a@b.kr>님이 작성:"
# Apple/iPhone: "2026. 11. 3. 오후 2:10, 홍길동 <a@b.kr> 작성:"
_KO_WROTE = re.compile(r"^\d{4}\s*[년./-].{4,300}(님이 작성|작성|작성했습니다|님이 씀|wrote):?$")
_SEPARATOR = re.compile(
    r"^\s*[-=_]{2,}\s*(original message|original mail|원본 ?메시지|원본 ?메일)\s*[-=_]{2,}\s*$",
    re.IGNORECASE,
)
_FORWARD = re.compile(
    r"^\s*(-{3,}\s*(forwarded message|전달된 메시지|전달된 메일|전달 메시지)\s*-{3,}"
    r"|begin forwarded message:|전달된 메시지:|forwarded message:)\s*$",
    re.IGNORECASE,
)
_OUTLOOK_FROM = re.compile(r"^\*?(from|보낸 사람|보낸사람)\s*:", re.IGNORECASE)
_OUTLOOK_DATE = re.compile(r"^\*?(sent|date|보낸 날짜|보낸날짜|날짜)\s*:", re.IGNORECASE)
_OUTLOOK_SUBJECT = re.compile(r"^\*?(subject|제목)\s*:", re.IGNORECASE)
_RULE = re.compile(r"^\s*[_\-=]{8,}\s*$")
_FORWARD_SUBJECT = re.compile(r"^\s*(fwd?|전달)\s*:", re.IGNORECASE)
_SIG_DELIMITER = re.compile(r"^--\s*$")
_MOBILE_SIGNATURE = re.compile(
    r"^(sent from my \S.{0,40}|sent from (outlook|mail|yahoo mail|samsung|gmail)\b.{0,40}"
    r"|get outlook for \S.{0,60}|\S.{0,30}에서 보냄\.?|\S.{0,30}에서 보냈습니다\.?)$",
    re.IGNORECASE,
)


@dataclass
class ReplyParts:
    reply: str
    quoted: str
    signature: str


def _attribution_at(lines: list[str], index: int) -> bool:
    """Attribution lines wrap over up to three lines in Gmail and Apple Mail."""
    first = lines[index].strip()
    if not (first.lower().startswith("on ") or re.match(r"^\d{4}\s*[년./-]", first)):
        return False
    joined = first
    for extra in range(3):
        if extra:
            if index + extra >= len(lines) or not lines[index + extra].strip():
                return False
            joined = f"{joined} {lines[index + extra].strip()}"
        if _ON_WROTE.match(joined) or _KO_WROTE.match(joined):
            return True
    return False


def _outlook_block_at(lines: list[str], index: int) -> bool:
    if not _OUTLOOK_FROM.match(lines[index].strip()):
        return False
    window = [line.strip() for line in lines[index + 1 : index + 7]]
    return any(_OUTLOOK_DATE.match(line) for line in window) and any(
        _OUTLOOK_SUBJECT.match(line) for line in window
    )


def _with_rule(lines: list[str], index: int) -> int:
    """Include the "______" rule Outlook draws above its header block."""
    previous = index - 1
    while previous >= 0 and not lines[previous].strip():
        previous -= 1
    return previous if previous >= 0 and _RULE.match(lines[previous]) else index


def _find_markers(lines: list[str]) -> tuple[int | None, int | None, bool]:
    """Return (first quote start, first forward start, whether the quote start is header-block style)."""
    for index, line in enumerate(lines):
        stripped = line.strip()
        if _FORWARD.match(stripped):
            return None, index, False
        if _attribution_at(lines, index):
            return index, None, False
        if _SEPARATOR.match(stripped):
            return index, None, True
        if _outlook_block_at(lines, index):
            return _with_rule(lines, index), None, True
    return None, None, False


def _split_signature(lines: list[str]) -> tuple[list[str], list[str]]:
    for index in range(len(lines) - 1, -1, -1):
        if _SIG_DELIMITER.match(lines[index]):
            return lines[:index], lines[index + 1 :]
    content = [i for i, line in enumerate(lines) if line.strip()]
    start = None
    for index in reversed(content[-3:]):
        if not _MOBILE_SIGNATURE.match(lines[index].strip()):
            break
        start = index
    if start is None:
        return lines, []
    return lines[:start], lines[start:]


def _join(lines: list[str]) -> str:
    return "\n".join(lines).strip("\n").rstrip()


def split_reply(text: str, *, subject: str = "") -> ReplyParts:
    lines = text.split("\n")
    quote, forward, header_block = _find_markers(lines)
    if quote is not None and header_block and _FORWARD_SUBJECT.match(subject):
        quote, forward = None, quote
    end = quote if quote is not None else forward if forward is not None else len(lines)
    own = lines[:end]
    quoted_history = lines[quote:] if quote is not None else []
    forwarded = lines[forward:] if forward is not None else []
    # Interleaved or bottom-quoted "> " lines inside the sender's own part.
    quoted_lines = [line for line in own if line.startswith(">")]
    own = [line for line in own if not line.startswith(">")]
    body, signature = _split_signature(own)
    reply = _join(body)
    if forwarded:
        reply = f"{reply}\n\n{_join(forwarded)}" if reply else _join(forwarded)
    quoted = "\n".join(part for part in (_join(quoted_lines), _join(quoted_history)) if part)
    return ReplyParts(reply=reply.strip(), quoted=quoted, signature=_join(signature).strip())


def unflow(text: str, *, delsp: bool) -> str:
    """Undo RFC 3676 format=flowed soft line breaks (Apple Mail, Thunderbird)."""
    out: list[str] = []
    pending: str | None = None
    pending_depth = -1
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing
        if pending is not None and depth == pending_depth:
            content = pending + content
        elif pending is not None:
            out.append(_flowed_line(pending, pending_depth))
        pending = None
        if content.endswith(" ") and content != "-- ":
            pending, pending_depth = (content[:-1] if delsp else content), depth
            continue
        out.append(_flowed_line(content, depth))
    if pending is not None:
        out.append(_flowed_line(pending, pending_depth))
    return "\n".join(out)


def _flowed_line(content: str, depth: int) -> str:
    return ("> " * depth + content).rstrip() if depth else content
