"""End to end: a question on a bot-enabled API inbox is answered by the bot, and the real worker delivers the
answer to the shop's webhook; the optional generative answer against a local OpenAI-compatible fake."""

import json

import pytest

from sonnim.assist.bot import ask
from sonnim.commands.server import run_worker_loop
from sonnim.conversations.models import Message
from sonnim.core.actors import SYSTEM
from sonnim.core.services import create_workspace
from sonnim.inboxes.models import Inbox
from sonnim.inboxes.services import create_inbox
from sonnim.knowledge.services import import_articles
from sonnim.knowledge.tests.fixtures import DATA
from sonnim.testing.fixtures import InboxWithKey, inbound_payload
from sonnim.testing.http import Behaviour, RecordingServer


@pytest.mark.django_db(transaction=True)
def test_bot_answer_is_delivered_to_the_webhook_by_the_worker(triage_models, post_inbound):
    workspace = create_workspace(name="봇샵")
    import_articles(workspace, (DATA / "sample_kb.jsonl").read_text(), actor=SYSTEM)
    with RecordingServer() as shop:
        created = create_inbox(workspace, kind="api", name="bot api", webhook_url=shop.url + "/replies")
        Inbox.objects.filter(pk=created.inbox.pk).update(is_bot_enabled=True)
        inbox = InboxWithKey(created.inbox, created.key)
        response = post_inbound(inbox, inbound_payload(text="교환하고 싶은데 사이즈 교환은 어떻게 하나요?"))
        assert response.status_code == 201
        run_worker_loop(interval=0.05, batch=True)
        [delivered] = [r.json() for r in shop.requests]
    reply = Message.objects.get(author_kind="bot", direction="out")
    assert (reply.delivery_status, delivered["message_id"]) == ("sent", reply.pk)
    assert delivered["text"] == reply.text
    assert delivered["text"].startswith("사이즈·색상 교환은 어떻게 하나요?\n")
    assert reply.metadata["bot"]["sources"][0]["id"] == "exchange-size"
    assert delivered["recipient"] == {"external_id": "u-1"}


CANNED = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "반품은 받은 날부터 7일 안에 신청하시면 돼요."},
        }
    ],
}


@pytest.mark.django_db
def test_generative_answer_is_grounded_in_the_retrieved_articles(
    workspace, sample_kb, settings, triage_models
):
    with RecordingServer(Behaviour(body=CANNED)) as llm:
        settings.SONNIM_LLM_URL = llm.url + "/v1"
        answer = ask(workspace, "반품 신청은 어떻게 해요?")
        [request] = llm.requests
    assert (answer.reason, answer.handoff) == ("generated", False)
    assert answer.text.startswith("반품은 받은 날부터 7일 안에 신청하시면 돼요.\n\n자세히 보기: http")
    assert [s["id"] for s in answer.sources] == ["return-how"]
    assert request.path == "/v1/chat/completions"
    sent = request.json()
    assert sent["messages"][1] == {"role": "user", "content": "반품 신청은 어떻게 해요?"}
    assert "### 반품 신청 방법" in sent["messages"][0]["content"]
    assert "ONLY the help articles" in sent["messages"][0]["content"]


@pytest.mark.django_db
def test_a_failing_model_server_falls_back_to_the_article(workspace, sample_kb, settings, triage_models):
    with RecordingServer(Behaviour(fail_first=5)) as llm:
        settings.SONNIM_LLM_URL = llm.url + "/v1"
        answer = ask(workspace, "반품 신청은 어떻게 해요?")
        assert len(llm.requests) == 1
    assert (answer.reason, answer.sources[0]["id"]) == ("kb", "return-how")
    assert answer.text.startswith("반품 신청 방법\n")


@pytest.mark.django_db
def test_without_a_model_server_nothing_is_called(workspace, sample_kb, triage_models):
    answer = ask(workspace, "반품 신청은 어떻게 해요?")
    assert answer.reason == "kb"
    assert json.dumps(answer.sources, ensure_ascii=False).count("return-how") == 1
