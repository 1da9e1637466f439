"""`sonnim bench <scenario>`: benchmarks that print one JSON object. Data generation is not timed."""

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser("bench", help="benchmarks (print JSON)").add_subparsers(dest="scenario", required=True)
    p = bench.add_parser("ingest", help="inbound messages through the whole pipeline")
    p.add_argument("--mode", choices=["http", "batch"], default="http")
    p.add_argument("--messages", type=int, default=2000)
    p.set_defaults(handler=run_bench, module="ingest")

    p = bench.add_parser("inbox", help="first page of the open-conversations list")
    p.add_argument("--conversations", type=int, default=100_000)
    p.add_argument("--requests", type=int, default=200)
    p.set_defaults(handler=run_bench, module="inbox")

    p = bench.add_parser("search", help="Korean full-text queries")
    p.add_argument("--messages", type=int, default=100_000)
    p.add_argument("--queries", type=int, default=200)
    p.set_defaults(handler=run_bench, module="search")


def run_bench(args: argparse.Namespace) -> int:
    import importlib

    module = importlib.import_module(f"sonnim.bench.{args.module}")
    options = {k: v for k, v in vars(args).items() if k not in ("handler", "module", "command", "scenario")}
    print(json.dumps(module.run(**options), ensure_ascii=False))
    return 0
