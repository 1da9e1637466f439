"""GET /api/v1/conversations/{id}/suggestions: articles and the replies that resolved similar conversations."""

import pytest

from sonnim.conversations.models import Conversation
from sonnim.conversations.services import send_reply, set_status
from sonnim.core.actors import Actor
from sonnim.testing.fixtures import inbound_payload

pytestmark = pytest.mark.django_db


def test_suggestions_list_articles_and_past_replies(
    triage_models, api_inbox, post_inbound, api, agent, sample_kb
):
    past = post_inbound(
        api_inbox, inbound_payload(external_id="p1", sender_id="u-9", text="환불 언제 들어오나요?")
    )
    past_conversation = Conversation.objects.get(pk=past.json()["conversation_id"])
    send_reply(past_conversation, text="검수 후 1~3영업일 안에 환불됩니다.", actor=Actor.agent(agent))
    set_status(past_conversation, status="resolved", actor=Actor.agent(agent))
    now = post_inbound(
        api_inbox, inbound_payload(external_id="n1", sender_id="u-1", text="환불 언제 들어오나요")
    )
    url = f"/api/v1/conversations/{now.json()['conversation_id']}/suggestions"
    body = api(agent).get(url).json()
    articles = [s for s in body if s["kind"] == "article"]
    replies = [s for s in body if s["kind"] == "reply"]
    assert articles[0]["source_id"] == "refund-when" and articles[0]["text"] == "환불은 언제 되나요?"
    assert replies == [
        {
            "kind": "reply",
            "text": "검수 후 1~3영업일 안에 환불됩니다.",
            "source_id": str(past_conversation.pk),
            "score": replies[0]["score"],
        }
    ]
    assert replies[0]["score"] > 0.8


def test_suggestions_of_another_workspace_are_404(
    triage_models, api_inbox, post_inbound, api, other_workspace_agent
):
    response = post_inbound(api_inbox, inbound_payload(text="환불 언제 들어오나요"))
    url = f"/api/v1/conversations/{response.json()['conversation_id']}/suggestions"
    assert api(other_workspace_agent).get(url).status_code == 404


def test_agent_corrects_the_category_through_the_api(triage_models, api_inbox, post_inbound, api, agent):
    response = post_inbound(api_inbox, inbound_payload(text="환불 언제 들어오나요"))
    conversation_id = response.json()["conversation_id"]
    result = api(agent).post(
        f"/api/v1/conversations/{conversation_id}/category", json={"category": "payment"}
    )
    assert (result.status_code, result.json()) == (200, {"id": conversation_id, "category": "payment"})
    assert Conversation.objects.get(pk=conversation_id).category == "payment"
