"""workspace, agent, token and inbox creation for operators' scripts."""

import argparse

from sonnim.cli import emit


def register(sub: argparse._SubParsersAction) -> None:
    ws = sub.add_parser("workspace", help="workspaces (tenants)").add_subparsers(dest="action", required=True)
    p = ws.add_parser("create")
    p.add_argument("name")
    p.add_argument("--slug")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=workspace_create)

    agent = sub.add_parser("agent", help="agents").add_subparsers(dest="action", required=True)
    p = agent.add_parser("create")
    p.add_argument("--workspace", required=True, help="workspace id or slug")
    p.add_argument("--email", required=True)
    p.add_argument("--role", default="agent", choices=["owner", "admin", "supervisor", "agent"])
    p.add_argument("--name")
    p.add_argument("--password", help="default: a generated one, printed once")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=agent_create)

    token = sub.add_parser("token", help="API tokens").add_subparsers(dest="action", required=True)
    p = token.add_parser("create")
    p.add_argument("--workspace", required=True)
    p.add_argument("--agent", required=True, help="the agent's email")
    p.add_argument("--name", default="")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=token_create)

    inbox = sub.add_parser("inbox", help="inboxes (channel instances)").add_subparsers(
        dest="action", required=True
    )
    p = inbox.add_parser("create")
    p.add_argument("--workspace", required=True)
    p.add_argument("--kind", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--webhook-url", default="", help="api inboxes: where replies are POSTed")
    p.add_argument(
        "--require-signature", action="store_true", help="api inboxes: inbound calls must be signed"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=inbox_create)


def workspace_create(args: argparse.Namespace) -> int:
    from sonnim.core.services import create_workspace

    w = create_workspace(name=args.name, slug=args.slug)
    emit(args, {"id": w.pk, "slug": w.slug, "name": w.name}, f"workspace {w.pk} ({w.slug}) created")
    return 0


def agent_create(args: argparse.Namespace) -> int:
    from sonnim.core.selectors import get_workspace
    from sonnim.core.services import create_agent

    created = create_agent(
        get_workspace(args.workspace),
        email=args.email,
        role=args.role,
        display_name=args.name,
        password=args.password,
    )
    a = created.agent
    data = {"id": a.pk, "email": a.user.username, "role": a.role, "password": created.password}
    emit(
        args,
        data,
        f"agent {a.pk} {a.user.username} ({a.role})"
        + (f" password: {created.password}" if created.password else ""),
    )
    return 0


def token_create(args: argparse.Namespace) -> int:
    from sonnim.core.selectors import get_agent_by_email, get_workspace
    from sonnim.core.services import create_api_token

    agent = get_agent_by_email(get_workspace(args.workspace), args.agent)
    created = create_api_token(agent, name=args.name)
    emit(args, {"id": created.token.pk, "token": created.key, "agent_id": agent.pk}, created.key)
    return 0


def inbox_create(args: argparse.Namespace) -> int:
    from sonnim.core.selectors import get_workspace
    from sonnim.inboxes.selectors import inbound_url
    from sonnim.inboxes.services import create_inbox

    created = create_inbox(
        get_workspace(args.workspace),
        kind=args.kind,
        name=args.name,
        webhook_url=args.webhook_url,
        require_signature=args.require_signature,
    )
    i = created.inbox
    data = {
        "id": i.pk,
        "kind": i.kind,
        "name": i.name,
        "key": created.key,
        "inbound_url": inbound_url(i),
        "signing_secret": i.signing_secret,
    }
    emit(args, data, f"inbox {i.pk} key: {created.key}\ninbound: {data['inbound_url']}")
    return 0
