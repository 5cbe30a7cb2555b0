"""Staff book, move and cancel appointments for a patient (by phone, from today's list).

The same race rules as the patient's booking (`booking.book`): a slot is taken with one
conditional UPDATE (``WHERE status = 'free'``), so of two bookings racing for it (staff or a
patient) exactly one wins, and the partial unique index on live appointments is the database's
last word. The loser changes nothing and is asked to choose another time.

Staff need no invite (they book what the patient asks for on the phone), but an invite the
patient has for that kind of slot with that book or team is used by the booking, so it can't book
a second time online; moving keeps the appointment's invite. Staff may cancel at any time before the appointment ends (the cut-off is
the patient's, online), and must say why (kept with the appointment and in the audit trail, never
sent). Each change tells everyone who acts for the patient by email and SMS through the outbox,
with no clinical content (`notices`), and is audited. A refusal saves nothing: every change is
made only after the last check that can refuse it, or undone in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from anima_pwa.models import Appointment, AppointmentBook, AppointmentInvite, Slot
from anima_pwa.services.appointments import booking, invites, notices, slot_claims
from anima_pwa.services.platform import audit, clock, text_limits
from anima_pwa.services.platform.results import FORM
from anima_pwa.services.practice import permissions
from anima_pwa.services.practice.permissions import Action, StaffContext

__all__ = [
    "STAFF_CANCEL_REASON",
    "book_for_patient",
    "cancel_for_patient",
    "move",
]

STAFF_CANCEL_REASON = text_limits.FieldLimit("cancel_reason", "The reason", 500)
NOT_THEIR_INVITE = "That invitation is not this patient's."
SLOT_PAST = "That time has already passed. Choose another time."
NOT_FOUND = "We could not find that appointment at your practice."
NO_REASON = "Enter why the appointment is cancelled"
SAME_SLOT = "Choose a different time to move the appointment to."
MOVED = "Moved by the practice"


def _slot_of_practice(session: Session, staff: StaffContext, slot_id: object) -> Slot:
    key = permissions.record_id(slot_id)
    slot = session.get(Slot, key) if key else None
    if slot is None or slot.practice_id != staff.practice_id:
        raise permissions.PermissionDenied("We could not find that time at your practice.")
    return slot


def _appointment_of_practice(session: Session, staff: StaffContext, appointment_id: object) -> Appointment:
    key = permissions.record_id(appointment_id)
    appointment = session.get(Appointment, key) if key else None
    if appointment is None or appointment.practice_id != staff.practice_id:
        raise permissions.PermissionDenied(NOT_FOUND)
    return appointment


def _slot_problem(slot: Slot, now: datetime | None) -> str:
    if clock.as_utc(slot.start_utc) <= clock.as_utc(now):
        return SLOT_PAST
    if slot.status == "booked":
        return booking.SLOT_TAKEN
    if slot.status != "free":
        return booking.SLOT_GONE
    return ""


def _matching_invite(
    session: Session, staff: StaffContext, patient_id: int, slot: Slot, invite_id: object, now: datetime | None
) -> tuple[AppointmentInvite | None, str]:
    """The invite this booking uses, and why not ("" if fine). Named (`invite_id`): it must be the
    patient's, at the practice, and usable now. Not named: the patient's open invite for this kind
    of slot with this book (or its team), the one expiring soonest, if any; so a patient who was
    invited and phones instead can't then book a second time online with the same invite."""
    if invite_id not in (None, ""):
        key = permissions.record_id(invite_id)
        invite = session.get(AppointmentInvite, key) if key else None
        if invite is None or invite.patient_id != patient_id or invite.practice_id != staff.practice_id:
            return None, NOT_THEIR_INVITE
        return invite, invites.invite_problem(invite, now)
    book = session.get(AppointmentBook, slot.book_id)
    candidates = session.exec(
        select(AppointmentInvite)
        .where(
            AppointmentInvite.patient_id == patient_id,
            AppointmentInvite.practice_id == staff.practice_id,
            AppointmentInvite.status == "open",
            AppointmentInvite.kind == slot.kind,
            col(AppointmentInvite.expires_at) > clock.as_utc(now),
        )
        .order_by(col(AppointmentInvite.expires_at), col(AppointmentInvite.id))
    ).all()
    for invite in candidates:
        if invite.book_id == slot.book_id or (
            invite.book_id is None and invite.team and book is not None and invite.team == book.team
        ):
            return invite, ""
    return None, ""


def book_for_patient(
    session: Session,
    staff: StaffContext | None,
    slot_id: object,
    patient_id: object,
    now: datetime | None = None,
    *,
    invite_id: object = None,
) -> booking.BookingResult:
    """Book a free slot of the practice for a patient of the practice. No invite is needed; one
    the patient has for this kind of slot with this book or team is used (`_matching_invite`)."""
    staff = permissions.require(staff, Action.BOOK_APPOINTMENTS)
    patient = permissions.require_patient(session, staff, Action.BOOK_APPOINTMENTS, patient_id)
    slot = _slot_of_practice(session, staff, slot_id)
    problem = _slot_problem(slot, now)
    if problem:
        return booking.BookingResult(errors={"slot": problem})
    invite, problem = _matching_invite(session, staff, patient.id, slot, invite_id, now)  # type: ignore[arg-type]
    if problem:
        return booking.BookingResult(errors={"invite": problem})
    moment = clock.as_utc(now)
    if invite is not None and not slot_claims.take_invite(session, invite.id, moment):
        if invite_id not in (None, ""):
            return booking.BookingResult(errors={"invite": invites.USED})
        invite = None  # the patient is using it online this moment: book without it
    if not slot_claims.claim_slot(session, slot.id):
        if invite is not None:
            slot_claims.give_back_invite(session, invite.id)
        return booking.BookingResult(errors={"slot": booking.SLOT_TAKEN})
    appointment = Appointment(
        slot_id=slot.id,  # type: ignore[arg-type]
        invite_id=invite.id if invite is not None else None,
        patient_id=patient.id,  # type: ignore[arg-type]
        practice_id=staff.practice_id,
        booked_by_staff_id=staff.staff_id,
        booked_at=moment,
    )
    session.add(appointment)
    session.flush()
    session.refresh(slot)
    if invite is not None:
        session.refresh(invite)
    audit.record_staff(
        session,
        staff,
        "appointment_booked",
        patient_id=patient.id,
        detail={
            "appointment_id": appointment.id,
            "slot_id": slot.id,
            "invite_id": appointment.invite_id,
            "by": "staff",
        },
    )
    notices.tell(session, "appointment_booked", booking.describe(session, appointment, now), patient.id)  # type: ignore[arg-type]
    return booking.BookingResult(appointment_id=appointment.id)


def _live_problem(session: Session, appointment: Appointment, now: datetime | None) -> str:
    if appointment.cancelled_at is not None:
        return booking.ALREADY_CANCELLED
    slot = session.get(Slot, appointment.slot_id)
    if slot is None or clock.as_utc(slot.end_utc) <= clock.as_utc(now):
        return booking.PAST
    return ""


def cancel_for_patient(
    session: Session,
    staff: StaffContext | None,
    appointment_id: object,
    reason: object,
    now: datetime | None = None,
) -> booking.BookingResult:
    """Cancel an appointment of the practice (by phone, or the practice can't keep it), with a
    reason. The slot is free at once; an invite it was booked with can be used again while valid."""
    staff = permissions.require(staff, Action.BOOK_APPOINTMENTS)
    appointment = _appointment_of_practice(session, staff, appointment_id)
    why = text_limits.typed(reason)
    if not why:
        return booking.BookingResult(errors={"cancel_reason": NO_REASON})
    too_long = text_limits.check(why, STAFF_CANCEL_REASON.limit, STAFF_CANCEL_REASON.label)
    if too_long:
        return booking.BookingResult(errors={"cancel_reason": too_long})
    problem = _live_problem(session, appointment, now)
    if problem:
        return booking.BookingResult(errors={FORM: problem})
    view = booking.describe(session, appointment, now)
    moment = clock.as_utc(now)
    if not slot_claims.mark_cancelled(session, appointment.id, moment, why, by_staff_id=staff.staff_id):
        return booking.BookingResult(errors={FORM: booking.ALREADY_CANCELLED})
    slot_claims.free_slot(session, appointment.slot_id)
    slot_claims.reopen_invite(session, appointment.invite_id, moment)
    session.refresh(appointment)
    audit.record_staff(
        session,
        staff,
        "appointment_cancelled",
        patient_id=appointment.patient_id,
        detail={"appointment_id": appointment.id, "slot_id": appointment.slot_id, "by": "staff"},
    )
    notices.tell(session, "appointment_cancelled", view, appointment.patient_id)
    return booking.BookingResult(appointment_id=appointment.id)


def move(
    session: Session,
    staff: StaffContext | None,
    appointment_id: object,
    slot_id: object,
    now: datetime | None = None,
) -> booking.BookingResult:
    """Move a live appointment to another free slot of the practice: the new slot is taken (one
    winner), the old appointment cancelled ("Moved by the practice") and its slot freed, and a new
    appointment made for the same patient and invite. The patient gets one message with both
    times. Returns the new appointment's id."""
    staff = permissions.require(staff, Action.BOOK_APPOINTMENTS)
    appointment = _appointment_of_practice(session, staff, appointment_id)
    target = _slot_of_practice(session, staff, slot_id)
    problem = _live_problem(session, appointment, now)
    if problem:
        return booking.BookingResult(errors={FORM: problem})
    if target.id == appointment.slot_id:
        return booking.BookingResult(errors={"slot": SAME_SLOT})
    problem = _slot_problem(target, now)
    if problem:
        return booking.BookingResult(errors={"slot": problem})
    was = booking.describe(session, appointment, now)
    moment = clock.as_utc(now)
    # The old appointment first: if a second tab or a colleague cancelled or moved it meanwhile,
    # nothing has changed yet. Then the new slot: if it was taken meanwhile, undo the cancel (this
    # transaction holds that row, so nobody else has seen it cancelled).
    if not slot_claims.mark_cancelled(session, appointment.id, moment, MOVED, by_staff_id=staff.staff_id):
        return booking.BookingResult(errors={FORM: booking.ALREADY_CANCELLED})
    if not slot_claims.claim_slot(session, target.id):
        session.exec(
            update(Appointment)
            .where(col(Appointment.id) == appointment.id)
            .values(cancelled_at=None, cancel_reason="", cancelled_by_staff_id=None)
        )
        session.refresh(appointment)
        return booking.BookingResult(errors={"slot": booking.SLOT_TAKEN})
    slot_claims.free_slot(session, appointment.slot_id)
    moved = Appointment(
        slot_id=target.id,  # type: ignore[arg-type]
        invite_id=appointment.invite_id,
        patient_id=appointment.patient_id,
        practice_id=appointment.practice_id,
        booked_by_staff_id=staff.staff_id,
        booked_at=moment,
    )
    session.add(moved)
    session.flush()
    session.refresh(appointment)
    session.refresh(target)
    audit.record_staff(
        session,
        staff,
        "appointment_moved",
        patient_id=appointment.patient_id,
        detail={"from_appointment_id": appointment.id, "appointment_id": moved.id, "slot_id": target.id},
    )
    notices.tell(
        session, "appointment_moved", booking.describe(session, moved, now), appointment.patient_id, was=was.when
    )
    return booking.BookingResult(appointment_id=moved.id)
