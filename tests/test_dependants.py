"""Dependants: adding (new person, a second parent linking the same one, or a claim when the details
don't match the record that owns the number), field errors with nothing saved, approval from 16 and
for second holders, removing, who a request can be for, and the holders' contacts."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from anima_pwa.models import (
    Account,
    AccountPatient,
    AuditEvent,
    OutboxMessage,
    Patient,
    Practice,
)
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.patients import dependants
from anima_pwa.services.patients.dependants import (
    ALREADY_HELD,
    CONFIRM_REGISTERED,
    FIELD_ORDER,
    NOT_FOUND,
    YOURSELF,
    DependantForm,
    add_dependant,
    can_act_for,
    holders_contacts,
    list_dependants,
    remove_dependant,
    request_subjects,
)
from anima_pwa.services.platform import audit, clock
from anima_pwa.services.platform.validation import format_nhs_number
from tests.factories import count, identity_of, make_account, make_patient, make_practice, on_register, valid_nhs_number

TODAY = date(2025, 6, 15)
IP = "203.0.113.9"


MUM_NHS = valid_nhs_number("943476591")
DAD_NHS = valid_nhs_number("485777345")
LILY_NHS = valid_nhs_number("401023456")  # on the register
TOM_NHS = valid_nhs_number("401023457")  # not on the register
TEEN_NHS = valid_nhs_number("401023459")
GRAN_NHS = valid_nhs_number("401023460")


PRACTICE_PHONE = "01632 960001"


def make_holder(
    db: Session,
    practice: Practice,
    email: str,
    *,
    name: str,
    nhs_number: str | None,
    dob: date = date(1985, 3, 4),
    status: str = "verified",
    postcode: str = "MB1 2AB",
    kind: str = "patient",
) -> Identity:
    """Someone signed in whose own record is at ``practice``."""
    account = make_account(db, email, kind=kind)
    make_patient(
        db,
        practice,
        name,
        dob=dob,
        nhs_number=nhs_number,
        postcode=postcode,
        status=status,
        account=account,
        phone_mobile="+447700900982",
    )
    return identity_of(account)


@pytest.fixture
def world(db_session: Session) -> dict:
    practice = make_practice(db_session, "A81001", phone=PRACTICE_PHONE, email="a81001.admin@nhs.example")
    other = make_practice(db_session, "B82002", phone=PRACTICE_PHONE, email="b82002.admin@nhs.example")
    on_register(db_session, practice, LILY_NHS, "Lily", "Smith", date(2019, 5, 9), "MB1 2AB")
    mum = make_holder(db_session, practice, "Mum@example.com", name="Zoe Smith", nhs_number=MUM_NHS)
    dad = make_holder(db_session, practice, "dad@example.com", name="Sam Smith", nhs_number=DAD_NHS, status="pending")
    return {"practice": practice, "other": other, "mum": mum, "dad": dad}


def form(**changes) -> DependantForm:
    base = DependantForm(
        full_name="  Lily   Smith ",
        dob_day="9",
        dob_month="05",
        dob_year="2019",
        nhs_number=format_nhs_number(LILY_NHS),
        postcode="",
        registered_here=True,
    )
    return dataclasses.replace(base, **changes)


def add(db: Session, identity: Identity, f: DependantForm) -> dependants.AddOutcome:
    return add_dependant(db, identity, f, client_ip=IP, today=TODAY)


def snapshot(db: Session) -> tuple[int, ...]:
    return tuple(count(db, m) for m in (Patient, AccountPatient, AuditEvent, OutboxMessage))


def approve_all_pending(db: Session) -> None:
    """As the practice would in Verifications."""
    for row in db.exec(select(AccountPatient).where(AccountPatient.approval_status == "pending")).all():
        row.approval_status = "approved"
        db.add(row)
    db.flush()


def links_of(db: Session, patient_id: int) -> list[AccountPatient]:
    return list(db.exec(select(AccountPatient).where(AccountPatient.patient_id == patient_id)).all())


# Adding a new person ----------------------------------------------------------------------------


def test_child_on_the_register_is_verified_and_listed(db_session, world):
    before = snapshot(db_session)
    outcome = add(db_session, world["mum"], form())
    assert outcome.ok and outcome.status == "verified" and not outcome.linked_existing
    assert outcome.approval_status == "not_needed"
    assert snapshot(db_session) == (before[0] + 1, before[1] + 1, before[2] + 1, before[3])  # no practice email

    child = db_session.exec(select(Patient).where(Patient.nhs_number == LILY_NHS)).one()
    assert child.full_name == "Lily Smith" and child.practice_id == world["practice"].id
    assert child.postcode == "MB1 2AB" and child.phone_mobile == ""  # the holder's postcode; no phone
    (link,) = links_of(db_session, child.id)
    assert (link.account_id, link.relationship, link.approval_status) == (
        world["mum"].account_id,
        "dependant",
        "not_needed",
    )

    (row,) = list_dependants(db_session, world["mum"], today=TODAY)
    assert row == dependants.DependantRow(
        link_id=link.id,
        patient_id=child.id,
        full_name="Lily Smith",
        date_of_birth="9 May 2019",
        age=6,
        relationship="dependant",
        verification_status="verified",
        approval_status="not_needed",
        can_make_requests=True,
        why_not="",
    )
    (event,) = audit.trail(db_session, patient_id=child.id)
    assert event.action == "dependant_added" and event.ip == IP and event.practice_id == world["practice"].id
    assert audit.event_detail(event) == {
        "linked_existing": False,
        "approval_status": "not_needed",
        "approval_reason": "",
        "verification": "verified",
    }


def test_child_not_on_the_register_is_pending_and_the_practice_is_told(db_session, world):
    # A pending holder can still add a child: the child is verified on their own.
    outcome = add(
        db_session,
        world["dad"],
        form(
            full_name="Tom Smith", nhs_number=TOM_NHS, dob_day="1", dob_month="1", dob_year="2020", postcode="mb1 3ab"
        ),
    )
    assert outcome.ok and outcome.status == "pending"
    tom = db_session.exec(select(Patient).where(Patient.nhs_number == TOM_NHS)).one()
    assert tom.postcode == "MB1 3AB" and tom.verification_note
    (message,) = db_session.exec(select(OutboxMessage)).all()
    assert message.to_address == "a81001.admin@nhs.example" and message.template == "verification_pending_practice"
    (row,) = list_dependants(db_session, world["dad"], today=TODAY)
    assert not row.can_make_requests and row.why_not == "Waiting for your practice to verify them"


def test_practice_without_email_gets_no_message(db_session, world):
    silent = make_practice(db_session, "D84004", phone=PRACTICE_PHONE)
    me = make_holder(db_session, silent, "solo@example.com", name="Ann Jones", nhs_number=valid_nhs_number("401023463"))
    outcome = add(db_session, me, form(full_name="Tom Jones", nhs_number=TOM_NHS))
    assert outcome.ok and outcome.status == "pending"
    assert count(db_session, OutboxMessage) == 0


# Field errors: nothing saved ---------------------------------------------------------------------


def test_every_field_wrong_gives_every_error_and_saves_nothing(db_session, world):
    before = snapshot(db_session)
    outcome = add(
        db_session,
        world["mum"],
        DependantForm(
            full_name="",
            dob_day="31",
            dob_month="2",
            dob_year="2019",
            nhs_number="123 456 7890",
            postcode="nowhere",
            registered_here=False,
        ),
    )
    assert not outcome.ok and outcome.status == "" and not outcome.linked_existing
    assert list(outcome.errors) == FIELD_ORDER[:-1]  # every field, in page order
    assert outcome.errors == {
        "full_name": "Enter their full name",
        "dob": "Date of birth must be a real date",
        "nhs_number": "Enter a valid NHS number. Check it against a letter from your GP practice or the NHS App",
        "postcode": "Enter a real postcode, like SW1A 1AA",
        "registered_here": CONFIRM_REGISTERED,
    }
    assert snapshot(db_session) == before


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"dob_day": "16", "dob_month": "6", "dob_year": "2025"}, "dob", "Date of birth must be in the past"),
        ({"dob_day": "", "dob_month": "", "dob_year": ""}, "dob", "Enter their date of birth"),
        ({"registered_here": False}, "registered_here", CONFIRM_REGISTERED),
        ({"nhs_number": ""}, "nhs_number", "Enter their NHS number"),
        (
            {"nhs_number": "943 476 5910"},
            "nhs_number",
            "Enter a valid NHS number. Check it against a letter from your GP practice or the NHS App",
        ),
        (
            {"nhs_number": "999 999 0001"},
            "nhs_number",
            "Enter the real NHS number. Numbers starting 999 999 can only be used for care home accounts",
        ),
    ],
)
def test_one_field_wrong(db_session, world, changes, field, message):
    before = snapshot(db_session)
    outcome = add(db_session, world["mum"], form(**changes))
    assert outcome.errors == {field: message}
    assert snapshot(db_session) == before


def test_born_today_is_accepted(db_session, world):
    outcome = add(
        db_session,
        world["mum"],
        form(full_name="Baby Smith", nhs_number=TOM_NHS, dob_day="15", dob_month="6", dob_year="2025"),
    )
    assert outcome.ok and outcome.approval_status == "not_needed"


@pytest.mark.parametrize(
    ("utc", "uk_day"),
    [
        (datetime(2026, 6, 30, 22, 59, tzinfo=UTC), 30),  # 23:59 BST: still 30 June in the UK
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), 1),  # 00:30 BST: 1 July in the UK, 30 June in UTC
    ],
)
def test_today_is_the_uk_date_for_a_birth_and_an_age(db_session, world, monkeypatch, utc, uk_day):
    """A baby born on 1 July, added at 23:30 UTC on 30 June, was born today (the UTC date would
    call it a date in the future), and someone born on 1 July 2010 is 16 then (the UTC date would
    still say 15). A minute before UK midnight, both are still as they were."""
    monkeypatch.setattr(clock, "utcnow", lambda: utc)
    baby = form(full_name="Baby Smith", nhs_number=TOM_NHS, dob_day="1", dob_month="7", dob_year="2026")
    outcome = add_dependant(db_session, world["mum"], baby, client_ip=IP)
    if uk_day == 1:
        assert outcome.ok and outcome.approval_status == "not_needed", outcome.errors
    else:
        assert outcome.errors == {"dob": "Date of birth must be in the past"}
    teen = make_patient(db_session, world["practice"], "Tia Smith", dob=date(2010, 7, 1), nhs_number=TEEN_NHS)
    db_session.add(AccountPatient(account_id=world["mum"].account_id, patient_id=teen.id, relationship="dependant"))
    db_session.flush()
    ages = {row.full_name: row.age for row in list_dependants(db_session, world["mum"])}
    assert ages["Tia Smith"] == (16 if uk_day == 1 else 15)


def test_who_may_add(db_session, world):
    practice = world["practice"]
    staff = Account(email="rec@nhs.example", email_normalized="rec@nhs.example", kind="staff")
    nobody = Account(email="new@example.com", email_normalized="new@example.com")
    db_session.add_all([staff, nobody])
    db_session.flush()
    staff_id = Identity(account_id=staff.id, email=staff.email, kind="staff", session_id="x")
    new_id = Identity(account_id=nobody.id, email=nobody.email, kind="patient", session_id="x")
    rejected = make_holder(
        db_session, practice, "rej@example.com", name="Rex Ray", nhs_number=GRAN_NHS, status="rejected"
    )
    before = snapshot(db_session)
    assert add(db_session, staff_id, form()).errors == {"form": dependants.NOT_PATIENT}
    assert add(db_session, new_id, form()).errors == {"form": "Give your own details before adding a dependant."}
    assert "could not verify your details" in add(db_session, rejected, form()).errors["form"]
    assert snapshot(db_session) == before
    # A disabled account (a stale identity) is refused too.
    mum = db_session.get(Account, world["mum"].account_id)
    mum.status = "disabled"
    db_session.add(mum)
    assert add(db_session, world["mum"], form()).errors == {"form": dependants.NOT_PATIENT}
    assert list_dependants(db_session, staff_id) == [] and request_subjects(db_session, staff_id) == []
    assert remove_dependant(db_session, staff_id, 1).message == dependants.NOT_PATIENT


# Who can't be added -----------------------------------------------------------------------------


def test_you_cant_add_yourself(db_session, world):
    before = snapshot(db_session)
    assert add(db_session, world["mum"], form(full_name="Zoe Smith", nhs_number=MUM_NHS, dob_year="1985")).errors == {
        "nhs_number": YOURSELF
    }
    # Without an NHS number on the holder's record: the same name and date of birth.
    holder = make_holder(db_session, world["practice"], "no.nhs@example.com", name="Ann Lee", nhs_number=None)
    before = snapshot(db_session)
    outcome = add(
        db_session, holder, form(full_name="ann  LEE", nhs_number=TOM_NHS, dob_day="4", dob_month="3", dob_year="1985")
    )
    assert outcome.errors == {"nhs_number": YOURSELF}
    assert snapshot(db_session) == before


def test_someone_with_their_own_account_waits_for_the_practice(db_session, world):
    """The guide says they shouldn't be a dependant, but saying "they have their own account" would
    tell whoever typed their details that they use Anima: the practice decides, and they are told."""
    sam = db_session.exec(select(Patient).where(Patient.nhs_number == DAD_NHS)).one()
    sam.verification_status = "verified"
    db_session.add(sam)
    outcome = add(
        db_session,
        world["mum"],
        form(full_name="Sam Smith", nhs_number=DAD_NHS, dob_year="1985", dob_month="3", dob_day="4"),
    )
    assert outcome == dependants.AddOutcome(
        status="verified",
        linked_existing=True,
        approval_status="pending",
        approval_reason=dependants.OWN_ACCOUNT_REASON,
    )
    (row,) = list_dependants(db_session, world["mum"], today=TODAY)
    assert not row.can_make_requests and row.why_not.startswith("Waiting for your practice to approve adding them.")
    mails = db_session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(m.to_address, m.template) for m in mails] == [
        ("dad@example.com", "holder_link_requested_self"),
        ("a81001.admin@nhs.example", "holder_approval_practice"),
    ]


def test_someone_with_their_own_account_and_wrong_details_is_a_claim(db_session, world):
    """Sam (pending, with his own account) owns nothing; wrong details are a claim like any other."""
    outcome = add(db_session, world["mum"], form(nhs_number=DAD_NHS))
    assert outcome == dependants.AddOutcome(status="pending", approval_status="not_needed")
    assert count(db_session, Patient) == 3  # mum, dad, and the claim beside dad's record


def test_own_account_disabled_means_they_can_be_held(db_session, world):
    dad = db_session.get(Account, world["dad"].account_id)
    dad.status = "disabled"
    db_session.add(dad)
    sam = db_session.exec(select(Patient).where(Patient.nhs_number == DAD_NHS)).one()
    sam.verification_status = "verified"
    db_session.add(sam)
    outcome = add(
        db_session,
        world["mum"],
        form(full_name="Sam Smith", nhs_number=DAD_NHS, dob_year="1985", dob_month="3", dob_day="4"),
    )
    assert outcome.ok and outcome.linked_existing and outcome.approval_status == "pending"  # 40: the practice approves
    assert outcome.approval_reason == dependants.EXISTING_RECORD
    assert count(db_session, OutboxMessage) == 1  # the practice: a closed account is not emailed


def test_already_on_your_account(db_session, world):
    assert add(db_session, world["mum"], form()).ok
    before = snapshot(db_session)
    assert add(db_session, world["mum"], form()).errors == {"nhs_number": ALREADY_HELD}
    assert snapshot(db_session) == before


# A second parent --------------------------------------------------------------------------------


def test_second_parent_links_the_same_child_pending_the_practice(db_session, world):
    assert add(db_session, world["mum"], form()).ok
    # Dad types the name differently (case, a middle name): still the same child.
    outcome = add(db_session, world["dad"], form(full_name="lily rose SMITH", postcode="LS1 4AP"))
    assert outcome == dependants.AddOutcome(
        status="verified", linked_existing=True, approval_status="pending", approval_reason=dependants.SECOND_HOLDER
    )
    (child,) = db_session.exec(select(Patient).where(Patient.nhs_number == LILY_NHS)).all()
    assert child.full_name == "Lily Smith" and child.postcode == "MB1 2AB"  # the record is not changed
    assert sorted(link.account_id for link in links_of(db_session, child.id)) == sorted(
        [world["mum"].account_id, world["dad"].account_id]
    )
    (mum_row,) = list_dependants(db_session, world["mum"], today=TODAY)
    assert mum_row.can_make_requests and mum_row.others_asking  # Mum sees someone has asked
    (dad_row,) = list_dependants(db_session, world["dad"], today=TODAY)
    assert (dad_row.patient_id, dad_row.can_make_requests, dad_row.others_asking) == (child.id, False, False)
    assert dad_row.why_not == (
        "Waiting for your practice to approve adding them. Until then you can't send requests for them or see their requests"
    )
    event = audit.trail(db_session, patient_id=child.id, account_id=world["dad"].account_id)[0]
    assert audit.event_detail(event)["linked_existing"] is True
    assert audit.event_detail(event)["approval_reason"] == "second_holder"
    # Mum is told (no names), and so is the practice.
    mails = db_session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(m.to_address, m.template) for m in mails] == [
        ("Mum@example.com", "holder_link_requested"),
        ("a81001.admin@nhs.example", "holder_approval_practice"),
    ]
    for mail in mails:
        assert "Lily" not in mail.body_text + mail.subject and "Smith" not in mail.body_text + mail.subject
        assert LILY_NHS not in mail.body_text and "2019" not in mail.body_text


@pytest.mark.parametrize(
    "changes",
    [
        {"dob_day": "10"},
        {"full_name": "Rose Smith"},
        {"full_name": "Lily Jones"},
    ],
)
def test_other_details_with_a_known_number_are_a_claim_like_an_unknown_number(db_session, world, changes):
    """Details that don't match the verified record are a new, pending record (a claim), answered
    exactly as a number Anima has never seen: nothing says the number is known."""
    assert add(db_session, world["mum"], form()).ok
    squatter = make_holder(db_session, world["practice"], "sq@example.com", name="Mal Lory", nhs_number=GRAN_NHS)
    stranger = make_holder(
        db_session, world["practice"], "st@example.com", name="Stan Ger", nhs_number=valid_nhs_number("401023465")
    )
    known = add(db_session, squatter, form(**changes))
    unknown = add(db_session, stranger, form(**changes, nhs_number=TOM_NHS))
    assert known == unknown == dependants.AddOutcome(status="pending", approval_status="not_needed")
    strip = lambda rows: [dataclasses.replace(r, link_id=0, patient_id=0) for r in rows]  # noqa: E731
    assert strip(list_dependants(db_session, squatter, today=TODAY)) == strip(
        list_dependants(db_session, stranger, today=TODAY)
    )
    # Lily's record and links are untouched; the claim waits for the practice beside it.
    lily = db_session.exec(
        select(Patient).where(Patient.nhs_number == LILY_NHS, Patient.verification_status == "verified")
    ).one()
    assert [link.account_id for link in links_of(db_session, lily.id)] == [world["mum"].account_id]
    claim = db_session.exec(
        select(Patient).where(Patient.nhs_number == LILY_NHS, Patient.verification_status == "pending")
    ).one()
    assert claim.verification_note.startswith(
        "NHS number already belongs to a verified patient record whose details differ"
    )


def test_a_squatters_claim_does_not_block_the_real_parent(db_session, world):
    squatter = make_holder(db_session, world["practice"], "sq@example.com", name="Mal Lory", nhs_number=GRAN_NHS)
    assert (
        add(db_session, squatter, form(full_name="Made Up", dob_day="1")).status == "pending"
    )  # first, with Lily's number
    outcome = add(db_session, world["mum"], form())
    assert outcome == dependants.AddOutcome(status="verified", approval_status="not_needed")
    (row,) = list_dependants(db_session, world["mum"], today=TODAY)
    assert row.can_make_requests


def test_person_at_another_practice_is_a_claim(db_session, world):
    elsewhere = make_holder(
        db_session, world["other"], "far@example.com", name="Kim Smith", nhs_number=valid_nhs_number("401023462")
    )
    assert add(db_session, elsewhere, form()).ok  # Lily, held by someone at another practice (a claim there)
    lily_b = db_session.exec(select(Patient).where(Patient.nhs_number == LILY_NHS)).one()
    lily_b.verification_status = "verified"  # say practice B verified her
    db_session.add(lily_b)
    # Mum's practice gets a claim of its own; the answer says nothing of where Lily is registered.
    assert add(db_session, world["mum"], form()) == dependants.AddOutcome(
        status="pending", approval_status="not_needed"
    )
    assert add(db_session, world["dad"], form(dob_day="1")) == dependants.AddOutcome(
        status="pending", approval_status="not_needed"
    )
    assert [link.account_id for link in links_of(db_session, lily_b.id)] == [elsewhere.account_id]


def test_two_parents_saving_at_once_leaves_a_claim_not_an_error(db_session, world, monkeypatch):
    assert add(db_session, world["mum"], form()).ok
    # Dad's check ran before Mum's save: his new record can't also be verified, so it is a claim.
    monkeypatch.setattr(dependants.verification, "verified_owner", lambda *args, **kwargs: None)
    outcome = add(db_session, world["dad"], form())
    assert outcome == dependants.AddOutcome(status="pending", approval_status="not_needed")
    assert count(db_session, Patient) == 4  # the session is still usable
    db_session.commit()


def test_the_same_form_twice_at_once_gives_a_form_error(db_session, world, monkeypatch):
    assert add(db_session, world["mum"], form()).ok
    # The check for "already on your account" ran before the first save: the unique link refuses it.
    real_exec = db_session.exec
    calls = {"n": 0}

    def exec_hiding_links(statement, *args, **kwargs):
        result = real_exec(statement, *args, **kwargs)
        if "FROM account_patient JOIN patient" in str(statement) and calls["n"] == 0:
            calls["n"] += 1
            result.all()
            return real_exec(select(AccountPatient.id).where(AccountPatient.id == -1))
        return result

    monkeypatch.setattr(db_session, "exec", exec_hiding_links)
    before = snapshot(db_session)
    outcome = add(db_session, world["mum"], form())
    assert calls["n"] == 1
    assert set(outcome.errors) == {"form"}
    assert snapshot(db_session) == before


# Sixteen and over -------------------------------------------------------------------------------


def test_sixteen_and_over_needs_the_practice_to_approve(db_session, world):
    on_register(db_session, world["practice"], TEEN_NHS, "Max", "Smith", date(2009, 6, 15), "MB1 2AB")
    teen = form(full_name="Max Smith", nhs_number=TEEN_NHS, dob_day="15", dob_month="6", dob_year="2009")  # 16 today
    outcome = add(db_session, world["mum"], teen)
    assert outcome.ok and outcome.status == "verified" and outcome.approval_status == "pending"
    (row,) = list_dependants(db_session, world["mum"], today=TODAY)
    assert row.age == 16 and row.approval_status == "pending" and not row.can_make_requests
    assert row.why_not == "Waiting for your practice to approve adding them (they are 16 or over)"
    assert [s.can_request for s in request_subjects(db_session, world["mum"])] == [True, False]

    # The second parent's link needs approval of its own.
    outcome = add(db_session, world["dad"], teen)
    assert (
        outcome.linked_existing and outcome.approval_status == "pending" and outcome.approval_reason == "second_holder"
    )

    link = db_session.get(AccountPatient, row.link_id)
    link.approval_status = "approved"
    db_session.add(link)
    db_session.flush()
    assert [s.can_request for s in request_subjects(db_session, world["mum"])] == [True, True]
    (row,) = list_dependants(db_session, world["mum"], today=TODAY)
    assert row.can_make_requests and row.why_not == ""

    link.approval_status, link.approval_note = "rejected", "Please ask them to register themselves"
    db_session.add(link)
    db_session.flush()
    (row,) = list_dependants(db_session, world["mum"], today=TODAY)
    assert not row.can_make_requests
    assert row.why_not == "Your practice did not approve adding them: Please ask them to register themselves"


def test_fifteen_the_day_before_needs_no_approval(db_session, world):
    outcome = add(
        db_session,
        world["mum"],
        form(full_name="Max Smith", nhs_number=TEEN_NHS, dob_day="16", dob_month="6", dob_year="2009"),
    )
    assert outcome.ok and outcome.approval_status == "not_needed"


# Removing ---------------------------------------------------------------------------------------


def test_remove_takes_only_this_accounts_link(db_session, world):
    assert add(db_session, world["mum"], form()).ok
    assert add(db_session, world["dad"], form()).ok
    (mum_row,) = list_dependants(db_session, world["mum"], today=TODAY)
    (dad_row,) = list_dependants(db_session, world["dad"], today=TODAY)

    # Dad can't remove Mum's link: the same answer as an id that does not exist.
    assert remove_dependant(db_session, world["dad"], mum_row.link_id).message == NOT_FOUND
    assert remove_dependant(db_session, world["dad"], 999_999).message == NOT_FOUND
    assert remove_dependant(db_session, world["dad"], "1").message == NOT_FOUND  # type: ignore[arg-type]
    # Nor his own "self" link.
    self_link = db_session.exec(
        select(AccountPatient).where(
            AccountPatient.account_id == world["dad"].account_id, AccountPatient.relationship == "self"
        )
    ).one()
    assert remove_dependant(db_session, world["dad"], self_link.id).message == NOT_FOUND
    assert count(db_session, AuditEvent) == 2

    assert remove_dependant(db_session, world["dad"], dad_row.link_id, client_ip=IP).ok
    assert list_dependants(db_session, world["dad"], today=TODAY) == []
    assert [r.patient_id for r in list_dependants(db_session, world["mum"], today=TODAY)] == [mum_row.patient_id]
    assert db_session.get(Patient, dad_row.patient_id) is not None  # the person stays
    assert not can_act_for(db_session, world["dad"], dad_row.patient_id)
    assert holders_contacts(db_session, dad_row.patient_id) == ["Mum@example.com"]
    event = audit.trail(db_session, account_id=world["dad"].account_id)[0]
    assert (event.action, event.patient_id) == ("dependant_removed", dad_row.patient_id)

    # Added again later: linked to the same person, and waiting for the practice again.
    again = add(db_session, world["dad"], form())
    assert again.ok and again.linked_existing and again.approval_status == "pending"


# Who a request is for ---------------------------------------------------------------------------


def test_request_subjects_order_and_rules(db_session, world):
    assert add(db_session, world["mum"], form()).ok  # verified
    assert add(db_session, world["mum"], form(full_name="Tom Smith", nhs_number=TOM_NHS, dob_year="2021")).ok  # pending
    subjects = request_subjects(db_session, world["mum"])
    assert [(s.label, s.can_request, s.why_not) for s in subjects] == [
        ("You", True, ""),
        ("Lily Smith", True, ""),
        ("Tom Smith", False, "Waiting for your practice to verify them"),
    ]
    # Dad is waiting for verification himself; his child can be chosen once the practice approves
    # his link (Mum holds her already).
    assert add(db_session, world["dad"], form()).ok
    assert [(s.label, s.can_request, s.why_not) for s in request_subjects(db_session, world["dad"])] == [
        ("You", False, "Waiting for your practice to verify you"),
        (
            "Lily Smith",
            False,
            "Waiting for your practice to approve adding them. Until then you can't send requests for them or see their requests",
        ),
    ]
    approve_all_pending(db_session)
    assert [(s.label, s.can_request) for s in request_subjects(db_session, world["dad"])] == [
        ("You", False),
        ("Lily Smith", True),
    ]
    tom = db_session.get(Patient, subjects[2].patient_id)
    tom.verification_status, tom.verification_note = "rejected", "Not registered here"
    db_session.add(tom)
    db_session.flush()
    assert (
        request_subjects(db_session, world["mum"])[2].why_not
        == "Your practice could not verify them: Not registered here"
    )


def test_request_subjects_without_own_details(db_session, world):
    nobody = Account(email="new@example.com", email_normalized="new@example.com")
    db_session.add(nobody)
    db_session.flush()
    assert request_subjects(db_session, Identity(nobody.id, nobody.email, "patient", "x")) == []


# Contacts and ownership -------------------------------------------------------------------------


def test_holders_contacts_are_every_active_holder(db_session, world):
    assert add(db_session, world["mum"], form()).ok
    assert add(db_session, world["dad"], form()).ok
    grandad = make_holder(db_session, world["practice"], "grandad@example.com", name="Bob Smith", nhs_number=GRAN_NHS)
    assert add(db_session, grandad, form()).ok
    child_id = list_dependants(db_session, world["mum"], today=TODAY)[0].patient_id
    # Until the practice approves them, Dad and Grandad get nothing about her.
    assert holders_contacts(db_session, child_id) == ["Mum@example.com"]
    approve_all_pending(db_session)
    assert holders_contacts(db_session, child_id) == ["Mum@example.com", "dad@example.com", "grandad@example.com"]

    account = db_session.get(Account, grandad.account_id)
    account.status = "disabled"
    db_session.add(account)
    db_session.flush()
    assert holders_contacts(db_session, child_id) == ["Mum@example.com", "dad@example.com"]

    # The holder's own record: their own account's address.
    mum_self = request_subjects(db_session, world["mum"])[0].patient_id
    assert holders_contacts(db_session, mum_self) == ["Mum@example.com"]
    assert holders_contacts(db_session, 999_999) == []


def test_can_act_for_holders_only(db_session, world):
    assert add(db_session, world["mum"], form()).ok
    child_id = list_dependants(db_session, world["mum"], today=TODAY)[0].patient_id
    mum_self = request_subjects(db_session, world["mum"])[0].patient_id
    dad_self = request_subjects(db_session, world["dad"])[0].patient_id
    assert can_act_for(db_session, world["mum"], child_id)
    assert can_act_for(db_session, world["mum"], mum_self)
    assert not can_act_for(db_session, world["mum"], dad_self)
    assert not can_act_for(db_session, world["dad"], child_id)
    assert not can_act_for(db_session, world["mum"], str(child_id))  # type: ignore[arg-type]
    assert not can_act_for(db_session, world["mum"], True)  # type: ignore[arg-type]
    staff = Identity(world["mum"].account_id, "x", "staff", "x")
    assert not can_act_for(db_session, staff, child_id)


# Attempts are counted ---------------------------------------------------------------------------


def test_lookups_are_rate_limited(db_session, world):
    assert add(db_session, world["dad"], form(nhs_number=MUM_NHS)).ok  # a claim on Mum's number (she's verified)
    for _ in range(dependants.ADD_LIMIT.max_hits - 1):
        assert add(db_session, world["dad"], form(nhs_number=MUM_NHS)).errors == {"nhs_number": ALREADY_HELD}
    outcome = add(db_session, world["dad"], form())
    assert list(outcome.errors) == ["form"] and outcome.errors["form"].startswith("Too many attempts")
    assert [r.full_name for r in list_dependants(db_session, world["dad"], today=TODAY)] == [
        "Lily Smith"
    ]  # the claim only
    # Field errors alone are not counted; another account is not affected.
    assert add(db_session, world["mum"], form()).ok
