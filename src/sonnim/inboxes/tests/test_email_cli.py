"""`sonnim email parse` and `sonnim bench email`, run as the real command in a subprocess."""

import json
import os
import subprocess
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "email" / "tests" / "corpus"


def sonnim(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONWARNINGS": "ignore", **env}
    # generous: the bench migrates a fresh database and loads Kiwi, slow on a busy CI machine
    return subprocess.run(
        [sys.executable, "-m", "sonnim.cli", *args],
        env=environment,
        capture_output=True,
        timeout=600,
        check=False,
    )


def test_parse_prints_one_json_object_per_file_without_a_database():
    files = [CORPUS / "euckr_old_client.eml", CORPUS / "bounce_dsn_postfix.eml"]
    # A database that does not exist: parsing must never touch it.
    done = sonnim(
        "email", "parse", *map(str, files), "--json", DATABASE_URL="postgres://nobody@127.0.0.1:1/none"
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    lines = done.stdout.decode().splitlines()
    assert len(lines) == 2
    first, second = map(json.loads, lines)
    assert (first["subject"], first["from"], first["message_id"]) == (
        "[문의] 똠양꿍 주문",
        {"name": "똠방각하", "address": "old@kornet.example"},
        "20261102221000.OLD1@kornet.example",
    )
    assert (second["is_bounce"], second["bounce"]["original_message_id"]) == (
        True,
        "ticket-4512-reply-3@sample-shop.kr",
    )


def test_parse_of_missing_file_says_so_and_fails():
    done = sonnim("email", "parse", "/nonexistent/mail.eml", "--json")
    assert done.returncode == 1
    assert (
        done.stderr.decode().strip().splitlines()[-1]
        == "error: cannot read /nonexistent/mail.eml: No such file or directory"
    )


def test_bench_email_smoke():
    done = sonnim("bench", "email", "--messages", "5", DATABASE_URL="")
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    result = json.loads(done.stdout.decode().splitlines()[-1])
    assert result["messages"] == 5
    assert set(result) >= {"mails_per_s", "p50_ms", "p95_ms", "peak_rss_mb", "cpu_ms_per_mail"}
