"""Appointments (issue 12): the rota and the clock changes, the invite rules, booking and the race
for a slot on SQLite and PostgreSQL, cancelling up to the cut-off, reminders once, the calendar file
and notices that say nothing clinical."""

from __future__ import annotations

import re
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from anima_pwa.models import Appointment, AppointmentInvite, OutboxMessage, PracticeSettings, Slot
from anima_pwa.services.appointments import booking, calendar_file, invites, reminders, rota
from anima_pwa.services.practice.permissions import PermissionDenied
from tests.appointment_world import generate, invite, london, make_world, patient_with_account, slots
from tests.factories import audit_actions, make_practice, make_staff

NOW = london(2026, 3, 21, 10)  # Saturday before the March clock change (Sunday 29 March 2026)


# --- the rota --------------------------------------------------------------------------------------


def test_slots_are_made_in_uk_time_across_the_march_clock_change(db_session: Session) -> None:
    world = make_world(db_session)
    assert generate(db_session, world, NOW, weeks=2) == 12  # two Mondays, six 10-minute slots each
    made = slots(db_session, world)
    starts = [s.start_utc for s in made]
    assert starts[0] == datetime(2026, 3, 23, 9, 0, tzinfo=UTC)  # GMT: 09:00 is 09:00 UTC
    assert starts[6] == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)  # BST: 09:00 is 08:00 UTC
    assert {s.status for s in made} == {"free"} and {s.kind for s in made} == {"face_to_face"}


def test_and_across_the_october_clock_change(db_session: Session) -> None:
    world = make_world(db_session)
    generate(db_session, world, london(2026, 10, 17), weeks=2)  # the change is Sunday 25 October 2026
    starts = [s.start_utc for s in slots(db_session, world)]
    assert starts[0] == datetime(2026, 10, 19, 8, 0, tzinfo=UTC)  # BST
    assert starts[6] == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)  # GMT


def test_the_hour_the_clocks_skip_has_no_slots_and_the_repeated_hour_has_one_set() -> None:
    assert rota.local_start(date(2026, 3, 29), datetime.strptime("01:30", "%H:%M").time()) is None
    first = rota.local_start(date(2026, 10, 25), datetime.strptime("01:30", "%H:%M").time())
    assert first == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # the first 01:30 (BST)


def test_generating_again_makes_nothing_new_and_keeps_bookings(db_session: Session) -> None:
    world = make_world(db_session)
    generate(db_session, world, NOW)
    made = slots(db_session, world)
    made[0].status = "booked"
    db_session.add(made[0])
    assert generate(db_session, world, NOW) == 0
    # two weeks on: Easter Monday (6 April) is skipped, Monday 13 April is new
    assert generate(db_session, world, NOW + timedelta(days=14)) == 6
    assert slots(db_session, world)[0].status == "booked"


def test_bank_holidays_and_days_off_get_no_slots(db_session: Session) -> None:
    world = make_world(db_session)
    # Easter Monday 2027 is 29 March; leave for Monday 5 April.
    off = rota.add_exception(db_session, world.admin, world.book_id, first_day="2027-04-05", reason="Leave")
    assert off.ok
    report = rota.generate_slots(
        db_session, db_session.get(rota.AppointmentBook, world.book_id), weeks=3, now=london(2027, 3, 20)
    )
    days = sorted({s.start_utc.date() for s in slots(db_session, world)})
    assert days == [date(2027, 3, 22)]
    assert report.skipped_days == [date(2027, 3, 29), date(2027, 4, 5)]


def test_days_off_added_later_block_free_slots_but_not_booked_ones(db_session: Session) -> None:
    world = make_world(db_session)
    generate(db_session, world, NOW)
    made = slots(db_session, world)
    made[0].status = "booked"
    db_session.add(made[0])
    rota.add_exception(db_session, world.admin, world.book_id, first_day="2026-03-23", reason="Training")
    db_session.flush()
    statuses = [s.status for s in slots(db_session, world)[:6]]
    assert statuses == ["booked"] + ["blocked"] * 5


def test_rota_validation_and_permissions(db_session: Session) -> None:
    world = make_world(db_session)
    bad = rota.add_session(
        db_session, world.admin, world.book_id, weekday=9, start="9am", end="08:00", slot_minutes=0, kind="x"
    )
    assert set(bad.errors) == {"weekday", "start", "slot_minutes", "kind"}
    reversed_times = rota.add_session(
        db_session, world.admin, world.book_id, weekday="Tuesday", start="12:00", end="09:00", slot_minutes=10,
        kind="telephone",
    )  # fmt: skip
    assert set(reversed_times.errors) == {"end"}
    overlapping = rota.add_session(
        db_session, world.admin, world.book_id, weekday="Monday", start="09:30", end="11:00", slot_minutes=15,
        kind="telephone",
    )  # fmt: skip
    assert overlapping.errors == {"start": "This book already has a session on Monday from 09:00 to 10:00"}
    after = rota.add_session(
        db_session, world.admin, world.book_id, weekday="Monday", start="10:00", end="11:00", slot_minutes=15,
        kind="telephone",
    )  # fmt: skip
    assert after.ok
    both = rota.create_book(db_session, world.admin, name="X", staff_id=world.clinician.staff_id, team="nurses")
    assert "team" in both.errors
    with pytest.raises(PermissionDenied):
        rota.create_book(db_session, world.clinician, name="Mine", team="nurses")
    other = make_practice(db_session, "Y99999")
    with pytest.raises(PermissionDenied):
        rota.add_session(
            db_session, make_staff(db_session, other, "admin"), world.book_id, weekday=0, start="09:00",
            end="10:00", slot_minutes=10, kind="telephone",
        )  # fmt: skip


# --- invites ---------------------------------------------------------------------------------------


def test_invite_defaults_and_validation(db_session: Session) -> None:
    world = make_world(db_session)
    patient, _ = patient_with_account(db_session, world, "Zoe Smith", "zoe@example.com")
    made = invites.create_invite(
        db_session, world.clinician, patient_id=patient.id, appointment_kind="face_to_face", book_id=world.book_id,
        now=NOW,
    )  # fmt: skip
    row = db_session.get(AppointmentInvite, made.id)
    assert row.window_start == date(2026, 3, 21) and row.window_end == date(2026, 4, 3)  # 14 days
    assert row.expires_at == NOW + timedelta(days=7) and row.status == "open"
    assert "appointment_invite_created" in audit_actions(db_session)
    bad = invites.create_invite(
        db_session, world.clinician, patient_id=patient.id, appointment_kind="massage", team="nobody",
        window_start="2026-03-01", expires_in_days=0, now=NOW,
    )  # fmt: skip
    assert set(bad.errors) == {"appointment_kind", "book", "window_start", "expires"}
    assert db_session.exec(select(func.count()).select_from(AppointmentInvite)).one() == 1


def test_invites_only_for_the_practices_own_patients(db_session: Session) -> None:
    world = make_world(db_session)
    other = make_practice(db_session, "Y99998")
    stranger, _ = patient_with_account(db_session, world, "Ann Lee", "ann@example.com")
    outsider = make_staff(db_session, other, "clinician")
    with pytest.raises(PermissionDenied):
        invites.create_invite(db_session, outsider, patient_id=stranger.id, appointment_kind="telephone", team="x")
    receptionist = make_staff(db_session, other, "receptionist")
    with pytest.raises(PermissionDenied):
        invites.create_invite(db_session, receptionist, patient_id=stranger.id, appointment_kind="telephone")


def test_open_invites_are_the_accounts_own_and_still_valid(db_session: Session) -> None:
    world = make_world(db_session)
    zoe, zoe_id = patient_with_account(db_session, world, "Zoe Smith", "zoe@example.com")
    ann, ann_id = patient_with_account(db_session, world, "Ann Lee", "ann@example.com")
    invite_id = invite(db_session, world, zoe, NOW)
    listed = invites.open_invites_for(db_session, zoe_id, NOW)
    assert [v.id for v in listed] == [invite_id]
    assert listed[0].what == "a face-to-face appointment" and listed[0].with_whom == "Dr Amir Khan"
    assert invites.open_invites_for(db_session, ann_id, NOW) == []
    assert invites.open_invites_for(db_session, zoe_id, NOW + timedelta(days=8)) == []  # expired


# --- booking ---------------------------------------------------------------------------------------


def _book_world(db: Session):
    world = make_world(db)
    generate(db, world, NOW)
    zoe, zoe_id = patient_with_account(db, world, "Zoe Smith", "zoe@example.com", "+447700900001")
    return world, zoe, zoe_id, invite(db, world, zoe, NOW)


def test_days_then_times_then_book(db_session: Session) -> None:
    world, zoe, zoe_id, invite_id = _book_world(db_session)
    days, checked = booking.free_days(db_session, zoe_id, invite_id, NOW)
    assert checked.ok and [(d.day, d.label, d.free) for d in days] == [
        ("2026-03-23", "Monday 23 March", 6),
        ("2026-03-30", "Monday 30 March", 6),
    ]
    times, _ = booking.free_times(db_session, zoe_id, invite_id, "2026-03-30", NOW)
    assert [t.time for t in times] == ["09:00", "09:10", "09:20", "09:30", "09:40", "09:50"]
    done = booking.book(db_session, zoe_id, invite_id, times[0].slot_id, NOW)
    assert done.ok, done.errors
    assert db_session.get(Slot, times[0].slot_id).status == "booked"
    assert db_session.get(AppointmentInvite, invite_id).status == "used"
    assert "appointment_booked" in audit_actions(db_session)
    [view] = booking.appointments_for(db_session, zoe_id, NOW)
    assert view.when == "Monday 30 March 2026 at 09:00"  # BST, still 09:00 on the screen
    assert view.where == "Moss Bank Surgery, 1 Moss Lane, MB1 2RH"
    sent = db_session.exec(select(OutboxMessage).where(OutboxMessage.template == "appointment_booked")).all()
    assert {m.channel for m in sent} == {"email", "sms"}
    email = next(m for m in sent if m.channel == "email")
    assert "Monday 30 March 2026 at 09:00" in email.body_text and "1 Moss Lane" in email.body_text
    # used: a second booking with it is refused, nothing changes
    again = booking.book(db_session, zoe_id, invite_id, times[1].slot_id, NOW)
    assert again.errors == {"form": invites.USED}
    assert db_session.get(Slot, times[1].slot_id).status == "free"


def test_refusals_each_have_their_message_and_change_nothing(db_session: Session) -> None:
    world, zoe, zoe_id, invite_id = _book_world(db_session)
    ann, ann_id = patient_with_account(db_session, world, "Ann Lee", "ann@example.com")
    times, _ = booking.free_times(db_session, zoe_id, invite_id, "2026-03-23", NOW)
    assert booking.book(db_session, ann_id, invite_id, times[0].slot_id, NOW).errors == {"form": invites.NOT_YOURS}
    late = NOW + timedelta(days=8)
    assert booking.book(db_session, zoe_id, invite_id, times[0].slot_id, late).errors == {"form": invites.EXPIRED}
    assert booking.book(db_session, zoe_id, invite_id, "1 OR 1=1", NOW).errors == {"slot": booking.NO_TIME}
    # a slot another patient took meanwhile
    ann_invite = invite(db_session, world, ann, NOW)
    assert booking.book(db_session, ann_id, ann_invite, times[0].slot_id, NOW).ok
    taken = booking.book(db_session, zoe_id, invite_id, times[0].slot_id, NOW)
    assert taken.errors == {"slot": booking.SLOT_TAKEN}
    # a slot outside the invite (another kind) is not offered and can't be booked
    telephone = invite(db_session, world, zoe, NOW, appointment_kind="telephone")
    assert booking.free_days(db_session, zoe_id, telephone, NOW)[0] == []
    assert booking.book(db_session, zoe_id, telephone, times[1].slot_id, NOW).errors == {"slot": booking.SLOT_GONE}
    assert db_session.get(AppointmentInvite, invite_id).status == "open"
    assert db_session.exec(select(func.count()).select_from(Appointment)).one() == 1


def test_cancel_frees_the_slot_gives_the_invite_back_and_respects_the_cut_off(db_session: Session) -> None:
    world, zoe, zoe_id, invite_id = _book_world(db_session)
    times, _ = booking.free_times(db_session, zoe_id, invite_id, "2026-03-23", NOW)
    appointment_id = booking.book(db_session, zoe_id, invite_id, times[0].slot_id, NOW).appointment_id
    ann, ann_id = patient_with_account(db_session, world, "Ann Lee", "ann@example.com")
    assert booking.cancel(db_session, ann_id, appointment_id, "", NOW).errors == {"form": booking.NOT_FOUND}
    too_late = london(2026, 3, 23, 7, 30)  # 09:00 appointment, 2-hour cut-off
    assert "too late" in booking.cancel(db_session, zoe_id, appointment_id, "", too_late).message
    assert booking.cancel(db_session, zoe_id, appointment_id, "x" * 501, NOW).errors.keys() == {"reason"}
    done = booking.cancel(db_session, zoe_id, appointment_id, "Feeling better", london(2026, 3, 23, 6, 59))
    assert done.ok
    row = db_session.get(Appointment, appointment_id)
    assert row.cancelled_at is not None and row.cancel_reason == "Feeling better"
    assert db_session.get(Slot, times[0].slot_id).status == "free"
    assert db_session.get(AppointmentInvite, invite_id).status == "open"
    assert booking.cancel(db_session, zoe_id, appointment_id, "", NOW).errors == {"form": booking.ALREADY_CANCELLED}
    assert "appointment_cancelled" in audit_actions(db_session)
    # book again with the same invite, even the same slot (only live bookings are unique)
    assert booking.book(db_session, zoe_id, invite_id, times[0].slot_id, NOW).ok


def test_the_practice_sets_its_cut_off(db_session: Session) -> None:
    world, zoe, zoe_id, invite_id = _book_world(db_session)
    db_session.add(PracticeSettings(practice_id=world.practice_id, cancel_cutoff_minutes=24 * 60))
    times, _ = booking.free_times(db_session, zoe_id, invite_id, "2026-03-23", NOW)
    appointment_id = booking.book(db_session, zoe_id, invite_id, times[0].slot_id, NOW).appointment_id
    assert not booking.cancel(db_session, zoe_id, appointment_id, "", london(2026, 3, 22, 10)).ok
    assert booking.cancel(db_session, zoe_id, appointment_id, "", london(2026, 3, 22, 8)).ok


def test_a_cancelled_booking_after_expiry_does_not_reopen_the_invite(db_session: Session) -> None:
    world, zoe, zoe_id, invite_id = _book_world(db_session)
    times, _ = booking.free_times(db_session, zoe_id, invite_id, "2026-03-30", NOW)
    appointment_id = booking.book(db_session, zoe_id, invite_id, times[0].slot_id, NOW).appointment_id
    assert booking.cancel(db_session, zoe_id, appointment_id, "", NOW + timedelta(days=8)).ok
    assert db_session.get(AppointmentInvite, invite_id).status == "used"


def _race(engine: Engine, attempts: list[tuple[object, int, int]], monkeypatch: pytest.MonkeyPatch) -> list:
    """Book from each thread, its own session and transaction, all having read the slot as free
    before either writes."""
    seen = threading.Barrier(len(attempts))
    free_slots = booking._free_slots

    def read_then_wait(*args, **kwargs):
        found = free_slots(*args, **kwargs)
        try:
            seen.wait(timeout=2)
        except threading.BrokenBarrierError:
            pass
        return found

    monkeypatch.setattr(booking, "_free_slots", read_then_wait)
    results: list = [None] * len(attempts)
    failures: list[BaseException] = []

    def attempt(index: int) -> None:
        identity, invite_id, slot_id = attempts[index]
        try:
            with Session(engine, expire_on_commit=False) as db:
                results[index] = booking.book(db, identity, invite_id, slot_id, NOW)
                db.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(attempts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    return results


def test_two_patients_racing_for_one_slot_exactly_one_wins(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    with Session(engine, expire_on_commit=False) as db:
        world = make_world(db)
        generate(db, world, NOW)
        zoe, zoe_id = patient_with_account(db, world, "Zoe Smith", "zoe@example.com")
        ann, ann_id = patient_with_account(db, world, "Ann Lee", "ann@example.com")
        zoe_invite, ann_invite = invite(db, world, zoe, NOW), invite(db, world, ann, NOW)
        slot_id = slots(db, world)[0].id
        db.commit()
    results = _race(engine, [(zoe_id, zoe_invite, slot_id), (ann_id, ann_invite, slot_id)], monkeypatch)
    assert sorted(r.ok for r in results) == [False, True], results
    loser = next(r for r in results if not r.ok)
    assert loser.errors == {"slot": booking.SLOT_TAKEN}
    with Session(engine) as db:
        assert db.exec(select(func.count()).select_from(Appointment)).one() == 1
        statuses = sorted(db.exec(select(AppointmentInvite.status)).all())
        assert statuses == ["open", "used"]  # the loser may choose again


def test_one_invite_in_two_tabs_books_once(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    with Session(engine, expire_on_commit=False) as db:
        world = make_world(db)
        generate(db, world, NOW)
        zoe, zoe_id = patient_with_account(db, world, "Zoe Smith", "zoe@example.com")
        invite_id = invite(db, world, zoe, NOW)
        first, second = (s.id for s in slots(db, world)[:2])
        db.commit()
    results = _race(engine, [(zoe_id, invite_id, first), (zoe_id, invite_id, second)], monkeypatch)
    assert sorted(r.ok for r in results) == [False, True], results
    with Session(engine) as db:
        assert db.exec(select(func.count()).select_from(Appointment)).one() == 1
        assert sorted(db.exec(select(Slot.status).where(Slot.id.in_([first, second]))).all()) == ["booked", "free"]


# --- reminders, the calendar file, the words -----------------------------------------------------------


def test_the_reminder_goes_the_day_before_once(db_session: Session) -> None:
    world, zoe, zoe_id, invite_id = _book_world(db_session)
    times, _ = booking.free_times(db_session, zoe_id, invite_id, "2026-03-23", NOW)
    booking.book(db_session, zoe_id, invite_id, times[0].slot_id, NOW)
    assert reminders.send_reminders(db_session, london(2026, 3, 21, 18)) == 0  # two days before
    assert reminders.send_reminders(db_session, london(2026, 3, 22, 18)) == 1
    assert reminders.send_reminders(db_session, london(2026, 3, 22, 19)) == 0  # once
    sent = db_session.exec(select(OutboxMessage).where(OutboxMessage.template == "appointment_reminder")).all()
    assert {m.channel for m in sent} == {"email", "sms"}


def test_the_calendar_file_is_09_00_london_after_the_clock_change(db_session: Session) -> None:
    world, zoe, zoe_id, invite_id = _book_world(db_session)
    times, _ = booking.free_times(db_session, zoe_id, invite_id, "2026-03-30", NOW)
    appointment_id = booking.book(db_session, zoe_id, invite_id, times[0].slot_id, NOW).appointment_id
    data = calendar_file.calendar_for_account(db_session, zoe_id, appointment_id, NOW)
    event = next(iter(Calendar.from_ical(data).walk("VEVENT")))
    start = event.decoded("dtstart")
    assert (start.hour, start.minute, str(start.tzinfo)) == (9, 0, "Europe/London")
    assert start.astimezone(UTC) == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    assert b"BEGIN:VTIMEZONE" in data and b"Moss Bank Surgery" in data
    _, ann_id = patient_with_account(db_session, world, "Ann Lee", "ann@example.com")
    assert calendar_file.calendar_for_account(db_session, ann_id, appointment_id, NOW) is None


@pytest.mark.parametrize("kind", ["blood_test", "ecg", "blood_pressure", "telephone"])
def test_no_notice_or_calendar_file_says_what_the_appointment_is_for(db_session: Session, kind: str) -> None:
    world = make_world(db_session, kind=kind)
    generate(db_session, world, NOW)
    zoe, zoe_id = patient_with_account(db_session, world, "Zoe Smith", "zoe@example.com", "+447700900001")
    invite_id = invite(db_session, world, zoe, NOW, appointment_kind=kind)
    times, _ = booking.free_times(db_session, zoe_id, invite_id, "2026-03-23", NOW)
    appointment_id = booking.book(db_session, zoe_id, invite_id, times[0].slot_id, NOW).appointment_id
    reminders.send_reminders(db_session, london(2026, 3, 22, 18))
    booking.cancel(db_session, zoe_id, appointment_id, "chest pain", london(2026, 3, 22, 19))
    texts = [f"{m.subject} {m.body_text}" for m in db_session.exec(select(OutboxMessage)).all()]
    assert len(texts) == 6  # booked, reminder, cancelled; by email and SMS
    words = re.compile(r"blood|ecg|heart|pressure|chest|pain|zoe|smith", re.IGNORECASE)
    assert not [t for t in texts if words.search(t)]
    if kind == "telephone":
        assert all("phone you" in t for t in texts if "booked" in t)


def test_the_sign_off_makes_the_invite_in_one_call(db_session: Session) -> None:
    from anima_pwa.models import Request

    world = make_world(db_session, team="nurses", kind="blood_test")
    generate(db_session, world, NOW)
    zoe, zoe_id = patient_with_account(db_session, world, "Zoe Smith", "zoe@example.com")
    request = Request(patient_id=zoe.id, practice_id=world.practice_id, kind="medical", topic="x", status="assigned")
    db_session.add(request)
    db_session.flush()
    bad = invites.invite_from_outcome(db_session, world.clinician, request, {"appointment_kind": "blood_test"}, NOW)
    assert bad.errors == {"book": "Choose a clinician or team"}
    made = invites.invite_from_outcome(
        db_session, world.clinician, request, {"appointment_kind": "blood_test", "team": "nurses"}, NOW
    )
    assert made.ok
    [view] = invites.open_invites_for(db_session, zoe_id, NOW)
    assert (view.request_id, view.what, view.with_whom) == (request.id, "a blood test", "the nurses team")
    days, _ = booking.free_days(db_session, zoe_id, made.id, NOW)
    assert len(days) == 2


def test_reminders_go_only_at_a_civil_hour(db_session: Session) -> None:
    from anima_pwa.services.appointments import housekeeping

    world, zoe, zoe_id, invite_id = _book_world(db_session)
    times, _ = booking.free_times(db_session, zoe_id, invite_id, "2026-03-23", NOW)
    booking.book(db_session, zoe_id, invite_id, times[0].slot_id, NOW)
    assert housekeeping.due_reminders(db_session, london(2026, 3, 22, 7)) == 0  # too early
    assert housekeeping.due_reminders(db_session, london(2026, 3, 22, 21)) == 0  # too late
    assert housekeeping.due_reminders(db_session, london(2026, 3, 22, 9)) == 1
