"""The practice's side of appointments (services for the workspace pages): the day's list, and
booking, moving and cancelling for a patient by phone, with the patient told. (Written by helper E
for `staff_side`, which duplicated `staff_booking` and `today_list`; kept against those.)"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from anima_pwa.models import Appointment, AppointmentInvite, OutboxMessage, Practice, Slot
from anima_pwa.services.appointments import booking, staff_booking, today_list
from anima_pwa.services.practice.permissions import PermissionDenied
from tests.appointment_world import generate, invite, london, make_world, patient_with_account, slots
from tests.factories import audit_actions, make_patient, make_practice, make_staff
from tests.race import at_once

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
    made = staff_booking.book_for_patient(
        db_session, receptionist, first.id, patient_id=zoe.id, invite_id=invite_id, now=NOW
    )
    assert made.ok, made.errors
    assert db_session.get(AppointmentInvite, invite_id).status == "used"
    rows = today_list.day_list(db_session, receptionist, date(2026, 3, 23), now=NOW).rows
    assert [(r.time, r.status, r.patient_name) for r in rows[:2]] == [
        ("09:00", "booked", "Zoe Smith"),
        ("09:10", "free", ""),
    ]
    # another patient can't have that time, from the app or by phone
    ann, ann_id = patient_with_account(db_session, world, "Ann Lee", "ann@example.com")
    assert booking.book(db_session, ann_id, invite(db_session, world, ann, NOW), first.id, NOW).errors == {
        "slot": booking.SLOT_TAKEN
    }
    assert staff_booking.book_for_patient(db_session, receptionist, first.id, patient_id=ann.id, now=NOW).errors == {
        "slot": booking.SLOT_TAKEN
    }
    moved = staff_booking.move(db_session, receptionist, made.appointment_id, second.id, NOW)
    assert moved.ok
    assert [db_session.get(Slot, s.id).status for s in (first, second)] == ["free", "booked"]
    assert db_session.get(Appointment, made.appointment_id).cancel_reason == staff_booking.MOVED
    [view] = booking.appointments_for(db_session, zoe_id, NOW)
    assert view.time == "09:10"
    # moving to a taken time changes nothing
    staff_booking.book_for_patient(db_session, receptionist, third.id, patient_id=ann.id, now=NOW)
    refused = staff_booking.move(db_session, receptionist, moved.appointment_id, third.id, NOW)
    assert refused.errors == {"slot": booking.SLOT_TAKEN}
    assert db_session.get(Appointment, moved.appointment_id).cancelled_at is None
    # staff cancel inside the patient's cut-off
    late = london(2026, 3, 23, 8, 30)
    assert staff_booking.cancel_for_patient(db_session, receptionist, moved.appointment_id, "Phoned in", late).ok
    assert db_session.get(Slot, second.id).status == "free"
    assert db_session.get(AppointmentInvite, invite_id).status == "open"
    assert _templates(db_session).count("appointment_booked") == 2  # Zoe's, then Ann's
    assert "appointment_moved" in _templates(db_session) and "appointment_cancelled" in _templates(db_session)
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
        staff_booking.book_for_patient(db_session, outsider, slot.id, patient_id=zoe.id, now=NOW)
    with pytest.raises(PermissionDenied):
        staff_booking.book_for_patient(db_session, outsider, slot.id, patient_id=stranger.id, now=NOW)
    made = staff_booking.book_for_patient(db_session, world.clinician, slot.id, patient_id=zoe.id, now=NOW)
    with pytest.raises(PermissionDenied):
        staff_booking.cancel_for_patient(db_session, outsider, made.appointment_id, "", NOW)
    assert today_list.day_list(db_session, outsider, date(2026, 3, 23)).rows == []
    past = staff_booking.book_for_patient(
        db_session, world.clinician, slots(db_session, world)[1].id, patient_id=zoe.id, now=NOW + timedelta(days=3)
    )
    assert past.errors == {"slot": staff_booking.SLOT_PAST}


def test_reception_and_a_patient_racing_for_one_slot_exactly_one_wins(engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Real concurrent transactions (SQLite and PostgreSQL): reception books a caller while a patient
    books the same time online, both having seen it free. One gets it; the other is refused and
    nothing of theirs is saved."""
    import threading

    from sqlalchemy import func

    with Session(engine, expire_on_commit=False) as db:
        world = make_world(db)
        generate(db, world, NOW)
        zoe, _ = patient_with_account(db, world, "Zoe Smith", "zoe@example.com")
        ann, ann_id = patient_with_account(db, world, "Ann Lee", "ann@example.com")
        ann_invite = invite(db, world, ann, NOW)
        receptionist = make_staff(db, db.get(Practice, world.practice_id), "receptionist")
        slot_id = slots(db, world)[0].id
        db.commit()
    seen = threading.Barrier(2)

    def wait_for_the_other() -> None:
        try:
            seen.wait(timeout=2)
        except threading.BrokenBarrierError:
            pass

    free_slots, slot_problem = booking._free_slots, staff_booking._slot_problem

    def patient_reads(*args, **kwargs):
        found = free_slots(*args, **kwargs)
        wait_for_the_other()
        return found

    def staff_reads(*args, **kwargs):
        problem = slot_problem(*args, **kwargs)
        wait_for_the_other()
        return problem

    monkeypatch.setattr(booking, "_free_slots", patient_reads)
    monkeypatch.setattr(staff_booking, "_slot_problem", staff_reads)
    results, failures = at_once(
        engine,
        {
            "staff": lambda db: staff_booking.book_for_patient(db, receptionist, slot_id, zoe.id, NOW),
            "patient": lambda db: booking.book(db, ann_id, ann_invite, slot_id, NOW),
        },
    )
    assert not failures, failures
    assert sorted(r.ok for r in results.values()) == [False, True], results
    loser = next(r for r in results.values() if not r.ok)
    assert loser.errors == {"slot": booking.SLOT_TAKEN}
    with Session(engine) as db:
        assert db.exec(select(func.count()).select_from(Appointment)).one() == 1
        if not results["patient"].ok:
            assert db.get(AppointmentInvite, ann_invite).status == "open"  # Ann may choose again
