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

import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from anima_pwa.models import (
    OPEN_STATUSES,
    AccountPatient,
    CapacityCounter,
    ClosedDay,
    Patient,
    Request,
)
from anima_pwa.services.platform import audit, clock
from anima_pwa.services.practice.permissions import (
    ADMIN,
    RECEPTIONIST,
    PermissionDenied,
    StaffContext,
)
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
    "REASONS",
    "Availability",
    "Refusal",
    "availability",
    "next_opening",
    "reserve_and_submit",
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
ALREADY_SENT = "This request has already been sent to the practice."
ROUTINE_ONLY = (
    "Requests sent now will be dealt with as routine. If your problem is urgent, call the surgery "
    "or NHS 111. " + EMERGENCY
)
STAFF_TURNED_OFF = (
    "Online requests are turned off at the practice, so a request can't be created now. An admin "
    "can turn them back on in the practice settings."
)

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
        audit.record_staff(
            session,
            staff,
            "limits_overridden",
            patient_id=request.patient_id,
            detail={"request_id": request.id, "kind": request.kind, "limits": exceeded},
        )
    return None
