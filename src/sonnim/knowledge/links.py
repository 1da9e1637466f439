"""Public addresses of help-center pages (for the bot's answers, the API and the pages themselves)."""

from django.conf import settings
from django.urls import reverse

from sonnim.core.models import Workspace


def article_path(workspace_slug: str, category: str, slug: str) -> str:
    return reverse("help-article", args=[workspace_slug, category, slug])


def article_url(workspace: Workspace, article) -> str:
    """Absolute (SONNIM_PUBLIC_URL): it leaves Sonnim in chat replies. `article` is an Article or a Hit."""
    return settings.PUBLIC_URL + article_path(workspace.slug, article.category, article.slug)
