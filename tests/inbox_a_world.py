"""Rows the practice-side inbox tests share (issue 11, part A): a practice with staff in each
role, a second practice, and open requests made directly (not through the wizard, so 150 of them
take milliseconds). A test module imports ``desk_fixture`` (and ``now_fixture``) to use the
fixtures ``desk`` and ``now``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session

from anima_pwa.models import Patient, Practice, PracticeSettings, Request
from anima_pwa.services.platform import clock as platform_clock
from anima_pwa.services.practice.permissions import StaffContext
from tests.factories import link, make_account, make_patient, make_practice, make_request, make_staff, valid_nhs_number

# Wednesday 18 June 2025, 10:00 in London (09:00 UTC): inside core hours.
NOW = datetime(2025, 6, 18, 9, 0, tzinfo=UTC)


@dataclass
class Desk:
    db: Session
    practice: Practice
    patient: Patient
    reception: StaffContext
    clinician: StaffContext
    admin: StaffContext
    elsewhere: StaffContext  # an admin of another practice
    other_practice: Practice

    def request(self, *, minutes_ago: int = 60, urgency: str = "routine", **fields) -> Request:
        return make_request(
            self.db,
            submitted_at=NOW - timedelta(minutes=minutes_ago),
            urgency=urgency,
            **({"patient_id": self.patient.id, "practice_id": self.practice.id} | fields),
        )


@pytest.fixture(name="now")
def now_fixture(monkeypatch: pytest.MonkeyPatch) -> datetime:
    monkeypatch.setattr(platform_clock, "utcnow", lambda: NOW)
    return NOW


@pytest.fixture(name="desk")
def desk_fixture(db_session: Session, now: datetime) -> Desk:
    return build_desk(db_session)


def build_desk(db_session: Session) -> Desk:
    """The practice, its staff and patient (and another practice), in ``db_session``."""
    practice = make_practice(db_session, "A81001")
    db_session.add(PracticeSettings(practice_id=practice.id, hours=json.dumps({})))
    patient = make_patient(
        db_session, practice, "Zoe Smith", email="zoe@example.com", nhs_number=valid_nhs_number("943476591")
    )
    carer = make_account(db_session, "carer@example.com")
    link(db_session, carer, patient, "dependant")
    other = make_practice(db_session, "B82002")
    return Desk(
        db=db_session,
        practice=practice,
        patient=patient,
        reception=make_staff(db_session, practice, "receptionist", name="Rita Reception"),
        clinician=make_staff(db_session, practice, "clinician", name="Dr Clare Clinician"),
        admin=make_staff(db_session, practice, "admin", name="Adam Admin"),
        elsewhere=make_staff(db_session, other, "admin", name="Olga Other"),
        other_practice=other,
    )


__all__ = ["NOW", "Desk", "date", "build_desk", "desk_fixture", "now_fixture"]
