"""The practice's side of appointments (services for the workspace pages): the day's list, and
booking, moving and cancelling for a patient by phone, with the patient told."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from anima_pwa.models import Appointment, AppointmentInvite, OutboxMessage, Practice, Slot
from anima_pwa.services.appointments import booking, staff_side
from anima_pwa.services.practice.permissions import PermissionDenied
from tests.appointment_world import generate, invite, london, make_world, patient_with_account, slots
from tests.factories import audit_actions, make_patient, make_practice, make_staff

NOW = london(2026, 3, 21, 10)


def _templates(db: Session) -> list[str]:
    return [m.template for m in db.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()]


def test_staff_book_move_and_cancel_for_a_patient(db_session: Session) -> None:
    world = make_world(db_session)
    generate(db_session, world, NOW)
    zoe, zoe_id = patient_with_account(db_session, world, "Zoe Smith", "zoe@example.com")
    receptionist = make_staff(db_session, db_session.get(Practice, world.practice_id), "receptionist")
    invite_id = invite(db_session, world, zoe, NOW)
    first, second, third = slots(db_session, world)[:3]
    made = staff_side.book_for_patient(
        db_session, receptionist, first.id, patient_id=zoe.id, invite_id=invite_id, now=NOW
    )
    assert made.ok, made.errors
    assert db_session.get(AppointmentInvite, invite_id).status == "used"
    rows = staff_side.day_list(db_session, receptionist, date(2026, 3, 23))
    assert [(r.time, r.status, r.patient_name) for r in rows[:2]] == [
        ("09:00", "booked", "Zoe Smith"),
        ("09:10", "free", ""),
    ]
    # another patient can't have that time, from the app or by phone
    ann, ann_id = patient_with_account(db_session, world, "Ann Lee", "ann@example.com")
    assert booking.book(db_session, ann_id, invite(db_session, world, ann, NOW), first.id, NOW).errors == {
        "slot": booking.SLOT_TAKEN
    }
    assert staff_side.book_for_patient(db_session, receptionist, first.id, patient_id=ann.id, now=NOW).errors == {
        "slot": booking.SLOT_TAKEN
    }
    moved = staff_side.move_appointment(db_session, receptionist, made.appointment_id, second.id, NOW)
    assert moved.ok
    assert [db_session.get(Slot, s.id).status for s in (first, second)] == ["free", "booked"]
    assert db_session.get(Appointment, made.appointment_id).cancel_reason == staff_side.MOVED
    [view] = booking.appointments_for(db_session, zoe_id, NOW)
    assert view.time == "09:10"
    # moving to a taken time changes nothing
    staff_side.book_for_patient(db_session, receptionist, third.id, patient_id=ann.id, now=NOW)
    refused = staff_side.move_appointment(db_session, receptionist, moved.appointment_id, third.id, NOW)
    assert refused.errors == {"slot": booking.SLOT_TAKEN}
    assert db_session.get(Appointment, moved.appointment_id).cancelled_at is None
    # staff cancel inside the patient's cut-off
    late = london(2026, 3, 23, 8, 30)
    assert staff_side.cancel_for_patient(db_session, receptionist, moved.appointment_id, "Phoned in", late).ok
    assert db_session.get(Slot, second.id).status == "free"
    assert db_session.get(AppointmentInvite, invite_id).status == "open"
    assert _templates(db_session).count("appointment_booked") == 3 and "appointment_cancelled" in _templates(db_session)
    assert {"appointment_booked", "appointment_moved", "appointment_cancelled"} <= set(audit_actions(db_session))


def test_staff_act_only_at_their_own_practice(db_session: Session) -> None:
    world = make_world(db_session)
    generate(db_session, world, NOW)
    zoe, _ = patient_with_account(db_session, world, "Zoe Smith", "zoe@example.com")
    other = make_practice(db_session, "Y99997")
    outsider = make_staff(db_session, other, "receptionist")
    stranger = make_patient(db_session, other, "Sam Far")
    slot = slots(db_session, world)[0]
    with pytest.raises(PermissionDenied):
        staff_side.book_for_patient(db_session, outsider, slot.id, patient_id=zoe.id, now=NOW)
    with pytest.raises(PermissionDenied):
        staff_side.book_for_patient(db_session, outsider, slot.id, patient_id=stranger.id, now=NOW)
    made = staff_side.book_for_patient(db_session, world.clinician, slot.id, patient_id=zoe.id, now=NOW)
    with pytest.raises(PermissionDenied):
        staff_side.cancel_for_patient(db_session, outsider, made.appointment_id, "", NOW)
    assert staff_side.day_list(db_session, outsider, date(2026, 3, 23)) == []
    past = staff_side.book_for_patient(
        db_session, world.clinician, slots(db_session, world)[1].id, patient_id=zoe.id, now=NOW + timedelta(days=3)
    )
    assert past.errors == {"slot": "That time has passed. Choose another time."}
