"""`sonnim bench webhook` runs end to end with a tiny N for both channels. Times are never asserted."""

import pytest

from .test_bench_smoke import LATENCY_KEYS, assert_positive, run_bench


@pytest.mark.parametrize("channel", ["talktalk", "kakao"])
def test_bench_webhook_prints_throughput_and_latency(channel):
    out = run_bench("webhook", "--channel", channel, "--messages", "20")
    assert (out["channel"], out["messages"], out["connections"]) == (channel, 20, 4)
    assert_positive(out, {"msgs_per_s", "peak_rss_mb", *LATENCY_KEYS})
