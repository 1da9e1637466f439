"""Subcommands of `sonnim`, one module per group; each registers its parsers with a handler."""

import argparse


def register_all(sub: argparse._SubParsersAction) -> None:
    from . import admin, bench, data, server

    for module in (server, admin, data, bench):
        module.register(sub)
