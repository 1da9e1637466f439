"""Facebook Page + Instagram through the Graph API webhook shape: the GET handshake, signed posts replayed
through the real webhook view, replies and comment actions delivered to a local fake Graph API."""

import json
import logging

import pytest
from django.test import Client

from sonnim.conversations.models import Conversation, Message
from sonnim.conversations.tasks import deliver_message
from sonnim.core.models import Event
from sonnim.customers.models import Identity
from sonnim.inboxes.services import create_inbox
from sonnim.testing.fakes.base import Reply
from sonnim.testing.fakes.graph import (
    APP_ID,
    APP_SECRET,
    PAGE_TOKEN,
    VERSION,
    FakeGraph,
    dm,
    echo,
    graph_error,
    instagram_comment,
    page_comment,
    sign,
)

VERIFY_TOKEN = "sonnim-verify-token"


@pytest.fixture
def graph():
    with FakeGraph() as fake:
        yield fake


@pytest.fixture
def meta(workspace, graph):
    return create_inbox(
        workspace,
        kind="meta",
        name="샘플샵 페이스북·인스타그램",
        settings={
            "graph_url": graph.url,
            "graph_version": VERSION,
            "page_id": "PAGE-1",
            "instagram_account_id": "IG-ACCOUNT-1",
            "app_id": APP_ID,
        },
        credentials={"app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN, "page_access_token": PAGE_TOKEN},
    )


def post(created, payload, *, raw: bytes | None = None, signature: str | None = None):
    body = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
    headers = {"X-Hub-Signature-256": sign(body) if signature is None else signature}
    return Client().post(
        f"/hooks/meta/{created.key}", data=body, content_type="application/json", headers=headers
    )


def deliver_all(workspace):
    for pk in Message.objects.filter(workspace=workspace, delivery_status="queued").values_list(
        "pk", flat=True
    ):
        deliver_message.call(workspace_id=workspace.pk, message_id=pk)


# --- handshake -------------------------------------------------------------------------------------------


def test_verification_handshake_answers_the_challenge(meta):
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    response = Client().get(f"/hooks/meta/{meta.key}", params)
    assert (response.status_code, response.content, response["Content-Type"]) == (
        200,
        b"1158201444",
        "text/plain",
    )
    wrong = Client().get(f"/hooks/meta/{meta.key}", {**params, "hub.verify_token": "guess"})
    assert (wrong.status_code, wrong.json()["code"]) == (403, "bad_verify_token")
    no_challenge = Client().get(f"/hooks/meta/{meta.key}", {"hub.mode": "subscribe"})
    assert (no_challenge.status_code, no_challenge.json()["code"]) == (400, "malformed_payload")
    assert Client().get("/hooks/meta/inb_wrong", params).status_code == 401


# --- inbound ---------------------------------------------------------------------------------------------


def test_messenger_and_instagram_dms_become_conversations(meta, workspace, api, agent):
    assert post(meta, dm("사이즈 교환 가능한가요? 🙏", mid="m_1")).status_code == 200
    assert (
        post(
            meta, dm("재입고 언제예요?", psid="IGSID-9", page_id="IG-ACCOUNT-1", mid="ig_1", obj="instagram")
        ).status_code
        == 200
    )
    post(meta, dm("그리고 색상도요", mid="m_2"))
    conversations = Conversation.objects.filter(inbox=meta.inbox).order_by("pk")
    assert [c.thread_key for c in conversations] == ["fb-dm:PSID-1", "ig-dm:IGSID-9"]
    first = conversations[0]
    assert list(first.messages.order_by("pk").values_list("text", flat=True)) == [
        "사이즈 교환 가능한가요? 🙏",
        "그리고 색상도요",
    ]
    message = first.messages.order_by("pk").first()
    assert (message.external_id, message.metadata) == (
        "m_1",
        {"meta": {"platform": "facebook", "kind": "dm"}},
    )
    assert sorted(
        Identity.objects.filter(workspace=workspace, kind="meta").values_list("external_id", flat=True)
    ) == [
        "IGSID-9",
        "PSID-1",
    ]


def test_page_comment_is_a_public_conversation_threaded_per_comment(meta, workspace):
    post(meta, page_comment("배송이 너무 느려요", comment_id="POST-1_C-1"))
    post(meta, page_comment("답변 주세요", comment_id="POST-1_C-2", parent_id="POST-1_C-1"))
    post(meta, page_comment("다른 글 댓글", comment_id="POST-2_C-9", post_id="PAGE-1_POST-2"))
    conversations = Conversation.objects.filter(inbox=meta.inbox).order_by("pk")
    assert [(c.thread_key, c.subject, c.messages.count()) for c in conversations] == [
        ("fb-comment:POST-1_C-1", "Facebook 공개 댓글", 2),
        ("fb-comment:POST-2_C-9", "Facebook 공개 댓글", 1),
    ]
    message = Message.objects.get(external_id="comment:POST-1_C-2")
    assert message.metadata == {
        "meta": {
            "platform": "facebook",
            "kind": "comment",
            "public": True,
            "comment_id": "POST-1_C-2",
            "post_id": "PAGE-1_POST-1",
            "parent_id": "POST-1_C-1",
        }
    }
    identity = Identity.objects.get(workspace=workspace, kind="meta", external_id="FB-USER-1")
    assert identity.display_name == "이하늘"


def test_instagram_comment_and_our_own_comments(meta):
    post(meta, instagram_comment("이 제품 정품인가요?"))
    post(
        meta,
        instagram_comment("정품입니다!", comment_id="IG-C-2", author_id="IG-ACCOUNT-1", parent_id="IG-C-1"),
    )
    post(meta, page_comment("감사합니다", comment_id="POST-1_C-7", author_id="PAGE-1"))
    assert list(Message.objects.values_list("text", flat=True)) == ["이 제품 정품인가요?"]
    assert Conversation.objects.get(inbox=meta.inbox).thread_key == "ig-comment:IG-C-1"


def test_duplicate_delivery_is_stored_once(meta, workspace):
    for payload in (dm("환불해주세요", mid="m_dup"), page_comment("환불 문의", comment_id="P_C-dup")):
        assert [post(meta, payload).status_code for _ in range(3)] == [200, 200, 200]
    assert Message.objects.filter(inbox=meta.inbox).count() == 2
    assert Event.objects.filter(workspace=workspace, type="message.received").count() == 2


def test_echo_typed_in_meta_inbox_is_mirrored_and_never_resent(meta, graph, workspace):
    post(meta, dm("문의드려요", mid="m_in"))
    assert post(meta, echo("네 말씀하세요", mid="m_echo", app_id="263902037430900")).status_code == 200
    mirror = Message.objects.get(inbox=meta.inbox, direction="out")
    assert (mirror.text, mirror.delivery_status, mirror.metadata["echo"]) == ("네 말씀하세요", "sent", True)
    deliver_all(workspace)
    assert graph.requests == []


def test_echo_of_our_own_send_is_dropped(meta, graph, workspace, api, agent):
    post(meta, dm("배송 문의", mid="m_q"))
    conversation = Conversation.objects.get(inbox=meta.inbox)
    api(agent).post(f"/api/v1/conversations/{conversation.pk}/reply", json={"text": "내일 도착해요"})
    deliver_all(workspace)
    sent_mid = Message.objects.get(direction="out").external_id.removeprefix("out:")
    post(meta, echo("내일 도착해요", mid=sent_mid))  # no app_id: recognised by its mid
    post(meta, echo("내일 도착해요", mid="m_other", app_id=APP_ID))  # our app's id
    assert list(Message.objects.order_by("pk").values_list("direction", "text")) == [
        ("in", "배송 문의"),
        ("out", "내일 도착해요"),
    ]


def test_deliveries_reads_and_other_objects_are_ignored(meta):
    read = dm("x")
    read["entry"][0]["messaging"][0] = {
        "sender": {"id": "PSID-1"},
        "recipient": {"id": "PAGE-1"},
        "read": {"watermark": 1},
    }
    assert post(meta, read).status_code == 200
    assert post(meta, {"object": "user", "entry": []}).status_code == 200
    assert not Message.objects.exists()


@pytest.mark.parametrize("signature", ["", "sha256=" + "0" * 64, "sha1=abc"])
def test_bad_signature_is_401_and_stores_nothing(meta, signature, caplog):
    with caplog.at_level(logging.INFO, logger="sonnim"):
        response = post(meta, dm("비밀 내용"), signature=signature)
    assert (response.status_code, response.json()["code"]) == (401, "bad_signature")
    assert "code=bad_signature" in caplog.text and "비밀" not in caplog.text
    assert not Message.objects.exists()


def test_signature_over_other_bytes_is_refused(meta):
    body = json.dumps(dm("원문"), ensure_ascii=False).encode()
    response = post(meta, None, raw=body.replace("원문".encode(), "변조".encode()), signature=sign(body))
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("payload", "code", "reason"),
    [
        (b"{nope", "malformed_json", "The body is not valid JSON."),
        ({"object": "page"}, "malformed_payload", "The payload has no `object` and `entry` list."),
        ({"object": "page", "entry": ["x"]}, "malformed_payload", "An entry is not an object."),
        (
            {"object": "page", "entry": [{"messaging": {"a": 1}}]},
            "malformed_payload",
            "`messaging` is not a list of objects.",
        ),
        (
            {
                "object": "page",
                "entry": [{"messaging": [{"recipient": {"id": "P"}, "message": {"mid": "m", "text": "x"}}]}],
            },
            "malformed_payload",
            "A messaging event has no `sender.id`.",
        ),
        (
            {
                "object": "page",
                "entry": [
                    {
                        "messaging": [
                            {"sender": {"id": "U"}, "recipient": {"id": "P"}, "message": {"text": "x"}}
                        ]
                    }
                ],
            },
            "malformed_payload",
            "A message has no `mid`.",
        ),
        (
            {
                "object": "page",
                "entry": [
                    {
                        "changes": [
                            {
                                "field": "feed",
                                "value": {"item": "comment", "verb": "add", "from": {"id": "U"}},
                            }
                        ]
                    }
                ],
            },
            "malformed_payload",
            "A comment has no id or no author id.",
        ),
    ],
)
def test_malformed_payload_is_a_400_with_its_reason(meta, payload, code, reason):
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    response = post(meta, None, raw=raw)
    assert response.status_code == 400
    assert response.json() == {"code": code, "message": reason, "details": None}
    assert not Message.objects.exists()


# --- outbound --------------------------------------------------------------------------------------------


def test_dm_reply_goes_through_the_send_api(meta, graph, workspace, api, agent):
    post(meta, dm("교환 되나요?", mid="m_a"))
    conversation = Conversation.objects.get(inbox=meta.inbox)
    sent = api(agent).post(f"/api/v1/conversations/{conversation.pk}/reply", json={"text": "네, 가능해요 😊"})
    assert sent.status_code == 201
    deliver_all(workspace)
    assert graph.posts() == [
        (
            f"/{VERSION}/me/messages",
            {
                "recipient": {"id": "PSID-1"},
                "messaging_type": "RESPONSE",
                "message": {"text": "네, 가능해요 😊"},
            },
        )
    ]
    assert graph.requests[0].headers["Authorization"] == f"Bearer {PAGE_TOKEN}"
    message = Message.objects.get(pk=sent.json()["id"])
    assert (message.delivery_status, message.external_id[:6]) == ("sent", "out:m_")


@pytest.fixture
def comment_thread(meta):
    post(meta, page_comment("배송이 너무 느려요", comment_id="POST-1_C-1"))
    return Conversation.objects.get(inbox=meta.inbox)


def test_public_reply_to_a_page_comment(comment_thread, graph, workspace, api, agent):
    response = api(agent).post(
        f"/api/v1/conversations/{comment_thread.pk}/reply", json={"text": "죄송합니다, 확인해볼게요"}
    )
    assert response.status_code == 201
    deliver_all(workspace)
    assert graph.posts() == [(f"/{VERSION}/POST-1_C-1/comments", {"message": "죄송합니다, 확인해볼게요"})]


def test_instagram_public_reply_uses_replies(meta, graph, workspace, api, agent):
    post(meta, instagram_comment("정품인가요?"))
    conversation = Conversation.objects.get(inbox=meta.inbox)
    api(agent).post(f"/api/v1/conversations/{conversation.pk}/meta/reply", json={"text": "정품입니다"})
    deliver_all(workspace)
    assert graph.posts() == [(f"/{VERSION}/IG-C-1/replies", {"message": "정품입니다"})]


def test_move_a_comment_to_a_private_message(comment_thread, graph, workspace, api, agent):
    response = api(agent).post(
        f"/api/v1/conversations/{comment_thread.pk}/meta/reply",
        json={"text": "주문번호를 DM으로 알려주세요", "mode": "private"},
    )
    assert response.status_code == 201
    deliver_all(workspace)
    assert graph.posts() == [
        (
            f"/{VERSION}/me/messages",
            {
                "recipient": {"comment_id": "POST-1_C-1"},
                "messaging_type": "RESPONSE",
                "message": {"text": "주문번호를 DM으로 알려주세요"},
            },
        )
    ]
    assert Message.objects.get(pk=response.json()["id"]).metadata == {
        "meta": {"mode": "private", "comment_id": "POST-1_C-1"}
    }


def test_comment_actions_are_refused_on_a_dm_thread(meta, api, agent):
    post(meta, dm("안녕하세요", mid="m_b"))
    conversation = Conversation.objects.get(inbox=meta.inbox)
    for path, body in (("meta/reply", {"text": "x", "mode": "private"}), ("meta/hide", {})):
        response = api(agent).post(f"/api/v1/conversations/{conversation.pk}/{path}", json=body)
        assert (response.status_code, response.json()["code"]) == (409, "not_a_comment_thread")
    assert not Message.objects.filter(direction="out").exists()


def test_hide_and_unhide_a_comment(comment_thread, graph, workspace, api, agent):
    client = api(agent)
    hidden = client.post(f"/api/v1/conversations/{comment_thread.pk}/meta/hide", json={})
    assert hidden.json() == {"comment_id": "POST-1_C-1", "hidden": True}
    shown = client.post(
        f"/api/v1/conversations/{comment_thread.pk}/meta/hide",
        json={"comment_id": "POST-1_C-1", "hidden": False},
    )
    assert shown.status_code == 200
    assert graph.posts() == [
        (f"/{VERSION}/POST-1_C-1", {"is_hidden": True}),
        (f"/{VERSION}/POST-1_C-1", {"is_hidden": False}),
    ]
    types = list(
        Event.objects.filter(workspace=workspace, type__startswith="comment.").values_list("type", flat=True)
    )
    assert types == ["comment.hidden", "comment.unhidden"]
    other = client.post(
        f"/api/v1/conversations/{comment_thread.pk}/meta/hide", json={"comment_id": "SOMEONE_ELSE"}
    )
    assert (other.status_code, other.json()["code"]) == (404, "comment_not_found")


def test_hide_refused_by_graph_shows_the_reason_and_records_nothing(
    comment_thread, graph, workspace, api, agent
):
    graph.then(graph_error(400, 10, "(#10) Permission denied"))
    response = api(agent).post(f"/api/v1/conversations/{comment_thread.pk}/meta/hide", json={})
    assert response.status_code == 502
    assert response.json()["code"] == "meta_action_failed"
    assert (
        response.json()["message"] == "Meta refused the request: HTTP 400, code 10 ((#10) Permission denied)"
    )
    assert not Event.objects.filter(workspace=workspace, type="comment.hidden").exists()


def test_transient_graph_failures_are_retried_until_sent(comment_thread, graph, workspace, api, agent):
    graph.then(
        Reply(503, {"error": {"message": "Service unavailable", "code": 2}}),
        graph_error(400, 613, "Calls to this api have exceeded the rate limit."),
    )
    sent = (
        api(agent)
        .post(f"/api/v1/conversations/{comment_thread.pk}/reply", json={"text": "확인 중입니다"})
        .json()
    )
    results = [deliver_message.call(workspace_id=workspace.pk, message_id=sent["id"]) for _ in range(3)]
    assert results == ["retrying", "retrying", "sent"]
    reasons = list(
        Event.objects.filter(workspace=workspace, type="message.retrying")
        .order_by("seq")
        .values_list("data__reason", flat=True)
    )
    assert reasons == [
        "Meta refused the request: HTTP 503, code 2 (Service unavailable)",
        "Meta refused the request: HTTP 400, code 613 (Calls to this api have exceeded the rate limit.)",
    ]


def test_outside_the_messaging_window_fails_for_good_with_the_reason(meta, graph, workspace, api, agent):
    post(meta, dm("문의", mid="m_old"))
    conversation = Conversation.objects.get(inbox=meta.inbox)
    graph.then(graph_error(400, 10, "(#10) This message is sent outside of allowed window.", subcode=2018278))
    sent = (
        api(agent)
        .post(f"/api/v1/conversations/{conversation.pk}/reply", json={"text": "늦은 답변 죄송해요"})
        .json()
    )
    deliver_all(workspace)
    detail = api(agent).get(f"/api/v1/conversations/{conversation.pk}").json()
    shown = next(m for m in detail["messages"] if m["id"] == sent["id"])
    assert (shown["delivery_status"], shown["failure_reason"]) == (
        "failed",
        "Meta refused the request: HTTP 400, code 10/2018278 ((#10) This message is sent outside of allowed window.)",
    )


def test_text_over_2000_characters_is_refused_before_storing(comment_thread, api, agent):
    response = api(agent).post(f"/api/v1/conversations/{comment_thread.pk}/reply", json={"text": "가" * 2001})
    assert (response.status_code, response.json()["code"]) == (400, "message_too_long")
    assert not Message.objects.filter(direction="out").exists()


def test_comment_actions_are_in_the_api_docs(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {
        "/api/v1/conversations/{conversation_id}/meta/reply",
        "/api/v1/conversations/{conversation_id}/meta/hide",
        "/api/v1/conversations/{conversation_id}/call",
    } <= set(paths)


def test_comment_actions_of_another_workspace_are_not_found(
    comment_thread, graph, other_workspace_agent, api
):
    response = api(other_workspace_agent).post(
        f"/api/v1/conversations/{comment_thread.pk}/meta/hide", json={}
    )
    assert response.status_code == 404
    assert graph.requests == []


# --- review fixes: privacy, loops, double sends, bad input -------------------------------------------------


def test_private_reply_goes_to_this_customers_comment_not_the_threads_root(
    meta, graph, workspace, api, agent
):
    post(meta, page_comment("배송이 너무 느려요", comment_id="POST-1_C-A", author_id="FB-USER-A", name="A"))
    post(
        meta,
        page_comment(
            "저도 주문번호 알려드릴게요",
            comment_id="POST-1_C-B",
            parent_id="POST-1_C-A",
            author_id="FB-USER-B",
            name="B",
        ),
    )
    b_thread = Conversation.objects.get(inbox=meta.inbox, customer__identities__external_id="FB-USER-B")
    assert b_thread.thread_key == "fb-comment:POST-1_C-A"  # B's conversation shares A's thread
    response = api(agent).post(
        f"/api/v1/conversations/{b_thread.pk}/meta/reply",
        json={"text": "B님, DM 확인해주세요", "mode": "private"},
    )
    assert response.status_code == 201
    deliver_all(workspace)
    assert [(path, body["recipient"]) for path, body in graph.posts()] == [
        (f"/{VERSION}/me/messages", {"comment_id": "POST-1_C-B"})
    ]


def test_our_public_reply_coming_back_is_not_a_customer_message(meta, graph, workspace, api, agent):
    post(meta, instagram_comment("정품인가요?", comment_id="IG-C-1"))
    conversation = Conversation.objects.get(inbox=meta.inbox)
    api(agent).post(f"/api/v1/conversations/{conversation.pk}/meta/reply", json={"text": "정품입니다"})
    deliver_all(workspace)
    reply_id = Message.objects.get(direction="out").external_id.removeprefix("out:")
    # Instagram names our account by an app-scoped id, not instagram_account_id: only the id tells
    comeback = instagram_comment(
        "정품입니다", comment_id=reply_id, author_id="IGSID-SHOP", parent_id="IG-C-1"
    )
    assert post(meta, comeback).status_code == 200
    assert list(Message.objects.order_by("pk").values_list("direction", "text")) == [
        ("in", "정품인가요?"),
        ("out", "정품입니다"),
    ]


def test_settings_without_our_own_ids_are_refused(workspace, graph):
    from sonnim.core.errors import SonnimError

    with pytest.raises(SonnimError) as refused:
        create_inbox(workspace, kind="meta", name="x", settings={"graph_url": graph.url, "page_id": "PAGE-1"})
    assert (refused.value.code, sorted(refused.value.details)) == ("invalid_meta_settings", ["app_id"])
    fresh = create_inbox(
        workspace,
        kind="meta",
        name="y",
        credentials={"app_secret": APP_SECRET, "page_access_token": PAGE_TOKEN},
    )
    response = post(fresh, dm("안녕하세요"))
    assert (response.status_code, response.json()["code"]) == (409, "meta_not_configured")
    assert not Message.objects.exists()


def test_instagram_events_need_the_instagram_account_id(workspace, graph):
    created = create_inbox(
        workspace,
        kind="meta",
        name="페이스북만",
        settings={"graph_url": graph.url, "graph_version": VERSION, "page_id": "PAGE-1", "app_id": APP_ID},
        credentials={"app_secret": APP_SECRET, "page_access_token": PAGE_TOKEN},
    )
    response = post(created, instagram_comment("정품인가요?"))
    assert (response.status_code, response.json()["code"]) == (409, "meta_not_configured")
    assert post(created, dm("페이스북 DM", mid="m_fb")).status_code == 200


@pytest.mark.parametrize("timestamp", ["Infinity", "1e300", "99999999999999999999"])
def test_huge_timestamps_are_treated_as_missing(meta, timestamp):
    body = json.dumps(dm("시간이 이상해요", mid="m_t")).replace("1764046800000", timestamp, 2).encode()
    assert post(meta, None, raw=body).status_code == 200
    message = Message.objects.get(external_id="m_t")
    assert message.text == "시간이 이상해요"


def test_a_read_timeout_is_not_retried_blindly(meta, graph, workspace, api, agent, settings):
    settings.DELIVERY_TIMEOUT_SECONDS = 0.3
    post(meta, dm("교환 되나요?", mid="m_slow"))
    conversation = Conversation.objects.get(inbox=meta.inbox)
    graph.then(Reply(200, {"recipient_id": "PSID-1", "message_id": "m_late"}, delay_seconds=1.0))
    sent = api(agent).post(f"/api/v1/conversations/{conversation.pk}/reply", json={"text": "네"}).json()
    assert deliver_message.call(workspace_id=workspace.pk, message_id=sent["id"]) == "failed"
    message = Message.objects.get(pk=sent["id"])
    assert message.failure_reason == (
        "Graph API outcome unknown: the provider did not answer in time; check before resending (ReadTimeout)"
    )
    assert len(graph.requests) == 1


def test_connection_refused_is_retried(meta, workspace, api, agent):
    from sonnim.core.actors import SYSTEM
    from sonnim.inboxes.services import update_inbox

    post(meta, dm("교환 되나요?", mid="m_down"))
    conversation = Conversation.objects.get(inbox=meta.inbox)
    inbox = update_inbox(
        meta.inbox, actor=SYSTEM, settings={**meta.inbox.settings, "graph_url": "http://127.0.0.1:9"}
    )
    assert inbox.settings["graph_url"].endswith(":9")
    sent = api(agent).post(f"/api/v1/conversations/{conversation.pk}/reply", json={"text": "네"}).json()
    assert deliver_message.call(workspace_id=workspace.pk, message_id=sent["id"]) == "retrying"
    assert Message.objects.get(pk=sent["id"]).failure_reason == "Graph API unreachable: ConnectError"


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
    b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_a_retry_of_a_multi_part_dm_skips_the_parts_already_sent(meta, graph, workspace, agent):
    from sonnim.conversations.services import FileUpload, send_reply
    from sonnim.core.actors import Actor

    post(meta, dm("사진 보내주세요", mid="m_p"))
    conversation = Conversation.objects.get(inbox=meta.inbox)
    message = send_reply(
        conversation,
        text="여기 있어요",
        actor=Actor.agent(agent),
        files=[FileUpload("a.png", "image/png", PNG), FileUpload("b.png", "image/png", PNG)],
    )
    graph.then(
        Reply(200, {"recipient_id": "PSID-1", "message_id": "m_text"}),
        Reply(200, {"recipient_id": "PSID-1", "message_id": "m_img1"}),
        Reply(503, {"error": {"message": "Service unavailable", "code": 2}}),
    )
    assert deliver_message.call(workspace_id=workspace.pk, message_id=message.pk) == "retrying"
    assert Message.objects.get(pk=message.pk).metadata["meta"]["sent_parts"] == {"0": "m_text", "1": "m_img1"}
    assert deliver_message.call(workspace_id=workspace.pk, message_id=message.pk) == "sent"
    bodies = [body["message"] for _path, body in graph.posts()]
    assert [("text" in b, "attachment" in b) for b in bodies] == [
        (True, False),
        (False, True),
        (False, True),  # the second image failed ...
        (False, True),  # ... and only it was sent again
    ]
    # the same file (its signed link carries a time, so compare the file's name, not the whole URL)
    names = [b["attachment"]["payload"]["url"].rsplit("/", 1)[-1] for b in bodies[1:]]
    assert names == ["a.png", "b.png", "b.png"]
