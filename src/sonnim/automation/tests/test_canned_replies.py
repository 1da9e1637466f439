"""Canned replies: service, API (list/create, visibility, workspace scope) and the settings page."""

import pytest
from django.test import Client

from sonnim.automation.models import CannedReply
from sonnim.automation.services import create_canned_reply
from sonnim.core.actors import Actor
from sonnim.core.errors import SonnimError
from sonnim.core.models import Event


def test_create_records_one_event(workspace, owner):
    reply = create_canned_reply(
        workspace,
        title=" 배송 안내 ",
        text="내일 도착합니다.",
        is_shared=True,
        created_by=owner,
        actor=Actor.agent(owner),
    )
    assert (reply.title, reply.text, reply.is_shared) == ("배송 안내", "내일 도착합니다.", True)
    events = Event.objects.filter(workspace=workspace, type="canned_reply.created")
    assert [(e.actor_id, e.data) for e in events] == [(owner.pk, {"canned_reply_id": reply.pk})]


def test_blank_text_is_refused_and_nothing_is_saved(workspace, owner):
    with pytest.raises(SonnimError) as error:
        create_canned_reply(
            workspace, title="제목", text="   ", is_shared=True, created_by=owner, actor=Actor.agent(owner)
        )
    assert error.value.code == "canned_reply_invalid"
    assert not CannedReply.objects.exists()
    assert not Event.objects.filter(type="canned_reply.created").exists()


def test_api_lists_shared_and_own_private_replies_only(workspace, owner, agent, other_workspace_agent, api):
    create_canned_reply(
        workspace, title="공유", text="모두", is_shared=True, created_by=owner, actor=Actor.agent(owner)
    )
    create_canned_reply(
        workspace, title="내 것", text="나만", is_shared=False, created_by=agent, actor=Actor.agent(agent)
    )
    create_canned_reply(
        workspace, title="남의 것", text="비공개", is_shared=False, created_by=owner, actor=Actor.agent(owner)
    )
    titles = [r["title"] for r in api(agent).get("/api/v1/canned-replies").json()]
    assert titles == ["공유", "내 것"]
    assert api(other_workspace_agent).get("/api/v1/canned-replies").json() == []


def test_api_creates_a_reply(agent, api):
    response = api(agent).post(
        "/api/v1/canned-replies", json={"title": "인사", "text": "안녕하세요!", "shared": False}
    )
    assert response.status_code == 201
    reply = CannedReply.objects.get()
    assert response.json() == {"id": reply.pk, "title": "인사", "text": "안녕하세요!", "shared": False}
    assert (reply.created_by_id, reply.workspace_id) == (agent.pk, agent.workspace_id)


def test_api_refuses_an_empty_title(agent, api):
    response = api(agent).post("/api/v1/canned-replies", json={"title": "", "text": "x"})
    assert (response.status_code, response.json()["code"]) == (422, "invalid_input")
    assert not CannedReply.objects.exists()


def test_settings_page_creates_and_deletes_for_admins_only(owner, agent):
    admin = Client()
    admin.force_login(owner.user)
    response = admin.post(
        "/settings/canned-replies", {"title": "환불 안내", "text": "3일 안에 환불됩니다.", "is_shared": "on"}
    )
    assert response.status_code == 302
    reply = CannedReply.objects.get()
    assert (reply.title, reply.is_shared, reply.created_by_id) == ("환불 안내", True, owner.pk)
    assert "환불 안내" in admin.get("/settings/canned-replies").content.decode()
    plain = Client()
    plain.force_login(agent.user)
    assert plain.post("/settings/canned-replies", {"delete": reply.pk}).status_code == 403
    assert CannedReply.objects.count() == 1
    assert admin.post("/settings/canned-replies", {"delete": reply.pk}).status_code == 302
    assert not CannedReply.objects.exists()
