"""A practice's settings for online requests, as every rule reads them: hours per weekday (medical
and admin separately), the "turn off" switch and its message, routine-only after a cut-off, the
daily, active and per-patient limits, "in their own words" requests, the important updates, and
the closed days ahead.

``settings_for`` gives them with the defaults filled in (Monday to Friday 08:00-18:30 for both
kinds, no daily or active limit, one open medical and one open admin request per patient) when a
practice has saved none. Changing them is ``practice_settings``; what they mean for a request now
is ``rules``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time

from sqlmodel import Session, col, select

from anima_pwa.models import ClosedDay, PracticeSettings, id_of
from anima_pwa.services.platform import clock

__all__ = [
    "DAYS",
    "DAY_NAMES",
    "KINDS",
    "ClosedDayView",
    "SettingsView",
    "Window",
    "closed_days",
    "default_hours",
    "hhmm",
    "long_date",
    "parse_hhmm",
    "settings_for",
    "view_of",
]

KINDS = ("medical", "admin")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

DEFAULT_OPEN = "08:00"
DEFAULT_CLOSE = "18:30"
_HHMM = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")


def parse_hhmm(value: object) -> time | None:
    """ "08:00" (or "8:00") as a time; None for anything else."""
    if not isinstance(value, str):
        return None
    match = _HHMM.fullmatch(value.strip())
    if match is None:
        return None
    return time(int(match.group(1)), int(match.group(2)))


def hhmm(value: time) -> str:
    """A time as "08:00"."""
    return f"{value.hour:02d}:{value.minute:02d}"


def long_date(day: date) -> str:
    """ "Monday 25 August"."""
    return f"{DAY_NAMES[day.weekday()]} {day.day} {_MONTH_NAMES[day.month - 1]}"


Window = tuple[time, time]


def default_hours() -> dict[str, Window | None]:
    opening = (time(8, 0), time(18, 30))
    return {day: (opening if index < 5 else None) for index, day in enumerate(DAYS)}


@dataclass(frozen=True)
class SettingsView:
    """A practice's online-request settings, defaults filled in. ``hours[kind][day]`` is an
    (opening, closing) pair of local times, or None when closed that weekday."""

    practice_id: int
    hours: Mapping[str, Mapping[str, Window | None]]
    turned_off: bool = False
    turned_off_message: str = ""
    routine_only_after: str = ""  # "HH:MM", or "" for never
    daily_limit: int | None = None
    active_limit: int | None = None
    per_patient_medical: int = 1
    per_patient_admin: int = 1
    free_text_enabled: bool = True
    important_updates: str = ""
    auto_close_days: int = 14  # a request waiting on the patient's reply this long is closed
    cancel_cutoff_hours: int = 2  # patients cancel an appointment online up to this long before it

    def window(self, kind: str, weekday: int) -> Window | None:
        return self.hours.get(kind, {}).get(DAYS[weekday])

    def per_patient(self, kind: str) -> int:
        return self.per_patient_medical if kind == "medical" else self.per_patient_admin

    def form(self) -> dict[str, object]:
        """The settings form, filled in: what ``update_settings`` takes back."""
        values: dict[str, object] = {}
        for kind in KINDS:
            for day in DAYS:
                window = self.hours.get(kind, {}).get(day)
                values[f"{kind}_{day}_open"] = hhmm(window[0]) if window else ""
                values[f"{kind}_{day}_close"] = hhmm(window[1]) if window else ""
        values.update(
            turned_off=self.turned_off,
            turned_off_message=self.turned_off_message,
            routine_only_after=self.routine_only_after,
            daily_limit="" if self.daily_limit is None else str(self.daily_limit),
            active_limit="" if self.active_limit is None else str(self.active_limit),
            per_patient_medical=str(self.per_patient_medical),
            per_patient_admin=str(self.per_patient_admin),
            free_text_enabled=self.free_text_enabled,
            important_updates=self.important_updates,
            auto_close_days=str(self.auto_close_days),
            cancel_cutoff_hours=str(self.cancel_cutoff_hours),
        )
        return values


def _parse_hours(raw: str) -> dict[str, dict[str, Window | None]]:
    """The stored hours. A kind missing from the JSON (a new row stores "{}") gets the default
    hours; within a kind that is present, a missing or unreadable day is closed."""
    try:
        stored = json.loads(raw or "{}")
    except ValueError:
        stored = {}
    if not isinstance(stored, dict):
        stored = {}
    hours: dict[str, dict[str, Window | None]] = {}
    for kind in KINDS:
        days = stored.get(kind)
        if not isinstance(days, dict):
            hours[kind] = default_hours()
            continue
        hours[kind] = {}
        for day in DAYS:
            pair = days.get(day)
            window = None
            if isinstance(pair, list | tuple) and len(pair) == 2:
                opening, closing = parse_hhmm(pair[0]), parse_hhmm(pair[1])
                if opening is not None and closing is not None and opening < closing:
                    window = (opening, closing)
            hours[kind][day] = window
    return hours


def view_of(practice_id: int, row: PracticeSettings | None) -> SettingsView:
    if row is None:
        return SettingsView(practice_id=practice_id, hours={kind: default_hours() for kind in KINDS})
    cutoff = parse_hhmm(row.routine_only_after)
    return SettingsView(
        practice_id=practice_id,
        hours=_parse_hours(row.hours),
        turned_off=bool(row.turned_off),
        turned_off_message=row.turned_off_message or "",
        routine_only_after=hhmm(cutoff) if cutoff else "",
        daily_limit=row.daily_limit if row.daily_limit and row.daily_limit > 0 else None,
        active_limit=row.active_limit if row.active_limit and row.active_limit > 0 else None,
        per_patient_medical=max(1, row.per_patient_medical or 1),
        per_patient_admin=max(1, row.per_patient_admin or 1),
        free_text_enabled=bool(row.free_text_enabled),
        important_updates=row.important_updates or "",
        auto_close_days=row.auto_close_days if row.auto_close_days and 1 <= row.auto_close_days <= 90 else 14,
        cancel_cutoff_hours=(
            row.cancel_cutoff_minutes // 60
            if row.cancel_cutoff_minutes is not None and 0 <= row.cancel_cutoff_minutes <= 48 * 60
            else 2
        ),
    )


def settings_for(session: Session, practice_id: int) -> SettingsView:
    """The practice's settings; the defaults (Mon-Fri 08:00-18:30 for both kinds, no daily or
    active limit, one open medical and one open admin request per patient) when none are saved."""
    row = session.exec(select(PracticeSettings).where(PracticeSettings.practice_id == practice_id)).first()
    return view_of(practice_id, row)


@dataclass(frozen=True)
class ClosedDayView:
    id: int
    day: date
    label: str  # "Monday 25 August"
    reason: str  # "Bank holiday", or ""


def closed_days(session: Session, practice_id: int, *, from_day: date | None = None) -> list[ClosedDayView]:
    """The practice's closed days from ``from_day`` (by default today, the date in England) on,
    soonest first."""
    if from_day is None:
        from_day = clock.today()
    rows = session.exec(
        select(ClosedDay)
        .where(ClosedDay.practice_id == practice_id, col(ClosedDay.day) >= from_day)
        .order_by(col(ClosedDay.day))
    ).all()
    return [ClosedDayView(id=id_of(row), day=row.day, label=long_date(row.day), reason=row.reason) for row in rows]
