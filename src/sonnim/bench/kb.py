"""`sonnim bench kb`: knowledge-base search over N articles (generated in bulk, untimed).

Articles are the project's sample help center repeated with varied product words, so the index has the
shape of a real one (many near-duplicates, Korean and English). Times search_articles() end to end: the
freshness check (one query) plus BM25, synonyms and n-grams over the in-memory index."""

import json
import random
import time
from pathlib import Path

from django.utils import timezone

from sonnim.core.actors import SYSTEM
from sonnim.core.services import create_workspace
from sonnim.knowledge.models import Article
from sonnim.knowledge.search import index_for, search_articles
from sonnim.knowledge.services import bump_version

from .common import bench_database, latency_summary, peak_rss_mb

DATA = Path(__file__).parent.parent / "knowledge" / "data"
WORDS = [
    "원피스",
    "니트",
    "운동화",
    "청바지",
    "텀블러",
    "선크림",
    "패딩",
    "가방",
    "셔츠",
    "이불",
    "coat",
    "bag",
    "mug",
]
WARMUP = 5


def generate(workspace, count: int) -> None:
    rng = random.Random(11)
    samples = [json.loads(line) for line in (DATA / "sample_kb.jsonl").read_text().splitlines() if line]
    now = timezone.now()
    batch = []
    for i in range(count):
        s = samples[i % len(samples)]
        word = rng.choice(WORDS)
        batch.append(
            Article(
                workspace=workspace,
                external_id=f"{s['id']}-{i}",
                title=f"{s['title']} ({word})",
                body=f"{s['body']}\n\n{word} 상품 기준 안내입니다. 문서 {i}.",
                category=s["category"],
                language=s["language"],
                slug=f"a-{i}",
                updated_at=now,
            )
        )
        if len(batch) == 2000:
            Article.objects.bulk_create(batch)
            batch = []
    Article.objects.bulk_create(batch)
    bump_version(workspace)


def run(articles: int = 10_000, queries: int = 200) -> dict:
    from django.db import transaction

    query_rows = [json.loads(line) for line in (DATA / "kb_queries.jsonl").read_text().splitlines() if line]
    with bench_database():
        with transaction.atomic():
            workspace = create_workspace(name="bench kb", actor=SYSTEM)
            generate(workspace, articles)
        started = time.perf_counter()
        index_for(workspace)
        build_seconds = time.perf_counter() - started
        for row in query_rows[:WARMUP]:
            search_articles(workspace, row["query"])
        times = []
        for i in range(queries):
            q = query_rows[i % len(query_rows)]["query"]
            t = time.perf_counter()
            search_articles(workspace, q, top=5)
            times.append(time.perf_counter() - t)
    return {
        "scenario": "kb",
        "articles": articles,
        "queries": queries,
        "index_build_s": round(build_seconds, 2),
        **latency_summary(times),
        "peak_rss_mb": peak_rss_mb(),
    }
