"""What every `sonnim bench` scenario shares: a scratch database, the real server as a subprocess,
fast bulk inserts for untimed data generation, percentiles and peak memory."""

import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import connection, connections, models, transaction

from sonnim.core.korean import search_tokens
from sonnim.testing.server import ServerProcess, free_port


@contextmanager
def bench_database() -> Iterator[str]:
    """A fresh SQLite file in a temporary directory (deleted afterwards), migrated, as a DATABASE_URL.
    With DATABASE_URL set, that database is used as it is (after migrate): the bench's workspace is new."""
    from django.core.management import call_command

    if os.environ.get("DATABASE_URL"):
        call_command("migrate", interactive=False, verbosity=0)
        yield os.environ["DATABASE_URL"]
        return
    directory = Path(tempfile.mkdtemp(prefix="sonnim-bench-"))
    path = directory / "bench.sqlite3"
    conn = connections["default"]
    conn.close()
    original = conn.settings_dict["NAME"]
    conn.settings_dict["NAME"] = settings.DATABASES["default"]["NAME"] = str(path)
    try:
        call_command("migrate", interactive=False, verbosity=0)
        yield f"sqlite:///{path}"
    finally:
        conn.close()
        conn.settings_dict["NAME"] = settings.DATABASES["default"]["NAME"] = original
        shutil.rmtree(directory, ignore_errors=True)


class Server(ServerProcess):
    """`sonnim serve` in a subprocess on the bench database, with the operator's settings (not tests')."""

    def __init__(self, database_url: str, *, workers: int = 1) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DATABASE_URL": database_url, "PYTHONWARNINGS": "ignore"}
        env["DJANGO_SETTINGS_MODULE"] = "sonnim.settings.dev"
        env.setdefault("SONNIM_LOG_LEVEL", "WARNING")
        args = ["serve", "--port", str(self.port), "--workers", str(workers)]
        self._start([sys.executable, "-m", "sonnim.cli", *args], env)
        self._wait_ready(timeout=180)

    def log_tail(self, chars: int = 3000) -> str:
        return self.output()[-chars:]

    def peak_rss_mb(self) -> float:
        """Of the largest process: forked workers share the models' pages with the first one."""
        return max(peak_rss_mb(pid) for pid in self.pids())

    def cpu_seconds(self) -> float:
        return sum(process_cpu_seconds(pid) for pid in self.pids())

    def __exit__(self, exc_type, exc, tb) -> None:
        self.stop()
        if exc is not None:
            print(f"server log:\n{self.log_tail()}", file=sys.stderr)
        self.log.close()


def peak_rss_mb(pid: int | str = "self") -> float:
    """The process's peak resident set (VmHWM) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def latency_summary(seconds: list[float], prefix: str = "") -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    return {f"{prefix}p{p}_ms": round(percentile(ms, p), 2) for p in (50, 95, 99)}


class BulkInserter:
    """INSERTs rows of one model with executemany in one transaction, bypassing the ORM (millions of rows
    in minutes). Columns not given get the field's default, so new model fields do not break the bench."""

    def __init__(self, model: type[models.Model], columns: list[str]) -> None:
        self.model = model
        fields = [f for f in model._meta.concrete_fields if not f.primary_key or f.attname in columns]
        self.columns = columns
        self.fixed = {
            f.column: f.get_db_prep_save(f.get_default(), connection)
            for f in fields
            if f.attname not in columns
        }
        names = [*(model._meta.get_field(c).column for c in columns), *self.fixed]
        quoted = ", ".join(connection.ops.quote_name(n) for n in names)
        placeholders = ", ".join(["%s"] * len(names))
        table = connection.ops.quote_name(model._meta.db_table)
        self.sql = f"INSERT INTO {table} ({quoted}) VALUES ({placeholders})"  # noqa: S608 - our names
        self.tail = tuple(self.fixed.values())

    def insert(self, rows: Iterable[tuple], chunk: int = 20_000) -> int:
        count, batch = 0, []
        with connection.cursor() as cursor:
            for row in rows:
                batch.append(row + self.tail)
                if len(batch) >= chunk:
                    cursor.executemany(self.sql, batch)
                    count, batch = count + len(batch), []
            if batch:
                cursor.executemany(self.sql, batch)
                count += len(batch)
        return count


def db_datetime(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def next_id(model: type[models.Model]) -> int:
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (last or 0) + 1


def fix_sequences(*models_: type[models.Model]) -> None:
    """PostgreSQL: explicit ids do not move the id sequences; move them past the inserted rows."""
    if connection.vendor != "postgresql":
        return
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(models_)):
            cursor.execute(sql)


def korean_texts(count: int, seed: int = 7) -> list[str]:
    """Distinct, realistic customer-service texts made from the demo shop's conversations."""
    import random

    from sonnim.demo import data

    rng = random.Random(seed)
    pool = []
    for topic in [*data.TOPICS, *data.ENGLISH_TOPICS]:
        pool.extend([*topic.openings, *topic.follow_ups, *topic.replies, *topic.notes])
    texts: set[str] = set()
    while len(texts) < count:
        _sku, product, _price, options = rng.choice(data.PRODUCTS)
        fill = {
            "name": rng.choice(data.SURNAMES) + rng.choice(data.GIVEN_NAMES),
            "order": f"2026{rng.randint(1000, 1299)}-{rng.randint(1, 9_999_999):07d}",
            "product": product,
            "option": rng.choice(options),
            "tracking": str(rng.randint(10**11, 10**12 - 1)),
            "carrier": rng.choice(data.CARRIERS),
            "amount": f"{rng.randint(1, 300) * 1000:,}",
            "agent": rng.choice(data.AGENTS)[1],
        }
        texts.add(rng.choice(pool).format_map(fill))
    return sorted(texts)


def tokenized(texts: list[str]) -> list[str]:
    """Each text's search tokens, joined as SearchEntry.tokens stores them (without the workspace token)."""
    return [" ".join(search_tokens(t)) for t in texts]


@contextmanager
def one_transaction() -> Iterator[None]:
    with transaction.atomic():
        yield


def process_cpu_seconds(pid: int | str = "self") -> float:
    """User + system CPU time of a process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_load() -> float:
    """The 1-minute load average: benchmarks on a busy machine measure the other work too; say so."""
    return round(os.getloadavg()[0], 2)


class Timer:
    """Wall and CPU time (this thread) of a block: CPU time is what the request cost, whatever else runs."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    @contextmanager
    def measure(self) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.thread_time()
        yield
        self.cpu.append(time.thread_time() - cpu)
        self.wall.append(time.perf_counter() - wall)

    def summary(self, prefix: str = "") -> dict[str, float]:
        return {**latency_summary(self.wall, prefix), **latency_summary(self.cpu, f"{prefix}cpu_")}


async def http_exchange(reader, writer, request: bytes) -> tuple[int, bytes]:
    """One request and its response on a kept-alive HTTP/1.1 connection (Content-Length bodies only):
    a client this thin keeps the load generator's own cost out of the server's numbers."""
    writer.write(request)
    await writer.drain()
    status_line = await reader.readline()
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    body = await reader.readexactly(length)
    return int(status_line.split()[1]), body
