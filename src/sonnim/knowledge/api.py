"""The knowledge-base API: search for agents (internal articles included on request)."""

from django.http import HttpRequest
from ninja import Query, Router, Schema

from sonnim.core.auth import agent_auth

from .links import article_url
from .search import search_articles

router = Router(tags=["knowledge"], auth=agent_auth)


class KbHitOut(Schema):
    id: str  # the article's external id (the JSONL "id")
    score: float
    title: str
    category: str
    url: str


class KbSearchQuery(Schema):
    q: str
    top: int = 5
    internal: bool = True


@router.get("/kb/search", response=list[KbHitOut])
def kb_search(request: HttpRequest, query: Query[KbSearchQuery]):
    """Articles that answer the query, best first; `internal=false` leaves out agents-only articles."""
    workspace = request.auth.workspace
    hits = search_articles(
        workspace, query.q[:500], top=max(1, min(query.top, 50)), include_internal=query.internal
    )
    return [
        KbHitOut(
            id=h.external_id, score=h.score, title=h.title, category=h.category, url=article_url(workspace, h)
        )
        for h in hits
    ]
