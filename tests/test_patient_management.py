"""Patient Management in the practice workspace: search, details, editing, removing an email address,
manual verification, dependant approval and the audit trail."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from urllib.parse import unquote

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from anima_pwa.models import (
    Account,
    AccountPatient,
    AuthSession,
    OneTimeToken,
    Patient,
    Practice,
)
from anima_pwa.services.identity import accounts, sessions, tokens
from anima_pwa.services.patients import registration
from anima_pwa.services.platform import audit, validation
from anima_pwa.services.platform.validation import FieldError
from anima_pwa.services.practice import audit_trail, patient_records, patient_search, verifications
from anima_pwa.services.practice.permissions import PermissionDenied
from tests import factories
from tests.factories import (
    audit_events,
    link,
    make_account,
    make_patient,
    make_staff,
    outbox,
    self_account,
    valid_nhs_number,
)

TODAY = date(2025, 6, 15)


ZOE_NHS = valid_nhs_number("943476591")  # 9434765919
SAM_NHS = valid_nhs_number("485777345")
CARE_HOME_NHS = "9999990012"  # a dummy care-home number: no check digit


# --- helpers (the rest are in tests/factories.py) -------------------------------------------------


def make_practice(db: Session, ods: str, name: str | None = None) -> Practice:
    """A practice with an email address on file (test_capacity.py imports this, and the factories
    this module imports, from here)."""
    return factories.make_practice(db, ods, name, email=f"{ods.lower()}@nhs.example")


def fresh(db: Session, row):
    db.refresh(row)
    return row


@pytest.fixture
def world(db_session: Session) -> dict:
    """Practice A with staff of every role, practice B with a receptionist."""
    a = make_practice(db_session, "A81001", "Riverside Surgery")
    b = make_practice(db_session, "B82002", "Hillside Practice")
    return {
        "a": a,
        "b": b,
        "receptionist": make_staff(db_session, a, "receptionist", name="Rita Reception"),
        "clinician": make_staff(db_session, a, "clinician", name="Dr Cara Clinic"),
        "admin": make_staff(db_session, a, "admin", name="Adam Admin"),
        "b_staff": make_staff(db_session, b, "admin", name="Bea Elsewhere"),
    }


# --- 1. Patient Search -------------------------------------------------------------------------------


@pytest.fixture
def people(db_session: Session, world: dict) -> dict:
    a, b = world["a"], world["b"]
    zoe = make_patient(
        db_session, a, "Zoë Smith-Jones", nhs_number=ZOE_NHS, email="Zoe.Smith@Example.com", postcode="MB1 2AB"
    )
    sam = make_patient(db_session, a, "Sam O'Brien", dob=date(1990, 1, 2), nhs_number=SAM_NHS)
    home = make_patient(
        db_session,
        a,
        "Rosewood Care Home",
        dob=date(2000, 1, 1),
        nhs_number=CARE_HOME_NHS,
        email="office@rosewood.example",
        is_care_home=True,
    )
    resident = make_patient(db_session, a, "Edith Smith", dob=date(1931, 5, 6), care_home_resident=True)
    link(db_session, self_account(db_session, home), resident, "care_home")
    niamh = make_patient(db_session, a, "Niamh O\u2019Neill", dob=date(1977, 8, 9))  # a curly apostrophe
    elodie = make_patient(db_session, a, "\u00c9lodie Durand", dob=date(1966, 6, 6))
    # Same name and date of birth at another practice: never found from practice A.
    elsewhere = make_patient(
        db_session, b, "Zoe Smith", nhs_number=valid_nhs_number("401023213"), email="zoe.b@example.com"
    )
    return {
        "zoe": zoe,
        "sam": sam,
        "home": home,
        "resident": resident,
        "niamh": niamh,
        "elodie": elodie,
        "elsewhere": elsewhere,
    }


# (what is typed, who is found in order, what kind of search it is)
SEARCHES = [
    ("943 476 5919", ["zoe"], "nhs_number"),
    ("943-476-5919", ["zoe"], "nhs_number"),
    ("9434765919", ["zoe"], "nhs_number"),
    ("999 999 0012", ["home"], "nhs_number"),  # a care home's dummy number
    ("14/03/1985", ["zoe"], "dob"),
    ("1985-03-14", ["zoe"], "dob"),
    ("2/1/1990", ["sam"], "dob"),
    ("31/02/1985", [], "dob"),  # not a real date
    ("zoe.smith@example.com", ["zoe"], "email"),
    ("ZOE.SMITH@EXAMPLE.COM", ["zoe"], "email"),
    ("office@rosewood.example", ["resident", "home"], "email"),  # the home and who it holds
    ("zoe.b@example.com", [], "email"),  # an account at another practice
    ("smith", ["resident", "zoe"], "name"),
    ("SMI", ["resident", "zoe"], "name"),
    ("jones", ["zoe"], "name"),  # after a hyphen
    ("brien", ["sam"], "name"),  # after an apostrophe
    ("zoe", ["zoe"], "name"),  # accents don't matter ...
    ("ZOË SMITH-J", ["zoe"], "name"),
    ("elodie", ["elodie"], "name"),  # ... on a capital either
    ("o'brien", ["sam"], "name"),
    ("obrien", ["sam"], "name"),  # with or without the apostrophe
    ("o'neill", ["niamh"], "name"),  # straight or curly
    ("oneill", ["niamh"], "name"),
    ("neill", ["niamh"], "name"),
    ("mith", [], "name"),  # not the start of a word
    ("ed smi", ["resident"], "name"),  # every word must match
    ("smith, edith", ["resident"], "name"),
    ("rosewood care", ["home"], "name"),
    ("%%", [], "name"),  # LIKE wildcards are just characters
    ("__", [], "name"),
]


def test_search_by_each_kind(db_session, world, people):
    """One world, every kind of query (the fixtures cost more than the searches)."""
    for query, expected, by in SEARCHES:
        before = {e.id for e in audit_events(db_session, "patient_search")}
        rows = patient_search.search_patients(db_session, world["receptionist"], query)
        assert [row.id for row in rows] == [people[key].id for key in expected], query
        [event] = [e for e in audit_events(db_session, "patient_search") if e.id not in before]
        assert audit.event_detail(event) == {"results": len(expected), "by": by}, query
        assert event.actor_kind == "staff" and event.actor_account_id == world["receptionist"].account_id
        assert event.practice_id == world["a"].id and event.patient_id is None
        assert query.strip().lower() not in event.detail.lower()


def test_search_rows_show_what_the_list_needs(db_session, world, people):
    [zoe] = patient_search.search_patients(db_session, world["clinician"], "zoe")
    assert zoe == patient_search.PatientRow(
        id=people["zoe"].id,
        full_name="Zoë Smith-Jones",
        date_of_birth="14 Mar 1985",
        nhs_number="943 476 5919",
        postcode="MB1 2AB",
        verification_status="verified",
        is_care_home=False,
        email="Zoe.Smith@Example.com",
    )
    [edith] = patient_search.search_patients(db_session, world["clinician"], "edith")
    assert (edith.nhs_number, edith.email, edith.date_of_birth) == ("Not known", "", "6 May 1931")
    [home] = patient_search.search_patients(db_session, world["clinician"], "rosewood")
    assert home.is_care_home and home.nhs_number == "999 999 0012"


def test_search_is_scoped_to_the_practice(db_session, world, people):
    assert patient_search.search_patients(db_session, world["b_staff"], "smith") == [
        patient_search.PatientRow(
            people["elsewhere"].id,
            "Zoe Smith",
            "14 Mar 1985",
            "401 023 2137",
            "MB1 2AB",
            "verified",
            False,
            "zoe.b@example.com",
        )
    ]
    assert patient_search.search_patients(db_session, world["b_staff"], ZOE_NHS) == []
    assert patient_search.search_patients(db_session, world["b_staff"], "zoe.smith@example.com") == []


def test_short_queries_find_nothing_and_read_nothing(db_session, world, people):
    for query in ["", " ", "z", "  z  ", None]:
        assert patient_search.search_patients(db_session, world["receptionist"], query) == []  # type: ignore[arg-type]
    assert audit_events(db_session, "patient_search") == []


def test_search_limit(db_session, world):
    for i in range(5):
        make_patient(db_session, world["a"], f"Alex Test{i}", dob=date(1970, 1, i + 1))
    assert len(patient_search.search_patients(db_session, world["admin"], "alex", limit=3)) == 3
    assert len(patient_search.search_patients(db_session, world["admin"], "alex")) == 5


def test_search_skips_a_removed_email(db_session, world, people):
    assert patient_records.remove_patient_email(
        db_session, world["receptionist"], people["zoe"].id, confirmed_no_email=True
    ).ok
    account = self_account(db_session, people["zoe"])
    assert patient_search.search_patients(db_session, world["receptionist"], "zoe.smith@example.com") == []
    assert patient_search.search_patients(db_session, world["receptionist"], account.email_normalized) == []
    [row] = patient_search.search_patients(db_session, world["receptionist"], "zoe")
    assert row.email == ""


@pytest.mark.parametrize(
    ("query", "kind", "value"),
    [
        ("943 476 5919", "nhs_number", "9434765919"),
        ("1985-03-14", "dob", date(1985, 3, 14)),
        ("14.03.1985", "dob", date(1985, 3, 14)),
        ("  Jo@X.com ", "email", "jo@x.com"),
        ("Zoe  SMITH", "name", ["zoe", "smith"]),
        ("12345", "name", ["12345"]),
    ],
)
def test_classify_query(query, kind, value):
    assert patient_search.classify_query(query) == (kind, value)


# --- 2. Patient details ------------------------------------------------------------------------------


def test_detail_shows_holders_and_dependants(db_session, world, people):
    a, b = world["a"], world["b"]
    zoe, home, resident = people["zoe"], people["home"], people["resident"]
    zoe.phone_mobile, zoe.address_line1, zoe.preferred_name = "+447700900982", "1 High Street", "Zo"
    child = make_patient(db_session, a, "Kit Smith-Jones", dob=date(2015, 7, 1))
    teen = make_patient(db_session, a, "Lou Smith-Jones", dob=date(2008, 7, 1))
    away = make_patient(db_session, b, "Max Smith-Jones", dob=date(2012, 7, 1))
    zoe_account = self_account(db_session, zoe)
    link(db_session, zoe_account, child, "dependant")
    link(db_session, zoe_account, teen, "dependant", approval="pending")
    link(db_session, zoe_account, away, "dependant")
    other_parent = make_account(db_session, "pat@example.com")
    link(db_session, other_parent, child, "dependant")

    detail = patient_records.patient_detail(db_session, world["clinician"], zoe.id, today=TODAY)
    assert (
        detail.full_name,
        detail.preferred_name,
        detail.date_of_birth,
        detail.date_of_birth_display,
        detail.age,
    ) == ("Zoë Smith-Jones", "Zo", date(1985, 3, 14), "14 Mar 1985", 40)
    assert (detail.nhs_number, detail.postcode, detail.address_line1, detail.phone, detail.email) == (
        "943 476 5919",
        "MB1 2AB",
        "1 High Street",
        "07700 900982",
        "Zoe.Smith@Example.com",
    )
    assert (detail.verification_status, detail.is_care_home, detail.care_home_resident, detail.housebound) == (
        "verified",
        False,
        False,
        False,
    )
    assert [(x.email, x.relationship, x.approval_status) for x in detail.linked_accounts] == [
        ("Zoe.Smith@Example.com", "self", "not_needed")
    ]
    assert [
        (d.patient_id, d.full_name, d.date_of_birth, d.relationship, d.approval_status) for d in detail.dependants
    ] == [
        (child.id, "Kit Smith-Jones", "1 Jul 2015", "dependant", "not_needed"),
        (teen.id, "Lou Smith-Jones", "1 Jul 2008", "dependant", "pending"),
    ]
    assert detail.dependants_elsewhere == 1  # Max is another practice's patient: not named
    assert detail.held_by == ()

    kit = patient_records.patient_detail(db_session, world["clinician"], child.id, today=TODAY)
    assert [(h.name, h.email, h.relationship) for h in kit.held_by] == [
        ("Zoë Smith-Jones", "Zoe.Smith@Example.com", "dependant"),
        ("", "pat@example.com", "dependant"),
    ]
    assert kit.email == "" and kit.dependants == () and kit.age == 9

    edith = patient_records.patient_detail(db_session, world["clinician"], resident.id, today=TODAY)
    [holder] = edith.held_by
    assert (holder.name, holder.email, holder.relationship, holder.is_care_home) == (
        "Rosewood Care Home",
        "office@rosewood.example",
        "care_home",
        True,
    )
    assert edith.care_home_resident and edith.nhs_number == "Not known"
    rosewood = patient_records.patient_detail(db_session, world["clinician"], home.id, today=TODAY)
    assert rosewood.is_care_home and [d.full_name for d in rosewood.dependants] == ["Edith Smith"]

    viewed = audit_events(db_session, "patient_viewed")
    assert [e.patient_id for e in viewed] == [zoe.id, child.id, resident.id, home.id]
    assert {e.practice_id for e in viewed} == {a.id}


def test_detail_phone_display(db_session, world):
    patient = make_patient(db_session, world["a"], phone_mobile="+442079460018")
    assert patient_records.patient_detail(db_session, world["admin"], patient.id).phone == "020 7946 0018"


# --- 3. Editing ------------------------------------------------------------------------------------

GOOD_EDIT = {
    "full_name": " Zoe   Anne Smith ",
    "dob_day": "14",
    "dob_month": "3",
    "dob_year": "1985",
    "postcode": "sw1a1aa",
    "address_line1": "1 High Street",
    "phone": "020 7946 0018",
    "housebound": True,
    "care_home_resident": False,
}


def test_update_saves_and_audits_changed_fields(db_session, world):
    patient = make_patient(db_session, world["a"], phone_mobile="+447700900982")
    assert (
        patient_records.update_patient(db_session, world["receptionist"], patient.id, **GOOD_EDIT, today=TODAY).errors
        == {}
    )
    fresh(db_session, patient)
    assert (patient.full_name, patient.date_of_birth, patient.postcode, patient.address_line1) == (
        "Zoe Anne Smith",
        date(1985, 3, 14),
        "SW1A 1AA",
        "1 High Street",
    )
    assert (patient.phone_mobile, patient.housebound, patient.care_home_resident) == ("+442079460018", True, False)
    assert patient.verification_status == "verified"
    [event] = audit_events(db_session, "patient_updated")
    assert audit.event_detail(event) == {
        "fields": ["full_name", "postcode", "address_line1", "phone_mobile", "housebound"]
    }
    assert event.patient_id == patient.id and event.actor_account_id == world["receptionist"].account_id
    # Saving the same again changes nothing and writes nothing.
    assert (
        patient_records.update_patient(db_session, world["receptionist"], patient.id, **GOOD_EDIT, today=TODAY).errors
        == {}
    )
    assert len(audit_events(db_session, "patient_updated")) == 1


def test_update_phone_may_be_blank(db_session, world):
    patient = make_patient(db_session, world["a"], phone_mobile="+447700900982")
    assert (
        patient_records.update_patient(
            db_session, world["clinician"], patient.id, **(GOOD_EDIT | {"phone": ""}), today=TODAY
        ).errors
        == {}
    )
    assert fresh(db_session, patient).phone_mobile == ""


# (what is changed on a good form, the errors shown)
EDIT_ERRORS = [
    ({"full_name": "  "}, {"full_name": "Enter the patient's full name"}),
    (
        {"full_name": "Zoe 5mith"},
        {"full_name": "Full name must only include letters, spaces, hyphens, apostrophes and full stops"},
    ),
    ({"dob_day": "31", "dob_month": "2"}, {"dob": "Date of birth must be a real date"}),
    ({"dob_day": "", "dob_month": "", "dob_year": ""}, {"dob": "Enter the patient's date of birth"}),
    ({"dob_year": "2030"}, {"dob": "Date of birth must be in the past"}),
    ({"postcode": ""}, {"postcode": "Enter the patient's postcode"}),
    ({"postcode": "XYZ"}, {"postcode": "Enter a real postcode, like SW1A 1AA"}),
    ({"address_line1": "a\nb"}, {"address_line1": "Address line 1 must not include line breaks or hidden characters"}),
    (
        {"address_line1": "x" * 201},
        {"address_line1": "Address line 1 must be 200 characters or fewer. You have 1 character too many."},
    ),
    ({"phone": "0800 123 456"}, {"phone": validation.PHONE_INVALID}),
    ({"phone": "020 7946 001"}, {"phone": validation.PHONE_LENGTH}),
    (
        {"full_name": "", "postcode": "nope", "phone": "12"},
        {
            "full_name": "Enter the patient's full name",
            "postcode": "Enter a real postcode, like SW1A 1AA",
            "phone": validation.PHONE_INVALID,
        },
    ),
]


def test_update_errors_save_nothing(db_session, world):
    patient = make_patient(db_session, world["a"], phone_mobile="+447700900982", address_line1="Old Road")
    db_session.commit()
    before = patient.model_dump()
    for changes, errors in EDIT_ERRORS:
        assert (
            patient_records.update_patient(
                db_session, world["receptionist"], patient.id, **(GOOD_EDIT | changes), today=TODAY
            ).errors
            == errors
        )
        db_session.expire_all()
        assert db_session.get(Patient, patient.id).model_dump() == before, changes
    assert audit_events(db_session, "patient_updated") == []


def test_a_care_home_record_cannot_be_a_resident(db_session, world):
    home = make_patient(db_session, world["a"], "Rosewood Care Home", nhs_number=CARE_HOME_NHS, is_care_home=True)
    edit = GOOD_EDIT | {"full_name": "Rosewood Care Home", "care_home_resident": True}
    assert patient_records.update_patient(db_session, world["admin"], home.id, **edit, today=TODAY).errors == {
        "care_home_resident": "A care home's own record can't be a care home resident"
    }


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("", ""),
        ("  ", ""),
        ("020 7946 0018", "+442079460018"),
        ("(020) 7946-0018", "+442079460018"),
        ("+44 (0)20 7946 0018", "+442079460018"),
        ("0044 20 7946 0018", "+442079460018"),
        ("442079460018", "+442079460018"),
        ("01632 960001", "+441632960001"),
        ("016977 3456", "+44169773456"),  # a 10-digit 01 number
        ("0300 123 4567", "+443001234567"),
        ("07700 900982", "+447700900982"),
        ("+44 7700 900982", "+447700900982"),
    ],
)
def test_clean_uk_phone_accepts(raw, e164):
    assert validation.clean_uk_phone(raw) == e164


@pytest.mark.parametrize(
    "raw",
    [
        "12",
        "0800 123 4567",
        "0900 123 4567",
        "07000 123456",
        "+33 1 23 45 67 89",
        "020 7946 00189",
        "01632 9600",
        "phone me",
        "0２0 7946 0018",
        "0" * 31,
    ],
)
def test_clean_uk_phone_refuses(raw):
    with pytest.raises(FieldError):
        validation.clean_uk_phone(raw)


@pytest.mark.parametrize(
    ("e164", "shown"),
    [
        ("+442079460018", "020 7946 0018"),
        ("+441134960000", "0113 496 0000"),
        ("+441614960000", "0161 496 0000"),
        ("+441632960001", "01632 960001"),
        ("+443001234567", "0300 123 4567"),
        ("+447700900982", "07700 900982"),
        ("", ""),
    ],
)
def test_format_uk_phone(e164, shown):
    assert validation.format_uk_phone(e164) == shown


# --- 4. "This patient has no email address" --------------------------------------------------------


def test_removing_an_email_needs_the_confirmation(db_session, world):
    patient = make_patient(db_session, world["a"], email="office@rosewood.example")
    for confirmed in (False, None, "true", 1):
        assert patient_records.remove_patient_email(
            db_session, world["receptionist"], patient.id, confirmed_no_email=confirmed
        ).message == (  # type: ignore[arg-type]
            "Confirm this patient has no email address"
        )
    account = self_account(db_session, patient)
    assert (account.status, account.email) == ("active", "office@rosewood.example")
    assert audit_events(db_session, "patient_email_removed") == []


def test_removing_an_email_frees_it_for_the_care_home_account(db_session, world, cheap_argon2):
    """The care-home guide: a resident was registered with the home's email address; the practice
    removes it, then the care home can create its own account with that address."""
    a = world["a"]
    resident = make_patient(
        db_session, a, "Edith Smith", dob=date(1931, 5, 6), email="Office@Rosewood.example", care_home_resident=True
    )
    old = self_account(db_session, resident)
    old.password_hash, old.nhs_login_sub = "argon2-hash-stand-in", "nhs-login-sub-1"
    parent_like = make_account(db_session, "daughter@example.com")
    family_link = link(db_session, parent_like, resident, "dependant")
    other = make_patient(db_session, a, "Ann Other", dob=date(1940, 1, 1))
    held = link(db_session, old, other, "dependant")  # the old account also held someone
    token = sessions.start(db_session, old)
    other_token = sessions.start(db_session, parent_like)
    code = tokens.issue_code(
        db_session, purpose=tokens.PASSWORD_RESET, email_normalized=old.email_normalized, account_id=old.id
    )
    change = tokens.issue_link(
        db_session, purpose="email_change", email_normalized="new@example.com", account_id=old.id
    )
    db_session.commit()
    assert code and change

    found = patient_search.search_patients(db_session, world["receptionist"], "office@rosewood.example")
    assert [r.id for r in found] == [other.id, resident.id]  # whom the address belongs to, and whom it holds
    assert patient_records.remove_patient_email(
        db_session, world["receptionist"], str(resident.id), confirmed_no_email=True
    ).ok
    db_session.commit()

    old = fresh(db_session, old)
    assert (old.status, old.email, old.email_normalized) == ("removed", "", f"removed-{old.id}@invalid")
    assert old.password_hash is None and old.nhs_login_sub is None
    # Signed out everywhere; the family's account is untouched.
    assert sessions.resolve(db_session, token) is None
    assert (
        db_session.exec(
            select(AuthSession).where(AuthSession.account_id == old.id, col(AuthSession.revoked_at).is_(None))
        ).all()
        == []
    )
    assert sessions.resolve(db_session, other_token) is not None
    open_tokens = db_session.exec(
        select(OneTimeToken).where(OneTimeToken.account_id == old.id, col(OneTimeToken.revoked_at).is_(None))
    ).all()
    assert open_tokens == []
    # The links stay: history is kept, and the family's link is unaffected.
    assert registration.self_patient(db_session, old.id).id == resident.id
    assert (
        fresh(db_session, family_link).approval_status == "not_needed" and fresh(db_session, held).account_id == old.id
    )
    detail = patient_records.patient_detail(db_session, world["receptionist"], resident.id)
    assert detail.email == ""
    assert [(x.email, x.relationship, x.status) for x in detail.linked_accounts] == [
        ("No email", "self", "removed"),
        ("daughter@example.com", "dependant", "active"),
    ]
    [event] = audit_events(db_session, "patient_email_removed")
    assert event.patient_id == resident.id and event.account_id == old.id
    assert audit.event_detail(event) == {
        "had_account": True,
        "had_nhs_login": True,
        "sessions_ended": 1,
        "links_revoked": 2,
        "people_held": 1,
    }
    assert "rosewood" not in event.detail.lower()

    # "Then try creating the care home account again": the address is free.
    outcome = accounts.start_sign_up(
        db_session, email="office@rosewood.example", client_ip="203.0.113.9", base_url="https://anima.test"
    )
    assert outcome.ok
    [mail] = outbox(db_session, "verify_email")
    secret = unquote(mail.body_text.split("token=")[1].split()[0])
    assert accounts.complete_sign_up(db_session, secret=secret, password="Quince-Ladder-81").status == "confirmed"
    db_session.commit()
    new = accounts.find_account(db_session, "OFFICE@rosewood.example")
    assert new is not None and new.id != old.id and new.status == "active"


def test_a_freed_address_can_be_used_directly(db_session, world):
    patient = make_patient(db_session, world["a"], email="jo@example.com")
    assert patient_records.remove_patient_email(db_session, world["admin"], patient.id, confirmed_no_email=True).ok
    make_account(db_session, "JO@example.com")
    db_session.commit()  # the unique index on email_normalized is satisfied
    assert (
        db_session.exec(select(func.count(col(Account.id))).where(Account.email_normalized == "jo@example.com")).one()
        == 1
    )


def test_removing_when_there_is_no_email_is_harmless(db_session, world):
    patient = make_patient(db_session, world["a"])  # no account of their own
    assert patient_records.remove_patient_email(
        db_session, world["receptionist"], patient.id, confirmed_no_email=True
    ).ok
    [event] = audit_events(db_session, "patient_email_removed")
    assert audit.event_detail(event) == {"had_account": False}
    # Twice is harmless too.
    owned = make_patient(db_session, world["a"], "Jo Bloggs", email="jo@example.com")
    for _ in range(2):
        assert patient_records.remove_patient_email(
            db_session, world["receptionist"], owned.id, confirmed_no_email=True
        ).ok
    assert self_account(db_session, owned).email_normalized == f"removed-{self_account(db_session, owned).id}@invalid"


# --- 5. The verification queue --------------------------------------------------------------------


def test_queue_has_pending_registrations_and_dependants_of_this_practice(db_session, world):
    a, b = world["a"], world["b"]
    t0 = datetime(2025, 6, 1, 9, 30, tzinfo=UTC)
    first = make_patient(
        db_session,
        a,
        "Jo Bloggs",
        nhs_number=ZOE_NHS,
        status="pending",
        email="jo@example.com",
        verification_note="Date of birth differs from the practice register",
        created_at=t0,
    )
    second = make_patient(db_session, a, "Al Bloggs", status="pending", created_at=t0 + timedelta(hours=1))
    make_patient(db_session, a, "Vera Verified")
    make_patient(db_session, a, "Rex Rejected", status="rejected")
    make_patient(db_session, b, "Bo Elsewhere", status="pending")
    parent = make_patient(db_session, a, "Pat Parent", email="pat@example.com")
    teen = make_patient(db_session, a, "Tia Parent", dob=date(2008, 1, 1))
    pending_link = link(db_session, self_account(db_session, parent), teen, "dependant", approval="pending")
    pending_link.created_at = t0 + timedelta(days=1)
    done = make_patient(db_session, a, "Dan Parent", dob=date(2007, 1, 1))
    link(db_session, self_account(db_session, parent), done, "dependant", approval="approved")
    far = make_patient(db_session, b, "Far Away", dob=date(2008, 1, 1))
    link(db_session, self_account(db_session, parent), far, "dependant", approval="pending")  # B's to decide

    items = verifications.verification_queue(db_session, world["receptionist"])
    assert [(i.kind, i.patient_id, i.link_id) for i in items] == [
        ("registration", first.id, None),
        ("registration", second.id, None),
        ("dependant", teen.id, pending_link.id),
    ]
    assert items[0] == verifications.QueueItem(
        kind="registration",
        patient_id=first.id,
        link_id=None,
        full_name="Jo Bloggs",
        date_of_birth="14 Mar 1985",
        nhs_number="943 476 5919",
        postcode="MB1 2AB",
        reason="Date of birth differs from the practice register",
        submitted_at=t0,
        submitted="1 Jun 2025 10:30",  # UK summer time
        requested_by="jo@example.com",
    )
    assert items[1].nhs_number == "Not known" and items[1].requested_by == ""
    assert items[2].requested_by == "Pat Parent (pat@example.com)" and "16 or over" in items[2].reason
    [event] = audit_events(db_session, "verification_queue_viewed")
    assert audit.event_detail(event) == {"results": 3} and event.practice_id == a.id


# --- 6. Manual verification ------------------------------------------------------------------------


@pytest.fixture
def pending(db_session: Session, world: dict) -> dict:
    """A pending patient held by their own account, a parent, a care home, a closed account and a
    parent whose request to hold them was refused."""
    a = world["a"]
    patient = make_patient(
        db_session, a, "Jo Bloggs", status="pending", email="jo@example.com", verification_note="No match"
    )
    mum = make_account(db_session, "mum@example.com")
    link(db_session, mum, patient, "dependant", approval="approved")
    home = make_account(db_session, "office@rosewood.example")
    link(db_session, home, patient, "care_home")
    gone = make_account(db_session, "gone@example.com", status="disabled")
    link(db_session, gone, patient, "dependant")
    refused = make_account(db_session, "refused@example.com")
    link(db_session, refused, patient, "dependant", approval="rejected")
    db_session.commit()
    return {
        "patient": patient,
        "identity": sessions.Identity(self_account(db_session, patient).id, "jo@example.com", "patient", "x"),
    }


HOLDERS = ["jo@example.com", "mum@example.com", "office@rosewood.example"]


def test_verify_emails_every_holder(db_session, world, pending):
    patient = pending["patient"]
    assert verifications.verify_patient(db_session, world["clinician"], patient.id) is None
    fresh(db_session, patient)
    assert (
        patient.verification_status == "verified"
        and patient.verified_at is not None
        and patient.verification_note == ""
    )
    mails = outbox(db_session)
    assert [m.to_address for m in mails] == HOLDERS
    assert {m.template for m in mails} == {"verification_approved"}
    assert "verified by Riverside Surgery" in mails[0].body_text and "Jo" not in mails[0].body_text
    [event] = audit_events(db_session, "patient_verified")
    assert event.patient_id == patient.id and audit.event_detail(event) == {"emails": 3}
    assert registration.summary(db_session, pending["identity"]).status == "verified"
    # Only once: it is no longer pending.
    with pytest.raises(PermissionDenied) as denied:
        verifications.verify_patient(db_session, world["clinician"], patient.id)
    assert denied.value.message == verifications.NOT_PENDING
    with pytest.raises(PermissionDenied):
        verifications.reject_patient(db_session, world["clinician"], patient.id, reason="Changed my mind")
    assert len(outbox(db_session)) == 3


def test_reject_with_a_reason_the_patient_sees_but_the_email_does_not(db_session, world, pending):
    patient = pending["patient"]
    reason = "We could not find you on our register. Please bring photo ID to reception."
    assert verifications.reject_patient(db_session, world["receptionist"], patient.id, reason=f"  {reason} ").ok
    fresh(db_session, patient)
    assert (patient.verification_status, patient.verification_note, patient.verified_at) == ("rejected", reason, None)
    mails = outbox(db_session)
    assert [m.to_address for m in mails] == HOLDERS
    for mail in mails:
        assert mail.template == "verification_rejected"
        assert "Riverside Surgery could not verify your Anima account. Sign in to see why." in mail.body_text
        assert "register" not in mail.body_text and "photo" not in mail.body_text and "photo" not in mail.subject
    shown = registration.summary(db_session, pending["identity"])
    assert (shown.status, shown.rejection_reason) == ("rejected", reason)
    [event] = audit_events(db_session, "patient_rejected")
    assert "photo" not in event.detail


def test_reject_needs_a_reason(db_session, world, pending):
    patient = pending["patient"]
    for reason, error in [
        ("", "Enter a reason the patient will see"),
        ("   ", "Enter a reason the patient will see"),
        (None, "Enter a reason the patient will see"),
        ("x" * 301, "A reason the patient will see must be 300 characters or fewer. You have 1 character too many."),
        ("line\nbreak", "A reason the patient will see must not include line breaks or hidden characters"),
    ]:
        assert (
            verifications.reject_patient(db_session, world["receptionist"], patient.id, reason=reason).message == error
        )  # type: ignore[arg-type]
    assert fresh(db_session, patient).verification_status == "pending"
    assert outbox(db_session) == [] and audit_events(db_session, "patient_rejected") == []
    assert verifications.reject_patient(
        db_session, world["receptionist"], patient.id, reason="x" * 300
    ).ok  # 300 is fine


@pytest.mark.parametrize("status", ["verified", "rejected"])
def test_only_pending_patients_are_decided(db_session, world, status):
    patient = make_patient(db_session, world["a"], status=status, email="jo@example.com")
    for decide in (
        lambda: verifications.verify_patient(db_session, world["admin"], patient.id),
        lambda: verifications.reject_patient(db_session, world["admin"], patient.id, reason="No"),
    ):
        with pytest.raises(PermissionDenied) as denied:
            decide()
        assert denied.value.message == verifications.NOT_PENDING
    assert fresh(db_session, patient).verification_status == status
    assert outbox(db_session) == []


def test_two_staff_deciding_at_once_only_one_wins(db_session, world, pending):
    """The decision is a conditional update: a stale copy of the patient can't decide again."""
    patient = pending["patient"]
    db_session.exec(  # type: ignore[call-overload]
        Patient.__table__.update().where(Patient.__table__.c.id == patient.id).values(verification_status="verified")  # type: ignore[attr-defined]
    )
    assert patient.verification_status == "pending"  # this session's copy is stale
    with pytest.raises(PermissionDenied):
        verifications._claim_pending(db_session, patient, {"verification_status": "rejected"})


# --- 7. Dependants of 16 or over -------------------------------------------------------------------


@pytest.fixture
def teen_link(db_session: Session, world: dict) -> AccountPatient:
    parent = make_patient(db_session, world["a"], "Pat Parent", email="pat@example.com")
    teen = make_patient(db_session, world["a"], "Tia Parent", dob=date(2008, 1, 1))
    return link(db_session, self_account(db_session, parent), teen, "dependant", approval="pending")


def test_approve_dependant(db_session, world, teen_link):
    assert verifications.approve_dependant(db_session, world["clinician"], teen_link.id) is None
    assert (fresh(db_session, teen_link).approval_status, teen_link.approval_note) == ("approved", "")
    [mail] = outbox(db_session)
    assert (mail.to_address, mail.template) == ("pat@example.com", "dependant_approved")
    assert "Tia" not in mail.body_text and "reviewed by Riverside Surgery" in mail.body_text
    [event] = audit_events(db_session, "dependant_approved")
    assert (event.patient_id, event.account_id) == (teen_link.patient_id, teen_link.account_id)
    assert audit.event_detail(event) == {"link_id": teen_link.id, "emails": 1}
    with pytest.raises(PermissionDenied) as denied:
        verifications.decline_dependant(db_session, world["clinician"], teen_link.id, reason="No")
    assert denied.value.message == verifications.LINK_NOT_PENDING


def test_decline_dependant(db_session, world, teen_link):
    assert (
        verifications.decline_dependant(db_session, world["receptionist"], teen_link.id, reason="").message
        == "Enter a reason the patient will see"
    )
    assert fresh(db_session, teen_link).approval_status == "pending" and outbox(db_session) == []
    reason = "Tia needs to agree to this herself: ask her to call us."
    assert verifications.decline_dependant(db_session, world["receptionist"], str(teen_link.id), reason=reason).ok
    assert (fresh(db_session, teen_link).approval_status, teen_link.approval_note) == ("rejected", reason)
    [mail] = outbox(db_session)
    assert mail.template == "dependant_declined" and "agree" not in mail.body_text and "Tia" not in mail.body_text
    assert len(audit_events(db_session, "dependant_declined")) == 1
    with pytest.raises(PermissionDenied):
        verifications.approve_dependant(db_session, world["receptionist"], teen_link.id)


def test_dependant_links_of_other_practices_or_self_links_are_not_found(db_session, world, teen_link):
    parent_link = db_session.exec(
        select(AccountPatient).where(
            AccountPatient.account_id == teen_link.account_id, AccountPatient.relationship == "self"
        )
    ).one()
    for link_id in (teen_link.id, 10_000, "abc", None, parent_link.id):
        staff = world["b_staff"] if link_id == teen_link.id else world["admin"]
        with pytest.raises(PermissionDenied) as denied:
            verifications.approve_dependant(db_session, staff, link_id)
        assert denied.value.message == verifications.LINK_NOT_FOUND
    assert fresh(db_session, teen_link).approval_status == "pending"


# --- 8. The audit trail ----------------------------------------------------------------------------


def test_audit_trail_is_for_admins_newest_first(db_session, world):
    patient = make_patient(db_session, world["a"], "Jo Bloggs", status="pending", email="jo@example.com")
    own = self_account(db_session, patient)
    audit.record(
        db_session, action="patient_registered", actor_account_id=own.id, actor_kind="patient", patient_id=patient.id
    )
    audit.record(db_session, action="outbox_bounce", actor_account_id=None, actor_kind="system", patient_id=patient.id)
    patient_records.patient_detail(db_session, world["clinician"], patient.id)
    patient_records.update_patient(db_session, world["receptionist"], patient.id, **GOOD_EDIT)
    verifications.verify_patient(db_session, world["receptionist"], patient.id)
    other = make_patient(db_session, world["a"], "Someone Else")
    patient_records.patient_detail(db_session, world["clinician"], other.id)  # not this patient's trail
    # Spread the times so the order is by time (the clock may not tick between rows).
    base = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)
    for i, event in enumerate(audit_events(db_session)):
        event.at = base + timedelta(minutes=i)
        db_session.add(event)
    db_session.flush()

    for role in ("receptionist", "clinician"):
        with pytest.raises(PermissionDenied):
            audit_trail.audit_trail(db_session, world[role], patient.id)
    rows = audit_trail.audit_trail(db_session, world["admin"], patient.id)
    assert [(r.action, r.actor) for r in rows] == [
        ("patient_verified", "Rita Reception"),
        ("patient_updated", "Rita Reception"),
        ("patient_viewed", "Dr Cara Clinic"),
        ("outbox_bounce", "System"),
        ("patient_registered", "Patient"),
    ]
    assert rows[0].at == "10 Jan 2025 12:04"  # UK time (GMT in January)
    assert rows[0].detail == "emails: 1"
    assert rows[1].detail.startswith("fields: full_name, postcode")
    viewed = audit_events(db_session, "audit_trail_viewed")
    assert [(e.patient_id, e.actor_account_id, audit.event_detail(e)) for e in viewed] == [
        (patient.id, world["admin"].account_id, {"results": 5})
    ]
    # Reading the trail is itself on the trail, and the limit applies.
    again = audit_trail.audit_trail(db_session, world["admin"], patient.id, limit=2)
    assert len(again) == 2 and "audit_trail_viewed" in {r.action for r in again}


def test_results_are_frozen_dataclasses_not_rows(db_session, world, people):
    import dataclasses

    results = [
        patient_search.search_patients(db_session, world["admin"], "zoe")[0],
        patient_records.patient_detail(db_session, world["admin"], people["zoe"].id),
        audit_trail.audit_trail(db_session, world["admin"], people["zoe"].id)[0],
    ]
    for result in results:
        assert dataclasses.is_dataclass(result) and type(result).__dataclass_params__.frozen  # type: ignore[attr-defined]
        with pytest.raises(dataclasses.FrozenInstanceError):
            result.full_name = "x"  # type: ignore[misc]
    assert json.dumps(dataclasses.asdict(results[0]))  # plain values, ready for a screen
