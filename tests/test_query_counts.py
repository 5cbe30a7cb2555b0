"""No query per row in any list (issue 14): each list is read with the same number of SQL
statements for 2 rows as for 20 (tests/query_count.py counts them). Your requests, In progress
(requests, invites to book, appointments), the practice's queue, Patient Search, Verifications and
the day's appointments. On SQLite and, with ANIMA_TEST_POSTGRES_URL, PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from anima_pwa.models import Appointment, Practice, Slot
from anima_pwa.services.appointments import booking, invites, today_list
from anima_pwa.services.inbox import patient_view, queue
from anima_pwa.services.practice import patient_search, verifications
from tests.appointment_world import generate, invite, london, make_world, patient_with_account
from tests.factories import link, make_account, make_patient, make_staff, nhs_check_digit, valid_nhs_number
from tests.inbox_a_world import build_desk
from tests.inbox_patient_world import patient_world, practice_message, sent_request
from tests.query_count import queries

NOW = london(2026, 3, 21, 10)


def _same_for_2_and_20(engine: Engine, add_rows, show, *, rows_of=len) -> None:  # noqa: ANN001
    """Add rows up to 2, count the list's statements; up to 20, count again: the same."""
    with Session(engine, expire_on_commit=False) as session:
        add_rows(session, 0, 2)
        session.commit()
    two, shown = queries(engine, show)
    assert rows_of(shown) == 2, shown
    with Session(engine, expire_on_commit=False) as session:
        add_rows(session, 2, 20)
        session.commit()
    twenty, shown = queries(engine, show)
    assert rows_of(shown) == 20, shown
    assert twenty == two, f"{two} statements for 2 rows, {twenty} for 20"


def test_your_requests_and_in_progress(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        w = patient_world(session)
        session.commit()

    def add(session: Session, first: int, last: int) -> None:
        w.db = session
        for n in range(first, last):  # for Mum and her daughter, every third waiting for a reply
            request = sent_request(w, session.merge(w.lily if n % 2 else w.mum_patient), w.mum, minutes=n)
            if n % 3 == 0:
                practice_message(w, request)

    _same_for_2_and_20(engine, add, lambda s: patient_view.your_requests(s, w.mum))
    in_progress, rows = queries(engine, lambda s: patient_view.in_progress(s, w.mum))
    assert len(rows) == 20 and in_progress == queries(engine, lambda s: patient_view.your_requests(s, w.mum))[0]


def test_in_progress_invites_and_appointments(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        world = make_world(session, start="08:00", end="12:00")
        generate(session, world, NOW, weeks=3)
        zoe, zoe_id = patient_with_account(session, world, "Zoe Smith", "zoe@example.com")
        session.commit()
        free = [s.id for s in session.exec(select(Slot).where(Slot.book_id == world.book_id).order_by(Slot.id))]

    def add_invites(session: Session, first: int, last: int) -> None:
        for _ in range(first, last):
            invite(session, world, session.merge(zoe), NOW)

    _same_for_2_and_20(engine, add_invites, lambda s: invites.open_invites_for(s, zoe_id, NOW))

    def add_appointments(session: Session, first: int, last: int) -> None:
        for n in range(first, last):
            session.add(Appointment(slot_id=free[n], patient_id=zoe.id, practice_id=world.practice_id))
            slot = session.get(Slot, free[n])
            slot.status = "booked"  # type: ignore[union-attr]
            session.add(slot)

    _same_for_2_and_20(engine, add_appointments, lambda s: booking.appointments_for(s, zoe_id, NOW))


def test_the_practice_queue(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        desk = build_desk(session)
        session.commit()
    others = []

    def add(session: Session, first: int, last: int) -> None:
        desk.db = session
        for n in range(first, last):
            patient = make_patient(session, session.merge(desk.practice), f"Pat {n}", nhs_number=None)
            others.append(patient)
            assigned = {"assigned_staff_id": desk.clinician.staff_id, "status": "assigned"} if n % 2 else {}
            desk.request(minutes_ago=60 + n, patient_id=patient.id, **assigned)

    _same_for_2_and_20(engine, add, lambda s: queue.queue(s, desk.reception), rows_of=lambda page: len(page.rows))


def _nhs_numbers(first_digit: str):
    """Valid NHS numbers, different each time."""
    for n in range(10**7):
        prefix = f"{first_digit}{n:08d}"
        if nhs_check_digit(prefix) is not None:
            yield valid_nhs_number(prefix)


def test_patient_search(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        desk = build_desk(session)
        session.commit()
    numbers = _nhs_numbers("9")

    def add(session: Session, first: int, last: int) -> None:
        practice = session.merge(desk.practice)
        for n in range(first, last):
            patient = make_patient(
                session, practice, f"Quinn Tester{n}", email=f"quinn{n}@example.com", nhs_number=next(numbers)
            )
            if n % 2:  # a parent holds them too
                link(session, make_account(session, f"parent{n}@example.com"), patient, "dependant")

    _same_for_2_and_20(engine, add, lambda s: patient_search.search_patients(s, desk.reception, "quinn"))


def test_the_verification_queue(engine: Engine) -> None:
    """Three kinds of row (the first two rows: one of each of the last two): a record a parent
    added, with another record of the same NHS number at the practice; a link waiting for approval;
    a registration from the patient's own account."""
    with Session(engine, expire_on_commit=False) as session:
        desk = build_desk(session)
        session.commit()
    numbers = _nhs_numbers("8")

    def add(session: Session, first: int, last: int) -> None:
        practice = session.merge(desk.practice)
        for n in range(first, last):
            if n % 4 == 2:
                make_patient(
                    session, practice, f"Vera Pending{n}", email=f"vera{n}@example.com", status="pending",
                    nhs_number=next(numbers),
                )  # fmt: skip
            elif n % 2 == 0:
                number = next(numbers)
                make_patient(session, practice, f"Vic Twin{n}", nhs_number=number)
                child = make_patient(session, practice, f"Vic Child{n}", status="pending", nhs_number=number)
                link(session, make_account(session, f"adder{n}@example.com"), child, "dependant")
            else:
                teen = make_patient(session, practice, f"Tia Teen{n}", email=f"tia{n}@example.com")
                link(session, make_account(session, f"mum{n}@example.com"), teen, "dependant", approval="pending")

    _same_for_2_and_20(engine, add, lambda s: verifications.verification_queue(s, desk.admin))


def test_the_days_appointments(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        world = make_world(session, start="08:00", end="12:00")  # Mondays: 24 slots
        generate(session, world, NOW, weeks=1)
        session.commit()
        monday = date(2026, 3, 23)
        day_slots = [
            s.id
            for s in session.exec(select(Slot).where(Slot.book_id == world.book_id).order_by(Slot.start_utc)).all()
            if s.start_utc.date() == monday
        ]
        practice = session.get(Practice, world.practice_id)
        reception = make_staff(session, practice, "receptionist")  # type: ignore[arg-type]
        session.commit()

    def add(session: Session, first: int, last: int) -> None:
        for n in range(first, last):
            patient = make_patient(session, session.get(Practice, world.practice_id), f"Bo {n}")  # type: ignore[arg-type]
            session.add(Appointment(slot_id=day_slots[n], patient_id=patient.id, practice_id=world.practice_id))

    def booked(day_list) -> int:  # noqa: ANN001
        return sum(1 for row in day_list.rows if row.status == "booked")

    _same_for_2_and_20(
        engine, add, lambda s: today_list.day_list(s, reception, monday, now=NOW - timedelta(days=1)), rows_of=booked
    )
