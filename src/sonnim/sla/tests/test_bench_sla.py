"""`sonnim bench sla` runs end to end with a tiny N (times are never asserted)."""

from sonnim.bench.tests.test_bench_smoke import run_bench


def test_bench_sla_sweeps_and_prints_counts():
    out = run_bench("sla", "--conversations", "500", "--due", "20")
    assert (out["conversations"], out["running_clocks"], out["due_clocks"]) == (500, 100, 20)
    assert out["notices"] >= 30  # 20 warnings + 10 breaches (+ any clock whose warning passed meanwhile)
    assert out["events_written"] == out["notices"] + 10  # one sla.escalated (notify assignee) per breach
    assert out["idle_checked"] < 5  # only clocks whose threshold passed during the run
