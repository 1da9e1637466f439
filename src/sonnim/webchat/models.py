"""The web chat widget's rows: the public widget key of an inbox, the visitors' browser tokens, and each
customer's visitor-visible stream (what the widget shows, numbered per stream so a reconnect asks for
"everything after N")."""

from django.db import models
from django.utils import timezone

from sonnim.core.crypto import EncryptedTextField
from sonnim.core.models import WorkspaceOwned
from sonnim.customers.models import Customer
from sonnim.inboxes.models import Inbox


class Widget(WorkspaceOwned):
    """The public key of a webchat inbox's widget: it is in the shop's page source, so it is not the inbox
    key (which authenticates calls and stays secret)."""

    inbox = models.OneToOneField(Inbox, on_delete=models.CASCADE, related_name="+")
    public_key = models.CharField(max_length=40, unique=True)  # /widget/<public_key>.js lookup
    created_at = models.DateTimeField(default=timezone.now)


class Visitor(WorkspaceOwned):
    """One browser's anonymous token (kept in the shop page's localStorage; we keep only its hash) and the
    sender handle it currently speaks as: "visitor:<public_id>", or "member:<id>" after the shop signed the
    member (identity verification)."""

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)  # every widget call's lookup
    public_id = models.CharField(max_length=32)
    external_id = models.CharField(max_length=255)
    is_verified = models.BooleanField(default=False)
    verified_email = EncryptedTextField(blank=True, default="")
    name = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)


class Stream(WorkspaceOwned):
    """A customer's visitor-visible feed in one webchat inbox (across conversations and devices).
    `last_seq` is the counter items take their number from: it is bumped with an UPDATE that holds the
    row lock until commit, so items commit in number order and a client that saw N misses nothing."""

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    last_seq = models.BigIntegerField(default=0)
    visitor_read_seq = models.BigIntegerField(default=0)  # the visitor saw items up to here
    agent_read_seq = models.BigIntegerField(default=0)  # an agent saw the visitor's items up to here
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["inbox", "customer"], name="webchat_stream_unique_customer")
        ]


class StreamItem(WorkspaceOwned):
    """One visitor-visible item: a message (either way) or an agent read receipt. `payload` is what the
    widget renders (a snapshot: text, author name, file links), never notes or internal fields."""

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="items")
    seq = models.BigIntegerField()
    kind = models.CharField(max_length=12)  # message / read
    message_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # history and "after N": (stream, seq) is also the index those reads walk
            models.UniqueConstraint(fields=["stream", "seq"], name="webchat_item_unique_seq"),
            # a reply delivered twice (a retried task) is pushed once
            models.UniqueConstraint(
                fields=["stream", "message_id"],
                condition=models.Q(message_id__isnull=False),
                name="webchat_item_unique_message",
            ),
        ]
