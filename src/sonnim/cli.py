"""The `sonnim` command: one entry point for operators and scripts. Every command prints JSON with --json."""

import argparse
import json
import os
import sys
from collections.abc import Callable

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def setup_django(settings_module: str = "sonnim.settings.dev") -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    import django

    django.setup()


def emit(args: argparse.Namespace, data: dict, text: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(data, ensure_ascii=False, default=str))
    else:
        print(text)


def build_parser() -> argparse.ArgumentParser:
    from sonnim.commands import register_all

    parser = argparse.ArgumentParser(prog="sonnim", description="Sonnim customer-service desk")
    sub = parser.add_subparsers(dest="command", required=True)
    register_all(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["manage"]:  # Django's management commands, unchanged
        setup_django()
        from django.core.management import execute_from_command_line

        execute_from_command_line(["sonnim manage", *argv[1:]])
        return 0
    args = build_parser().parse_args(argv)
    setup_django()
    from sonnim.core.errors import SonnimError

    try:
        return args.handler(args) or 0
    except SonnimError as exc:
        if getattr(args, "json", False):
            print(
                json.dumps(
                    {"code": exc.code, "message": exc.message, "details": exc.details}, ensure_ascii=False
                )
            )
        else:
            print(f"error: {exc.message} ({exc.code})", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
