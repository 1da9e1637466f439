"""The bot's turn reads the conversation's recent replies once: the reads that decide whether a person holds
the conversation and what the bot remembers must still see past its last ten replies."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sonnim.conversations.models import Conversation, Message
from sonnim.conversations.services import send_reply
from sonnim.core.actors import BOT, Actor
from sonnim.inboxes.models import Inbox
from sonnim.testing.fixtures import inbound_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def bot_inbox(api_inbox):
    Inbox.objects.filter(pk=api_inbox.inbox.pk).update(is_bot_enabled=True)
    api_inbox.inbox.refresh_from_db()
    return api_inbox


def say(post_inbound, inbox, text: str, n: int) -> Conversation:
    response = post_inbound(inbox, inbound_payload(external_id=f"m-{n}", sender_id="u-1", text=text))
    assert response.status_code == 201, response.content
    return Conversation.objects.get(pk=response.json()["conversation_id"])


def bot_replies(conversation: Conversation) -> int:
    return Message.objects.filter(conversation=conversation, author_kind="bot", direction="out").count()


def test_an_agent_reply_older_than_the_last_ten_bot_replies_still_silences_the_bot(
    triage_models, bot_inbox, post_inbound, sample_kb, agent
):
    conversation = say(post_inbound, bot_inbox, "배송 얼마나 걸려요?", 1)
    assert bot_replies(conversation) == 1
    send_reply(conversation, text="상담원 김민지입니다. 확인해 볼게요.", actor=Actor.agent(agent))
    for n in range(11):
        send_reply(conversation, text=f"자동 안내 {n}", actor=BOT, metadata={"bot": {"reason": "kb"}})
    before = bot_replies(conversation)
    say(post_inbound, bot_inbox, "교환은 어떻게 하나요?", 2)
    assert bot_replies(conversation) == before


def test_a_second_question_is_answered_with_the_bot_state_read_in_one_query(
    triage_models, bot_inbox, post_inbound, sample_kb
):
    conversation = say(post_inbound, bot_inbox, "음 그러니까 그게요", 1)
    with CaptureQueriesContext(connection) as queries:
        say(post_inbound, bot_inbox, "아니 그거 말고 저거요", 2)  # the second unsure turn hands over
    reads = [q["sql"] for q in queries.captured_queries if 'FROM "conversations_message"' in q["sql"]]
    # routing's hold check (automation/routing.py) and the bot's one read of its recent replies; the turn
    # used to read replies three times (agent replies, the bot's replies, the last reply's author)
    assert sum("\"direction\" = 'out'" in sql for sql in reads) == 2
    reasons = [
        m.metadata["bot"]["reason"]
        for m in Message.objects.filter(
            conversation=conversation, author_kind="bot", direction="out"
        ).order_by("pk")
    ]
    assert reasons == ["unsure", "low_confidence"]
