"""When a practice takes online requests, and how many: hours per weekday (medical and admin
separately), closed days, the "turn off" switch, routine-only after a cut-off, and the daily,
active and per-patient limits; every reason a request can't be sent now, in the patient's words
and in staff words.

``availability()`` is asked when the wizard starts, so nobody answers twenty questions to be
refused. It only reads, so it can be out of date a moment later: ``capacity.reserve_and_submit``
asks the same rules (``assess``) again, under the practice's lock, when the request is sent.
``next_opening()`` says when the window opens again.

The refusal reasons follow the patient guide's "Why can I not submit a request to my surgery?":
the window for online requests is closed (``turned_off``, ``closed_day``, ``outside_hours``), the
practice's limit for the day (``daily_limit``), the limit of requests active at once
(``active_limit``), and the patient's own limit of open requests (``patient_limit``: one medical
and one admin by default, each dependant counted on their own).

Times are the practice's local time (UK time, from ``clock``); ``now`` is an aware datetime (UTC
or any other zone) and defaults to the current time. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from anima_pwa.models import (
    OPEN_STATUSES,
    AccountPatient,
    CapacityCounter,
    ClosedDay,
    Patient,
    Request,
)
from anima_pwa.services.platform import clock
from anima_pwa.services.requests.request_settings import (
    DAY_NAMES,
    KINDS,
    SettingsView,
    Window,
    hhmm,
    long_date,
    parse_hhmm,
    settings_for,
)

__all__ = [
    "OVERRIDABLE",
    "REASONS",
    "ROUTINE_ONLY",
    "Availability",
    "Refusal",
    "assess",
    "availability",
    "next_opening",
]


# The refusal reasons, in the order they are checked.
REASONS = ("turned_off", "closed_day", "outside_hours", "daily_limit", "active_limit", "patient_limit")
# What a receptionist taking a request by phone may go past. Turning online requests off and
# closed days are the practice's own "nobody is reading the queue" switches, so they hold for
# staff too (an admin can switch them back, which is audited).
OVERRIDABLE = frozenset({"outside_hours", "daily_limit", "active_limit", "patient_limit"})

_OPENING_SEARCH_DAYS = 400

EMERGENCY = "In an emergency call 999."
URGENT = "For urgent help call NHS 111. In an emergency call 999."
ROUTINE_ONLY = (
    "Requests sent now will be dealt with as routine. If your problem is urgent, call the surgery "
    "or NHS 111. " + EMERGENCY
)


# --------------------------------------------------------------------------------------------------
# The next opening
# --------------------------------------------------------------------------------------------------


def _when(opening: datetime, today: date) -> str:
    """ "today at 13:00", "tomorrow at 08:00", "on Monday at 08:00", "on Monday 6 April at 08:00"."""
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


def _closed_from(session: Session, practice_id: int, from_day: date) -> dict[date, str]:
    rows = session.exec(
        select(col(ClosedDay.day), col(ClosedDay.reason)).where(
            ClosedDay.practice_id == practice_id,
            col(ClosedDay.day) >= from_day,
            col(ClosedDay.day) <= from_day + timedelta(days=_OPENING_SEARCH_DAYS),
        )
    ).all()
    return {day: reason for day, reason in rows}


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
# Availability: the checks, in order
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


def assess(
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
        found.append(
            Refusal(
                "turned_off",
                f"{own} {URGENT}".strip(),
                "Online requests are turned off",
                own or "The practice has turned off online requests for now.",
                "Online requests are turned off at the practice"
                + (f' (the message patients see: "{settings.turned_off_message.strip()}").' if own else ".")
                + " This can't be overridden: an admin can turn them back on in Practice settings.",
            )
        )
    closed = _closed_from(session, practice_id, today)
    if today in closed:
        reopens = next_opening(settings, kind, local, closed=closed)
        why = f" ({closed[today]})" if closed[today] else ""
        again = f" They open again {_when(reopens, today)}." if reopens else ""
        found.append(
            Refusal(
                "closed_day",
                f"Online requests are closed today{why}.{again} If you need help today, call NHS 111. {EMERGENCY}",
                "Online requests are closed today",
                f"The practice has closed online requests today{why}.{again}",
                f"Today is a closed day for online requests{why}. This can't be overridden: an admin can "
                "remove the closed day in Practice settings.",
            )
        )
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
            explanation = (
                f"The surgery's window for online {kind} requests is closed. It opens again {_when(opening, today)}."
            )
            later = f"They open again {_when(opening, today)}."
        found.append(
            Refusal(
                "outside_hours",
                text,
                f"Online {kind} requests are closed at the moment",
                explanation,
                f"Outside the practice's hours for online {kind} requests (today: {_window_words(window)}). {later}",
            )
        )
    if settings.daily_limit is not None and submitted_today >= settings.daily_limit:
        tomorrow = datetime.combine(today + timedelta(days=1), time(0), tzinfo=clock.LONDON)
        opening = next_opening(settings, kind, tomorrow, closed=closed)
        later = f"when online requests open again {_when(opening, today)}" if opening else "another day"
        found.append(
            Refusal(
                "daily_limit",
                f"The practice has reached its limit of online requests for today. You can send one "
                f"{later}, or call the surgery. {EMERGENCY}",
                "Online requests are full for today",
                f"The practice has reached its limit of online requests for today. You can send one {later}.",
                f"The practice's daily limit of online requests ({settings.daily_limit:,}) has been reached "
                f"({submitted_today:,} sent today).",
            )
        )
    if settings.active_limit is not None:
        active = session.exec(
            select(func.count())
            .select_from(Request)
            .where(Request.practice_id == practice_id, col(Request.status).in_(OPEN_STATUSES))
        ).one()
        if active >= settings.active_limit:
            found.append(
                Refusal(
                    "active_limit",
                    "The practice has as many open requests as it can safely handle at the moment. Please "
                    f"try again later, or call the surgery. {EMERGENCY}",
                    "The practice is very busy at the moment",
                    "The practice has as many open requests as it can safely handle at the moment. Please try again later.",
                    f"The practice has {active:,} open request{'' if active == 1 else 's'}; its limit of open "
                    f"requests at once is {settings.active_limit:,}.",
                )
            )
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
            found.append(
                Refusal(
                    "patient_limit",
                    f"{who} already {verb} {what}. You can send another when {when}, or call the surgery if "
                    f"it can't wait. {EMERGENCY}",
                    f"{who} already {verb} {what}",
                    f"You can send another when {when}.",
                    f"{patient.full_name} already has {mine:,} open {kind} "
                    f"request{'' if mine == 1 else 's'} (the practice allows {allowed} per patient).",
                )
            )
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
    found = assess(
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
