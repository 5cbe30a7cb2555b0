"""When a practice takes online requests, and how many: hours per weekday (medical and admin
separately), closed days, the "turn off" switch, routine-only after a cut-off, and the daily,
active and per-patient limits.

Two entry points for the request wizard:

- ``availability()`` when the wizard starts, so nobody answers twenty questions to be refused. It
  only reads, so it can be out of date a moment later;
- ``reserve_and_submit()`` when the request is sent. It locks the practice's ``CapacityCounter``
  row for today and checks everything again under that lock, so two patients racing for the last
  place of the day give exactly one request (ARCHITECTURE.md section 9: a row lock, not a Python
  check followed by a write).

The refusal reasons follow the patient guide's "Why can I not submit a request to my surgery?":
the window for online requests is closed (``turned_off``, ``closed_day``, ``outside_hours``), the
practice's limit for the day (``daily_limit``), the limit of requests active at once
(``active_limit``), and the patient's own limit of open requests (``patient_limit``: one medical
and one admin by default, each dependant counted on their own).

Times are the practice's local time (UK time, from ``clock``); ``now`` is an aware datetime (UTC
or any other zone) and defaults to the current time. Nothing here commits: the caller owns the transaction, and
after ``reserve_and_submit`` it should commit (or roll back) promptly, because the counter row
stays locked until then.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from anima_pwa.models import (
    OPEN_STATUSES,
    AccountPatient,
    CapacityCounter,
    ClosedDay,
    Patient,
    PracticeSettings,
    Request,
)
from anima_pwa.services.platform import audit, clock, text_limits
from anima_pwa.services.practice import core_hours
from anima_pwa.services.practice.permissions import (
    ADMIN,
    RECEPTIONIST,
    Action,
    PermissionDenied,
    StaffContext,
    record_id,
    require,
)
from anima_pwa.services.platform.validation import FieldError, clean_text
from anima_pwa.services.requests.request_settings import (
    DAY_NAMES,
    DAYS,
    KINDS,
    SettingsView,
    Window,
    hhmm,
    long_date,
    parse_hhmm,
    settings_for,
    view_of,
)

__all__ = [
    "REASONS",
    "Availability",
    "Refusal",
    "add_closed_day",
    "availability",
    "core_hours_preview",
    "next_opening",
    "remove_closed_day",
    "reserve_and_submit",
    "update_settings",
]


# The refusal reasons, in the order they are checked.
REASONS = ("turned_off", "closed_day", "outside_hours", "daily_limit", "active_limit", "patient_limit")
# What a receptionist taking a request by phone may go past. Turning online requests off and
# closed days are the practice's own "nobody is reading the queue" switches, so they hold for
# staff too (an admin can switch them back, which is audited).
OVERRIDABLE = frozenset({"outside_hours", "daily_limit", "active_limit", "patient_limit"})

PER_PATIENT_MAX = 5
LIMIT_MAX = 99_999
TURNED_OFF_MESSAGE_MAX = text_limits.TURNED_OFF_MESSAGE.limit
CLOSED_DAY_REASON_MAX = text_limits.CLOSED_DAY_REASON.limit
_CLOSED_DAY_HORIZON = timedelta(days=2 * 366)  # how far ahead a closed day may be set
_OPENING_SEARCH_DAYS = 400

EMERGENCY = "In an emergency call 999."
URGENT = "For urgent help call NHS 111. In an emergency call 999."
ALREADY_SENT = "This request has already been sent to the practice."
ROUTINE_ONLY = (
    "Requests sent now will be dealt with as routine. If your problem is urgent, call the surgery "
    "or NHS 111. " + EMERGENCY
)
STAFF_TURNED_OFF = (
    "Online requests are turned off at the practice, so a request can't be created now. An admin "
    "can turn them back on in the practice settings."
)
CLOSED_DAY_NOT_FOUND = "We could not find that closed day at your practice."

# Reference numbers: "AN-" and 6 characters that can't be mistaken for each other when read out
# on the phone (no 0/O, 1/I/L, 5/S, 8/B, 2/Z).
REFERENCE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
REFERENCE_PREFIX = "AN-"
_REFERENCE_LENGTH = 6


# --------------------------------------------------------------------------------------------------
# Times
# --------------------------------------------------------------------------------------------------


def _when(opening: datetime, today: date) -> str:
    """"today at 13:00", "tomorrow at 08:00", "on Monday at 08:00", "on Monday 6 April at 08:00"."""
    local = clock.to_london(opening)
    day, at = local.date(), f"at {local:%H:%M}"
    days_ahead = (day - today).days
    if days_ahead == 0:
        return f"today {at}"
    if days_ahead == 1:
        return f"tomorrow {at}"
    if days_ahead < 7:
        return f"on {DAY_NAMES[day.weekday()]} {at}"
    return f"on {long_date(day)} {at}"


# --------------------------------------------------------------------------------------------------
# 1. Settings
# --------------------------------------------------------------------------------------------------


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
) -> dict[str, str]:
    """Save the practice settings form for the staff member's own practice: {} when saved (or
    nothing changed), else an error message per form field and nothing saved.

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
        return errors
    proposed = view_of(staff.practice_id, PracticeSettings(practice_id=staff.practice_id, **new))
    closures = core_hours.new_closures(current, proposed, now=now)
    reason = ""
    if closures:
        reason, problem = core_hours.check_why(why)
        if problem:
            return {"core_hours_why": problem}
    return _save_settings(session, staff, current, new, closures, reason)


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
) -> tuple[SettingsView, dict[str, object], dict[str, str]]:
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
    }
    return current, new, {}


def _save_settings(
    session: Session,
    staff: StaffContext,
    current: SettingsView,
    new: dict[str, object],
    closures: list[core_hours.Closure],
    why: str,
) -> dict[str, str]:
    row = session.exec(
        select(PracticeSettings).where(PracticeSettings.practice_id == staff.practice_id)
    ).first()
    before = current.form()
    after = view_of(staff.practice_id, PracticeSettings(practice_id=staff.practice_id, **new)).form()
    changed = [key for key in before if before[key] != after[key]]
    if not changed:
        return {}
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
    _audit(session, staff, "practice_settings_changed", detail=detail)
    return {}


def _setting_name(form_key: str) -> str:
    """"medical_mon_open" -> "medical_hours"; other keys as they are."""
    for kind in KINDS:
        if any(form_key.startswith(f"{kind}_{day}_") for day in DAYS):
            return f"{kind}_hours"
    return form_key


def _audit(session: Session, staff: StaffContext, action: str, *, patient_id: int | None = None, detail: dict) -> None:
    audit.record(
        session,
        action=action,
        actor_account_id=staff.account_id,
        actor_kind="staff",
        patient_id=patient_id,
        practice_id=staff.practice_id,
        detail=detail,
    )


# Closed days ---------------------------------------------------------------------------------------


CORE_HOURS_WHY_FIELD = "core_hours_why"


def add_closed_day(
    session: Session,
    staff: StaffContext | None,
    day: date,
    reason: str,
    *,
    why: object = None,
    now: datetime | None = None,
) -> str | None:
    """Close online requests at the staff member's practice on ``day`` (a bank holiday, a training
    afternoon): None when added, else a message to show. PermissionDenied unless an admin.

    A weekday that is not a bank holiday closes core hours (``core_hours.closed_day_closure``):
    it is added only with ``why``, the admin's reason (else the message for that field), and the
    log records who, what and why."""
    staff = require(staff, Action.MANAGE_PRACTICE_SETTINGS)
    if not isinstance(day, date) or isinstance(day, datetime):
        return "Enter a real date"
    today = clock.today(now)
    if day < today:
        return "Enter today's date or a date in the future"
    if day > today + _CLOSED_DAY_HORIZON:
        return "Enter a date within the next 2 years"
    try:
        reason = clean_text(
            reason if isinstance(reason, str) else "",
            label="the reason",
            max_length=CLOSED_DAY_REASON_MAX,
            required=False,
        )
    except FieldError as error:
        return error.message
    closure = core_hours.closed_day_closure(day)
    why_text = ""
    if closure is not None:
        why_text, problem = core_hours.check_why(why)
        if problem:
            return problem
    taken = f"Online requests are already closed on {long_date(day)}"
    exists = select(ClosedDay.id).where(ClosedDay.practice_id == staff.practice_id, ClosedDay.day == day)
    if session.exec(exists).first() is not None:
        return taken
    row = ClosedDay(practice_id=staff.practice_id, day=day, reason=reason)
    try:
        with session.begin_nested():  # two admins adding the same day at once
            session.add(row)
            session.flush()
    except IntegrityError:
        return taken
    detail: dict[str, object] = {"closed_day_id": row.id, "day": day.isoformat()}
    if closure is not None:
        detail["core_hours_change_id"] = core_hours.record(session, staff, [closure], why_text, change="closed_day").id
    _audit(session, staff, "closed_day_added", detail=detail)
    return None


def remove_closed_day(session: Session, staff: StaffContext | None, closed_day_id: object) -> str | None:
    """Open online requests again on a closed day of the staff member's own practice: None when
    removed, else a message. A closed day of another practice is refused like a missing one."""
    staff = require(staff, Action.MANAGE_PRACTICE_SETTINGS)
    key = record_id(closed_day_id)
    row = session.get(ClosedDay, key) if key is not None else None
    if row is None or row.practice_id != staff.practice_id:
        return CLOSED_DAY_NOT_FOUND
    day = row.day
    session.delete(row)
    session.flush()
    _audit(session, staff, "closed_day_removed", detail={"closed_day_id": key, "day": day.isoformat()})
    return None


def _closed_from(session: Session, practice_id: int, from_day: date) -> dict[date, str]:
    rows = session.exec(
        select(ClosedDay.day, ClosedDay.reason).where(
            ClosedDay.practice_id == practice_id,
            col(ClosedDay.day) >= from_day,
            col(ClosedDay.day) <= from_day + timedelta(days=_OPENING_SEARCH_DAYS),
        )
    ).all()
    return {day: reason for day, reason in rows}


# --------------------------------------------------------------------------------------------------
# 4. The next opening
# --------------------------------------------------------------------------------------------------


def next_opening(
    settings: SettingsView, kind: str, now: datetime | None = None, *, closed: Collection[date] = ()
) -> datetime | None:
    """When the window for online ``kind`` requests next opens at or after ``now``, skipping
    ``closed`` days (London time, aware); None if it never opens (no hours set for ``kind``)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    if all(settings.window(kind, weekday) is None for weekday in range(7)):
        return None
    now_utc = clock.as_utc(now)
    today = clock.today(now_utc)
    for offset in range(_OPENING_SEARCH_DAYS):
        day = today + timedelta(days=offset)
        window = settings.window(kind, day.weekday())
        if window is None or day in closed:
            continue
        opening = datetime.combine(day, window[0], tzinfo=clock.LONDON)
        if opening.astimezone(UTC) >= now_utc:  # compare in UTC: same-zone comparisons ignore DST
            return opening
    return None


# --------------------------------------------------------------------------------------------------
# 2. Availability: the checks, in order
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Availability:
    """Whether a ``kind`` request can be started now and, if not, why (``reason``, one of
    ``REASONS``) in words for the patient (``message``). ``reasons`` lists every reason that
    applies, for the staff screen that overrides limits. ``routine_only``: the practice's cut-off
    has passed, so the wizard must say urgent problems need a call (``message`` says so).
    ``closes_at``: today's closing time of the window ("18:30") while it is open."""

    open: bool
    reason: str | None
    message: str
    routine_only: bool = False
    closes_at: str | None = None
    reasons: tuple[str, ...] = ()
    # For the information panel (not an error) the wizard shows instead of its first question:
    # a heading, and why plus when online requests open again. The panel adds what to do now.
    title: str = ""
    explanation: str = ""
    # For staff taking a request by phone: every reason that applies, in staff words.
    staff_reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Refusal:
    """One reason a request can't be sent now: ``message`` (the patient's words, with what to do),
    ``title`` and ``explanation`` (the information panel's heading, and why and when without the
    advice, which the panel lists), ``staff`` (the words a receptionist reads)."""

    reason: str
    message: str
    title: str
    explanation: str
    staff: str


def _who(session: Session, patient: Patient | None, account_id: int | None) -> tuple[str, str]:
    """("You", "have") for the account holder themself, else the patient's first name and "has"."""
    if patient is None:
        return "You", "have"
    if account_id is not None:
        relationship = session.exec(
            select(AccountPatient.relationship).where(
                AccountPatient.account_id == account_id, AccountPatient.patient_id == patient.id
            )
        ).first()
        if relationship == "self":
            return "You", "have"
    name = (patient.preferred_name or "").strip() or (patient.full_name.split() or ["This patient"])[0]
    return name, "has"


def _window_words(window: Window | None) -> str:
    return f"{hhmm(window[0])} to {hhmm(window[1])}" if window else "closed all day"


def _assess(
    session: Session,
    settings: SettingsView,
    *,
    kind: str,
    practice_id: int,
    patient: Patient | None,
    account_id: int | None,
    local: datetime,
    submitted_today: int,
    exclude_request_id: int | None = None,
) -> list[Refusal]:
    """Every refusal reason that applies now, in the order of ``REASONS``."""
    found: list[Refusal] = []
    today = local.date()
    if settings.turned_off:
        own = settings.turned_off_message.strip()
        if own and own[-1] not in ".!?":
            own += "."
        found.append(Refusal(
            "turned_off",
            f"{own} {URGENT}".strip(),
            "Online requests are turned off",
            own or "The practice has turned off online requests for now.",
            "Online requests are turned off at the practice"
            + (f" (the message patients see: \"{settings.turned_off_message.strip()}\")." if own else ".")
            + " This can't be overridden: an admin can turn them back on in Practice settings.",
        ))
    closed = _closed_from(session, practice_id, today)
    if today in closed:
        reopens = next_opening(settings, kind, local, closed=closed)
        why = f" ({closed[today]})" if closed[today] else ""
        again = f" They open again {_when(reopens, today)}." if reopens else ""
        found.append(Refusal(
            "closed_day",
            f"Online requests are closed today{why}.{again} If you need help today, call NHS 111. {EMERGENCY}",
            "Online requests are closed today",
            f"The practice has closed online requests today{why}.{again}",
            f"Today is a closed day for online requests{why}. This can't be overridden: an admin can "
            "remove the closed day in Practice settings.",
        ))
    window = settings.window(kind, today.weekday())
    in_window = window is not None and window[0] <= local.time().replace(tzinfo=None) < window[1]
    if not in_window:
        opening = next_opening(settings, kind, local, closed=closed)
        if opening is None:
            text = (
                f"The surgery is not taking online {kind} requests at the moment. If you need help, "
                f"call the surgery or NHS 111. {EMERGENCY}"
            )
            explanation = f"The surgery is not taking online {kind} requests at the moment."
            later = "No hours are set for them."
        else:
            text = (
                f"The surgery's window for online {kind} requests is closed. It opens again "
                f"{_when(opening, today)}. If you need help before then, call the surgery or NHS 111. "
                f"{EMERGENCY}"
            )
            explanation = f"The surgery's window for online {kind} requests is closed. It opens again {_when(opening, today)}."
            later = f"They open again {_when(opening, today)}."
        found.append(Refusal(
            "outside_hours",
            text,
            f"Online {kind} requests are closed at the moment",
            explanation,
            f"Outside the practice's hours for online {kind} requests (today: {_window_words(window)}). {later}",
        ))
    if settings.daily_limit is not None and submitted_today >= settings.daily_limit:
        tomorrow = datetime.combine(today + timedelta(days=1), time(0), tzinfo=clock.LONDON)
        opening = next_opening(settings, kind, tomorrow, closed=closed)
        later = f"when online requests open again {_when(opening, today)}" if opening else "another day"
        found.append(Refusal(
            "daily_limit",
            f"The practice has reached its limit of online requests for today. You can send one "
            f"{later}, or call the surgery. {EMERGENCY}",
            "Online requests are full for today",
            f"The practice has reached its limit of online requests for today. You can send one {later}.",
            f"The practice's daily limit of online requests ({settings.daily_limit:,}) has been reached "
            f"({submitted_today:,} sent today).",
        ))
    if settings.active_limit is not None:
        active = session.exec(
            select(func.count())
            .select_from(Request)
            .where(Request.practice_id == practice_id, col(Request.status).in_(OPEN_STATUSES))
        ).one()
        if active >= settings.active_limit:
            found.append(Refusal(
                "active_limit",
                "The practice has as many open requests as it can safely handle at the moment. Please "
                f"try again later, or call the surgery. {EMERGENCY}",
                "The practice is very busy at the moment",
                "The practice has as many open requests as it can safely handle at the moment. Please try again later.",
                f"The practice has {active:,} open request{'' if active == 1 else 's'}; its limit of open "
                f"requests at once is {settings.active_limit:,}.",
            ))
    if patient is not None:
        query = (
            select(func.count())
            .select_from(Request)
            .where(
                Request.patient_id == patient.id,
                Request.kind == kind,
                col(Request.status).in_(OPEN_STATUSES),
            )
        )
        if exclude_request_id is not None:
            query = query.where(Request.id != exclude_request_id)
        mine = session.exec(query).one()
        allowed = settings.per_patient(kind)
        if mine >= allowed:
            who, verb = _who(session, patient, account_id)
            what = f"an open {kind} request" if allowed == 1 else f"{mine} open {kind} requests"
            when = f"{'it has' if allowed == 1 else 'one has'} been resolved"
            found.append(Refusal(
                "patient_limit",
                f"{who} already {verb} {what}. You can send another when {when}, or call the surgery if "
                f"it can't wait. {EMERGENCY}",
                f"{who} already {verb} {what}",
                f"You can send another when {when}.",
                f"{patient.full_name} already has {mine:,} open {kind} "
                f"request{'' if mine == 1 else 's'} (the practice allows {allowed} per patient).",
            ))
    return found


def _routine_only(settings: SettingsView, local: datetime) -> bool:
    cutoff = parse_hhmm(settings.routine_only_after)
    return cutoff is not None and local.time().replace(tzinfo=None) >= cutoff


def _submitted_today(session: Session, practice_id: int, day: date) -> int:
    count = session.exec(
        select(CapacityCounter.submitted).where(CapacityCounter.practice_id == practice_id, CapacityCounter.day == day)
    ).first()
    return count or 0


def availability(
    session: Session,
    *,
    practice_id: int,
    kind: str,
    patient_id: int | None,
    account_id: int | None = None,
    now: datetime | None = None,
) -> Availability:
    """Can a ``kind`` request be started now (for ``patient_id``, if given)? Reads only: the
    checks are made again, under a lock, by ``reserve_and_submit``. With ``account_id`` (who is
    filling it in) the per-patient message says "You" to the patient themself and uses a
    dependant's first name otherwise. The caller checks the account may act for the patient."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    local = clock.london_now(now)
    settings = settings_for(session, practice_id)
    patient = session.get(Patient, patient_id) if patient_id is not None else None
    found = _assess(
        session,
        settings,
        kind=kind,
        practice_id=practice_id,
        patient=patient,
        account_id=account_id,
        local=local,
        submitted_today=_submitted_today(session, practice_id, local.date()),
    )
    routine_only = _routine_only(settings, local)
    if found:
        return Availability(
            open=False,
            reason=found[0].reason,
            message=found[0].message,
            routine_only=routine_only,
            reasons=tuple(refusal.reason for refusal in found),
            title=found[0].title,
            explanation=found[0].explanation,
            staff_reasons=tuple(refusal.staff for refusal in found),
        )
    window = settings.window(kind, local.weekday())
    return Availability(
        open=True,
        reason=None,
        message=ROUTINE_ONLY if routine_only else "",
        routine_only=routine_only,
        closes_at=hhmm(window[1]) if window else None,
    )


# --------------------------------------------------------------------------------------------------
# 3. Submission: lock, check again, count
# --------------------------------------------------------------------------------------------------


def _lock_counter(session: Session, practice_id: int, day: date) -> CapacityCounter:
    """Today's counter row for the practice, created if missing and locked until the caller's
    transaction ends: the one point every submission to the practice passes through in turn.

    PostgreSQL: INSERT ... ON CONFLICT DO NOTHING, then SELECT ... FOR UPDATE (read committed, so
    what is counted after the lock includes everything committed before it).
    SQLite: the same insert and an UPDATE of the row, writes that take the database's write lock
    before anything is counted (pysqlite begins the transaction at the first write, so the counts
    that follow read the latest data).
    """
    dialect = session.get_bind().dialect.name
    values = {"practice_id": practice_id, "day": day, "submitted": 0}
    where = (CapacityCounter.practice_id == practice_id, CapacityCounter.day == day)
    if dialect == "postgresql":
        session.exec(
            postgresql.insert(CapacityCounter).values(**values).on_conflict_do_nothing(
                index_elements=["practice_id", "day"]
            )
        )
    elif dialect == "sqlite":
        session.exec(
            sqlite.insert(CapacityCounter).values(**values).on_conflict_do_nothing(
                index_elements=["practice_id", "day"]
            )
        )
        session.exec(update(CapacityCounter).where(*where).values(submitted=CapacityCounter.submitted))
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise RuntimeError(f"capacity counters are not supported on {dialect}")
    counter = session.exec(
        select(CapacityCounter).where(*where).with_for_update().execution_options(populate_existing=True)
    ).one()
    return counter


def _new_reference(session: Session) -> str:
    for _ in range(20):
        reference = REFERENCE_PREFIX + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(_REFERENCE_LENGTH))
        if session.exec(select(Request.id).where(Request.reference == reference)).first() is None:
            return reference
    raise RuntimeError("could not find an unused request reference")  # pragma: no cover


def _override_staff(override: StaffContext, request: Request, patient: Patient) -> StaffContext:
    if not isinstance(override, StaffContext) or override.role not in (RECEPTIONIST, ADMIN):
        raise PermissionDenied()
    if request.practice_id != override.practice_id or patient.practice_id != override.practice_id:
        raise PermissionDenied("We could not find that patient at your practice.")
    return override


def reserve_and_submit(
    session: Session,
    *,
    request: Request,
    now: datetime | None = None,
    override: StaffContext | None = None,
) -> str | None:
    """Send a draft request to its practice, if there is room: None when sent (status
    "submitted", ``submitted_at``, a reference like "AN-7K3QCM", and one more on today's counter),
    else the message for the first reason it can't be, and the request is left as it was.

    Runs in the caller's transaction and locks the practice's counter row for today until the
    caller commits or rolls back, so concurrent submissions are checked one after another.

    ``override``: a receptionist (or admin) of the patient's practice taking the request by phone
    ("Create Request"). Hours and the daily, active and per-patient limits don't apply; any that
    were exceeded are put on the request (``limits_overridden``) and in the audit trail
    ("limits_overridden"). A practice that has turned online requests off, or a closed day, still
    refuses (with a message for staff). Other staff raise PermissionDenied.
    """
    if request.kind not in KINDS:
        raise ValueError(f"request kind must be one of {', '.join(KINDS)}")
    if request.status != "draft":
        return ALREADY_SENT
    patient = session.get(Patient, request.patient_id)
    if patient is None or patient.practice_id != request.practice_id:
        raise ValueError("the request's patient is not registered at the request's practice")
    staff = _override_staff(override, request, patient) if override is not None else None
    now_utc = clock.as_utc(now)
    local = clock.to_london(now_utc)

    counter = _lock_counter(session, request.practice_id, local.date())
    if request.id is not None:  # the same draft sent twice (two tabs, a double click)
        with session.no_autoflush:
            stored = session.exec(select(Request.status).where(Request.id == request.id)).first()
        if stored is not None and stored != "draft":
            return ALREADY_SENT
    settings = settings_for(session, request.practice_id)
    found = _assess(
        session,
        settings,
        kind=request.kind,
        practice_id=request.practice_id,
        patient=patient,
        account_id=request.account_id,
        local=local,
        submitted_today=counter.submitted,
        exclude_request_id=request.id,
    )
    exceeded: list[str] = []
    if staff is None:
        if found:
            return found[0].message
    else:
        reasons = {refusal.reason for refusal in found}
        if "turned_off" in reasons:
            return STAFF_TURNED_OFF
        if "closed_day" in reasons:
            return (
                "Online requests are closed at the practice today, so a request can't be created now. "
                "An admin can remove the closed day in the practice settings."
            )
        exceeded = [refusal.reason for refusal in found if refusal.reason in OVERRIDABLE]

    counter.submitted += 1
    session.add(counter)
    request.status = "submitted"
    request.submitted_at = now_utc
    request.updated_at = now_utc
    request.reference = _new_reference(session)
    if staff is not None:
        request.created_by_staff_id = request.created_by_staff_id or staff.staff_id
        request.limits_overridden = bool(exceeded)
    session.add(request)
    session.flush()
    if staff is not None and exceeded:
        _audit(
            session,
            staff,
            "limits_overridden",
            patient_id=request.patient_id,
            detail={"request_id": request.id, "kind": request.kind, "limits": exceeded},
        )
    return None
