"""A second (or later) holder of a dependant, and claims on an NHS number, through every service that
touches them: the link waits for the practice, the people who hold the child are told (no names,
nothing clinical), nothing of the child's requests reaches the new holder before approval; the
practice approves, declines or removes a holder in Verifications and on the patient's record; and
a claim on a number a verified record owns can't be verified."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, col, select

from anima_pwa.models import AccountPatient, AuditEvent, OutboxMessage, Patient, Request
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.inbox import patient_view
from anima_pwa.services.patients import dependants, registration, verification
from anima_pwa.services.patients.dependants import DependantForm, add_dependant
from anima_pwa.services.platform import audit
from anima_pwa.services.platform.validation import format_nhs_number
from anima_pwa.services.practice import holders, patient_records, verifications
from anima_pwa.services.practice.permissions import PermissionDenied
from anima_pwa.services.requests import drafts
from tests.factories import (
    count,
    identity_of,
    make_account,
    make_patient,
    make_practice,
    make_staff,
    on_register,
    outbox,
    valid_nhs_number,
)

TODAY = date(2025, 6, 15)
LILY = valid_nhs_number("401023456")
MUM_NHS = valid_nhs_number("943476591")
DAD_NHS = valid_nhs_number("485777345")
SUBMITTED = datetime(2025, 6, 14, 9, 0, tzinfo=UTC)
WAITING = "Waiting for your practice to approve adding them. Until then you can't send requests for them or see their requests"


@dataclasses.dataclass
class World:
    db: Session
    practice: object
    mum: Identity
    dad: Identity
    lily: Patient
    request: Request
    receptionist: object
    elsewhere: object  # staff of another practice


def holder(db: Session, practice, email: str, name: str, nhs_number: str, dob: date = date(1985, 3, 4)) -> Identity:
    account = make_account(db, email)
    make_patient(db, practice, name, dob=dob, nhs_number=nhs_number, account=account)
    return identity_of(account)


def lily_form(**changes) -> DependantForm:
    base = DependantForm(
        full_name="Lily Smith",
        dob_day="9",
        dob_month="5",
        dob_year="2019",
        nhs_number=format_nhs_number(LILY),
        registered_here=True,
    )
    return dataclasses.replace(base, **changes)


@pytest.fixture
def world(db_session: Session) -> World:
    """Mum holds Lily (verified against the register) and has sent a request for her; Dad, at the
    same practice, has his own account but doesn't hold Lily yet."""
    practice = make_practice(db_session, "A81001", "Riverside Surgery", email="a81001@nhs.example")
    other = make_practice(db_session, "B82002", "Hillside Practice", email="b82002@nhs.example")
    on_register(db_session, practice, LILY, "Lily", "Smith", date(2019, 5, 9), "MB1 2AB")
    mum = holder(db_session, practice, "mum@example.com", "Zoe Smith", MUM_NHS)
    dad = holder(db_session, practice, "dad@example.com", "Sam Smith", DAD_NHS, dob=date(1984, 1, 2))
    assert add_dependant(db_session, mum, lily_form(), today=TODAY).status == "verified"
    lily = db_session.exec(select(Patient).where(Patient.nhs_number == LILY)).one()
    request = Request(
        reference="AN-LILY01", patient_id=lily.id, account_id=mum.account_id, practice_id=practice.id, kind="medical",
        topic="cough-and-cold", status="submitted", subject="Cough", submitted_at=SUBMITTED,
    )  # fmt: skip
    db_session.add(request)
    db_session.flush()
    return World(
        db_session, practice, mum, dad, lily, request,
        make_staff(db_session, practice, "receptionist", name="Rita Reception"),
        make_staff(db_session, other, "admin", name="Bea Elsewhere"),
    )  # fmt: skip


def dad_link(w: World) -> AccountPatient:
    return w.db.exec(
        select(AccountPatient).where(
            AccountPatient.account_id == w.dad.account_id, AccountPatient.patient_id == w.lily.id
        )
    ).one()


def everything_dad_sees_of_lily(w: World) -> dict:
    """Every service function that lists or opens a dependant's data or requests, as Dad."""
    subject = next(s for s in dependants.request_subjects(w.db, w.dad) if s.patient_id == w.lily.id)
    return {
        "requests": [r.reference for r in patient_view.your_requests(w.db, w.dad)],
        "can_request": subject.can_request,
        "check_start": drafts.check_start(w.db, w.dad, patient_id=w.lily.id, kind="medical").error,
        "start_draft": drafts.start_draft(
            w.db, w.dad, patient_id=w.lily.id, kind="medical", topic_id="cough-and-cold"
        ).error,
        "draft": drafts.draft_for(w.db, w.dad),
        "contacts": "dad@example.com" in dependants.holders_contacts(w.db, w.lily.id),
    }


NOTHING = {
    "requests": [],
    "can_request": False,
    "check_start": WAITING,
    "start_draft": WAITING,
    "draft": None,
    "contacts": False,
}


def test_a_second_holder_waits_and_sees_nothing_of_the_child(world: World):
    w = world
    before = len(outbox(w.db))
    outcome = add_dependant(w.db, w.dad, lily_form(full_name="Lily Rose Smith"), today=TODAY)
    assert (outcome.approval_status, outcome.approval_reason) == ("pending", dependants.SECOND_HOLDER)
    assert everything_dad_sees_of_lily(w) == NOTHING
    assert [r.reference for r in patient_view.your_requests(w.db, w.mum)] == ["AN-LILY01"]  # Mum still sees it
    assert count(w.db, Request) == 1  # no draft was made for Dad

    mails = outbox(w.db)[before:]
    assert [(m.to_address, m.template) for m in mails] == [
        ("mum@example.com", "holder_link_requested"),
        ("a81001@nhs.example", "holder_approval_practice"),
    ]
    for mail in mails:  # no names, no NHS number, nothing of the request
        text = mail.subject + mail.body_text
        for secret in ("Lily", "Smith", "Sam", LILY, format_nhs_number(LILY), "AN-LILY01", "Cough", "cough", "2019"):
            assert secret not in text, secret
    (row,) = dependants.list_dependants(w.db, w.mum, today=TODAY)
    assert row.others_asking and row.can_make_requests


def test_after_the_practice_approves_the_second_holder_sees_the_childs_requests(world: World):
    w = world
    add_dependant(w.db, w.dad, lily_form(), today=TODAY)
    verifications.approve_dependant(w.db, w.receptionist, dad_link(w).id)
    seen = everything_dad_sees_of_lily(w)
    assert seen["requests"] == ["AN-LILY01"] and seen["can_request"] and seen["contacts"]
    assert outbox(w.db)[-1].to_address == "dad@example.com" and outbox(w.db)[-1].template == "dependant_approved"
    (row,) = dependants.list_dependants(w.db, w.mum, today=TODAY)
    assert not row.others_asking  # nothing is waiting any more


def test_declined_the_second_holder_still_sees_nothing(world: World):
    w = world
    add_dependant(w.db, w.dad, lily_form(), today=TODAY)
    reason = "Please bring proof of parental responsibility to reception."
    assert verifications.decline_dependant(w.db, w.receptionist, dad_link(w).id, reason=reason).ok
    seen = everything_dad_sees_of_lily(w)
    declined = f"Your practice did not approve adding them: {reason}"
    assert seen == NOTHING | {"check_start": declined, "start_draft": declined}
    mail = outbox(w.db)[-1]
    assert (mail.to_address, mail.template) == (
        "dad@example.com",
        "dependant_declined",
    ) and "proof" not in mail.body_text


def test_the_practice_removes_a_holder(world: World):
    w = world
    add_dependant(w.db, w.dad, lily_form(), today=TODAY)
    link = dad_link(w)
    verifications.approve_dependant(w.db, w.receptionist, link.id)
    w.db.add(
        Request(
            patient_id=w.lily.id,
            account_id=w.dad.account_id,
            practice_id=w.lily.practice_id,
            kind="admin",
            topic="letter-or-form",
        )
    )
    w.db.flush()  # a draft Dad is still writing for Lily

    detail = patient_records.patient_detail(w.db, w.receptionist, w.lily.id)
    removing = next(h for h in detail.held_by if h.account_id == w.dad.account_id)
    assert holders.remove_holder(w.db, w.receptionist, str(removing.link_id)) is None

    assert w.db.get(AccountPatient, link.id) is None
    assert [r.reference for r in patient_view.your_requests(w.db, w.dad)] == []
    assert not dependants.can_act_for(w.db, w.dad, w.lily.id)
    assert w.db.exec(select(Request).where(Request.account_id == w.dad.account_id)).all() == []  # the draft went too
    assert [r.reference for r in patient_view.your_requests(w.db, w.mum)] == ["AN-LILY01"]  # Lily stays with Mum
    mail = outbox(w.db)[-1]
    assert (mail.to_address, mail.template) == ("dad@example.com", "holder_removed")
    assert "Lily" not in mail.body_text and "Riverside Surgery has removed a person" in mail.body_text
    (event,) = [e for e in audit.trail(w.db, patient_id=w.lily.id) if e.action == "holder_removed"]
    assert (event.actor_account_id, event.account_id) == (w.receptionist.account_id, w.dad.account_id)
    assert audit.event_detail(event) == {
        "link_id": link.id,
        "relationship": "dependant",
        "approval_status": "approved",
        "drafts_deleted": 1,
        "emails": 1,
    }

    # Adding her again waits for the practice: removal can't be undone by the removed account.
    again = add_dependant(w.db, w.dad, lily_form(), today=TODAY)
    assert again.approval_status == "pending" and everything_dad_sees_of_lily(w) == NOTHING


def test_remove_holder_refuses_what_isnt_a_holder_here(world: World):
    w = world
    mum_link = w.db.exec(
        select(AccountPatient).where(
            AccountPatient.account_id == w.mum.account_id, AccountPatient.patient_id == w.lily.id
        )
    ).one()
    mum_self = w.db.exec(
        select(AccountPatient).where(
            AccountPatient.account_id == w.mum.account_id, AccountPatient.relationship == "self"
        )
    ).one()
    before = (count(w.db, AccountPatient), count(w.db, OutboxMessage), count(w.db, AuditEvent))
    for staff, link_id in [
        (w.elsewhere, mum_link.id),  # another practice's staff
        (w.receptionist, mum_self.id),  # a patient's own account is not a holder
        (w.receptionist, 999_999),
        (w.receptionist, "1 OR 1=1"),
        (w.receptionist, True),
        (w.receptionist, None),
    ]:
        with pytest.raises(PermissionDenied) as denied:
            holders.remove_holder(w.db, staff, link_id)
        assert denied.value.message == holders.HOLDER_NOT_FOUND, link_id
    with pytest.raises(PermissionDenied):
        holders.remove_holder(w.db, None, mum_link.id)  # a patient, or signed out
    assert (count(w.db, AccountPatient), count(w.db, OutboxMessage), count(w.db, AuditEvent)) == before


def test_another_practices_staff_cant_approve_a_second_holder(world: World):
    w = world
    add_dependant(w.db, w.dad, lily_form(), today=TODAY)
    for decide in (
        lambda: verifications.approve_dependant(w.db, w.elsewhere, dad_link(w).id),
        lambda: verifications.decline_dependant(w.db, w.elsewhere, dad_link(w).id, reason="No"),
    ):
        with pytest.raises(PermissionDenied) as denied:
            decide()
        assert denied.value.message == verifications.LINK_NOT_FOUND
    assert dad_link(w).approval_status == "pending" and everything_dad_sees_of_lily(w) == NOTHING


def test_the_queue_shows_why_and_who_holds_them(world: World):
    w = world
    add_dependant(w.db, w.dad, lily_form(), today=TODAY)
    (item,) = verifications.verification_queue(w.db, w.receptionist)
    assert (item.kind, item.link_id, item.approval_reason) == ("dependant", dad_link(w).id, dependants.SECOND_HOLDER)
    assert item.requested_by == "Sam Smith (dad@example.com)"
    assert item.reason.startswith(
        "Asks to be linked to this patient as a parent or carer. Other accounts already hold them"
    )
    assert item.others == (verifications.SameNumber("Already held by: Zoe Smith (mum@example.com)"),)
    assert verifications.verification_queue(w.db, w.elsewhere) == []


def test_the_person_with_their_own_account_is_told_and_the_practice_decides(world: World):
    w = world
    before = len(outbox(w.db))
    outcome = add_dependant(
        w.db,
        w.mum,
        lily_form(full_name="Sam Smith", dob_day="2", dob_month="1", dob_year="1984", nhs_number=DAD_NHS),
        today=TODAY,
    )
    assert (outcome.approval_status, outcome.approval_reason) == ("pending", dependants.OWN_ACCOUNT_REASON)
    assert [(m.to_address, m.template) for m in outbox(w.db)[before:]] == [
        ("dad@example.com", "holder_link_requested_self"),
        ("a81001@nhs.example", "holder_approval_practice"),
    ]
    item = next(i for i in verifications.verification_queue(w.db, w.receptionist) if i.kind == "dependant")
    assert "their own Anima account" in item.reason and item.others == (
        verifications.SameNumber("Their own account: Sam Smith (dad@example.com)"),
    )


# --- claims in Verifications ------------------------------------------------------------------------


def test_a_claim_is_shown_beside_the_record_that_owns_its_number_and_cant_be_verified(world: World):
    w = world
    squatter = holder(w.db, w.practice, "sq@example.com", "Mal Lory", valid_nhs_number("401023460"))
    assert add_dependant(w.db, squatter, lily_form(full_name="Made Up", dob_day="1"), today=TODAY).status == "pending"
    claim = w.db.exec(select(Patient).where(Patient.nhs_number == LILY, Patient.verification_status == "pending")).one()

    (item,) = [i for i in verifications.verification_queue(w.db, w.receptionist) if i.patient_id == claim.id]
    assert item.requested_by == "Mal Lory (sq@example.com)"
    assert item.reason.startswith("NHS number already belongs to a verified patient record whose details differ")
    assert item.others == (
        verifications.SameNumber(
            "Same NHS number: Lily Smith, born 9 May 2019, verified, no account of their own, held by 1 account",
            w.lily.id,
        ),
    )
    add_dependant(w.db, w.dad, lily_form(), today=TODAY)  # a second holder asking too
    (item,) = [i for i in verifications.verification_queue(w.db, w.receptionist) if i.patient_id == claim.id]
    assert item.others[0].text.endswith("held by 1 account (1 more waiting for approval)")
    with pytest.raises(PermissionDenied) as denied:
        verifications.verify_patient(w.db, w.receptionist, claim.id)
    assert denied.value.message == verifications.NUMBER_OWNED
    assert w.db.get(Patient, claim.id).verification_status == "pending"
    # Rejecting it is how the practice decides; Lily and Mum are untouched.
    assert verifications.reject_patient(
        w.db, w.receptionist, claim.id, reason="Please check the details and add them again"
    ).ok
    assert [r.reference for r in patient_view.your_requests(w.db, w.mum)] == ["AN-LILY01"]
    assert [r.reference for r in patient_view.your_requests(w.db, squatter)] == []


def test_two_claims_the_practice_decides_between(world: World):
    """Two pending records with one number (neither matched the register): each is shown with the
    other; verifying one stops the other being verified."""
    w = world
    number = valid_nhs_number("401023470")
    one = make_patient(w.db, w.practice, "Tom Smith", dob=date(2020, 1, 1), nhs_number=number, status="pending")
    two = make_patient(w.db, w.practice, "Tom Smyth", dob=date(2020, 1, 2), nhs_number=number, status="pending")
    items = {
        i.patient_id: i for i in verifications.verification_queue(w.db, w.receptionist) if i.kind == "registration"
    }
    assert [o.patient_id for o in items[one.id].others] == [two.id]
    assert (
        items[one.id].others[0].text.startswith("Same NHS number: Tom Smyth, born 2 Jan 2020, waiting for verification")
    )
    verifications.verify_patient(w.db, w.receptionist, one.id)
    with pytest.raises(PermissionDenied) as denied:
        verifications.verify_patient(w.db, w.receptionist, two.id)
    assert denied.value.message == verifications.NUMBER_OWNED
    w.db.commit()


def test_verifying_a_claim_as_another_is_verified_is_refused_not_a_crash(world: World, monkeypatch):
    w = world
    claim = make_patient(w.db, w.practice, "Made Up", dob=date(2019, 1, 1), nhs_number=LILY, status="pending")
    monkeypatch.setattr(verification, "verified_owner", lambda *args, **kwargs: None)  # the check ran too early
    with pytest.raises(PermissionDenied) as denied:
        verifications.verify_patient(w.db, w.receptionist, claim.id)
    assert denied.value.message == verifications.NUMBER_OWNED
    w.db.expire_all()
    assert w.db.get(Patient, claim.id).verification_status == "pending"
    assert outbox(w.db, template="verification_approved") == []
    w.db.commit()  # the session is still usable


def test_another_practice_sees_only_that_a_verified_record_exists_elsewhere(world: World):
    w = world
    other_practice = make_practice(w.db, "C83003", "Far Surgery", email="c@nhs.example")
    far_staff = make_staff(w.db, other_practice, "receptionist")
    far_parent = holder(w.db, other_practice, "far@example.com", "Kim Smith", valid_nhs_number("401023462"))
    assert add_dependant(w.db, far_parent, lily_form(), today=TODAY).status == "pending"
    (item,) = [i for i in verifications.verification_queue(w.db, far_staff) if i.kind == "registration"]
    assert item.others == (verifications.SameNumber("Same NHS number: a verified record at another practice"),)
    assert "at another practice" in item.reason and "Riverside" not in item.reason


def test_a_self_claim_stays_out_of_the_real_persons_account(world: World):
    """The real Sam registered; someone else registering with Sam's number waits as a claim, and
    nothing of Sam's reaches them."""
    w = world
    other = identity_of(make_account(w.db, "mallory@example.com"))
    form = registration.DetailsForm(
        full_name="Sam Smith", dob_day="2", dob_month="1", dob_year="1984", postcode="MB1 2AB", mobile="07700 900982",
        nhs_number=DAD_NHS, practice_id=w.practice.id, over_18=True, terms=True,
    )  # fmt: skip
    assert registration.register_self(w.db, other, form, today=TODAY).status == "pending"
    assert patient_view.your_requests(w.db, other) == []
    assert [s.can_request for s in dependants.request_subjects(w.db, other)] == [False]
    sams = w.db.exec(select(Patient).where(Patient.nhs_number == DAD_NHS).order_by(col(Patient.id))).all()
    assert [p.verification_status for p in sams] == ["verified", "pending"]
