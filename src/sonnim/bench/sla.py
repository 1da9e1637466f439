"""`sonnim bench sla`: one full SLA sweep over N conversations with SLA clocks (generated in bulk, untimed).

A realistic desk: every conversation has a clock, a fifth of them still running with thresholds spread
over the next three days, the rest met long ago. `due` running clocks have crossed a threshold since the
last sweep (half a warning, half a breach with its warning): the sweep announces them (events, notices,
the policy's escalation: notify the assignee) and moves their next check; then an idle sweep with nothing
due. Timed: the sweeps (wall and CPU)."""

import random
import time
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from sonnim.conversations.models import Conversation
from sonnim.core.actors import SYSTEM
from sonnim.core.models import Event
from sonnim.sla.models import SlaClock, SlaNotice
from sonnim.sla.services import create_policy
from sonnim.sla.sweep import sweep_sla

from .common import (
    BulkInserter,
    bench_database,
    db_datetime,
    fix_sequences,
    machine_load,
    next_id,
    peak_rss_mb,
)
from .inbox import make_desk

RUNNING_SHARE = 0.2


def generate_clocks(desk, count: int, due: int, *, seed: int = 3) -> None:
    """Conversations (open when running) and their clocks, in one transaction of bulk inserts."""
    from sonnim.customers.models import Customer

    rng = random.Random(seed)
    now = timezone.now()
    ws = desk.workspace.pk
    policy = create_policy(
        desk.workspace,
        name="chat 1h",
        actor=SYSTEM,
        first_response_minutes=60,
        first_response_business=False,
        resolution_minutes=4320,
        resolution_business=False,
        escalation=[{"on": "breached", "action": "notify_assignee"}],
    )
    running = int(count * RUNNING_SHARE)
    with transaction.atomic():
        first_customer = next_id(Customer)
        customers = max(1, count // 4)
        BulkInserter(Customer, ["id", "workspace_id", "display_name", "created_at", "updated_at"]).insert(
            (first_customer + n, ws, f"고객{n}", db_datetime(now), db_datetime(now)) for n in range(customers)
        )
        first = next_id(Conversation)
        inbox_id, agents = desk.inboxes[0].pk, [a.pk for a in desk.agents]
        BulkInserter(
            Conversation,
            ["id", "workspace_id", "inbox_id", "customer_id", "status", "assignee_id", "thread_key",
             "last_message_at", "created_at", "updated_at", "sla_state", "sla_due_at"],
        ).insert(
            (first + n, ws, inbox_id, first_customer + n % customers, "open" if n < running else "closed",
             agents[n % len(agents)], f"bench:{n}", db_datetime(now), db_datetime(now), db_datetime(now),
             "running" if n < running else "met", None)
            for n in range(count)
        )  # fmt: skip

        def clock(n: int) -> tuple:
            started = now - timedelta(minutes=30)
            if n < due:  # crossed since the last sweep: warnings, and breaches for every other one
                warn, deadline = (
                    now - timedelta(seconds=20),
                    now + (timedelta(minutes=5) if n % 2 else -timedelta(seconds=10)),
                )
                check = warn
            elif n < running:
                warn = now + timedelta(seconds=rng.randint(60, 3 * 86400))
                deadline, check = warn + timedelta(minutes=12), warn
            else:
                warn = deadline = check = None
            met = None if n < running else db_datetime(now - timedelta(days=2))
            return (
                first + n, ws, first + n, policy.pk, db_datetime(started),
                db_datetime(warn) if warn else db_datetime(now - timedelta(days=3)),
                db_datetime(deadline) if deadline else db_datetime(now - timedelta(days=2, hours=23)),
                met, db_datetime(check) if check else None, db_datetime(now),
            )  # fmt: skip

        BulkInserter(
            SlaClock,
            ["id", "workspace_id", "conversation_id", "policy_id", "first_response_started_at",
             "first_response_warn_at", "first_response_due_at", "first_response_met_at", "next_check_at",
             "created_at"],
        ).insert(clock(n) for n in range(count))  # fmt: skip
        fix_sequences(Customer, Conversation, SlaClock)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def run(*, conversations: int = 100_000, due: int = 1000, **_options) -> dict:
    with bench_database():
        desk = make_desk("bench sla")
        due = min(due, int(conversations * RUNNING_SHARE))
        generate_clocks(desk, conversations, due)
        load = machine_load()
        events_before = Event.objects.filter(workspace=desk.workspace).count()
        wall, cpu = time.perf_counter(), time.thread_time()
        result = sweep_sla()
        sweep_wall, sweep_cpu = time.perf_counter() - wall, time.thread_time() - cpu
        wall = time.perf_counter()
        idle = sweep_sla()
        idle_wall = time.perf_counter() - wall
        return {
            "conversations": conversations,
            "running_clocks": int(conversations * RUNNING_SHARE),
            "due_clocks": due,
            "checked": result.checked,
            "notices": result.notices,
            "events_written": Event.objects.filter(workspace=desk.workspace).count() - events_before,
            "notice_rows": SlaNotice.objects.count(),
            "sweep_seconds": round(sweep_wall, 3),
            "sweep_cpu_seconds": round(sweep_cpu, 3),
            "idle_sweep_seconds": round(idle_wall, 4),
            "idle_checked": idle.checked,
            "target_seconds": 2.0,
            "database": connection.vendor,
            "peak_rss_mb": peak_rss_mb(),
            "load_avg_1m": [load, machine_load()],
        }
