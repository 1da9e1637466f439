"""The same inbound messages delivered at once by several processes are stored once, on one customer and
one conversation each. Real processes against the test database (SQLite file or PostgreSQL)."""

import json
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sonnim.core.models import Event
from sonnim.customers.models import Customer, Identity
from sonnim.testing.server import subprocess_env

from ..models import Conversation, Message

pytestmark = pytest.mark.django_db(transaction=True)

# Each process gets ready (Django, Kiwi), says so with a file, waits for the go file, then delivers.
DELIVER = """
import json, sys, time
from pathlib import Path

import django

django.setup()
from sonnim.conversations.pipeline import receive_message
from sonnim.core.korean import search_tokens
from sonnim.inboxes.adapters.base import InboundMessage, SenderIdentity

inbox_id, barrier, name, items = int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4])
search_tokens("준비")  # load the Kiwi model before the race, not inside it
(barrier / f"ready-{name}").touch()
while not (barrier / "go").exists():
    time.sleep(0.002)
out = []
for external_id, sender_id, text in items:
    sender = SenderIdentity(external_id=sender_id, name="동시고객", is_verified=True)
    received = receive_message(InboundMessage(inbox_id=inbox_id, external_id=external_id, sender=sender, text=text))
    out.append([external_id, received.message.pk, received.duplicate])
print(json.dumps(out))
"""


def race(inbox_id: int, plans: list[list], tmp_path: Path) -> list[list]:
    """Run one process per plan (a list of [external_id, sender_id, text]), all released at once."""
    env = subprocess_env()
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", DELIVER, str(inbox_id), str(tmp_path), str(n), json.dumps(plan)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n, plan in enumerate(plans)
    ]
    try:
        deadline = time.monotonic() + 180  # a safety valve only: a loaded machine is slow to start
        while len(list(tmp_path.glob("ready-*"))) < len(plans):
            assert time.monotonic() < deadline, "the delivering processes did not get ready"
            assert all(p.poll() is None for p in processes), [p.communicate()[1][-3000:] for p in processes]
            time.sleep(0.02)
        (tmp_path / "go").touch()
        outputs = [p.communicate(timeout=120) for p in processes]
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
    for p, (stdout, stderr) in zip(processes, outputs, strict=True):
        assert p.returncode == 0, stderr[-3000:]
    return [json.loads(stdout.strip().splitlines()[-1]) for stdout, _ in outputs]


def assert_gapless(workspace) -> None:
    seqs = list(Event.objects.filter(workspace=workspace).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


def test_same_messages_from_two_processes_are_stored_once(api_inbox, workspace, tmp_path):
    messages = [[f"m{i}", f"sender-{i % 6}", f"동시 배송 문의 {i}"] for i in range(30)]
    plans = []
    for seed in range(2):
        plan = list(messages)
        random.Random(seed).shuffle(plan)
        plans.append(plan)
    results = race(api_inbox.inbox.pk, plans, tmp_path)

    by_external_id: dict[str, set[int]] = {}
    stored_by = {external_id: 0 for external_id, _, _ in messages}
    for result in results:
        for external_id, message_id, duplicate in result:
            by_external_id.setdefault(external_id, set()).add(message_id)
            stored_by[external_id] += not duplicate
    assert all(len(ids) == 1 for ids in by_external_id.values())  # every process got the same message back
    assert set(stored_by.values()) == {1}  # exactly one process stored each message
    assert Message.objects.filter(inbox=api_inbox.inbox).count() == 30
    assert sorted(Message.objects.values_list("external_id", flat=True)) == sorted(m[0] for m in messages)
    assert Customer.objects.filter(workspace=workspace).count() == 6
    assert Identity.objects.filter(workspace=workspace).count() == 6
    conversations = Conversation.objects.filter(workspace=workspace)
    assert conversations.count() == 6
    assert sorted(conversations.values_list("customer_id", flat=True)) == sorted(
        Customer.objects.filter(workspace=workspace).values_list("pk", flat=True)
    )
    for conversation in conversations:
        assert conversation.message_count == 5 == conversation.messages.count()
        senders = {
            m[1] for m in messages if m[0] in set(conversation.messages.values_list("external_id", flat=True))
        }
        assert len(senders) == 1
    events = Event.objects.filter(workspace=workspace)
    assert events.filter(type="message.received").count() == 30
    assert events.filter(type="customer.created").count() == 6
    assert events.filter(type="conversation.created").count() == 6
    assert_gapless(workspace)


def test_two_first_messages_of_a_new_sender_at_once_make_one_customer(api_inbox, workspace, tmp_path):
    senders = [f"new-{i}" for i in range(10)]
    plans = [[[f"{s}-{side}", s, f"처음 보내는 메시지 {side}"] for s in senders] for side in ("a", "b")]
    results = race(api_inbox.inbox.pk, plans, tmp_path)

    assert [d for result in results for _, _, d in result].count(
        True
    ) == 0  # different messages: none is a duplicate
    assert Message.objects.filter(inbox=api_inbox.inbox).count() == 20
    assert Customer.objects.filter(workspace=workspace).count() == 10
    assert Identity.objects.filter(workspace=workspace).count() == 10
    for sender in senders:
        identity = Identity.objects.get(workspace=workspace, external_id=sender)
        [conversation] = Conversation.objects.filter(customer=identity.customer_id)
        assert sorted(conversation.messages.values_list("external_id", flat=True)) == [
            f"{sender}-a",
            f"{sender}-b",
        ]
        assert conversation.message_count == 2
    events = Event.objects.filter(workspace=workspace)
    assert events.filter(type="customer.created").count() == 10
    assert events.filter(type="conversation.created").count() == 10
    assert_gapless(workspace)
