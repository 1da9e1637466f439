"""The bot's handoff rules in Korean and English: pure functions, no database."""

import pytest

from sonnim.assist.rules import HandoffFacts, handoff_reason

CALM = HandoffFacts()


@pytest.mark.parametrize(
    "text",
    [
        "상담원 연결해 주세요",
        "사람이랑 얘기하고 싶어요",
        "직원 연결 부탁드려요",
        "담당자 바꿔주세요",
        "Can I talk to an agent?",
        "I want a human",
        "let me speak to a person please",
        "representative",
    ],
)
def test_explicit_request_for_a_person(text):
    assert handoff_reason(text, CALM) == "requested_human"


@pytest.mark.parametrize(
    "text",
    [
        "한국소비자원에 신고하겠습니다",
        "소비자 보호원에 민원 넣을게요",
        "고소할 거예요",
        "변호사랑 상의했습니다",
        "I will report you to the consumer agency",
        "My lawyer will contact you",
        "I'm filing a chargeback",
    ],
)
def test_complaint_and_legal_threats(text):
    assert handoff_reason(text, CALM) == "complaint"


@pytest.mark.parametrize(
    "text",
    [
        "정말 어이가 없네요",
        "정말 어이가 없네요. 확인 부탁드립니다. 감사합니다.",
        "장난하세요? 일주일째예요",
        "진짜 짜증나네요",
        "This is ridiculous.",
        "Worst service ever, thanks a lot.",
    ],
)
def test_anger_even_when_polite(text):
    assert handoff_reason(text, CALM) == "anger"


def test_the_sentiment_model_alone_can_signal_anger():
    sure = HandoffFacts(sentiment="negative", sentiment_confidence=0.9)
    unsure = HandoffFacts(sentiment="negative", sentiment_confidence=0.5)
    assert (handoff_reason("환불 처리 좀요", sure), handoff_reason("환불 처리 좀요", unsure)) == ("anger", "")


def test_vip_sensitive_topics_and_two_unsure_turns():
    assert handoff_reason("배송 언제 와요", HandoffFacts(is_vip=True)) == "vip"
    topics = HandoffFacts(sensitive_topics=("알레르기", "medical"))
    assert handoff_reason("아이가 먹고 알레르기 반응이 있어요", topics) == "sensitive_topic"
    assert handoff_reason("Is this safe? It's a medical question", topics) == "sensitive_topic"
    once = HandoffFacts(this_turn_is_unsure=True)
    twice = HandoffFacts(this_turn_is_unsure=True, previous_turn_was_unsure=True)
    assert (handoff_reason("음", once), handoff_reason("음", twice)) == ("", "low_confidence")


@pytest.mark.parametrize(
    "text",
    [
        "배송 언제 와요?",
        "사이즈 교환하고 싶어요",
        "When will my refund arrive?",
        "감사합니다!",
        "사람이 많네요",
    ],
)
def test_routine_questions_stay_with_the_bot(text):
    assert handoff_reason(text, CALM) == ""
