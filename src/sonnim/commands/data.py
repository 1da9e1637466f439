"""import orders FILE."""

import argparse
from pathlib import Path

from sonnim.cli import emit


def register(sub: argparse._SubParsersAction) -> None:
    imp = sub.add_parser("import", help="import data").add_subparsers(dest="what", required=True)
    p = imp.add_parser("orders", help="orders from CSV (one row per item)")
    p.add_argument("file")
    p.add_argument("--workspace", required=True)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=import_orders)


def import_orders(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from sonnim.commerce.services import import_orders_csv
    from sonnim.core.selectors import get_workspace

    result = import_orders_csv(get_workspace(args.workspace), Path(args.file).read_text(encoding="utf-8-sig"))
    emit(
        args,
        asdict(result),
        f"{result.orders_created} orders created, {result.orders_updated} updated, "
        f"{len(result.errors)} rows refused",
    )
    return 1 if result.errors else 0
