"""`sonnim sla sweep`: announce due SLA warnings and breaches now (what the worker does every 30 s)."""

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    sla = sub.add_parser("sla", help="SLA clocks").add_subparsers(dest="sla_command", required=True)
    p = sla.add_parser("sweep", help="record due sla.warning / sla.breached events and escalate")
    p.add_argument("--dry-run", action="store_true", help="list what would happen, write nothing")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=sweep)


def sweep(args: argparse.Namespace) -> int:
    from sonnim.cli import emit
    from sonnim.sla.sweep import sweep_sla

    result = sweep_sla(dry_run=args.dry_run)
    steps = [
        {
            "conversation_id": s.conversation_id,
            "target": s.target,
            "kind": s.kind,
            "action": s.action,
            **s.detail,
        }
        for s in result.steps
    ]
    lines = [
        f"{'would ' if args.dry_run else ''}{s['action']} conversation={s['conversation_id']} "
        f"{s['target']} {s['kind']}"
        for s in steps
    ]
    summary = (
        f"checked {result.checked} clocks, {result.notices} notices{' (dry run)' if args.dry_run else ''}"
    )
    emit(
        args,
        {"checked": result.checked, "notices": result.notices, "dry_run": args.dry_run, "steps": steps},
        "\n".join([*lines, summary]),
    )
    return 0
