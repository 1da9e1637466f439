"""`sonnim bench webhook` runs end to end with a tiny N for both channels. Times are never asserted."""

from .test_bench_smoke import LATENCY_KEYS, assert_positive, run_bench

ANSWERED_KEYS = {"answered_p95_ms", "answered_p99_ms"}


def test_bench_webhook_talktalk_prints_throughput_and_latency():
    out = run_bench("webhook", "--channel", "talktalk", "--messages", "20")
    assert (out["channel"], out["messages"], out["connections"]) == ("talktalk", 20, 4)
    assert_positive(out, {"msgs_per_s", "peak_rss_mb", *LATENCY_KEYS})


def test_bench_webhook_kakao_is_answered_by_the_bot_from_the_help_center():
    out = run_bench("webhook", "--channel", "kakao", "--messages", "20")
    assert (out["channel"], out["messages"], out["connections"], out["bot_enabled"]) == ("kakao", 20, 4, True)
    assert_positive(out, {"msgs_per_s", "peak_rss_mb", *LATENCY_KEYS, *ANSWERED_KEYS})
    assert sum(out["responses"].values()) == 20
    assert out["bot_answered"] == out["responses"]["article"]
    assert out["bot_answered"] > 20 // 2, out["responses"]
    assert (out["responses"]["ack"], out["responses"]["callback"]) == (0, 0)


def test_bench_webhook_kakao_without_bot_gets_the_acknowledgment():
    out = run_bench("webhook", "--channel", "kakao", "--messages", "20", "--no-bot")
    assert (out["channel"], out["messages"], out["bot_enabled"], out["bot_answered"]) == (
        "kakao",
        20,
        False,
        0,
    )
    assert_positive(out, {"msgs_per_s", "peak_rss_mb", *LATENCY_KEYS})
    assert out["responses"]["ack"] == 20
    assert (out["answered_p95_ms"], out["answered_p99_ms"]) == (0.0, 0.0)
