from django.db import models
from django.utils import timezone

from sonnim.core.models import WorkspaceOwned

from .choices import ArticleStatus


class Article(WorkspaceOwned):
    """A help-center article in Markdown. `external_id` is the shop's own id (the JSONL `id`), kept across
    import and export; the help center addresses an article by category and slug."""

    external_id = models.CharField(max_length=100)
    title = models.CharField(max_length=300, blank=True, default="")
    body = models.TextField()  # Markdown; rendered through nh3 before it reaches a page
    category = models.CharField(max_length=40, blank=True, default="other")
    language = models.CharField(max_length=8, blank=True, default="ko")
    status = models.CharField(max_length=12, choices=ArticleStatus.choices, default=ArticleStatus.PUBLISHED)
    is_internal = models.BooleanField(default=False)  # agents and suggestions only, never public or the bot
    slug = models.SlugField(max_length=120, allow_unicode=True)
    helpful_count = models.PositiveIntegerField(default=0)
    not_helpful_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "external_id"], name="article_unique_external_id"),
            models.UniqueConstraint(fields=["workspace", "slug"], name="article_unique_slug"),
        ]
        indexes = [
            # the help center's category pages and the search index's freshness check
            models.Index(fields=["workspace", "status", "category"], name="article_category_idx"),
            models.Index(fields=["workspace", "-updated_at"], name="article_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.title or self.external_id

    @property
    def display_title(self) -> str:
        """The title, or the body's first line for a title-less FAQ entry."""
        if self.title:
            return self.title
        lines = self.body.strip().splitlines()
        return lines[0].lstrip("# ")[:120] if lines else self.external_id


class Synonym(WorkspaceOwned):
    """Words a shop's customers use for the same thing ("반품" ~ "돌려보내기", "송장" ~ "운송장"): a query
    with any of them also searches the others."""

    term = models.CharField(max_length=60)
    synonyms = models.JSONField(default=list)  # list[str]
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "term"], name="synonym_unique_term")]


class KnowledgeVersion(WorkspaceOwned):
    """Bumped by every write of articles or synonyms of a workspace: processes compare it with the version
    their in-memory search index was built from, and rebuild when it moved."""

    version = models.PositiveBigIntegerField(default=0)
    # A fresh random value per bump: a rolled-back or recreated workspace can never match a stale index.
    token = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace"], name="knowledge_version_unique")]
