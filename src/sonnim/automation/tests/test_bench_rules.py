"""`sonnim bench rules` runs end to end with a tiny N (times are never asserted)."""

from sonnim.bench.tests.test_bench_smoke import run_bench


def test_bench_rules_prints_costs():
    out = run_bench("rules", "--rules", "20", "--messages", "5")
    assert (out["rules"], out["messages"], out["rules_matching_per_message"]) == (20, 5, 1.0)
    assert out["rules_evaluation_ms_mean"] > 0 and out["pipeline_ms_mean_with_rules"] > 0
