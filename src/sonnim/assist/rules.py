"""The bot's handoff rules, as pure functions of the text and a few facts: easy to test in both languages.

Order matters: the first rule that fires names the reason. Politeness does not hide anger ("정말 어이가
없네요" is anger however it ends), so anger is read from words and from the sentiment model together."""

import re
import unicodedata
from dataclasses import dataclass

HUMAN_REQUEST = re.compile(
    r"상담원|상담사|상담 ?직원|직원|담당자|매니저|사람(이랑|과|하고|한테|으로|이 ?(답|응대)|\s*(연결|바꿔|불러))|"  # noqa: E501 - Korean text is wide
    r"실제 ?사람|전화 ?(상담|연결)|\bagent\b|\bhuman\b|real person|representative|\boperator\b|"
    r"talk to (a |some)?(person|someone)|speak to (a |some)?(person|someone|manager)",
    re.IGNORECASE,
)
LEGAL_THREAT = re.compile(
    r"소비자원|소비자보호원|소비자 ?보호|공정위|공정거래|신고|고소|고발|변호사|경찰|민원|법적|소송|"
    r"consumer (agency|protection)|lawyer|attorney|\bsue\b|lawsuit|legal action|report (you|this)|police|chargeback",  # noqa: E501 - Korean text is wide
    re.IGNORECASE,
)
ANGER = re.compile(
    r"어이(가)? ?없|황당|장난(하|치)|짜증|화(가)? ?나|화났|열받|빡치|빡쳐|최악|실망|어처구니|너무하|뭐하는|"
    r"말이 ?(되|됩)|ㅡㅡ|-_-|씨발|시발|ㅅㅂ|ㅆㅂ|병신|ㅂㅅ|개새|꺼져|미친|닥쳐|"
    r"ridiculous|unacceptable|terrible|worst|angry|furious|outrageous|disgusting|wtf|fuck|shit|idiot|useless|scam",
    re.IGNORECASE,
)
ANGER_CONFIDENCE = 0.75  # the sentiment model alone must be this sure a message is negative


@dataclass(frozen=True)
class HandoffFacts:
    sentiment: str = "neutral"
    sentiment_confidence: float = 0.0
    category: str = ""
    is_vip: bool = False
    sensitive_topics: tuple[str, ...] = ()
    previous_turn_was_unsure: bool = False
    this_turn_is_unsure: bool = False


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).lower())


def handoff_reason(text: str, facts: HandoffFacts) -> str:
    """'' when the bot may answer, else the reason it must hand over now."""
    text = unicodedata.normalize("NFKC", text or "")
    if HUMAN_REQUEST.search(text):
        return "requested_human"
    if LEGAL_THREAT.search(text) or LEGAL_THREAT.search(_compact(text)):
        return "complaint"
    if ANGER.search(text) or (
        facts.sentiment == "negative" and facts.sentiment_confidence >= ANGER_CONFIDENCE
    ):
        return "anger"
    if facts.category == "complaint" and facts.sentiment == "negative":  # the model's word alone is too weak
        return "complaint"
    if facts.is_vip:
        return "vip"
    compact = _compact(text)
    if any(_compact(topic) and _compact(topic) in compact for topic in facts.sensitive_topics):
        return "sensitive_topic"
    if facts.this_turn_is_unsure and facts.previous_turn_was_unsure:
        return "low_confidence"
    return ""
