"""Practice settings, changed by a practice admin: the online-request settings form
(``update_settings``) and closed days (``add_closed_day``, ``remove_closed_day``), each checked
in full before anything is saved and audited when saved.

The core-hours rule (``core_hours``) is the practice's to apply: a change that closes online
requests inside core hours is saved only with the admin's reason (``why``), and then recorded in
the core-hours log with who and what; ``core_hours_preview`` says what a form would close before
it is saved. Reading the settings is ``request_settings``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from anima_pwa.models import ClosedDay, PracticeSettings
from anima_pwa.services.platform import audit, clock, text_limits
from anima_pwa.services.platform.results import Result, failed
from anima_pwa.services.platform.validation import FieldError, clean_text
from anima_pwa.services.practice import core_hours
from anima_pwa.services.practice.permissions import Action, StaffContext, record_id, require
from anima_pwa.services.requests.request_settings import (
    DAY_NAMES,
    DAYS,
    KINDS,
    SettingsView,
    hhmm,
    long_date,
    parse_hhmm,
    settings_for,
    view_of,
)

__all__ = [
    "CLOSED_DAY_NOT_FOUND",
    "add_closed_day",
    "core_hours_preview",
    "remove_closed_day",
    "update_settings",
]

PER_PATIENT_MAX = 5
AUTO_CLOSE_MIN, AUTO_CLOSE_MAX = 1, 90  # days a request waits on the patient's reply (inbox.auto_close)
CANCEL_CUTOFF_MAX = 48  # hours before an appointment that patients may still cancel online (appointments.booking)
LIMIT_MAX = 99_999
TURNED_OFF_MESSAGE_MAX = text_limits.TURNED_OFF_MESSAGE.limit
CLOSED_DAY_REASON_MAX = text_limits.CLOSED_DAY_REASON.limit
_CLOSED_DAY_HORIZON = timedelta(days=2 * 366)  # how far ahead a closed day may be set
CLOSED_DAY_NOT_FOUND = "We could not find that closed day at your practice."


_TRUE_WORDS = frozenset({"on", "true", "yes", "1"})


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in _TRUE_WORDS


def _whole_number(value: object) -> int | None:
    """A whole number from a form: an int, or ASCII digits; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit() and len(text) <= 9:
            return int(text)
    return None


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _clean_limit(value: object, label: str, example: int) -> tuple[int | None, str | None]:
    if _blank(value):
        return None, None
    number = _whole_number(value)
    if number is None:
        return None, f"Enter the {label} as a whole number, like {example}, or leave it blank for no limit"
    if number < 1:
        return None, f"The {label} must be 1 or more, or leave it blank for no limit"
    if number > LIMIT_MAX:
        return None, f"The {label} must be {LIMIT_MAX:,} or fewer"
    return number, None


def _clean_per_patient(value: object, kind: str) -> tuple[int | None, str | None]:
    number = _whole_number(value)
    if number is None or not 1 <= number <= PER_PATIENT_MAX:
        return None, f"Enter the number of open {kind} requests a patient may have, from 1 to {PER_PATIENT_MAX}"
    return number, None


def update_settings(
    session: Session,
    staff: StaffContext | None,
    form: Mapping[str, object],
    *,
    why: object = None,
    now: datetime | None = None,
) -> Result:
    """Save the practice settings form for the staff member's own practice: works when saved (or
    nothing changed), else fails with an error message per form field and nothing saved.

    ``form`` uses the keys of ``SettingsView.form()``; a key left out keeps its current value, so
    a "Turn off online requests" button can send just ``turned_off`` and ``turned_off_message``.
    Both times blank means closed that weekday. Raises PermissionDenied unless the staff member
    may manage practice settings (admins).

    The core-hours rule (``core_hours``): a change that adds a way online requests close inside
    core hours is saved only with ``why`` (the admin's reason; else ``{"core_hours_why": ...}``
    and nothing saved), and is then recorded in the core-hours log with who and what.
    """
    staff = require(staff, Action.MANAGE_PRACTICE_SETTINGS)
    current, new, errors = _parse_form(session, staff, form)
    if errors:
        return Result(errors=errors)
    proposed = view_of(staff.practice_id, PracticeSettings(practice_id=staff.practice_id, **new))
    closures = core_hours.new_closures(current, proposed, now=now)
    reason = ""
    if closures:
        reason, problem = core_hours.check_why(why)
        if problem:
            return failed(problem, "core_hours_why")
    _save_settings(session, staff, current, new, closures, reason)
    return Result()


def core_hours_preview(
    session: Session, staff: StaffContext | None, form: Mapping[str, object], *, now: datetime | None = None
) -> list[core_hours.Closure]:
    """The ways saving ``form`` would newly close online requests inside core hours (what the
    settings page warns about before asking why); [] when there are none or the form has errors
    (``update_settings`` reports those)."""
    staff = require(staff, Action.MANAGE_PRACTICE_SETTINGS)
    current, new, errors = _parse_form(session, staff, form)
    if errors:
        return []
    proposed = view_of(staff.practice_id, PracticeSettings(practice_id=staff.practice_id, **new))
    return core_hours.new_closures(current, proposed, now=now)


def _parse_form(
    session: Session, staff: StaffContext, form: Mapping[str, object]
) -> tuple[SettingsView, dict[str, Any], dict[str, str]]:
    """(current settings, the new column values, errors by form field)."""
    if not isinstance(form, Mapping):
        raise ValueError("form must be a mapping")
    current = settings_for(session, staff.practice_id)
    values = {**current.form(), **{key: form[key] for key in form if key in current.form()}}
    errors: dict[str, str] = {}

    hours: dict[str, dict[str, list[str]]] = {}
    for kind in KINDS:
        hours[kind] = {}
        for index, day in enumerate(DAYS):
            open_key, close_key = f"{kind}_{day}_open", f"{kind}_{day}_close"
            raw_open, raw_close = values[open_key], values[close_key]
            where = f"{kind.capitalize()} requests on {DAY_NAMES[index]}"
            if _blank(raw_open) and _blank(raw_close):
                continue  # closed that day
            opening, closing = parse_hhmm(raw_open), parse_hhmm(raw_close)
            if _blank(raw_open):
                errors[open_key] = f"{where}: enter an opening time, or leave both times blank if closed"
            elif opening is None:
                errors[open_key] = f"{where}: enter the opening time in hours and minutes, like 08:00"
            if _blank(raw_close):
                errors[close_key] = f"{where}: enter a closing time, or leave both times blank if closed"
            elif closing is None:
                errors[close_key] = f"{where}: enter the closing time in hours and minutes, like 18:30"
            if opening is not None and closing is not None:
                if opening >= closing:
                    errors[close_key] = f"{where}: the closing time must be after the opening time"
                else:
                    hours[kind][day] = [hhmm(opening), hhmm(closing)]

    turned_off = _flag(values["turned_off"])
    message = ""
    try:
        message = clean_text(
            values["turned_off_message"] if isinstance(values["turned_off_message"], str) else "",
            label="the message patients will see while online requests are turned off",
            max_length=TURNED_OFF_MESSAGE_MAX,
            required=turned_off,
        )
    except FieldError as error:
        errors["turned_off_message"] = error.message

    routine_only_after = ""
    if not _blank(values["routine_only_after"]):
        cutoff = parse_hhmm(values["routine_only_after"])
        if cutoff is None:
            errors["routine_only_after"] = (
                "Enter the routine-only time in hours and minutes, like 16:00, or leave it blank for never"
            )
        else:
            routine_only_after = hhmm(cutoff)

    daily_limit, problem = _clean_limit(values["daily_limit"], "daily limit", 60)
    if problem:
        errors["daily_limit"] = problem
    active_limit, problem = _clean_limit(values["active_limit"], "limit of open requests", 150)
    if problem:
        errors["active_limit"] = problem
    per_patient: dict[str, int | None] = {}
    for kind in KINDS:
        per_patient[kind], problem = _clean_per_patient(values[f"per_patient_{kind}"], kind)
        if problem:
            errors[f"per_patient_{kind}"] = problem
    updates = values["important_updates"] if isinstance(values["important_updates"], str) else ""
    updates = text_limits.normalise(updates)
    too_long = text_limits.check(updates, text_limits.IMPORTANT_UPDATES.limit, text_limits.IMPORTANT_UPDATES.label)
    if too_long:
        errors["important_updates"] = too_long
    auto_close_days = _whole_number(values["auto_close_days"])
    if auto_close_days is None or not AUTO_CLOSE_MIN <= auto_close_days <= AUTO_CLOSE_MAX:
        errors["auto_close_days"] = (
            f"Enter the number of days to wait for a patient's reply, from {AUTO_CLOSE_MIN} to {AUTO_CLOSE_MAX}"
        )
    cancel_cutoff_hours = _whole_number(values["cancel_cutoff_hours"])
    if cancel_cutoff_hours is None or not 0 <= cancel_cutoff_hours <= CANCEL_CUTOFF_MAX:
        errors["cancel_cutoff_hours"] = (
            f"Enter how many hours before an appointment patients can still cancel it online, from 0 to "
            f"{CANCEL_CUTOFF_MAX}"
        )
    if errors:
        order = list(current.form())
        return current, {}, {key: errors[key] for key in order if key in errors}

    new = {
        "hours": json.dumps(hours, sort_keys=True, separators=(",", ":")),
        "turned_off": turned_off,
        "turned_off_message": message,
        "routine_only_after": routine_only_after,
        "daily_limit": daily_limit,
        "active_limit": active_limit,
        "per_patient_medical": per_patient["medical"],
        "per_patient_admin": per_patient["admin"],
        "free_text_enabled": _flag(values["free_text_enabled"]),
        "important_updates": updates,
        "auto_close_days": auto_close_days,
        "cancel_cutoff_minutes": (cancel_cutoff_hours or 0) * 60,
    }
    return current, new, {}


def _save_settings(
    session: Session,
    staff: StaffContext,
    current: SettingsView,
    new: dict[str, Any],
    closures: list[core_hours.Closure],
    why: str,
) -> None:
    row = session.exec(select(PracticeSettings).where(PracticeSettings.practice_id == staff.practice_id)).first()
    before = current.form()
    after = view_of(staff.practice_id, PracticeSettings(practice_id=staff.practice_id, **new)).form()
    changed = [key for key in before if before[key] != after[key]]
    if not changed:
        return
    if row is None:
        row = PracticeSettings(practice_id=staff.practice_id)
    for name, value in new.items():
        setattr(row, name, value)
    row.updated_at = clock.utcnow()
    session.add(row)
    session.flush()
    fields = sorted({_setting_name(key) for key in changed})
    detail: dict[str, object] = {"fields": fields, "turned_off": bool(new["turned_off"])}
    if closures:
        logged = core_hours.record(session, staff, closures, why, change="settings")
        detail["core_hours_change_id"] = logged.id
    audit.record_staff(session, staff, "practice_settings_changed", detail=detail)


def _setting_name(form_key: str) -> str:
    """ "medical_mon_open" -> "medical_hours"; other keys as they are."""
    for kind in KINDS:
        if any(form_key.startswith(f"{kind}_{day}_") for day in DAYS):
            return f"{kind}_hours"
    return form_key


# Closed days ---------------------------------------------------------------------------------------


CLOSED_DAY_WHY_FIELD = "closed_day_why"  # the form's fields for a closed day
CLOSED_DAY_FIELD = "closed_day"
CLOSED_REASON_FIELD = "closed_reason"


def add_closed_day(
    session: Session,
    staff: StaffContext | None,
    day: date,
    reason: str,
    *,
    why: object = None,
    now: datetime | None = None,
) -> Result:
    """Close online requests at the staff member's practice on ``day`` (a bank holiday, a training
    afternoon); fails with the message for its field (``closed_day``, ``closed_reason`` or
    ``closed_day_why``). PermissionDenied unless an admin.

    A weekday that is not a bank holiday closes core hours (``core_hours.closed_day_closure``):
    it is added only with ``why``, the admin's reason (else the message for that field), and the
    log records who, what and why."""
    staff = require(staff, Action.MANAGE_PRACTICE_SETTINGS)
    if not isinstance(day, date) or isinstance(day, datetime):
        return failed("Enter a real date", CLOSED_DAY_FIELD)
    today = clock.today(now)
    if day < today:
        return failed("Enter today's date or a date in the future", CLOSED_DAY_FIELD)
    if day > today + _CLOSED_DAY_HORIZON:
        return failed("Enter a date within the next 2 years", CLOSED_DAY_FIELD)
    try:
        reason = clean_text(
            reason if isinstance(reason, str) else "",
            label="the reason",
            max_length=CLOSED_DAY_REASON_MAX,
            required=False,
        )
    except FieldError as error:
        return failed(error.message, CLOSED_REASON_FIELD)
    closure = core_hours.closed_day_closure(day)
    why_text = ""
    if closure is not None:
        why_text, problem = core_hours.check_why(why)
        if problem:
            return failed(problem, CLOSED_DAY_WHY_FIELD)
    taken = f"Online requests are already closed on {long_date(day)}"
    exists = select(ClosedDay.id).where(ClosedDay.practice_id == staff.practice_id, ClosedDay.day == day)
    if session.exec(exists).first() is not None:
        return failed(taken, CLOSED_DAY_FIELD)
    row = ClosedDay(practice_id=staff.practice_id, day=day, reason=reason)
    try:
        with session.begin_nested():  # two admins adding the same day at once
            session.add(row)
            session.flush()
    except IntegrityError:
        return failed(taken, CLOSED_DAY_FIELD)
    detail: dict[str, object] = {"closed_day_id": row.id, "day": day.isoformat()}
    if closure is not None:
        detail["core_hours_change_id"] = core_hours.record(session, staff, [closure], why_text, change="closed_day").id
    audit.record_staff(session, staff, "closed_day_added", detail=detail)
    return Result()


def remove_closed_day(session: Session, staff: StaffContext | None, closed_day_id: object) -> Result:
    """Open online requests again on a closed day of the staff member's own practice (fails with a
    message for the closed day). A closed day of another practice is refused like a missing one."""
    staff = require(staff, Action.MANAGE_PRACTICE_SETTINGS)
    key = record_id(closed_day_id)
    row = session.get(ClosedDay, key) if key is not None else None
    if row is None or row.practice_id != staff.practice_id:
        return failed(CLOSED_DAY_NOT_FOUND, CLOSED_DAY_FIELD)
    day = row.day
    session.delete(row)
    session.flush()
    audit.record_staff(session, staff, "closed_day_removed", detail={"closed_day_id": key, "day": day.isoformat()})
    return Result()
