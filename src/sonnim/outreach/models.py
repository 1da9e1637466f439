from django.db import models
from django.utils import timezone

from sonnim.core.models import WorkspaceOwned
from sonnim.customers.models import Customer
from sonnim.inboxes.models import Inbox

from .choices import Fallback, SendStatus, TemplateStatus


class AlimTalkTemplate(WorkspaceOwned):
    """A Kakao AlimTalk (알림톡) template: informational text with #{변수} variables, reviewed by Kakao
    through the dealer of `inbox` (a kakao_counsel inbox), which also sends it."""

    inbox = models.ForeignKey(Inbox, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=60)  # the template code registered with the dealer
    name = models.CharField(max_length=120)
    body = models.TextField()
    buttons = models.JSONField(default=list, blank=True)  # [{"type": "WL", "name": ..., "url_mobile": ...}]
    status = models.CharField(max_length=12, choices=TemplateStatus.choices, default=TemplateStatus.REQUESTED)
    # When the AlimTalk cannot be delivered, the dealer sends the text as SMS (short) or LMS (long) instead.
    fallback_sms = models.BooleanField(default=False)
    rejection_reason = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "code"], name="alimtalk_template_unique_code")
        ]


class AlimTalkSend(WorkspaceOwned):
    """One AlimTalk to one customer's phone. The phone is kept only as its blind index: the task reads the
    customer's encrypted phone when it sends."""

    template = models.ForeignKey(AlimTalkTemplate, on_delete=models.PROTECT, related_name="sends")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    phone_index = models.CharField(max_length=64)
    rendered_text = models.TextField()
    variables = models.JSONField(default=dict)
    idempotency_key = models.CharField(max_length=200)
    # The fallback this send asked for: "" (none), SMS or LMS, chosen by the rendered text's length.
    fallback = models.CharField(max_length=3, choices=Fallback.choices, blank=True, default=Fallback.NONE)
    status = models.CharField(max_length=8, choices=SendStatus.choices, default=SendStatus.QUEUED)
    failure_reason = models.CharField(max_length=300, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    dealer_message_id = models.CharField(max_length=200, blank=True, default="")
    created_by_id = models.BigIntegerField(null=True, blank=True)  # the agent, when an agent sent it
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # one send per key: a retried API call or automation run meets this, not a check-then-insert
            models.UniqueConstraint(fields=["workspace", "idempotency_key"], name="alimtalk_send_unique_key")
        ]
        indexes = [
            # a customer's AlimTalk history, newest first
            models.Index(fields=["workspace", "customer", "-created_at"], name="alimtalk_customer_idx"),
            # the sweep: sends still queued
            models.Index(fields=["status", "created_at"], name="alimtalk_status_idx"),
        ]
