"""The details form after first sign-in: all-or-nothing saving, verification and the practice email."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from anima_pwa.models import AccountPatient, AuditEvent, OutboxMessage, Patient
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.patients import registration
from anima_pwa.services.patients.registration import FIELD_ORDER, DetailsForm, register_self
from anima_pwa.services.patients.verification import PENDING, VERIFIED
from anima_pwa.services.platform import audit, clock
from anima_pwa.services.platform.validation import format_nhs_number
from tests.factories import count, identity_of, make_account, make_practice, on_register, valid_nhs_number

TODAY = date(2025, 6, 15)
IP = "203.0.113.9"


ZOE = valid_nhs_number("943476591")
OTHER = valid_nhs_number("485777345")


PRACTICE_PHONE = "01632 960001"


def make_identity(db: Session, email: str = "zoe@example.com", kind: str = "patient") -> Identity:
    return identity_of(make_account(db, email, kind=kind))


@pytest.fixture
def world(db_session: Session) -> dict:
    practice = make_practice(db_session, "A81001", phone=PRACTICE_PHONE, email="a81001.admin@nhs.example")
    closed = make_practice(db_session, "C83003", phone=PRACTICE_PHONE, status="closed", email="closed@nhs.example")
    silent = make_practice(db_session, "D84004", phone=PRACTICE_PHONE)  # no email address on file
    entry = on_register(db_session, practice, ZOE, "Zoe", "Smith", date(1980, 2, 1), "MB1 2AB")
    return {"practice": practice, "closed": closed, "silent": silent, "entry": entry, "me": make_identity(db_session)}


def good_form(world: dict, **changes) -> DetailsForm:
    form = DetailsForm(
        full_name="  Zoë   Smith ",
        dob_day="1",
        dob_month="02",
        dob_year="1980",
        postcode="mb12ab",
        mobile="07700 900982",
        nhs_number=format_nhs_number(ZOE),
        practice_id=world["practice"].id,
        over_18=True,
        terms=True,
    )
    return dataclasses.replace(form, **changes)


def nothing_saved(db: Session) -> bool:
    return all(count(db, m) == 0 for m in (Patient, AccountPatient, AuditEvent, OutboxMessage))


def register(db: Session, identity: Identity, form: DetailsForm) -> registration.RegistrationOutcome:
    return register_self(db, identity, form, client_ip=IP, today=TODAY)


def test_every_field_wrong_gives_every_error_and_saves_nothing(db_session, world):
    form = DetailsForm(
        full_name="",
        dob_day="31",
        dob_month="2",
        dob_year="1980",
        postcode="not a postcode",
        mobile="0123",
        nhs_number="123 456 7890",
        practice_id=None,
        over_18=False,
        terms=False,
    )
    outcome = register(db_session, world["me"], form)
    assert not outcome.ok and outcome.status == ""
    assert list(outcome.errors) == FIELD_ORDER  # every field, in page order
    assert outcome.errors == {
        "full_name": "Enter your full name",
        "dob": "Date of birth must be a real date",
        "postcode": "Enter a real postcode, like SW1A 1AA",
        "mobile": "Enter a UK mobile number, like 07700 900 982",
        "nhs_number": "Enter a valid NHS number. Check it against a letter from your GP practice or the NHS App",
        "practice": "Select your GP practice from the list",
        "over_18": "Confirm that you are 18 or over",
        "terms": "Agree to the privacy policy and terms of use to create your account",
    }
    assert nothing_saved(db_session)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"full_name": "Zoe Smith 3rd"}, "full_name", "Full name must only include letters"),
        ({"dob_day": "", "dob_month": "", "dob_year": ""}, "dob", "Enter your date of birth"),
        ({"dob_year": "2007", "dob_month": "6", "dob_day": "16"}, "dob", "You must be 18 or over to create an account"),
        ({"dob_year": "2025", "dob_month": "6", "dob_day": "16"}, "dob", "Date of birth must be in the past"),
        ({"dob_year": "2030"}, "dob", "Date of birth must be in the past"),
        ({"postcode": ""}, "postcode", "Enter your postcode"),
        ({"mobile": "01632 960000"}, "mobile", "Enter a UK mobile number"),
        ({"nhs_number": "999 999 0000"}, "nhs_number", "Enter the real NHS number. Numbers starting 999 999"),
        ({"nhs_number": "94347659"}, "nhs_number", "NHS number must be 10 digits"),
        ({"practice_id": 987654}, "practice", "Select your GP practice from the list"),
        ({"over_18": False}, "over_18", "Confirm that you are 18 or over"),
        ({"terms": False}, "terms", "Agree to the privacy policy"),
    ],
)
def test_one_wrong_field(db_session, world, changes, field, message):
    outcome = register(db_session, world["me"], good_form(world, **changes))
    assert list(outcome.errors) == [field]
    assert outcome.errors[field].startswith(message)
    assert nothing_saved(db_session)


def test_closed_practice_is_refused(db_session, world):
    outcome = register(db_session, world["me"], good_form(world, practice_id=world["closed"].id))
    assert outcome.errors == {"practice": "Select your GP practice from the list"}
    assert nothing_saved(db_session)


def test_eighteenth_birthday_is_old_enough(db_session, world):
    outcome = register(db_session, world["me"], good_form(world, dob_day="15", dob_month="6", dob_year="2007"))
    assert outcome.ok and outcome.status == PENDING  # not on the register, but accepted


@pytest.mark.parametrize(
    ("utc", "is_18"),
    [
        (datetime(2026, 6, 30, 22, 59, tzinfo=UTC), False),  # 23:59 BST on 30 June: 17
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), True),  # 00:30 BST on 1 July: 18, though UTC says 30 June
    ],
)
def test_an_eighteenth_birthday_begins_at_uk_midnight(db_session, world, monkeypatch, utc, is_18):
    """Someone born on 1 July 2008 is 18 from midnight in the UK, an hour before midnight UTC in
    summer: at 23:30 UTC on 30 June the UTC date would still refuse them as 17."""
    monkeypatch.setattr(clock, "utcnow", lambda: utc)
    form = good_form(world, dob_day="1", dob_month="7", dob_year="2008")
    outcome = register_self(db_session, world["me"], form, client_ip=IP)
    if is_18:
        assert outcome.ok and outcome.status == PENDING, outcome.errors
    else:
        assert outcome.errors["dob"].startswith("You must be 18 or over to create an account")


# --- NHS numbers and claims ----------------------------------------------------------------------

MALLORY = {"full_name": "Mallory Attacker", "dob_day": "9", "dob_month": "9", "dob_year": "1990", "postcode": "MB9 9ZZ"}


def test_a_squatters_claim_does_not_block_the_real_person(db_session, world):
    """Someone signs up first with Zoe's NHS number and made-up details: a pending claim. Zoe then
    registers with her own number and is verified; the claim waits for the practice."""
    squatter = make_identity(db_session, "mallory@example.com")
    assert register(db_session, squatter, good_form(world, **MALLORY)).status == PENDING
    outcome = register(db_session, world["me"], good_form(world))
    assert outcome == registration.RegistrationOutcome(status=VERIFIED)
    zoe = registration.self_patient(db_session, world["me"].account_id)
    claim = registration.self_patient(db_session, squatter.account_id)
    assert (zoe.nhs_number, zoe.verification_status) == (ZOE, VERIFIED)
    assert (claim.nhs_number, claim.verification_status) == (ZOE, PENDING)
    db_session.commit()  # two records share the number: only one of them verified


def test_a_squatters_dependant_does_not_block_the_real_person(db_session, world):
    from anima_pwa.services.patients import dependants

    parent = make_identity(db_session, "mallory@example.com")
    assert register(db_session, parent, good_form(world, **MALLORY, nhs_number="")).ok
    added = dependants.add_dependant(
        db_session,
        parent,
        dependants.DependantForm(
            full_name="Made Up", dob_day="1", dob_month="1", dob_year="2015", nhs_number=ZOE, registered_here=True
        ),
        today=TODAY,
    )
    assert added.ok and added.status == PENDING
    assert register(db_session, world["me"], good_form(world)).status == VERIFIED


def _what_a_stranger_sees(db: Session, world: dict, email: str, number: str) -> tuple:
    """Everything the person registering can see or be sent after the details form."""
    from anima_pwa.services.patients import dependants

    who = make_identity(db, email)
    before = len(db.exec(select(OutboxMessage)).all())
    outcome = register(db, who, good_form(world, **MALLORY, nhs_number=number))
    mails = db.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()[before:]
    return (
        outcome,
        registration.summary(db, who),
        [(s.label, s.can_request, s.why_not) for s in dependants.request_subjects(db, who)],  # not the ids
        [(m.to_address, m.template, m.subject, m.body_text) for m in mails],
    )


def test_known_and_unknown_nhs_numbers_get_the_same_answer(db_session, world):
    """A stranger typing Zoe's number (Zoe has an account) and one typing a number Anima has never
    seen get identical answers, field for field: the form never says which numbers exist."""
    assert register(db_session, world["me"], good_form(world)).status == VERIFIED  # Zoe, with her own account
    unknown = valid_nhs_number("401023470")
    known_answer = _what_a_stranger_sees(db_session, world, "one@example.com", ZOE)
    unknown_answer = _what_a_stranger_sees(db_session, world, "two@example.com", unknown)
    assert known_answer == unknown_answer
    assert known_answer[0] == registration.RegistrationOutcome(status=PENDING)
    # The practice, not the stranger, is told why: the first names the conflict.
    notes = [
        p.verification_note
        for p in db_session.exec(select(Patient).where(Patient.verification_status == PENDING).order_by(Patient.id))
    ]
    assert notes[0].startswith("NHS number already belongs to a verified patient who has their own Anima account")
    assert notes[1] == "NHS number not found on the practice register"


def test_the_real_person_again_waits_for_the_practice(db_session, world):
    """Zoe forgot she has an account and registers again with her own details: her new record is a
    claim (the practice will tell her to sign in), never a second owner of the number."""
    assert register(db_session, world["me"], good_form(world)).status == VERIFIED
    again = make_identity(db_session, "zoe.new@example.com")
    assert register(db_session, again, good_form(world)).status == PENDING
    claim = registration.self_patient(db_session, again.account_id)
    assert claim.verification_note == "NHS number already belongs to a verified patient who has their own Anima account"
    assert claim.register_entry_id is None


def test_two_people_verified_at_once_leaves_one_claim(db_session, world, monkeypatch):
    """If another record with the number is verified between the check and the save, the unique
    index refuses the second: it becomes a claim for the practice, never an error."""
    from anima_pwa.services.patients import verification

    assert register(db_session, world["me"], good_form(world)).status == VERIFIED
    monkeypatch.setattr(verification, "verified_owner", lambda *args, **kwargs: None)  # the check ran too early
    again = make_identity(db_session, "zoe.new@example.com")
    outcome = register(db_session, again, good_form(world))
    assert outcome == registration.RegistrationOutcome(status=PENDING)
    claim = registration.self_patient(db_session, again.account_id)
    assert (claim.verification_status, claim.nhs_number, claim.verification_note) == (PENDING, ZOE, verification.RACED)
    db_session.commit()


def test_matching_details_are_verified(db_session, world):
    me = world["me"]
    outcome = register(db_session, me, good_form(world))
    assert outcome.ok and outcome.status == VERIFIED
    db_session.expire_all()
    (patient,) = db_session.exec(select(Patient)).all()
    assert (patient.full_name, patient.date_of_birth, patient.postcode, patient.phone_mobile, patient.nhs_number) == (
        "Zoë Smith",
        date(1980, 2, 1),
        "MB1 2AB",
        "+447700900982",
        ZOE,
    )
    assert (patient.practice_id, patient.verification_status, patient.register_entry_id) == (
        world["practice"].id,
        VERIFIED,
        world["entry"].id,
    )
    (link,) = db_session.exec(select(AccountPatient)).all()
    assert (link.account_id, link.patient_id, link.relationship) == (me.account_id, patient.id, "self")
    event = db_session.exec(select(AuditEvent)).one()
    assert (event.action, event.actor_account_id, event.patient_id, event.practice_id, event.ip) == (
        "patient_registered",
        me.account_id,
        patient.id,
        world["practice"].id,
        IP,
    )
    assert audit.event_detail(event) == {"verification": VERIFIED}
    assert count(db_session, OutboxMessage) == 0  # nothing for the practice to do
    assert registration.self_patient(db_session, me.account_id).id == patient.id


def test_matching_without_nhs_number_fills_it_in(db_session, world):
    outcome = register(db_session, world["me"], good_form(world, nhs_number=""))
    assert outcome.status == VERIFIED
    assert db_session.exec(select(Patient)).one().nhs_number == ZOE


def test_details_not_on_the_register_are_pending_and_the_practice_is_told(db_session, world):
    outcome = register(db_session, world["me"], good_form(world, nhs_number=OTHER))
    assert outcome.ok and outcome.status == PENDING
    patient = db_session.exec(select(Patient)).one()
    assert patient.verification_status == PENDING
    assert patient.verification_note == "NHS number not found on the practice register"
    (message,) = db_session.exec(select(OutboxMessage)).all()
    assert (message.to_address, message.template) == ("a81001.admin@nhs.example", "verification_pending_practice")
    assert "Practice A81001" in message.body_text
    assert "Zoë" not in message.body_text and OTHER not in message.body_text  # no personal details by email
    assert audit.event_detail(db_session.exec(select(AuditEvent)).one()) == {"verification": PENDING}
    summary = registration.summary(db_session, world["me"])
    assert (summary.full_name, summary.status, summary.practice_name, summary.rejection_reason) == (
        "Zoë Smith",
        PENDING,
        "Practice A81001",
        "",
    )


def test_pending_at_a_practice_without_email_sends_nothing(db_session, world):
    outcome = register(db_session, world["me"], good_form(world, practice_id=world["silent"].id))
    assert outcome.status == PENDING
    assert count(db_session, OutboxMessage) == 0


def test_registering_twice_is_refused(db_session, world):
    me = world["me"]
    assert register(db_session, me, good_form(world)).ok
    again = register(db_session, me, good_form(world, nhs_number=OTHER, full_name="Zoe Other"))
    assert again.errors == {"form": "You have already given your details."}
    assert count(db_session, Patient) == count(db_session, AccountPatient) == 1


def test_staff_cannot_register_as_a_patient(db_session, world):
    staff = make_identity(db_session, "gp@practice.example", kind="staff")
    outcome = register(db_session, staff, good_form(world))
    assert outcome.errors == {"form": "Only patient accounts can register details here."}
    assert nothing_saved(db_session)


def test_summary_before_any_details(db_session, world):
    assert registration.summary(db_session, world["me"]) == registration.HolderSummary("", "", "", "", "")
