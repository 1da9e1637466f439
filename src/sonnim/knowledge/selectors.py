"""Reads of articles: scoped to a workspace; the help center sees only published, public articles."""

from dataclasses import dataclass

from django.db.models import Count, QuerySet

from sonnim.core.errors import NotFound
from sonnim.core.models import Workspace

from .choices import CATEGORY_LABELS, ArticleStatus
from .errors import KnowledgeError
from .models import Article


def public_articles(workspace: Workspace) -> QuerySet[Article]:
    return Article.objects.for_workspace(workspace).filter(status=ArticleStatus.PUBLISHED, is_internal=False)


def get_public_article(workspace: Workspace, *, category: str, slug: str) -> Article:
    article = public_articles(workspace).filter(category=category, slug=slug).first()
    if article is None:
        raise NotFound(KnowledgeError.ARTICLE_NOT_FOUND, "Article not found.")
    return article


def articles_by_ids(workspace: Workspace, ids: list[int]) -> dict[int, Article]:
    return Article.objects.for_workspace(workspace).in_bulk(ids)


@dataclass(frozen=True)
class CategoryCount:
    code: str
    label: str
    count: int


def category_label(code: str) -> str:
    return str(CATEGORY_LABELS.get(code, code.replace("_", " ").capitalize()))


def public_categories(workspace: Workspace) -> list[CategoryCount]:
    """Categories with public articles, in the default order first, then the shop's own codes."""
    counts = dict(
        public_articles(workspace).values("category").annotate(n=Count("pk")).values_list("category", "n")
    )
    order = [c for c in CATEGORY_LABELS if c in counts] + sorted(
        c for c in counts if c not in CATEGORY_LABELS
    )
    return [CategoryCount(code=c, label=category_label(c), count=counts[c]) for c in order]


def export_articles(workspace: Workspace) -> QuerySet[Article]:
    return Article.objects.for_workspace(workspace).order_by("pk")
