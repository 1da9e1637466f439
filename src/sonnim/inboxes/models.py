from django.db import models
from django.utils import timezone

from sonnim.core.crypto import EncryptedTextField
from sonnim.core.models import WorkspaceOwned

from .choices import ChannelKind


class Inbox(WorkspaceOwned):
    """One configured channel instance, e.g. "Shop A's Kakao channel". The key authenticates inbound
    calls and webhooks (only its hash is searched; the encrypted copy is shown to admins)."""

    kind = models.CharField(max_length=20, choices=ChannelKind.choices)
    name = models.CharField(max_length=120)
    key_hash = models.CharField(max_length=64, unique=True)  # inbound auth lookup
    key = EncryptedTextField()
    settings = models.JSONField(default=dict, blank=True)  # non-secret, per kind (validated by the adapter)
    credentials = EncryptedTextField(blank=True, default="")  # JSON of secrets, per kind
    webhook_url = models.URLField(max_length=500, blank=True, default="")  # api kind: where replies go
    signing_secret = EncryptedTextField(
        blank=True, default=""
    )  # HMAC for inbound checks and outbound webhooks
    require_signature = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    is_bot_enabled = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class MailboxState(WorkspaceOwned):
    """How far the IMAP poller got in one folder of an email inbox. `last_uid` only moves forward, and only
    after the message it names was stored; a new UIDVALIDITY means the server renumbered the folder, so
    the poller starts over (Message-ID dedup makes that safe)."""

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="+")
    folder = models.CharField(max_length=255)
    uidvalidity = models.BigIntegerField(default=0)
    last_uid = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["inbox", "folder"], name="mailbox_state_unique_folder"),
        ]


class CallLog(WorkspaceOwned):
    """One phone call, as the PBX reported it (inboxes/calls.py). The timeline shows one line per event in
    the call's conversation; this row is the call's structured summary. `events` lists the event names
    already applied: the same (call_id, event) again changes nothing."""

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="+")
    call_id = models.CharField(max_length=100)
    conversation_id = models.BigIntegerField()  # conversations.Conversation (no FK: conversations imports us)
    customer_id = models.BigIntegerField()
    direction = models.CharField(max_length=8)  # inbound / outbound
    status = models.CharField(max_length=10)  # the latest event: ringing / answered / ended / missed
    outcome = models.CharField(max_length=10, blank=True, default="")  # answered / missed, once known
    agent = models.ForeignKey(
        "core.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    recording_url = models.URLField(max_length=1000, blank=True, default="")
    events = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["inbox", "call_id"], name="call_log_unique_call")]
        indexes = [
            # the call log of a conversation (API) and of a customer (timeline)
            models.Index(fields=["workspace", "conversation_id"], name="call_log_conversation_idx"),
            models.Index(fields=["workspace", "customer_id", "-created_at"], name="call_log_customer_idx"),
        ]
