from django.db import models
from django.utils import timezone

from sonnim.core.models import Agent, Team, WorkspaceOwned
from sonnim.customers.models import Customer
from sonnim.inboxes.models import Inbox

from .choices import DeliveryStatus, Direction, Priority, Status


class Tag(WorkspaceOwned):
    name = models.CharField(max_length=60)
    color = models.CharField(max_length=7, default="#64748b")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="tag_unique_name")]

    def __str__(self) -> str:
        return self.name


class Conversation(WorkspaceOwned):
    """One customer thread with the shop: the ticket. The last message is denormalized onto it so the
    inbox list is one indexed query."""

    inbox = models.ForeignKey(Inbox, on_delete=models.PROTECT, related_name="conversations")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="conversations")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    priority = models.CharField(max_length=16, choices=Priority.choices, default=Priority.MEDIUM)
    category = models.CharField(max_length=40, blank=True, default="")
    language = models.CharField(max_length=8, blank=True, default="")
    # Set by triage (assist) from the customer's latest message: urgency only rises, sentiment follows.
    urgency = models.CharField(max_length=8, blank=True, default="")  # high / medium / low
    sentiment = models.CharField(max_length=8, blank=True, default="")  # negative / neutral / positive
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assignee = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    subject = models.CharField(max_length=300, blank=True, default="")
    thread_key = models.CharField(max_length=255)
    tags = models.ManyToManyField(Tag, blank=True, related_name="conversations")
    snoozed_until = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(default=timezone.now)
    last_message_preview = models.CharField(max_length=200, blank=True, default="")
    last_message_direction = models.CharField(max_length=8, blank=True, default="")
    message_count = models.PositiveIntegerField(default=0)
    # Denormalized from sla.SlaClock for the inbox badge, sort and filter: the nearest unmet due time
    # (None when paused or nothing runs) and sla.choices.SlaState ("" = no policy).
    sla_due_at = models.DateTimeField(null=True, blank=True)
    sla_state = models.CharField(max_length=10, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # the inbox sorted by SLA urgency (sort=sla), nearest due first
            models.Index(fields=["workspace", "status", "sla_due_at", "id"], name="conv_sla_due_idx"),
            # inbox lists by status, newest activity first, cursor on (last_message_at, id)
            models.Index(
                fields=["workspace", "status", "-last_message_at", "-id"], name="conv_status_list_idx"
            ),
            # "mine" and per-agent lists
            models.Index(
                fields=["workspace", "assignee", "status", "-last_message_at"], name="conv_assignee_idx"
            ),
            # inbox page counts per inbox and team (status second would steal the list's query plan)
            models.Index(fields=["workspace", "inbox", "status", "team"], name="conv_status_inbox_idx"),
            # "all" list without a status filter
            models.Index(fields=["workspace", "-last_message_at", "-id"], name="conv_all_idx"),
            # threading: the latest conversation of a thread key in an inbox
            models.Index(fields=["workspace", "inbox", "thread_key", "-created_at"], name="conv_thread_idx"),
            # customer 360
            models.Index(fields=["workspace", "customer", "-last_message_at"], name="conv_customer_idx"),
        ]


class Message(WorkspaceOwned):
    """One inbound or outbound item, or an internal note."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    inbox = models.ForeignKey(Inbox, on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(max_length=8, choices=Direction.choices)
    author_kind = models.CharField(max_length=16)  # core.choices.ActorKind
    author_agent = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(blank=True, default="")
    html = models.TextField(blank=True, default="")  # sanitized with nh3 before it is stored
    # Email: the quoted history and signature the sender did not newly write; `text` holds only the new
    # part, the timeline shows this behind "show quoted text".
    quoted_text = models.TextField(blank=True, default="")
    # Machine-generated or bulk mail (vacation notice, mailing list): never answered automatically.
    is_auto_reply = models.BooleanField(default=False)
    # Channel facts (inboxes.adapters.base.InboundMessage.metadata): a TalkTalk inquiry's product, the Kakao
    # skill block; {"standby": true} when a human held the platform thread, so no bot may answer it.
    metadata = models.JSONField(default=dict, blank=True)
    external_id = models.CharField(max_length=255, null=True, blank=True)
    delivery_status = models.CharField(max_length=12, choices=DeliveryStatus.choices, blank=True, default="")
    failure_reason = models.CharField(max_length=300, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    # queued replies: when the next attempt may start; a worker leases the message by moving it forward
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(max_length=8, blank=True, default="")
    # Triage of an inbound message (assist): labels of the shipped or the workspace's models.
    category = models.CharField(max_length=40, blank=True, default="")
    urgency = models.CharField(max_length=8, blank=True, default="")
    sentiment = models.CharField(max_length=8, blank=True, default="")
    sentiment_score = models.FloatField(null=True, blank=True)  # P(positive) - P(negative), in [-1, 1]
    sent_at = models.DateTimeField(null=True, blank=True)  # the channel's own timestamp
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # idempotent ingest: a redelivered webhook meets this constraint, not a check-then-insert
            models.UniqueConstraint(
                fields=["inbox", "external_id"],
                condition=models.Q(external_id__isnull=False),
                name="message_unique_external_id",
            )
        ]
        indexes = [
            models.Index(fields=["conversation", "created_at", "id"], name="message_timeline_idx"),
            # the delivery sweep: queued messages whose lease ran out
            models.Index(fields=["delivery_status", "next_attempt_at"], name="message_delivery_idx"),
        ]


def attachment_path(instance: "Attachment", filename: str) -> str:
    return f"attachments/{instance.workspace_id}/{timezone.now():%Y/%m}/{filename}"


class Attachment(WorkspaceOwned):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)


class SearchEntry(WorkspaceOwned):
    """Pre-tokenized text (kiwipiepy morphemes) of a message, subject or customer name. The SQLite FTS5
    table or the PostgreSQL tsvector column over `tokens` is made by migration (see search.py)."""

    conversation_id = models.BigIntegerField(null=True, blank=True)
    message_id = models.BigIntegerField(null=True, blank=True)
    customer_id = models.BigIntegerField(null=True, blank=True)
    tokens = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["message_id"], name="search_message_idx"),  # reindex a message
            models.Index(fields=["customer_id"], name="search_customer_idx"),  # reindex a customer
        ]


class SavedView(WorkspaceOwned):
    """An agent's named list filter, shown in the inbox's left pane with a live count. Private to its owner
    unless shared with the workspace. `filters` holds the list API's query fields (status, assignee as an
    agent id / "me" / "none", team, inbox, tag, priority, q); "me" means whoever looks at it."""

    owner = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=80)
    is_shared = models.BooleanField(default=False)
    filters = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # the left pane: an agent's own views and the workspace's shared ones
            models.Index(fields=["workspace", "owner"], name="savedview_owner_idx"),
            models.Index(fields=["workspace", "is_shared"], name="savedview_shared_idx"),
        ]


class ReadMarker(WorkspaceOwned):
    """How far one agent has read one conversation. The list compares the conversation's denormalized
    message_count and last_message_at with it: no query over messages to show what is unread."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    message_count = models.PositiveIntegerField(default=0)  # Conversation.message_count when last read
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # one marker per agent and conversation; the list page reads a page's markers by this key
            models.UniqueConstraint(fields=["agent", "conversation"], name="readmarker_unique")
        ]
