"""Business-hours calendars, SLA policies, per-conversation clocks and their once-only notices."""

from django.db import models
from django.utils import timezone

from sonnim.core.models import Agent, Team, WorkspaceOwned

from .choices import NoticeKind, Target


def default_weekly_hours() -> dict:
    """Mon-Fri 10:00-17:00 with a 12:00-13:00 lunch break; keys are weekday numbers, 0 = Monday."""
    day = [["10:00", "12:00"], ["13:00", "17:00"]]
    return {str(d): (day if d < 5 else []) for d in range(7)}


class BusinessHours(WorkspaceOwned):
    """A weekly schedule (with breaks) in a time zone, closed on Korean public holidays unless told not."""

    name = models.CharField(max_length=120)
    time_zone = models.CharField(max_length=64, default="Asia/Seoul")
    weekly_hours = models.JSONField(default=default_weekly_hours)  # {"0": [["10:00","12:00"], ...], ...}
    uses_public_holidays = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="business_hours_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class BusinessHoursOverride(WorkspaceOwned):
    """One date that differs from the week: a company day off (no intervals) or a special opening (its
    own intervals, also on a public holiday)."""

    calendar = models.ForeignKey(BusinessHours, on_delete=models.CASCADE, related_name="overrides")
    date = models.DateField()
    intervals = models.JSONField(default=list, blank=True)  # [] = closed all day
    note = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="business_hours_override_unique_date")
        ]


class SlaPolicy(WorkspaceOwned):
    """Targets for conversations that match its conditions; the first active policy by `order` wins.
    An empty condition list matches everything."""

    name = models.CharField(max_length=120)
    order = models.IntegerField(default=0)
    is_active = models.BooleanField(default=True)
    calendar = models.ForeignKey(
        BusinessHours, null=True, blank=True, on_delete=models.PROTECT, related_name="policies"
    )
    channel_kinds = models.JSONField(default=list, blank=True)
    priorities = models.JSONField(default=list, blank=True)
    categories = models.JSONField(default=list, blank=True)
    customer_tiers = models.JSONField(default=list, blank=True)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    first_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    first_response_business = models.BooleanField(default=True)
    next_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    next_response_business = models.BooleanField(default=True)
    resolution_minutes = models.PositiveIntegerField(null=True, blank=True)
    resolution_business = models.BooleanField(default=True)
    warning_percent = models.PositiveSmallIntegerField(default=80)
    # [{"on": "warning"|"breached", "action": EscalationAction, "priority"?: str, "team_id"?: int}]
    escalation = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["workspace", "is_active", "order"], name="sla_policy_order_idx")]

    def __str__(self) -> str:
        return self.name


class SlaClock(WorkspaceOwned):
    """The SLA of one conversation: per target its start, warning and due times and when it was met.
    Pausing stores `paused_at`; resuming moves the unmet due times by the paused (business) time."""

    conversation = models.OneToOneField(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="sla_clock"
    )
    policy = models.ForeignKey(SlaPolicy, null=True, on_delete=models.SET_NULL, related_name="clocks")
    first_response_started_at = models.DateTimeField(null=True, blank=True)
    first_response_warn_at = models.DateTimeField(null=True, blank=True)
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    first_response_met_at = models.DateTimeField(null=True, blank=True)
    next_response_started_at = models.DateTimeField(null=True, blank=True)
    next_response_warn_at = models.DateTimeField(null=True, blank=True)
    next_response_due_at = models.DateTimeField(null=True, blank=True)
    next_response_met_at = models.DateTimeField(null=True, blank=True)
    next_response_cycle = models.PositiveIntegerField(default=0)  # one per customer message awaiting reply
    resolution_started_at = models.DateTimeField(null=True, blank=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    resolution_met_at = models.DateTimeField(null=True, blank=True)
    resolution_cycle = models.PositiveIntegerField(default=0)  # a reopened conversation starts a new one
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.BigIntegerField(default=0)  # calendar time spent paused, for reports
    # the earliest warn/due time not yet noticed: the sweep reads only clocks whose check time has come
    next_check_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["next_check_at"], name="sla_clock_check_idx")]  # the sweep


class SlaNotice(WorkspaceOwned):
    """A warning or breach already announced for one target cycle: the unique constraint makes the sweep
    record each `sla.warning` / `sla.breached` event once, even when two sweeps race."""

    clock = models.ForeignKey(SlaClock, on_delete=models.CASCADE, related_name="notices")
    target = models.CharField(max_length=20, choices=Target.choices)
    kind = models.CharField(max_length=10, choices=NoticeKind.choices)
    cycle = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clock", "target", "kind", "cycle"], name="sla_notice_once")
        ]


class Notification(WorkspaceOwned):
    """Something an agent should look at (an SLA escalation, a rule's notify action). Shown in the UI
    later; for now the row is the record."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    conversation_id = models.BigIntegerField(null=True, blank=True)
    text = models.CharField(max_length=300)
    data = models.JSONField(default=dict, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["workspace", "agent", "-created_at"], name="notification_agent_idx")]
