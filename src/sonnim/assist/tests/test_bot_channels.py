"""The bot's structured answer on chat channels: the Kakao chatbot skill gets it inside the webhook's own
response (no delivery, nothing to push later), TalkTalk gets the same buttons and article cards through
the send API."""

import json

import pytest
from django.test import Client

from sonnim.conversations.models import Message
from sonnim.conversations.tasks import deliver_message
from sonnim.inboxes.models import Inbox
from sonnim.inboxes.services import create_inbox
from sonnim.testing.fakes.kakao import skill_payload
from sonnim.testing.fakes.naver import FakeNaver

QUESTION = "교환하고 싶은데 사이즈 교환은 어떻게 하나요?"
SECRET = "skill-shared-secret"


def bot_inbox(workspace, kind, **options):
    created = create_inbox(workspace, kind=kind, name=f"{kind} bot", **options)
    Inbox.objects.filter(pk=created.inbox.pk).update(is_bot_enabled=True)
    return created


@pytest.mark.django_db
def test_kakao_skill_gets_the_bot_answer_in_its_response(workspace, sample_kb, triage_models):
    created = bot_inbox(workspace, "kakao", credentials={"secret": SECRET})
    response = Client().post(
        f"/hooks/kakao/skill/{created.key}",
        data=json.dumps(skill_payload(QUESTION), ensure_ascii=False),
        content_type="application/json",
        HTTP_X_SONNIM_SECRET=SECRET,
    )
    assert response.status_code == 200
    template = response.json()["template"]
    reply = Message.objects.get(inbox=created.inbox, author_kind="bot")
    assert template["outputs"][0]["simpleText"]["text"] == reply.text
    assert reply.text.startswith("사이즈·색상 교환은 어떻게 하나요?")
    card = template["outputs"][1]["basicCard"]
    assert card["title"] == reply.metadata["bot"]["sources"][0]["title"]
    assert card["buttons"][0]["action"] == "webLink"
    assert [q["label"] for q in template["quickReplies"]] == reply.metadata["bot"]["quick_replies"]
    assert "상담원 연결" in reply.metadata["bot"]["quick_replies"]
    # answered in the response: recorded as sent once, never queued for a delivery that cannot happen
    assert (reply.delivery_status, reply.attempts, reply.failure_reason) == ("sent", 1, "")


@pytest.mark.django_db
def test_talktalk_bot_answer_carries_quick_replies_and_article_card(workspace, sample_kb, triage_models):
    with FakeNaver("partner-key") as naver:
        created = bot_inbox(
            workspace,
            "talktalk",
            settings={"api_url": naver.api_url, "allowed_ips": ["127.0.0.1/32"]},
            credentials={"authorization": "partner-key"},
        )
        event = {"event": "send", "user": "u-77", "textContent": {"text": QUESTION, "inputType": "typing"}}
        response = Client().post(
            f"/hooks/talktalk/{created.key}", data=json.dumps(event), content_type="application/json"
        )
        assert response.status_code == 200
        reply = Message.objects.get(inbox=created.inbox, author_kind="bot")
        assert reply.delivery_status == "queued"
        deliver_message.call(workspace_id=workspace.pk, message_id=reply.pk)
        [sent] = naver.json_bodies()
    composite = sent["compositeContent"]
    assert composite["compositeList"][0]["title"] == reply.metadata["bot"]["sources"][0]["title"][:80]
    labels = [b["data"]["title"] for b in composite["quickReply"]["buttonList"]]
    assert labels == reply.metadata["bot"]["quick_replies"] and "상담원 연결" in labels
    reply.refresh_from_db()
    assert reply.delivery_status == "sent"


@pytest.mark.django_db
def test_on_a_bot_inbox_routing_waits_for_the_handoff(workspace, sample_kb, triage_models, post_inbound):
    """Auto-assignment must not silence the bot: it answers first, and its handoff routes the conversation."""
    from sonnim.automation.models import RoutingRule
    from sonnim.automation.routing import save_routing_rule, set_agent_status
    from sonnim.core.actors import SYSTEM
    from sonnim.core.choices import Role
    from sonnim.core.services import create_team
    from sonnim.testing.fixtures import InboxWithKey, inbound_payload, make_agent

    person = make_agent(workspace, "cs1@sample.kr", Role.AGENT)
    team = create_team(workspace, name="상담팀", members=[person])
    save_routing_rule(RoutingRule(workspace=workspace), actor=SYSTEM, name="all", order=0, team_id=team.pk)
    set_agent_status(person, status="online", default_capacity=3, actor=SYSTEM)
    created = bot_inbox(workspace, "api")
    inbox = InboxWithKey(Inbox.objects.get(pk=created.inbox.pk), created.key)

    first = post_inbound(inbox, inbound_payload("m-1", "u-1", QUESTION))
    conversation = Message.objects.get(pk=first.json()["message_id"]).conversation
    bot_replies = Message.objects.filter(conversation=conversation, author_kind="bot", direction="out")
    assert bot_replies.count() == 1  # the bot answered ...
    assert (conversation.assignee_id, conversation.team_id) == (None, None)  # ... and nobody took it away

    post_inbound(inbox, inbound_payload("m-2", "u-1", "상담원 연결해 주세요"))
    conversation.refresh_from_db()
    assert (conversation.team_id, conversation.assignee_id) == (team.pk, person.pk)
    assert bot_replies.count() == 2  # the handoff notice; from now on the bot is silent
    post_inbound(inbox, inbound_payload("m-3", "u-1", "배송은 언제 와요?"))
    assert bot_replies.count() == 2
