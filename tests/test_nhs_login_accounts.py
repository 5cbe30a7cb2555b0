"""NHS login and Anima accounts: the flow bound to a tab, sign-in or new account by `sub` (never by
email), the claims kept for the details form, registering with trusted details, and connecting."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from anima_pwa.models import (
    Account,
    AccountPatient,
    AuthSession,
    OneTimeToken,
    Patient,
    PracticeRegisterEntry,
    utcnow,
)
from anima_pwa.services.identity import sessions, tokens
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.nhs_login import accounts as nla
from anima_pwa.services.nhs_login.client import NhsLoginIdentity
from anima_pwa.services.patients import registration
from anima_pwa.services.patients.registration import DetailsForm, TrustedIdentity
from anima_pwa.services.patients.verification import PENDING, VERIFIED
from tests import factories
from tests.factories import (
    audit_actions,
    count,
    identity_of,
    make_patient,
    make_practice,
    on_register,
    valid_nhs_number,
)

TODAY = date(2025, 6, 15)
IP = "203.0.113.9"
STATE = "state-" + "s" * 40
NONCE = "nonce-" + "n" * 40


ZOE = valid_nhs_number("943476591")
OTHER = valid_nhs_number("485777345")
ZOE_DOB = date(1980, 2, 1)
CLAIMS = {
    "sub": "49f470a1-cc52-49b7-beba-0f9cec937c46",
    "nhs_number": ZOE,
    "given_name": "Zoe",
    "family_name": "Smith",
    "birthdate": ZOE_DOB.isoformat(),
    "email": "zoe@example.com",
    "email_verified": True,
    "phone_number": "+447700900982",
    "phone_number_verified": True,
    "gp_registration_details": {"gp_ods_code": "A81001"},
    "vot": "P9.Cp.Cd",
    "identity_proofing_level": "P9",
}


def person(**changes) -> NhsLoginIdentity:
    """Zoe as NHS login describes her (checked by from_claims), with any fields changed."""
    return dataclasses.replace(NhsLoginIdentity.from_claims(CLAIMS), **changes)


# --- helpers ----------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """One controllable clock for tokens (flow and claims expiry) and this service."""
    clock = Clock()
    monkeypatch.setattr(tokens, "utcnow", clock)
    monkeypatch.setattr(nla, "utcnow", clock)
    return clock


def make_account(db: Session, email: str = "jo@example.com", **fields) -> Account:
    """An account that has a password (a stand-in hash)."""
    return factories.make_account(db, email, password_hash="x", **fields)


def by_sub(db: Session, sub: str) -> list[Account]:
    db.flush()
    return list(db.exec(select(Account).where(Account.nhs_login_sub == sub)).all())


def signed_in_account(db: Session, outcome: nla.NhsOutcome) -> Identity:
    assert outcome.ok, outcome.message
    who = sessions.resolve(db, outcome.session_token)
    assert who is not None
    assert who.method == "nhs_login"
    return who


@pytest.fixture
def world(db_session: Session) -> dict:
    practice = make_practice(
        db_session, "A81001", email="a81001.admin@nhs.example", postcode="MB1 1AA", phone="01632 960001"
    )
    closed = make_practice(db_session, "C83003", status="closed", postcode="MB1 1AA", phone="01632 960001")
    on_register(db_session, practice, ZOE, "Zoe", "Smith", ZOE_DOB, "MB1 2AB")
    return {"practice": practice, "closed": closed}


# --- the flow ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "with_account"), [(nla.SIGN_IN, False), (nla.CONNECT, True)])
def test_a_flow_is_taken_once_with_its_binding(db_session, clock, mode, with_account):
    account_id = make_account(db_session).id if with_account else None
    flow = nla.begin(db_session, mode=mode, account_id=account_id, state=STATE, nonce=NONCE, next_path="/home")
    assert (flow.state, flow.nonce) == (STATE, NONCE)
    assert flow.tab_binding == nla.tab_binding(STATE) and flow.tab_binding not in (STATE, "")

    taken = nla.take_flow(db_session, state=STATE, binding=flow.tab_binding)
    assert taken == nla.PendingFlow(nonce=NONCE, mode=mode, account_id=account_id, next_path="/home")
    assert nla.take_flow(db_session, state=STATE, binding=flow.tab_binding) is None  # single use


def test_the_state_is_not_stored_in_clear(db_session, clock):
    nla.begin(db_session, mode=nla.SIGN_IN, account_id=None, state=STATE, nonce=NONCE)
    (row,) = db_session.exec(select(OneTimeToken)).all()
    assert row.purpose == nla.FLOW
    assert STATE not in row.secret_hash and STATE not in row.payload


@pytest.mark.parametrize(
    "binding",
    ["", nla.tab_binding("another-state"), nla.tab_binding(STATE).upper(), STATE, nla.tab_binding(STATE)[:-1]],
    ids=["empty", "another tab's", "case changed", "the state itself", "truncated"],
)
def test_a_flow_cannot_be_taken_without_its_binding(db_session, clock, binding):
    flow = nla.begin(db_session, mode=nla.SIGN_IN, account_id=None, state=STATE, nonce=NONCE)
    assert nla.take_flow(db_session, state=STATE, binding=binding) is None
    # The wrong binding didn't use the flow up: the tab that started it can still finish.
    assert nla.take_flow(db_session, state=STATE, binding=flow.tab_binding) is not None


@pytest.mark.parametrize("state", ["", "unknown-state", STATE + "x", STATE.upper()])
def test_an_unknown_state_is_refused_even_with_its_own_binding(db_session, clock, state):
    nla.begin(db_session, mode=nla.SIGN_IN, account_id=None, state=STATE, nonce=NONCE)
    assert nla.take_flow(db_session, state=state, binding=nla.tab_binding(state)) is None


@pytest.mark.parametrize(
    ("after", "usable"),
    [(timedelta(minutes=9, seconds=59), True), (timedelta(minutes=10), False), (timedelta(hours=1), False)],
)
def test_a_flow_lasts_ten_minutes(db_session, clock, after, usable):
    flow = nla.begin(db_session, mode=nla.SIGN_IN, account_id=None, state=STATE, nonce=NONCE)
    clock.advance(after)
    assert (nla.take_flow(db_session, state=STATE, binding=flow.tab_binding) is not None) is usable


@pytest.mark.parametrize(
    ("mode", "account_id"),
    [("login", None), ("", None), ("CONNECT", None), (nla.CONNECT, None)],
)
def test_begin_refuses_an_unknown_mode_or_connect_without_an_account(db_session, clock, mode, account_id):
    with pytest.raises(ValueError):
        nla.begin(db_session, mode=mode, account_id=account_id, state=STATE, nonce=NONCE)
    assert count(db_session, OneTimeToken) == 0


# --- sign in or register ----------------------------------------------------------------------


@pytest.mark.parametrize("email_verified", [True, False])
def test_a_new_sub_gets_one_patient_account_and_a_session(db_session, clock, world, email_verified):
    nhs_id = person(email="Zoe.Smith@Example.com", email_verified=email_verified)
    outcome = nla.sign_in_or_register(db_session, nhs_id, client_ip=IP, user_agent="pytest")

    who = signed_in_account(db_session, outcome)
    assert outcome.needs_details is True
    (account,) = db_session.exec(select(Account)).all()
    assert who.account_id == account.id and who.kind == "patient"
    assert account.email == "Zoe.Smith@Example.com" and account.email_normalized == "zoe.smith@example.com"
    assert account.password_hash is None
    assert account.kind == "patient" and account.status == "active"
    assert account.nhs_login_sub == nhs_id.sub and account.nhs_login_linked_at == clock.now
    assert account.email_verified_at == (clock.now if email_verified else None)
    assert count(db_session, AuthSession) == 1
    assert audit_actions(db_session) == ["account_created", "sign_in"]
    assert nla.pending_details(db_session, account.id) is not None  # the claims wait for the form


def test_the_same_sub_signs_in_to_the_same_account_until_and_after_details(db_session, clock, world):
    first = signed_in_account(db_session, nla.sign_in_or_register(db_session, person()))
    # NHS login's email may change; the sub is what finds the account.
    again = nla.sign_in_or_register(db_session, person(email="zoe.new@example.com"))
    assert signed_in_account(db_session, again).account_id == first.account_id
    assert again.needs_details is True
    assert count(db_session, Account) == 1 and count(db_session, AuthSession) == 2

    details = nla.pending_details(db_session, first.account_id)
    assert details is not None
    outcome = registration.register_self(
        db_session,
        first,
        DetailsForm(
            postcode="MB1 2AB", mobile=details.mobile, practice_id=details.practice_id, over_18=True, terms=True
        ),
        today=TODAY,
        trusted=TrustedIdentity(details.full_name, details.date_of_birth, details.nhs_number),
    )
    assert outcome.ok, outcome.errors

    third = nla.sign_in_or_register(db_session, person())
    assert signed_in_account(db_session, third).account_id == first.account_id
    assert third.needs_details is False
    assert count(db_session, Account) == 1


@pytest.mark.parametrize("existing_email", ["zoe@example.com", "ZOE@Example.COM"])
def test_an_email_in_use_is_never_linked_by_email_alone(db_session, clock, world, existing_email):
    other = make_account(db_session, existing_email.strip())
    outcome = nla.sign_in_or_register(db_session, person(email="zoe@example.com"), client_ip=IP)

    assert outcome.message == nla.EMAIL_IN_USE
    assert not outcome.ok and outcome.session_token is None and outcome.needs_details is False
    assert count(db_session, Account) == 1
    assert count(db_session, AuthSession) == 0
    assert count(db_session, OneTimeToken) == 0  # no claims kept either
    db_session.refresh(other)
    assert other.nhs_login_sub is None and other.nhs_login_linked_at is None
    assert audit_actions(db_session) == []


def test_no_email_from_nhs_login_is_an_error(db_session, clock, world):
    outcome = nla.sign_in_or_register(db_session, person(email=None, email_verified=False))
    assert outcome.message and outcome.session_token is None
    assert count(db_session, Account) == 0 and count(db_session, AuthSession) == 0


@pytest.mark.parametrize(("kind", "status"), [("patient", "disabled"), ("staff", "active"), ("staff", "disabled")])
def test_a_closed_or_staff_account_with_the_sub_cannot_sign_in(db_session, clock, world, kind, status):
    account = make_account(db_session, kind=kind, status=status, nhs_login_sub=CLAIMS["sub"])
    outcome = nla.sign_in_or_register(db_session, person(email="someone.else@example.com"))
    assert outcome.message and outcome.session_token is None and not outcome.needs_details
    assert count(db_session, AuthSession) == 0
    assert count(db_session, Account) == 1  # and no new account for the other email
    assert nla.pending_details(db_session, account.id) is None


# --- the claims kept for the details form -----------------------------------------------------


def details_for(db: Session, nhs_id: NhsLoginIdentity) -> nla.NhsDetails | None:
    who = signed_in_account(db, nla.sign_in_or_register(db, nhs_id))
    return nla.pending_details(db, who.account_id)


def test_pending_details_are_what_nhs_login_said(db_session, clock, world):
    details = details_for(db_session, person())
    assert details == nla.NhsDetails(
        full_name="Zoe Smith",
        date_of_birth=ZOE_DOB,
        nhs_number=ZOE,
        practice_id=world["practice"].id,
        practice_name="Practice A81001",
        practice_postcode="MB1 1AA",
        mobile="07700 900982",
        proven=True,  # P9
    )
    assert not details_for(db_session, person(vot="P5.Cp.Cd", identity_proofing_level="P5")).proven


@pytest.mark.parametrize(
    ("given_name", "family_name", "full_name"),
    [("Zoe", "Smith", "Zoe Smith"), ("Zoe Anne", "Smith-Jones", "Zoe Anne Smith-Jones"), (None, "Smith", "Smith")],
)
def test_pending_full_name_is_given_then_family(db_session, clock, world, given_name, family_name, full_name):
    details = details_for(db_session, person(given_name=given_name, family_name=family_name))
    assert details is not None and details.full_name == full_name


@pytest.mark.parametrize(
    ("ods", "practice_key"),
    [("A81001", "practice"), ("C83003", None), ("Z99999", None), (None, None)],
    ids=["active", "closed", "unknown", "none"],
)
def test_pending_practice_only_when_active(db_session, clock, world, ods, practice_key):
    details = details_for(db_session, person(gp_ods_code=ods))
    assert details is not None
    expected = world[practice_key] if practice_key else None
    assert details.practice_id == (expected.id if expected else None)
    assert details.practice_name == (expected.name if expected else "")
    assert details.practice_postcode == (expected.postcode if expected else "")


@pytest.mark.parametrize(
    ("phone", "mobile"),
    [
        ("+447700900982", "07700 900982"),
        ("+447624123456", "07624 123456"),
        ("+441632960001", ""),  # a landline
        ("+447012345678", ""),  # personal numbering, not a mobile
        ("+33612345678", ""),  # another country's mobile
        (None, ""),
    ],
)
def test_pending_mobile_only_a_uk_mobile(db_session, clock, world, phone, mobile):
    details = details_for(db_session, person(phone_number=phone, phone_number_verified=phone is not None))
    assert details is not None and details.mobile == mobile


@pytest.mark.parametrize(("after", "kept"), [(timedelta(hours=23, minutes=59), True), (timedelta(days=1), False)])
def test_pending_details_last_a_day(db_session, clock, world, after, kept):
    who = signed_in_account(db_session, nla.sign_in_or_register(db_session, person()))
    clock.advance(after)
    assert (nla.pending_details(db_session, who.account_id) is not None) is kept


def test_signing_in_again_replaces_the_claims(db_session, clock, world):
    who = signed_in_account(db_session, nla.sign_in_or_register(db_session, person()))
    nla.sign_in_or_register(db_session, person(family_name="Jones", phone_number=None))
    details = nla.pending_details(db_session, who.account_id)
    assert details is not None and (details.full_name, details.mobile) == ("Zoe Jones", "")
    db_session.flush()
    assert len(db_session.exec(select(OneTimeToken).where(OneTimeToken.purpose == nla.CLAIMS)).all()) == 1


def test_pending_details_of_an_account_without_claims(db_session, clock, world):
    assert nla.pending_details(db_session, make_account(db_session).id) is None


# --- registering with trusted details ---------------------------------------------------------


JUNK = {"full_name": "Mallory Attacker", "dob_day": "1", "dob_month": "1", "dob_year": "2015", "nhs_number": OTHER}


def nhs_register(db: Session, who: Identity, practice_id: int | None, **form) -> registration.RegistrationOutcome:
    details = nla.pending_details(db, who.account_id)
    assert details is not None
    fields = {"postcode": "MB1 2AB", "mobile": "07700 900982", "over_18": True, "terms": True, **JUNK, **form}
    return registration.register_self(
        db,
        who,
        DetailsForm(practice_id=practice_id, **fields),
        client_ip=IP,
        today=TODAY,
        trusted=details.trusted(),
    )


def self_patient(db: Session, who: Identity) -> Patient:
    db.flush()
    patient = registration.self_patient(db, who.account_id)
    assert patient is not None
    return patient


@pytest.mark.parametrize(
    ("postcode", "status"),
    [("MB1 2AB", VERIFIED), ("LS1 4AP", VERIFIED), ("LS1 4AP", PENDING)],
    ids=["register matches", "name matches, postcode differs", "not on the register"],
)
def test_trusted_details_win_over_the_form(db_session, clock, world, postcode, status):
    if status == PENDING:
        db_session.exec(select(PracticeRegisterEntry)).one().nhs_number = OTHER
    who = signed_in_account(db_session, nla.sign_in_or_register(db_session, person()))
    outcome = nhs_register(db_session, who, world["practice"].id, postcode=postcode)
    assert outcome.ok, outcome.errors
    assert outcome.status == status

    patient = self_patient(db_session, who)
    assert (patient.full_name, patient.date_of_birth, patient.nhs_number) == ("Zoe Smith", ZOE_DOB, ZOE)
    assert patient.verification_status == status
    assert "patient_registered_nhs_login" in audit_actions(db_session)


def test_without_a_given_name_the_patient_is_named_by_the_family_name(db_session, clock, world):
    who = signed_in_account(db_session, nla.sign_in_or_register(db_session, person(given_name=None)))
    assert nhs_register(db_session, who, world["practice"].id).ok
    assert self_patient(db_session, who).full_name == "Smith"


@pytest.mark.parametrize(
    ("dob", "ok"),
    [(date(2007, 6, 15), True), (date(2007, 6, 16), False), (date(2020, 1, 1), False)],
    ids=["18 today", "18 tomorrow", "a child"],
)
def test_trusted_date_of_birth_must_be_an_adult(db_session, clock, world, dob, ok):
    who = signed_in_account(db_session, nla.sign_in_or_register(db_session, person(birthdate=dob)))
    outcome = nhs_register(db_session, who, world["practice"].id, dob_year="1970")  # the form can't help
    assert outcome.ok is ok
    if ok:
        assert self_patient(db_session, who).date_of_birth == dob
    else:
        assert list(outcome.errors) == ["form"]
        assert "18" in outcome.errors["form"]
        assert count(db_session, Patient) == 0 and count(db_session, AccountPatient) == 0


def test_a_pending_claim_on_the_number_does_not_block_the_person(db_session, clock, world):
    """A made-up sign-up or dependant with Zoe's number is a claim: Zoe is still verified."""
    squatter = make_account(db_session, "first@example.com")
    claim = make_patient(
        db_session,
        world["practice"],
        "Mallory Attacker",
        dob=date(1990, 1, 1),
        nhs_number=ZOE,
        status=PENDING,
        account=squatter,
    )
    who = signed_in_account(db_session, nla.sign_in_or_register(db_session, person()))

    outcome = nhs_register(db_session, who, world["practice"].id, nhs_number="")  # the form has no such field
    assert outcome.ok and outcome.status == VERIFIED
    assert self_patient(db_session, who).nhs_number == ZOE and self_patient(db_session, who).id != claim.id
    assert db_session.get(Patient, claim.id).verification_status == PENDING  # the practice decides on it


def test_proven_by_nhs_login_is_told_their_number_already_has_an_account(db_session, clock, world):
    """Telling the person NHS login proved (P9) that their NHS number has an account leaks nothing."""
    make_patient(
        db_session,
        world["practice"],
        dob=ZOE_DOB,
        nhs_number=ZOE,
        account=make_account(db_session, "first@example.com"),
    )
    who = signed_in_account(db_session, nla.sign_in_or_register(db_session, person()))
    outcome = nhs_register(db_session, who, world["practice"].id)
    assert outcome.errors == {"form": registration.ACCOUNT_EXISTS}
    assert count(db_session, Patient) == 1 and count(db_session, AccountPatient) == 1


def test_at_p5_an_owned_number_is_a_claim_for_the_practice(db_session, clock, world):
    """P5 isn't proof of identity: the answer is the one anyone whose details didn't match gets."""
    make_patient(
        db_session,
        world["practice"],
        dob=ZOE_DOB,
        nhs_number=ZOE,
        account=make_account(db_session, "first@example.com"),
    )
    who = signed_in_account(
        db_session, nla.sign_in_or_register(db_session, person(vot="P5.Cp.Cd", identity_proofing_level="P5"))
    )
    outcome = nhs_register(db_session, who, world["practice"].id)
    assert outcome.ok and outcome.status == PENDING
    claim = self_patient(db_session, who)
    assert claim.nhs_number == ZOE and "own Anima account" in claim.verification_note


@pytest.mark.parametrize(
    ("dob", "practice_key", "takes_it"),
    [(ZOE_DOB, "practice", True), (date(1980, 2, 2), "practice", False), (ZOE_DOB, "second", False)],
    ids=["same person", "another date of birth", "another practice"],
)
def test_proven_person_takes_their_own_record_that_a_relative_holds(
    db_session, clock, world, dob, practice_key, takes_it
):
    """Zoe's verified record, made when her daughter added her: NHS login (P9) proves Zoe is Zoe."""
    world["second"] = make_practice(db_session, "B82002", postcode="MB1 1AA", phone="01632 960001")
    record = make_patient(db_session, world[practice_key], "Zoe Smith", dob=dob, nhs_number=ZOE)
    daughter = make_account(db_session, "daughter@example.com")
    factories.link(db_session, daughter, record, "dependant", approval="approved")
    who = signed_in_account(db_session, nla.sign_in_or_register(db_session, person()))

    outcome = nhs_register(db_session, who, world["practice"].id)
    assert outcome.ok
    mine = self_patient(db_session, who)
    if takes_it:
        assert outcome.status == VERIFIED and mine.id == record.id
        assert mine.phone_mobile == "+447700900982"  # the record had none
        holders = db_session.exec(select(AccountPatient.account_id).where(AccountPatient.patient_id == record.id)).all()
        assert sorted(holders) == sorted([daughter.id, who.account_id])  # the daughter keeps holding her
    else:
        assert outcome.status == PENDING and mine.id != record.id  # a claim: the practice decides


def test_other_fields_are_still_checked_with_trusted_details(db_session, clock, world):
    who = signed_in_account(db_session, nla.sign_in_or_register(db_session, person()))
    outcome = nhs_register(db_session, who, world["closed"].id, postcode="nope", mobile="01632 960001", terms=False)
    assert set(outcome.errors) == {"postcode", "mobile", "practice", "terms"}
    assert count(db_session, Patient) == 0


# --- connect ----------------------------------------------------------------------------------


def test_connect_links_the_signed_in_account_and_then_signs_in_to_it(db_session, clock, world):
    # Same email as NHS login's: found by sub after connecting, so no EMAIL_IN_USE.
    account = make_account(db_session, "zoe@example.com")
    make_patient(db_session, world["practice"], dob=ZOE_DOB, nhs_number=ZOE, status=PENDING, account=account)

    assert nla.connect(db_session, identity_of(account), person(), client_ip=IP).ok
    db_session.refresh(account)
    assert account.nhs_login_sub == CLAIMS["sub"] and account.nhs_login_linked_at is not None
    assert audit_actions(db_session) == ["nhs_login_connected"]
    assert nla.connect(db_session, identity_of(account), person()).ok  # again: nothing to do
    assert audit_actions(db_session) == ["nhs_login_connected"]

    outcome = nla.sign_in_or_register(db_session, person())
    assert signed_in_account(db_session, outcome).account_id == account.id
    assert outcome.needs_details is False
    assert count(db_session, Account) == 1


@pytest.mark.parametrize(
    ("dob", "nhs_number", "expected"),
    [
        (None, None, None),  # no details given yet
        (ZOE_DOB, ZOE, None),
        (ZOE_DOB, None, None),  # no NHS number on file: the date of birth agrees
        (date(1980, 2, 2), ZOE, nla.DIFFERENT_PERSON),
        (date(1980, 2, 2), None, nla.DIFFERENT_PERSON),
        (ZOE_DOB, OTHER, nla.DIFFERENT_PERSON),
    ],
)
def test_connect_only_for_the_same_person(db_session, clock, world, dob, nhs_number, expected):
    account = make_account(db_session)
    if dob is not None:
        make_patient(db_session, world["practice"], dob=dob, nhs_number=nhs_number, status=PENDING, account=account)
    assert nla.connect(db_session, identity_of(account), person()).message == (expected or "")
    db_session.refresh(account)
    assert (account.nhs_login_sub is not None) is (expected is None)


def assert_unchanged(db: Session, account: Account, sub: str | None) -> None:
    db.flush()
    db.refresh(account)
    assert account.nhs_login_sub == sub
    assert "nhs_login_connected" not in audit_actions(db)


def test_a_sub_already_on_another_account_is_not_moved(db_session, clock, world):
    holder = make_account(db_session, "holder@example.com", nhs_login_sub=CLAIMS["sub"])
    account = make_account(db_session)
    assert nla.connect(db_session, identity_of(account), person()).message == nla.ALREADY_CONNECTED
    assert_unchanged(db_session, account, None)
    assert_unchanged(db_session, holder, CLAIMS["sub"])


def test_an_account_connected_to_another_sub_is_not_replaced(db_session, clock, world):
    account = make_account(db_session, nhs_login_sub="another-sub")
    problem = nla.connect(db_session, identity_of(account), person()).message
    assert problem and problem not in (nla.ALREADY_CONNECTED, nla.DIFFERENT_PERSON)
    assert_unchanged(db_session, account, "another-sub")


def test_a_staff_account_cannot_connect(db_session, clock, world):
    staff = make_account(db_session, "reception@nhs.example", kind="staff")
    assert not nla.connect(db_session, identity_of(staff), person()).ok
    assert_unchanged(db_session, staff, None)


def test_forget_details_removes_the_claims_and_the_nhs_number_with_them(db_session, clock, world):
    outcome = nla.sign_in_or_register(db_session, person(), client_ip=IP)
    who = signed_in_account(db_session, outcome)
    assert nla.pending_details(db_session, who.account_id) is not None
    nla.forget_details(db_session, who.account_id)
    db_session.flush()
    assert nla.pending_details(db_session, who.account_id) is None


def test_an_overlong_nhs_login_email_is_refused_before_touching_the_database(db_session, clock, world):
    long_email = "a" * 250 + "@example.com"
    outcome = nla.sign_in_or_register(db_session, person(email=long_email), client_ip=IP)
    assert not outcome.ok and outcome.session_token is None
    assert count(db_session, Account) == 0
