"""The clock arithmetic on hand-made clocks: pause/resume in business and calendar time, summaries."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ..business_hours import Calendar, parse_intervals
from ..choices import SlaState
from ..clocks import PolicyTimes, Summary, next_check, passed_notices, pause, resume, start_target, summarize
from ..models import SlaClock, SlaPolicy

KST = ZoneInfo("Asia/Seoul")
SHOP = Calendar(zone=KST, weekly=(parse_intervals([["10:00", "12:00"], ["13:00", "17:00"]]),) * 5 + ((), ()))


def kst(*args) -> datetime:
    return datetime(*args, tzinfo=KST)


def times(**fields) -> PolicyTimes:
    return PolicyTimes(SlaPolicy(calendar_id=1, warning_percent=80, **fields), SHOP)


def test_start_sets_warning_at_the_threshold_in_business_time():
    clock = SlaClock()
    start_target(clock, times(first_response_minutes=60), "first_response", kst(2026, 11, 27, 16, 55))
    assert clock.first_response_warn_at == kst(2026, 11, 30, 10, 43)  # 48 business minutes
    assert clock.first_response_due_at == kst(2026, 11, 30, 10, 55)
    assert next_check(clock, kst(2026, 11, 27, 16, 56)) == kst(2026, 11, 30, 10, 43)


def test_business_pause_over_the_weekend_moves_due_by_the_business_time_left():
    policy = times(resolution_minutes=120)
    clock = SlaClock()
    start_target(clock, policy, "resolution", kst(2026, 11, 27, 15, 0))  # due Fri 17:00
    pause(clock, kst(2026, 11, 27, 16, 30))  # 30 business minutes left
    assert summarize(clock, kst(2026, 11, 28, 9, 0)) == Summary(SlaState.PAUSED, None, None)
    assert next_check(clock, kst(2026, 11, 28)) is None
    resume(clock, policy, kst(2026, 12, 1, 11, 0))  # Tuesday 11:00
    assert clock.resolution_due_at == kst(2026, 12, 1, 11, 30)
    assert clock.resolution_warn_at == kst(2026, 12, 1, 11, 6)  # 6 of the 30 minutes were before warning
    assert clock.paused_at is None
    assert clock.paused_seconds == int(timedelta(days=3, hours=18, minutes=30).total_seconds())


def test_calendar_time_pause_moves_due_by_the_paused_time():
    policy = times(first_response_minutes=60, first_response_business=False)
    clock = SlaClock()
    start_target(clock, policy, "first_response", kst(2026, 11, 28, 9, 0))  # Saturday: calendar time counts
    assert clock.first_response_due_at == kst(2026, 11, 28, 10, 0)
    pause(clock, kst(2026, 11, 28, 9, 30))
    resume(clock, policy, kst(2026, 11, 28, 11, 0))
    assert clock.first_response_due_at == kst(2026, 11, 28, 11, 30)


def test_a_threshold_passed_before_the_pause_stays_passed():
    policy = times(first_response_minutes=60, first_response_business=False)
    clock = SlaClock()
    start_target(clock, policy, "first_response", kst(2026, 11, 28, 9, 0))
    pause(clock, kst(2026, 11, 28, 10, 30))  # already breached at 10:00
    assert [(n.target, n.kind) for n in passed_notices(clock, kst(2026, 11, 29))] == [
        ("first_response", "breached"),
        ("first_response", "warning"),
    ]
    resume(clock, policy, kst(2026, 11, 29, 9, 0))
    assert clock.first_response_due_at == kst(2026, 11, 28, 10, 0)
    assert summarize(clock, kst(2026, 11, 29, 9, 0)).state == SlaState.BREACHED


def test_summary_states():
    policy = times(first_response_minutes=60, resolution_minutes=600, first_response_business=False)
    clock = SlaClock()
    start_target(clock, policy, "first_response", kst(2026, 11, 24, 10, 0))
    start_target(clock, policy, "resolution", kst(2026, 11, 24, 10, 0))
    assert summarize(clock, kst(2026, 11, 24, 10, 10)) == Summary(
        "running", kst(2026, 11, 24, 11, 0), "first_response"
    )
    assert summarize(clock, kst(2026, 11, 24, 10, 48)).state == "warning"
    assert summarize(clock, kst(2026, 11, 24, 11, 0)).state == "breached"
    clock.first_response_met_at = kst(2026, 11, 24, 11, 5)  # late
    assert summarize(clock, kst(2026, 11, 24, 11, 6)).target == "resolution"
    clock.resolution_met_at = kst(2026, 11, 24, 12, 0)
    assert summarize(clock, kst(2026, 11, 24, 12, 0)) == Summary("breached", None, None)  # one was late
    clock.first_response_met_at = kst(2026, 11, 24, 10, 30)
    assert summarize(clock, kst(2026, 11, 24, 12, 0)) == Summary("met", None, None)
