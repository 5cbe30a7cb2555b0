"""'Creating Care Home Accounts' (the staff guide, parts 1 and 2) as service calls: Create Request ->
search -> Create New Patient Account, for a care home and its residents; the emailed set-password link."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from anima_pwa.models import (
    Account,
    AccountPatient,
    AuditEvent,
    OneTimeToken,
    OutboxMessage,
    Patient,
    Practice,
    utcnow,
)
from anima_pwa.services.identity import accounts, password_setup, tokens
from anima_pwa.services.identity.password_setup import LINK_PROBLEMS, peek_set_password, set_password
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.platform import audit
from anima_pwa.services.practice import account_creation, account_lookup
from anima_pwa.services.practice.account_creation import (
    CARE_HOME_FLAGS,
    CHOOSE_CARE_HOME,
    DUMMY_FOR_RESIDENT,
    EMAIL_IN_USE,
    FIELD_ORDER,
    NHS_NUMBER_IN_USE,
    NewPatientForm,
    create_patient_account,
)
from anima_pwa.services.practice.account_lookup import NOT_FOUND_MESSAGE, care_home_options, find_by_nhs_number
from anima_pwa.services.practice.permissions import PermissionDenied, StaffContext, staff_context
from anima_pwa.services.practice.staff import create_staff
from tests.factories import audit_events, count, link_token, make_practice, outbox, valid_nhs_number

BASE = "https://anima.example"
IP = "203.0.113.9"
TODAY = date(2025, 6, 15)
PASSWORD = "Quince-Ladder-81"
HOME_EMAIL = "manager@oakscarehome.example"


pytestmark = pytest.mark.usefixtures("cheap_argon2")  # tests/conftest.py: tiny argon2 parameters


ALICE = valid_nhs_number("943476591")
BERT = valid_nhs_number("485777345")
CARA = valid_nhs_number("401023213")


def staff_at(db: Session, practice: Practice, role: str, email: str) -> StaffContext:
    member = create_staff(db, practice=practice, email=email, display_name=f"{role} person", role=role, password=None)
    identity = Identity(
        account_id=member.account_id, email=email, kind="staff", session_id="s" * 64, method="password+mfa"
    )
    context = staff_context(db, identity)
    assert context is not None and context.practice_id == practice.id and context.role == role
    return context


@pytest.fixture
def world(db_session: Session) -> dict:
    a = make_practice(db_session, "A81001", "Riverside Surgery")
    b = make_practice(db_session, "B82002", "Hilltop Medical Centre")
    return {
        "a": a,
        "b": b,
        "reception": staff_at(db_session, a, "receptionist", "reception@riverside.example"),
        "admin": staff_at(db_session, a, "admin", "admin@riverside.example"),
        "clinician": staff_at(db_session, a, "clinician", "gp@riverside.example"),
        "b_reception": staff_at(db_session, b, "receptionist", "reception@hilltop.example"),
    }


def care_home_form(**changes) -> NewPatientForm:
    form = NewPatientForm(
        nhs_number="999-999-1234",
        full_name="The Oaks Care Home",
        dob_day="01",
        dob_month="01",
        dob_year="2000",
        address_line1="1 Oak Lane",
        postcode="mb1 2ab",
        phone="01632 960 001",
        email=HOME_EMAIL,
        confirm_registered=True,
        confirm_consent=True,
    )
    return dataclasses.replace(form, **changes)


def resident_form(nhs_number: str, care_home_id: int | None, **changes) -> NewPatientForm:
    form = NewPatientForm(
        nhs_number=nhs_number,
        full_name="Alice Smith",
        dob_day="3",
        dob_month="4",
        dob_year="1935",
        address_line1="1 Oak Lane",
        postcode="MB1 2AB",
        phone="",
        email="",
        confirm_registered=True,
        confirm_consent=True,
        register_as_dependent_of=care_home_id,
    )
    return dataclasses.replace(form, **changes)


def create(db: Session, staff: StaffContext, form: NewPatientForm) -> account_creation.CreateOutcome:
    return create_patient_account(db, staff, form, base_url=BASE, client_ip=IP, today=TODAY)


def make_care_home(db: Session, staff: StaffContext, **changes) -> int:
    outcome = create(db, staff, care_home_form(**changes))
    assert outcome.ok, outcome.errors
    assert outcome.patient_id is not None
    return outcome.patient_id


MODELS = (Patient, Account, AccountPatient, OneTimeToken, OutboxMessage, AuditEvent)


def counts(db: Session) -> dict[str, int]:
    return {m.__name__: count(db, m) for m in MODELS}


def link_secret(message: OutboxMessage) -> str:
    return link_token(message, BASE, "/set-password")


def links(db: Session, patient_id: int) -> list[tuple[int, str]]:
    rows = db.exec(select(AccountPatient).where(AccountPatient.patient_id == patient_id)).all()
    return sorted((row.account_id, row.relationship) for row in rows)


# --- Part 1: the dummy care home account ------------------------------------------------------


def test_part_1_create_the_care_home_account(db_session, world):
    staff = world["reception"]
    found = find_by_nhs_number(db_session, staff, "999-999-1234", client_ip=IP)
    assert found.ok and found.patient is None
    assert found.not_found == NOT_FOUND_MESSAGE == "Couldn't find an anima account for this patient"
    assert found.is_dummy and found.nhs_number == "999 999 1234"

    home_id = make_care_home(db_session, staff)
    home = db_session.get(Patient, home_id)
    assert home is not None
    assert (home.full_name, home.date_of_birth, home.nhs_number) == (
        "The Oaks Care Home",
        date(2000, 1, 1),
        "9999991234",
    )
    assert (home.address_line1, home.postcode, home.phone_mobile) == ("1 Oak Lane", "MB1 2AB", "+441632960001")
    assert home.is_care_home and not home.housebound and not home.care_home_resident
    assert home.verification_status == "verified" and home.verified_at is not None
    assert home.created_by_staff_id == staff.staff_id and home.practice_id == world["a"].id

    account = accounts.find_account(db_session, HOME_EMAIL)
    assert account is not None and account.kind == "patient" and account.status == "active"
    assert account.password_hash is None and account.email_verified_at is None
    assert links(db_session, home_id) == [(account.id, "self")]

    (message,) = outbox(db_session, to=HOME_EMAIL)
    assert message.template == "patient_set_password"
    assert message.body_text.startswith(
        "Riverside Surgery has created an Anima account for you. Set your password to sign in: "
        f"{BASE}/set-password?token="
    )
    token = db_session.exec(select(OneTimeToken).where(OneTimeToken.account_id == account.id)).one()
    assert token.purpose == "set_password" and token.email_normalized == HOME_EMAIL
    assert timedelta(hours=23, minutes=59) < token.expires_at - token.created_at <= timedelta(hours=24)
    assert link_secret(message) not in token.secret_hash

    (event,) = audit_events(db_session, "patient_account_created")
    assert (event.actor_account_id, event.actor_kind, event.patient_id, event.account_id) == (
        staff.account_id,
        "staff",
        home_id,
        account.id,
    )
    assert audit.event_detail(event) == {"care_home": True, "dependent_of": False, "has_email": True}

    again = find_by_nhs_number(db_session, staff, "9999991234")
    assert again.patient is not None and again.message == ""
    assert (again.patient.id, again.patient.full_name, again.patient.date_of_birth) == (
        home_id,
        "The Oaks Care Home",
        "1 January 2000",
    )
    assert again.patient.is_care_home and again.patient.has_account


def test_searches_are_audited_without_the_nhs_number(db_session, world):
    find_by_nhs_number(db_session, world["reception"], "999 999 1234", client_ip=IP)
    find_by_nhs_number(db_session, world["reception"], ALICE, client_ip=IP)
    searches = audit_events(db_session, "patient_account_search")
    assert len(searches) == 2
    for event in searches:
        assert event.practice_id == world["a"].id and event.ip == IP
        assert "1234" not in event.detail and ALICE not in event.detail
    assert audit.event_detail(searches[1]) == {"found": False, "dummy_number": False}


SEARCH_ERRORS = [
    ("", "Enter the patient's NHS number"),
    ("999-999-12", "NHS number must be 10 digits"),
    ("943 476 5910", "Enter a valid NHS number. Check it with the patient or their record"),
    ("abc", "NHS number must only include numbers"),
]


def test_search_errors_are_at_the_field(db_session, world):
    for raw, message in SEARCH_ERRORS:
        found = find_by_nhs_number(db_session, world["reception"], raw)
        assert found.patient is None and not found.ok and found.errors["nhs_number"].startswith(message), raw
        assert found.not_found == ""


CARE_HOME_ERRORS = [
    ({"email": ""}, "email", "Enter the care home's email address: this is critical, they'll use it to log in"),
    ({"email": "not an email"}, "email", "Enter an email address in the correct format"),
    ({"housebound": True}, "housebound", CARE_HOME_FLAGS),
    ({"care_home_resident": True}, "care_home_resident", CARE_HOME_FLAGS),
    ({"confirm_registered": False}, "confirm_registered", "Confirm this patient is registered at this practice"),
    ({"confirm_consent": False}, "confirm_consent", "Confirm the patient (or their representative) has agreed"),
    ({"dob_year": "2010"}, "dob", "The care home account's date of birth must make it 18 or over, like 01/01/2000"),
    ({"dob_day": "", "dob_month": "", "dob_year": ""}, "dob", "Enter a date of birth for the care home account"),
    ({"dob_day": "31", "dob_month": "02"}, "dob", "Date of birth must be a real date"),
    ({"full_name": " "}, "full_name", "Enter the care home's name"),
    ({"address_line1": ""}, "address_line1", "Enter the care home's address"),
    ({"postcode": ""}, "postcode", "Enter the care home's postcode"),
    ({"postcode": "ZZ"}, "postcode", "Enter a real postcode"),
    ({"phone": ""}, "phone", "Enter the care home's phone number"),
    ({"phone": "0800 123"}, "phone", "Enter a UK phone number"),
]


def test_care_home_form_errors_save_nothing(db_session, world):
    before = counts(db_session)
    for changes, field, message in CARE_HOME_ERRORS:
        outcome = create(db_session, world["reception"], care_home_form(**changes))
        assert not outcome.ok and outcome.patient_id is None
        assert outcome.errors[field].startswith(message), outcome.errors
        assert list(outcome.errors) == [key for key in FIELD_ORDER if key in outcome.errors]
        assert counts(db_session) == before, changes


def test_care_home_names_may_hold_what_person_names_cannot(db_session, world):
    home_id = make_care_home(
        db_session, world["reception"], full_name="St. Mary's & St. John's (North) No. 2", phone="07700 900982"
    )
    home = db_session.get(Patient, home_id)
    assert home is not None and home.full_name == "St. Mary's & St. John's (North) No. 2"
    assert home.phone_mobile == "+447700900982"


def test_every_problem_is_reported_at_once(db_session, world):
    before = counts(db_session)
    outcome = create(db_session, world["reception"], NewPatientForm(nhs_number="999-999-1234", housebound=True))
    assert set(outcome.errors) == {
        "full_name",
        "dob",
        "address_line1",
        "postcode",
        "phone",
        "email",
        "housebound",
        "confirm_registered",
        "confirm_consent",
    }
    assert counts(db_session) == before


# --- "already exists" --------------------------------------------------------------------------


def test_the_same_dummy_number_again_already_exists(db_session, world):
    make_care_home(db_session, world["reception"])
    before = counts(db_session)
    outcome = create(db_session, world["admin"], care_home_form(full_name="The Elms", email="elms@example.com"))
    assert outcome.errors == {"nhs_number": NHS_NUMBER_IN_USE}
    assert NHS_NUMBER_IN_USE.startswith("An Anima account already exists with this NHS number.")
    assert "try a different dummy NHS number (change the last few digits)" in NHS_NUMBER_IN_USE
    assert counts(db_session) == before
    # Changing the last few digits works.
    assert create(db_session, world["admin"], care_home_form(nhs_number="999 999 4321", email="elms@example.com")).ok


def test_a_pending_claim_on_the_number_does_not_stop_the_practice(db_session, world):
    """Only a verified record owns an NHS number: a claim waiting for verification is found by the
    search (so staff see it) until the real record exists, and doesn't block creating that record."""
    from tests.factories import make_patient

    claim = make_patient(db_session, world["a"], "Made Up", nhs_number=ALICE, status="pending")
    assert find_by_nhs_number(db_session, world["reception"], ALICE).patient.id == claim.id  # type: ignore[union-attr]
    outcome = create(db_session, world["reception"], resident_form(ALICE, None))
    assert outcome.ok
    found = find_by_nhs_number(db_session, world["reception"], ALICE)
    assert found.patient is not None and found.patient.id == outcome.patient_id  # the verified record first
    assert create(db_session, world["reception"], resident_form(ALICE, None)).errors == {
        "nhs_number": NHS_NUMBER_IN_USE
    }
    db_session.commit()


def test_the_same_email_again_already_exists(db_session, world):
    make_care_home(db_session, world["reception"])
    before = counts(db_session)
    outcome = create(
        db_session,
        world["reception"],
        care_home_form(nhs_number="999-999-4321", email="  Manager@OaksCareHome.example "),
    )
    assert outcome.errors == {"email": EMAIL_IN_USE}
    for step in (
        "Patient Management > Patient Search",
        "remove the email",
        "'this patient has no email address'",
        "try again",
    ):
        assert step in EMAIL_IN_USE
    assert counts(db_session) == before


def test_an_email_used_by_a_staff_account_is_in_use_too(db_session, world):
    outcome = create(db_session, world["reception"], care_home_form(email="GP@riverside.example"))
    assert outcome.errors == {"email": EMAIL_IN_USE}


def test_a_race_for_the_email_undoes_everything(db_session, world, monkeypatch):
    """If another request takes the email between the check and the insert, nothing is kept."""
    make_care_home(db_session, world["reception"])
    real = accounts.find_account
    calls = []

    def miss_once(session, email):
        calls.append(email)
        return None if len(calls) == 1 else real(session, email)

    monkeypatch.setattr(account_creation, "find_account", miss_once)
    before = counts(db_session)
    outcome = create(db_session, world["reception"], care_home_form(nhs_number="999-999-4321"))
    assert outcome.errors == {"email": EMAIL_IN_USE}
    assert counts(db_session) == before
    assert db_session.exec(select(Patient).where(Patient.nhs_number == "9999994321")).first() is None


# --- Choosing the care home -----------------------------------------------------------------


def test_care_home_options_find_it(db_session, world):
    home_id = make_care_home(db_session, world["reception"])
    make_care_home(
        db_session, world["reception"], nhs_number="999-999-4321", full_name="The Elms", email="elms@example.com"
    )
    for query in ("999-999-1234", "9999991234", " 999 999 1234 ", "1234", "oaks", "THE OAKS care"):
        options = care_home_options(db_session, world["reception"], query, client_ip=IP)
        assert [(o.patient_id, o.name, o.nhs_number, o.registered_here, o.practice_name) for o in options] == [
            (home_id, "The Oaks Care Home", "999 999 1234", True, "Riverside Surgery")
        ], query


def test_care_home_options_only_care_homes_with_an_account_here(db_session, world):
    make_care_home(db_session, world["reception"])
    make_care_home(
        db_session,
        world["b_reception"],
        nhs_number="999-999-5555",
        full_name="Hilltop Care Home",
        email="hill@example.com",
    )
    assert create(db_session, world["reception"], resident_form(ALICE, None, full_name="Oaks Person")).ok
    reception = world["reception"]
    assert [o.name for o in care_home_options(db_session, reception, "999")] == ["The Oaks Care Home"]
    assert care_home_options(db_session, reception, "Hilltop") == []
    assert care_home_options(db_session, reception, "9999995555") == []
    assert [o.name for o in care_home_options(db_session, world["b_reception"], "care")] == ["Hilltop Care Home"]
    for query in ("", "  ", "%", "_", "x"):
        assert care_home_options(db_session, reception, query) == []
    # A closed account can't hold residents, so the care home isn't offered.
    home_account = accounts.find_account(db_session, HOME_EMAIL)
    assert home_account is not None
    home_account.status = "disabled"
    db_session.add(home_account)
    assert care_home_options(db_session, reception, "oaks") == []
    assert audit_events(db_session, "care_home_search")


# --- Part 2: residents as dependents ------------------------------------------------------------


def test_part_2_residents_are_dependents_of_the_care_home(db_session, world):
    staff = world["reception"]
    home_id = make_care_home(db_session, staff)
    home_account = accounts.find_account(db_session, HOME_EMAIL)
    assert home_account is not None
    residents = []
    for number, name in ((ALICE, "Alice Smith"), (BERT, "Bert Jones")):
        assert find_by_nhs_number(db_session, staff, number).not_found == NOT_FOUND_MESSAGE
        (option,) = care_home_options(db_session, staff, "999-999-1234")
        assert option.registered_here
        before_mail = counts(db_session)["OutboxMessage"]
        outcome = create(db_session, staff, resident_form(number, option.patient_id, full_name=name))
        assert outcome.ok, outcome.errors
        assert counts(db_session)["OutboxMessage"] == before_mail  # no email: no account, no message
        residents.append(outcome.patient_id)

    for resident_id in residents:
        resident = db_session.get(Patient, resident_id)
        assert resident is not None
        assert resident.care_home_resident and not resident.is_care_home and not resident.housebound
        assert resident.verification_status == "verified" and resident.created_by_staff_id == staff.staff_id
        assert links(db_session, resident_id) == [(home_account.id, "care_home")]
        link = db_session.exec(select(AccountPatient).where(AccountPatient.patient_id == resident_id)).one()
        assert link.approval_status == "not_needed"
        found = find_by_nhs_number(db_session, staff, resident.nhs_number or "")
        assert found.patient is not None and not found.patient.has_account and not found.patient.is_care_home

    held = db_session.exec(
        select(AccountPatient.patient_id).where(
            AccountPatient.account_id == home_account.id, AccountPatient.relationship == "care_home"
        )
    ).all()
    assert sorted(held) == sorted(residents)
    created = audit_events(db_session, "patient_account_created")
    assert [audit.event_detail(e) for e in created[1:]] == [
        {"care_home": False, "dependent_of": True, "has_email": False}
    ] * 2
    added = audit_events(db_session, "care_home_resident_added")
    assert [(e.patient_id, audit.event_detail(e)["resident_patient_id"]) for e in added] == [
        (home_id, r) for r in residents
    ]


def test_a_resident_cannot_have_a_dummy_number(db_session, world):
    home_id = make_care_home(db_session, world["reception"])
    before = counts(db_session)
    outcome = create(db_session, world["reception"], resident_form("999-999-7777", home_id))
    assert outcome.errors == {"nhs_number": DUMMY_FOR_RESIDENT}
    assert counts(db_session) == before


def test_a_resident_of_another_practices_care_home_is_refused(db_session, world):
    b_home = make_care_home(db_session, world["b_reception"], nhs_number="999-999-5555", email="hill@example.com")
    a_patient = create(db_session, world["reception"], resident_form(CARA, None)).patient_id
    before = counts(db_session)
    for bad in (b_home, a_patient, 999_999, "abc", True):
        outcome = create(db_session, world["reception"], resident_form(ALICE, bad))  # type: ignore[arg-type]
        assert outcome.errors == {"register_as_dependent_of": CHOOSE_CARE_HOME}, bad
    assert counts(db_session) == before


def test_practice_b_cannot_find_or_use_practice_a_care_home(db_session, world):
    home_id = make_care_home(db_session, world["reception"])
    b = world["b_reception"]
    # Reported exactly as a number nobody uses.
    assert find_by_nhs_number(db_session, b, "999-999-1234") == account_lookup.FindResult(
        patient=None, nhs_number="999 999 1234", is_dummy=True
    )
    assert find_by_nhs_number(db_session, b, "999-999-1234").not_found == NOT_FOUND_MESSAGE
    assert care_home_options(db_session, b, "999-999-1234") == []
    assert care_home_options(db_session, b, "oaks") == []
    before = counts(db_session)
    outcome = create(db_session, b, resident_form(ALICE, home_id))
    assert outcome.errors == {"register_as_dependent_of": CHOOSE_CARE_HOME}
    assert counts(db_session) == before


def test_a_care_home_with_a_closed_account_cannot_take_residents(db_session, world):
    home_id = make_care_home(db_session, world["reception"])
    account = accounts.find_account(db_session, HOME_EMAIL)
    assert account is not None
    account.status = "disabled"
    db_session.add(account)
    outcome = create(db_session, world["reception"], resident_form(ALICE, home_id))
    assert outcome.errors["register_as_dependent_of"].startswith("This care home's account has no active login")


# --- Patients with a real NHS number -------------------------------------------------------------


def test_an_adult_with_an_email_gets_their_own_account(db_session, world):
    outcome = create(
        db_session,
        world["admin"],
        resident_form(ALICE, None, email="alice@example.com", phone="07700 900982", housebound=True),
    )
    assert outcome.ok, outcome.errors
    patient = db_session.get(Patient, outcome.patient_id)
    assert patient is not None and patient.housebound and not patient.care_home_resident and not patient.is_care_home
    account = accounts.find_account(db_session, "alice@example.com")
    assert account is not None and links(db_session, patient.id) == [(account.id, "self")]  # type: ignore[arg-type]
    assert [m.template for m in outbox(db_session, to="alice@example.com")] == ["patient_set_password"]
    assert audit.event_detail(audit_events(db_session, "patient_account_created")[0]) == {
        "care_home": False,
        "dependent_of": False,
        "has_email": True,
    }


def test_a_resident_with_an_email_has_both_links(db_session, world):
    home_id = make_care_home(db_session, world["reception"])
    outcome = create(db_session, world["reception"], resident_form(ALICE, home_id, email="alice@example.com"))
    assert outcome.ok, outcome.errors
    own = accounts.find_account(db_session, "alice@example.com")
    home = accounts.find_account(db_session, HOME_EMAIL)
    assert own is not None and home is not None
    assert links(db_session, outcome.patient_id) == sorted([(own.id, "self"), (home.id, "care_home")])  # type: ignore[arg-type]


def test_minors_have_no_email_account(db_session, world):
    home_id = make_care_home(db_session, world["reception"])
    child = {"dob_day": "1", "dob_month": "1", "dob_year": "2015", "full_name": "Cara Brown"}
    before = counts(db_session)
    outcome = create(db_session, world["reception"], resident_form(CARA, None, email="cara@example.com", **child))
    assert outcome.errors == {"email": outcome.errors["email"]}
    assert outcome.errors["email"].startswith("A patient under 18 can't have their own Anima account")
    assert counts(db_session) == before
    assert create(db_session, world["reception"], resident_form(CARA, home_id, **child)).ok


def test_a_patient_without_email_exists_for_the_practice_only(db_session, world):
    outcome = create(db_session, world["reception"], resident_form(ALICE, None))
    assert outcome.ok
    patient = db_session.get(Patient, outcome.patient_id)
    assert patient is not None and not patient.care_home_resident
    assert links(db_session, patient.id) == []  # type: ignore[arg-type]
    assert create(db_session, world["reception"], resident_form(ALICE, None)).errors == {
        "nhs_number": NHS_NUMBER_IN_USE
    }


PATIENT_ERRORS = [
    ({"full_name": ""}, "full_name", "Enter the patient's full name"),
    ({"full_name": "R2D2"}, "full_name", "Full name must only include letters"),
    ({"dob_year": "2030"}, "dob", "Date of birth must be in the past"),
    ({"dob_day": ""}, "dob", "Date of birth must include a day"),
    ({"address_line1": ""}, "address_line1", "Enter the patient's address"),
    ({"nhs_number": "943 476 5910"}, "nhs_number", "Enter a valid NHS number"),
    ({"phone": "12345"}, "phone", "Enter a UK phone number"),
]


def test_patient_form_errors_save_nothing(db_session, world):
    home_id = make_care_home(db_session, world["reception"])
    before = counts(db_session)
    for changes, field, message in PATIENT_ERRORS:
        outcome = create(db_session, world["reception"], dataclasses.replace(resident_form(ALICE, home_id), **changes))
        assert outcome.errors[field].startswith(message), outcome.errors
        assert counts(db_session) == before, changes


# --- Who may do it -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["reception", "admin"])
def test_receptionists_and_admins_may(db_session, world, role):
    assert make_care_home(db_session, world[role])
    assert care_home_options(db_session, world[role], "oaks")
    assert find_by_nhs_number(db_session, world[role], "999-999-1234").patient is not None


def test_clinicians_and_strangers_may_not(db_session, world):
    make_care_home(db_session, world["reception"])
    before = counts(db_session)
    for who in (world["clinician"], None):
        with pytest.raises(PermissionDenied):
            find_by_nhs_number(db_session, who, "999-999-1234")
        with pytest.raises(PermissionDenied):
            care_home_options(db_session, who, "oaks")
        with pytest.raises(PermissionDenied):
            create(db_session, who, care_home_form(nhs_number="999-999-4321", email="x@example.com"))  # type: ignore[arg-type]
    assert counts(db_session) == before


# --- The emailed link: set a password ------------------------------------------------------------


def home_link(db: Session, staff: StaffContext) -> str:
    make_care_home(db, staff)
    return link_secret(outbox(db, to=HOME_EMAIL)[-1])


def test_set_password_then_sign_in(db_session, world):
    secret = home_link(db_session, world["reception"])
    assert peek_set_password(db_session, secret) == password_setup.SetPasswordStatus("ok", HOME_EMAIL)
    assert not accounts.sign_in(db_session, email=HOME_EMAIL, password=PASSWORD, client_ip=IP).ok

    outcome = set_password(db_session, secret=secret, new_password=PASSWORD, client_ip=IP)
    assert outcome.ok and outcome.email == HOME_EMAIL
    account = accounts.find_account(db_session, HOME_EMAIL)
    assert account is not None and account.password_hash and account.password_changed_at and account.email_verified_at
    assert PASSWORD not in account.password_hash
    (event,) = audit_events(db_session, "password_set")
    assert event.account_id == account.id and event.actor_kind == "patient"

    signed_in = accounts.sign_in(db_session, email="MANAGER@oakscarehome.example", password=PASSWORD, client_ip=IP)
    assert signed_in.ok and signed_in.session_token and signed_in.identity is not None
    assert signed_in.identity.account_id == account.id

    again = set_password(db_session, secret=secret, new_password="Another-Pass-93", client_ip=IP)
    assert again.errors == {"form": LINK_PROBLEMS["used"]}
    assert peek_set_password(db_session, secret).status == "used"
    assert accounts.sign_in(db_session, email=HOME_EMAIL, password=PASSWORD, client_ip=IP).ok


WEAK_PASSWORDS = [
    ("", "Enter a password"),
    ("short1A", "Password must be 8 characters or more"),
    ("Password123", "This password is too common"),
    ("Manager-oakscare-1", "Password must not contain your email address"),
]


def test_a_weak_password_leaves_the_link_usable(db_session, world):
    secret = home_link(db_session, world["reception"])
    for password, message in WEAK_PASSWORDS:
        outcome = set_password(db_session, secret=secret, new_password=password, client_ip=IP)
        assert outcome.errors == {"password": outcome.errors["password"]} and outcome.email == HOME_EMAIL
        assert outcome.errors["password"].startswith(message), password
        assert peek_set_password(db_session, secret).status == "ok"
        account = accounts.find_account(db_session, HOME_EMAIL)
        assert account is not None and account.password_hash is None and account.email_verified_at is None
    assert audit_events(db_session, "password_set") == []
    assert set_password(db_session, secret=secret, new_password=PASSWORD, client_ip=IP).ok


def test_an_expired_link_is_refused(db_session, world):
    secret = home_link(db_session, world["reception"])
    token = db_session.exec(select(OneTimeToken).where(OneTimeToken.purpose == "set_password")).one()
    token.expires_at = utcnow() - timedelta(seconds=1)
    db_session.add(token)
    db_session.flush()
    assert peek_set_password(db_session, secret) == password_setup.SetPasswordStatus("expired", HOME_EMAIL)
    outcome = set_password(db_session, secret=secret, new_password=PASSWORD, client_ip=IP)
    assert outcome.errors == {"form": LINK_PROBLEMS["expired"]}
    account = accounts.find_account(db_session, HOME_EMAIL)
    assert account is not None and account.password_hash is None


def test_an_unknown_link_is_refused(db_session, world):
    home_link(db_session, world["reception"])
    for secret in ("", "nope", "x" * 500, None):
        assert peek_set_password(db_session, secret) == password_setup.SetPasswordStatus("unknown", "")  # type: ignore[arg-type]
        outcome = set_password(db_session, secret=secret, new_password=PASSWORD, client_ip=IP)  # type: ignore[arg-type]
        assert outcome.errors == {"form": LINK_PROBLEMS["unknown"]} and outcome.email == ""


def test_other_links_do_not_set_passwords(db_session, world):
    """A link for another purpose (a password-reset style link for the same account) is not accepted."""
    make_care_home(db_session, world["reception"])
    account = accounts.find_account(db_session, HOME_EMAIL)
    assert account is not None
    other = tokens.issue_link(
        db_session, purpose=tokens.EMAIL_VERIFICATION, email_normalized=HOME_EMAIL, account_id=account.id
    )
    assert peek_set_password(db_session, other).status == "unknown"
    assert set_password(db_session, secret=other, new_password=PASSWORD, client_ip=IP).errors == {
        "form": LINK_PROBLEMS["unknown"]
    }


def test_a_link_stops_working_when_the_email_changes(db_session, world):
    secret = home_link(db_session, world["reception"])
    account = accounts.find_account(db_session, HOME_EMAIL)
    assert account is not None
    account.email = account.email_normalized = "new@oakscarehome.example"
    db_session.add(account)
    db_session.flush()
    assert set_password(db_session, secret=secret, new_password=PASSWORD, client_ip=IP).errors == {
        "form": LINK_PROBLEMS["unknown"]
    }
