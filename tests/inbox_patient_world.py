"""The world of the patient-side inbox tests (tests/test_inbox_b_*.py): a practice where Mum and
Dad both hold their daughter Lily, Gran waits for the practice's approval to hold her, Uncle was
refused, Sam is a stranger, a care home holds its resident Edna, and Olu is a patient of another
practice; with the practice's side (a message needing a reply, a sign-off) made directly in rows,
as the practice's services would leave them (helper A builds those services and screens).

Plain helpers, not fixtures: each test module's own fixture calls `patient_world(db_session)`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from anima_pwa.models import Patient, Practice, Request, RequestMessage
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.practice.permissions import StaffContext
from tests.factories import (
    identity_of,
    link,
    make_account,
    make_patient,
    make_practice,
    make_staff,
    nhs_check_digit,
    valid_nhs_number,
)

SENT = datetime(2025, 6, 14, 9, 0, tzinfo=UTC)


@dataclass
class PatientWorld:
    db: Session
    practice: Practice
    elsewhere: Practice
    mum: Identity
    dad: Identity
    gran: Identity  # her link to Lily waits for the practice's approval
    uncle: Identity  # his link to Lily was refused
    sam: Identity  # a stranger at the same practice
    home: Identity  # a care home's account
    olu: Identity  # a patient of another practice
    lily: Patient
    edna: Patient  # the care home's resident
    mum_patient: Patient
    olu_patient: Patient
    clinician: StaffContext
    other_clinician: StaffContext  # at the other practice


def _nhs_numbers() -> Iterator[str]:
    """Valid NHS numbers (a prefix whose check digit would be 10 is skipped)."""
    for prefix in range(943476000, 943476999):
        if nhs_check_digit(str(prefix)) is not None:
            yield valid_nhs_number(str(prefix))


def _holder(db: Session, practice: Practice, email: str, name: str, nhs: str, **fields) -> tuple[Identity, Patient]:
    account = make_account(db, email)
    patient = make_patient(db, practice, name, nhs_number=nhs, account=account, **fields)
    return identity_of(account), patient


def patient_world(db: Session) -> PatientWorld:
    practice = make_practice(db, "C81001", "Riverside Surgery")
    elsewhere = make_practice(db, "C81002", "Hillside Surgery")
    numbers = _nhs_numbers()
    mum, mum_patient = _holder(db, practice, "mum@example.com", "Priya Rahman", next(numbers))
    dad, _ = _holder(db, practice, "dad@example.com", "Omar Rahman", next(numbers))
    gran, _ = _holder(db, practice, "gran@example.com", "Ada Rahman", next(numbers))
    uncle, _ = _holder(db, practice, "uncle@example.com", "Ravi Rahman", next(numbers))
    sam, _ = _holder(db, practice, "sam@example.com", "Sam Jones", next(numbers))
    home, _ = _holder(db, practice, "home@example.com", "Oak House Care Home", next(numbers), is_care_home=True)
    olu, olu_patient = _holder(db, elsewhere, "olu@example.com", "Olu Ade", next(numbers))
    lily = make_patient(db, practice, "Lily Rahman", dob=date(2019, 5, 9), nhs_number=next(numbers))
    edna = make_patient(db, practice, "Edna Moss", dob=date(1931, 2, 1), nhs_number=next(numbers))
    accounts = {i.email: i.account_id for i in (mum, dad, gran, uncle, home)}
    from anima_pwa.models import Account

    def account(email: str) -> Account:
        row = db.get(Account, accounts[email])
        assert row is not None
        return row

    link(db, account("mum@example.com"), lily, "dependant")
    link(db, account("dad@example.com"), lily, "dependant", approval="approved")
    link(db, account("gran@example.com"), lily, "dependant", approval="pending")
    link(db, account("uncle@example.com"), lily, "dependant", approval="rejected")
    link(db, account("home@example.com"), edna, "care_home")
    return PatientWorld(
        db=db,
        practice=practice,
        elsewhere=elsewhere,
        mum=mum,
        dad=dad,
        gran=gran,
        uncle=uncle,
        sam=sam,
        home=home,
        olu=olu,
        lily=lily,
        edna=edna,
        mum_patient=mum_patient,
        olu_patient=olu_patient,
        clinician=make_staff(db, practice, "clinician", name="Dr Anna Patel"),
        other_clinician=make_staff(db, elsewhere, "clinician", name="Dr Ben Hill"),
    )


_references = iter(range(100000, 999999))


def sent_request(
    w: PatientWorld,
    patient: Patient,
    by: Identity | None = None,
    *,
    topic: str = "cough-and-cold",
    status: str = "submitted",
    minutes: int = 0,
) -> Request:
    """A sent request for `patient` (filled in by `by`), `minutes` after SENT."""
    request = Request(
        reference=f"AN-{next(_references)}",
        patient_id=patient.id,
        account_id=by.account_id if by else None,
        practice_id=patient.practice_id,
        kind="medical",
        topic=topic,
        status=status,
        answers=json.dumps({"duration": "3 days"}),
        free_text="It started after my holiday.",
        subject="Cough for 3 days",
        urgency="routine",
        team="gp",
        triage_summary="TRIAGE-ONLY: routine cough",
        submitted_at=SENT + timedelta(minutes=minutes) if status != "draft" else None,
    )
    w.db.add(request)
    w.db.flush()
    return request


def practice_message(
    w: PatientWorld, request: Request, body: str = "Please send a photo of the rash.", *, needs_reply: bool = True,
    wants_photo: bool = False, minutes: int = 60,
) -> RequestMessage:  # fmt: skip
    """A message from the practice's clinician, as A's messaging service leaves it."""
    at = SENT + timedelta(minutes=minutes)
    message = RequestMessage(
        request_id=request.id,  # type: ignore[arg-type]
        author_kind="staff",
        author_staff_id=w.clinician.staff_id,
        body=body,
        needs_reply=needs_reply,
        wants_photo=wants_photo,
        created_at=at,
    )
    request.status = "awaiting_patient" if needs_reply else "assigned"
    request.awaiting_reply_since = at if needs_reply else None
    w.db.add(message)
    w.db.add(request)
    w.db.flush()
    return message


def sign_off(w: PatientWorld, request: Request, outcome: str, detail: dict[str, str]) -> Request:
    """The request signed off with an outcome, as A's sign-off leaves it."""
    request.outcome = outcome
    request.outcome_detail = json.dumps(detail)
    request.status = "closed" if outcome == "closed" else "resolved"
    request.signed_off_by_staff_id = w.clinician.staff_id
    request.resolved_at = SENT + timedelta(days=1)
    request.awaiting_reply_since = None
    w.db.add(request)
    w.db.flush()
    return request
