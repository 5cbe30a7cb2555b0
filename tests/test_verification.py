"""Automatic verification against the practice register, and the practices' pending list."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session

from anima_pwa.models import Patient, Practice
from anima_pwa.services.patients import verification
from anima_pwa.services.patients.verification import PENDING, VERIFIED, match_register, names_match, verify_patient
from tests import factories
from tests.factories import link, make_account, make_practice, on_register, valid_nhs_number

T0 = datetime(2025, 6, 15, 9, 0, tzinfo=UTC)


ZOE, ALEX_1, ALEX_2, PRIYA, SAM, NOT_ON_REGISTER = (
    valid_nhs_number("943476591"),
    valid_nhs_number("401023213"),
    valid_nhs_number("401023214"),
    valid_nhs_number("485777345"),
    valid_nhs_number("450557710"),
    valid_nhs_number("123456788"),
)


# --- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entered", "given", "family", "same"),
    [
        ("Zoe Smith", "Zoe", "Smith", True),
        ("ZOE SMITH", "zoe", "smith", True),  # case
        ("Zoë Smith", "Zoe", "Smith", True),  # accents on either side
        ("Zoe Smith", "ZOË", "SMITH", True),
        ("Zoe\u0308 Smith", "Zoë", "Smith", True),  # decomposed accent
        ("  Zoe    Smith  ", "Zoe", "Smith", True),  # spacing
        ("Zoe O'Brien-Smith", "Zoe", "O'Brien-Smith", True),  # hyphen and apostrophe
        ("Zoe O’Brien-Smith", "Zoe", "OBRIEN-SMITH", True),  # curly apostrophe, none on the register
        ("Zoe OBrien Smith", "Zoe", "O'Brien-Smith", True),  # spaced double-barrel
        ("Zoe Smith Jones", "Zoe", "Smith-Jones", True),
        ("Zoe Smith-Jones", "Zoe", "Smith Jones", True),
        ("Zoe Anne Smith", "Zoe", "Smith", True),  # middle name typed
        ("Zoe Smith", "Zoe Anne", "Smith", True),  # middle name on the register
        ("Zoe Anne Smith", "Zoe Beth", "Smith", True),  # middle names are ignored on both sides
        ("Zoe Anne Smith Jones", "Zoe", "Smith-Jones", True),
        ("Anna-Maria Lopez", "Anna-Maria", "Lopez", True),  # hyphenated first name
        ("Zoe St. John", "Zoe", "St John", True),
        ("Chloe Smith", "Zoe", "Smith", False),  # different first name
        ("Anne Zoe Smith", "Zoe", "Smith", False),  # first names must agree, not just appear
        ("Anne Smith", "Zoe Anne", "Smith", False),  # a middle name is not the first name
        ("Zoe Smith", "Zoe", "Zoe-Smith", False),  # the first name is not part of the family name
        ("Zoe Smyth", "Zoe", "Smith", False),
        ("Zoe Jones", "Zoe", "Smith-Jones", False),  # half a double-barrel is not the family name
        ("Zoe Smith", "Zoe", "Smith-Jones", False),
        ("Zoe", "Zoe", "Smith", False),  # a single word is not enough
        ("Smith", "Zoe", "Smith", False),
        ("ZoeSmith", "Zoe", "Smith", False),
        ("", "Zoe", "Smith", False),
        ("Zoe Smith", "", "Smith", False),
        ("Zoe Smith", "Zoe", "", False),
        ("Zoe Smith", "Zoe", "'-", False),
    ],
)
def test_names_match(entered, given, family, same):
    assert names_match(entered, given, family) is same


@pytest.mark.parametrize(
    ("entered", "given", "family"),
    [
        ("Łukasz Wałęsa", "Lukasz", "Walesa"),  # letters with a stroke don't decompose in Unicode
        ("Søren Kierkegaard", "Soren", "Kierkegaard"),
        ("Ærin Ødegård", "Aerin", "Odegard"),
        ("Zoe Đorđević", "Zoe", "Dordevic"),
        ("Zoe Straße", "Zoe", "Strasse"),
    ],
)
def test_letters_that_are_not_accents_in_unicode_still_match_their_plain_spelling(entered, given, family):
    """The register (or the person) may write a name without its diacritics, whatever they are."""
    assert names_match(entered, given, family)
    assert names_match(f"{given} {family}", *entered.split(" ", 1))


def test_name_tokens():
    assert verification.name_tokens("O'Brien-Smith  Zoë") == ["obriensmith", "zoe"]
    assert verification.name_tokens("'-.") == []


# --- the register -----------------------------------------------------------------------------


@pytest.fixture
def register(db_session: Session) -> dict:
    a = make_practice(db_session, "A81001", email="a81001@nhs.example")
    b = make_practice(db_session, "B82002")
    return {
        "a": a,
        "b": b,
        "zoe": on_register(db_session, a, ZOE, "Zoe Anne", "Smith", date(1980, 2, 1), "MB1 2AB"),
        "alex_1": on_register(db_session, a, ALEX_1, "Alex", "Taylor", date(1990, 5, 5), "MB2 3CD"),
        "alex_2": on_register(db_session, a, ALEX_2, "Alex", "Taylor", date(1990, 5, 5), "MB2 3CD"),
        "priya": on_register(db_session, a, PRIYA, "Priya", "Patel", date(1975, 7, 7), "MB3 4EF"),
        "sam": on_register(db_session, b, SAM, "Sam", "Jones", date(1985, 1, 1), "MB4 5GH"),
    }


ZOE_DOB, PRIYA_DOB = date(1980, 2, 1), date(1975, 7, 7)


@pytest.mark.parametrize(
    ("practice", "name", "dob", "postcode", "number", "expected", "reason"),
    [
        # With an NHS number: the entry with it, same date of birth, and name or postcode.
        ("a", "Zoe Smith", ZOE_DOB, "ZZ9 9ZZ", ZOE, "zoe", ""),
        ("a", "Zoe Brown", ZOE_DOB, "MB1 2AB", ZOE, "zoe", ""),  # changed name, same postcode
        ("a", "Zoe Brown", ZOE_DOB, "mb12ab", ZOE, "zoe", ""),
        ("a", "Zoe Brown", ZOE_DOB, "ZZ9 9ZZ", ZOE, None, "Name and postcode differ from the practice register"),
        ("a", "Zoe Smith", date(1980, 2, 2), "MB1 2AB", ZOE, None, "Date of birth differs from the practice register"),
        ("a", "Zoe Smith", ZOE_DOB, "MB1 2AB", NOT_ON_REGISTER, None, "NHS number not found on the practice register"),
        ("a", "Sam Jones", date(1985, 1, 1), "MB4 5GH", SAM, None, "NHS number not found on the practice register"),
        ("b", "Sam Jones", date(1985, 1, 1), "MB4 5GH", SAM, "sam", ""),
        # Without one: exactly one entry with the same date of birth, postcode and name.
        ("a", "Priya Patel", PRIYA_DOB, "MB3 4EF", None, "priya", ""),
        ("a", "priya k patel", PRIYA_DOB, " mb3   4ef ", None, "priya", ""),  # case, spaces, middle name
        ("a", "Priya Patel", PRIYA_DOB, "MB34EF", None, "priya", ""),
        ("a", "Priya Patel", PRIYA_DOB, "MB3 4EG", None, None, "No one on the practice register matches"),
        ("a", "Priya Patel", date(1975, 7, 8), "MB3 4EF", None, None, "No one on the practice register matches"),
        ("a", "Priya Shah", PRIYA_DOB, "MB3 4EF", None, None, "No one on the practice register matches"),
        ("a", "Alex Taylor", date(1990, 5, 5), "MB2 3CD", None, None, "More than one person on the register matches"),
        ("a", "Sam Jones", date(1985, 1, 1), "MB4 5GH", None, None, "No one on the practice register matches"),
        ("b", "Sam Jones", date(1985, 1, 1), "mb4 5gh", None, "sam", ""),
        ("a", "Zoe Smith", ZOE_DOB, "MB1 2AB", "", "zoe", ""),  # a blank NHS number counts as none
    ],
)
def test_match_register(db_session, register, practice, name, dob, postcode, number, expected, reason):
    result = match_register(
        db_session,
        practice_id=register[practice].id,
        full_name=name,
        date_of_birth=dob,
        postcode=postcode,
        nhs_number=number,
    )
    assert result.matched is (expected is not None)
    assert result.entry == (register[expected] if expected else None)
    assert result.reason.startswith(reason) and bool(result.reason) is (expected is None)


def make_patient(
    db: Session,
    practice: Practice,
    name: str,
    dob: date,
    postcode: str,
    number: str | None = None,
    *,
    created_at: datetime = T0,
) -> Patient:
    """Not yet verified: pending, the model's default."""
    return factories.make_patient(
        db, practice, name, dob=dob, postcode=postcode, nhs_number=number, status=PENDING, created_at=created_at
    )


def test_verify_patient_without_nhs_number_takes_it_from_the_register(db_session, register):
    patient = make_patient(db_session, register["a"], "Priya Patel", PRIYA_DOB, "MB3 4EF")
    result = verify_patient(db_session, patient, now=T0)
    assert result.matched
    db_session.expire_all()
    stored = db_session.get(Patient, patient.id)
    assert (stored.verification_status, stored.nhs_number, stored.register_entry_id) == (
        VERIFIED,
        PRIYA,
        register["priya"].id,
    )
    assert (stored.verified_at, stored.verification_note, stored.updated_at) == (T0, "", T0)


def test_verify_patient_with_nhs_number(db_session, register):
    patient = make_patient(db_session, register["a"], "Zoe Brown", ZOE_DOB, "MB1 2AB", ZOE)
    assert verify_patient(db_session, patient, now=T0).matched
    assert (patient.verification_status, patient.nhs_number, patient.register_entry_id) == (
        VERIFIED,
        ZOE,
        register["zoe"].id,
    )


def test_verify_patient_marks_pending_with_the_reason(db_session, register):
    patient = make_patient(db_session, register["a"], "Zoe Smith", date(1980, 2, 2), "MB1 2AB", ZOE)
    result = verify_patient(db_session, patient, now=T0)
    assert not result.matched
    db_session.expire_all()
    stored = db_session.get(Patient, patient.id)
    assert stored.verification_status == PENDING
    assert stored.verification_note == "Date of birth differs from the practice register"
    assert (stored.verified_at, stored.register_entry_id) == (None, None)


def test_a_claim_on_the_register_number_does_not_stop_verification(db_session, register):
    """A pending record with Priya's number (someone's claim) owns nothing: Priya is verified."""
    make_patient(db_session, register["b"], "Mallory Attacker", date(1990, 1, 1), "MB9 9ZZ", PRIYA)
    patient = make_patient(db_session, register["a"], "Priya Patel", PRIYA_DOB, "MB3 4EF")
    assert verify_patient(db_session, patient, now=T0).matched
    assert (patient.verification_status, patient.nhs_number) == (VERIFIED, PRIYA)
    db_session.commit()  # the claim and the verified record share the number


@pytest.mark.parametrize(
    ("typed", "practice", "note"),
    [
        (
            None,
            "b",
            "NHS number already belongs to a verified patient record at another practice with the same name and date of birth",
        ),
        (PRIYA, "a", "NHS number already belongs to a verified patient record with the same name and date of birth"),
    ],
    ids=["number from the register", "number typed"],
)
def test_a_number_a_verified_record_owns_is_not_taken_twice(db_session, register, typed, practice, note):
    make_patient(
        db_session, register[practice], "Priya Patel", PRIYA_DOB, "MB3 4EF", PRIYA
    ).verification_status = VERIFIED
    db_session.flush()
    patient = make_patient(db_session, register["a"], "Priya Patel", PRIYA_DOB, "MB3 4EF", typed)
    result = verify_patient(db_session, patient, now=T0)
    assert not result.matched
    # The claim carries the number, so the practice sees it beside the record that owns it.
    assert (patient.verification_status, patient.nhs_number, patient.register_entry_id) == (PENDING, PRIYA, None)
    assert patient.verification_note == note
    db_session.commit()  # and nothing violates the unique NHS number


@pytest.mark.parametrize(
    ("owner", "note"),
    [
        ({"name": "Priya Patel", "dob": PRIYA_DOB, "account": True}, "who has their own Anima account"),
        ({"name": "Priya Patel", "dob": date(1990, 1, 1), "account": False}, "whose details differ"),
        ({"name": "Anne Other", "dob": PRIYA_DOB, "account": False}, "whose details differ"),
    ],
)
def test_the_conflict_reason_says_what_the_owner_is(db_session, register, owner, note):
    owned = factories.make_patient(
        db_session,
        register["a"],
        owner["name"],
        dob=owner["dob"],
        nhs_number=PRIYA,
        email="owner@example.com" if owner["account"] else None,
    )
    claim = make_patient(db_session, register["a"], "Priya Patel", PRIYA_DOB, "MB3 4EF", PRIYA)
    assert not verify_patient(db_session, claim, now=T0).matched
    assert claim.verification_note.startswith("NHS number already belongs to a verified patient")
    assert note in claim.verification_note
    assert owned.verification_status == VERIFIED


def test_verify_again_after_the_register_changes(db_session, register):
    patient = make_patient(db_session, register["a"], "Jo Bloggs", date(2000, 1, 1), "MB5 6JK")
    assert not verify_patient(db_session, patient, now=T0).matched
    on_register(db_session, register["a"], valid_nhs_number("400000001"), "Jo", "Bloggs", date(2000, 1, 1), "MB5 6JK")
    assert verify_patient(db_session, patient, now=T0 + timedelta(days=1)).matched
    assert (patient.verification_status, patient.verification_note) == (VERIFIED, "")


# --- the pending list -------------------------------------------------------------------------


def holder(db: Session, patient: Patient, email: str, relationship: str) -> None:
    link(db, make_account(db, email), patient, relationship)


def test_pending_verifications(db_session, register):
    a, b = register["a"], register["b"]
    newest = make_patient(
        db_session, a, "Newest Person", date(2001, 1, 1), "MB1 1AA", created_at=T0 + timedelta(hours=2)
    )
    oldest = make_patient(db_session, b, "Oldest Person", date(1950, 1, 1), "MB1 1AA", created_at=T0)
    middle = make_patient(
        db_session,
        a,
        "Middle Person",
        date(1970, 1, 1),
        "MB1 1AA",
        valid_nhs_number("400000002"),
        created_at=T0 + timedelta(hours=1),
    )
    verified = make_patient(db_session, a, "Priya Patel", PRIYA_DOB, "MB3 4EF", created_at=T0 - timedelta(days=1))
    for patient in (newest, oldest, middle, verified):
        verify_patient(db_session, patient, now=T0)
    holder(db_session, middle, "mum@example.com", "dependant")
    holder(db_session, middle, "dad@example.com", "dependant")
    holder(db_session, newest, "newest@example.com", "self")

    everyone = verification.pending_verifications(db_session)
    assert [p.patient_id for p in everyone] == [oldest.id, middle.id, newest.id]  # oldest first, verified left out
    assert [p.holders for p in everyone] == [0, 2, 1]
    first = everyone[0]
    assert (first.practice_ods_code, first.practice_name, first.submitted_at) == ("B82002", "Practice B82002", T0)
    assert first.reason == "No one on the practice register matches the name, date of birth and postcode"
    assert (everyone[1].full_name, everyone[1].nhs_number, everyone[1].date_of_birth) == (
        "Middle Person",
        middle.nhs_number,
        date(1970, 1, 1),
    )

    only_a = verification.pending_verifications(db_session, practice_id=a.id)
    assert [p.patient_id for p in only_a] == [middle.id, newest.id]
    assert verification.pending_verifications(db_session, practice_id=b.id, limit=5)[0].patient_id == oldest.id
    assert [p.patient_id for p in verification.pending_verifications(db_session, limit=2)] == [oldest.id, middle.id]
    assert verification.pending_verifications(db_session, practice_id=a.id, limit=1)[0].patient_id == middle.id
