"""Text to sparse features for the triage models: Korean morphemes with their tags (kiwipiepy, the shared
Kiwi), English words through a small normalizer, and character n-grams that survive typos, spacing
mistakes and unseen inflections ("환불해주세여", "refnd")."""

import itertools
import re
import unicodedata

from sonnim.core.korean import analyze, detect_language

_MAX_CHARS = 2000  # triage reads the beginning of a long mail; that is where the ask is
_REPEAT = re.compile(r"(.)\1{2,}")  # ㅋㅋㅋㅋ, !!!!, ㅠㅠㅠ -> two of them
_EN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+|[!?]")
_CONTRACTIONS = {
    "don't": "do not",
    "doesn't": "does not",
    "didn't": "did not",
    "can't": "can not",
    "cannot": "can not",
    "won't": "will not",
    "isn't": "is not",
    "wasn't": "was not",
    "haven't": "have not",
    "hasn't": "has not",
    "i'm": "i am",
    "it's": "it is",
    "i've": "i have",
    "i'd": "i would",
    "i'll": "i will",
    "wouldn't": "would not",
    "couldn't": "could not",
}
# Function morphemes that carry no meaning for the tasks; endings (EF) are kept because they carry tone.
_SKIP_TAGS = {"JKS", "JKO", "JKB", "JKG", "JX", "JC", "SP", "SS", "SE", "SO", "SW"}


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")[:_MAX_CHARS].lower()
    return _REPEAT.sub(r"\1\1", text).strip()


def stem_en(word: str) -> str:
    """A crude, predictable English stemmer: enough to merge refund/refunds/refunded/refunding."""
    if word.isdigit():
        return "<num>"
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + keep
    return word


def english_words(text: str) -> list[str]:
    for contraction, full in _CONTRACTIONS.items():
        if contraction in text:
            text = text.replace(contraction, full)
    return [stem_en(w) for w in _EN_WORD.findall(text.replace("’", "'"))]


def morphemes(text: str) -> list[tuple[str, str]]:
    """(form, tag) pairs of the Korean analysis; English runs come back as SL and are normalized."""
    out: list[tuple[str, str]] = []
    for form, full_tag in analyze(text):
        tag = full_tag.split("-")[0]
        if tag in _SKIP_TAGS:
            continue
        if tag == "SL":
            out.extend((w, "EN") for w in english_words(form))
        elif tag == "SN":
            out.append(("<num>", "SN"))
        else:
            out.append((form, tag))
    return out


def char_ngrams(text: str, low: int = 2, high: int = 4) -> list[str]:
    grams: list[str] = []
    for word in text.split():
        padded = f" {word} "
        for n in range(low, high + 1):
            grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams


def features(text: str) -> list[str]:
    """The feature strings of one text, duplicates kept (they are counted)."""
    text = normalize(text)
    if not text:
        return []
    if detect_language(text) == "en":
        words = english_words(text)
        tokens = [f"w:{w}" for w in words]
        content = words
    else:
        pairs = morphemes(text)
        tokens = [f"m:{form}/{tag}" for form, tag in pairs]
        content = [form for form, tag in pairs if tag not in ("EF", "EC", "EP", "ETM", "ETN", "SF")]
    tokens += [f"b:{a}_{b}" for a, b in itertools.pairwise(content)]
    tokens += [f"c:{g}" for g in char_ngrams(text)]
    return tokens
