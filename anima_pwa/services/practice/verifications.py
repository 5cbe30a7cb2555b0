"""Verifications in the practice workspace: the queue of decisions waiting for the practice, and
the decisions themselves.

- Registrations (and dependants) that could not be matched to the practice register: verify or
  reject them by hand (``verify_patient``, ``reject_patient``), seeing every other record with the
  same NHS number so staff can decide between claims;
- links waiting for approval (a dependant of 16 or over, a second holder, someone asking to hold a
  patient who has their own account): approve or decline them (``approve_dependant``,
  ``decline_dependant``), seeing who holds the patient now.

Every decision is a conditional update (two members of staff deciding at once can't both win),
emails everyone it concerns without any details, and is audited. Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from anima_pwa.models import Account, AccountPatient, Patient, id_of
from anima_pwa.services.patients import verification
from anima_pwa.services.platform import clock, notifications, text_limits
from anima_pwa.services.platform.results import Result, failed
from anima_pwa.services.platform.validation import FieldError, clean_text
from anima_pwa.services.practice.holders import NO_EMAIL, email_of, self_accounts, self_patients
from anima_pwa.services.practice.patient_access import (
    audit_staff,
    date_display,
    datetime_display,
    holder_link,
    name_of_practice,
    nhs_display,
    staff_patient,
)
from anima_pwa.services.practice.permissions import Action, PermissionDenied, StaffContext, require

__all__ = [
    "ENTER_REASON",
    "LINK_NOT_FOUND",
    "LINK_NOT_PENDING",
    "NOT_PENDING",
    "NUMBER_OWNED",
    "REASON_MAX",
    "QueueItem",
    "SameNumber",
    "approve_dependant",
    "decline_dependant",
    "reject_patient",
    "verification_queue",
    "verify_patient",
]

ENTER_REASON = "Enter a reason the patient will see"
REASON_MAX = text_limits.REJECTION_REASON.limit
NOT_PENDING = "This patient is not waiting for verification."
LINK_NOT_FOUND = "We could not find that request at your practice."
LINK_NOT_PENDING = "This request has already been reviewed."
NUMBER_OWNED = (
    "Another patient record with this NHS number is already verified, so this one can't be. "
    "Check the records listed with it: if this is the same person, reject this one with a reason "
    "that tells them what to do"
)


@dataclass(frozen=True)
class QueueItem:
    """One decision waiting in the practice's verification queue."""

    kind: str  # "registration" (verify the person) | "dependant" (approve someone holding them)
    patient_id: int
    link_id: int | None  # the AccountPatient link, for kind == "dependant"
    full_name: str
    date_of_birth: str
    nhs_number: str
    postcode: str
    reason: str
    submitted_at: datetime
    submitted: str  # display, UK time
    requested_by: str  # "Jo Bloggs (jo@example.com)", an email, or ""
    approval_reason: str = ""  # kind "dependant": why the link needs approval (services.patients.dependants)
    others: tuple[SameNumber, ...] = ()  # what staff weigh it against (other records, other holders)


@dataclass(frozen=True)
class SameNumber:
    """Something staff should see beside a claim or a link: another record with the same NHS
    number, or someone who already holds the patient."""

    text: str
    patient_id: int | None = None  # a record at this practice they can open


# The verification queue


def _who(name: str, email: str) -> str:
    if name and email:
        return f"{name} ({email})"
    return name or email


_LINK_REASONS = {
    "age_16_plus": "Aged 16 or over: added as a dependant by {what}, needs the practice's approval",
    "second_holder": (
        "Asks to be linked to this patient as a parent or carer. Other accounts already hold them "
        "(listed below) and have been emailed. Check the relationship before approving"
    ),
    "existing_record": (
        "Asks to be linked to this patient as a parent or carer. No account holds them now. "
        "Check the relationship before approving"
    ),
    "own_account": (
        "Asks to hold this patient as a dependant, but the patient has their own Anima account (they "
        "have been emailed). They can usually send requests themselves: decline unless they agree"
    ),
}
_STATUS_WORDS = {
    verification.VERIFIED: "verified",
    verification.PENDING: "waiting for verification",
    verification.REJECTED: "rejected",
}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _same_numbers(session: Session, staff: StaffContext, patients: list[Patient]) -> dict[int, tuple[SameNumber, ...]]:
    """For each patient, every other record with their NHS number: this practice's in full, and
    only whether another practice has a verified one (which stops this one being verified). Three
    queries for the whole list, however long."""
    numbers = {p.nhs_number for p in patients if p.nhs_number}
    if not numbers:
        return {}
    rows = session.exec(
        select(Patient).where(col(Patient.nhs_number).in_(numbers)).order_by(col(Patient.created_at), col(Patient.id))
    ).all()
    by_number: dict[str, list[Patient]] = {}
    for row in rows:
        by_number.setdefault(row.nhs_number or "", []).append(row)
    here_ids = list({id_of(r) for r in rows if r.practice_id == staff.practice_id})
    counts: dict[tuple[int, bool], int] = {}
    if here_ids:
        for holder_of, approval, n in session.exec(
            select(AccountPatient.patient_id, AccountPatient.approval_status, func.count(col(AccountPatient.id)))
            .where(
                col(AccountPatient.patient_id).in_(here_ids),
                AccountPatient.relationship != "self",
                AccountPatient.approval_status != "rejected",
            )
            .group_by(col(AccountPatient.patient_id), col(AccountPatient.approval_status))
        ).all():
            key = (holder_of, approval == "pending")
            counts[key] = counts.get(key, 0) + n
    owners = self_accounts(session, here_ids)
    found: dict[int, tuple[SameNumber, ...]] = {}
    for patient in patients:
        if not patient.nhs_number:
            continue
        others = [r for r in by_number.get(patient.nhs_number, []) if r.id != patient.id]
        out = []
        for other in others:
            if other.practice_id != staff.practice_id:
                continue
            own = "has their own account" if other.id in owners else "no account of their own"
            held = _plural(counts.get((id_of(other), False), 0), "account")
            if counts.get((id_of(other), True)):
                held += f" ({counts[(id_of(other), True)]} more waiting for approval)"
            out.append(
                SameNumber(
                    f"Same NHS number: {other.full_name}, born {date_display(other.date_of_birth)}, "
                    f"{_STATUS_WORDS.get(other.verification_status, other.verification_status)}, {own}, "
                    f"held by {held}",
                    other.id,
                )
            )
        if any(r.practice_id != staff.practice_id and r.verification_status == verification.VERIFIED for r in others):
            out.append(SameNumber("Same NHS number: a verified record at another practice"))
        found[id_of(patient)] = tuple(out)
    return found


def _holders_of(session: Session, links: list[AccountPatient]) -> dict[int, tuple[SameNumber, ...]]:
    """For each link waiting for approval (by its id), who may act for its patient now (their own
    account, approved holders). Two queries for the whole list."""
    patient_ids = list({link.patient_id for link in links})
    if not patient_ids:
        return {}
    rows = session.exec(
        select(AccountPatient, Account)
        .join(Account, col(Account.id) == AccountPatient.account_id)
        .where(
            col(AccountPatient.patient_id).in_(patient_ids),
            or_(
                col(AccountPatient.relationship) == "self",
                col(AccountPatient.approval_status).in_(("not_needed", "approved")),
            ),
        )
        .order_by(col(AccountPatient.created_at), col(AccountPatient.id))
    ).all()
    selves = self_patients(session, list({id_of(account) for _, account in rows}))
    found: dict[int, tuple[SameNumber, ...]] = {}
    for waiting in links:
        out = []
        for link, account in rows:
            if link.patient_id != waiting.patient_id or link.id == waiting.id:
                continue
            who = _who(selves[account.id].full_name if account.id in selves else "", email_of(account)) or NO_EMAIL
            out.append(
                SameNumber(f"Their own account: {who}" if link.relationship == "self" else f"Already held by: {who}")
            )
        found[id_of(waiting)] = tuple(out)
    return found


def _requesters(session: Session, patient_ids: list[int], owners: dict[int, Account]) -> dict[int, str]:
    """Who each pending record came from: their own account, else the first account that added
    them. Two queries for the whole list."""
    found = {pid: email_of(owners[pid]) for pid in patient_ids if pid in owners}
    rest = [pid for pid in patient_ids if pid not in owners]
    if not rest:
        return found
    first: dict[int, Account] = {}
    for link, account in session.exec(
        select(AccountPatient, Account)
        .join(Account, col(Account.id) == AccountPatient.account_id)
        .where(col(AccountPatient.patient_id).in_(rest))
        .order_by(col(AccountPatient.created_at), col(AccountPatient.id))
    ).all():
        first.setdefault(link.patient_id, account)
    selves = self_patients(session, list({id_of(a) for a in first.values()}))
    for pid in rest:
        adder = first.get(pid)
        found[pid] = _who(selves[adder.id].full_name if adder.id in selves else "", email_of(adder)) if adder else ""
    return found


def verification_queue(session: Session, staff: StaffContext | None, *, limit: int = 200) -> list[QueueItem]:
    """Registrations and dependants waiting for manual verification (with every other record that
    has the same NHS number, so staff can decide between claims), then links waiting for approval
    (dependants of 16 or over, second holders, with who holds them now): this practice only,
    oldest first within each kind."""
    staff = require(staff, Action.VERIFY_PATIENT)
    limit = max(1, min(int(limit), 500))
    pending = verification.pending_verifications(session, practice_id=staff.practice_id, limit=limit)
    owners = self_accounts(session, [p.patient_id for p in pending])
    records = (
        {
            p.id: p
            for p in session.exec(select(Patient).where(col(Patient.id).in_([p.patient_id for p in pending]))).all()
        }
        if pending
        else {}
    )
    same = _same_numbers(session, staff, list(records.values()))
    requesters = _requesters(session, [p.patient_id for p in pending], owners)
    items = [
        QueueItem(
            kind="registration",
            patient_id=p.patient_id,
            link_id=None,
            full_name=p.full_name,
            date_of_birth=date_display(p.date_of_birth),
            nhs_number=nhs_display(p.nhs_number),
            postcode=p.postcode,
            reason=p.reason or "Could not be matched to the practice register",
            submitted_at=p.submitted_at,
            submitted=datetime_display(p.submitted_at),
            requested_by=requesters.get(p.patient_id, ""),
            others=same.get(p.patient_id, ()),
        )
        for p in pending
    ]
    links = session.exec(
        select(AccountPatient, Patient, Account)
        .join(Patient, col(Patient.id) == AccountPatient.patient_id)
        .join(Account, col(Account.id) == AccountPatient.account_id)
        .where(AccountPatient.approval_status == "pending", Patient.practice_id == staff.practice_id)
        .order_by(col(AccountPatient.created_at), col(AccountPatient.id))
        .limit(limit)
    ).all()
    holder_selves = self_patients(session, [id_of(account) for _, _, account in links])
    holders = _holders_of(session, [link for link, _, _ in links])
    for link, patient, account in links:
        holder = holder_selves.get(id_of(account))
        what = "a care home" if link.relationship == "care_home" else "someone"
        reason = _LINK_REASONS.get(link.approval_reason or "age_16_plus", "Needs the practice's approval").format(
            what=what
        )
        items.append(
            QueueItem(
                kind="dependant",
                patient_id=id_of(patient),
                link_id=link.id,
                full_name=patient.full_name,
                date_of_birth=date_display(patient.date_of_birth),
                nhs_number=nhs_display(patient.nhs_number),
                postcode=patient.postcode,
                reason=reason,
                submitted_at=link.created_at,
                submitted=datetime_display(link.created_at),
                requested_by=_who(holder.full_name if holder else "", email_of(account)),
                approval_reason=link.approval_reason or "age_16_plus",
                others=holders.get(id_of(link), ()),
            )
        )
    audit_staff(session, staff, "verification_queue_viewed", detail={"results": len(items)})
    return items


# Manual verification


def _holder_addresses(session: Session, patient_id: int) -> list[str]:
    """Where to tell everyone who holds this patient: active accounts with an email, once each."""
    rows = session.exec(
        select(Account)
        .join(AccountPatient, col(AccountPatient.account_id) == Account.id)
        .where(
            AccountPatient.patient_id == patient_id,
            AccountPatient.approval_status != "rejected",
            Account.status == "active",
            Account.kind == "patient",
        )
        .order_by(col(AccountPatient.id))
    ).all()
    seen: set[str] = set()
    addresses = []
    for account in rows:
        if account.email and account.email_normalized not in seen:
            seen.add(account.email_normalized)
            addresses.append(account.email)
    return addresses


def _claim_pending(session: Session, patient: Patient, values: dict) -> None:
    """Move a pending patient on, once: two members of staff deciding at once can't both win."""
    result = session.exec(
        update(Patient)
        .where(col(Patient.id) == patient.id, col(Patient.verification_status) == verification.PENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise PermissionDenied(NOT_PENDING)
    session.refresh(patient)


def verify_patient(session: Session, staff: StaffContext | None, patient_id: object) -> None:
    """Verify a pending patient by hand and tell everyone who holds them (no details in the email).

    Raises PermissionDenied when not allowed, not at this practice, or not pending.
    """
    staff, patient = staff_patient(session, staff, Action.VERIFY_PATIENT, patient_id)
    if patient.verification_status != verification.PENDING:
        raise PermissionDenied(NOT_PENDING)
    if verification.verified_owner(session, patient.nhs_number, exclude_id=patient.id) is not None:
        raise PermissionDenied(NUMBER_OWNED)
    now = clock.utcnow()
    try:
        # A savepoint: another record with this number verified since the check (by a colleague, or
        # automatically) makes the unique index refuse this one, and nothing here is kept.
        with session.begin_nested():
            _claim_pending(
                session,
                patient,
                {
                    "verification_status": verification.VERIFIED,
                    "verified_at": now,
                    "verification_note": "",
                    "updated_at": now,
                },
            )
    except IntegrityError:
        raise PermissionDenied(NUMBER_OWNED) from None
    practice_name = name_of_practice(session, staff.practice_id)
    addresses = _holder_addresses(session, id_of(patient))
    for address in addresses:
        notifications.enqueue_email(session, to=address, template="verification_approved", practice_name=practice_name)
    audit_staff(session, staff, "patient_verified", patient_id=patient.id, detail={"emails": len(addresses)})


def reject_patient(session: Session, staff: StaffContext | None, patient_id: object, *, reason: str) -> Result:
    """Refuse a pending patient with a reason they will see on their home page (not in the email).

    Fails with an error for the reason field. Raises PermissionDenied like verify_patient.
    """
    staff, patient = staff_patient(session, staff, Action.VERIFY_PATIENT, patient_id)
    if patient.verification_status != verification.PENDING:
        raise PermissionDenied(NOT_PENDING)
    try:
        text = clean_text(
            reason if isinstance(reason, str) else "", label="a reason the patient will see", max_length=REASON_MAX
        )
    except FieldError as error:
        return failed(error.message, "reason")
    now = clock.utcnow()
    _claim_pending(
        session,
        patient,
        {
            "verification_status": verification.REJECTED,
            "verified_at": None,
            "verification_note": text,
            "updated_at": now,
        },
    )
    practice_name = name_of_practice(session, staff.practice_id)
    addresses = _holder_addresses(session, id_of(patient))
    for address in addresses:
        notifications.enqueue_email(session, to=address, template="verification_rejected", practice_name=practice_name)
    audit_staff(session, staff, "patient_rejected", patient_id=patient.id, detail={"emails": len(addresses)})
    return Result()


# Links waiting for approval (dependants of 16 or over, second holders)


def _pending_link(session: Session, staff: StaffContext | None, link_id: object) -> tuple[StaffContext, AccountPatient]:
    staff = require(staff, Action.VERIFY_PATIENT)
    link, _ = holder_link(session, staff, link_id, not_found=LINK_NOT_FOUND)
    if link.approval_status != "pending":
        raise PermissionDenied(LINK_NOT_PENDING)
    return staff, link


def _decide_link(
    session: Session, staff: StaffContext, link: AccountPatient, status: str, note: str, template: str, action: str
) -> None:
    result = session.exec(
        update(AccountPatient)
        .where(col(AccountPatient.id) == link.id, col(AccountPatient.approval_status) == "pending")
        .values(approval_status=status, approval_note=note)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise PermissionDenied(LINK_NOT_PENDING)
    session.refresh(link)
    account = session.get(Account, link.account_id)
    emailed = 0
    if account is not None and account.status == "active" and account.email:
        notifications.enqueue_email(
            session, to=account.email, template=template, practice_name=name_of_practice(session, staff.practice_id)
        )
        emailed = 1
    audit_staff(
        session,
        staff,
        action,
        patient_id=link.patient_id,
        account_id=link.account_id,
        detail={"link_id": link.id, "emails": emailed},
    )


def approve_dependant(session: Session, staff: StaffContext | None, link_id: object) -> None:
    """Let an account act for a dependant of 16 or over. Raises PermissionDenied when not allowed,
    not this practice's patient, or already reviewed."""
    staff, link = _pending_link(session, staff, link_id)
    _decide_link(session, staff, link, "approved", "", "dependant_approved", "dependant_approved")


def decline_dependant(session: Session, staff: StaffContext | None, link_id: object, *, reason: str) -> Result:
    """Refuse a dependant of 16 or over, with a reason the account holder sees when signed in
    (fails with an error for the reason field)."""
    staff, link = _pending_link(session, staff, link_id)
    try:
        text = clean_text(
            reason if isinstance(reason, str) else "", label="a reason the patient will see", max_length=REASON_MAX
        )
    except FieldError as error:
        return failed(error.message, "reason")
    _decide_link(session, staff, link, "rejected", text, "dependant_declined", "dependant_declined")
    return Result()
