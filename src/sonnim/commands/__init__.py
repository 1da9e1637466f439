"""Subcommands of `sonnim`, one module per group; each registers its parsers with a handler."""

import argparse


def register_all(sub: argparse._SubParsersAction) -> None:
    from . import admin, assist, bench, data, email, kb, server, sla

    for module in (server, admin, data, bench, email, assist, kb, sla):
        module.register(sub)
