"""Appointment books and their rota: a practice sets up a book (a clinician's or a team's, at a
site), its weekly pattern (on Mondays 09:00 to 12:00, 10-minute face-to-face slots) and days off
(leave, training); `generate_slots` makes the slots for the coming weeks.

Times: a pattern is written in UK time. Each slot's start is that clock time on that date in
Europe/London, stored as UTC, so a 09:00 slot is 09:00 on the Monday after the clocks change in
March and in October alike (08:00 UTC in summer, 09:00 UTC in winter). A clock time that doesn't
exist that day (01:30 on the March change) is skipped; one that happens twice (01:30 in October)
is the first.

Generating is idempotent: a slot already there (same book, same start) is left as it is (booked or
not), so it can run every night. Bank holidays in England and Wales (`platform.bank_holidays`) and
a book's days off get no slots; a day off added later blocks the free slots already made for it
(booked ones stay: the practice rearranges those with the patient).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from anima_pwa.models import SLOT_KINDS, AppointmentBook, BookException, RotaSession, Slot, StaffMember
from anima_pwa.services.platform import audit, bank_holidays, clock, text_limits
from anima_pwa.services.platform.results import Result
from anima_pwa.services.practice import permissions
from anima_pwa.services.practice.permissions import Action, StaffContext

__all__ = [
    "DEFAULT_WEEKS",
    "WEEKDAYS",
    "BookResult",
    "GenerateReport",
    "add_exception",
    "add_session",
    "create_book",
    "generate_all",
    "generate_all_for",
    "generate_slots",
    "local_start",
    "system_context",
]

DEFAULT_WEEKS = 6
MAX_WEEKS = 26
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_HHMM = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
NAME = text_limits.FieldLimit("book_name", "The book's name", 120)
SITE_NAME = text_limits.FieldLimit("site_name", "The site's name", 120)
SITE_ADDRESS = text_limits.FieldLimit("site_address", "The site's address", 300)
TEAM = text_limits.FieldLimit("team", "The team", 40)
REASON = text_limits.FieldLimit("reason", "The reason", 200)


@dataclass(frozen=True, kw_only=True)
class BookResult(Result):
    id: int | None = None


@dataclass(frozen=True)
class GenerateReport:
    created: int = 0
    skipped_days: list[date] = field(default_factory=list)  # bank holidays and days off in the range


def system_context(practice_id: int, practice_name: str = "") -> StaffContext:
    """The admin command line acting for a practice (no member of staff): audited as "system"."""
    return StaffContext(
        account_id=0, staff_id=0, practice_id=practice_id, role="admin", display_name="admin CLI",
        practice_name=practice_name,
    )  # fmt: skip


def _audit(session: Session, staff: StaffContext, action: str, detail: dict) -> None:
    if staff.account_id == 0:  # the admin command line
        audit.record(
            session, action=action, actor_account_id=None, actor_kind="system", practice_id=staff.practice_id,
            detail=detail | {"source": "admin_cli"},
        )  # fmt: skip
    else:
        audit.record_staff(session, staff, action, detail=detail)


def _text(value: object, limit: text_limits.FieldLimit, errors: dict[str, str], key: str, *, required: str = "") -> str:
    text = text_limits.typed(value)
    if not text and required:
        errors[key] = required
    elif text:
        problem = text_limits.check(text, limit.limit, limit.label)
        if problem:
            errors[key] = problem
    return text


def _book_of_practice(session: Session, staff: StaffContext, book_id: object) -> AppointmentBook:
    key = permissions.record_id(book_id)
    book = session.get(AppointmentBook, key) if key else None
    if book is None or book.practice_id != staff.practice_id:
        raise permissions.PermissionDenied("We could not find that appointment book at your practice.")
    return book


def create_book(
    session: Session,
    staff: StaffContext | None,
    *,
    name: object,
    site_name: object = "",
    site_address: object = "",
    staff_id: object = None,
    team: object = "",
) -> BookResult:
    """A new appointment book at the staff member's practice: a clinician's (`staff_id`, someone
    at the practice) or a team's (`team`), exactly one of them."""
    staff = permissions.require(staff, Action.MANAGE_APPOINTMENT_BOOKS)
    errors: dict[str, str] = {}
    book_name = _text(name, NAME, errors, "name", required="Enter the book's name, for example Dr Amir Khan")
    site = _text(site_name, SITE_NAME, errors, "site_name")
    address = _text(site_address, SITE_ADDRESS, errors, "site_address")
    team_name = _text(team, TEAM, errors, "team")
    owner: int | None = None
    if staff_id not in (None, ""):
        owner = permissions.record_id(staff_id)
        member = session.get(StaffMember, owner) if owner else None
        if member is None or member.practice_id != staff.practice_id or not member.active:
            errors["staff_id"] = "Choose a member of staff at your practice"
    if (owner is None) == (not team_name) and "staff_id" not in errors:
        errors["team"] = "Choose a clinician or enter a team, not both"
    if errors:
        return BookResult(errors=errors)
    book = AppointmentBook(
        practice_id=staff.practice_id,
        name=book_name,
        staff_id=owner,
        team=team_name,
        site_name=site,
        site_address=address,
    )
    session.add(book)
    session.flush()
    _audit(session, staff, "appointment_book_created", {"book_id": book.id})
    return BookResult(id=book.id)


def _clock_time(value: object) -> time | None:
    match = _HHMM.fullmatch(value.strip()) if isinstance(value, str) else None
    return time(int(match.group(1)), int(match.group(2))) if match else None


def add_session(
    session: Session,
    staff: StaffContext | None,
    book_id: object,
    *,
    weekday: object,
    start: object,
    end: object,
    slot_minutes: object,
    kind: object,
) -> BookResult:
    """A line of the book's weekly pattern: weekday 0 (Monday) to 6, "HH:MM" to "HH:MM" in UK
    time, slots of 5 to 120 minutes, of one kind."""
    staff = permissions.require(staff, Action.MANAGE_APPOINTMENT_BOOKS)
    book = _book_of_practice(session, staff, book_id)
    errors: dict[str, str] = {}
    day = weekday if isinstance(weekday, int) and not isinstance(weekday, bool) else None
    if isinstance(weekday, str) and weekday.strip().isdigit():
        day = int(weekday.strip())
    if isinstance(weekday, str) and weekday.strip().title() in WEEKDAYS:
        day = WEEKDAYS.index(weekday.strip().title())
    if day is None or not 0 <= day <= 6:
        errors["weekday"] = "Choose a day of the week"
    starts, ends = _clock_time(start), _clock_time(end)
    if starts is None:
        errors["start"] = "Enter a start time like 09:00"
    if ends is None:
        errors["end"] = "Enter an end time like 12:00"
    elif starts is not None and ends <= starts:
        errors["end"] = "The end time must be after the start time"
    try:
        minutes = int(slot_minutes)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        minutes = 0
    if isinstance(slot_minutes, bool) or not 5 <= minutes <= 120:
        errors["slot_minutes"] = "Slots must be between 5 and 120 minutes long"
    if kind not in SLOT_KINDS:
        errors["kind"] = "Choose the kind of appointment"
    if not errors:
        same_day = session.exec(
            select(RotaSession).where(RotaSession.book_id == book.id, RotaSession.weekday == day)
        ).all()
        begins, finishes = f"{starts:%H:%M}", f"{ends:%H:%M}"
        clash = next((x for x in same_day if x.start_time < finishes and begins < x.end_time), None)
        if clash is not None:
            errors["start"] = (
                f"This book already has a session on {WEEKDAYS[day]} from {clash.start_time} to {clash.end_time}"  # type: ignore[index]
            )
    if errors:
        return BookResult(errors=errors)
    row = RotaSession(
        book_id=book.id,  # type: ignore[arg-type]
        weekday=day,  # type: ignore[arg-type]
        start_time=f"{starts:%H:%M}",
        end_time=f"{ends:%H:%M}",
        slot_minutes=minutes,
        kind=str(kind),
    )
    session.add(row)
    session.flush()
    _audit(session, staff, "appointment_rota_changed", {"book_id": book.id, "session_id": row.id})
    return BookResult(id=row.id)


def add_exception(
    session: Session,
    staff: StaffContext | None,
    book_id: object,
    *,
    first_day: object,
    last_day: object = None,
    reason: object = "",
) -> BookResult:
    """Days off for a book (leave, training), first to last inclusive: no slots are made for them,
    and free slots already made are blocked."""
    staff = permissions.require(staff, Action.MANAGE_APPOINTMENT_BOOKS)
    book = _book_of_practice(session, staff, book_id)
    errors: dict[str, str] = {}
    first = _day(first_day)
    last = _day(last_day) if last_day not in (None, "") else first
    if first is None:
        errors["first_day"] = "Enter the first day, like 2027-03-29"
    if last is None:
        errors["last_day"] = "Enter the last day, like 2027-04-02"
    elif first is not None and last < first:
        errors["last_day"] = "The last day must be on or after the first day"
    elif first is not None and (last - first).days > 366:
        errors["last_day"] = "Days off can be at most a year at a time"
    why = _text(reason, REASON, errors, "reason")
    if errors:
        return BookResult(errors=errors)
    row = BookException(book_id=book.id, first_day=first, last_day=last, reason=why)  # type: ignore[arg-type]
    session.add(row)
    start_utc, _ = _utc_bounds(first)  # type: ignore[arg-type]
    _, end_utc = _utc_bounds(last)  # type: ignore[arg-type]
    session.exec(
        update(Slot)
        .where(
            col(Slot.book_id) == book.id,
            col(Slot.status) == "free",
            col(Slot.start_utc) >= start_utc,
            col(Slot.start_utc) < end_utc,
        )
        .values(status="blocked")
    )
    session.flush()
    _audit(session, staff, "appointment_days_off_added", {"book_id": book.id, "exception_id": row.id})
    return BookResult(id=row.id)


def _day(value: object) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _utc_bounds(day: date) -> tuple[datetime, datetime]:
    """The UK day `day` as [start, end) in UTC."""
    start = datetime.combine(day, time(0), tzinfo=clock.LONDON).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=clock.LONDON).astimezone(UTC)
    return start, end


def local_start(day: date, at: time) -> datetime | None:
    """The UTC moment of the UK clock time `at` on `day`; None if that time doesn't exist that day
    (the hour the clocks skip in March). An hour that happens twice (October) gives the first."""
    local = datetime.combine(day, at, tzinfo=clock.LONDON)  # fold=0: the first of a repeated hour
    moment = local.astimezone(UTC)
    if moment.astimezone(clock.LONDON).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None  # doesn't round-trip: a time in the skipped hour
    return moment


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def generate_slots(
    session: Session, book: AppointmentBook, *, weeks: int = DEFAULT_WEEKS, now: datetime | None = None
) -> GenerateReport:
    """Make the book's slots from today (UK) for `weeks` weeks from its weekly pattern, skipping
    bank holidays and days off, leaving slots already made as they are. Returns how many were new."""
    weeks = max(1, min(int(weeks), MAX_WEEKS))
    first = clock.today(now)
    last = first + timedelta(days=7 * weeks - 1)
    pattern = session.exec(select(RotaSession).where(RotaSession.book_id == book.id)).all()
    days_off = session.exec(
        select(BookException).where(
            BookException.book_id == book.id, col(BookException.last_day) >= first, col(BookException.first_day) <= last
        )
    ).all()
    range_start, _ = _utc_bounds(first)
    _, range_end = _utc_bounds(last)
    existing = set(
        session.exec(
            select(Slot.start_utc).where(
                Slot.book_id == book.id, col(Slot.start_utc) >= range_start, col(Slot.start_utc) < range_end
            )
        ).all()
    )
    created, skipped = 0, []
    day = first
    while day <= last:
        off = bank_holidays.is_bank_holiday(day) or any(x.first_day <= day <= x.last_day for x in days_off)
        todays = [p for p in pattern if p.weekday == day.weekday()]
        if off and todays:
            skipped.append(day)
        for line in [] if off else todays:
            at, end = _minutes(line.start_time), _minutes(line.end_time)
            while at + line.slot_minutes <= end:
                start = local_start(day, time(at // 60, at % 60))
                if start is not None and start not in existing:
                    session.add(
                        Slot(
                            book_id=book.id,  # type: ignore[arg-type]
                            practice_id=book.practice_id,
                            start_utc=start,
                            end_utc=start + timedelta(minutes=line.slot_minutes),
                            kind=line.kind,
                        )
                    )
                    existing.add(start)
                    created += 1
                at += line.slot_minutes
        day += timedelta(days=1)
    session.flush()
    return GenerateReport(created=created, skipped_days=skipped)


def generate_all(session: Session, *, weeks: int = DEFAULT_WEEKS, now: datetime | None = None) -> int:
    """Generate every active book's slots (the nightly housekeeping and the CLI); how many were new."""
    books = session.exec(select(AppointmentBook).where(AppointmentBook.active == True)).all()  # noqa: E712
    return sum(generate_slots(session, book, weeks=weeks, now=now).created for book in books)


def generate_all_for(session: Session, practice_id: int, *, weeks: int = DEFAULT_WEEKS) -> int:
    """Generate the active books of one practice; how many slots were new."""
    books = session.exec(
        select(AppointmentBook).where(AppointmentBook.practice_id == practice_id, AppointmentBook.active == True)  # noqa: E712
    ).all()
    return sum(generate_slots(session, book, weeks=weeks).created for book in books)
