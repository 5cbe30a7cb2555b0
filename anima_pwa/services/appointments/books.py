"""The workspace's "Appointment books" page: the practice's books in words (owner, site, weekly
pattern, days off, free slots to come), the clinicians a book can belong to, taking a line out of
the weekly pattern, and "Generate slots for the next N weeks" for one book.

Creating a book, adding a line of the pattern and adding days off are `rota`'s (`create_book`,
`add_session`, `add_exception`); this module only adds what the page needs around them. Reading
the books needs `BOOK_APPOINTMENTS` (reception chooses a book on today's list); changing them
`MANAGE_APPOINTMENT_BOOKS` (practice admins). Every change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from anima_pwa.models import Appointment, AppointmentBook, BookException, RotaSession, Slot, StaffMember
from anima_pwa.services.appointments import rota
from anima_pwa.services.platform import audit, clock
from anima_pwa.services.platform.results import Result
from anima_pwa.services.practice import permissions
from anima_pwa.services.practice.permissions import CLINICIAN, Action, StaffContext

__all__ = [
    "KIND_LABELS",
    "BookView",
    "GenerateResult",
    "book_views",
    "booked_on_days_off",
    "clinician_choices",
    "generate_for_book",
    "remove_session",
    "team_choices",
]

# What staff read for each kind of slot (the patient reads outcomes.APPOINTMENT_KINDS).
KIND_LABELS: dict[str, str] = {
    "face_to_face": "Face to face",
    "telephone": "Telephone",
    "video": "Video",
    "blood_test": "Blood test",
    "ecg": "ECG",
    "blood_pressure": "Blood pressure check",
}

NO_WEEKS = f"Enter a number of weeks from 1 to {rota.MAX_WEEKS}"
NO_PATTERN = "Add a line to the weekly pattern first: this book has no sessions to make slots from"


@dataclass(frozen=True)
class SessionLine:
    id: int
    text: str  # "Monday 09:00 to 12:00, 10-minute face to face slots"


@dataclass(frozen=True)
class DaysOffLine:
    text: str  # "Monday 29 March 2027 to Friday 2 April 2027: Leave"


@dataclass(frozen=True)
class BookView:
    id: int
    name: str
    owner: str  # "Clinician: Dr Amir Khan" or "Team: nurses"
    site: str  # "Riverside Surgery, 1 High Street" or ""
    sessions: list[SessionLine]
    days_off: list[DaysOffLine]
    free_slots: int  # free slots from now on
    last_slot: str  # "Friday 8 January 2027" or "" (none made yet)
    clinician_id: int | None = None  # the StaffMember whose book it is (None for a team's)


@dataclass(frozen=True, kw_only=True)
class GenerateResult(Result):
    created: int = 0
    skipped: int = 0  # days of the pattern skipped: bank holidays and days off


def _long(day) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _session_text(line: RotaSession) -> str:
    kind = KIND_LABELS.get(line.kind, line.kind).lower()
    return (
        f"{rota.WEEKDAYS[line.weekday]} {line.start_time} to {line.end_time}, {line.slot_minutes}-minute {kind} slots"
    )


def book_views(session: Session, staff: StaffContext | None, now: datetime | None = None) -> list[BookView]:
    """The practice's active books, by name, each with its pattern, days off still to come and
    how many free slots it has from now."""
    staff = permissions.require(staff, Action.BOOK_APPOINTMENTS)
    books = session.exec(
        select(AppointmentBook)
        .where(AppointmentBook.practice_id == staff.practice_id, AppointmentBook.active == True)  # noqa: E712
        .order_by(col(AppointmentBook.name), col(AppointmentBook.id))
    ).all()
    if not books:
        return []
    ids = [b.id for b in books]
    owners = {
        m.id: m.display_name
        for m in session.exec(
            select(StaffMember).where(col(StaffMember.id).in_([b.staff_id for b in books if b.staff_id]))
        ).all()
    }
    patterns: dict[int, list[RotaSession]] = {}
    for line in session.exec(
        select(RotaSession)
        .where(col(RotaSession.book_id).in_(ids))
        .order_by(col(RotaSession.weekday), col(RotaSession.start_time), col(RotaSession.id))
    ).all():
        patterns.setdefault(line.book_id, []).append(line)
    today = clock.today(now)
    offs: dict[int, list[BookException]] = {}
    for row in session.exec(
        select(BookException)
        .where(col(BookException.book_id).in_(ids), col(BookException.last_day) >= today)
        .order_by(col(BookException.first_day))
    ).all():
        offs.setdefault(row.book_id, []).append(row)
    moment = clock.as_utc(now)
    free = dict(
        session.exec(
            select(Slot.book_id, func.count())
            .where(col(Slot.book_id).in_(ids), Slot.status == "free", col(Slot.start_utc) >= moment)
            .group_by(col(Slot.book_id))
        ).all()
    )
    last = dict(
        session.exec(
            select(Slot.book_id, func.max(Slot.start_utc)).where(col(Slot.book_id).in_(ids)).group_by(col(Slot.book_id))
        ).all()
    )
    views = []
    for book in books:
        owner = (
            f"Clinician: {owners.get(book.staff_id, 'no longer at the practice')}"
            if book.staff_id
            else f"Team: {book.team}"
        )
        days_off = []
        for row in offs.get(book.id, []):  # type: ignore[arg-type]
            span = (
                _long(row.first_day)
                if row.first_day == row.last_day
                else f"{_long(row.first_day)} to {_long(row.last_day)}"
            )
            days_off.append(DaysOffLine(f"{span}: {row.reason}" if row.reason else span))
        key = book.id or 0
        final = last.get(key)
        views.append(
            BookView(
                id=book.id,  # type: ignore[arg-type]
                name=book.name,
                owner=owner,
                site=", ".join(part for part in (book.site_name, book.site_address) if part),
                sessions=[SessionLine(line.id, _session_text(line)) for line in patterns.get(book.id, [])],  # type: ignore[arg-type]
                days_off=days_off,
                free_slots=int(free.get(key, 0)),
                last_slot=_long(clock.to_london(clock.as_utc(final))) if final is not None else "",
                clinician_id=book.staff_id,
            )
        )
    return views


def booked_on_days_off(
    session: Session, staff: StaffContext | None, book_id: object, now: datetime | None = None
) -> list[str]:
    """The book's appointments still booked on its days off to come ("Monday 7 December 2026 at
    09:15"), soonest first: adding days off blocks only free slots, so the practice moves or
    cancels these with the patient (on the day's list)."""
    staff = permissions.require(staff, Action.BOOK_APPOINTMENTS)
    book = _book(session, staff, book_id)
    today = clock.today(now)
    offs = session.exec(
        select(BookException).where(BookException.book_id == book.id, col(BookException.last_day) >= today)
    ).all()
    if not offs:
        return []
    first = min(o.first_day for o in offs)
    last = max(o.last_day for o in offs)
    start = datetime.combine(max(first, today), time(0), tzinfo=clock.LONDON).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=clock.LONDON).astimezone(UTC)
    found = []
    for slot in session.exec(
        select(Slot)
        .join(Appointment, Appointment.slot_id == Slot.id)  # type: ignore[arg-type]
        .where(
            Slot.book_id == book.id,
            col(Appointment.cancelled_at).is_(None),
            col(Slot.start_utc) >= max(start, clock.as_utc(now)),
            col(Slot.start_utc) < end,
        )
        .order_by(col(Slot.start_utc))
    ).all():
        local = clock.to_london(slot.start_utc)
        if any(o.first_day <= local.date() <= o.last_day for o in offs):
            found.append(f"{_long(local.date())} at {local:%H:%M}")
    return found


def clinician_choices(session: Session, staff: StaffContext | None) -> list[tuple[int, str]]:
    """The active clinicians at the practice, by name: whose book a new book can be."""
    staff = permissions.require(staff, Action.MANAGE_APPOINTMENT_BOOKS)
    members = session.exec(
        select(StaffMember)
        .where(
            StaffMember.practice_id == staff.practice_id,
            StaffMember.active == True,  # noqa: E712
            StaffMember.role == CLINICIAN,
        )
        .order_by(col(StaffMember.display_name), col(StaffMember.id))
    ).all()
    return [(m.id, m.display_name) for m in members]  # type: ignore[misc]


def team_choices(session: Session, staff: StaffContext | None) -> list[str]:
    """The teams that have an active book at the practice (what an invite can name)."""
    staff = permissions.require(staff, Action.BOOK_APPOINTMENTS)
    return sorted(
        set(
            session.exec(
                select(AppointmentBook.team).where(
                    AppointmentBook.practice_id == staff.practice_id,
                    AppointmentBook.active == True,  # noqa: E712
                    AppointmentBook.team != "",
                )
            ).all()
        )
    )


def _book(session: Session, staff: StaffContext, book_id: object) -> AppointmentBook:
    key = permissions.record_id(book_id)
    book = session.get(AppointmentBook, key) if key else None
    if book is None or book.practice_id != staff.practice_id or not book.active:
        raise permissions.PermissionDenied("We could not find that appointment book at your practice.")
    return book


def remove_session(session: Session, staff: StaffContext | None, book_id: object, session_id: object) -> Result:
    """Take a line out of the book's weekly pattern. Slots already made from it stay (booked ones
    with their patients; free ones can still be booked): only slots generated later change."""
    staff = permissions.require(staff, Action.MANAGE_APPOINTMENT_BOOKS)
    book = _book(session, staff, book_id)
    key = permissions.record_id(session_id)
    line = session.get(RotaSession, key) if key else None
    if line is None or line.book_id != book.id:
        return Result(errors={"form": "That line of the weekly pattern has already been taken out."})
    text = _session_text(line)
    session.delete(line)
    session.flush()
    audit.record_staff(
        session, staff, "appointment_rota_changed", detail={"book_id": book.id, "session_removed": key, "was": text}
    )
    return Result()


def generate_for_book(
    session: Session, staff: StaffContext | None, book_id: object, weeks: object, now: datetime | None = None
) -> GenerateResult:
    """ "Generate slots for the next N weeks" for one book (1 to 26 weeks): `rota.generate_slots`,
    which leaves slots already made as they are, so pressing it twice makes nothing new."""
    staff = permissions.require(staff, Action.MANAGE_APPOINTMENT_BOOKS)
    book = _book(session, staff, book_id)
    text = weeks.strip() if isinstance(weeks, str) else ""
    count = int(text) if text.isascii() and text.isdigit() and len(text) <= 3 else 0
    if not 1 <= count <= rota.MAX_WEEKS:
        return GenerateResult(errors={"weeks": NO_WEEKS})
    has_pattern = session.exec(select(RotaSession.id).where(RotaSession.book_id == book.id)).first()
    if has_pattern is None:
        return GenerateResult(errors={"weeks": NO_PATTERN})
    report = rota.generate_slots(session, book, weeks=count, now=now)
    audit.record_staff(
        session,
        staff,
        "appointment_slots_generated",
        detail={"book_id": book.id, "weeks": count, "created": report.created},
    )
    return GenerateResult(created=report.created, skipped=len(report.skipped_days))
