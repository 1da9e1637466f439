from django.db import models
from django.utils import timezone

from sonnim.core.crypto import EncryptedTextField
from sonnim.core.models import WorkspaceOwned


class Customer(WorkspaceOwned):
    """The shop's customer: one profile across channels. Contact data is encrypted; lookups use the
    keyed blind indexes beside it."""

    display_name = models.CharField(max_length=200, blank=True)
    email = EncryptedTextField(blank=True, default="")
    phone = EncryptedTextField(blank=True, default="")
    address = EncryptedTextField(blank=True, default="")
    email_index = models.CharField(max_length=64, blank=True, default="")
    phone_index = models.CharField(max_length=64, blank=True, default="")
    member_id = models.CharField(max_length=100, blank=True, default="")  # the shop's member id
    tier = models.CharField(max_length=40, blank=True, default="")
    tags = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True, default="")
    has_marketing_consent = models.BooleanField(default=False)
    marketing_consent_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(
                fields=["workspace", "email_index"], name="customer_email_idx"
            ),  # identity resolution
            models.Index(
                fields=["workspace", "phone_index"], name="customer_phone_idx"
            ),  # identity resolution
            models.Index(fields=["workspace", "member_id"], name="customer_member_idx"),  # order import
        ]

    def __str__(self) -> str:
        return self.display_name or f"#{self.pk}"


class Identity(WorkspaceOwned):
    """A customer's handle on one channel kind: Kakao user key, email address, phone, API sender id."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(max_length=20)  # inboxes.choices.ChannelKind
    external_id = models.CharField(max_length=255)
    display_name = models.CharField(max_length=200, blank=True, default="")
    # What the channel told us about this handle (TalkTalk: under14 for the guardian-consent rule, friend,
    # the product page the chat was opened from). Channel events merge into it; no contact data here.
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "kind", "external_id"], name="identity_unique_handle"
            )
        ]


class CustomerMerge(WorkspaceOwned):
    """What one merge moved, so that unmerge can move exactly that back."""

    source = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    identity_ids = models.JSONField(default=list)
    conversation_ids = models.JSONField(default=list)
    order_ids = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    undone_at = models.DateTimeField(null=True, blank=True)
