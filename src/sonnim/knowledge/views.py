"""The public help center: /help/<workspace slug>/... Server-rendered, no login; only published, public
articles of that workspace. Votes are POSTs with Django's CSRF check."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from sonnim.core.errors import NotFound
from sonnim.core.models import Workspace

from . import selectors
from .links import article_path
from .rendering import plain_excerpt, render_markdown
from .search import search_articles
from .services import vote_article

RESULTS = 10


def _workspace(slug: str) -> Workspace:
    workspace = Workspace.objects.filter(slug=slug).first()
    if workspace is None:
        raise Http404
    return workspace


def _base(request: HttpRequest, workspace: Workspace, **extra) -> dict:
    return {"workspace": workspace, "categories": selectors.public_categories(workspace), **extra}


def home(request: HttpRequest, workspace_slug: str) -> HttpResponse:
    workspace = _workspace(workspace_slug)
    recent = selectors.public_articles(workspace).order_by("-helpful_count", "pk")[:8]
    return render(request, "knowledge/pages/home.html", _base(request, workspace, articles=recent))


def search(request: HttpRequest, workspace_slug: str) -> HttpResponse:
    workspace = _workspace(workspace_slug)
    query = request.GET.get("q", "").strip()[:200]
    hits = search_articles(workspace, query, top=RESULTS) if query else []
    articles = selectors.articles_by_ids(workspace, [h.article_id for h in hits])
    results = [articles[h.article_id] for h in hits if h.article_id in articles]
    return render(
        request, "knowledge/pages/search.html", _base(request, workspace, query=query, results=results)
    )


def category(request: HttpRequest, workspace_slug: str, category: str) -> HttpResponse:
    workspace = _workspace(workspace_slug)
    articles = list(selectors.public_articles(workspace).filter(category=category).order_by("pk"))
    if not articles:
        raise Http404
    context = _base(
        request,
        workspace,
        category=category,
        category_label=selectors.category_label(category),
        articles=articles,
    )
    return render(request, "knowledge/pages/category.html", context)


def article(request: HttpRequest, workspace_slug: str, category: str, slug: str) -> HttpResponse:
    workspace = _workspace(workspace_slug)
    try:
        found = selectors.get_public_article(workspace, category=category, slug=slug)
    except NotFound as exc:
        raise Http404 from exc
    context = _base(
        request,
        workspace,
        article=found,
        body_html=render_markdown(found.body),
        description=plain_excerpt(found.body, 150),
        category_label=selectors.category_label(found.category),
        voted=request.GET.get("voted") in ("yes", "no"),
    )
    return render(request, "knowledge/pages/article.html", context)


@require_POST
def vote(request: HttpRequest, workspace_slug: str, category: str, slug: str) -> HttpResponse:
    workspace = _workspace(workspace_slug)
    try:
        found = selectors.get_public_article(workspace, category=category, slug=slug)
    except NotFound as exc:
        raise Http404 from exc
    answer = request.POST.get("helpful")
    if answer not in ("yes", "no"):
        return HttpResponse(status=400)
    vote_article(found, is_helpful=answer == "yes")
    return redirect(article_path(workspace.slug, found.category, found.slug) + f"?voted={answer}")
