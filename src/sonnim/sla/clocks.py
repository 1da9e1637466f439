"""The SLA clock of one conversation as plain arithmetic on an unsaved SlaClock: start a target, pause,
resume, which thresholds passed, and the summary the inbox shows. No queries, no saving: services.py
locks, calls these and saves."""

from dataclasses import dataclass
from datetime import datetime

from .business_hours import (
    Calendar,
    add_business_minutes,
    add_business_time,
    always_open,
    business_time_between,
)
from .choices import TARGETS, NoticeKind, SlaState
from .models import SlaClock, SlaPolicy


@dataclass(frozen=True)
class PolicyTimes:
    """A policy with its compiled calendar: what the arithmetic needs, loaded once per sweep batch."""

    policy: SlaPolicy
    calendar: Calendar  # the policy's business hours (or calendar time when it has none)

    def calendar_for(self, target: str) -> Calendar:
        business = getattr(self.policy, f"{target}_business")
        if business and self.policy.calendar_id is not None:
            return self.calendar
        return always_open(self.calendar.zone.key)

    def minutes(self, target: str) -> int | None:
        return getattr(self.policy, f"{target}_minutes")


@dataclass(frozen=True)
class Notice:
    target: str
    kind: str  # NoticeKind
    cycle: int
    due_at: datetime


@dataclass(frozen=True)
class Summary:
    state: str  # SlaState
    due_at: datetime | None
    target: str | None


def cycle_of(clock: SlaClock, target: str) -> int:
    return {"next_response": clock.next_response_cycle, "resolution": clock.resolution_cycle}.get(target, 0)


def is_running(clock: SlaClock, target: str) -> bool:
    return getattr(clock, f"{target}_due_at") is not None and getattr(clock, f"{target}_met_at") is None


def start_target(clock: SlaClock, times: PolicyTimes, target: str, at: datetime) -> None:
    """Start (or restart) one target at `at`; a policy without that target leaves it unset."""
    minutes = times.minutes(target)
    if minutes is None:
        return
    calendar = times.calendar_for(target)
    warn_minutes = minutes * times.policy.warning_percent // 100  # rounded down: warn early, never late
    setattr(clock, f"{target}_started_at", at)
    setattr(clock, f"{target}_warn_at", add_business_minutes(calendar, at, warn_minutes))
    setattr(clock, f"{target}_due_at", add_business_minutes(calendar, at, minutes))
    setattr(clock, f"{target}_met_at", None)


def meet_target(clock: SlaClock, target: str, at: datetime) -> bool:
    if not is_running(clock, target):
        return False
    setattr(clock, f"{target}_met_at", at)
    return True


def pause(clock: SlaClock, at: datetime) -> None:
    if clock.paused_at is None:
        clock.paused_at = at


def resume(clock: SlaClock, times: PolicyTimes, at: datetime) -> None:
    """Move every running target's thresholds by the time spent paused, in the target's own time (a
    business target paused over a weekend loses nothing it would not have counted anyway)."""
    if clock.paused_at is None:
        return
    paused_at = clock.paused_at
    for target in TARGETS:
        if not is_running(clock, target):
            continue
        calendar = times.calendar_for(target)
        for field in (f"{target}_warn_at", f"{target}_due_at"):
            moment = getattr(clock, field)
            if moment is None or moment <= paused_at:  # already passed before the pause: stays passed
                continue
            left = business_time_between(calendar, paused_at, moment)
            setattr(clock, field, add_business_time(calendar, at, left))
    clock.paused_seconds += max(0, int((at - paused_at).total_seconds()))
    clock.paused_at = None


def passed_notices(clock: SlaClock, now: datetime) -> list[Notice]:
    """Thresholds of running targets that passed by `now` (by the pause, when paused), breach first."""
    moment = min(now, clock.paused_at) if clock.paused_at else now
    found = []
    for target in TARGETS:
        if not is_running(clock, target):
            continue
        due, warn = getattr(clock, f"{target}_due_at"), getattr(clock, f"{target}_warn_at")
        cycle = cycle_of(clock, target)
        if due <= moment:
            found.append(Notice(target, NoticeKind.BREACHED, cycle, due))
        if warn is not None and warn <= moment:
            found.append(Notice(target, NoticeKind.WARNING, cycle, due))
    return found


def next_check(clock: SlaClock, now: datetime) -> datetime | None:
    """The earliest threshold after `now` the sweep must look at; None while paused or when nothing
    runs (resuming recomputes it)."""
    if clock.paused_at is not None:
        return None
    moments = [
        moment
        for target in TARGETS
        if is_running(clock, target)
        for moment in (getattr(clock, f"{target}_warn_at"), getattr(clock, f"{target}_due_at"))
        if moment is not None and moment > now
    ]
    return min(moments, default=None)


def summarize(clock: SlaClock, now: datetime) -> Summary:
    if clock.paused_at is not None:
        return Summary(SlaState.PAUSED, None, None)
    running = [(getattr(clock, f"{t}_due_at"), t) for t in TARGETS if is_running(clock, t)]
    if running:
        due, target = min(running)
        if due <= now:
            state = SlaState.BREACHED
        elif any(getattr(clock, f"{t}_warn_at") <= now for _d, t in running):
            state = SlaState.WARNING
        else:
            state = SlaState.RUNNING
        return Summary(state, due, target)
    late = any(
        (met := getattr(clock, f"{t}_met_at")) is not None and met > getattr(clock, f"{t}_due_at")
        for t in TARGETS
        if getattr(clock, f"{t}_due_at") is not None
    )
    return Summary(SlaState.BREACHED if late else SlaState.MET, None, None)


def nearest_target(clock: SlaClock) -> str | None:
    """The running target due first (what the inbox badge counts down to)."""
    if clock.paused_at is not None:
        return None
    running = [(getattr(clock, f"{t}_due_at"), t) for t in TARGETS if is_running(clock, t)]
    return min(running)[1] if running else None
