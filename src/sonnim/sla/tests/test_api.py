"""SLA settings API, the conversation JSON's sla block, sort=sla and sla_state filters, the preview."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sonnim.conversations.models import Conversation
from sonnim.core.models import Event
from sonnim.core.services import create_team

from ..models import BusinessHours, SlaClock, SlaPolicy

pytestmark = pytest.mark.django_db

HOURS = {str(d): ([["10:00", "12:00"], ["13:00", "17:00"]] if d < 5 else []) for d in range(7)}


def test_calendar_create_patch_and_override(api, supervisor, workspace):
    client = api(supervisor)
    created = client.post("/api/v1/sla/calendars", json={"name": "평일", "weekly_hours": HOURS})
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["name"], body["time_zone"], body["weekly_hours"]["0"], body["overrides"]) == (
        "평일",
        "Asia/Seoul",
        [["10:00", "12:00"], ["13:00", "17:00"]],
        [],
    )
    url = f"/api/v1/sla/calendars/{body['id']}"
    assert client.patch(url, json={"uses_public_holidays": False}).json()["uses_public_holidays"] is False
    day_off = client.post(f"{url}/overrides", json={"date": "2026-12-31", "note": "종무식"})
    opening = client.post(f"{url}/overrides", json={"date": "2027-02-08", "intervals": [["10:00", "14:00"]]})
    assert day_off.status_code == opening.status_code == 200
    assert client.get(url).json()["overrides"] == [
        {"date": "2026-12-31", "intervals": [], "note": "종무식"},
        {"date": "2027-02-08", "intervals": [["10:00", "14:00"]], "note": ""},
    ]


def test_bad_hours_are_refused_and_nothing_is_saved(api, supervisor, workspace):
    response = api(supervisor).post(
        "/api/v1/sla/calendars",
        json={"name": "x", "weekly_hours": {"0": [["10:00", "12:00"], ["11:00", "13:00"]]}},
    )
    assert (response.status_code, response.json()["code"]) == (400, "invalid_hours")
    assert not BusinessHours.objects.exists()


def test_agents_read_but_cannot_change_settings(api, agent, workspace):
    client = api(agent)
    assert client.get("/api/v1/sla/policies").json() == []
    response = client.post("/api/v1/sla/policies", json={"name": "p", "first_response_minutes": 60})
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert not SlaPolicy.objects.exists()


def test_policy_create_and_patch(api, supervisor, workspace):
    client = api(supervisor)
    team = create_team(workspace, name="VIP팀")
    response = client.post(
        "/api/v1/sla/policies",
        json={
            "name": "채팅 1시간",
            "order": 1,
            "channel_kinds": ["kakao", "webchat"],
            "first_response_minutes": 60,
            "resolution_minutes": 4320,
            "escalation": [{"on": "breached", "action": "reassign_team", "team_id": team.pk}],
        },
    )
    assert response.status_code == 201, response.content
    policy = response.json()
    assert (policy["channel_kinds"], policy["warning_percent"], policy["escalation"]) == (
        ["kakao", "webchat"],
        80,
        [{"on": "breached", "action": "reassign_team", "target": None, "priority": None, "team_id": team.pk}],
    )
    patched = client.patch(
        f"/api/v1/sla/policies/{policy['id']}", json={"warning_percent": 90, "is_active": False}
    )
    assert (patched.json()["warning_percent"], patched.json()["is_active"]) == (90, False)


def test_escalation_to_another_workspaces_team_is_refused(api, supervisor, other_workspace):
    foreign = create_team(other_workspace, name="남의 팀")
    response = api(supervisor).post(
        "/api/v1/sla/policies",
        json={
            "name": "p",
            "escalation": [{"on": "breached", "action": "reassign_team", "team_id": foreign.pk}],
        },
    )
    assert (response.status_code, response.json()["code"]) == (400, "invalid_escalation")
    assert not SlaPolicy.objects.exists()


def test_other_workspace_calendar_is_404(api, supervisor, other_workspace):
    from ..services import create_calendar

    foreign = create_calendar(other_workspace, name="남의 달력", actor=None)
    assert api(supervisor).get(f"/api/v1/sla/calendars/{foreign.pk}").status_code == 404


@pytest.fixture
def three_conversations(workspace, make_policy, sla_inbound):
    make_policy(name="p", first_response_minutes=60, first_response_business=False)
    ids = [sla_inbound(f"m-{i}", sender_id=f"u-{i}")["conversation_id"] for i in range(3)]
    now = timezone.now()
    # spread the due times: conversation 2 is due first, conversation 0 has no SLA
    Conversation.objects.filter(pk=ids[0]).update(sla_state="", sla_due_at=None)
    SlaClock.objects.filter(conversation_id=ids[0]).delete()
    Conversation.objects.filter(pk=ids[1]).update(sla_due_at=now + timedelta(minutes=50))
    Conversation.objects.filter(pk=ids[2]).update(sla_due_at=now + timedelta(minutes=5), sla_state="warning")
    return ids


def test_conversation_json_has_its_sla(api, agent, three_conversations):
    body = api(agent).get(f"/api/v1/conversations/{three_conversations[2]}").json()
    assert body["sla"]["state"] == "warning"
    assert body["sla"]["target"] == "first_response"
    assert body["sla"]["due_at"] is not None
    assert api(agent).get(f"/api/v1/conversations/{three_conversations[0]}").json()["sla"] is None


def test_sort_by_sla_walks_nearest_due_first_with_no_due_last(api, agent, three_conversations):
    client = api(agent)
    first = client.get("/api/v1/conversations", sort="sla", limit=2).json()
    assert [c["id"] for c in first["items"]] == [three_conversations[2], three_conversations[1]]
    rest = client.get("/api/v1/conversations", sort="sla", limit=2, cursor=first["next_cursor"]).json()
    assert ([c["id"] for c in rest["items"]], rest["next_cursor"]) == ([three_conversations[0]], None)
    warning = client.get("/api/v1/conversations", sla_state="warning").json()["items"]
    assert [c["id"] for c in warning] == [three_conversations[2]]


def test_sla_list_runs_constant_queries(
    api, agent, workspace, make_policy, sla_inbound, django_assert_num_queries
):
    make_policy(name="p", first_response_minutes=60)
    client = api(agent)
    sla_inbound("m-0", sender_id="u-0")
    sla_inbound("m-1", sender_id="u-1")
    client.get("/api/v1/conversations")  # the token's first use writes last_used_at
    # token, conversations with their joins (clock included), tags, the agent's read markers
    with django_assert_num_queries(4):
        assert len(client.get("/api/v1/conversations", sort="sla").json()["items"]) == 2
    for i in range(2, 12):
        sla_inbound(f"m-{i}", sender_id=f"u-{i}")
    with django_assert_num_queries(4):
        assert len(client.get("/api/v1/conversations", sort="sla").json()["items"]) == 12


def test_sweep_preview_lists_and_writes_nothing(api, supervisor, agent, workspace, make_policy, sla_inbound):
    make_policy(
        name="p",
        first_response_minutes=1,
        first_response_business=False,
        escalation=[{"on": "breached", "action": "raise_priority"}],
    )
    conversation_id = sla_inbound("m-1")["conversation_id"]
    SlaClock.objects.filter(conversation_id=conversation_id).update(
        first_response_warn_at=timezone.now() - timedelta(minutes=2),
        first_response_due_at=timezone.now() - timedelta(minutes=1),
        next_check_at=timezone.now() - timedelta(minutes=2),
    )
    client = api(supervisor)
    events = Event.objects.filter(workspace=workspace).count()
    body = client.get("/api/v1/sla/sweep/preview").json()
    assert (body["checked"], body["notices"]) == (1, 2)
    assert [(s["kind"], s["action"]) for s in body["steps"]] == [
        ("breached", "record_event"),
        ("breached", "raise_priority"),
        ("warning", "record_event"),
    ]
    assert Event.objects.filter(workspace=workspace).count() == events
    assert api(agent).get("/api/v1/sla/sweep/preview").status_code == 403
