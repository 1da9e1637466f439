"""Help-center suggestions in the widget before a first message, and deflection counted once per visitor
and article: through Django's test client, the real KB search and the event log."""

import json
from pathlib import Path

import pytest

from sonnim.core.actors import SYSTEM
from sonnim.core.models import Event
from sonnim.knowledge.links import article_url
from sonnim.knowledge.models import Article
from sonnim.knowledge.services import import_articles
from sonnim.testing.fixtures import clear_cache

from .fixtures import SHOP_ORIGIN, VisitorClient, make_chat

pytestmark = pytest.mark.django_db(transaction=True)

SAMPLE_KB = Path(__file__).resolve().parents[2] / "knowledge" / "data" / "sample_kb.jsonl"
EXTRA = [  # a draft and an internal article that match "배송 며칠" better than anything: never suggested
    {
        "id": "draft-ship",
        "title": "배송 며칠 걸려요 (초안)",
        "body": "배송 며칠 초안",
        "category": "delivery",
        "status": "draft",
    },
    {
        "id": "internal-ship",
        "title": "배송 며칠 걸려요 (내부)",
        "body": "배송 며칠 내부 안내",
        "category": "delivery",
        "is_internal": True,
    },
]


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def shop(workspace):
    text = SAMPLE_KB.read_text(encoding="utf-8") + "\n".join(
        json.dumps(row, ensure_ascii=False) for row in EXTRA
    )
    import_articles(workspace, text, actor=SYSTEM)
    return make_chat(workspace)


def test_suggestions_are_the_shops_public_articles_for_the_question(shop, other_workspace, settings):
    import_articles(other_workspace, SAMPLE_KB.read_text(encoding="utf-8"), actor=SYSTEM)
    visitor = VisitorClient(shop)
    visitor.start()

    # The whole question finds the delivery-time article among the three ("배송 며칠" alone ranks the short
    # "불량·오배송" article above it: a matter of knowledge.search's ranking, not of the widget).
    response = visitor.get("articles", q="배송은 며칠 걸려요")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SHOP_ORIGIN
    articles = response.json()["articles"]
    assert 1 <= len(articles) <= 3
    ship_time = Article.objects.get(workspace=shop.inbox.workspace, external_id="ship-time")
    first = next(a for a in articles if a["id"] == ship_time.pk)
    assert first["title"] == "배송은 얼마나 걸리나요?"
    assert first["url"] == article_url(shop.inbox.workspace, ship_time)
    assert first["url"].startswith(f"{settings.PUBLIC_URL}/help/")
    own = set(
        Article.objects.filter(
            workspace=shop.inbox.workspace, status="published", is_internal=False
        ).values_list("pk", flat=True)
    )
    assert {a["id"] for a in articles} <= own  # no draft, no internal, nothing of the other shop
    short = visitor.get("articles", q="배송 며칠").json()["articles"]  # the draft and internal match best
    assert short and {a["id"] for a in short} <= own
    assert "1~2영업일" in first["excerpt"] and "**" not in first["excerpt"]

    assert visitor.get("articles", q="").json() == {"articles": []}  # no helpful votes yet
    Article.objects.filter(pk=first["id"]).update(helpful_count=5)
    assert [a["id"] for a in visitor.get("articles").json()["articles"]] == [first["id"]]


def test_suggestions_refuse_other_sites_and_need_a_session(shop):
    evil = VisitorClient(shop, origin="https://evil.example")
    refused = evil.get("articles", q="배송 며칠")
    assert refused.status_code == 403
    assert refused.json()["code"] == "origin_not_allowed"
    assert VisitorClient(shop).get("articles", q="배송 며칠").status_code == 401
    assert evil.post("articles/1/deflected", {}).status_code == 403


def test_a_deflection_counts_once_per_visitor_and_article(shop):
    visitor = VisitorClient(shop)
    visitor.start()
    article = visitor.get("articles", q="배송 며칠").json()["articles"][0]

    first = visitor.post(f"articles/{article['id']}/deflected", {})
    assert (first.status_code, first.json()) == (201, {"counted": True})
    again = visitor.post(f"articles/{article['id']}/deflected", {})
    assert (again.status_code, again.json()) == (200, {"counted": False})
    event = Event.objects.get(type="kb.deflected")
    assert event.workspace_id == shop.inbox.workspace_id
    assert event.data["article_id"] == article["id"] and event.data["inbox_id"] == shop.inbox.pk

    other_visitor = VisitorClient(shop, ip="203.0.113.8")
    other_visitor.start()
    assert other_visitor.post(f"articles/{article['id']}/deflected", {}).status_code == 201
    assert Event.objects.filter(type="kb.deflected").count() == 2


def test_only_public_articles_of_the_shop_can_be_deflected(shop, other_workspace):
    import_articles(other_workspace, SAMPLE_KB.read_text(encoding="utf-8"), actor=SYSTEM)
    visitor = VisitorClient(shop)
    visitor.start()
    foreign = Article.objects.filter(workspace=other_workspace).first()
    internal = Article.objects.get(workspace=shop.inbox.workspace, external_id="internal-ship")
    draft = Article.objects.get(workspace=shop.inbox.workspace, external_id="draft-ship")
    for article in (foreign, internal, draft):
        response = visitor.post(f"articles/{article.pk}/deflected", {})
        assert response.status_code == 404, article.external_id
    assert not Event.objects.filter(type="kb.deflected").exists()


def test_the_bot_enabled_chat_answers_delivery_and_return_questions_itself(workspace):
    """The demo's done-when: the sample shop's chat (the bot inbox) answers from the sample help center."""
    from sonnim.inboxes.services import update_inbox

    from .test_api import work

    import_articles(workspace, SAMPLE_KB.read_text(encoding="utf-8"), actor=SYSTEM)
    chat = make_chat(workspace)
    update_inbox(chat.inbox, actor=SYSTEM, is_bot_enabled=True)
    visitor = VisitorClient(chat)
    visitor.start()
    for question, answer in [
        ("배송은 보통 며칠 걸리나요?", "배송은 얼마나 걸리나요?"),
        ("반품은 어떻게 신청하나요?", "반품 신청 방법"),
    ]:
        assert visitor.say(question).status_code == 201
        work()
        items = visitor.get("poll", after=0, wait=0).json()["items"]
        assert any(i.get("from") == "bot" and answer in i["text"] for i in items), items
