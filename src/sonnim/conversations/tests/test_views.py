"""The server-rendered inbox: first paint, partials, constant query counts, settings, language."""

import re

from django.test import Client

from sonnim.conversations.models import Conversation, Message
from sonnim.conversations.services import add_note, assign_conversation, record_delivery, send_reply
from sonnim.core.actors import Actor
from sonnim.core.choices import Role
from sonnim.core.models import Agent, Event
from sonnim.core.services import create_agent
from sonnim.inboxes.models import Inbox
from sonnim.testing.fixtures import inbound_payload


def browser(agent: Agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def post_many(post_inbound, inbox, n: int, *, start: int = 0, text: str = "배송 언제 오나요?") -> None:
    for i in range(start, start + n):
        payload = inbound_payload(
            external_id=f"m-{i}", sender_id=f"u-{i}", text=text, sender={"name": f"고객{i}"}
        )
        assert post_inbound(inbox, payload).status_code == 201


def row_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'class="row[^"]*" data-id="(\d+)"', html)]


def test_inbox_requires_login(db):
    response = Client().get("/")
    assert (response.status_code, response["Location"]) == (302, "/login/?next=/")


def test_login_page_then_inbox(agent):
    agent.user.set_password("pw-123456")
    agent.user.save()
    client = Client()
    response = client.post("/login/", {"username": "agent@sample.kr", "password": "pw-123456"})
    assert (response.status_code, response["Location"]) == (302, "/")
    assert client.get("/").status_code == 200


def test_inbox_lists_open_conversations_newest_first_with_counts(agent, api_inbox, post_inbound):
    post_many(post_inbound, api_inbox, 3)
    first = Conversation.objects.get(customer__display_name="고객0")
    assign_conversation(first, assignee=agent, actor=Actor.agent(agent))
    html = browser(agent).get("/").content.decode()
    ids = list(Conversation.objects.order_by("-last_message_at", "-pk").values_list("pk", flat=True))
    assert row_ids(html) == ids
    assert re.search(r'data-count="mine">1<', html)
    assert re.search(r'data-count="unassigned">2<', html)
    assert re.search(r'data-count="open">3<', html)
    assert re.search(rf'data-count="inbox:{api_inbox.inbox.pk}">3<', html)
    assert "고객2" in html and "배송 언제 오나요?" in html
    assert "방금 전" in html  # relative time in Korean, the default language


def test_inbox_page_queries_do_not_grow_with_rows(agent, api_inbox, post_inbound, django_assert_num_queries):
    client = browser(agent)
    post_many(post_inbound, api_inbox, 2)
    client.get("/")  # warm the session and the left pane's counts (cached per event sequence number)
    with django_assert_num_queries(15):
        assert len(row_ids(client.get("/").content.decode())) == 2
    post_many(post_inbound, api_inbox, 18, start=2)
    with django_assert_num_queries(20):  # new events: the shared counts are counted again (5 queries)
        assert len(row_ids(client.get("/").content.decode())) == 20
    with django_assert_num_queries(15):
        assert len(row_ids(client.get("/").content.decode())) == 20


def test_open_conversation_queries_do_not_grow_with_messages(
    agent, api_inbox, post_inbound, django_assert_num_queries
):
    client = browser(agent)
    post_many(post_inbound, api_inbox, 1)
    conversation = Conversation.objects.get()
    client.get("/")
    url = f"/?c={conversation.pk}"
    client.get(url)
    with django_assert_num_queries(29):
        client.get(url)
    for i in range(10):
        add_note(conversation, text=f"메모 {i}", actor=Actor.agent(agent))
    client.get(url)
    with django_assert_num_queries(29):
        assert client.get(url).content.decode().count('class="msg msg-note"') == 10


def test_list_is_cursor_paginated(agent, api_inbox, post_inbound):
    post_many(post_inbound, api_inbox, 27)
    client = browser(agent)
    html = client.get("/").content.decode()
    assert len(row_ids(html)) == 25
    cursor = re.search(r'data-load-more="([^"]+)"', html).group(1)
    rest = client.get("/inbox/rows", {"view": "open", "cursor": cursor}).content.decode()
    all_ids = list(Conversation.objects.order_by("-last_message_at", "-pk").values_list("pk", flat=True))
    assert row_ids(html) + row_ids(rest) == all_ids
    assert "data-load-more" not in rest


def test_timeline_shows_notes_delivery_failure_and_retry(agent, api_inbox, post_inbound):
    post_many(post_inbound, api_inbox, 1, text="환불해주세요")
    conversation = Conversation.objects.get()
    actor = Actor.agent(agent)
    add_note(conversation, text="VIP 고객입니다", actor=actor)
    reply = send_reply(conversation, text="확인하겠습니다", actor=actor)
    record_delivery(reply, status="failed", reason="HTTP 500 from webhook", actor=actor)
    html = browser(agent).get(f"/?c={conversation.pk}").content.decode()
    assert 'class="msg msg-note"' in html and "VIP 고객입니다" in html and "내부 메모" in html
    assert f'data-action="retry" data-message-id="{reply.pk}"' in html
    assert "HTTP 500 from webhook" in html
    assert "환불해주세요" in html
    assert 'data-customer-id="' in html and "고객0" in html


def test_other_workspace_conversation_is_404(agent, other_workspace_agent, other_api_inbox, post_inbound):
    post_many(post_inbound, other_api_inbox, 1)
    theirs = Conversation.objects.get()
    client = browser(agent)
    assert client.get(f"/?c={theirs.pk}").status_code == 404
    assert client.get(f"/inbox/conversations/{theirs.pk}").status_code == 404
    assert client.get(f"/inbox/rows/{theirs.pk}").status_code == 204
    message = Message.objects.get()
    assert client.get(f"/inbox/messages/{message.pk}").status_code == 404


def test_row_partial_is_204_once_the_conversation_leaves_the_view(agent, api_inbox, post_inbound):
    post_many(post_inbound, api_inbox, 1)
    conversation = Conversation.objects.get()
    client = browser(agent)
    assert client.get(f"/inbox/rows/{conversation.pk}", {"view": "unassigned"}).status_code == 200
    assign_conversation(conversation, assignee=agent, actor=Actor.agent(agent))
    assert client.get(f"/inbox/rows/{conversation.pk}", {"view": "unassigned"}).status_code == 204
    assert client.get(f"/inbox/rows/{conversation.pk}", {"view": "mine"}).status_code == 200


def test_search_page_highlights_korean_inside_longer_words(agent, api_inbox, post_inbound):
    post_many(post_inbound, api_inbox, 1, text="환불해주세요")
    html = browser(agent).get("/search", {"q": "환불"}).content.decode()
    assert "<mark>환불</mark>해주세요" in html


def test_agent_language_english_and_toggle_saves_the_profile(agent, api_inbox, post_inbound, other_workspace):
    post_many(post_inbound, api_inbox, 1)
    elsewhere = create_agent(other_workspace, email=agent.user.username, role=Role.AGENT).agent
    Agent.objects.filter(pk__in=[agent.pk, elsewhere.pk]).update(language="en")
    agent.refresh_from_db()
    client = browser(agent)
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html and "All open" in html and "just now" in html
    response = client.post("/account/language", {"language": "ko", "next": "/?view=mine"})
    assert (response.status_code, response["Location"]) == (302, "/?view=mine")
    assert response.cookies["django_language"].value == "ko"  # the login page follows too
    html = client.get("/").content.decode()
    assert '<html lang="ko">' in html and "전체 진행 중" in html
    # the person's language, in every workspace; a new session without the cookie speaks it
    assert set(Agent.objects.filter(user=agent.user).values_list("language", flat=True)) == {"ko"}
    changed = Event.objects.filter(type="agent.language_changed")
    assert sorted(changed.values_list("workspace_id", flat=True)) == sorted(
        [agent.workspace_id, other_workspace.pk]
    )
    fresh = browser(Agent.objects.get(pk=agent.pk))
    fresh.cookies["django_language"] = "en"  # a stale cookie loses to the profile
    assert '<html lang="ko">' in fresh.get("/").content.decode()
    for bad in ("xx", ""):
        assert client.post("/account/language", {"language": bad}).status_code == 400
    response = client.post("/account/language", {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_workspace_switcher(agent, other_workspace):
    create_agent(other_workspace, email=agent.user.username, role=Role.AGENT)
    client = browser(agent)
    html = client.get("/").content.decode()
    assert f'<option value="/workspace/{agent.workspace_id}/" selected>' in html
    assert f'<option value="/workspace/{other_workspace.pk}/" >' in html
    assert client.post(f"/workspace/{other_workspace.pk}/").status_code == 302
    html = client.get("/").content.decode()
    assert f'<option value="/workspace/{other_workspace.pk}/" selected>' in html


def test_settings_are_for_admins_only(agent, owner):
    assert browser(agent).get("/settings/inboxes").status_code == 403
    assert browser(owner).get("/settings/inboxes").status_code == 200


def test_admin_creates_inbox_and_sees_url_and_key(owner):
    response = browser(owner).post("/settings/inboxes", {"name": "카카오 채널", "kind": "kakao"})
    inbox = Inbox.objects.get(name="카카오 채널")
    html = response.content.decode()
    assert f"<code data-inbox-key>{inbox.key}</code>" in html
    assert "/hooks/kakao/" in html


def test_admin_creates_agent_and_team(owner):
    client = browser(owner)
    html = client.post("/settings/agents", {"email": "new@sample.kr", "role": "supervisor"}).content.decode()
    new = Agent.objects.get(user__username="new@sample.kr")
    assert (new.role, new.workspace_id) == ("supervisor", owner.workspace_id)
    assert "data-new-password" in html
    response = client.post("/settings/teams", {"name": "배송팀", "members": [new.pk]})
    assert response.status_code == 302
    assert list(new.teams.values_list("name", flat=True)) == ["배송팀"]
    again = client.post("/settings/teams", {"name": "배송팀"})
    assert again.status_code == 200 and new.teams.count() == 1


def test_team_and_tag_views_filter_the_list(agent, api_inbox, post_inbound):
    from sonnim.conversations.services import change_tags, set_team
    from sonnim.core.services import create_team

    post_many(post_inbound, api_inbox, 3)
    team = create_team(agent.workspace, name="배송팀", members=[agent])
    first, second, _ = Conversation.objects.order_by("pk")
    set_team(first, team=team, actor=Actor.agent(agent))
    change_tags(second, add=["환불"], remove=[], actor=Actor.agent(agent))
    client = browser(agent)
    html = client.get("/", {"view": f"team:{team.pk}"}).content.decode()
    assert row_ids(html) == [first.pk]
    assert re.search(rf'data-count="team:{team.pk}">1<', html)
    html = client.get("/", {"view": "tag:환불"}).content.decode()
    assert row_ids(html) == [second.pk]
    assert re.search(r'data-count="tag:환불">1<', html)
