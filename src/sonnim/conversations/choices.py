from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    OPEN = "open", _("Open")  # someone on the shop's side has to act
    PENDING = "pending", _("Pending")  # waiting on the customer
    SNOOZED = "snoozed", _("Snoozed")  # hidden until a time or the customer's next message
    RESOLVED = "resolved", _("Resolved")  # done; the customer's next message within the window reopens it
    CLOSED = "closed", _("Closed")  # final; the customer's next message opens a new conversation


ACTIVE_STATUSES = (Status.OPEN, Status.PENDING, Status.SNOOZED)

TRANSITIONS: dict[str, set[str]] = {
    Status.OPEN: {Status.PENDING, Status.SNOOZED, Status.RESOLVED, Status.CLOSED},
    Status.PENDING: {Status.OPEN, Status.SNOOZED, Status.RESOLVED, Status.CLOSED},
    Status.SNOOZED: {Status.OPEN, Status.PENDING, Status.RESOLVED, Status.CLOSED},
    Status.RESOLVED: {Status.OPEN, Status.CLOSED},
    Status.CLOSED: set(),
}


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


PRIORITY_RANK = {Priority.LOW: 0, Priority.MEDIUM: 1, Priority.HIGH: 2, Priority.URGENT: 3}


class Direction(models.TextChoices):
    IN = "in", _("Inbound")  # from the customer
    OUT = "out", _("Outbound")  # to the customer
    NOTE = "note", _("Internal note")  # agents only, never delivered


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")  # stored, delivery pending or being retried
    SENT = "sent", _("Sent")  # the channel accepted it
    DELIVERED = "delivered", _("Delivered")  # the channel confirmed receipt
    FAILED = "failed", _("Failed")  # gave up; reason shown, agent can retry
