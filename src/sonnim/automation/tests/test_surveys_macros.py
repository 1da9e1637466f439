"""CSAT/NPS surveys after resolution (sent once, answered on the public page, events on the conversation,
NPS frequency cap), macros (variables, warnings, per-language versions, usage counts) and auto-close."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from sonnim.commerce.models import Order
from sonnim.conversations import services as conversation_services
from sonnim.conversations.models import Conversation, Message
from sonnim.core.actors import SYSTEM, Actor
from sonnim.core.models import Event
from sonnim.testing.fixtures import inbound_payload

from ..autoclose import auto_close_pending
from ..models import AutoCloseSetting, Macro, Survey
from ..surveys import send_survey, survey_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_conversation(api_inbox, post_inbound):
    def make(external_id="m-1", sender_id="u-1", text="배송 문의") -> Conversation:
        response = post_inbound(api_inbox, inbound_payload(external_id, sender_id, text))
        assert response.status_code == 201, response.content
        return Conversation.objects.select_related("customer").get(pk=response.json()["conversation_id"])

    return make


def survey_link(message: Message) -> str:
    return "/survey/" + message.text.split("/survey/")[1]


def test_resolving_sends_one_survey_on_the_channel(
    workspace, agent, open_conversation, django_capture_on_commit_callbacks
):
    conversation = open_conversation()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        conversation_services.set_status(conversation, status="resolved", actor=Actor.agent(agent))
    assert len(callbacks) >= 1
    from ..surveys import send_survey_task

    assert send_survey_task.call(workspace_id=workspace.pk, conversation_id=conversation.pk) == "sent"
    assert send_survey_task.call(workspace_id=workspace.pk, conversation_id=conversation.pk) == "already sent"
    [invite] = Message.objects.filter(conversation=conversation, direction="out")
    assert invite.text.startswith("상담은 만족스러우셨나요? 1분 설문에 참여해 주세요: http")
    assert (invite.author_kind, invite.delivery_status) == ("system", "queued")
    assert Survey.objects.count() == 1
    assert Event.objects.filter(workspace=workspace, type="survey.sent").count() == 1


def test_survey_page_records_answers_as_events_once(workspace, open_conversation):
    conversation = open_conversation()
    conversation_services.set_status(conversation, status="resolved", actor=SYSTEM)
    survey = send_survey(conversation)
    url = survey_link(Message.objects.get(conversation=conversation, direction="out"))
    page = Client().get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "이번 상담에 얼마나 만족하셨나요?" in html and 'name="nps"' in html  # first survey: NPS asked
    assert "How satisfied" in Client().get(url + "?lang=en").content.decode()
    bad = Client().post(url, {"comment": "점수 없음"})
    assert bad.status_code == 400
    done = Client().post(url, {"csat": "5", "nps": "9", "comment": "친절했어요"})
    assert done.status_code == 200 and "소중한 의견 감사합니다!" in done.content.decode()
    again = Client().post(url, {"csat": "1"})
    assert "소중한 의견 감사합니다!" in again.content.decode()
    survey.refresh_from_db()
    assert (survey.csat_score, survey.nps_score, survey.comment) == (5, 9, "친절했어요")
    answers = Event.objects.filter(
        workspace=workspace, conversation_id=conversation.pk, type__endswith=".answered"
    )
    assert sorted(answers.values_list("type", "data__score")) == [("csat.answered", 5), ("nps.answered", 9)]


def test_bad_or_foreign_token_is_404(workspace, open_conversation):
    assert Client().get("/survey/not-a-token/").status_code == 404
    conversation = open_conversation()
    conversation_services.set_status(conversation, status="resolved", actor=SYSTEM)
    token = survey_token(send_survey(conversation))
    assert Client().get(f"/survey/{token[:-2]}xx/").status_code == 404


def test_nps_is_asked_once_per_cap_window(workspace, open_conversation):
    first = open_conversation("m-1")
    conversation_services.set_status(first, status="closed", actor=SYSTEM)
    second = open_conversation("m-2")  # closed: the customer's next message opens a new conversation
    assert second.pk != first.pk
    assert send_survey(first).includes_nps is True
    assert send_survey(second).includes_nps is False
    Survey.objects.filter(conversation=first).update(sent_at=timezone.now() - timedelta(days=91))
    third = open_conversation("m-3", sender_id="u-9")
    assert send_survey(third).includes_nps is True  # another customer


@pytest.fixture
def macros(workspace, supervisor):
    from ..macro_services import create_macro

    def make(**fields):
        fields.setdefault("key", "shipping")
        fields.setdefault("title", "배송 안내")
        return create_macro(workspace, created_by=supervisor, actor=SYSTEM, **fields)

    return make


def test_macro_renders_variables_and_warns_when_one_is_missing(
    api, agent, workspace, macros, open_conversation
):
    conversation = open_conversation()
    macro = macros(text="{customer_name}님, 주문 {order_number} 배송 조회: {tracking_url} - {agent_name}")
    client = api(agent)
    url = f"/api/v1/conversations/{conversation.pk}/macros/{macro.pk}"
    assert client.get(f"{url}/render").json() == {
        "text": "김민지님, 주문 {order_number} 배송 조회: {tracking_url} - agent",
        "missing": ["order_number", "tracking_url"],
    }
    refused = client.post(f"{url}/apply")
    assert (refused.status_code, refused.json()["details"]) == (
        400,
        {"missing": ["order_number", "tracking_url"]},
    )
    Order.objects.create(
        workspace=workspace,
        customer=conversation.customer,
        number="20261125-001",
        carrier="CJ대한통운",
        tracking_number="612345678901",
    )
    applied = client.post(f"{url}/apply")
    assert applied.status_code == 201
    expected = "김민지님, 주문 20261125-001 배송 조회: https://tracker.delivery/#/kr.cjlogistics/612345678901 - agent"
    assert applied.json()["text"] == expected
    assert Message.objects.get(pk=applied.json()["message_id"]).text == expected
    assert Macro.objects.get(pk=macro.pk).usage_count == 1


def test_macro_actions_run_and_language_versions_are_chosen(api, agent, workspace, macros, open_conversation):
    macros(text="확인 후 안내드리겠습니다.", actions=[{"type": "add_tags", "params": {"tags": ["배송"]}}])
    english = macros(text="We will check and get back to you.", language="en", title="Shipping")
    client = api(agent)
    assert [m["language"] for m in client.get("/api/v1/macros", language="en").json()] == ["en"]
    [korean] = client.get("/api/v1/macros").json()
    assert korean["text"] == "확인 후 안내드리겠습니다."
    conversation = open_conversation()
    client.post(f"/api/v1/conversations/{conversation.pk}/macros/{korean['id']}/apply")
    assert list(conversation.tags.values_list("name", flat=True)) == ["배송"]
    assert english.usage_count == 0


def test_auto_close_closes_stale_pending_with_a_final_message(workspace, open_conversation):
    AutoCloseSetting.objects.create(
        workspace=workspace, days=3, final_message="답변이 없어 상담을 종료합니다."
    )
    stale, fresh = open_conversation("m-1", "u-1"), open_conversation("m-2", "u-2")
    for c in (stale, fresh):
        conversation_services.set_status(c, status="pending", actor=SYSTEM)
    Conversation.objects.filter(pk=stale.pk).update(updated_at=timezone.now() - timedelta(days=4))
    assert auto_close_pending() == [stale.pk]
    assert auto_close_pending() == []
    assert Conversation.objects.get(pk=stale.pk).status == "closed"
    assert Conversation.objects.get(pk=fresh.pk).status == "pending"
    assert list(
        Message.objects.filter(conversation=stale, direction="out").values_list("text", flat=True)
    ) == ["답변이 없어 상담을 종료합니다."]
