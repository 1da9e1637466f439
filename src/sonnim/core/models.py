import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from .choices import ActorKind, Role


def new_config_version() -> int:
    return secrets.randbits(62)  # see core/config.py


class Workspace(models.Model):
    """One shop or company using Sonnim: the tenant. Every tenant row points here."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    time_zone = models.CharField(max_length=64, default="Asia/Seoul")
    # A customer message on a resolved conversation reopens it within this many days, else opens a new one.
    reopen_window_days = models.PositiveIntegerField(default=7)
    # Changes with the configuration the pipeline reads per message (SLA policies and hours, routing and
    # automation rules): processes cache those rows and reload them when it changes (core/config.py).
    config_version = models.PositiveBigIntegerField(default=new_config_version)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class WorkspaceQuerySet(models.QuerySet):
    def for_workspace(self, workspace: Workspace | int) -> "WorkspaceQuerySet":
        return self.filter(workspace=workspace)


class WorkspaceOwned(models.Model):
    """Base of every tenant model: the workspace key and the one scoping choke point."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        abstract = True


class Agent(WorkspaceOwned):
    """A person's membership in one workspace with a role. A user in two workspaces has two agents."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agents")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.AGENT)
    display_name = models.CharField(max_length=120)
    language = models.CharField(max_length=8, default="ko")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "user"], name="agent_unique_membership")]

    def __str__(self) -> str:
        return self.display_name


class Team(WorkspaceOwned):
    """Agents a conversation can be routed to."""

    name = models.CharField(max_length=120)
    members = models.ManyToManyField(Agent, related_name="teams", blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="team_unique_name")]

    def __str__(self) -> str:
        return self.name


class ApiToken(WorkspaceOwned):
    """A bearer token acting as one agent. Only its hash is stored; the token is shown once."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=120, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)  # lookup on every API call
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)


class EventCounter(models.Model):
    """The workspace's last event sequence number. Incremented under a row lock in the writing
    transaction, so sequence order is commit order within a workspace and a client that asks for
    "everything after N" can never skip an event that commits late."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, primary_key=True)
    last_seq = models.BigIntegerField(default=0)


class Event(WorkspaceOwned):
    """Append-only log of every change that matters; feeds realtime, automation and analytics."""

    seq = models.BigIntegerField()
    type = models.CharField(max_length=64)
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor_id = models.BigIntegerField(null=True, blank=True)
    conversation_id = models.BigIntegerField(null=True, blank=True)
    customer_id = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "seq"], name="event_unique_seq")]
        indexes = [
            # the conversation timeline and analytics per conversation
            models.Index(fields=["workspace", "conversation_id", "seq"], name="event_conversation_idx"),
            # KPI queries by type over time
            models.Index(fields=["workspace", "type", "created_at"], name="event_type_idx"),
        ]


class IdempotencyRecord(WorkspaceOwned):
    """The first answer to an API write carrying an Idempotency-Key; a replay gets it again."""

    key = models.CharField(max_length=200)
    fingerprint = models.CharField(
        max_length=64
    )  # method + path + body hash: the same key for another call is refused
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "key"], name="idempotency_unique_key")]
