"""The practice side of appointments: the books page's services, today's list, and staff booking,
moving and cancelling for a patient (by phone), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from anima_pwa.models import Appointment, AppointmentInvite, Slot
from anima_pwa.services.appointments import books, request_invites, rota, slot_claims, staff_booking, today_list
from anima_pwa.services.appointments.booking import SLOT_TAKEN
from anima_pwa.services.appointments.invites import create_invite
from anima_pwa.services.practice.permissions import PermissionDenied
from tests.factories import audit_actions, make_patient, make_practice, make_request, make_staff, outbox

# Monday 7 December 2026, 08:00 in London (GMT): the week's slots are all to come.
NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
MONDAY = date(2026, 12, 7)


@pytest.fixture
def world(db_session):
    db = db_session
    practice = make_practice(db, "A11111", "Moss Bank Surgery")
    other = make_practice(db, "B22222")
    admin = make_staff(db, practice, "admin", name="Ann Admin")
    reception = make_staff(db, practice, "receptionist", name="Rita Reception")
    clinician = make_staff(db, practice, "clinician", name="Dr Amir Khan")
    outsider = make_staff(db, other, "admin")
    patient = make_patient(db, practice, "Zoe Smith", email="zoe@example.com")
    stranger = make_patient(db, other, "Sam Other", email="sam@example.com")
    made = rota.create_book(
        db, admin, name="Dr Amir Khan", staff_id=clinician.staff_id, site_name="Moss Bank", site_address="1 High St"
    )
    assert made.ok, made.errors
    added = rota.add_session(
        db, admin, made.id, weekday="0", start="09:00", end="10:00", slot_minutes="15", kind="face_to_face"
    )
    assert added.ok, added.errors
    generated = books.generate_for_book(db, admin, made.id, "1", now=NOW)
    assert generated.ok and generated.created == 4
    db.commit()
    slots = db.exec(select(Slot).where(Slot.book_id == made.id).order_by(Slot.start_utc)).all()
    return type(
        "World",
        (),
        dict(
            db=db,
            practice=practice,
            admin=admin,
            reception=reception,
            clinician=clinician,
            outsider=outsider,
            patient=patient,
            stranger=stranger,
            book_id=made.id,
            slots=slots,
        ),
    )


def test_books_in_words_and_generate_twice_makes_nothing_new(world):
    (view,) = books.book_views(world.db, world.reception, now=NOW)
    assert view.name == "Dr Amir Khan" and view.owner == "Clinician: Dr Amir Khan"
    assert view.site == "Moss Bank, 1 High St"
    assert [s.text for s in view.sessions] == ["Monday 09:00 to 10:00, 15-minute face to face slots"]
    assert view.free_slots == 4 and view.last_slot == "Monday 7 December 2026"
    again = books.generate_for_book(world.db, world.admin, world.book_id, "1", now=NOW)
    assert again.ok and again.created == 0
    assert audit_actions(world.db).count("appointment_slots_generated") == 2
    assert books.clinician_choices(world.db, world.admin) == [(world.clinician.staff_id, "Dr Amir Khan")]


@pytest.mark.parametrize("weeks", ["", "0", "27", "abc", "-1", "1.5"])
def test_generate_refuses_bad_weeks_beside_the_field(world, weeks):
    result = books.generate_for_book(world.db, world.admin, world.book_id, weeks, now=NOW)
    assert result.errors == {"weeks": books.NO_WEEKS}


def test_generate_without_a_pattern_says_so(world):
    made = rota.create_book(world.db, world.admin, name="Nurses", team="nurses")
    result = books.generate_for_book(world.db, world.admin, made.id, "2", now=NOW)
    assert result.errors == {"weeks": books.NO_PATTERN}


def test_only_admins_change_books_and_only_their_own_practice(world):
    with pytest.raises(PermissionDenied):
        books.generate_for_book(world.db, world.reception, world.book_id, "2", now=NOW)
    with pytest.raises(PermissionDenied):
        books.generate_for_book(world.db, world.outsider, world.book_id, "2", now=NOW)
    with pytest.raises(PermissionDenied):
        books.remove_session(world.db, world.outsider, world.book_id, "1")
    assert books.book_views(world.db, world.outsider, now=NOW) == []


def test_remove_a_line_of_the_pattern_keeps_the_slots(world):
    (view,) = books.book_views(world.db, world.admin, now=NOW)
    assert books.remove_session(world.db, world.admin, world.book_id, str(view.sessions[0].id)).ok
    again = books.remove_session(world.db, world.admin, world.book_id, str(view.sessions[0].id))
    assert "form" in again.errors
    (view,) = books.book_views(world.db, world.admin, now=NOW)
    assert view.sessions == [] and view.free_slots == 4


def test_book_by_phone_shows_on_the_list_and_tells_the_patient(world):
    db = world.db
    result = staff_booking.book_for_patient(db, world.reception, world.slots[1].id, world.patient.id, now=NOW)
    assert result.ok, result.errors
    day = today_list.day_list(db, world.reception, MONDAY, book_id=world.book_id, now=NOW)
    assert day.heading == "Monday 7 December 2026" and (day.booked, day.free) == (1, 3)
    row = day.rows[1]
    assert (row.time, row.ends, row.status, row.kind) == ("09:15", "09:30", "booked", "Face to face")
    assert (row.patient_name, row.patient_born, row.appointment_id) == (
        "Zoe Smith",
        "14 Mar 1985",
        result.appointment_id,
    )
    assert [m.template for m in outbox(db, to="zoe@example.com")] == ["appointment_booked"]
    (message,) = outbox(db, to="zoe@example.com")
    assert "Monday 7 December 2026 at 09:15" in message.body_text and "Moss Bank, 1 High St" in message.body_text
    assert "appointment_booked" in audit_actions(db) and "appointment_list_viewed" in audit_actions(db)
    by_site = today_list.day_list(db, world.reception, MONDAY, site="Moss Bank", now=NOW)
    assert len(by_site.rows) == 4
    assert today_list.day_list(db, world.reception, MONDAY, site="Elsewhere", now=NOW).rows == []


def test_a_taken_slot_is_refused_and_nothing_is_saved(world):
    db = world.db
    assert staff_booking.book_for_patient(db, world.reception, world.slots[0].id, world.patient.id, now=NOW).ok
    other = make_patient(db, world.practice, "Ola Other")
    second = staff_booking.book_for_patient(db, world.reception, world.slots[0].id, other.id, now=NOW)
    assert second.errors == {"slot": SLOT_TAKEN}
    assert len(db.exec(select(Appointment)).all()) == 1


def test_the_race_is_settled_by_the_conditional_update(world, monkeypatch):
    """The slot read as free, then taken by someone else before the UPDATE: the loser is refused."""
    db = world.db
    assert staff_booking.book_for_patient(db, world.reception, world.slots[0].id, world.patient.id, now=NOW).ok
    monkeypatch.setattr(staff_booking, "_slot_problem", lambda *_a: "")  # it looked free a moment ago
    other = make_patient(db, world.practice, "Ola Other")
    result = staff_booking.book_for_patient(db, world.reception, world.slots[0].id, other.id, now=NOW)
    assert result.errors == {"slot": SLOT_TAKEN}
    assert len(db.exec(select(Appointment)).all()) == 1


def test_a_patient_and_slot_of_another_practice_are_refused(world):
    db = world.db
    with pytest.raises(PermissionDenied):
        staff_booking.book_for_patient(db, world.reception, world.slots[0].id, world.stranger.id, now=NOW)
    with pytest.raises(PermissionDenied):
        staff_booking.book_for_patient(db, world.outsider, world.slots[0].id, world.stranger.id, now=NOW)
    with pytest.raises(PermissionDenied):
        today_list.day_list(db, world.outsider, MONDAY, book_id=world.book_id, now=NOW)
    assert today_list.day_list(db, world.outsider, MONDAY, now=NOW).rows == []


def test_a_past_slot_cannot_be_booked(world):
    later = datetime(2026, 12, 7, 9, 20, tzinfo=UTC)
    result = staff_booking.book_for_patient(world.db, world.reception, world.slots[0].id, world.patient.id, now=later)
    assert result.errors == {"slot": staff_booking.SLOT_PAST}


def test_cancel_needs_a_reason_then_frees_the_slot_and_gives_the_invite_back(world):
    db = world.db
    invite = _invite(world, "face_to_face")
    assert invite.ok, invite.errors
    booked = staff_booking.book_for_patient(db, world.reception, world.slots[2].id, world.patient.id, now=NOW)
    # An appointment booked with the invite (as the patient would): staff cancel gives it back.
    db.get(Appointment, booked.appointment_id).invite_id = invite.id
    db.get(AppointmentInvite, invite.id).status = "used"
    db.flush()
    assert staff_booking.cancel_for_patient(db, world.reception, booked.appointment_id, "  ", now=NOW).errors == {
        "cancel_reason": staff_booking.NO_REASON
    }
    assert staff_booking.cancel_for_patient(db, world.reception, booked.appointment_id, "x" * 501, now=NOW).errors
    assert db.get(Appointment, booked.appointment_id).cancelled_at is None
    done = staff_booking.cancel_for_patient(db, world.reception, booked.appointment_id, "Clinic cancelled", now=NOW)
    assert done.ok, done.errors
    db.expire_all()
    assert db.get(Slot, world.slots[2].id).status == "free"
    assert db.get(AppointmentInvite, invite.id).status == "open"
    appointment = db.get(Appointment, booked.appointment_id)
    assert (
        appointment.cancel_reason == "Clinic cancelled"
        and appointment.cancelled_by_staff_id == world.reception.staff_id
    )
    assert [m.template for m in outbox(db, to="zoe@example.com")] == ["appointment_booked", "appointment_cancelled"]
    assert "Clinic cancelled" not in outbox(db, to="zoe@example.com")[-1].body_text  # the reason is never sent
    again = staff_booking.cancel_for_patient(db, world.reception, booked.appointment_id, "Again", now=NOW)
    assert again.errors == {"form": "This appointment has already been cancelled."}


def test_move_to_another_free_slot_tells_the_patient_both_times(world):
    db = world.db
    booked = staff_booking.book_for_patient(db, world.reception, world.slots[0].id, world.patient.id, now=NOW)
    moved = staff_booking.move(db, world.reception, booked.appointment_id, world.slots[3].id, now=NOW)
    assert moved.ok, moved.errors
    db.expire_all()
    assert db.get(Slot, world.slots[0].id).status == "free" and db.get(Slot, world.slots[3].id).status == "booked"
    assert db.get(Appointment, booked.appointment_id).cancel_reason == staff_booking.MOVED
    assert db.get(Appointment, moved.appointment_id).patient_id == world.patient.id
    message = outbox(db, template="appointment_moved", to="zoe@example.com")[0]
    assert "It was: Monday 7 December 2026 at 09:00" in message.body_text
    assert "It is now: Monday 7 December 2026 at 09:45" in message.body_text
    assert "appointment_moved" in audit_actions(db)


def test_move_to_a_taken_slot_changes_nothing(world):
    db = world.db
    other = make_patient(db, world.practice, "Ola Other")
    mine = staff_booking.book_for_patient(db, world.reception, world.slots[0].id, world.patient.id, now=NOW)
    staff_booking.book_for_patient(db, world.reception, world.slots[1].id, other.id, now=NOW)
    refused = staff_booking.move(db, world.reception, mine.appointment_id, world.slots[1].id, now=NOW)
    assert refused.errors == {"slot": SLOT_TAKEN}
    same = staff_booking.move(db, world.reception, mine.appointment_id, world.slots[0].id, now=NOW)
    assert same.errors == {"slot": staff_booking.SAME_SLOT}
    db.expire_all()
    assert db.get(Appointment, mine.appointment_id).cancelled_at is None
    assert db.get(Slot, world.slots[0].id).status == "booked"
    assert outbox(db, template="appointment_moved") == []


def test_move_losing_the_race_for_the_new_slot_undoes_the_cancel(world, monkeypatch):
    db = world.db
    mine = staff_booking.book_for_patient(db, world.reception, world.slots[0].id, world.patient.id, now=NOW)
    monkeypatch.setattr(slot_claims, "claim_slot", lambda *_a: False)  # someone took it after we looked
    refused = staff_booking.move(db, world.reception, mine.appointment_id, world.slots[2].id, now=NOW)
    assert refused.errors == {"slot": SLOT_TAKEN}
    db.expire_all()
    appointment = db.get(Appointment, mine.appointment_id)
    assert appointment.cancelled_at is None and appointment.cancel_reason == ""
    assert db.get(Slot, world.slots[0].id).status == "booked" and db.get(Slot, world.slots[2].id).status == "free"


def test_parse_day_defaults_to_today_in_london():
    assert today_list.parse_day("2026-12-08") == date(2026, 12, 8)
    late = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)  # 00:30 on 1 July in London
    assert today_list.parse_day("nonsense", now=late) == date(2026, 7, 1)
    assert today_list.parse_day(None, now=late) == date(2026, 7, 1)


def _invite(world, kind: str):
    """An invitation for the patient to book ``kind`` with the clinician's book, made by reception."""
    return create_invite(
        world.db, world.reception, patient_id=world.patient.id, appointment_kind=kind, book_id=world.book_id, now=NOW
    )


def _request(world):
    return make_request(
        world.db, patient_id=world.patient.id, practice_id=world.practice.id, submitted_at=NOW, reference="AN-000001"
    )


def test_invite_from_a_request_page_at_any_time_tells_the_patient_and_lists_it(world):
    db = world.db
    team = rota.create_book(db, world.admin, name="Practice nurses", team="nurses")
    assert team.ok
    request = _request(world)
    targets = request_invites.invite_targets(db, world.reception)
    assert targets == [
        (f"book:{world.book_id}", "Dr Amir Khan"),
        (f"book:{team.id}", "Practice nurses"),
        ("team:nurses", "Any of the nurses team"),
    ]
    bad = request_invites.invite_from_request(
        db, world.reception, request.id, appointment_kind="x-ray", target="", window_days="0", expires_in_days="99"
    )
    assert set(bad.errors) == {"appointment_kind", "book", "window_end", "expires"}
    assert db.exec(select(AppointmentInvite)).all() == [] and outbox(db) == []
    made = request_invites.invite_from_request(
        db,
        world.reception,
        request.id,
        appointment_kind="blood_test",
        target="team:nurses",
        window_days="14",
        expires_in_days="7",
        now=NOW,
    )
    assert made.ok, made.errors
    invite = db.get(AppointmentInvite, made.id)
    assert (invite.kind, invite.team, invite.request_id, invite.patient_id) == (
        "blood_test",
        "nurses",
        request.id,
        world.patient.id,
    )
    assert (invite.window_end - invite.window_start).days == 13
    assert [m.template for m in outbox(db, to="zoe@example.com")] == ["practice_message"]
    (line,) = request_invites.invite_lines(db, world.reception, request.id, now=NOW)
    assert line.text.startswith("Blood test with the nurses team, between Monday 7 December")
    assert line.state == "Waiting for the patient to book (by Monday 14 December, 08:00)"


def test_invite_lines_say_booked_and_another_practice_sees_nothing(world):
    db = world.db
    request = _request(world)
    made = request_invites.invite_from_request(
        db,
        world.clinician,
        request.id,
        appointment_kind="face_to_face",
        target=f"book:{world.book_id}",
        window_days="7",
        expires_in_days="7",
        now=NOW,
    )
    booked = staff_booking.book_for_patient(db, world.reception, world.slots[0].id, world.patient.id, now=NOW)
    db.get(Appointment, booked.appointment_id).invite_id = made.id
    db.flush()
    (line,) = request_invites.invite_lines(db, world.reception, request.id, now=NOW)
    assert line.state == "Booked for Monday 7 December at 09:00 with Dr Amir Khan"
    assert request_invites.invite_lines(db, world.outsider, request.id, now=NOW) == []
    with pytest.raises(PermissionDenied):
        request_invites.invite_from_request(
            db, world.outsider, request.id, appointment_kind="ecg", target="", window_days="7", expires_in_days="7"
        )


def test_appointments_booked_on_days_off_are_listed_for_the_practice_to_move(world):
    db = world.db
    staff_booking.book_for_patient(db, world.reception, world.slots[2].id, world.patient.id, now=NOW)
    assert books.booked_on_days_off(db, world.reception, world.book_id, now=NOW) == []
    added = rota.add_exception(db, world.admin, world.book_id, first_day="2026-12-07", reason="Training")
    assert added.ok
    assert books.booked_on_days_off(db, world.reception, world.book_id, now=NOW) == ["Monday 7 December 2026 at 09:30"]
    day = today_list.day_list(db, world.reception, MONDAY, book_id=world.book_id, now=NOW)
    assert [r.status for r in day.rows] == ["blocked", "blocked", "booked", "blocked"]
    with pytest.raises(PermissionDenied):
        books.booked_on_days_off(db, world.outsider, world.book_id, now=NOW)


def test_a_patient_invited_who_phones_instead_uses_the_invite(world):
    """Reception books a patient who has an invite for this kind of slot with this book: the invite
    is used, so the patient can't book a second time online with it; another kind is left alone."""
    db = world.db
    made = _invite(world, "face_to_face")
    other = _invite(world, "blood_test")
    booked = staff_booking.book_for_patient(db, world.reception, world.slots[0].id, world.patient.id, now=NOW)
    assert db.get(Appointment, booked.appointment_id).invite_id == made.id
    assert db.get(AppointmentInvite, made.id).status == "used"
    assert db.get(AppointmentInvite, other.id).status == "open"
    named = staff_booking.book_for_patient(
        db, world.reception, world.slots[1].id, world.patient.id, now=NOW, invite_id=made.id
    )
    assert named.errors == {
        "invite": "You have already booked an appointment with this invitation. It is in In progress."
    }
    stranger_invite = staff_booking.book_for_patient(
        db, world.reception, world.slots[1].id, world.patient.id, now=NOW, invite_id="999999"
    )
    assert stranger_invite.errors == {"invite": staff_booking.NOT_THEIR_INVITE}
    assert db.get(Slot, world.slots[1].id).status == "free"


@pytest.mark.parametrize(
    ("target", "split"),
    [("book:12", ("12", "")), ("team:nurses", ("", "nurses")), ("", ("", "")), ("nurses", ("", "")), (None, ("", ""))],
)
def test_split_target(target, split):
    assert request_invites.split_target(target) == split
