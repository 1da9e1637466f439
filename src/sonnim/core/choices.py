from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")  # everything, including deleting the workspace
    ADMIN = "admin", _("Admin")  # settings: inboxes, agents, teams
    SUPERVISOR = "supervisor", _("Supervisor")  # queues, assignment, reports
    AGENT = "agent", _("Agent")  # answers conversations


ADMIN_ROLES = {Role.OWNER, Role.ADMIN}
SUPERVISOR_ROLES = {Role.OWNER, Role.ADMIN, Role.SUPERVISOR}


class ActorKind(models.TextChoices):
    AGENT = "agent", _("Agent")
    CUSTOMER = "customer", _("Customer")
    RULE = "rule", _("Rule")
    BOT = "bot", _("Bot")
    SYSTEM = "system", _("System")
