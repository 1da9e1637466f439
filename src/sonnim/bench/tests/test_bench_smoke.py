"""Each `sonnim bench` scenario runs end to end with a tiny N and prints its JSON. Times are never asserted."""

import json
import os
import subprocess
import sys

import pytest

LATENCY_KEYS = {"p50_ms", "p95_ms", "p99_ms"}


def run_bench(*args: str) -> dict:
    # a fresh temporary SQLite database of its own, with the operator's settings
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["PYTHONWARNINGS"] = "ignore"
    result = subprocess.run(
        [sys.executable, "-m", "sonnim.cli", "bench", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def assert_positive(out: dict, keys: set[str]) -> None:
    assert keys <= set(out), sorted(keys - set(out))
    assert all(isinstance(out[k], int | float) and out[k] > 0 for k in keys), {k: out[k] for k in keys}


@pytest.mark.parametrize("mode", ["http", "batch"])
def test_bench_ingest_prints_throughput_and_latency(mode):
    out = run_bench("ingest", "--mode", mode, "--messages", "50")
    assert (out["mode"], out["messages"]) == (mode, 50)
    assert out["requests"] == (50 if mode == "http" else 1)
    assert_positive(out, {"msgs_per_s", "peak_rss_mb", *LATENCY_KEYS})


def test_bench_inbox_prints_api_and_html_latency():
    out = run_bench("inbox", "--conversations", "50", "--requests", "5")
    assert (out["conversations"], out["requests"]) == (50, 5)
    assert_positive(out, {"peak_rss_mb", "html_p50_ms", "html_p95_ms", *LATENCY_KEYS})
    assert "conv_status_list_idx" in out["query_plan"]


def test_bench_search_prints_query_latency():
    out = run_bench("search", "--messages", "50", "--queries", "5")
    assert (out["messages"], out["queries"]) == (50, 5)
    assert_positive(out, {"peak_rss_mb", *LATENCY_KEYS})
    assert out["hits_per_query"]["환불"] > 0
