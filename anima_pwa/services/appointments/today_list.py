"""Today's list: a practice's slots on one UK day, for one clinician's or team's book or for one
site, with the patient booked in each (name, date of birth) and the kind of appointment. Reception
books, moves and cancels from it (`staff_booking`).

Reading it needs `BOOK_APPOINTMENTS`; it shows only the staff member's practice, and reading a day
with patients in it is audited (which day and book or site, never who was in it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, select

from anima_pwa.models import Appointment, AppointmentBook, Patient, Slot
from anima_pwa.services.appointments.books import KIND_LABELS
from anima_pwa.services.platform import audit, clock
from anima_pwa.services.practice import permissions
from anima_pwa.services.practice.patient_access import date_display
from anima_pwa.services.practice.permissions import Action, StaffContext

__all__ = ["DayList", "ListRow", "day_list", "parse_day", "sites"]

STATUS_LABELS = {"free": "Free", "booked": "Booked", "blocked": "Not available"}


@dataclass(frozen=True)
class ListRow:
    slot_id: int
    time: str  # "09:00"
    ends: str  # "09:10"
    book: str  # "Dr Amir Khan"
    site: str
    kind: str  # "Telephone"
    status: str  # free | booked | blocked
    status_label: str
    appointment_id: int | None
    patient_id: int | None
    patient_name: str
    patient_born: str
    past: bool  # started already: can't be booked or moved to


@dataclass(frozen=True)
class DayList:
    day: date
    heading: str  # "Monday 30 November 2026"
    rows: list[ListRow]
    booked: int
    free: int


def parse_day(value: object, now: datetime | None = None) -> date:
    """An ISO date from the date picker; today (UK) for anything else."""
    if isinstance(value, str) and value.strip():
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    return clock.today(now)


def sites(session: Session, staff: StaffContext | None) -> list[str]:
    """The sites of the practice's active books, by name."""
    staff = permissions.require(staff, Action.BOOK_APPOINTMENTS)
    names = session.exec(
        select(AppointmentBook.site_name).where(
            AppointmentBook.practice_id == staff.practice_id,
            AppointmentBook.active == True,  # noqa: E712
            AppointmentBook.site_name != "",
        )
    ).all()
    return sorted(set(names))


def day_list(
    session: Session,
    staff: StaffContext | None,
    day: date,
    *,
    book_id: object = None,
    site: object = None,
    now: datetime | None = None,
) -> DayList:
    """The day's slots, earliest first, for one book (`book_id`) or one site (`site`), or every
    book of the practice when neither is given."""
    staff = permissions.require(staff, Action.BOOK_APPOINTMENTS)
    start = datetime.combine(day, time(0), tzinfo=clock.LONDON).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=clock.LONDON).astimezone(UTC)
    query = (
        select(Slot, AppointmentBook)
        .join(AppointmentBook, AppointmentBook.id == Slot.book_id)  # type: ignore[arg-type]
        .where(Slot.practice_id == staff.practice_id, col(Slot.start_utc) >= start, col(Slot.start_utc) < end)
    )
    detail: dict[str, object] = {"day": day.isoformat()}
    if book_id not in (None, ""):
        key = permissions.record_id(book_id)
        book = session.get(AppointmentBook, key) if key else None
        if book is None or book.practice_id != staff.practice_id:
            raise permissions.PermissionDenied("We could not find that appointment book at your practice.")
        query = query.where(Slot.book_id == book.id)
        detail["book_id"] = book.id
    elif isinstance(site, str) and site:
        query = query.where(AppointmentBook.site_name == site)
        detail["site"] = True
    found = session.exec(query.order_by(col(Slot.start_utc), col(AppointmentBook.name), col(Slot.id))).all()
    slot_ids = [slot.id for slot, _book in found]
    booked: dict[int, tuple[Appointment, Patient]] = {}
    if slot_ids:
        for appointment, patient in session.exec(
            select(Appointment, Patient)
            .join(Patient, Patient.id == Appointment.patient_id)  # type: ignore[arg-type]
            .where(col(Appointment.slot_id).in_(slot_ids), col(Appointment.cancelled_at).is_(None))
        ).all():
            booked[appointment.slot_id] = (appointment, patient)
    moment = clock.as_utc(now)
    rows = []
    for slot, book in found:
        appointment, patient = booked.get(slot.id, (None, None))  # type: ignore[arg-type]
        status = "booked" if appointment is not None else ("blocked" if slot.status == "blocked" else "free")
        rows.append(
            ListRow(
                slot_id=slot.id,  # type: ignore[arg-type]
                time=f"{clock.to_london(slot.start_utc):%H:%M}",
                ends=f"{clock.to_london(slot.end_utc):%H:%M}",
                book=book.name,
                site=book.site_name,
                kind=KIND_LABELS.get(slot.kind, slot.kind),
                status=status,
                status_label=STATUS_LABELS[status],
                appointment_id=appointment.id if appointment else None,
                patient_id=patient.id if patient else None,
                patient_name=patient.full_name if patient else "",
                patient_born=date_display(patient.date_of_birth) if patient else "",
                past=clock.as_utc(slot.start_utc) <= moment,
            )
        )
    if booked:
        audit.record_staff(session, staff, "appointment_list_viewed", detail=detail)
    return DayList(
        day=day,
        heading=f"{day:%A} {day.day} {day:%B %Y}",
        rows=rows,
        booked=sum(1 for r in rows if r.status == "booked"),
        free=sum(1 for r in rows if r.status == "free" and not r.past),
    )
