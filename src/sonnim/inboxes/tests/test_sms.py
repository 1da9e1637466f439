"""SMS through a Twilio-compatible API: signed form posts replayed through the real webhook view; replies
delivered to a local fake of the provider's Messages API; status callbacks marking them delivered/failed."""

import logging
from urllib.parse import urlencode

import pytest
from django.test import Client

from sonnim.conversations.models import Conversation, Message
from sonnim.conversations.tasks import deliver_message
from sonnim.core import crypto
from sonnim.core.actors import SYSTEM
from sonnim.core.errors import SonnimError
from sonnim.core.models import Event
from sonnim.customers.models import Customer, Identity
from sonnim.customers.services import create_customer
from sonnim.inboxes.adapters.sms import sms_bytes, sms_type
from sonnim.inboxes.services import create_inbox
from sonnim.testing.fakes.base import Reply
from sonnim.testing.fakes.sms import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FakeSmsProvider,
    error,
    inbound_form,
    sign,
    status_form,
)

CUSTOMER = "+821012345678"
SHOP = "+8215881234"


@pytest.fixture
def provider():
    with FakeSmsProvider(senders=(SHOP,)) as fake:
        yield fake


@pytest.fixture
def sms(workspace, provider):
    return create_inbox(
        workspace,
        kind="sms",
        name="대표번호 문자",
        settings={"api_url": provider.url, "account_sid": ACCOUNT_SID, "sender_numbers": ["1588-1234"]},
        credentials={"auth_token": AUTH_TOKEN},
    )


def post(created, form: dict, *, signature: str | None = None):
    url = f"/hooks/sms/{created.key}"
    signed = sign("http://testserver" + url, form) if signature is None else signature
    return Client().post(
        url,
        data=urlencode(form),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signed,
    )


def deliver_all(workspace):
    for pk in Message.objects.filter(workspace=workspace, delivery_status="queued").values_list(
        "pk", flat=True
    ):
        deliver_message.call(workspace_id=workspace.pk, message_id=pk)


# --- the byte rule ---------------------------------------------------------------------------------------


def test_byte_count_is_the_cp949_length():
    for text in ("hello", "배송 문의드립니다", "주문번호 20261125-0001 확인 부탁해요!\n감사합니다"):
        assert sms_bytes(text) == len(text.encode("cp949"))
    assert sms_bytes("가" * 45) == 90 and sms_type("가" * 45) == "SMS"
    assert sms_bytes("가" * 45 + "a") == 91 and sms_type("가" * 45 + "a") == "LMS"
    assert sms_bytes("🙏") == 2


# --- inbound ---------------------------------------------------------------------------------------------


def test_signed_sms_becomes_a_conversation_on_the_customer_with_that_phone(sms, workspace, api, agent):
    known = create_customer(workspace, name="김민지", phone="010-1234-5678", actor=SYSTEM)
    form = inbound_form("주문한 상품 언제 와요? 🙏", sender=CUSTOMER, sid="SM1")
    response = post(sms, form)
    assert (response.status_code, response.content) == (200, b"")
    message = Message.objects.select_related("conversation").get(inbox=sms.inbox)
    assert (message.direction, message.text, message.external_id) == (
        "in",
        "주문한 상품 언제 와요? 🙏",
        "SM1",
    )
    assert message.metadata == {"sms": {"to": SHOP, "type": "SMS"}}
    assert message.conversation.customer_id == known.pk  # the carrier vouches for the number
    assert message.conversation.thread_key == f"sms:{SHOP}"
    identity = Identity.objects.get(workspace=workspace, kind="sms")
    assert (identity.external_id, identity.customer_id) == (CUSTOMER, known.pk)
    listed = api(agent).get("/api/v1/conversations").json()["items"]
    assert [(c["inbox"]["kind"], c["last_message"]["text"]) for c in listed] == [
        ("sms", "주문한 상품 언제 와요? 🙏")
    ]


def test_mms_media_urls_are_kept(sms):
    form = inbound_form("", sid="SM2")
    form.update(NumMedia="1", MediaUrl0="https://api.twilio.com/media/ME1", MediaContentType0="image/jpeg")
    assert post(sms, form).status_code == 200
    message = Message.objects.get(inbox=sms.inbox)
    assert message.metadata["media"] == [
        {"url": "https://api.twilio.com/media/ME1", "content_type": "image/jpeg"}
    ]
    assert message.text == "https://api.twilio.com/media/ME1"


def test_duplicate_delivery_is_stored_once(sms, workspace):
    form = inbound_form("환불 문의", sid="SM3")
    assert [post(sms, form).status_code for _ in range(3)] == [200, 200, 200]
    assert Message.objects.filter(inbox=sms.inbox).count() == 1
    assert Event.objects.filter(workspace=workspace, type="message.received").count() == 1


@pytest.mark.parametrize(
    "signature",
    ["", "bm90LXRoZS1zaWduYXR1cmU=", sign("http://testserver/hooks/sms/other", inbound_form("x", sid="SMx"))],
)
def test_bad_or_missing_signature_is_403_and_stores_nothing(sms, signature, caplog):
    form = inbound_form("010-9876-5432 로 연락주세요", sid="SMx")
    with caplog.at_level(logging.INFO, logger="sonnim"):
        response = post(sms, form, signature=signature)
    assert (response.status_code, response.json()["code"]) == (403, "bad_signature")
    assert "code=bad_signature" in caplog.text and "9876" not in caplog.text
    assert not Message.objects.exists()


def test_tampered_body_fails_the_signature(sms):
    form = inbound_form("원래 내용", sid="SM4")
    signature = sign(f"http://testserver/hooks/sms/{sms.key}", form)
    response = post(sms, {**form, "Body": "바뀐 내용"}, signature=signature)
    assert (response.status_code, response.json()["code"]) == (403, "bad_signature")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"MessageSid": "", "SmsSid": ""}, "The request has no MessageSid."),
        ({"From": ""}, "The message has no From number."),
        ({"Body": ""}, "The message has no Body and no media."),
        ({"NumMedia": "many"}, "NumMedia is not a number."),
    ],
)
def test_malformed_payload_is_a_400_with_its_reason(sms, change, reason, caplog):
    with caplog.at_level(logging.INFO, logger="sonnim"):
        response = post(sms, {**inbound_form("문의", sid="SM5"), **change})
    assert response.status_code == 400
    assert response.json() == {"code": "malformed_payload", "message": reason, "details": None}
    assert CUSTOMER not in caplog.text
    assert not Message.objects.exists()


def test_wrong_inbox_key_is_401(sms):
    response = Client().post(
        "/hooks/sms/inb_wrong", data="a=b", content_type="application/x-www-form-urlencoded"
    )
    assert (response.status_code, response.json()["code"]) == (401, "bad_inbox_key")


# --- outbound --------------------------------------------------------------------------------------------


@pytest.fixture
def conversation(sms):
    post(sms, inbound_form("교환 되나요?", sid="SM-in-1"))
    return Conversation.objects.get(inbox=sms.inbox)


def reply(api, agent, conversation, text):
    return api(agent).post(f"/api/v1/conversations/{conversation.pk}/reply", json={"text": text})


def test_reply_goes_out_from_the_registered_number_written_to(conversation, provider, workspace, api, agent):
    response = reply(api, agent, conversation, "네, 교환 가능합니다.")
    assert response.status_code == 201
    deliver_all(workspace)
    assert [(r.method, r.path) for r in provider.requests] == [
        ("POST", f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json")
    ]
    assert provider.forms() == [{"To": CUSTOMER, "From": SHOP, "Body": "네, 교환 가능합니다."}]
    message = Message.objects.get(pk=response.json()["id"])
    assert (message.delivery_status, message.attempts, message.failure_reason) == ("sent", 1, "")
    assert message.external_id.startswith("out:SM")


def test_status_callbacks_mark_the_reply_delivered_once(conversation, workspace, api, agent, sms):
    sent = reply(api, agent, conversation, "발송했습니다").json()
    deliver_all(workspace)
    sid = Message.objects.get(pk=sent["id"]).external_id.removeprefix("out:")
    for status in ("sent", "delivered", "delivered"):
        assert post(sms, status_form(sid, status)).status_code == 200
    message = Message.objects.get(pk=sent["id"])
    assert message.delivery_status == "delivered"
    assert Event.objects.filter(workspace=workspace, type="message.delivered").count() == 1
    assert post(sms, status_form(sid, "undelivered", error_code="30003")).status_code == 200
    assert Message.objects.get(pk=sent["id"]).failure_reason == (
        "SMS provider reported undelivered: ErrorCode 30003 (unreachable handset)"
    )


def test_undelivered_callback_fails_the_reply_with_its_reason_visible(
    conversation, workspace, api, agent, sms
):
    sent = reply(api, agent, conversation, "확인 부탁드려요").json()
    deliver_all(workspace)
    sid = Message.objects.get(pk=sent["id"]).external_id.removeprefix("out:")
    assert post(sms, status_form(sid, "failed", error_code="30007")).status_code == 200
    assert post(sms, status_form(sid, "delivered")).status_code == 200  # late: does not undo the failure
    detail = api(agent).get(f"/api/v1/conversations/{conversation.pk}").json()
    shown = next(m for m in detail["messages"] if m["id"] == sent["id"])
    assert (shown["delivery_status"], shown["failure_reason"]) == (
        "failed",
        "SMS provider reported failed: ErrorCode 30007 (filtered by the carrier as spam)",
    )
    retried = api(agent).post(f"/api/v1/messages/{sent['id']}/retry")
    assert retried.status_code == 200
    deliver_all(workspace)
    assert Message.objects.get(pk=sent["id"]).delivery_status == "sent"


def test_callback_for_an_unknown_message_changes_nothing(sms, workspace):
    assert post(sms, status_form("SMunknown", "delivered")).status_code == 200
    assert not Event.objects.filter(workspace=workspace, type="message.delivered").exists()


def test_transient_failures_are_retried_until_sent(conversation, provider, workspace, api, agent):
    provider.then(Reply(503, {"message": "busy"}), error(429, 20429, "Too Many Requests"))
    sent = reply(api, agent, conversation, "곧 답변드릴게요").json()
    results = [deliver_message.call(workspace_id=workspace.pk, message_id=sent["id"]) for _ in range(3)]
    assert results == ["retrying", "retrying", "sent"]
    retrying = Event.objects.filter(workspace=workspace, type="message.retrying").order_by("seq")
    assert [e.data["reason"] for e in retrying] == [
        "SMS provider answered HTTP 503",
        "SMS provider answered HTTP 429",
    ]


def test_provider_refusal_fails_for_good_without_the_number_in_the_reason(
    conversation, provider, workspace, api, agent
):
    provider.then(error(400, 21211, f"The 'To' number {CUSTOMER} is not a valid phone number."))
    sent = reply(api, agent, conversation, "안녕하세요").json()
    deliver_all(workspace)
    message = Message.objects.get(pk=sent["id"])
    assert (message.delivery_status, message.attempts) == ("failed", 1)
    assert message.failure_reason == (
        "SMS provider refused the message: HTTP 400, code 21211 (The 'To' number … is not a valid phone number.)"
    )


def test_unregistered_sender_number_is_refused_with_a_clear_reason(workspace, provider, api, agent):
    created = create_inbox(
        workspace,
        kind="sms",
        name="미등록",
        settings={"api_url": provider.url, "account_sid": ACCOUNT_SID, "sender_numbers": []},
        credentials={"auth_token": AUTH_TOKEN},
    )
    post(created, inbound_form("문의", sid="SM-u1"))
    conversation = Conversation.objects.get(inbox=created.inbox)
    sent = reply(api, agent, conversation, "답장").json()
    deliver_all(workspace)
    message = Message.objects.get(pk=sent["id"])
    assert message.delivery_status == "failed"
    assert message.failure_reason.startswith("No registered sender number (발신번호)")
    assert provider.requests == []  # nothing left the building


def test_from_number_must_be_registered(workspace):
    with pytest.raises(SonnimError) as refused:
        create_inbox(
            workspace,
            kind="sms",
            name="x",
            settings={"sender_numbers": ["02-123-4567"], "from_number": "010-0000-0000"},
        )
    assert (refused.value.code, refused.value.details) == (
        "invalid_sms_settings",
        {"from_number": "must be one of sender_numbers"},
    )


def test_lms_length_is_accepted_and_over_2000_bytes_refused_before_storing(
    conversation, provider, workspace, api, agent
):
    long_text = "가" * 1000  # 2,000 bytes: an LMS
    assert reply(api, agent, conversation, long_text).status_code == 201
    refused = reply(api, agent, conversation, long_text + "a")
    assert (refused.status_code, refused.json()["code"]) == (400, "message_too_long")
    assert refused.json()["details"] == {"limit": 2000, "bytes": 2001, "type": "LMS"}
    assert Message.objects.filter(direction="out").count() == 1


def test_message_type_param_carries_sms_or_lms(conversation, provider, workspace, api, agent):
    inbox = conversation.inbox
    inbox.settings = {**inbox.settings, "message_type_param": "MessageType"}
    inbox.save(update_fields=["settings"])
    reply(api, agent, conversation, "짧은 답")
    reply(api, agent, conversation, "긴 답장입니다. " * 10)
    deliver_all(workspace)
    assert [f["MessageType"] for f in provider.forms()] == ["SMS", "LMS"]


def test_phone_is_stored_encrypted_and_indexed(sms, workspace):
    post(sms, inbound_form("안녕하세요", sender="+82 10-5555-1234", sid="SM-p"))
    customer = Customer.objects.get(workspace=workspace)
    assert customer.phone == "+821055551234"
    assert customer.phone_index == crypto.phone_index("010-5555-1234")


def test_unknown_provider_is_refused(workspace):
    with pytest.raises(SonnimError) as refused:
        create_inbox(workspace, kind="sms", name="x", settings={"provider": "carrier-pigeon"})
    assert (refused.value.code, list(refused.value.details)) == ("invalid_sms_settings", ["provider"])


def test_admin_configures_the_sms_channel_through_the_api(workspace, owner, agent, api, provider):
    created = create_inbox(workspace, kind="sms", name="문자")
    url = f"/api/v1/inboxes/{created.inbox.pk}/channel"
    body = {
        "settings": {"api_url": provider.url, "account_sid": ACCOUNT_SID, "sender_numbers": ["1588-1234"]},
        "credentials": {"auth_token": AUTH_TOKEN},
    }
    assert api(agent).patch(url, json=body).status_code == 403
    response = api(owner).patch(url, json=body)
    assert response.status_code == 200
    assert response.json() == {
        "id": created.inbox.pk,
        "kind": "sms",
        "settings": body["settings"],
        "credential_keys": ["auth_token"],
    }
    assert AUTH_TOKEN not in response.content.decode()
    assert post(created, inbound_form("설정 후 첫 문자", sid="SM-cfg")).status_code == 200  # the token signs
    event = Event.objects.filter(workspace=workspace, type="inbox.updated").order_by("seq").last()
    assert event.data == {
        "inbox_id": created.inbox.pk,
        "fields": ["credentials"],
        "credential_keys": ["auth_token"],
    }
    bad = api(owner).patch(url, json={"settings": {"sender_numbers": "1588-1234"}})
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_sms_settings")


# --- review fixes: early receipts, double sends ------------------------------------------------------------


def test_a_final_receipt_that_outruns_the_worker_is_answered_503_until_recorded(
    conversation, provider, workspace, api, agent, sms
):
    sent = reply(api, agent, conversation, "발송했습니다").json()  # queued: the worker is on it
    early = post(sms, status_form("SMfast", "failed", error_code="30003"))
    assert (early.status_code, early.json()["code"]) == (503, "receipt_not_ready")
    assert (
        post(sms, status_form("SMfast", "sent")).status_code == 200
    )  # a step on the way: nothing to wait for
    provider.then(Reply(201, {"sid": "SMfast", "status": "queued"}))
    deliver_all(workspace)
    retried = post(sms, status_form("SMfast", "failed", error_code="30003"))  # the provider's retry
    assert retried.status_code == 200
    message = Message.objects.get(pk=sent["id"])
    assert (message.delivery_status, message.failure_reason) == (
        "failed",
        "SMS provider reported failed: ErrorCode 30003 (unreachable handset)",
    )


def test_a_read_timeout_is_not_retried_blindly(conversation, provider, workspace, api, agent, settings):
    settings.DELIVERY_TIMEOUT_SECONDS = 0.3
    provider.then(Reply(201, {"sid": "SMlate", "status": "queued"}, delay_seconds=1.0))
    sent = reply(api, agent, conversation, "확인했습니다").json()
    assert deliver_message.call(workspace_id=workspace.pk, message_id=sent["id"]) == "failed"
    message = Message.objects.get(pk=sent["id"])
    assert message.failure_reason == (
        "SMS provider outcome unknown: the provider did not answer in time; check before resending "
        "(ReadTimeout)"
    )
    assert len(provider.requests) == 1


def test_an_unreachable_provider_is_retried(conversation, workspace, api, agent, sms):
    from sonnim.inboxes.services import update_inbox

    update_inbox(sms.inbox, actor=SYSTEM, settings={**sms.inbox.settings, "api_url": "http://127.0.0.1:9"})
    sent = reply(api, agent, conversation, "확인했습니다").json()
    assert deliver_message.call(workspace_id=workspace.pk, message_id=sent["id"]) == "retrying"
    assert Message.objects.get(pk=sent["id"]).failure_reason == "SMS provider unreachable: ConnectError"
