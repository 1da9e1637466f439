"""Saved filters: created through the JSON API and the inbox's filter form, listed with live counts in the
left pane, private or shared, deleted by their owner (or an admin when shared), never across workspaces."""

import re
from urllib.parse import quote

import pytest
from django.test import Client

from sonnim.core.actors import Actor
from sonnim.core.models import Event
from sonnim.core.services import create_team
from sonnim.testing.fixtures import inbound_payload, make_agent

from ..models import Conversation, SavedView
from ..services import assign_conversation, change_tags, set_priority, set_status

pytestmark = pytest.mark.django_db


def browser(agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


@pytest.fixture
def desk(agent, api_inbox, post_inbound):
    """Four open conversations: two urgent ones (one of them tagged 환불 and the agent's), two medium."""
    for i in range(4):
        payload = inbound_payload(
            f"m-{i}", f"u-{i}", "환불해주세요" if i == 0 else "배송 문의", sender={"name": f"고객{i}"}
        )
        assert post_inbound(api_inbox, payload).status_code == 201
    first, second, *_ = Conversation.objects.order_by("pk")
    actor = Actor.agent(agent)
    for c in (first, second):
        set_priority(c, priority="urgent", actor=actor)
    change_tags(first, add=["환불"], actor=actor)
    assign_conversation(first, assignee=agent, actor=actor)
    return Conversation.objects.order_by("pk")


def count_in(html: str, key: str) -> int:
    match = re.search(rf'data-count="{re.escape(key)}">(\d+)<', html)
    assert match, f"no count for {key}"
    return int(match.group(1))


def test_api_creates_lists_with_count_and_deletes(agent, api, desk):
    client = api(agent)
    response = client.post(
        "/api/v1/saved-views",
        json={"name": "급한 건", "is_shared": True, "filters": {"status": "open", "priority": "urgent"}},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["name"], body["is_shared"], body["count"]) == ("급한 건", True, 2)
    assert body["filters"] == {"status": "open", "priority": "urgent"}
    assert body["owner"] == {"id": agent.pk, "name": agent.display_name}
    mine = client.post(
        "/api/v1/saved-views", json={"name": "내 환불", "filters": {"assignee": "me", "tag": "환불"}}
    )
    assert mine.json()["count"] == 1
    listed = client.get("/api/v1/saved-views").json()
    assert [(v["name"], v["count"]) for v in listed] == [("급한 건", 2), ("내 환불", 1)]
    assert Event.objects.filter(type="saved_view.created").count() == 2

    set_status(desk[1], status="resolved", actor=Actor.agent(agent))  # the count follows at once
    assert [v["count"] for v in client.get("/api/v1/saved-views").json()] == [1, 1]

    assert client._call("delete", f"/api/v1/saved-views/{body['id']}").status_code == 204
    assert [v["name"] for v in client.get("/api/v1/saved-views").json()] == ["내 환불"]
    assert Event.objects.filter(type="saved_view.deleted").count() == 1


def test_private_views_are_the_owners_shared_ones_everyones(agent, owner, supervisor, api, desk):
    private = api(agent).post("/api/v1/saved-views", json={"name": "비공개", "filters": {"q": "환불"}}).json()
    shared = (
        api(agent)
        .post("/api/v1/saved-views", json={"name": "공유", "is_shared": True, "filters": {"assignee": "me"}})
        .json()
    )
    assert private["count"] == 1  # Korean search inside the filter
    others = api(supervisor).get("/api/v1/saved-views").json()
    # "me" is whoever looks: the supervisor has no conversation
    assert [(v["name"], v["count"]) for v in others] == [("공유", 0)]
    assert api(supervisor).get("/api/v1/saved-views").status_code == 200
    response = api(supervisor)._call("delete", f"/api/v1/saved-views/{private['id']}")
    assert (response.status_code, response.json()["code"]) == (404, "saved_view_not_found")
    response = api(supervisor)._call("delete", f"/api/v1/saved-views/{shared['id']}")
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert SavedView.objects.count() == 2
    assert api(owner)._call("delete", f"/api/v1/saved-views/{shared['id']}").status_code == 204  # an admin


def test_bad_filters_are_refused_and_nothing_is_saved(
    agent, api, desk, other_workspace_agent, other_api_inbox
):
    client = api(agent)
    for filters, field in (
        ({"status": "lost"}, "status"),
        ({"priority": "asap"}, "priority"),
        ({"inbox": other_api_inbox.inbox.pk}, "inbox"),  # another workspace's inbox
        ({"assignee": str(other_workspace_agent.pk)}, "assignee"),
        ({"team": 999999}, "team"),
    ):
        response = client.post("/api/v1/saved-views", json={"name": "x", "filters": filters})
        assert (response.status_code, response.json()["code"]) == (400, "invalid_input"), filters
        assert response.json()["details"] == {"field": field}
    response = client.post("/api/v1/saved-views", json={"name": "", "filters": {}})
    assert response.status_code == 422
    assert not SavedView.objects.exists()
    assert not Event.objects.filter(type="saved_view.created").exists()


def test_other_workspace_never_sees_or_deletes_a_shared_view(agent, other_workspace_agent, api, desk):
    view = (
        api(agent).post("/api/v1/saved-views", json={"name": "공유", "is_shared": True, "filters": {}}).json()
    )
    assert api(other_workspace_agent).get("/api/v1/saved-views").json() == []
    response = api(other_workspace_agent)._call("delete", f"/api/v1/saved-views/{view['id']}")
    assert response.status_code == 404
    html = browser(other_workspace_agent).get("/", {"view": f"saved:{view['id']}"}).content.decode()
    assert "공유" not in html and 'aria-current="page">' in html  # fell back to all open


def test_filter_form_then_save_shows_the_view_with_its_count(agent, desk):
    client = browser(agent)
    team = create_team(agent.workspace, name="환불팀", members=[agent])
    response = client.get(
        "/", {"view": "filter", "status": "open", "priority": "urgent", "q": "", "team": ""}
    )
    view = "f:status=open&priority=urgent"
    assert (response.status_code, response["Location"]) == (302, f"/?view={quote(view, safe='')}")
    html = client.get(response["Location"]).content.decode()
    rows = [int(x) for x in re.findall(r'class="row[^"]*" data-id="(\d+)"', html)]
    assert rows == [desk[1].pk, desk[0].pk]
    assert 'name="name"' in html and "data-save-view" in html  # the save form
    assert '<span class="prio prio-urgent">긴급</span>' in html  # labels in the agent's language
    assert 'title="API · 쇼핑몰 API"' in html
    saved = client.post("/inbox/saved-views", {"view": view, "name": "급한 건", "is_shared": "on"})
    view_row = SavedView.objects.get()
    assert (view_row.name, view_row.is_shared, view_row.owner_id) == ("급한 건", True, agent.pk)
    assert view_row.filters == {"status": "open", "priority": "urgent"}
    assert saved["Location"] == f"/?view=saved%3A{view_row.pk}"
    html = client.get(saved["Location"]).content.decode()
    assert count_in(html, f"saved:{view_row.pk}") == 2
    assert re.search(rf'data-view-link="saved:{view_row.pk}" aria-current="page"', html)
    assert [int(x) for x in re.findall(r'class="row[^"]*" data-id="(\d+)"', html)] == rows
    # the nav partial (what the JS refreshes after each event) keeps the count live
    set_status(desk[0], status="pending", actor=Actor.agent(agent))
    nav = client.get("/inbox/nav", {"view": f"saved:{view_row.pk}"}).content.decode()
    assert count_in(nav, f"saved:{view_row.pk}") == 1
    # a bad value (another team id) is refused with its code, nothing saved
    refused = client.post("/inbox/saved-views", {"view": f"f:team={team.pk + 100}", "name": "x"})
    assert "saved_error=invalid_input" in refused["Location"]
    assert SavedView.objects.count() == 1
    client.post(f"/inbox/saved-views/{view_row.pk}/delete")
    assert not SavedView.objects.exists()


def test_only_the_owner_or_an_admin_sees_the_delete_button(agent, owner, supervisor, desk):
    agent_view = SavedView.objects.create(
        workspace=agent.workspace, owner=agent, name="공유", is_shared=True, filters={"status": "open"}
    )
    assert f'data-delete-view="{agent_view.pk}"' in browser(agent).get("/").content.decode()
    assert f'data-delete-view="{agent_view.pk}"' in browser(owner).get("/").content.decode()
    html = browser(supervisor).get("/").content.decode()
    assert "공유" in html and f'data-delete-view="{agent_view.pk}"' not in html
    assert browser(supervisor).post(f"/inbox/saved-views/{agent_view.pk}/delete").status_code == 403
    other = make_agent(agent.workspace, "x@sample.kr", "agent")
    private = SavedView.objects.create(workspace=agent.workspace, owner=other, name="남의 것", filters={})
    assert "남의 것" not in browser(agent).get("/").content.decode()
    assert browser(agent).post(f"/inbox/saved-views/{private.pk}/delete").status_code == 404
