"""`sonnim bench kb` runs end to end with a tiny N and prints its JSON. Times are never asserted."""

from sonnim.bench.tests.test_bench_smoke import LATENCY_KEYS, assert_positive, run_bench


def test_bench_kb_prints_latency():
    out = run_bench("kb", "--articles", "60", "--queries", "5")
    assert (out["scenario"], out["articles"], out["queries"]) == ("kb", 60, 5)
    assert_positive(out, {"peak_rss_mb", "index_build_s", *LATENCY_KEYS})
