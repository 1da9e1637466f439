"""Writes of articles and synonyms. Every write bumps the workspace's KnowledgeVersion in the same
transaction, so each process's search index notices the change on its next query."""

import json
import uuid
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from sonnim.core.actors import Actor
from sonnim.core.errors import SonnimError
from sonnim.core.events import record_event
from sonnim.core.models import Workspace

from .choices import ArticleStatus
from .errors import KnowledgeError
from .models import Article, KnowledgeVersion, Synonym

MAX_BODY_CHARS = 200_000


def bump_version(workspace: Workspace | int) -> None:
    workspace_id = getattr(workspace, "pk", workspace)
    token = uuid.uuid4().hex
    rows = KnowledgeVersion.objects.filter(workspace_id=workspace_id)
    if not rows.update(version=F("version") + 1, token=token):
        KnowledgeVersion.objects.get_or_create(
            workspace_id=workspace_id, defaults={"version": 1, "token": token}
        )


def _unique_slug(workspace: Workspace, base: str, *, exclude_pk: int | None = None) -> str:
    base = (slugify(base, allow_unicode=True) or "article")[:100]
    taken = set(
        Article.objects.for_workspace(workspace)
        .filter(slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


@dataclass(frozen=True)
class ArticleInput:
    external_id: str
    body: str
    title: str = ""
    category: str = "other"
    language: str = "ko"
    status: str = ArticleStatus.PUBLISHED
    is_internal: bool = False


def _check(data: ArticleInput) -> None:
    if not data.external_id.strip() or len(data.external_id) > 100:
        raise SonnimError(
            KnowledgeError.INVALID_ARTICLE, _("An article needs an id of at most 100 characters.")
        )
    if not data.body.strip() or len(data.body) > MAX_BODY_CHARS:
        raise SonnimError(KnowledgeError.INVALID_ARTICLE, _("An article needs a body (Markdown)."))
    if data.status not in ArticleStatus.values:
        raise SonnimError(KnowledgeError.INVALID_ARTICLE, _("Unknown article status."))


def _save_article(workspace: Workspace, data: ArticleInput) -> tuple[Article, bool]:
    """Create or update by external id (under the unique constraint); the slug is made once."""
    _check(data)
    values = {
        "title": data.title.strip()[:300],
        "body": data.body,
        "category": (data.category or "other").strip()[:40],
        "language": (data.language or "ko").strip()[:8],
        "status": data.status,
        "is_internal": data.is_internal,
        "updated_at": timezone.now(),
    }
    article = (
        Article.objects.for_workspace(workspace)
        .select_for_update()
        .filter(external_id=data.external_id)
        .first()
    )
    if article is None:
        base = data.title or data.body.strip().splitlines()[0][:60] or data.external_id
        article = Article.objects.create(
            workspace=workspace, external_id=data.external_id, slug=_unique_slug(workspace, base), **values
        )
        return article, True
    for name, value in values.items():
        setattr(article, name, value)
    article.save(update_fields=list(values))
    return article, False


@transaction.atomic
def save_article(workspace: Workspace, *, data: ArticleInput, actor: Actor) -> Article:
    article, created = _save_article(workspace, data)
    bump_version(workspace)
    record_event(
        workspace.pk,
        "article.created" if created else "article.updated",
        actor=actor,
        data={"article_id": article.pk, "external_id": article.external_id},
    )
    return article


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[dict] = field(default_factory=list)


def parse_article_line(line: str) -> ArticleInput:
    row = json.loads(line)
    if not isinstance(row, dict):
        raise ValueError("not an object")
    return ArticleInput(
        external_id=str(row.get("id", "")).strip(),
        title=str(row.get("title") or ""),
        body=str(row.get("body") or ""),
        category=str(row.get("category") or "other"),
        language=str(row.get("language") or "ko"),
        status=str(row.get("status") or ArticleStatus.PUBLISHED),
        is_internal=bool(row.get("is_internal", False)),
    )


@transaction.atomic
def import_articles(workspace: Workspace, text: str, *, actor: Actor) -> ImportResult:
    """JSONL rows {"id", "title", "body", "category", "language"} (optionally "status", "is_internal"),
    upserted by id. A bad row is reported with its line number and the rest are imported."""
    result = ImportResult()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            with transaction.atomic():
                _article, created = _save_article(workspace, parse_article_line(line))
        except (ValueError, TypeError) as exc:
            result.errors.append(
                {"line": number, "code": KnowledgeError.INVALID_IMPORT, "message": str(exc)[:200]}
            )
            continue
        except SonnimError as exc:
            result.errors.append({"line": number, "code": exc.code, "message": exc.message})
            continue
        if created:
            result.created += 1
        else:
            result.updated += 1
    if result.created or result.updated:
        bump_version(workspace)
        record_event(
            workspace.pk,
            "articles.imported",
            actor=actor,
            data={"created": result.created, "updated": result.updated},
        )
    return result


def export_row(article: Article) -> dict:
    return {
        "id": article.external_id,
        "title": article.title,
        "body": article.body,
        "category": article.category,
        "language": article.language,
        "status": article.status,
        "is_internal": article.is_internal,
    }


@transaction.atomic
def set_synonyms(workspace: Workspace, *, term: str, synonyms: list[str], actor: Actor) -> Synonym | None:
    """Replace a term's synonyms; an empty list removes the term."""
    term = term.strip()[:60]
    cleaned = sorted({s.strip()[:60] for s in synonyms if s.strip() and s.strip() != term})
    if not term:
        raise SonnimError("invalid_input", _("A synonym entry needs a term."))
    if not cleaned:
        Synonym.objects.for_workspace(workspace).filter(term=term).delete()
        bump_version(workspace)
        return None
    synonym, _created = Synonym.objects.update_or_create(
        workspace=workspace, term=term, defaults={"synonyms": cleaned, "updated_at": timezone.now()}
    )
    bump_version(workspace)
    record_event(workspace.pk, "synonyms.changed", actor=actor, data={"term": term, "synonyms": cleaned})
    return synonym


@transaction.atomic
def vote_article(article: Article, *, is_helpful: bool) -> None:
    """A help-center reader's "was this helpful?" answer: a counter, updated in the database (no read-
    modify-write race). Votes do not change the search index, so the version stays."""
    name = "helpful_count" if is_helpful else "not_helpful_count"
    Article.objects.filter(pk=article.pk, workspace_id=article.workspace_id).update(**{name: F(name) + 1})
