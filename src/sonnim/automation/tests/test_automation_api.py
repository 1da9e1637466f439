"""The routing and rules API: agents set their availability, supervisors configure, previews write nothing."""

import pytest

from sonnim.core.models import Event
from sonnim.core.services import create_team

from ..models import AgentStatus, RoutingRule, Rule

pytestmark = pytest.mark.django_db


def test_agent_sets_own_status_and_capacity(api, agent):
    response = api(agent).post("/api/v1/routing/status", json={"status": "online", "capacity": {"kakao": 3}})
    assert response.json() == {
        "agent_id": agent.pk,
        "status": "online",
        "capacity": {"kakao": 3},
        "default_capacity": 5,
    }
    bad = api(agent).post("/api/v1/routing/status", json={"status": "sleeping"})
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_agent_status")
    assert AgentStatus.objects.get(agent=agent).status == "online"


def test_supervisor_configures_routing_rules(api, supervisor, agent, workspace, other_workspace):
    team = create_team(workspace, name="VIP팀")
    client = api(supervisor)
    created = client.post(
        "/api/v1/routing/rules", json={"name": "VIP", "customer_tiers": ["vip"], "team_id": team.pk}
    )
    assert created.status_code == 201, created.content
    rule_id = created.json()["id"]
    patched = client.patch(f"/api/v1/routing/rules/{rule_id}", json={"strategy": "least_load"})
    assert patched.json()["strategy"] == "least_load"
    foreign = create_team(other_workspace, name="남의 팀")
    refused = client.post("/api/v1/routing/rules", json={"name": "x", "team_id": foreign.pk})
    assert refused.status_code == 404
    assert api(agent).post("/api/v1/routing/rules", json={"name": "y", "team_id": team.pk}).status_code == 403
    assert RoutingRule.objects.count() == 1


def test_rules_api_create_validate_and_preview(api, supervisor, workspace):
    client = api(supervisor)
    body = {
        "name": "환불 우선",
        "event_type": "message.received",
        "conditions": [{"field": "text", "op": "contains", "value": "환불"}],
        "actions": [{"type": "set_priority", "params": {"priority": "high"}}],
    }
    created = client.post("/api/v1/automation/rules", json=body)
    assert created.status_code == 201, created.content
    assert (created.json()["name"], created.json()["fire_count"]) == ("환불 우선", 0)
    bad = client.post(
        "/api/v1/automation/rules", json={**body, "actions": [{"type": "snooze", "params": {"minutes": -1}}]}
    )
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_action_params")
    assert Rule.objects.count() == 1
    events = Event.objects.filter(workspace=workspace).count()
    preview = client.post(
        "/api/v1/automation/rules/preview",
        json={"conditions": body["conditions"], "actions": body["actions"]},
    )
    assert preview.json() == []
    assert Event.objects.filter(workspace=workspace).count() == events
