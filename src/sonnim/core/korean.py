"""Korean (and English) text to search tokens, through kiwipiepy morphemes.

"환불해주세요" -> ["환불"], "반품요청합니다" -> ["반품", "요청"]: so a search for 환불 finds the first.
The Kiwi model is loaded once per process, lazily, and shared (loading takes about a second)."""

import re
import threading
import unicodedata
from functools import lru_cache

_kiwi = None
_lock = threading.Lock()

# Content morphemes: nouns, pronouns/numerals, verb and adjective stems, roots, foreign words, numbers,
# hanja, and Kiwi's pattern tokens (serials like order numbers, hashtags, emails, URLs).
_KEEP_TAGS = {"NNG", "NNP", "NNB", "NR", "NP", "VV", "VA", "XR", "SL", "SN", "SH", "MAG"}
_PATTERN_TAGS = ("W_SERIAL", "W_HASHTAG", "W_EMAIL", "W_URL", "W_MENTION")
_MAX_CHARS = 20_000  # a huge mail body is indexed by its beginning
_WORD = re.compile(r"[0-9a-z가-힣]+")


def kiwi():
    global _kiwi
    if _kiwi is None:
        with _lock:
            if _kiwi is None:
                from kiwipiepy import Kiwi

                instance = Kiwi()
                for _ in range(300):  # the first few hundred calls are several times slower
                    instance.tokenize("배송 언제 오나요? 환불해주세요 order 1234")
                _kiwi = instance
    return _kiwi


@lru_cache(maxsize=4096)
def analyze(text: str) -> tuple[tuple[str, str], ...]:
    """(form, tag) of each Kiwi token. Memoized: the search index and triage read the same message, and
    for most messages their normalized texts are equal, so the costly analysis runs once; the pipeline
    analyzes a batch (up to 1,000 messages) before its write transaction and finds them all here."""
    return tuple((token.form, token.tag) for token in kiwi().tokenize(text))


def search_tokens(text: str) -> list[str]:
    """Lower-cased content morphemes of the text, in order, duplicates kept."""
    text = unicodedata.normalize("NFC", text or "")[:_MAX_CHARS].strip()
    if not text:
        return []
    tokens: list[str] = []
    for form, full_tag in analyze(text):
        tag = full_tag.split("-")[0]
        if tag in _KEEP_TAGS:
            tokens.append(form.lower())
        elif tag.startswith(_PATTERN_TAGS):
            tokens.extend(_WORD.findall(form.lower()))
    return [t for t in tokens if _WORD.fullmatch(t)]


def detect_language(text: str) -> str:
    """'ko' when Hangul dominates the letters, 'en' for Latin letters, '' when there are no letters."""
    hangul = latin = 0
    for ch in text[:2000]:
        if "가" <= ch <= "힣" or "ㄱ" <= ch <= "ㅣ":
            hangul += 1
        elif ch.isascii() and ch.isalpha():
            latin += 1
    if not hangul and not latin:
        return ""
    return "ko" if hangul * 2 >= latin else "en"
