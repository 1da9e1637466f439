"""Routing and assignment through the real pipeline: team rules, VIP team, round robin / least load within
capacity, online agents only, manual assignment wins, reassignment when an agent leaves, and capacity
under concurrent arrivals from two processes."""

import pytest

from sonnim.conversations import services as conversation_services
from sonnim.conversations.models import Conversation
from sonnim.core.actors import SYSTEM, Actor
from sonnim.core.choices import Role
from sonnim.core.services import create_team
from sonnim.customers.services import create_customer, update_customer
from sonnim.testing.fixtures import inbound_payload, make_agent

from ..models import AgentStatus, RoutingRule
from ..routing import save_routing_rule, set_agent_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(workspace):
    """Three agents: 지원팀 (a1, a2, a3) for everyone, VIP팀 (vip1) for VIP customers."""
    agents = [make_agent(workspace, f"a{i}@sample.kr", Role.AGENT) for i in (1, 2, 3)]
    vip_agent = make_agent(workspace, "vip1@sample.kr", Role.AGENT)
    support = create_team(workspace, name="지원팀", members=agents)
    vip = create_team(workspace, name="VIP팀", members=[vip_agent])
    save_routing_rule(
        RoutingRule(workspace=workspace),
        actor=SYSTEM,
        name="VIP",
        order=0,
        customer_tiers=["vip"],
        team_id=vip.pk,
    )
    save_routing_rule(
        RoutingRule(workspace=workspace), actor=SYSTEM, name="all", order=10, team_id=support.pk
    )
    for a in [*agents, vip_agent]:
        set_agent_status(a, status="online", default_capacity=2, actor=SYSTEM)
    return agents, vip_agent, support, vip


@pytest.fixture
def arrive(api_inbox, post_inbound):
    """arrive(n) -> the conversation opened by a new customer's first message."""

    def send(n: int, **sender) -> Conversation:
        payload = inbound_payload(f"m-{n}", f"u-{n}", "문의드려요", sender=sender)
        response = post_inbound(api_inbox, payload)
        assert response.status_code == 201, response.content
        return Conversation.objects.select_related("customer").get(pk=response.json()["conversation_id"])

    return send


def test_round_robin_within_capacity_then_team_queue(desk, arrive):
    agents, _vip_agent, support, _vip = desk
    got = [arrive(i) for i in range(7)]
    assert [c.team_id for c in got] == [support.pk] * 7
    a1, a2, a3 = (a.pk for a in agents)
    assert [c.assignee_id for c in got] == [a1, a2, a3, a1, a2, a3, None]  # capacity 2 each, then queue


def test_only_online_agents_get_work(desk, arrive):
    agents, *_ = desk
    set_agent_status(agents[0], status="away", actor=SYSTEM)
    set_agent_status(agents[1], status="offline", actor=SYSTEM)
    assert [arrive(i).assignee_id for i in range(3)] == [agents[2].pk, agents[2].pk, None]


def test_least_load_prefers_the_emptiest(desk, arrive, workspace):
    agents, _vip_agent, support, _vip = desk
    RoutingRule.objects.filter(team=support).update(strategy=RoutingRule.LEAST_LOAD)
    got = [arrive(i) for i in range(3)]
    assert [c.assignee_id for c in got] == [a.pk for a in agents]
    conversation_services.set_status(got[1], status="resolved", actor=SYSTEM)  # a2 has nothing open now
    # round robin would pick a1 (longest since its last assignment); least load picks the emptiest, a2
    assert arrive(3).assignee_id == agents[1].pk


def test_vip_customers_go_to_the_vip_team(desk, arrive, workspace):
    _agents, vip_agent, _support, vip = desk
    customer = create_customer(workspace, name="큰손", email="vip@example.kr", actor=SYSTEM)
    update_customer(customer, tier="vip", actor=SYSTEM)
    conversation = arrive(0, email="vip@example.kr")
    assert conversation.customer_id == customer.pk
    assert (conversation.team_id, conversation.assignee_id) == (vip.pk, vip_agent.pk)


def test_manual_assignment_is_kept_on_the_next_message(desk, arrive, api_inbox, post_inbound, supervisor):
    agents, *_ = desk
    conversation = arrive(0)
    conversation_services.assign_conversation(conversation, assignee=agents[2], actor=Actor.agent(supervisor))
    post_inbound(api_inbox, inbound_payload("m-0b", "u-0", "추가 문의"))
    assert Conversation.objects.get(pk=conversation.pk).assignee_id == agents[2].pk


def test_going_offline_hands_open_chats_to_online_teammates(desk, arrive):
    agents, *_ = desk
    first, second = arrive(0), arrive(1)
    assert (first.assignee_id, second.assignee_id) == (agents[0].pk, agents[1].pk)
    set_agent_status(agents[0], status="offline", actor=SYSTEM)
    assert Conversation.objects.get(pk=first.pk).assignee_id == agents[2].pk
    assert AgentStatus.objects.get(agent=agents[0]).status == "offline"


def test_bad_status_is_refused(desk):
    from sonnim.core.errors import SonnimError

    agents, *_ = desk
    with pytest.raises(SonnimError) as refused:
        set_agent_status(agents[0], status="busy", actor=SYSTEM)
    assert refused.value.code == "invalid_agent_status"
    assert AgentStatus.objects.get(agent=agents[0]).status == "online"


@pytest.mark.django_db(transaction=True)
def test_capacity_holds_under_concurrent_arrivals_from_two_processes(workspace, api_inbox, tmp_path):
    from sonnim.conversations.tests.test_concurrency import race

    agents = [make_agent(workspace, f"r{i}@sample.kr", Role.AGENT) for i in (1, 2)]
    team = create_team(workspace, name="동시팀", members=agents)
    save_routing_rule(
        RoutingRule(workspace=workspace),
        actor=SYSTEM,
        name="all",
        team_id=team.pk,
        strategy=RoutingRule.LEAST_LOAD,
    )
    for a in agents:
        set_agent_status(a, status="online", capacity={"api": 3}, actor=SYSTEM)
    plans = [[[f"{side}-{i}", f"{side}-sender-{i}", "동시 문의"] for i in range(8)] for side in ("a", "b")]
    race(api_inbox.inbox.pk, plans, tmp_path)
    conversations = Conversation.objects.filter(workspace=workspace)
    assert conversations.count() == 16
    loads = sorted(conversations.exclude(assignee=None).values_list("assignee_id", flat=True))
    assert loads == sorted([agents[0].pk] * 3 + [agents[1].pk] * 3)
    assert conversations.filter(assignee=None, team=team).count() == 10
