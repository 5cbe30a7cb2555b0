"""The workspace's appointment screens (state/appointments and the request page's "Invite to
book"), driven directly against the test database as tests/test_inbox_a_states.py drives the
request screens: who acts comes from the server-side session, refusals are shown on the screen,
errors sit beside their fields, and any id the browser sends is checked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import anima_pwa.anima_pwa  # noqa: F401  (every page and State, as the app registers them)
from anima_pwa import routes
from anima_pwa.models import Appointment, AppointmentBook, AppointmentInvite, Slot
from anima_pwa.services.appointments import rota
from anima_pwa.services.platform import clock
from anima_pwa.state.appointments.practice_books import AppointmentBooksState, AppointmentBookState
from anima_pwa.state.appointments.practice_today import PracticeTodayState
from anima_pwa.state.inbox.practice_request import PracticeRequestState
from tests.factories import make_patient, make_practice, make_request, make_staff, outbox
from tests.screen_tabs import opened, run, staff_acting

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # Monday 7 December 2026, 08:00 in London


@pytest.fixture
def desk(engine: Engine, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    as_staff = staff_acting(engine, monkeypatch)
    monkeypatch.setattr(clock, "utcnow", lambda: NOW)
    with Session(engine, expire_on_commit=False) as session:
        practice = make_practice(session, "A11111", "Moss Bank Surgery")
        other = make_practice(session, "B22222")
        world = type("Desk", (), {})()
        world.admin = make_staff(session, practice, "admin", name="Ann Admin")
        world.reception = make_staff(session, practice, "receptionist", name="Rita Reception")
        world.clinician = make_staff(session, practice, "clinician", name="Dr Amir Khan")
        world.outsider = make_staff(session, other, "admin")
        world.patient = make_patient(session, practice, "Zoe Smith", email="zoe@example.com")
        request = make_request(
            session, patient_id=world.patient.id, practice_id=practice.id, submitted_at=NOW, reference="AN-000001"
        )
        session.commit()
        world.request_id = request.id

    world.as_staff = as_staff
    world.engine = engine
    return world


def _set_up_a_book(desk) -> int:  # noqa: ANN001
    desk.as_staff(desk.admin)
    books_tab = opened(AppointmentBooksState, routes.PRACTICE_BOOKS)
    run(books_tab, "load")
    assert books_tab.can_manage and books_tab.rows == []
    assert books_tab.clinicians == [{"value": str(desk.clinician.staff_id), "label": "Dr Amir Khan"}]
    run(books_tab, "create_book", {"name": "", "team": "", "staff_id": ""})
    assert set(books_tab.errors) == {"name", "team"}
    run(
        books_tab,
        "create_book",
        {"name": "Dr Amir Khan", "staff_id": str(desk.clinician.staff_id), "site_name": "Moss Bank"},
    )
    with Session(desk.engine) as session:
        book = session.exec(select(AppointmentBook)).one()
    tab = opened(AppointmentBookState, f"{routes.PRACTICE_BOOK}?id={book.id}&created=1")
    run(tab, "load")
    assert tab.book["name"] == "Dr Amir Khan" and tab.notice.startswith("The appointment book has been created")
    run(tab, "add_session", {"weekday": "0", "start": "9am", "end": "08:00", "slot_minutes": "2", "kind": "x"})
    assert set(tab.errors) == {"start", "slot_minutes", "kind"}
    run(
        tab,
        "add_session",
        {"weekday": "0", "start": "09:00", "end": "10:00", "slot_minutes": "15", "kind": "telephone"},
    )
    assert tab.errors == {} and tab.sessions[0]["text"] == "Monday 09:00 to 10:00, 15-minute telephone slots"
    run(tab, "generate", {"weeks": "0"})
    assert tab.errors == {"weeks": "Enter a number of weeks from 1 to 26"}
    run(tab, "generate", {"weeks": "1"})
    assert tab.errors == {} and tab.notice == "4 new slots made." and tab.book["free"] == "4"
    run(tab, "add_days_off", {"first_day": "2026-12-07", "last_day": "", "reason": "Training"})
    assert tab.days_off == ["Monday 7 December 2026: Training"] and tab.book["free"] == "0"
    return book.id


def test_an_admin_sets_up_a_book_reception_may_only_read_it(desk) -> None:  # noqa: ANN001
    book_id = _set_up_a_book(desk)
    desk.as_staff(desk.reception)
    tab = opened(AppointmentBookState, f"{routes.PRACTICE_BOOK}?id={book_id}")
    run(tab, "load")
    assert tab.book["name"] == "Dr Amir Khan" and not tab.can_manage
    run(tab, "generate", {"weeks": "4"})
    assert tab.errors == {"form": "You do not have permission to do that."}
    desk.as_staff(desk.outsider)
    theirs = opened(AppointmentBookState, f"{routes.PRACTICE_BOOK}?id={book_id}")
    run(theirs, "load")
    assert theirs.book == {} and theirs.error == "We could not find that appointment book at your practice."
    run(theirs, "generate", {"weeks": "4"})
    assert theirs.book == {}


def test_reception_books_moves_and_cancels_by_phone(desk) -> None:  # noqa: ANN001
    desk.as_staff(desk.admin)
    with Session(desk.engine, expire_on_commit=False) as session:
        made = rota.create_book(
            session, desk.admin, name="Dr Amir Khan", staff_id=desk.clinician.staff_id, site_name="Moss Bank"
        )
        rota.add_session(
            session, desk.admin, made.id, weekday=0, start="09:00", end="10:00", slot_minutes=15, kind="face_to_face"
        )
        rota.generate_slots(session, session.get(AppointmentBook, made.id), weeks=1)
        session.commit()
        slots = [s.id for s in session.exec(select(Slot).order_by(Slot.start_utc)).all()]
    desk.as_staff(desk.reception)
    tab = opened(PracticeTodayState, routes.PRACTICE_APPOINTMENTS)
    run(tab, "load")
    assert tab.day == "2026-12-07" and tab.heading == "Monday 7 December 2026" and len(tab.rows) == 4
    assert tab.site_choices == ["Moss Bank"] and tab.counts == "0 booked, 4 free"
    run(tab, "start_booking", "999999")
    assert tab.mode == "" and tab.errors == {"form": "That time is no longer on the list. Choose another time."}
    run(tab, "start_booking", str(slots[1]))
    assert tab.mode == "book" and tab.chosen == "09:15 with Dr Amir Khan"
    run(tab, "search", {"query": "z"})
    assert "query" in tab.errors
    run(tab, "search", {"query": "zoe"})
    assert [p["name"] for p in tab.found] == ["Zoe Smith"]
    run(tab, "book_for", tab.found[0]["id"])
    assert tab.notice.startswith("Zoe Smith is booked for 09:15 with Dr Amir Khan") and tab.mode == ""
    row = tab.rows[1]
    assert (row["patient"], row["status_label"], row["live"]) == ("Zoe Smith", "Booked", "yes")
    assert row["patient_href"] == routes.practice_patient(desk.patient.id)
    # Move it to 09:45, then cancel it with a reason.
    run(tab, "start_move", str(slots[1]))
    assert tab.mode == "move"
    run(tab, "move_to", str(slots[3]))
    assert tab.notice.startswith("The appointment has been moved to 09:45") and tab.rows[3]["patient"] == "Zoe Smith"
    assert tab.rows[1]["status"] == "free"
    run(tab, "start_cancel", str(slots[3]))
    run(tab, "cancel", {"cancel_reason": ""})
    assert tab.errors == {"cancel_reason": "Enter why the appointment is cancelled"} and tab.mode == "cancel"
    run(tab, "cancel", {"cancel_reason": "Doctor ill"})
    assert tab.notice.startswith("The appointment has been cancelled") and tab.counts == "0 booked, 4 free"
    with Session(desk.engine) as session:
        assert [a.cancel_reason for a in session.exec(select(Appointment).order_by(Appointment.id)).all()] == [
            "Moved by the practice",
            "Doctor ill",
        ]
        assert [m.template for m in outbox(session, to="zoe@example.com")] == [
            "appointment_booked",
            "appointment_moved",
            "appointment_cancelled",
        ]


def test_another_practice_cannot_book_a_slot_it_does_not_own(desk) -> None:  # noqa: ANN001
    with Session(desk.engine, expire_on_commit=False) as session:
        made = rota.create_book(session, desk.admin, name="Dr Amir Khan", team="gp")
        rota.add_session(
            session, desk.admin, made.id, weekday=0, start="09:00", end="09:15", slot_minutes=15, kind="video"
        )
        rota.generate_slots(session, session.get(AppointmentBook, made.id), weeks=1)
        session.commit()
    desk.as_staff(desk.outsider)
    tab = opened(PracticeTodayState, routes.PRACTICE_APPOINTMENTS)
    run(tab, "load")
    assert tab.rows == []
    run(tab, "book_for", str(desk.patient.id))  # nothing chosen: nothing happens
    with Session(desk.engine) as session:
        assert session.exec(select(Appointment)).all() == []


def test_invite_to_book_from_the_request_page(desk) -> None:  # noqa: ANN001
    with Session(desk.engine, expire_on_commit=False) as session:
        rota.create_book(session, desk.admin, name="Practice nurses", team="nurses")
        session.commit()
    desk.as_staff(desk.reception)
    tab = opened(PracticeRequestState, f"{routes.PRACTICE_REQUEST}?id={desk.request_id}")
    run(tab, "load")
    assert tab.may_invite and {"value": "team:nurses", "label": "Any of the nurses team"} in tab.invite_targets
    run(tab, "invite_to_book", {"invite_kind": "", "invite_with": "", "invite_window": "0", "invite_expires": "7"})
    assert set(tab.errors) == {"invite_kind", "invite_with", "invite_window"}
    run(
        tab,
        "invite_to_book",
        {"invite_kind": "ecg", "invite_with": "team:nurses", "invite_window": "14", "invite_expires": "7"},
    )
    assert tab.errors == {} and tab.notice.startswith("The invitation to book has been sent")
    assert tab.invite_lines == [
        {
            "text": "ECG with the nurses team, between Monday 7 December and Sunday 20 December",
            "state": "Waiting for the patient to book (by Monday 14 December, 08:00)",
        }
    ]
    with Session(desk.engine) as session:
        (invite,) = session.exec(select(AppointmentInvite)).all()
        assert (invite.kind, invite.request_id, invite.created_by_staff_id) == (
            "ecg",
            desk.request_id,
            desk.reception.staff_id,
        )


def test_a_clinician_opens_the_list_on_their_own_book(desk) -> None:  # noqa: ANN001
    with Session(desk.engine, expire_on_commit=False) as session:
        rota.create_book(session, desk.admin, name="Nurses", team="nurses")
        own = rota.create_book(session, desk.admin, name="Dr Amir Khan", staff_id=desk.clinician.staff_id)
        session.commit()
    desk.as_staff(desk.clinician)
    tab = opened(PracticeTodayState, routes.PRACTICE_APPOINTMENTS)
    run(tab, "load")
    assert tab.book_choice == str(own.id)
    run(tab, "show", {"day": "2026-12-08", "book": "", "site": ""})
    run(tab, "load")
    assert tab.book_choice == "" and tab.day == "2026-12-07"  # their choice is kept; the URL's day (none: today)
    desk.as_staff(desk.reception)
    other = opened(PracticeTodayState, routes.PRACTICE_APPOINTMENTS)
    run(other, "load")
    assert other.book_choice == ""
