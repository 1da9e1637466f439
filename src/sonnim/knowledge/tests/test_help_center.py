"""The public help center through Django's test client: pages, search, votes with CSRF, isolation."""

import pytest
from django.test import Client
from django.utils.encoding import iri_to_uri

from sonnim.core.actors import SYSTEM
from sonnim.knowledge.models import Article
from sonnim.knowledge.services import ArticleInput, save_article

pytestmark = pytest.mark.django_db


def test_home_lists_categories_and_search_box(client, workspace, sample_kb):
    response = client.get(f"/help/{workspace.slug}/", HTTP_ACCEPT_LANGUAGE="ko")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="viewport"' in html and 'role="search"' in html
    assert "고객센터" in html or "도움말" in html
    assert f'href="/help/{workspace.slug}/delivery/"' in html
    assert "VIP 고객 응대 기준" not in html  # internal


def test_english_interface(client, workspace, sample_kb):
    html = client.get(f"/help/{workspace.slug}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Help center" in html and "How can we help?" in html


def test_article_page_renders_markdown_safely(client, workspace):
    article = save_article(
        workspace,
        data=ArticleInput(
            external_id="x1",
            title="배송 안내",
            body="**굵게** 안내\n\n<script>alert(1)</script>\n\n[링크](javascript:alert(2))",
            category="delivery",
        ),
        actor=SYSTEM,
    )
    response = client.get(f"/help/{workspace.slug}/delivery/{article.slug}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>굵게</strong>" in html
    assert "<script>alert" not in html and 'href="javascript' not in html
    assert '<meta name="description" content="굵게 안내' in html
    assert '<link rel="canonical"' in html


def test_seo_url_is_category_and_slug(client, workspace, sample_kb):
    article = Article.objects.get(workspace=workspace, external_id="refund-when")
    assert article.slug == "환불은-언제-되나요"
    assert client.get(f"/help/{workspace.slug}/refund/{article.slug}/").status_code == 200
    assert client.get(f"/help/{workspace.slug}/delivery/{article.slug}/").status_code == 404  # wrong category


def test_search_page_finds_articles(client, workspace, sample_kb):
    html = client.get(f"/help/{workspace.slug}/search/", {"q": "환불 언제 돼요"}).content.decode()
    assert "환불은 언제 되나요?" in html


def test_vote_is_counted_and_needs_csrf(workspace, sample_kb):
    article = Article.objects.get(workspace=workspace, external_id="ship-time")
    url = f"/help/{workspace.slug}/{article.category}/{article.slug}/"
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(url + "vote", {"helpful": "yes"}).status_code == 403
    page = strict.get(url)
    token = page.cookies["csrftoken"].value
    response = strict.post(url + "vote", {"helpful": "yes", "csrfmiddlewaretoken": token})
    assert (response.status_code, response["Location"]) == (302, iri_to_uri(url) + "?voted=yes")
    strict.post(url + "vote", {"helpful": "no", "csrfmiddlewaretoken": token})
    article.refresh_from_db()
    assert (article.helpful_count, article.not_helpful_count) == (1, 1)


def test_other_workspace_shows_only_its_own_articles(client, workspace, other_workspace, sample_kb):
    save_article(
        other_workspace,
        data=ArticleInput(
            external_id="o1", title="다른샵 배송 안내", body="다른샵은 3일 걸려요", category="delivery"
        ),
        actor=SYSTEM,
    )
    html = client.get(f"/help/{other_workspace.slug}/").content.decode()
    assert "다른샵 배송 안내" in html and "환불은 언제 되나요?" not in html
    search = client.get(f"/help/{other_workspace.slug}/search/", {"q": "환불 언제"}).content.decode()
    assert "환불은 언제 되나요?" not in search
    mine = Article.objects.get(workspace=workspace, external_id="refund-when")
    assert client.get(f"/help/{other_workspace.slug}/refund/{mine.slug}/").status_code == 404
    assert client.get("/help/no-such-shop/").status_code == 404


def test_draft_and_internal_articles_are_not_public(client, workspace, sample_kb):
    internal = Article.objects.get(workspace=workspace, external_id="internal-vip")
    assert client.get(f"/help/{workspace.slug}/{internal.category}/{internal.slug}/").status_code == 404


def test_kb_search_api(api, agent, workspace, sample_kb, other_workspace_agent):
    response = api(agent).get("/api/v1/kb/search", q="환불 언제 돼요", top=3)
    body = response.json()
    assert response.status_code == 200 and len(body) == 3
    assert body[0]["id"] == "refund-when"
    assert body[0]["url"].endswith(
        f"/help/{workspace.slug}/refund/%ED%99%98%EB%B6%88%EC%9D%80-%EC%96%B8%EC%A0%9C-%EB%90%98%EB%82%98%EC%9A%94/"
    )
    assert set(body[0]) == {"id", "score", "title", "category", "url"}
    assert api(other_workspace_agent).get("/api/v1/kb/search", q="환불 언제 돼요").json() == []
