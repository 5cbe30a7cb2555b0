"""The practice's side of appointments, for the workspace pages (issue 12): the day's list per book
or site, and booking, moving or cancelling for a patient (by phone), with the patient told.

Staff need `Action.BOOK_APPOINTMENTS`; every id (slot, patient, invite, appointment, book) must be
at the staff member's own practice (`PermissionDenied` otherwise, the same words whatever the id).
Slots are taken the same way as the patient's booking (a conditional UPDATE the database settles,
and the partial unique index behind it), so staff and patients racing for a time can't both have it.
Staff are not held to the patient's cancellation cut-off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from anima_pwa.models import Appointment, AppointmentBook, AppointmentInvite, Patient, Slot, id_of
from anima_pwa.services.appointments import booking, invites, notices
from anima_pwa.services.inbox.outcomes import APPOINTMENT_KINDS
from anima_pwa.services.platform import audit, clock, text_limits
from anima_pwa.services.platform.results import FORM, Result
from anima_pwa.services.practice import permissions
from anima_pwa.services.practice.permissions import Action, StaffContext

__all__ = ["DayRow", "StaffBooking", "book_for_patient", "cancel_for_patient", "day_list", "move_appointment"]

NOT_HERE = "We could not find that appointment at your practice."
SLOT_NOT_HERE = "We could not find that time at your practice."
MOVED = "Moved by the practice"


@dataclass(frozen=True)
class DayRow:
    slot_id: int
    time: str  # "09:00"
    end: str
    book: str
    site: str
    kind: str  # "A telephone appointment"
    status: str  # free | booked | blocked
    patient_name: str = ""
    patient_id: int | None = None
    appointment_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class StaffBooking(Result):
    appointment_id: int | None = None


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=clock.LONDON).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=clock.LONDON).astimezone(UTC)
    return start, end


def day_list(
    session: Session, staff: StaffContext | None, day: date, *, book_id: object = None, site: str = ""
) -> list[DayRow]:
    """Every slot of the practice's books on `day` (UK date), earliest first: who is booked into
    each, and which are free or blocked; one book (`book_id`) or one site (`site`) if given."""
    staff = permissions.require(staff, Action.BOOK_APPOINTMENTS)
    start, end = _day_bounds(day)
    query = (
        select(Slot, AppointmentBook)
        .join(AppointmentBook, AppointmentBook.id == Slot.book_id)  # type: ignore[arg-type]
        .where(Slot.practice_id == staff.practice_id, col(Slot.start_utc) >= start, col(Slot.start_utc) < end)
        .order_by(col(Slot.start_utc), col(AppointmentBook.name))
    )
    if book_id not in (None, ""):
        query = query.where(Slot.book_id == permissions.record_id(book_id))
    if site:
        query = query.where(AppointmentBook.site_name == site)
    found = session.exec(query).all()
    live: dict[int, tuple[Appointment | None, Patient | None]] = {
        a.slot_id: (a, p)
        for a, p in session.exec(
            select(Appointment, Patient)
            .join(Patient, Patient.id == Appointment.patient_id)  # type: ignore[arg-type]
            .where(
                col(Appointment.slot_id).in_([s.id for s, _ in found]),
                col(Appointment.cancelled_at).is_(None),
            )
        ).all()
    }
    rows = []
    for slot, book in found:
        appointment, patient = live.get(id_of(slot), (None, None))
        rows.append(
            DayRow(
                slot_id=slot.id,  # type: ignore[arg-type]
                time=f"{clock.to_london(slot.start_utc):%H:%M}",
                end=f"{clock.to_london(slot.end_utc):%H:%M}",
                book=book.name,
                site=book.site_name,
                kind=APPOINTMENT_KINDS.get(slot.kind, slot.kind).capitalize(),
                status=slot.status,
                patient_name=patient.full_name if patient else "",
                patient_id=patient.id if patient else None,
                appointment_id=appointment.id if appointment else None,
            )
        )
    return rows


def _slot_here(session: Session, staff: StaffContext, slot_id: object) -> Slot:
    key = permissions.record_id(slot_id)
    slot = session.get(Slot, key) if key else None
    if slot is None or slot.practice_id != staff.practice_id:
        raise permissions.PermissionDenied(SLOT_NOT_HERE)
    return slot


def _appointment_here(session: Session, staff: StaffContext, appointment_id: object) -> Appointment:
    key = permissions.record_id(appointment_id)
    appointment = session.get(Appointment, key) if key else None
    if appointment is None or appointment.practice_id != staff.practice_id:
        raise permissions.PermissionDenied(NOT_HERE)
    return appointment


def _take(session: Session, slot: Slot, now: datetime | None) -> str:
    """Take a free, future slot for a booking in this transaction; "" or why not."""
    if clock.as_utc(slot.start_utc) <= clock.as_utc(now):
        return "That time has passed. Choose another time."
    taken = session.exec(
        update(Slot).where(col(Slot.id) == slot.id, col(Slot.status) == "free").values(status="booked")
    )
    if taken.rowcount != 1:
        return booking.SLOT_TAKEN if slot.status != "blocked" else booking.SLOT_GONE
    session.refresh(slot)
    return ""


def book_for_patient(
    session: Session,
    staff: StaffContext | None,
    slot_id: object,
    *,
    patient_id: object,
    invite_id: object = None,
    now: datetime | None = None,
) -> StaffBooking:
    """Book the patient into a free slot (by phone), with their invite if they have one (it is then
    used). The patient's accounts are told by email and SMS. Refusals change nothing."""
    staff = permissions.require(staff, Action.BOOK_APPOINTMENTS)
    patient = permissions.require_patient(session, staff, Action.BOOK_APPOINTMENTS, patient_id)
    slot = _slot_here(session, staff, slot_id)
    invite: AppointmentInvite | None = None
    if invite_id not in (None, ""):
        key = permissions.record_id(invite_id)
        invite = session.get(AppointmentInvite, key) if key else None
        if invite is None or invite.patient_id != patient.id or invite.practice_id != staff.practice_id:
            return StaffBooking(errors={"invite": "That invitation is not this patient's."})
        problem = invites.invite_problem(invite, now)
        if problem:
            return StaffBooking(errors={"invite": problem})
    moment = clock.as_utc(now)
    if invite is not None:
        used = session.exec(
            update(AppointmentInvite)
            .where(col(AppointmentInvite.id) == invite.id, col(AppointmentInvite.status) == "open")
            .values(status="used", used_at=moment)
        )
        if used.rowcount != 1:
            return StaffBooking(errors={"invite": invites.USED})
    problem = _take(session, slot, now)
    if problem:
        if invite is not None:
            session.exec(
                update(AppointmentInvite)
                .where(col(AppointmentInvite.id) == invite.id)
                .values(status="open", used_at=None)
            )
        return StaffBooking(errors={"slot": problem})
    appointment = Appointment(
        slot_id=slot.id,  # type: ignore[arg-type]
        invite_id=invite.id if invite else None,
        patient_id=patient.id,  # type: ignore[arg-type]
        practice_id=staff.practice_id,
        booked_by_staff_id=staff.staff_id,
        booked_at=moment,
    )
    session.add(appointment)
    session.flush()
    audit.record_staff(
        session,
        staff,
        "appointment_booked",
        patient_id=patient.id,
        detail={"appointment_id": appointment.id, "slot_id": slot.id, "invite_id": appointment.invite_id},
    )
    notices.tell(session, "appointment_booked", booking.describe(session, appointment, now), patient.id)  # type: ignore[arg-type]
    return StaffBooking(appointment_id=appointment.id)


def _release(session: Session, appointment: Appointment, moment: datetime, *, reopen_invite: bool) -> None:
    session.exec(
        update(Slot).where(col(Slot.id) == appointment.slot_id, col(Slot.status) == "booked").values(status="free")
    )
    if reopen_invite and appointment.invite_id is not None:
        session.exec(
            update(AppointmentInvite)
            .where(
                col(AppointmentInvite.id) == appointment.invite_id,
                col(AppointmentInvite.status) == "used",
                col(AppointmentInvite.expires_at) > moment,
            )
            .values(status="open", used_at=None)
        )


def cancel_for_patient(
    session: Session,
    staff: StaffContext | None,
    appointment_id: object,
    reason: object = "",
    now: datetime | None = None,
) -> Result:
    """Cancel a patient's appointment for them (no cut-off for staff); the slot is free at once, the
    invite can book again while valid, and the patient's accounts are told."""
    staff = permissions.require(staff, Action.BOOK_APPOINTMENTS)
    appointment = _appointment_here(session, staff, appointment_id)
    why = text_limits.normalise(text_limits.received(reason)) if isinstance(reason, str) else ""
    problem = text_limits.check(why, booking.CANCEL_REASON.limit, "The reason") if why else ""
    if problem:
        return Result(errors={"reason": problem})
    moment = clock.as_utc(now)
    view = booking.describe(session, appointment, now)
    done = session.exec(
        update(Appointment)
        .where(col(Appointment.id) == appointment.id, col(Appointment.cancelled_at).is_(None))
        .values(cancelled_at=moment, cancel_reason=why, cancelled_by_staff_id=staff.staff_id)
    )
    if done.rowcount != 1:
        return Result(errors={FORM: booking.ALREADY_CANCELLED})
    _release(session, appointment, moment, reopen_invite=True)
    session.refresh(appointment)
    audit.record_staff(
        session,
        staff,
        "appointment_cancelled",
        patient_id=appointment.patient_id,
        detail={"appointment_id": appointment.id, "slot_id": appointment.slot_id, "with_reason": bool(why)},
    )
    notices.tell(session, "appointment_cancelled", view, appointment.patient_id)
    return Result()


def move_appointment(
    session: Session, staff: StaffContext | None, appointment_id: object, slot_id: object, now: datetime | None = None
) -> StaffBooking:
    """Move a patient's appointment to another free slot at the practice, in one transaction: the
    new time is taken first (a refusal changes nothing), then the old one is cancelled ("Moved by
    the practice") and freed. The patient's accounts are told the new time."""
    staff = permissions.require(staff, Action.BOOK_APPOINTMENTS)
    old = _appointment_here(session, staff, appointment_id)
    if old.cancelled_at is not None:
        return StaffBooking(errors={FORM: booking.ALREADY_CANCELLED})
    slot = _slot_here(session, staff, slot_id)
    if slot.id == old.slot_id:
        return StaffBooking(errors={"slot": "Choose a different time."})
    moment = clock.as_utc(now)
    closed = session.exec(
        update(Appointment)
        .where(col(Appointment.id) == old.id, col(Appointment.cancelled_at).is_(None))
        .values(cancelled_at=moment, cancel_reason=MOVED, cancelled_by_staff_id=staff.staff_id)
    )
    if closed.rowcount != 1:
        return StaffBooking(errors={FORM: booking.ALREADY_CANCELLED})
    problem = _take(session, slot, now)
    if problem:  # put the old one back as it was (this transaction holds it)
        session.exec(
            update(Appointment)
            .where(col(Appointment.id) == old.id)
            .values(cancelled_at=None, cancel_reason="", cancelled_by_staff_id=None)
        )
        session.refresh(old)
        return StaffBooking(errors={"slot": problem})
    _release(session, old, moment, reopen_invite=False)
    new = Appointment(
        slot_id=slot.id,  # type: ignore[arg-type]
        invite_id=old.invite_id,
        patient_id=old.patient_id,
        practice_id=old.practice_id,
        booked_by_staff_id=staff.staff_id,
        booked_at=moment,
    )
    session.add(new)
    session.flush()
    session.refresh(old)
    audit.record_staff(
        session,
        staff,
        "appointment_moved",
        patient_id=old.patient_id,
        detail={"from_appointment_id": old.id, "appointment_id": new.id, "slot_id": slot.id},
    )
    notices.tell(session, "appointment_booked", booking.describe(session, new, now), old.patient_id)
    return StaffBooking(appointment_id=new.id)
