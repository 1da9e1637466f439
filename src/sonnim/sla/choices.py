from django.db import models
from django.utils.translation import gettext_lazy as _


class Target(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")  # from opening to the first agent reply
    NEXT_RESPONSE = "next_response", _("Next response")  # from a customer's message to the next reply
    RESOLUTION = "resolution", _("Resolution")  # from opening to resolved/closed


TARGETS = (Target.FIRST_RESPONSE, Target.NEXT_RESPONSE, Target.RESOLUTION)


class SlaState(models.TextChoices):
    """Denormalized on the conversation for the inbox badge, sort and filter ("" = no policy applies)."""

    RUNNING = "running", _("On time")  # at least one target is running and none is near its due time
    WARNING = "warning", _("About to breach")  # a running target passed its warning threshold
    BREACHED = "breached", _("Breached")  # a target passed its due time unmet
    PAUSED = "paused", _("Paused")  # pending on the customer or snoozed: clocks stopped
    MET = "met", _("Met")  # nothing running and nothing breached


class NoticeKind(models.TextChoices):
    WARNING = "warning", _("Warning")
    BREACHED = "breached", _("Breached")


class EscalationAction(models.TextChoices):
    NOTIFY_ASSIGNEE = "notify_assignee", _("Notify the assignee")
    NOTIFY_SUPERVISORS = "notify_supervisors", _("Notify supervisors")  # the workspace's supervisors
    RAISE_PRIORITY = "raise_priority", _("Raise priority")  # never lowers it
    REASSIGN_TEAM = "reassign_team", _("Reassign to a team")
