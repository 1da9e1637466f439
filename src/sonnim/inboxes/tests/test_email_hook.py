"""The forwarding path: raw mail POSTed to /hooks/email/<key>, through the real pipeline."""

import logging
import uuid
from datetime import timedelta
from email.header import Header

import pytest
from django.utils import timezone

from sonnim.conversations.models import Conversation, Message
from sonnim.core.errors import SonnimError
from sonnim.core.models import Event
from sonnim.customers.models import Identity
from sonnim.inboxes.adapters.email import outbound_message_id
from sonnim.inboxes.autorespond import AUTO_RESPONSES_PER_HOUR, may_auto_respond
from sonnim.inboxes.services import create_inbox
from sonnim.testing.mail import raw_mail

pytestmark = pytest.mark.django_db

QUOTED_KO = "2026년 11월 3일 (화) 오후 2:10, 샘플샵 <help@sample.kr>님이 작성:\n> 주문 확인 부탁드립니다.\n> 감사합니다."


def euc_kr_mail() -> bytes:
    body = f"환불은 언제 되나요?\n계좌로 받고 싶어요.\n\n{QUOTED_KO}\n"
    head = (
        f"From: {Header('홍길동', 'euc-kr').encode()} <gildong@hanmail.example>\r\n"
        "To: help@sample.kr\r\n"
        f"Subject: {Header('Re: 환불 문의', 'euc-kr').encode()}\r\n"
        "Date: Tue, 03 Nov 2026 15:00:00 +0900\r\n"
        "Message-ID: <euckr-1@hanmail.example>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="euc-kr"\r\n'
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    )
    return head.encode("ascii") + body.replace("\n", "\r\n").encode("euc-kr")


def test_euc_kr_mail_is_stored_with_clean_reply_text(email_inbox, post_mail, workspace):
    response = post_mail(email_inbox, euc_kr_mail())
    assert response.status_code == 200
    message = Message.objects.get(inbox=email_inbox.inbox)
    assert response.json() == {"message_id": message.pk, "duplicate": False, "bounce": False}
    assert message.text == "환불은 언제 되나요?\n계좌로 받고 싶어요."
    assert message.quoted_text == QUOTED_KO
    assert (message.external_id, message.is_auto_reply, message.language) == (
        "euckr-1@hanmail.example",
        False,
        "ko",
    )
    conversation = message.conversation
    assert (conversation.subject, conversation.last_message_preview) == (
        "Re: 환불 문의",
        "환불은 언제 되나요? 계좌로 받고 싶어요.",
    )
    identity = Identity.objects.get(workspace=workspace, kind="email")
    assert (identity.external_id, identity.display_name) == ("gildong@hanmail.example", "홍길동")


def test_same_mail_forwarded_twice_is_stored_once(email_inbox, post_mail):
    first = post_mail(email_inbox, euc_kr_mail()).json()
    again = post_mail(email_inbox, euc_kr_mail()).json()
    assert again == {**first, "duplicate": True}
    assert Message.objects.filter(inbox=email_inbox.inbox).count() == 1


def test_mail_without_message_id_is_deduplicated_by_content_hash(email_inbox, post_mail):
    raw = raw_mail(body="메시지 아이디가 없는 메일")
    first, again = post_mail(email_inbox, raw).json(), post_mail(email_inbox, raw).json()
    assert (first["duplicate"], again["duplicate"], again["message_id"]) == (False, True, first["message_id"])
    assert Message.objects.get(inbox=email_inbox.inbox).external_id.startswith("sha256:")


def test_mail_without_sender_is_refused_and_stores_nothing(email_inbox, client):
    raw = b"To: help@sample.kr\r\nSubject: x\r\n\r\nno from\r\n"
    response = client.post(f"/hooks/email/{email_inbox.key}", data=raw, content_type="message/rfc822")
    assert (response.status_code, response.json()["code"]) == (400, "email_missing_sender")
    assert not Message.objects.exists()


def test_wrong_key_is_refused(email_inbox, client):
    response = client.post("/hooks/email/inb_wrong", data=raw_mail(), content_type="message/rfc822")
    assert (response.status_code, response.json()["code"]) == (401, "bad_inbox_key")


def test_auto_reply_is_stored_and_flagged(email_inbox, post_mail, workspace):
    raw = raw_mail(
        subject="[자동응답] 부재중입니다", headers={"Auto-Submitted": "auto-replied"}, message_id="auto-1@x"
    )
    message = Message.objects.get(pk=post_mail(email_inbox, raw).json()["message_id"])
    assert message.is_auto_reply is True
    event = Event.objects.get(workspace=workspace, type="message.received")
    assert event.data["is_auto_reply"] is True


def _post(post_mail, inbox, **kwargs) -> int:
    return post_mail(inbox, raw_mail(**kwargs)).json()["message_id"]


def _conversation(message_id: int) -> int:
    return Message.objects.get(pk=message_id).conversation_id


def test_reply_with_changed_subject_joins_its_thread(email_inbox, post_mail):
    first = _post(post_mail, email_inbox, subject="배송 문의", message_id="a1@example.kr")
    reply = _post(
        post_mail,
        email_inbox,
        subject="아 그리고 색상 변경도요",
        message_id="a2@example.kr",
        in_reply_to="a1@example.kr",
    )
    deep = _post(
        post_mail,
        email_inbox,
        subject="또",
        message_id="a3@example.kr",
        references=["a1@example.kr", "a2@example.kr"],
    )
    assert _conversation(first) == _conversation(reply) == _conversation(deep)
    assert Conversation.objects.get(pk=_conversation(first)).message_count == 3


def test_unrelated_subject_from_same_address_opens_new_conversation(email_inbox, post_mail):
    first = _post(post_mail, email_inbox, subject="배송 문의", message_id="b1@example.kr")
    other = _post(post_mail, email_inbox, subject="교환 문의", message_id="b2@example.kr")
    assert _conversation(first) != _conversation(other)
    assert (
        Message.objects.get(pk=first).conversation.customer_id
        == Message.objects.get(pk=other).conversation.customer_id
    )


def test_subject_tag_joins_the_customers_conversation_only(email_inbox, post_mail):
    first = _post(post_mail, email_inbox, subject="배송 문의", message_id="c1@example.kr")
    conversation_id = _conversation(first)
    tagged = _post(
        post_mail, email_inbox, subject=f"Re: 문의 [#{conversation_id}]", message_id="c2@example.kr"
    )
    stranger = _post(
        post_mail,
        email_inbox,
        sender="other@example.kr",
        subject=f"[#{conversation_id}] 끼어들기",
        message_id="c3@x",
    )
    assert _conversation(tagged) == conversation_id != _conversation(stranger)


def test_our_reply_token_threads_even_when_the_reply_was_never_stored(email_inbox, post_mail):
    first = _post(post_mail, email_inbox, message_id="d1@example.kr")
    conversation_id = _conversation(first)
    token = outbound_message_id(conversation_id, 999, "sample.kr")
    forged = f"sonnim.{conversation_id}.999.000000000000@sample.kr"
    answer = _post(post_mail, email_inbox, subject="답장", message_id="d2@example.kr", in_reply_to=token)
    fake = _post(post_mail, email_inbox, subject="답장", message_id="d3@example.kr", in_reply_to=forged)
    assert _conversation(answer) == conversation_id != _conversation(fake)


@pytest.mark.parametrize(("days_ago", "reopens"), [(2, True), (30, False)])
def test_reply_to_resolved_conversation_reopens_within_window(email_inbox, post_mail, days_ago, reopens):
    first = _post(post_mail, email_inbox, message_id="e1@example.kr")
    Conversation.objects.filter(pk=_conversation(first)).update(
        status="resolved", resolved_at=timezone.now() - timedelta(days=days_ago)
    )
    answer = _post(post_mail, email_inbox, message_id="e2@example.kr", in_reply_to="e1@example.kr")
    assert (_conversation(answer) == _conversation(first)) is reopens
    assert Conversation.objects.get(pk=_conversation(answer)).status == "open"


def test_invalid_settings_are_refused_with_field_details(workspace):
    with pytest.raises(SonnimError) as caught:
        create_inbox(
            workspace, kind="email", name="x", settings={"smtp": {"host": "", "from_address": "nope"}}
        )
    assert caught.value.code == "invalid_email_settings"
    assert set(caught.value.details) == {"smtp.host", "smtp.from_address"}


def test_logs_carry_no_address_or_text(email_inbox, post_mail, caplog):
    caplog.set_level(logging.DEBUG, logger="sonnim")
    post_mail(email_inbox, euc_kr_mail())
    post_mail(email_inbox, euc_kr_mail())
    assert "gildong" not in caplog.text and "환불" not in caplog.text


def test_auto_responses_are_limited_per_address_and_hour(email_inbox):
    now = timezone.now().replace(minute=0)
    address = f"{uuid.uuid4().hex}@example.kr"
    inbox_id = email_inbox.inbox.pk
    answers = [may_auto_respond(inbox_id, address, now) for _ in range(AUTO_RESPONSES_PER_HOUR + 1)]
    assert answers == [True] * AUTO_RESPONSES_PER_HOUR + [False]
    assert may_auto_respond(inbox_id, address.upper(), now) is False  # the same address, any case
    assert may_auto_respond(inbox_id, address, now + timedelta(hours=1)) is True
    assert may_auto_respond(inbox_id, f"other-{address}", now, is_auto_reply=True) is False


def test_conversation_api_gives_agents_reply_text_and_quoted_text_apart(email_inbox, post_mail, api, agent):
    message = Message.objects.get(pk=post_mail(email_inbox, euc_kr_mail()).json()["message_id"])
    detail = api(agent).get(f"/api/v1/conversations/{message.conversation_id}").json()
    [shown] = detail["messages"]
    assert (shown["text"], shown["quoted_text"], shown["is_auto_reply"]) == (
        "환불은 언제 되나요?\n계좌로 받고 싶어요.",
        QUOTED_KO,
        False,
    )


def test_our_own_reply_coming_back_is_not_stored(email_inbox, post_mail):
    first = _post(post_mail, email_inbox, message_id="f1@example.kr")
    own_id = outbound_message_id(_conversation(first), 5, "sample.kr")
    response = post_mail(
        email_inbox, raw_mail(sender="help@sample.kr", message_id=own_id, in_reply_to="f1@example.kr")
    )
    assert (response.status_code, response.json()["code"]) == (200, "own_message")
    assert Message.objects.count() == 1


def test_the_parsers_html_allowlist_stands_and_the_subject_is_searchable(email_inbox, post_mail, workspace):
    html = (
        '<p style="color: #c00">배송 언제 오나요?</p><img src="cid:receipt-1" alt="영수증">'
        '<script>alert(1)</script><img src="https://tracker.example/pixel.gif">'
    )
    response = post_mail(email_inbox, raw_mail(subject="교환 요청", message_id="html-1@x.kr", html=html))
    assert response.status_code == 200
    message = Message.objects.get(inbox=email_inbox.inbox)
    assert 'style="color:#c00"' in message.html and "cid:receipt-1" in message.html  # kept, not re-cleaned
    assert "<script" not in message.html and "tracker.example" not in message.html
    from sonnim.conversations.search import search

    assert [hit.conversation_id for hit in search(workspace, "교환")] == [message.conversation_id]
