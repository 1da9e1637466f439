"""Admin for articles and the shop's synonym table. Every save bumps the workspace's knowledge version, so
search indexes in every process pick the change up on their next query."""

from django.contrib import admin

from .models import Article, Synonym
from .services import bump_version


class BumpsVersion(admin.ModelAdmin):
    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        bump_version(obj.workspace_id)

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        bump_version(obj.workspace_id)

    def delete_queryset(self, request, queryset) -> None:
        workspace_ids = set(queryset.values_list("workspace_id", flat=True))
        super().delete_queryset(request, queryset)
        for workspace_id in workspace_ids:
            bump_version(workspace_id)


@admin.register(Article)
class ArticleAdmin(BumpsVersion):
    list_display = ("id", "external_id", "title", "category", "language", "status", "is_internal")
    list_filter = ("status", "category", "language", "is_internal")
    search_fields = ("external_id", "title")


@admin.register(Synonym)
class SynonymAdmin(BumpsVersion):
    list_display = ("id", "workspace", "term", "synonyms")
    search_fields = ("term",)
