"""The spine, entered where users enter it: the inbound API."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from sonnim.core.models import Event
from sonnim.customers.models import Customer, Identity
from sonnim.testing.fixtures import inbound_payload

from ..models import Conversation, Message

pytestmark = pytest.mark.django_db(transaction=False)


def event_types(workspace) -> list[str]:
    return list(Event.objects.filter(workspace=workspace).order_by("seq").values_list("type", flat=True))


def test_first_message_opens_customer_conversation_and_records_events(api_inbox, post_inbound, workspace):
    response = post_inbound(api_inbox, inbound_payload(text="환불해주세요"))
    assert response.status_code == 201
    body = response.json()
    message = Message.objects.get(pk=body["message_id"])
    assert body == {
        "message_id": message.pk,
        "conversation_id": message.conversation_id,
        "customer_id": message.conversation.customer_id,
        "duplicate": False,
    }
    assert (message.direction, message.text, message.language) == ("in", "환불해주세요", "ko")
    conversation = message.conversation
    assert (conversation.status, conversation.message_count, conversation.last_message_preview) == (
        "open",
        1,
        "환불해주세요",
    )
    types = event_types(workspace)
    assert types[types.index("customer.created") :] == [
        "customer.created",
        "conversation.created",
        "message.received",
    ]
    seqs = list(Event.objects.filter(workspace=workspace).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


def test_duplicate_delivery_is_stored_once(api_inbox, post_inbound, workspace):
    first = post_inbound(api_inbox, inbound_payload(external_id="dup-1"))
    events_before = Event.objects.filter(workspace=workspace).count()
    again = post_inbound(api_inbox, inbound_payload(external_id="dup-1", text="something else"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {**first.json(), "duplicate": True}
    assert Message.objects.filter(inbox=api_inbox.inbox).count() == 1
    assert Event.objects.filter(workspace=workspace).count() == events_before


def test_chat_messages_of_one_customer_continue_one_conversation(api_inbox, post_inbound):
    a = post_inbound(api_inbox, inbound_payload(external_id="a")).json()
    b = post_inbound(api_inbox, inbound_payload(external_id="b")).json()
    other = post_inbound(api_inbox, inbound_payload(external_id="c", sender_id="u-2")).json()
    assert a["conversation_id"] == b["conversation_id"] != other["conversation_id"]
    assert Conversation.objects.get(pk=a["conversation_id"]).message_count == 2


def test_thread_key_separates_conversations_of_one_customer(api_inbox, post_inbound):
    a = post_inbound(api_inbox, inbound_payload(external_id="a", thread_key="order-1")).json()
    b = post_inbound(api_inbox, inbound_payload(external_id="b", thread_key="order-2")).json()
    c = post_inbound(api_inbox, inbound_payload(external_id="c", thread_key="order-1")).json()
    assert a["customer_id"] == b["customer_id"]
    assert a["conversation_id"] == c["conversation_id"] != b["conversation_id"]


@pytest.mark.parametrize(
    ("status", "resolved_days_ago", "reopens"),
    [
        ("resolved", 2, True),
        ("resolved", 8, False),
        ("closed", 0, False),
        ("pending", None, True),
        ("snoozed", None, True),
    ],
)
def test_customer_message_on_finished_or_waiting_conversation(
    api_inbox, post_inbound, workspace, status, resolved_days_ago, reopens
):
    first = post_inbound(api_inbox, inbound_payload(external_id="a")).json()
    resolved_at = (
        timezone.now() - timedelta(days=resolved_days_ago) if resolved_days_ago is not None else None
    )
    Conversation.objects.filter(pk=first["conversation_id"]).update(status=status, resolved_at=resolved_at)
    second = post_inbound(api_inbox, inbound_payload(external_id="b")).json()
    conversation = Conversation.objects.get(pk=second["conversation_id"])
    assert (second["conversation_id"] == first["conversation_id"]) is reopens
    assert conversation.status == "open"
    assert conversation.resolved_at is None


def test_verified_email_joins_existing_customer_across_inboxes(workspace, api_inbox, post_inbound):
    from sonnim.inboxes.services import create_inbox
    from sonnim.testing.fixtures import InboxWithKey

    created = create_inbox(workspace, kind="api", name="second")
    second = InboxWithKey(created.inbox, created.key)
    a = post_inbound(api_inbox, inbound_payload(external_id="a", sender={"email": "Minji@Example.kr"})).json()
    b = post_inbound(
        second,
        inbound_payload(external_id="b", sender_id="other-system-7", sender={"email": "minji@example.kr "}),
    ).json()
    assert a["customer_id"] == b["customer_id"]
    assert Identity.objects.filter(customer_id=a["customer_id"]).count() == 2


def test_same_sender_id_in_other_workspace_is_another_customer(api_inbox, other_api_inbox, post_inbound):
    a = post_inbound(api_inbox, inbound_payload(external_id="same")).json()
    b = post_inbound(other_api_inbox, inbound_payload(external_id="same")).json()
    assert b["duplicate"] is False
    assert a["customer_id"] != b["customer_id"]
    assert (
        Customer.objects.get(pk=a["customer_id"]).workspace_id
        != Customer.objects.get(pk=b["customer_id"]).workspace_id
    )


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b'{"external_id": ', 400, "malformed_json"),
        (b'{"external_id": "x"}', 422, "invalid_input"),
        (b'{"external_id": "", "sender": {"external_id": "u"}}', 422, "invalid_input"),
        (b"[1, 2]", 422, "invalid_input"),
        (
            b'{"external_id": "x", "sender": {"external_id": "u"}, "attachments": [{"filename": "a.png", "data_base64": "!!"}]}',
            400,
            "invalid_attachment",
        ),
        (
            b'{"external_id": "x", "sender": {"external_id": "u"}, "attachments": [{"filename": "run.exe", "data_base64": "TVqQAAMAAAAEAAAA"}]}',
            415,
            "attachment_type_not_allowed",
        ),
    ],
)
def test_malformed_inbound_gets_4xx_with_code_and_stores_nothing(client, api_inbox, body, status, code):
    response = client.post(
        api_inbox.url,
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api_inbox.key}",
    )
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert response.json()["message"]
    assert not Message.objects.exists()
    assert not Customer.objects.exists()


def test_wrong_inbox_key_is_refused(api_inbox, other_api_inbox, post_inbound):
    other_key = post_inbound(type(api_inbox)(api_inbox.inbox, other_api_inbox.key), inbound_payload())
    no_such_key = post_inbound(type(api_inbox)(api_inbox.inbox, "inb_nope"), inbound_payload())
    assert (other_key.status_code, other_key.json()["code"]) == (401, "bad_inbox_key")
    assert (no_such_key.status_code, no_such_key.json()["code"]) == (401, "auth_required")
    assert not Message.objects.exists()


def test_signed_inbox_refuses_unsigned_and_accepts_signed(client, workspace):
    import json

    from sonnim.inboxes.adapters import signing
    from sonnim.inboxes.services import create_inbox

    created = create_inbox(workspace, kind="api", name="signed", require_signature=True)
    url = f"/api/v1/inboxes/{created.inbox.pk}/messages"
    body = json.dumps(inbound_payload()).encode()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {created.key}"}
    unsigned = client.post(url, data=body, content_type="application/json", **auth)
    headers = signing.sign(created.inbox.signing_secret, body)
    signed = client.post(
        url,
        data=body,
        content_type="application/json",
        HTTP_X_SONNIM_SIGNATURE=headers["X-Sonnim-Signature"],
        HTTP_X_SONNIM_TIMESTAMP=headers["X-Sonnim-Timestamp"],
        **auth,
    )
    assert (unsigned.status_code, unsigned.json()["code"]) == (401, "bad_signature")
    assert signed.status_code == 201


def test_batch_stores_each_and_reports_each(client, api_inbox):
    import json

    messages = [inbound_payload(external_id=f"b{i}", sender_id=f"u{i % 3}") for i in range(10)]
    messages.append(inbound_payload(external_id="b0"))  # a duplicate inside the batch
    messages.append(
        {**inbound_payload(external_id="bad"), "attachments": [{"filename": "x.exe", "data_base64": "TVqQ"}]}
    )
    response = client.post(
        f"{api_inbox.url}/batch",
        data=json.dumps({"messages": messages}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api_inbox.key}",
    )
    body = response.json()
    assert response.status_code == 200
    assert (body["created"], body["duplicates"], body["failed"]) == (10, 1, 1)
    assert body["results"][10]["message_id"] == body["results"][0]["message_id"]
    assert body["results"][11]["error"]["code"] == "attachment_type_not_allowed"
    assert Message.objects.count() == 10
    assert Conversation.objects.count() == 3


def test_a_batch_sent_again_is_all_duplicates_and_a_batch_of_refusals_stores_nothing(client, api_inbox):
    import json

    def post(messages):
        return client.post(
            f"{api_inbox.url}/batch",
            data=json.dumps({"messages": messages}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {api_inbox.key}",
        )

    messages = [inbound_payload(external_id=f"again-{i}", sender_id=f"u{i}") for i in range(3)]
    first = post(messages).json()
    again = post(messages)  # a shop's sync job retrying after a timeout
    assert again.status_code == 200
    assert (again.json()["created"], again.json()["duplicates"], again.json()["failed"]) == (0, 3, 0)
    assert [r["message_id"] for r in again.json()["results"]] == [r["message_id"] for r in first["results"]]
    bad = {
        **inbound_payload(external_id="exe"),
        "attachments": [{"filename": "x.exe", "data_base64": "TVqQ"}],
    }
    refused = post([bad])
    assert (refused.status_code, refused.json()["failed"]) == (200, 1)
    assert Message.objects.count() == 3


def test_logs_carry_no_customer_contact_data(api_inbox, post_inbound, caplog):
    caplog.set_level(logging.DEBUG)
    sender = {"email": "secret.person@example.kr", "phone": "010-9876-5432", "name": "비밀고객"}
    post_inbound(api_inbox, inbound_payload(external_id="p1", sender=sender))
    post_inbound(api_inbox, inbound_payload(external_id="p1", sender=sender))  # duplicate path logs too
    post_inbound(api_inbox, {"external_id": "p2", "sender": {**sender, "external_id": ""}})  # refused path
    logged = "\n".join(r.getMessage() + str(r.args) for r in caplog.records)
    assert caplog.records  # the pipeline did log
    for secret in ("secret.person", "9876", "비밀고객"):
        assert secret not in logged
