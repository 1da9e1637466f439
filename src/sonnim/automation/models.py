from django.db import models
from django.utils import timezone

from sonnim.core.models import Agent, Team, WorkspaceOwned


class CannedReply(WorkspaceOwned):
    """Saved reply text an agent inserts by typing `/` in the composer. Shared ones are visible to every
    agent of the workspace, the others only to their author. (The macros issue adds actions beside it.)"""

    title = models.CharField(max_length=120)
    text = models.TextField()
    is_shared = models.BooleanField(default=True)
    created_by = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # the composer's list: an agent's visible replies by title
            models.Index(fields=["workspace", "title"], name="canned_reply_title_idx"),
        ]

    def __str__(self) -> str:
        return self.title


# ---- routing and assignment (automation/routing.py) -------------------------------------------------


class AgentStatus(WorkspaceOwned):
    """An agent's availability and capacity: routing assigns only to `online` agents below their capacity
    for the conversation's channel kind. Also the row routing locks (pk order) while it counts loads, so
    concurrent arrivals cannot both take an agent's last free slot. No row = offline."""

    ONLINE, AWAY, OFFLINE = "online", "away", "offline"
    STATUSES = [(ONLINE, "Online"), (AWAY, "Away"), (OFFLINE, "Offline")]

    agent = models.OneToOneField(Agent, on_delete=models.CASCADE, related_name="routing_status")
    status = models.CharField(max_length=10, choices=STATUSES, default=OFFLINE)
    capacity = models.JSONField(default=dict, blank=True)  # {"kakao": 5, "email": 20}; missing kind: default
    default_capacity = models.PositiveSmallIntegerField(default=5)
    last_assigned_at = models.DateTimeField(null=True, blank=True)  # round robin: the longest-waiting first
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["workspace", "status"], name="agent_status_online_idx")]

    def capacity_for(self, channel_kind: str) -> int:
        return int(self.capacity.get(channel_kind, self.default_capacity))


class RoutingRule(WorkspaceOwned):
    """Sends matching conversations to a team, then to one of its agents (round robin or least load).
    First active rule by `order` wins; an empty condition list matches anything (a VIP rule is
    `customer_tiers=["vip"]` at the top)."""

    ROUND_ROBIN, LEAST_LOAD, TEAM_ONLY = "round_robin", "least_load", "team_only"
    STRATEGIES = [(ROUND_ROBIN, "Round robin"), (LEAST_LOAD, "Least load"), (TEAM_ONLY, "Team only")]

    name = models.CharField(max_length=120)
    order = models.IntegerField(default=0)
    is_active = models.BooleanField(default=True)
    channel_kinds = models.JSONField(default=list, blank=True)
    categories = models.JSONField(default=list, blank=True)
    languages = models.JSONField(default=list, blank=True)
    customer_tiers = models.JSONField(default=list, blank=True)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    strategy = models.CharField(max_length=12, choices=STRATEGIES, default=ROUND_ROBIN)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["workspace", "is_active", "order"], name="routing_rule_order_idx")]


# ---- automation rules (automation/rules/) -------------------------------------------------------------


class Rule(WorkspaceOwned):
    """When `event_type` happens and every condition holds, run the actions in order (automation/rules/).
    Conditions: [{"field", "op", "value"}]; actions: [{"type": RULE_ACTIONS key, "params": {...}}]."""

    name = models.CharField(max_length=120)
    order = models.IntegerField(default=0)
    is_active = models.BooleanField(default=True)
    event_type = models.CharField(max_length=64)  # message.received, conversation.created, sla.breached, ...
    conditions = models.JSONField(default=list, blank=True)
    # event_type "time.elapsed" only: {"since": a rules.timers.ANCHORS key, "minutes": N, "calendar_id":
    # id or None} (with a calendar, N counts business minutes); rules/timers.py fires it once per anchor.
    time_trigger = models.JSONField(default=dict, blank=True)
    actions = models.JSONField(default=list)
    fire_count = models.PositiveIntegerField(default=0)
    last_fired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # the engine: a workspace's active rules for one event type, in order
            models.Index(fields=["workspace", "event_type", "is_active", "order"], name="rule_event_idx")
        ]

    def __str__(self) -> str:
        return self.name


class RuleTimeFiring(WorkspaceOwned):
    """A time-based rule fired on one conversation for one qualifying period, which starts at `anchor_at`
    (the status change, the last message, ...). Written in the transaction of the rule's actions: the
    constraint makes a repeated or crashed sweep fire each period at most once."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="time_firings")
    conversation = models.ForeignKey("conversations.Conversation", on_delete=models.CASCADE, related_name="+")
    anchor_at = models.DateTimeField()
    fired_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "conversation", "anchor_at"], name="rule_time_firing_once"
            )
        ]


class RuleEventCursor(models.Model):
    """The last event sequence number the rules engine looked at in a workspace (events recorded outside
    the pipeline: status changes by agents, SLA warnings and breaches)."""

    workspace = models.OneToOneField(
        "core.Workspace", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_seq = models.BigIntegerField(default=0)


# ---- macros, auto-close, surveys (automation/macros.py, autoclose.py, surveys.py) ---------------------


class Macro(WorkspaceOwned):
    """Reply text with variables ({customer_name}, {order_number}, {tracking_url}, {agent_name}) plus rule
    actions run when it is applied. Versions of one macro in other languages share its `key`."""

    key = models.SlugField(max_length=60)  # one macro, several language versions
    language = models.CharField(max_length=8, default="ko")
    title = models.CharField(max_length=120)
    text = models.TextField()
    actions = models.JSONField(default=list, blank=True)  # [{"type": RULE_ACTIONS key, "params": {...}}]
    is_shared = models.BooleanField(default=True)
    created_by = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    usage_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "key", "language", "created_by"], name="macro_unique_version"
            )
        ]
        indexes = [models.Index(fields=["workspace", "key"], name="macro_key_idx")]  # the composer's list


class AutoCloseSetting(WorkspaceOwned):
    """Pending conversations with no customer answer for `days` are closed, after `final_message` is sent
    (empty: closed silently)."""

    days = models.PositiveSmallIntegerField(default=7)
    final_message = models.TextField(blank=True, default="")
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace"], name="autoclose_one_per_workspace")]


class SurveySetting(WorkspaceOwned):
    """Which surveys a workspace sends after resolution. No row: both on (the defaults)."""

    csat_enabled = models.BooleanField(default=True)  # 1-5 satisfaction after every resolution
    nps_enabled = models.BooleanField(default=True)  # 0-10 recommendation, capped per customer

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace"], name="survey_setting_one_per_workspace")]


class Survey(WorkspaceOwned):
    """The satisfaction survey of one resolved conversation: one per conversation (the constraint makes a
    second send a no-op). Answered on a public page reached by a signed token."""

    conversation = models.OneToOneField(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="survey"
    )
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    includes_csat = models.BooleanField(default=True)  # False: an NPS-only survey (CSAT switched off)
    includes_nps = models.BooleanField(default=False)  # NPS asked too (frequency cap per customer)
    language = models.CharField(max_length=8, default="ko")
    csat_score = models.PositiveSmallIntegerField(null=True, blank=True)  # 1-5
    nps_score = models.PositiveSmallIntegerField(null=True, blank=True)  # 0-10
    comment = models.TextField(blank=True, default="")
    sent_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # the NPS frequency cap: the customer's latest survey that asked NPS
        indexes = [
            models.Index(
                fields=["workspace", "customer", "includes_nps", "-sent_at"], name="survey_nps_cap_idx"
            )
        ]
