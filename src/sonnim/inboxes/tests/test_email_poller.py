"""The IMAP poller against a real local IMAP server (sonnim.testing.imap_server)."""

import signal
import subprocess
import sys
import time

import pytest

from sonnim.conversations.models import Message
from sonnim.inboxes.models import MailboxState
from sonnim.inboxes.tasks import enqueue_email_polls, poll_imap_inbox, poll_mailbox
from sonnim.testing.imap_server import ImapServer
from sonnim.testing.mail import raw_mail
from sonnim.testing.server import subprocess_env


@pytest.fixture
def imap_server():
    with ImapServer() as server:
        yield server


def fill(server: ImapServer, count: int, *, start: int = 1) -> list[str]:
    ids = [f"poll-{n}@example.kr" for n in range(start, start + count)]
    for n, message_id in enumerate(ids, start=start):
        server.add(raw_mail(subject=f"문의 {n}", body=f"{n}번째 문의입니다.", message_id=message_id))
    return ids


def stored_ids(inbox) -> list[str]:
    return sorted(Message.objects.filter(inbox=inbox).values_list("external_id", flat=True))


@pytest.mark.django_db
def test_poll_stores_new_mail_once_and_flags_it_seen(make_email_inbox, imap_server):
    inbox = make_email_inbox(imap_port=imap_server.port).inbox
    ids = fill(imap_server, 5)
    first = poll_mailbox(inbox)
    assert (first.fetched, first.stored, first.duplicates, first.last_uid) == (5, 5, 0, 5)
    assert stored_ids(inbox) == sorted(ids)
    assert [m.flags for m in imap_server.mails()] == [{"\\Seen"}] * 5
    fill(imap_server, 1, start=6)
    second = poll_mailbox(inbox)
    assert (second.fetched, second.stored, second.last_uid) == (1, 1, 6)
    state = MailboxState.objects.get(inbox=inbox)
    assert (state.folder, state.uidvalidity, state.last_uid) == ("INBOX", 1000, 6)


@pytest.mark.django_db
def test_processed_mail_is_moved_to_the_processed_folder(make_email_inbox, imap_server):
    inbox = make_email_inbox(imap_port=imap_server.port, processed_folder="Sonnim/처리됨").inbox
    fill(imap_server, 3)
    assert poll_mailbox(inbox).stored == 3
    assert (len(imap_server.mails()), len(imap_server.mails("Sonnim/&zJi5rLQo-"))) == (0, 3)  # modified UTF-7


@pytest.mark.django_db
def test_uidvalidity_change_refetches_without_doubling(make_email_inbox, imap_server):
    inbox = make_email_inbox(imap_port=imap_server.port).inbox
    ids = fill(imap_server, 4)
    poll_mailbox(inbox)
    imap_server.renumber(2000)
    fill(imap_server, 1, start=5)
    again = poll_mailbox(inbox)
    assert (again.fetched, again.stored, again.duplicates, again.last_uid) == (5, 1, 4, 5)
    assert stored_ids(inbox) == sorted([*ids, "poll-5@example.kr"])
    assert MailboxState.objects.get(inbox=inbox).uidvalidity == 2000


@pytest.mark.django_db
def test_task_reports_a_wrong_password_and_stores_nothing(make_email_inbox, imap_server):
    inbox = make_email_inbox(imap_port=imap_server.port).inbox
    imap_server.password = "changed"
    fill(imap_server, 1)
    result = poll_imap_inbox.call(workspace_id=inbox.workspace_id, inbox_id=inbox.pk)
    assert (result["stored"], result["error"]) == (0, "IMAP connection failed: error")
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_worker_enqueues_polls_of_imap_inboxes_only(make_email_inbox, imap_server):
    make_email_inbox(imap_port=imap_server.port)
    make_email_inbox()  # forwarding only: nothing to poll
    assert enqueue_email_polls() == 1


def run_poller(inbox_id: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "sonnim.cli", "email", "poll", "--inbox", str(inbox_id), "--once"],
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


@pytest.mark.django_db(transaction=True)
def test_poller_killed_mid_batch_loses_and_doubles_nothing(make_email_inbox, imap_server):
    inbox = make_email_inbox(imap_port=imap_server.port).inbox
    ids = fill(imap_server, 8)
    imap_server.fetch_delay = 0.3
    poller = run_poller(inbox.pk)
    deadline = time.monotonic() + 180  # the subprocess starts Django and Kiwi first; CI machines are busy
    while imap_server.fetches < 4 and time.monotonic() < deadline and poller.poll() is None:
        time.sleep(0.02)
    poller.send_signal(signal.SIGKILL)
    killed_output = poller.communicate(timeout=30)[0].decode(errors="replace")
    stored = Message.objects.filter(inbox=inbox).count()
    assert 0 < stored < 8, (stored, imap_server.fetches, killed_output[-2000:])  # really killed mid-batch

    imap_server.fetch_delay = 0
    restarted = run_poller(inbox.pk)
    output = restarted.communicate(timeout=180)[0].decode(errors="replace")
    assert restarted.returncode == 0, output
    assert stored_ids(inbox) == sorted(ids)
    assert MailboxState.objects.get(inbox=inbox).last_uid == 8
    assert [m.flags for m in imap_server.mails()] == [{"\\Seen"}] * 8


@pytest.mark.django_db
def test_second_poll_of_a_busy_inbox_is_skipped(make_email_inbox, imap_server):
    from django.core.cache import cache

    inbox = make_email_inbox(imap_port=imap_server.port).inbox
    fill(imap_server, 1)
    cache.add(f"email-poll:{inbox.pk}", 1, timeout=60)  # another worker is polling it
    busy = poll_imap_inbox.call(workspace_id=inbox.workspace_id, inbox_id=inbox.pk)
    cache.delete(f"email-poll:{inbox.pk}")
    done = poll_imap_inbox.call(workspace_id=inbox.workspace_id, inbox_id=inbox.pk)
    assert (busy["error"], busy["fetched"], done["error"], done["stored"]) == ("busy", 0, "", 1)


@pytest.mark.django_db
def test_polled_auto_reply_is_flagged_and_unusable_mail_is_skipped(make_email_inbox, imap_server):
    inbox = make_email_inbox(imap_port=imap_server.port).inbox
    imap_server.add(
        raw_mail(
            subject="Out of Office: 휴가", message_id="ooo@x", headers={"Auto-Submitted": "auto-replied"}
        )
    )
    imap_server.add(b"Subject: no sender\r\n\r\nbody\r\n")
    result = poll_mailbox(inbox)
    assert (result.fetched, result.stored, result.skipped, result.last_uid) == (2, 1, 1, 2)
    assert Message.objects.get(inbox=inbox).is_auto_reply is True
