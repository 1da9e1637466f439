"""Business-time arithmetic against hand-checked Korean calendars, and round-trip properties."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ..business_hours import (
    Calendar,
    add_business_minutes,
    always_open,
    business_minutes_between,
    is_open_at,
    korean_holidays,
    parse_intervals,
)

KST = ZoneInfo("Asia/Seoul")
WEEKDAY = parse_intervals([["10:00", "12:00"], ["13:00", "17:00"]])  # 6 hours, lunch 12-13
SHOP = Calendar(zone=KST, weekly=(WEEKDAY,) * 5 + ((), ()))  # Mon-Fri, 30 hours a week


def kst(*args) -> datetime:
    return datetime(*args, tzinfo=KST)


def test_holiday_package_covers_korean_2026_2027_with_substitute_and_election_days():
    h26, h27 = korean_holidays(2026), korean_holidays(2027)
    assert {date(2026, 2, 16), date(2026, 2, 17), date(2026, 2, 18)} <= h26  # Seollal Mon-Wed
    assert {date(2026, 9, 24), date(2026, 9, 25), date(2026, 9, 26)} <= h26  # Chuseok Thu-Sat
    assert date(2026, 9, 28) not in h26  # a Saturday overlap gives Chuseok no substitute day
    assert {date(2026, 10, 5), date(2026, 8, 17), date(2026, 3, 2)} <= h26  # substitutes (Sat/Sun)
    assert date(2026, 6, 3) in h26  # local elections
    assert {date(2027, 2, 6), date(2027, 2, 7), date(2027, 2, 8), date(2027, 2, 9)} <= h27  # +substitute
    assert {date(2027, 9, 14), date(2027, 9, 15), date(2027, 9, 16)} <= h27
    assert date(2027, 9, 17) not in h27


@pytest.mark.parametrize(
    ("start", "minutes", "expected"),
    [
        # Friday 16:55: five minutes today, the rest on Monday morning
        (kst(2026, 11, 27, 16, 55), 60, kst(2026, 11, 30, 10, 55)),
        (kst(2026, 11, 27, 16, 55), 5, kst(2026, 11, 27, 17, 0)),  # lands on the close, not next day
        (kst(2026, 11, 27, 16, 55), 6, kst(2026, 11, 30, 10, 1)),
        # lunch break
        (kst(2026, 11, 24, 11, 30), 60, kst(2026, 11, 24, 13, 30)),
        (kst(2026, 11, 24, 12, 20), 10, kst(2026, 11, 24, 13, 10)),  # opened during lunch
        (kst(2026, 11, 24, 7, 0), 30, kst(2026, 11, 24, 10, 30)),  # before opening
        (kst(2026, 11, 28, 9, 0), 30, kst(2026, 11, 30, 10, 30)),  # Saturday
        # Seollal 2026: Mon 16 - Wed 18 February closed
        (kst(2026, 2, 13, 16, 0), 120, kst(2026, 2, 19, 11, 0)),
        # Chuseok 2026: Thu 24 - Sat 26 September, no substitute day (Monday 28 is open)
        (kst(2026, 9, 23, 16, 30), 60, kst(2026, 9, 28, 10, 30)),
        # National Foundation Day on Saturday 3 October 2026 -> substitute Monday 5 October
        (kst(2026, 10, 2, 16, 0), 61, kst(2026, 10, 6, 10, 1)),
        # Seollal 2027: Sat 6 - Mon 8 February + substitute Tuesday 9 February
        (kst(2027, 2, 5, 16, 0), 90, kst(2027, 2, 10, 10, 30)),
        # Chuseok 2027: Tue 14 - Thu 16 September
        (kst(2027, 9, 13, 16, 0), 120, kst(2027, 9, 17, 11, 0)),
        # 72 business hours = 2 plain weeks (skipped arithmetically) + 2 days, ending on a close
        (kst(2026, 11, 23, 10, 0), 72 * 60, kst(2026, 12, 8, 17, 0)),
        (kst(2026, 11, 23, 10, 0), 1800, kst(2026, 11, 27, 17, 0)),  # exactly one week
        # Christmas 2026 is a Friday
        (kst(2026, 12, 24, 16, 0), 120, kst(2026, 12, 28, 11, 0)),
    ],
)
def test_add_business_minutes_hand_checked(start, minutes, expected):
    assert add_business_minutes(SHOP, start, minutes) == expected
    assert business_minutes_between(SHOP, start, expected) == minutes


def test_results_are_utc_and_seconds_are_kept():
    due = add_business_minutes(SHOP, kst(2026, 11, 27, 16, 55, 30), 60)
    assert due.tzinfo == UTC
    assert due == datetime(2026, 11, 30, 1, 55, 30, tzinfo=UTC)  # 10:55:30 KST


def test_between_hand_checked():
    assert business_minutes_between(SHOP, kst(2026, 11, 27, 16, 55), kst(2026, 11, 30, 10, 0)) == 5
    assert business_minutes_between(SHOP, kst(2026, 11, 24, 11, 0), kst(2026, 11, 24, 14, 0)) == 120
    # a whole year 2026: 261 weekdays, 16 of them public holidays (counted by hand from the list above)
    weekday_holidays = [d for d in korean_holidays(2026) if d.weekday() < 5]
    assert len(weekday_holidays) == 16
    year = business_minutes_between(SHOP, kst(2026, 1, 1), kst(2027, 1, 1))
    assert year == (261 - 16) * 360
    assert business_minutes_between(SHOP, kst(2026, 11, 30, 10, 0), kst(2026, 11, 27, 16, 55)) == -5


def test_overrides_close_a_day_and_open_a_holiday():
    calendar = Calendar(
        zone=KST,
        weekly=SHOP.weekly,
        overrides={
            date(2026, 11, 30): (),  # company day off on Monday
            date(2026, 12, 25): parse_intervals([["10:00", "14:00"]]),  # open on Christmas
        },
    )
    assert add_business_minutes(calendar, kst(2026, 11, 27, 16, 55), 60) == kst(2026, 12, 1, 10, 55)
    assert add_business_minutes(calendar, kst(2026, 12, 24, 16, 0), 120) == kst(2026, 12, 25, 11, 0)
    assert is_open_at(calendar, kst(2026, 12, 25, 13, 59)) is True
    assert is_open_at(calendar, kst(2026, 12, 25, 14, 0)) is False
    # weeks containing an override are never skipped wholesale
    assert business_minutes_between(calendar, kst(2026, 11, 23), kst(2026, 12, 7)) == 2 * 1800 - 360


def test_calendar_time_counts_every_minute():
    calendar = always_open()
    assert add_business_minutes(calendar, kst(2026, 2, 16, 23, 30), 60) == kst(2026, 2, 17, 0, 30)
    assert business_minutes_between(calendar, kst(2026, 1, 1), kst(2026, 1, 8)) == 7 * 1440


def test_a_calendar_without_hours_fails_instead_of_spinning():
    with pytest.raises(ValueError, match="no business hours"):
        add_business_minutes(Calendar(zone=KST, uses_holidays=False), kst(2026, 1, 1), 1)


def test_bad_intervals_are_refused():
    with pytest.raises(ValueError):
        parse_intervals([["10:00", "12:00"], ["11:00", "13:00"]])
    with pytest.raises(ValueError):
        parse_intervals([["17:00", "10:00"]])


times = st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2028, 1, 31), timezones=st.just(KST))
day_plans = st.lists(
    st.sampled_from(
        [(), WEEKDAY, parse_intervals([["00:00", "24:00"]]), parse_intervals([["09:30", "18:15"]])]
    ),
    min_size=7,
    max_size=7,
)


@settings(max_examples=300, deadline=None)
@given(start=times, minutes=st.integers(min_value=0, max_value=40_000), plan=day_plans)
def test_adding_then_measuring_round_trips(start, minutes, plan):
    if not any(plan):
        plan = [WEEKDAY] * 7
    calendar = Calendar(zone=KST, weekly=tuple(plan))
    due = add_business_minutes(calendar, start, minutes)
    assert due >= start
    assert business_minutes_between(calendar, start, due) == minutes
    if minutes:
        assert add_business_minutes(calendar, start, minutes - 1) < due


@settings(max_examples=60, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2026, 2, 10), max_value=datetime(2026, 2, 20), timezones=st.just(KST)
    ),
    span_minutes=st.integers(min_value=0, max_value=6 * 1440),
)
def test_between_equals_a_minute_by_minute_count(start, span_minutes):
    start = start.replace(second=0, microsecond=0)  # the oracle steps whole minutes
    end = start + timedelta(minutes=span_minutes)
    counted = sum(is_open_at(SHOP, start + timedelta(minutes=i)) for i in range(span_minutes))
    assert business_minutes_between(SHOP, start, end) == counted
