"""Charset handling for real-world (often mislabelled) Korean mail.

Everything here is lenient: decoding never raises, it falls back and reports
short problem codes instead.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from dataclasses import dataclass, field

# Korean mail declared as EUC-KR almost always contains CP949 (UHC) extension
# syllables such as 똠 or 햏, which strict EUC-KR rejects; CP949 is a superset.
_ALIASES: dict[str, str] = {
    "euc-kr": "cp949",
    "euc_kr": "cp949",
    "euckr": "cp949",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "ksc5601": "cp949",
    "ksc_5601": "cp949",
    "ks_x_1001": "cp949",
    "korean": "cp949",
    "x-windows-949": "cp949",
    "windows-949": "cp949",
    "ms949": "cp949",
    "uhc": "cp949",
    "utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
}

# Labels whose decoders accept every byte, so "it decoded" proves nothing.
_PERMISSIVE = {"latin_1", "iso8859-1", "cp1252", "ascii", "iso8859-15"}
_HANGUL = re.compile(r"[\uac00-\ud7a3]")


@dataclass
class Decoded:
    text: str
    problems: list[str] = field(default_factory=list)


def normalize_charset(label: str | None) -> str | None:
    """Return a Python codec name for a MIME charset label, or None if unknown/absent."""
    if not label:
        return None
    cleaned = label.strip().strip("\"'").lower()
    cleaned = _ALIASES.get(cleaned, cleaned)
    try:
        return codecs.lookup(cleaned).name
    except (LookupError, ValueError):
        return None


def _try(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _looks_like_cp949(data: bytes) -> str | None:
    """CP949 text mislabelled as Latin-1 decodes "fine" as mojibake; accept CP949 if it is mostly Hangul."""
    text = _try(data, "cp949")
    if text is None:
        return None
    non_ascii = [ch for ch in text if ord(ch) > 127]
    hangul = sum(1 for ch in non_ascii if _HANGUL.match(ch))
    return text if non_ascii and hangul * 2 >= len(non_ascii) else None


def decode_bytes(data: bytes, declared: str | None) -> Decoded:
    """Decode with the declared charset, then utf-8, then cp949, then latin-1 (never fails)."""
    if data.isascii() and not (declared and "2022" in declared.lower()):
        return Decoded(data.decode("ascii"))
    problems: list[str] = []
    codec = normalize_charset(declared)
    if declared and codec is None:
        problems.append("unknown_charset")
    elif not declared:
        problems.append("missing_charset")
    if codec is not None:
        text = _try(data, codec)
        if text is not None and codec not in _PERMISSIVE:
            return Decoded(text, problems)
        if text is not None:
            better = _try(data, "utf-8") or _looks_like_cp949(data)
            if better is None:
                return Decoded(text, problems)
            return Decoded(better, [*problems, "wrong_charset"])
    for fallback in ("utf-8", "cp949"):
        text = _try(data, fallback)
        if text is not None:
            extra = ["wrong_charset"] if codec is not None else []
            return Decoded(text, problems + extra)
    return Decoded(data.decode("latin-1"), [*problems, "undecodable_text"])


def decode_8bit_header(raw: bytes) -> Decoded:
    """Header bytes may carry raw UTF-8 or CP949 even though RFC 5322 says ASCII only."""
    if raw.isascii():
        return Decoded(raw.decode("ascii"))
    result = decode_bytes(raw, None)
    problems = ["raw_8bit_header"] + [p for p in result.problems if p != "missing_charset"]
    return Decoded(result.text, problems)


# An encoded word; the text part is lenient (broken encoders emit spaces or "?" inside Q text).
# Bounded lengths keep hostile headers full of "=?" from making the search quadratic.
_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,40})\?([bBqQ])\?([^\n]{0,1000}?)\?=")
# "=?utf-8?B?...." that never gets its closing "?=" (cut off by a broken client).
_UNTERMINATED = re.compile(r"=\?([^?\s]{1,40})\?([bBqQ])\?(\S{0,1000})$")


@dataclass
class _Chunk:
    charset: str | None  # None for plain text between encoded words
    data: bytes
    text: str = ""


def _b_decode(text: str) -> bytes | None:
    cleaned = re.sub(r"[^A-Za-z0-9+/]", "", text)
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned)
    except (binascii.Error, ValueError):
        return None


def _q_decode(text: str) -> bytes:
    raw = text.replace("_", " ").encode("latin-1", "replace")
    return re.sub(rb"=([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)


def _word_bytes(encoding: str, text: str, problems: list[str]) -> bytes | None:
    if encoding.lower() == "q":
        return _q_decode(text)
    decoded = _b_decode(text)
    if decoded is None or (len(text.rstrip("=")) % 4 == 1):
        problems.append("bad_encoded_word")
    return decoded


def _chunks(value: str, problems: list[str]) -> list[_Chunk]:
    chunks: list[_Chunk] = []
    pos = 0
    for match in _ENCODED_WORD.finditer(value):
        chunks.append(_Chunk(None, b"", value[pos : match.start()]))
        charset, encoding, text = match.groups()
        data = _word_bytes(encoding, text, problems)
        if data is None:
            chunks.append(_Chunk(None, b"", match.group(0)))
        else:
            chunks.append(_Chunk(charset.split("*")[0], data))
        pos = match.end()
    tail = value[pos:]
    broken = _UNTERMINATED.match(tail, tail.rfind("=?")) if "=?" in tail else None
    if broken:
        problems.append("bad_encoded_word")
        chunks.append(_Chunk(None, b"", tail[: broken.start()]))
        data = _word_bytes(broken.group(2), broken.group(3), problems)
        chunks.append(_Chunk(broken.group(1), data) if data is not None else _Chunk(None, b"", tail))
    else:
        chunks.append(_Chunk(None, b"", tail))
    return chunks


def _merge(chunks: list[_Chunk]) -> list[_Chunk]:
    """Join adjacent encoded words: whitespace between them is not displayed (RFC 2047 6.2), and
    same-charset bytes are concatenated before decoding so characters split across words survive."""
    merged: list[_Chunk] = []
    for chunk in chunks:
        if chunk.charset is None and not chunk.text:
            continue
        if chunk.charset is not None and merged:
            gap = merged[-1]
            if len(merged) >= 2 and gap.charset is None and not gap.text.strip() and merged[-2].charset:
                merged.pop()
            previous = merged[-1]
            if previous.charset is not None and previous.charset.lower() == chunk.charset.lower():
                previous.data += chunk.data
                continue
        merged.append(_Chunk(chunk.charset, chunk.data, chunk.text))
    return merged


def decode_encoded_words(value: str, problems: list[str]) -> str:
    """Decode RFC 2047 encoded words leniently, appending problem codes to `problems`."""
    if "=?" not in value:
        return value
    parts: list[str] = []
    for chunk in _merge(_chunks(value, problems)):
        if chunk.charset is None:
            parts.append(chunk.text)
            continue
        result = decode_bytes(chunk.data, chunk.charset)
        codec = normalize_charset(chunk.charset)
        if "undecodable_text" in result.problems and codec is not None:
            # Usually a word cut mid-character; U+FFFD reads better than Latin-1 mojibake.
            result = Decoded(chunk.data.decode(codec, "replace"), ["bad_encoded_word"])
        problems.extend(p for p in result.problems if p != "missing_charset")
        parts.append(result.text)
    return "".join(parts)
