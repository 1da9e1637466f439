"""`sonnim bench <scenario>`: benchmarks that print one JSON object. Data generation is not timed."""

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser("bench", help="benchmarks (print JSON)").add_subparsers(
        dest="scenario", required=True
    )
    p = bench.add_parser("ingest", help="inbound messages through the whole pipeline")
    p.add_argument("--mode", choices=["http", "batch"], default="http")
    p.add_argument("--messages", type=int, default=2000)
    p.add_argument("--connections", type=int, default=4, help="http mode: concurrent keep-alive connections")
    p.add_argument("--workers", type=int, default=1, help="the server's HTTP processes (serve --workers)")
    p.set_defaults(handler=run_bench, module="ingest")

    p = bench.add_parser("inbox", help="first page of the open-conversations list")
    p.add_argument("--conversations", type=int, default=100_000)
    p.add_argument("--requests", type=int, default=200)
    p.set_defaults(handler=run_bench, module="inbox")

    p = bench.add_parser("search", help="Korean full-text queries")
    p.add_argument("--messages", type=int, default=100_000)
    p.add_argument("--queries", type=int, default=200)
    p.set_defaults(handler=run_bench, module="search")

    p = bench.add_parser("kb", help="knowledge-base search (BM25 + n-grams + synonyms)")
    p.add_argument("--articles", type=int, default=10_000)
    p.add_argument("--queries", type=int, default=200)
    p.set_defaults(handler=run_bench, module="kb")

    p = bench.add_parser("email", help="raw mail parsed and ingested through the pipeline")
    p.add_argument("--messages", type=int, default=2000)
    p.set_defaults(handler=run_bench, module="email")

    p = bench.add_parser("webhook", help="TalkTalk events or Kakao skill requests through the webhook")
    p.add_argument("--channel", choices=["talktalk", "kakao"], default="kakao")
    p.add_argument("--messages", type=int, default=1000)
    p.add_argument(
        "--no-bot", action="store_true", help="kakao: bot off, every request gets the acknowledgment"
    )
    p.set_defaults(handler=run_bench, module="webhook")

    p = bench.add_parser("sla", help="one full SLA sweep over N conversations with clocks")
    p.add_argument("--conversations", type=int, default=100_000)
    p.add_argument("--due", type=int, default=1000, help="clocks that crossed a threshold since last sweep")
    p.set_defaults(handler=run_bench, module="sla")

    p = bench.add_parser("rules", help="pipeline cost per inbound message with N active rules")
    p.add_argument("--rules", type=int, default=200)
    p.add_argument("--messages", type=int, default=300)
    p.set_defaults(handler=run_bench, module="rules")


def run_bench(args: argparse.Namespace) -> int:
    import importlib

    module = importlib.import_module(f"sonnim.bench.{args.module}")
    options = {k: v for k, v in vars(args).items() if k not in ("handler", "module", "command", "scenario")}
    print(json.dumps(module.run(**options), ensure_ascii=False))
    return 0
