"""The pipeline's per-process configuration cache (core/config.py): SLA policies, routing and automation
rules are read from memory, and any change to them, in this process or another, applies to the very next
message."""

import json
import urllib.request

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sonnim.automation.models import RoutingRule
from sonnim.automation.routing import save_routing_rule
from sonnim.conversations.models import Conversation
from sonnim.core.actors import SYSTEM
from sonnim.core.models import Workspace
from sonnim.core.services import create_team, create_workspace
from sonnim.inboxes.services import create_inbox
from sonnim.sla.models import SlaPolicy
from sonnim.sla.services import create_policy
from sonnim.testing.fixtures import inbound_payload
from sonnim.testing.server import ServerProcess


def version(workspace) -> int:
    return Workspace.objects.values_list("config_version", flat=True).get(pk=workspace.pk)


@pytest.mark.django_db
def test_every_change_to_watched_rows_gives_a_new_version(workspace):
    seen = [version(workspace)]
    policy = create_policy(workspace, actor=SYSTEM, name="채팅 1시간", first_response_minutes=60)
    seen.append(version(workspace))
    policy.is_active = False
    policy.save()
    seen.append(version(workspace))
    policy.delete()
    seen.append(version(workspace))
    team = create_team(workspace, name="상담팀")
    save_routing_rule(RoutingRule(workspace=workspace), actor=SYSTEM, name="all", order=0, team_id=team.pk)
    seen.append(version(workspace))
    assert len(set(seen)) == len(seen)


@pytest.mark.django_db
def test_warm_pipeline_reads_no_configuration_and_sees_a_new_rule_at_once(
    workspace, api_inbox, post_inbound, sla_inbound
):
    sla_inbound("m-1")  # warms the caches
    with CaptureQueriesContext(connection) as queries:
        sla_inbound("m-2")
    tables = " ".join(q["sql"] for q in queries.captured_queries)
    for table in ("sla_slapolicy", "automation_routingrule", "automation_rule", "sla_slaclock"):
        assert table not in tables, table
    team = create_team(workspace, name="상담팀")
    save_routing_rule(RoutingRule(workspace=workspace), actor=SYSTEM, name="all", order=0, team_id=team.pk)
    sla_inbound("m-3", sender_id="u-2")
    assert Conversation.objects.get(customer__identities__external_id="u-2").team_id == team.pk


@pytest.mark.django_db(transaction=True)
def test_a_change_made_by_another_process_applies_to_the_servers_next_message():
    workspace = create_workspace(name="캐시샵")
    created = create_inbox(workspace, kind="api", name="api")
    url = f"/api/v1/inboxes/{created.inbox.pk}/messages"

    def post(server, external_id, sender):
        body = json.dumps(inbound_payload(external_id, sender, "배송 언제 오나요?")).encode()
        request = urllib.request.Request(
            server.url + url,
            data=body,
            headers={"Authorization": f"Bearer {created.key}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    with ServerProcess() as server:
        first = post(server, "m-1", "u-1")  # the server caches "no policies"
        assert Conversation.objects.get(pk=first["conversation_id"]).sla_state == ""
        SlaPolicy.objects.create(workspace=workspace, name="전체", first_response_minutes=60)  # plain ORM
        second = post(server, "m-2", "u-2")
    assert Conversation.objects.get(pk=second["conversation_id"]).sla_state == "running"
