"""The notice that the practice has written (services/inbox/notices.py): to every account that may
act for the patient, never to one the practice hasn't approved, linked to its request, and saying
nothing about the request."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Session, select

from anima_pwa.models import Patient, Request
from anima_pwa.services.inbox import notices
from anima_pwa.services.patients.dependants import DependantForm, add_dependant
from anima_pwa.services.platform.validation import format_nhs_number
from tests.factories import identity_of, make_account, make_patient, make_practice, on_register, valid_nhs_number

TODAY = date(2025, 6, 15)
LILY = valid_nhs_number("401023456")


def family(db: Session):
    practice = make_practice(db, "A81001", "Riverside Surgery", email="a81001@nhs.example")
    on_register(db, practice, LILY, "Lily", "Smith", date(2019, 5, 9), "MB1 2AB")
    people = {}
    for email, name, prefix in (
        ("mum@example.com", "Zoe Smith", "943476591"),
        ("dad@example.com", "Sam Smith", "485777345"),
    ):
        account = make_account(db, email)
        make_patient(db, practice, name, dob=date(1985, 3, 4), nhs_number=valid_nhs_number(prefix), account=account)
        people[email] = identity_of(account)
    form = DependantForm(
        full_name="Lily Smith",
        dob_day="9",
        dob_month="5",
        dob_year="2019",
        nhs_number=format_nhs_number(LILY),
        registered_here=True,
    )
    assert add_dependant(db, people["mum@example.com"], form, today=TODAY).status == "verified"
    add_dependant(db, people["dad@example.com"], form, today=TODAY)  # a second holder: waits for the practice
    lily = db.exec(select(Patient).where(Patient.nhs_number == LILY)).one()
    request = Request(
        reference="AN-LILY01", patient_id=lily.id, account_id=people["mum@example.com"].account_id, practice_id=practice.id,
        kind="medical", topic="cough-and-cold", status="submitted", subject="Cough and cold: worse at night",
        submitted_at=datetime(2025, 6, 14, 9, 0, tzinfo=UTC),
    )  # fmt: skip
    db.add(request)
    db.flush()
    return request


def test_the_notice_goes_to_every_approved_holder_and_says_nothing_of_the_request(db_session: Session) -> None:
    request = family(db_session)
    queued = notices.tell_holders(db_session, request)
    assert [m.to_address for m in queued] == ["mum@example.com"]  # Dad's link waits for the practice
    [message] = queued
    assert message.request_id == request.id and message.template == notices.NOTICE_TEMPLATE
    assert message.subject == "You have a new message from your practice"
    assert message.body_text.startswith("You have a new message from your practice. Log in to read it:")
    for words in ("Lily", "Smith", "cough", "Cough", "AN-LILY01", "night"):
        assert words not in message.subject + message.body_text


def test_a_patient_nobody_may_act_for_gets_no_notice(db_session: Session) -> None:
    practice = make_practice(db_session, "A81001")
    patient = make_patient(
        db_session, practice, "Nora Nobody", dob=date(1950, 1, 1), nhs_number=valid_nhs_number("401023457")
    )
    request = Request(
        patient_id=patient.id, practice_id=practice.id, kind="admin", topic="fit-note", status="submitted"
    )
    db_session.add(request)
    db_session.flush()
    assert notices.tell_holders(db_session, request) == []
