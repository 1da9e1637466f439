"""Agents' replies over SMTP to a real local server (aiosmtpd), and what comes back: answers and bounces."""

import pytest

from sonnim.conversations.models import Conversation, Message
from sonnim.conversations.services import FileUpload, send_reply
from sonnim.conversations.tasks import deliver_message
from sonnim.core.actors import Actor
from sonnim.inboxes.adapters.email import outbound_message_id
from sonnim.testing.mail import raw_mail

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% receipt\n"


def bounce_for(message_id: str) -> bytes:
    return (
        "Return-Path: <>\r\n"
        "From: MAILER-DAEMON@mx.sample.kr (Mail Delivery System)\r\n"
        "To: help@sample.kr\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "Message-ID: <bounce-1@mx.sample.kr>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.sample.kr\r\n\r\n"
        "Final-Recipient: rfc822; minji@example.kr\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <minji@example.kr>: Recipient address rejected\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: help@sample.kr\r\nTo: minji@example.kr\r\nMessage-ID: <{message_id}>\r\n"
        "--B--\r\n"
    ).encode()


@pytest.fixture
def smtp_inbox(make_email_inbox, smtp_server):
    return make_email_inbox(smtp_port=smtp_server.port)


@pytest.fixture
def customer_mail(smtp_inbox, post_mail) -> Message:
    raw = raw_mail(subject="배송 문의", message_id="m1@example.kr", body="언제 오나요?")
    return Message.objects.get(pk=post_mail(smtp_inbox, raw).json()["message_id"])


def reply(conversation: Conversation, agent, *, files=()) -> tuple[Message, str]:
    message = send_reply(
        conversation, text="내일 도착 예정입니다.\n감사합니다.", actor=Actor.agent(agent), files=files
    )
    result = deliver_message.call(workspace_id=message.workspace_id, message_id=message.pk)
    message.refresh_from_db()
    return message, result


def test_agent_reply_arrives_with_thread_headers_html_and_attachment(customer_mail, agent, smtp_server):
    conversation = customer_mail.conversation
    files = [FileUpload("영수증.pdf", "application/pdf", PDF)]
    message, result = reply(conversation, agent, files=files)
    our_id = outbound_message_id(conversation.pk, message.pk, "sample.kr")
    assert (result, message.delivery_status, message.external_id) == ("sent", "sent", f"out:{our_id}")
    [mail] = smtp_server.received
    assert (mail.mail_from, mail.rcpt_tos) == ("help@sample.kr", ["minji@example.kr"])
    sent = mail.message
    assert str(sent["From"]) == "샘플샵 고객센터 <help@sample.kr>"
    assert str(sent["Subject"]) == f"Re: 배송 문의 [#{conversation.pk}]"
    assert (sent["Message-ID"], sent["In-Reply-To"], sent["References"]) == (
        f"<{our_id}>",
        "<m1@example.kr>",
        "<m1@example.kr>",
    )
    text = sent.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = sent.get_body(("html",)).get_content().replace("\r\n", "\n")
    assert text == "내일 도착 예정입니다.\n감사합니다.\n\n-- \n샘플샵 고객센터 드림\n02-123-4567\n"
    assert "<p>내일 도착 예정입니다.<br>\n감사합니다.</p>" in html
    [attachment] = list(sent.iter_attachments())
    assert (attachment.get_filename(), attachment.get_content_type(), attachment.get_content()) == (
        "영수증.pdf",
        "application/pdf",
        PDF,
    )


def test_customer_answer_to_our_reply_threads_back(customer_mail, agent, smtp_server, smtp_inbox, post_mail):
    conversation = customer_mail.conversation
    message, _result = reply(conversation, agent)
    sent = smtp_server.received[0].message
    our_id = sent["Message-ID"].strip("<>")
    answer = raw_mail(
        subject="주소 변경도 가능한가요?",  # a new subject: the headers still thread it
        message_id="m2@example.kr",
        in_reply_to=our_id,
        references=["m1@example.kr", our_id],
        body=f"네 알겠습니다.\n\nOn Tue, 3 Nov 2026 at 15:00, 샘플샵 <help@sample.kr> wrote:\n> {message.text}",
    )
    stored = Message.objects.get(pk=post_mail(smtp_inbox, answer).json()["message_id"])
    assert (stored.conversation_id, stored.text) == (conversation.pk, "네 알겠습니다.")
    reply(conversation, agent)
    follow_up = smtp_server.received[1].message
    assert follow_up["In-Reply-To"] == "<m2@example.kr>"
    assert " ".join(follow_up["References"].split()) == f"<m1@example.kr> <{our_id}> <m2@example.kr>"


def test_bounce_fails_the_reply_with_its_reason_and_is_not_stored(
    customer_mail, agent, smtp_inbox, post_mail
):
    message, _result = reply(customer_mail.conversation, agent)
    our_id = message.external_id.removeprefix("out:")
    messages_before = Message.objects.count()
    response = post_mail(smtp_inbox, bounce_for(our_id))
    assert response.json() == {"message_id": message.pk, "duplicate": False, "bounce": True}
    message.refresh_from_db()
    assert (message.delivery_status, message.failure_reason) == (
        "failed",
        "bounced: 5.1.1 550 5.1.1 <address>: Recipient address rejected",
    )
    assert Message.objects.count() == messages_before
    again = post_mail(smtp_inbox, bounce_for(our_id)).json()
    assert again == {"message_id": message.pk, "duplicate": True, "bounce": True}


def test_smtp_4xx_is_retried_until_sent(customer_mail, agent, smtp_server):
    smtp_server.fail(2, "451 4.3.0 Try again later")
    message, first = reply(customer_mail.conversation, agent)
    assert (first, message.delivery_status, message.failure_reason) == (
        "retrying",
        "queued",
        "SMTP 451: 4.3.0 Try again later",
    )
    results = [
        deliver_message.call(workspace_id=message.workspace_id, message_id=message.pk) for _ in range(2)
    ]
    message.refresh_from_db()
    assert (results, message.delivery_status, message.attempts) == (["retrying", "sent"], "sent", 3)
    assert len(smtp_server.received) == 1


def test_smtp_5xx_fails_at_once_with_the_reply_as_reason(customer_mail, agent, smtp_server):
    smtp_server.fail(99, "550 5.1.1 <minji@example.kr>: Recipient address rejected")
    message, result = reply(customer_mail.conversation, agent)
    assert (result, message.delivery_status, message.attempts) == ("failed", "failed", 1)
    assert message.failure_reason == "SMTP 550: 5.1.1 <address>: Recipient address rejected"
    assert smtp_server.received == []


def test_unreachable_smtp_server_is_retried(make_email_inbox, post_mail, agent):
    from sonnim.testing.server import free_port

    inbox = make_email_inbox(smtp_port=free_port())  # nothing listens there
    customer = Message.objects.get(
        pk=post_mail(inbox, raw_mail(message_id="u1@example.kr")).json()["message_id"]
    )
    message, result = reply(customer.conversation, agent)
    assert (result, message.failure_reason) == ("retrying", "mail server unreachable: ConnectionRefusedError")
