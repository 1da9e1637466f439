from django.db import models
from django.utils.translation import gettext_lazy as _


class TemplateStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")  # registered here, review asked for
    REVIEWING = "reviewing", _("Reviewing")  # Kakao (through the dealer) is reviewing it
    APPROVED = "approved", _("Approved")  # may be sent
    REJECTED = "rejected", _("Rejected")  # refused; editing the body asks for review again


# A rejected template is edited and asked for again; an approved one is frozen (Kakao re-reviews any change,
# so an edit makes it `requested` again through update_template, never through a status change).
TEMPLATE_TRANSITIONS: dict[str, set[str]] = {
    TemplateStatus.REQUESTED: {TemplateStatus.REVIEWING, TemplateStatus.APPROVED, TemplateStatus.REJECTED},
    TemplateStatus.REVIEWING: {TemplateStatus.APPROVED, TemplateStatus.REJECTED},
    TemplateStatus.APPROVED: {TemplateStatus.REJECTED},
    TemplateStatus.REJECTED: {TemplateStatus.REQUESTED},
}


class SendStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")  # stored; a task hands it to the dealer
    SENT = "sent", _("Sent")  # the dealer accepted it
    FAILED = "failed", _("Failed")  # gave up; the reason says why


class Fallback(models.TextChoices):
    NONE = "", _("No fallback")
    SMS = "SMS", _("SMS")  # up to 90 bytes
    LMS = "LMS", _("LMS")  # longer text message
