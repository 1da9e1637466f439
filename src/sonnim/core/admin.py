from django.contrib import admin

from .models import Agent, ApiToken, Event, Team, Workspace


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "slug", "time_zone", "created_at")


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ("id", "display_name", "workspace", "role", "is_active")
    list_filter = ("role", "is_active")
    list_select_related = ("workspace",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "workspace")
    list_select_related = ("workspace",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("id", "prefix", "name", "agent", "created_at", "last_used_at")
    readonly_fields = ("key_hash", "prefix")
    list_select_related = ("agent",)


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only."""

    list_display = ("workspace", "seq", "type", "actor_kind", "conversation_id", "created_at")
    list_filter = ("type",)

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
