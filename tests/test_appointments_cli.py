"""The admin CLI's appointment-book commands (issue 12) and the demo practices' books."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from anima_pwa import db
from anima_pwa.models import AppointmentBook, AuditEvent, RotaSession, Slot
from anima_pwa.services.platform.demo import seed_demo
from tests.test_admin_cli import migrated, run, use_settings  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("cheap_argon2")


def test_a_practice_sets_up_a_book_from_the_command_line(migrated, capsys) -> None:  # noqa: F811
    assert run(capsys, "seed-demo")[0] == 0
    status, out, err = run(
        capsys, "create-book", "--practice", "Y90001", "--name", "Dr Ada Jones", "--team", "gp-jones",
        "--site-name", "Riverside", "--site-address", "1 River Road",
    )  # fmt: skip
    assert status == 0, err
    book_id = int(out.split("appointment book ")[1].split(":")[0])
    status, out, err = run(
        capsys, "add-rota", "--book", str(book_id), "--day", "Tuesday", "--start", "09:00", "--end", "10:00",
        "--slot-minutes", "15", "--kind", "telephone",
    )  # fmt: skip
    assert status == 0, err
    bad = run(
        capsys, "add-rota", "--book", str(book_id), "--day", "Someday", "--start", "9", "--end", "10:00",
        "--slot-minutes", "15", "--kind", "telephone",
    )  # fmt: skip
    assert bad[0] == 1 and "weekday: Choose a day of the week" in bad[2] and "start:" in bad[2]
    assert run(capsys, "add-days-off", "--book", str(book_id), "--first", "2099-01-01", "--reason", "Leave")[0] == 0
    status, out, _ = run(capsys, "generate-slots", "--weeks", "2")
    assert status == 0 and out.startswith("Made ")
    status, out, _ = run(capsys, "list-books", "--practice", "Y90001")
    assert "Dr Ada Jones" in out and "Tue 09:00-10:00 15m telephone" in out
    with Session(db.engine()) as session:
        assert session.exec(select(func.count()).select_from(Slot).where(Slot.book_id == book_id)).one() in (4, 8)
        assert len(session.exec(select(RotaSession).where(RotaSession.book_id == book_id)).all()) == 1
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "appointment_book_created")).all()
        assert any(e.actor_kind == "system" for e in events)
    assert run(capsys, "add-rota", "--book", "999", "--day", "Monday", "--start", "09:00", "--end", "10:00",
               "--slot-minutes", "15", "--kind", "telephone")[0] == 1  # fmt: skip


def test_the_demo_practices_have_books_with_free_slots(db_session: Session) -> None:
    report = seed_demo(db_session)
    assert all(books == 2 and slots > 100 for books, slots in report.appointment_books.values())
    kinds = set(db_session.exec(select(Slot.kind)).all())
    assert kinds == {"face_to_face", "telephone", "video", "blood_test", "blood_pressure", "ecg"}
    again = seed_demo(db_session, if_empty=False)
    assert all(books == 0 and slots == 0 for books, slots in again.appointment_books.values())
    assert db_session.exec(select(func.count()).select_from(AppointmentBook)).one() == 8
