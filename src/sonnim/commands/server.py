"""migrate, serve, worker, demo."""

import argparse
import asyncio
import gc
import logging
import threading
import time

logger = logging.getLogger("sonnim.server")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("migrate", help="create or update the database schema")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=migrate)

    p = sub.add_parser("serve", help="serve HTTP and websockets on one port")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--with-worker", action="store_true", help="run the task worker in this process too")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="HTTP processes on the port, forked once the models are loaded (more than one needs REDIS_URL)",
    )
    p.set_defaults(handler=serve)

    p = sub.add_parser("worker", help="run background tasks (delivery, sweeps)")
    p.add_argument("--batch", action="store_true", help="run what is due, then exit")
    p.add_argument("--interval", type=float, default=0.5)
    p.set_defaults(handler=worker)

    p = sub.add_parser("demo", help="migrate, seed a Korean sample shop, serve with an in-process worker")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--no-serve", action="store_true", help="migrate and seed only")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=demo)


def migrate(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0 if getattr(args, "json", False) else 1)
    from sonnim.cli import emit

    emit(args, {"migrated": True}, "database is up to date")
    return 0


def run_worker_loop(*, interval: float, batch: bool = False, stop: threading.Event | None = None) -> None:
    """django-tasks-db's worker, plus a sweep every minute that re-enqueues stuck deliveries."""
    from django.conf import settings
    from django.db import connections
    from django.utils.crypto import get_random_string
    from django_tasks_db.management.commands.db_worker import Worker

    from sonnim.assist.tasks import retrain_category_models
    from sonnim.automation.autoclose import auto_close_task
    from sonnim.automation.rules.tasks import process_rule_events_task
    from sonnim.automation.rules.timers import run_time_rules_task
    from sonnim.conversations.tasks import sweep_queued_messages
    from sonnim.sla.tasks import sweep_sla_task

    worker = Worker(
        queue_names=["default"],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=get_random_string(16),
        excluded_queue_names=[],
    )
    if batch:
        worker.run()
        return

    def sweeper() -> None:
        while not (stop and stop.is_set()):
            try:
                sweep_queued_messages.enqueue()
            except Exception:  # the sweep is a safety net; never kill the worker over it
                logger.warning("could not enqueue the delivery sweep", exc_info=True)
            time.sleep(60)

    def sla_sweeper() -> None:
        # every 30 s: SLA warnings/breaches, rules on events recorded outside the pipeline; hourly: auto-close
        # every ASSIST_RETRAIN_SECONDS (and at start): category models of workspaces with new corrections
        turn = 0
        retrain_turns = max(1, round(settings.ASSIST_RETRAIN_SECONDS / 30))
        while not (stop and stop.is_set()):
            try:
                sweep_sla_task.enqueue()
                process_rule_events_task.enqueue()
                if turn % 2 == 0:  # time-based rules every minute
                    run_time_rules_task.enqueue()
                if turn % 120 == 0:
                    auto_close_task.enqueue()
                if turn % retrain_turns == 0:  # daily by default; cheap when nothing was corrected
                    retrain_category_models.enqueue()
            except Exception:
                logger.warning("could not enqueue the SLA / automation sweeps", exc_info=True)
            turn += 1
            time.sleep(30)

    if settings.WORKER_SWEEPS:
        threading.Thread(target=sweeper, name="sonnim-sweeper", daemon=True).start()
        threading.Thread(target=sla_sweeper, name="sonnim-sla-sweeper", daemon=True).start()
    threading.Thread(target=email_poller, args=(stop,), name="sonnim-email-poller", daemon=True).start()
    if stop is not None:
        threading.Thread(target=lambda: (stop.wait(), setattr(worker, "running", False)), daemon=True).start()
    while not (stop and stop.is_set()):
        try:
            worker.run()
            return
        except Exception:  # a dropped connection or a deadlock must not stop every later delivery
            logger.exception("the task worker failed; restarting it in a second")
            connections.close_all()  # a broken connection is opened afresh by the next query
            time.sleep(1)


def email_poller(stop: threading.Event | None) -> None:
    """Enqueue a poll of every active email inbox every SONNIM_EMAIL_POLL_SECONDS."""
    from django.conf import settings

    from sonnim.inboxes.tasks import enqueue_email_polls

    while not (stop and stop.is_set()):
        try:
            enqueue_email_polls()
        except Exception:  # like the sweep: a safety net never kills the worker
            logger.warning("could not enqueue email polls", exc_info=True)
        if stop is not None:
            stop.wait(settings.EMAIL_POLL_SECONDS)
        else:
            time.sleep(settings.EMAIL_POLL_SECONDS)


def worker(args: argparse.Namespace) -> int:
    run_worker_loop(interval=args.interval, batch=args.batch)
    return 0


def serve(args: argparse.Namespace) -> int:
    import uvicorn
    from django.conf import settings
    from django.db import connections

    from sonnim.core.errors import SonnimError
    from sonnim.core.korean import kiwi

    workers = getattr(args, "workers", 1)
    if workers < 1:
        raise SonnimError("invalid_input", "--workers must be 1 or more.")
    if workers > 1 and not settings.REDIS_URL:
        # each process has its own in-memory channel layer: a websocket on one would miss the others' events
        raise SonnimError(
            "redis_required", "Several HTTP processes share realtime events through Redis: set REDIS_URL."
        )
    # Load the Kiwi model before accepting requests: loaded lazily, the first message after a start paid
    # for it inside its transaction, holding the workspace's event counter lock for seconds.
    kiwi()
    warm_up()
    if not settings.REDIS_URL and not args.with_worker:
        logger.warning(
            "no REDIS_URL: pushes from a separate worker process will not reach this server's websockets"
        )
    config = uvicorn.Config(
        "sonnim.asgi:application",
        host=args.host,
        port=args.port,
        lifespan="off",
        log_level="warning",
        ws="websockets-sansio",
    )
    sockets = [config.bind_socket()] if workers > 1 else None
    connections.close_all()  # no connection may be shared with a forked child
    children, is_child = _fork_workers(workers - 1)
    if args.with_worker and not is_child:  # one task worker, in the first process
        threading.Thread(
            target=run_worker_loop, kwargs={"interval": 0.2}, name="sonnim-worker", daemon=True
        ).start()
    try:
        _run_http(config, sockets, announce=None if is_child else f"http://{args.host}:{args.port}/")
    finally:
        _stop_children(children)
    return 0


def _fork_workers(count: int) -> tuple[list[int], bool]:
    """Fork `count` more HTTP processes: (their pids, False) in the parent, ([], True) in each child. The
    models and Django's startup heap are shared copy-on-write (gc.freeze() kept the collector off them).
    A child dies with its parent (PR_SET_PDEATHSIG), so stopping the first process stops them all."""
    import ctypes
    import os
    import signal

    children = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            try:
                ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
            except (OSError, AttributeError):  # not Linux: the parent's _stop_children still ends it
                pass
            return [], True
        children.append(pid)
    return children, False


def _stop_children(children: list[int]) -> None:
    import os
    import signal

    for pid in children:
        try:
            os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def _run_http(config, sockets, *, announce: str | None) -> None:
    import uvicorn

    from sonnim.core import realtime

    server = uvicorn.Server(config)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    realtime.set_server_loop(loop)
    loop.run_until_complete(_serve_announced(server, announce, sockets))


def warm_up() -> None:
    """Load what the first message would otherwise load inside its transaction (the triage models), then
    freeze the heap: the models and Django's startup objects live as long as the process, and left in the
    collector's generations every full collection walks them all, stalling every request at once (the
    p99 of the webhook benchmark)."""
    from sonnim.assist.triage import TASKS, default_model

    for task in TASKS:
        default_model(task)
    gc.collect()
    gc.freeze()


async def _serve_announced(server, url: str | None, sockets=None) -> None:
    """Say "serving" only once the port is bound: scripts (and tests) wait for that line, then connect."""
    serving = asyncio.ensure_future(server.serve(sockets=sockets))
    while not server.started and not serving.done():
        await asyncio.sleep(0.05)
    if server.started and url:
        print(f"Sonnim is serving on {url} (HTTP and websockets)", flush=True)
    await serving


def demo(args: argparse.Namespace) -> int:
    import os

    from django.conf import settings

    from sonnim.cli import emit
    from sonnim.demo.seed import seed_demo

    settings.DEMO = True  # serves the sample shop page (/demo/shop/), which signs the seeded members
    if "SONNIM_PUBLIC_URL" not in os.environ:  # links and the widget script point at this server
        host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host  # noqa: S104 - a bind-all
        settings.PUBLIC_URL = f"http://{host}:{args.port}"
    migrate(argparse.Namespace(json=True))
    info = seed_demo()
    url = f"http://{args.host}:{args.port}/"
    data = {**info.as_dict(), "url": url}
    emit(
        args,
        data,
        "\n".join(
            [
                "Sonnim demo is ready: a Korean sample shop with customers, orders and conversations.",
                f"  open      {url}",
                f"  log in    {info.admin_email} / {info.admin_password}",
                f"  API token {info.api_token}",
                f"  inbound   POST {url}api/v1/inboxes/{info.api_inbox_id}/messages "
                f"(Authorization: Bearer {info.api_inbox_key})",
            ]
        ),
    )
    if args.no_serve:
        return 0
    return serve(argparse.Namespace(host=args.host, port=args.port, with_worker=True))
