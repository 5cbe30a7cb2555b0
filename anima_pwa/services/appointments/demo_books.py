"""The demo practices' appointment books (issue 12): a GP team and a nurse team at each, with a
weekly rota and slots for the coming four weeks, so a demo invite has times to book."""

from __future__ import annotations

from sqlmodel import Session, select

from anima_pwa.models import AppointmentBook, Practice, id_of
from anima_pwa.services.appointments import rota

__all__ = ["DEMO_BOOKS", "seed_books"]

WEEKS = 4
# (name, team, [(weekdays, start, end, minutes, kind)])
DEMO_BOOKS: list[tuple[str, str, list[tuple[tuple[int, ...], str, str, int, str]]]] = [
    (
        "GP team",
        "GP",
        [
            ((0, 1, 2, 3, 4), "09:00", "11:00", 15, "face_to_face"),
            ((0, 1, 2, 3, 4), "14:00", "16:00", 15, "telephone"),
            ((1, 3), "16:00", "17:00", 15, "video"),
        ],
    ),
    (
        "Practice nurse team",
        "practice nurse",
        [
            ((0, 2, 4), "08:30", "10:30", 10, "blood_test"),
            ((1, 3), "09:00", "11:00", 15, "blood_pressure"),
            ((1,), "14:00", "15:00", 20, "ecg"),
            ((0, 2), "13:30", "15:30", 15, "face_to_face"),
        ],
    ),
]


def seed_books(session: Session, practice: Practice) -> tuple[int, int]:
    """Add the demo books to `practice` unless it has books already; (books added, slots made)."""
    if session.exec(select(AppointmentBook.id).where(AppointmentBook.practice_id == practice.id)).first():
        return 0, rota.generate_all_for(session, id_of(practice), weeks=WEEKS)
    acting = rota.system_context(id_of(practice), practice.name)
    address = ", ".join(part for part in (practice.address_line1, practice.town, practice.postcode) if part)
    slots = 0
    for name, team, lines in DEMO_BOOKS:
        made = rota.create_book(session, acting, name=name, team=team, site_name=practice.name, site_address=address)
        assert made.ok, made.errors
        for weekdays, start, end, minutes, kind in lines:
            for weekday in weekdays:
                line = rota.add_session(
                    session, acting, made.id, weekday=weekday, start=start, end=end, slot_minutes=minutes, kind=kind
                )
                assert line.ok, line.errors
        slots += rota.generate_slots(session, session.get(AppointmentBook, made.id), weeks=WEEKS).created  # type: ignore[arg-type]
    return len(DEMO_BOOKS), slots
