"""The routing, automation rule and survey settings pages: list, create, edit, delete, validation messages,
admins only, workspace scope (Django test client, English UI); the survey switches' effect on sending."""

import json

import pytest
from django.conf import settings
from django.test import Client

from sonnim.conversations import services as conversation_services
from sonnim.conversations.models import Conversation, Message
from sonnim.core.actors import SYSTEM
from sonnim.core.choices import Role
from sonnim.core.models import Team
from sonnim.sla.models import BusinessHours
from sonnim.testing.fixtures import inbound_payload, make_agent

from ..models import RoutingRule, Rule, Survey, SurveySetting
from ..rules.webhooks import webhook_secret
from ..surveys import send_survey

pytestmark = pytest.mark.django_db


def browser(agent) -> Client:
    """A logged-in client seeing the English UI."""
    type(agent).objects.filter(pk=agent.pk).update(language="en")
    client = Client()
    client.force_login(agent.user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_routing_rule_create_edit_delete(owner, workspace):
    admin = browser(owner)
    vip = Team.objects.create(workspace=workspace, name="VIP팀")
    assert "No routing rules yet." in admin.get("/settings/routing").content.decode()
    form = {
        "name": "VIP 고객",
        "order": "0",
        "is_active": "on",
        "channel_kinds": ["kakao"],
        "categories": "",
        "languages": "ko, en",
        "customer_tiers": "vip",
        "team": str(vip.pk),
        "strategy": "least_load",
    }
    assert admin.post("/settings/routing/new", form).status_code == 302
    rule = RoutingRule.objects.get()
    assert (rule.team_id, rule.strategy, rule.languages, rule.customer_tiers, rule.channel_kinds) == (
        vip.pk,
        "least_load",
        ["ko", "en"],
        ["vip"],
        ["kakao"],
    )
    listing = admin.get("/settings/routing").content.decode()
    assert "VIP 고객" in listing and "VIP팀" in listing
    assert admin.post(f"/settings/routing/{rule.pk}", {**form, "strategy": "round_robin"}).status_code == 302
    rule.refresh_from_db()
    assert rule.strategy == "round_robin"
    assert admin.post(f"/settings/routing/{rule.pk}", {"delete": "1"}).status_code == 302
    assert not RoutingRule.objects.exists()


def test_routing_rule_validation_and_scope(owner, agent, other_workspace):
    admin = browser(owner)
    foreign = Team.objects.create(workspace=other_workspace, name="남의 팀")
    response = admin.post("/settings/routing/new", {"name": "", "order": "x", "team": str(foreign.pk)})
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html and "Enter a whole number." in html
    assert "Select a valid choice." in html  # another workspace's team is not offered
    assert not RoutingRule.objects.exists()
    assert browser(agent).get("/settings/routing").status_code == 403


def time_rule_form(**extra) -> dict:
    return {
        "name": "48시간 대기",
        "order": "0",
        "is_active": "on",
        "event_type": "time.elapsed",
        "time_since": "status_changed",
        "time_minutes": "2880",
        "time_calendar": "",
        "conditions": json.dumps([{"field": "status", "op": "eq", "value": "pending"}]),
        "actions": json.dumps([{"type": "add_tags", "params": {"tags": ["follow-up"]}}]),
        **extra,
    }


def test_rule_create_edit_delete_with_a_time_trigger(owner, workspace):
    admin = browser(owner)
    hours = BusinessHours.objects.create(workspace=workspace, name="평일")
    listing = admin.get("/settings/rules").content.decode()
    assert "No automation rules yet." in listing and webhook_secret(workspace.pk) in listing
    assert admin.post("/settings/rules/new", time_rule_form(time_calendar=str(hours.pk))).status_code == 302
    rule = Rule.objects.get()
    assert (rule.event_type, rule.time_trigger) == (
        "time.elapsed",
        {"since": "status_changed", "minutes": 2880, "calendar_id": hours.pk},
    )
    assert rule.conditions == [{"field": "status", "op": "eq", "value": "pending"}]
    assert "48시간 대기" in admin.get("/settings/rules").content.decode()
    page = admin.get(f"/settings/rules/{rule.pk}").content.decode()
    assert "follow-up" in page and 'value="2880"' in page
    # becomes an event rule: the time trigger is dropped
    changed = time_rule_form(event_type="message.received", time_since="", time_minutes="")
    assert admin.post(f"/settings/rules/{rule.pk}", changed).status_code == 302
    rule.refresh_from_db()
    assert (rule.event_type, rule.time_trigger) == ("message.received", {})
    assert admin.post(f"/settings/rules/{rule.pk}", {"delete": "1"}).status_code == 302
    assert not Rule.objects.exists()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"conditions": "[{oops"}, "This is not valid JSON"),
        (
            {"conditions": json.dumps([{"field": "mood", "op": "eq", "value": 1}])},
            "Condition 1 is not valid.",
        ),
        ({"actions": json.dumps([{"type": "launch_rocket"}])}, "Unknown action."),
        (
            {"actions": json.dumps([{"type": "snooze", "params": {"minutes": 0}}])},
            "Action 1 has bad parameters.",
        ),
        ({"actions": ""}, "This field is required."),
        ({"time_minutes": ""}, "A time-based rule needs a number of minutes."),
        ({"time_since": ""}, "A time-based rule needs a start."),
    ],
)
def test_rule_validation_messages(owner, change, message):
    response = browser(owner).post("/settings/rules/new", time_rule_form(**change))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Rule.objects.exists()


def test_rule_pages_are_admin_only_and_scoped(owner, agent, other_workspace):
    foreign = Rule.objects.create(
        workspace=other_workspace,
        name="남의 규칙",
        event_type="message.received",
        actions=[{"type": "close"}],
    )
    assert browser(agent).get("/settings/rules/new").status_code == 403
    assert browser(owner).get(f"/settings/rules/{foreign.pk}").status_code == 404
    assert browser(owner).post(f"/settings/rules/{foreign.pk}", {"delete": "1"}).status_code == 404
    assert Rule.objects.filter(pk=foreign.pk).exists()


@pytest.fixture
def resolved(api_inbox, post_inbound):
    def make(external_id: str, sender_id: str) -> Conversation:
        response = post_inbound(api_inbox, inbound_payload(external_id, sender_id, "문의"))
        conversation = Conversation.objects.get(pk=response.json()["conversation_id"])
        conversation_services.set_status(conversation, status="resolved", actor=SYSTEM)
        conversation.refresh_from_db()
        return conversation

    return make


def test_survey_switches_page_and_their_effect(owner, agent, workspace, resolved):
    admin = browser(owner)
    page = admin.get("/settings/surveys").content.decode()
    assert 'name="csat_enabled" id="id_csat_enabled" checked' in page  # both on by default
    assert browser(agent).post("/settings/surveys", {}).status_code == 403
    # NPS only
    assert "Saved." in admin.post("/settings/surveys", {"nps_enabled": "on"}).content.decode()
    assert (SurveySetting.objects.get().csat_enabled, SurveySetting.objects.get().nps_enabled) == (
        False,
        True,
    )
    first = send_survey(resolved("m-1", "u-1"))
    assert (first.includes_csat, first.includes_nps) == (False, True)
    link = (
        "/survey/"
        + Message.objects.get(conversation=first.conversation, direction="out").text.split("/survey/")[1]
    )
    html = Client().get(link).content.decode()
    assert 'name="csat"' not in html and 'name="nps"' in html
    assert Client().post(link, {"csat": "5"}).status_code == 400  # CSAT was not asked
    assert Client().post(link, {"nps": "10"}).status_code == 200
    first.refresh_from_db()
    assert (first.csat_score, first.nps_score) == (None, 10)
    # the same customer's NPS is capped and CSAT is off: nothing to ask, no survey
    conversation_services.set_status(first.conversation, status="closed", actor=SYSTEM)
    second = resolved("m-2", "u-1")
    assert second.pk != first.conversation_id
    assert send_survey(second) is None
    # both off: nobody gets a survey
    admin.post("/settings/surveys", {})
    assert send_survey(resolved("m-3", "u-3")) is None
    assert Survey.objects.count() == 1


def test_survey_page_speaks_the_survey_language(workspace, resolved):
    survey = send_survey(resolved("m-1", "u-1"))
    link = (
        "/survey/"
        + Message.objects.get(conversation=survey.conversation, direction="out").text.split("/survey/")[1]
    )
    assert "How satisfied are you with this conversation?" in Client().get(link + "?lang=en").content.decode()
    other = make_agent(workspace, "x@example.com", Role.AGENT)  # an agent's language never leaks in
    assert other.language == "ko"


def put(client, url: str, body: dict):
    return client._call("put", url, body)  # the shared ApiClient has no put() yet


def test_survey_switches_api(api, agent, supervisor, other_workspace_agent):
    assert api(agent).get("/api/v1/automation/surveys").json() == {"csat_enabled": True, "nps_enabled": True}
    refused = put(api(agent), "/api/v1/automation/surveys", {"csat_enabled": False})
    assert refused.status_code == 403
    changed = put(api(supervisor), "/api/v1/automation/surveys", {"csat_enabled": False, "nps_enabled": True})
    assert changed.json() == {"csat_enabled": False, "nps_enabled": True}
    assert api(agent).get("/api/v1/automation/surveys").json()["csat_enabled"] is False
    assert api(other_workspace_agent).get("/api/v1/automation/surveys").json()["csat_enabled"] is True


@pytest.mark.parametrize(
    "url", ["/settings/business-hours", "/settings/sla", "/settings/routing", "/settings/rules"]
)
def test_list_pages_cost_the_same_queries_for_2_and_20_rows(owner, workspace, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sonnim.sla.models import BusinessHoursOverride, SlaPolicy

    admin = browser(owner)
    team = Team.objects.create(workspace=workspace, name="팀")

    def add(n: int) -> None:
        for i in range(n):
            k = f"{url}-{BusinessHours.objects.count()}"
            hours = BusinessHours.objects.create(workspace=workspace, name=k)
            BusinessHoursOverride.objects.create(
                workspace=workspace, calendar=hours, date=f"2026-12-{i + 1:02d}"
            )
            SlaPolicy.objects.create(
                workspace=workspace, name=k, calendar=hours, team=team, first_response_minutes=60
            )
            RoutingRule.objects.create(workspace=workspace, name=k, team=team)
            Rule.objects.create(
                workspace=workspace, name=k, event_type="message.received", actions=[{"type": "close"}]
            )

    add(2)
    admin.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as two:
        assert admin.get(url).status_code == 200
    add(18)
    with CaptureQueriesContext(connection) as twenty:
        assert admin.get(url).status_code == 200
    assert len(two) == len(twenty)


def test_settings_pages_speak_korean(owner):
    korean = Client()
    korean.force_login(owner.user)  # the agent's language: ko
    expected = {
        "/settings/business-hours/new": "월요일",
        "/settings/sla/new": "첫 응답 (분)",
        "/settings/routing/new": "상담원 배정 방식",
        "/settings/rules/new": "시간 기반 규칙",
        "/settings/surveys": "해결 후 만족도(CSAT 1-5) 묻기",
    }
    for url, text in expected.items():
        html = korean.get(url).content.decode()
        assert text in html, url
    assert "자동화 규칙" in korean.get("/settings/rules").content.decode()
