"""`sonnim email parse FILE...` (no database) and `sonnim email poll` (fetch email inboxes over IMAP)."""

import argparse
import json
import logging
import sys
import time
from pathlib import Path

logger = logging.getLogger("sonnim.email")


def register(sub: argparse._SubParsersAction) -> None:
    email = sub.add_parser("email", help="email inboxes").add_subparsers(dest="email_command", required=True)
    p = email.add_parser("parse", help="parse raw RFC 822 files and print what Sonnim reads from them")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(handler=parse)

    p = email.add_parser("poll", help="fetch new mail of email inboxes over IMAP")
    p.add_argument("--inbox", type=int, help="only this inbox id (default: every active email inbox)")
    p.add_argument("--once", action="store_true", help="poll once and exit (default: poll forever)")
    p.add_argument("--interval", type=float, help="seconds between polls (default SONNIM_EMAIL_POLL_SECONDS)")
    p.set_defaults(handler=poll)


def parse(args: argparse.Namespace) -> int:
    from sonnim.inboxes.email import parse_email

    status = 0
    for name in args.files:
        try:
            raw = Path(name).read_bytes()
        except OSError as exc:
            print(f"error: cannot read {name}: {exc.strerror}", file=sys.stderr)
            status = 1
            continue
        data = parse_email(raw).to_dict()
        print(json.dumps(data, ensure_ascii=False, indent=None if args.json else 2))
    return status


def poll(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from django.conf import settings
    from django.db import close_old_connections

    from sonnim.core.errors import SonnimError
    from sonnim.inboxes.adapters.imap import MailboxError
    from sonnim.inboxes.tasks import email_inboxes_to_poll, poll_mailbox

    interval = args.interval if args.interval is not None else settings.EMAIL_POLL_SECONDS
    while True:
        close_old_connections()
        inboxes = [i for i in email_inboxes_to_poll() if args.inbox in (None, i.pk)]
        if args.inbox is not None and not inboxes:
            print(
                json.dumps(
                    {"code": "inbox_not_found", "message": "No active email inbox with IMAP settings."}
                )
            )
            return 2
        for inbox in inboxes:
            try:
                result = asdict(poll_mailbox(inbox))
            except MailboxError as exc:  # one unreachable server must not stop the others
                result = {"inbox_id": inbox.pk, "error": str(exc)}
            except SonnimError as exc:  # settings an admin has to fix
                result = {"inbox_id": inbox.pk, "error": exc.code}
            print(json.dumps(result), flush=True)
        if args.once:
            return 0
        time.sleep(interval)
