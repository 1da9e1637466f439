"""Customers through the API: merge and unmerge, edits that re-key identity resolution, and PII at rest."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sonnim.commerce.models import Order
from sonnim.core.models import Event
from sonnim.testing.fixtures import inbound_payload

from ..models import Customer, Identity


@pytest.fixture
def inbound(api_inbox, post_inbound):
    def send(external_id: str, sender_id: str, **extra) -> dict:
        response = post_inbound(api_inbox, inbound_payload(external_id, sender_id, **extra))
        assert response.status_code == 201, response.content
        return response.json()

    return send


def order_for(customer_id: int, number: str) -> int:
    customer = Customer.objects.get(pk=customer_id)
    return Order.objects.create(
        workspace_id=customer.workspace_id, customer=customer, number=number, total_krw=39_000
    ).pk


def owned(customer_id: int) -> tuple[list[int], list[int], list[int]]:
    """(identity ids, conversation ids, order ids) of one customer, as the 360 API shows them."""
    return (
        sorted(Identity.objects.filter(customer_id=customer_id).values_list("pk", flat=True)),
        sorted(Customer.objects.get(pk=customer_id).conversations.values_list("pk", flat=True)),
        sorted(Order.objects.filter(customer_id=customer_id).values_list("pk", flat=True)),
    )


@pytest.mark.django_db
def test_merge_and_unmerge_round_trip(api, agent, workspace, inbound):
    client = api(agent)
    first = inbound("s1", "kakao-77", thread_key="order-1")
    inbound("s2", "kakao-77", thread_key="order-2")
    target = inbound("t1", "member-5")
    source_id, target_id = first["customer_id"], target["customer_id"]
    order_for(source_id, "A-1")
    order_for(target_id, "B-1")
    source_owned, target_owned = owned(source_id), owned(target_id)

    merged = client.post("/api/v1/customers/merge", json={"source_id": source_id, "target_id": target_id})
    assert merged.status_code == 201
    body = merged.json()
    assert (body["source_id"], body["target_id"], body["undone"]) == (source_id, target_id, False)
    assert (body["identity_ids"], body["conversation_ids"], body["order_ids"]) == source_owned
    view = client.get(f"/api/v1/customers/{target_id}").json()
    assert sorted(i["id"] for i in view["identities"]) == sorted(source_owned[0] + target_owned[0])
    assert sorted(c["id"] for c in view["conversations"]) == sorted(source_owned[1] + target_owned[1])
    assert sorted(o["number"] for o in view["orders"]) == ["A-1", "B-1"]
    assert [m["id"] for m in view["merges"]] == [body["id"]]
    assert client.get(f"/api/v1/customers/{source_id}").json()["customer"]["merged_into_id"] == target_id
    assert owned(source_id) == ([], [], [])
    [merged_event] = Event.objects.filter(workspace=workspace, type="customer.merged")
    assert (merged_event.customer_id, merged_event.data["source_id"], merged_event.data["conversations"]) == (
        target_id,
        source_id,
        2,
    )

    # The source's identity now routes to the target; what arrives after the merge stays with the target.
    later = inbound("s3", "kakao-77", thread_key="order-3")
    assert later["customer_id"] == target_id
    order_for(target_id, "B-2")

    undone = client.post(f"/api/v1/customers/merges/{body['id']}/undo")
    assert undone.status_code == 200
    assert undone.json()["undone"] is True
    assert owned(source_id) == source_owned
    after = owned(target_id)
    assert after[0] == target_owned[0]
    assert sorted(after[1]) == sorted([*target_owned[1], later["conversation_id"]])
    assert sorted(Order.objects.filter(customer_id=target_id).values_list("number", flat=True)) == [
        "B-1",
        "B-2",
    ]
    assert Customer.objects.get(pk=source_id).merged_into_id is None
    [unmerged_event] = Event.objects.filter(workspace=workspace, type="customer.unmerged")
    assert (unmerged_event.customer_id, unmerged_event.data["merge_id"]) == (source_id, body["id"])
    assert inbound("s4", "kakao-77", thread_key="order-4")["customer_id"] == source_id
    again = client.post(f"/api/v1/customers/merges/{body['id']}/undo")
    assert again.status_code == 409
    assert client.get(f"/api/v1/customers/{target_id}").json()["merges"] == []


@pytest.mark.django_db
def test_merge_refusals_change_nothing(api, agent, workspace, inbound):
    client = api(agent)
    a, b, c = (inbound(f"r{i}", f"u{i}")["customer_id"] for i in range(3))
    events_before = Event.objects.filter(workspace=workspace).count()
    itself = client.post("/api/v1/customers/merge", json={"source_id": a, "target_id": a})
    assert (itself.status_code, itself.json()["code"]) == (400, "merge_same_customer")
    assert Event.objects.filter(workspace=workspace).count() == events_before
    assert client.post("/api/v1/customers/merge", json={"source_id": a, "target_id": b}).status_code == 201
    twice = client.post("/api/v1/customers/merge", json={"source_id": a, "target_id": c})
    into_merged = client.post("/api/v1/customers/merge", json={"source_id": c, "target_id": a})
    for response in (twice, into_merged):
        assert (response.status_code, response.json()["code"]) == (409, "customer_already_merged")
    assert owned(c)[0] == [Identity.objects.get(external_id="u2").pk]
    assert Customer.objects.get(pk=a).merged_into_id == b
    missing = client.post("/api/v1/customers/merge", json={"source_id": c, "target_id": 10**9})
    assert (missing.status_code, missing.json()["code"]) == (404, "customer_not_found")


@pytest.mark.django_db
def test_patch_rekeys_identity_resolution(api, agent, workspace, inbound):
    client = api(agent)
    customer_id = inbound("p1", "first-system-1", sender={"email": "old.mail@example.kr"})["customer_id"]
    response = client.patch(
        f"/api/v1/customers/{customer_id}",
        json={"email": " New.Mail@Example.kr", "phone": "010-1111-2222", "name": "박서준", "tags": ["vip"]},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["email"], body["phone"], body["name"], body["tags"]) == (
        "new.mail@example.kr",
        "010-1111-2222",
        "박서준",
        ["vip"],
    )
    [updated] = Event.objects.filter(workspace=workspace, type="customer.updated")
    assert updated.data == {"fields": ["display_name", "email", "phone", "tags"]}  # names, never values
    by_email = inbound("p2", "other-system-9", sender={"email": "new.mail@example.kr"})
    by_phone = inbound("p3", "sms-system-3", sender={"phone": "+82 10 1111 2222"})
    by_old_email = inbound("p4", "other-system-10", sender={"email": "old.mail@example.kr"})
    assert by_email["customer_id"] == by_phone["customer_id"] == customer_id
    assert by_old_email["customer_id"] != customer_id
    bad = client.patch(f"/api/v1/customers/{customer_id}", json={"email": "x" * 300})
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_input")


# --- PII at rest: the real CLI on a fresh SQLite file ---------------------------------------------------

EMAIL, PHONE = "privacy.check@example.kr", "010-2345-6789"

POST_AND_READ = """
import json, sys

import django

django.setup()
from django.test import Client

from sonnim.conversations.pipeline import receive_message
from sonnim.inboxes.adapters.base import InboundMessage, SenderIdentity

inbox_id, token, email, phone = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
sender = SenderIdentity(external_id="member-77", name="개인정보", email=email, phone=phone, is_verified=True)
received = receive_message(InboundMessage(inbox_id=inbox_id, external_id="pii-1", sender=sender, text="주소 변경 부탁드려요"))
customer_id = received.message.conversation.customer_id
response = Client().get(f"/api/v1/customers/{customer_id}", HTTP_AUTHORIZATION=f"Bearer {token}")
print(json.dumps(response.json()["customer"], ensure_ascii=False))
"""


def test_contact_data_is_not_in_the_sqlite_file_or_logs(tmp_path: Path):
    db = tmp_path / "privacy.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "DJANGO_SETTINGS_MODULE": "sonnim.settings.dev",
        "SONNIM_LOG_LEVEL": "DEBUG",
        "SONNIM_MEDIA_ROOT": str(tmp_path / "media"),
        "PYTHONWARNINGS": "ignore",
    }
    env.pop("REDIS_URL", None)  # one process at a time here: no channel layer needed
    logs: list[str] = []

    def sonnim(*args: str) -> dict:
        done = subprocess.run(
            [sys.executable, "-m", "sonnim.cli", *args, "--json"], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr[-3000:]
        logs.append(done.stderr)
        return json.loads(done.stdout.strip().splitlines()[-1])

    assert sonnim("migrate") == {"migrated": True}
    workspace = sonnim("workspace", "create", "프라이버시샵")
    inbox = sonnim("inbox", "create", "--workspace", str(workspace["id"]), "--kind", "api", "--name", "API")
    sonnim("agent", "create", "--workspace", workspace["slug"], "--email", "ops@shop.kr", "--role", "admin")
    token = sonnim("token", "create", "--workspace", workspace["slug"], "--agent", "ops@shop.kr")["token"]
    done = subprocess.run(
        [sys.executable, "-c", POST_AND_READ, str(inbox["id"]), token, EMAIL, PHONE],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    customer = json.loads(done.stdout.strip().splitlines()[-1])
    assert (customer["email"], customer["phone"], customer["name"]) == (EMAIL, PHONE, "개인정보")

    stored = b"".join(p.read_bytes() for p in tmp_path.glob("privacy.sqlite3*"))
    assert (
        len(stored) > 50_000 and b"member-77" in stored
    )  # the file holds the data, only not the contact data
    logged = "\n".join([*logs, done.stderr])
    for secret in (EMAIL, "privacy.check", PHONE, "01023456789", "2345-6789", "23456789"):
        assert secret.encode() not in stored, secret
        assert secret.encode("utf-16-le") not in stored, secret
        assert secret not in logged, secret
