"""Business-time arithmetic over a weekly schedule, Korean public holidays and per-date overrides.

Pure functions: they take the calendar and the times, never the clock. Time is counted on the calendar's
wall clock (Asia/Seoul has no DST); positions inside a day are kept as timedeltas, so a start time with
seconds stays exact and `business_minutes_between(c, s, add_business_minutes(c, s, m)) == m`.
Whole weeks without a holiday or an override are skipped arithmetically, so a 72-hour target in a
calendar open 35 hours a week costs a few loop turns, not thousands.
"""

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo

import holidays

Interval = tuple[timedelta, timedelta]  # [start, end) as offsets from local midnight
DAY = timedelta(days=1)
WEEK = timedelta(days=7)
MAX_DAYS = 366 * 30  # a calendar with no open hours at all must fail, not spin


@lru_cache(maxsize=64)
def korean_holidays(year: int) -> frozenset[date]:
    """Public holidays of one year, including substitute and election days (the `holidays` package)."""
    return frozenset(holidays.country_holidays("KR", years=year))


def parse_hhmm(value: str) -> timedelta:
    hours, minutes = value.split(":")
    h, m = int(hours), int(minutes)
    if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m):
        raise ValueError(f"not a time of day: {value!r}")
    return timedelta(hours=h, minutes=m)


def parse_intervals(pairs: list[list[str]] | list[tuple[str, str]]) -> tuple[Interval, ...]:
    """[["10:00", "12:00"], ["13:00", "17:00"]] -> sorted, non-overlapping intervals (ValueError if not)."""
    intervals = sorted((parse_hhmm(a), parse_hhmm(b)) for a, b in pairs)
    for (_s1, e1), (s2, _e2) in pairwise(intervals):
        if e1 > s2:
            raise ValueError("intervals overlap")
    if any(s >= e for s, e in intervals):
        raise ValueError("an interval ends before it starts")
    return tuple(intervals)


@dataclass(frozen=True)
class Calendar:
    """A compiled business-hours calendar. `weekly[0]` is Monday. `overrides` replace a date's hours
    (an empty tuple closes the day); they win over holidays, which win over the weekly hours."""

    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Seoul"))
    weekly: tuple[tuple[Interval, ...], ...] = ((),) * 7
    overrides: dict[date, tuple[Interval, ...]] = field(default_factory=dict)
    uses_holidays: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "_override_dates", tuple(sorted(self.overrides)))
        week = sum((e - s for day in self.weekly for s, e in day), timedelta())
        object.__setattr__(self, "_week_total", week)

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        if day in self.overrides:
            return self.overrides[day]
        if self.uses_holidays and day in korean_holidays(day.year):
            return ()
        return self.weekly[day.weekday()]

    def is_plain_week(self, first: date) -> bool:
        """No override and no holiday in [first, first + 7 days): the week has exactly the weekly hours."""
        last = first + WEEK
        dates = self._override_dates
        i = bisect_left(dates, first)
        if i < len(dates) and dates[i] < last:
            return False
        if not self.uses_holidays:
            return True
        years = {first.year, last.year}
        return not any(first <= d < last for y in years for d in korean_holidays(y))


def always_open(zone: str = "Asia/Seoul") -> Calendar:
    """Calendar time: every minute counts, holidays included."""
    return Calendar(zone=ZoneInfo(zone), weekly=(((timedelta(), DAY),),) * 7, uses_holidays=False)


def _local(calendar: Calendar, moment: datetime) -> tuple[date, timedelta]:
    if moment.tzinfo is None:
        raise ValueError("business-time arithmetic needs aware datetimes")
    local = moment.astimezone(calendar.zone)
    return local.date(), local - datetime.combine(local.date(), time(), tzinfo=calendar.zone)


def _utc(calendar: Calendar, day: date, offset: timedelta) -> datetime:
    return (datetime.combine(day, time(), tzinfo=calendar.zone) + offset).astimezone(UTC)


def add_business_minutes(calendar: Calendar, start: datetime, minutes: int) -> datetime:
    """The moment `minutes` business minutes after `start`. Outside business hours counting starts at the
    next opening; a result on the end of an interval stays there (16:55 + 5 min = 17:00, not next morning)."""
    return add_business_time(calendar, start, timedelta(minutes=minutes))


def add_business_time(calendar: Calendar, start: datetime, amount: timedelta) -> datetime:
    """add_business_minutes with an exact duration (resuming a paused clock keeps its seconds)."""
    if amount < timedelta():
        raise ValueError("the amount must not be negative")
    if not amount:
        return start
    day, position = _local(calendar, start)
    remaining = amount
    week_total = calendar._week_total
    for _ in range(MAX_DAYS):
        for opens, closes in calendar.intervals_on(day):
            if closes <= position:
                continue
            begin = max(opens, position)
            if remaining <= closes - begin:
                return _utc(calendar, day, begin + remaining)
            remaining -= closes - begin
        day, position = day + DAY, timedelta()
        # strictly greater: a target that ends exactly a week on must land on that week's last close
        while week_total and remaining > week_total and calendar.is_plain_week(day):
            remaining -= week_total
            day += WEEK
    raise ValueError("the calendar has no business hours")


def business_minutes_between(calendar: Calendar, a: datetime, b: datetime) -> int:
    """Whole business minutes in [a, b); negative when b is before a."""
    if b < a:
        return -business_minutes_between(calendar, b, a)
    return int(business_time_between(calendar, a, b).total_seconds() // 60)


def business_time_between(calendar: Calendar, a: datetime, b: datetime) -> timedelta:
    """The exact business time in [a, b) (zero when b is not after a)."""
    if b <= a:
        return timedelta()
    day, position = _local(calendar, a)
    last_day, last_position = _local(calendar, b)
    total = timedelta()
    week_total = calendar._week_total
    while day <= last_day:
        if day + WEEK <= last_day and position == timedelta() and calendar.is_plain_week(day):
            total += week_total
            day += WEEK
            continue
        end = last_position if day == last_day else DAY
        for opens, closes in calendar.intervals_on(day):
            begin, finish = max(opens, position), min(closes, end)
            if finish > begin:
                total += finish - begin
        day, position = day + DAY, timedelta()
    return total


def is_open_at(calendar: Calendar, moment: datetime) -> bool:
    day, position = _local(calendar, moment)
    return any(opens <= position < closes for opens, closes in calendar.intervals_on(day))
