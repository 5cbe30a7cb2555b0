"""A small world for the appointment tests: a practice with an admin, a clinician, a book with a
weekly pattern, and patients with their own accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from anima_pwa.models import AppointmentBook, Patient, Slot
from anima_pwa.services.appointments import invites, rota
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.practice.permissions import StaffContext
from tests.factories import identity_of, make_patient, make_practice, make_staff, self_account

LONDON = ZoneInfo("Europe/London")


def london(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON).astimezone(UTC)


@dataclass
class World:
    practice_id: int
    admin: StaffContext
    clinician: StaffContext
    book_id: int


def make_world(
    db: Session,
    *,
    ods: str = "Y12001",
    weekdays: tuple[int, ...] = (0,),
    start: str = "09:00",
    end: str = "10:00",
    minutes: int = 10,
    kind: str = "face_to_face",
    team: str = "",
) -> World:
    practice = make_practice(db, ods, name="Moss Bank Surgery")
    admin = make_staff(db, practice, "admin")
    clinician = make_staff(db, practice, "clinician", name="Dr Amir Khan")
    made = rota.create_book(
        db,
        admin,
        name="Dr Amir Khan" if not team else "Nurse team",
        site_name="Moss Bank Surgery",
        site_address="1 Moss Lane, MB1 2RH",
        staff_id=None if team else clinician.staff_id,
        team=team,
    )
    assert made.ok, made.errors
    for weekday in weekdays:
        line = rota.add_session(
            db, admin, made.id, weekday=weekday, start=start, end=end, slot_minutes=minutes, kind=kind
        )
        assert line.ok, line.errors
    return World(practice.id, admin, clinician, made.id)  # type: ignore[arg-type]


def patient_with_account(
    db: Session, world: World, name: str, email: str, mobile: str = ""
) -> tuple[Patient, Identity]:
    from anima_pwa.models import Practice

    practice = db.get(Practice, world.practice_id)
    patient = make_patient(db, practice, name, email=email, phone_mobile=mobile)  # type: ignore[arg-type]
    return patient, identity_of(self_account(db, patient))


def generate(db: Session, world: World, now: datetime, weeks: int = 2) -> int:
    book = db.get(AppointmentBook, world.book_id)
    return rota.generate_slots(db, book, weeks=weeks, now=now).created  # type: ignore[arg-type]


def invite(db: Session, world: World, patient: Patient, now: datetime, **fields) -> int:
    values = {"appointment_kind": "face_to_face", "book_id": world.book_id} | fields
    made = invites.create_invite(db, world.clinician, patient_id=patient.id, now=now, **values)
    assert made.ok, made.errors
    return made.id  # type: ignore[return-value]


def slots(db: Session, world: World) -> list[Slot]:
    return list(db.exec(select(Slot).where(Slot.book_id == world.book_id).order_by(Slot.start_utc)).all())
