"""The core-hours rule: since 1 October 2025 a GP practice in England must keep online requests
open Monday to Friday, 08:00 to 18:30 (UK time), except bank holidays, for non-urgent
appointment requests, medication queries and admin requests: in this app, both medical and admin
requests.

The practice stays in control. Practice settings say in plain words when a change would close
online requests inside core hours, the admin types why, and the change is saved and recorded
(who, when, what, why) in a log a practice admin can read. Nothing is forbidden.

What closes online requests inside core hours (``Closure``):

- hours for medical or admin requests that don't cover 08:00 to 18:30 on a weekday (closed that
  day, opening after 08:00, or closing before 18:30);
- a daily limit, or a limit of requests open at once: either can close online requests before
  18:30 when it is reached;
- turning online requests off (until someone turns them back on);
- a closed day on a weekday that is not a bank holiday.

What doesn't: routine-only after a cut-off (requests are still taken; urgent problems are told to
call), per-patient limits (the service stays open to everyone else), switching off "in their own
words" requests, closed days at weekends or on bank holidays.

Settings compare before and after: only a closure the change adds needs a reason, so an admin
correcting a typo in the important updates isn't asked again about hours saved last year.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from sqlmodel import Session, col, select

from anima_pwa.models import CoreHoursChange
from anima_pwa.services.platform import bank_holidays, clock, text_limits
from anima_pwa.services.practice.permissions import Action, StaffContext, require

__all__ = [
    "CORE_END",
    "CORE_START",
    "RULE_SINCE",
    "Closure",
    "LogRow",
    "check_why",
    "closed_day_closure",
    "core_period",
    "in_core_hours",
    "is_core_day",
    "log",
    "new_closures",
    "next_core_start",
    "record",
    "settings_closures",
]

CORE_START = time(8, 0)
CORE_END = time(18, 30)
RULE_SINCE = date(2025, 10, 1)
KINDS = ("medical", "admin")  # non-urgent appointment requests and medication queries are medical
_DAYS = ("mon", "tue", "wed", "thu", "fri")
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")  # fmt: skip
WHY_NEEDED = "Say why you are closing online requests inside core hours"
RULE_WORDS = (
    "GP practices in England must keep online requests open Monday to Friday, 08:00 to 18:30 "
    "(except bank holidays), for non-urgent appointment requests, medication queries and admin requests."
)


class _Settings(Protocol):  # requests.request_settings.SettingsView, without importing requests (it imports us)
    @property
    def turned_off(self) -> bool: ...
    @property
    def daily_limit(self) -> int | None: ...
    @property
    def active_limit(self) -> int | None: ...

    def window(self, kind: str, weekday: int) -> tuple[time, time] | None: ...


@dataclass(frozen=True)
class Closure:
    """One way the settings close online requests inside core hours. ``key`` identifies it with
    its values (so a change of time is a new closure); ``text`` says it in plain words."""

    key: str
    text: str


# --- the clock ------------------------------------------------------------------------------------


def _long_date(day: date) -> str:
    return f"{_DAY_NAMES[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def is_core_day(day: date) -> bool:
    """Monday to Friday and not a bank holiday in England and Wales."""
    return day.weekday() < 5 and not bank_holidays.is_bank_holiday(day)


def core_period(day: date) -> tuple[datetime, datetime] | None:
    """Core hours on ``day`` as UTC instants (08:00 and 18:30 London time, whether GMT or BST), or
    None when ``day`` has none."""
    if not is_core_day(day):
        return None
    start = datetime.combine(day, CORE_START, tzinfo=clock.LONDON).astimezone(UTC)
    end = datetime.combine(day, CORE_END, tzinfo=clock.LONDON).astimezone(UTC)
    return start, end


def in_core_hours(now: datetime | None = None) -> bool:
    local = clock.london_now(now)
    period = core_period(local.date())
    return period is not None and period[0] <= local.astimezone(UTC) < period[1]


def next_core_start(now: datetime | None = None) -> datetime:
    """When core hours next begin at or after ``now`` (a UTC instant)."""
    local = clock.london_now(now)
    for offset in range(0, 15):
        period = core_period(local.date() + timedelta(days=offset))
        if period is not None and period[0] >= local.astimezone(UTC):
            return period[0]
    raise AssertionError("no core day in a fortnight")  # pragma: no cover - never more than 5 holidays in a row


# --- what closes core hours -----------------------------------------------------------------------


def _hhmm(value: time) -> str:
    return f"{value.hour:02d}:{value.minute:02d}"


def settings_closures(settings: _Settings, *, now: datetime | None = None) -> list[Closure]:
    """Every way these settings close online requests inside core hours, in plain words."""
    found: list[Closure] = []
    for kind in KINDS:
        for weekday, day in enumerate(_DAYS):
            window = settings.window(kind, weekday)
            days = _DAY_NAMES[weekday] + "s"
            if window is None:
                found.append(
                    Closure(f"hours:{kind}:{day}:closed", f"{kind.capitalize()} requests are closed all day on {days}.")
                )
                continue
            opening, closing = window
            parts = []
            if opening > CORE_START:
                parts.append(f"open at {_hhmm(opening)}, not 08:00")
            if closing < CORE_END:
                parts.append(f"close at {_hhmm(closing)}, not 18:30")
            if parts:
                found.append(
                    Closure(
                        f"hours:{kind}:{day}:{_hhmm(opening)}-{_hhmm(closing)}",
                        f"{kind.capitalize()} requests on {days} {' and '.join(parts)}.",
                    )
                )
    if settings.daily_limit is not None:
        n = settings.daily_limit
        found.append(
            Closure(
                f"daily_limit:{n}",
                f"A daily limit of {n:,} requests: once {n:,} have been sent in a day, online requests close "
                "until the next day, which can be before 18:30.",
            )
        )
    if settings.active_limit is not None:
        n = settings.active_limit
        found.append(
            Closure(
                f"active_limit:{n}",
                f"A limit of {n:,} open requests at once: when it is reached, online requests close until "
                "some are resolved, which can be inside core hours.",
            )
        )
    if settings.turned_off:
        if in_core_hours(now):
            text = "Turning online requests off closes them now, inside core hours, until someone turns them back on."
        else:
            start = clock.to_london(next_core_start(now))
            text = (
                "Turning online requests off keeps them closed into core hours (the next start is "
                f"{_long_date(start.date())} at 08:00) until someone turns them back on."
            )
        found.append(Closure("turned_off", text))
    return found


def new_closures(before: _Settings, after: _Settings, *, now: datetime | None = None) -> list[Closure]:
    """The closures ``after`` has that ``before`` didn't: what a change adds."""
    old = {closure.key for closure in settings_closures(before, now=now)}
    return [closure for closure in settings_closures(after, now=now) if closure.key not in old]


def closed_day_closure(day: date) -> Closure | None:
    """Closing online requests all day on ``day``: a closure on a core day since the rule began."""
    if day < RULE_SINCE or not is_core_day(day):
        return None
    return Closure(
        f"closed_day:{day.isoformat()}",
        f"Closing online requests on {_long_date(day)} closes them for all of core hours that day "
        "(a weekday that is not a bank holiday).",
    )


def check_why(why: object) -> tuple[str, str | None]:
    """The admin's reason, cleaned: (text, None), or ("", the message to show beside the field)."""
    text = text_limits.normalise(why if isinstance(why, str) else "")
    if not text:
        return "", WHY_NEEDED
    too_long = text_limits.check(text, text_limits.CORE_HOURS_WHY.limit, text_limits.CORE_HOURS_WHY.label)
    return (text, None) if too_long is None else ("", too_long)


# --- the log --------------------------------------------------------------------------------------


def record(session: Session, staff: StaffContext, closures: list[Closure], why: str, *, change: str) -> CoreHoursChange:
    """Write who closed core hours, how (``closures``, in words) and why (already checked)."""
    row = CoreHoursChange(
        practice_id=staff.practice_id,
        actor_account_id=staff.account_id,
        actor_name=staff.display_name,
        actor_role=staff.role,
        change=change,
        what=json.dumps([closure.text for closure in closures]),
        why=why,
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class LogRow:
    at: str  # "1 December 2026, 10:15" London time
    who: str  # "Sam Admin (admin)"
    change: str  # "Practice settings" | "Closed day"
    what: list[str]
    why: str


_CHANGE_WORDS = {"settings": "Practice settings", "closed_day": "Closed day"}


def log(session: Session, staff: StaffContext | None, *, limit: int = 100) -> list[LogRow]:
    """The staff member's own practice's log, newest first. Practice admins only
    (PermissionDenied otherwise); another practice's entries are never included."""
    staff = require(staff, Action.VIEW_CORE_HOURS_LOG)
    rows = session.exec(
        select(CoreHoursChange)
        .where(CoreHoursChange.practice_id == staff.practice_id)
        .order_by(col(CoreHoursChange.at).desc(), col(CoreHoursChange.id).desc())
        .limit(max(1, min(limit, 500)))
    ).all()
    out = []
    for row in rows:
        local = clock.to_london(row.at)
        try:
            what = [str(item) for item in json.loads(row.what or "[]")]
        except ValueError:
            what = []
        out.append(
            LogRow(
                at=f"{local.day} {_MONTHS[local.month - 1]} {local.year}, {local:%H:%M}",
                who=f"{row.actor_name} ({row.actor_role})",
                change=_CHANGE_WORDS.get(row.change, row.change),
                what=what,
                why=row.why,
            )
        )
    return out
