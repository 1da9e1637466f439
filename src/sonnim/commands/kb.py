"""`sonnim kb import|export|search` (the knowledge base) and `sonnim bot ask` (the first-line bot)."""

import argparse
import json
import sys
from pathlib import Path

from sonnim.cli import emit


def register(sub: argparse._SubParsersAction) -> None:
    kb = sub.add_parser("kb", help="knowledge base").add_subparsers(dest="action", required=True)
    p = kb.add_parser("import", help="import articles from JSONL rows {id, title, body, category, language}")
    p.add_argument("file")
    p.add_argument("--workspace", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=import_kb)

    p = kb.add_parser("export", help="print every article as JSONL (or write --out FILE)")
    p.add_argument("--workspace", required=True)
    p.add_argument("--out")
    p.set_defaults(handler=export_kb)

    p = kb.add_parser("search", help="articles that answer a query")
    p.add_argument("query")
    p.add_argument("--workspace", required=True)
    p.add_argument("--top", type=int, default=5)
    p.add_argument("--internal", action="store_true", help="include agents-only articles")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=search_kb)

    bot = sub.add_parser("bot", help="the first-line bot").add_subparsers(dest="action", required=True)
    p = bot.add_parser("ask", help="what the bot would answer (nothing is stored or sent)")
    p.add_argument("text")
    p.add_argument("--workspace", required=True)
    p.add_argument("--customer", type=int, help="a customer id: answer from their orders")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=bot_ask)


def import_kb(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from sonnim.core.actors import SYSTEM
    from sonnim.core.selectors import get_workspace
    from sonnim.knowledge.services import import_articles

    text = Path(args.file).read_text(encoding="utf-8-sig")
    result = import_articles(get_workspace(args.workspace), text, actor=SYSTEM)
    summary = (
        f"{result.created} articles created, {result.updated} updated, {len(result.errors)} rows refused"
    )
    emit(args, asdict(result), summary)
    return 1 if result.errors else 0


def export_kb(args: argparse.Namespace) -> int:
    from sonnim.core.selectors import get_workspace
    from sonnim.knowledge.selectors import export_articles
    from sonnim.knowledge.services import export_row

    out = Path(args.out).open("w", encoding="utf-8") if args.out else sys.stdout
    try:
        for article in export_articles(get_workspace(args.workspace)).iterator():
            out.write(json.dumps(export_row(article), ensure_ascii=False) + "\n")
    finally:
        if args.out:
            out.close()
    return 0


def search_kb(args: argparse.Namespace) -> int:
    from sonnim.core.selectors import get_workspace
    from sonnim.knowledge.search import search_articles

    hits = search_articles(
        get_workspace(args.workspace),
        args.query,
        top=max(1, min(args.top, 50)),
        include_internal=args.internal,
    )
    rows = [{"id": h.external_id, "score": h.score, "title": h.title} for h in hits]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        for row in rows:
            print(f"{row['score']:.3f}  {row['id']}  {row['title']}")
    return 0


def bot_ask(args: argparse.Namespace) -> int:
    from sonnim.assist.bot import ask
    from sonnim.core.selectors import get_workspace

    answer = ask(get_workspace(args.workspace), args.text, customer_id=args.customer)
    data = {
        "answer": answer.text,
        "sources": answer.sources,
        "confidence": answer.confidence,
        "handoff": answer.handoff,
        "reason": answer.reason,
    }
    emit(args, data, f"[handoff: {answer.reason}]" if answer.handoff else answer.text)
    return 0
