"""Who holds whom: a patient's own account, the parents, carers and care homes whose accounts
hold them, and "Remove" on the patient's record, which takes one of those holders off.

Removing a holder keeps the patient (and everyone else who holds them); the removed account can
no longer act for them or see their requests, loses any request for them it was still writing,
and is emailed without the patient's name. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete
from sqlmodel import Session, col, select

from anima_pwa.models import Account, AccountPatient, Patient, Request
from anima_pwa.services.platform import notifications
from anima_pwa.services.practice.patient_access import audit_staff, holder_link, name_of_practice
from anima_pwa.services.practice.permissions import Action, StaffContext, require

__all__ = [
    "HOLDER_NOT_FOUND",
    "NO_EMAIL",
    "REMOVED",
    "email_of",
    "remove_holder",
    "self_account",
    "self_accounts",
    "self_patients",
]

REMOVED = "removed"  # Account.status once staff have removed its email address (patient_records)
NO_EMAIL = "No email"
HOLDER_NOT_FOUND = "We could not find that account on this patient's record."


def self_accounts(session: Session, patient_ids: Iterable[int]) -> dict[int, Account]:
    """Each patient's own (self) account, for those that have one."""
    ids = list(patient_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(AccountPatient.patient_id, Account)
        .join(Account, col(Account.id) == AccountPatient.account_id)
        .where(AccountPatient.relationship == "self", col(AccountPatient.patient_id).in_(ids))
    ).all()
    return {patient_id: account for patient_id, account in rows}


def self_account(session: Session, patient_id: int) -> Account | None:
    """The account a patient signs in with themselves, if any."""
    return session.exec(
        select(Account)
        .join(AccountPatient, col(AccountPatient.account_id) == col(Account.id))
        .where(AccountPatient.patient_id == patient_id, AccountPatient.relationship == "self")
    ).first()


def self_patients(session: Session, account_ids: list[int]) -> dict[int, Patient]:
    """The own (self) patient record of each account that has one: a holder's name, or whether it
    is a care home."""
    if not account_ids:
        return {}
    rows = session.exec(
        select(AccountPatient.account_id, Patient)
        .join(Patient, col(Patient.id) == AccountPatient.patient_id)
        .where(AccountPatient.relationship == "self", col(AccountPatient.account_id).in_(account_ids))
    ).all()
    return {account_id: patient for account_id, patient in rows}


def email_of(account: Account | None) -> str:
    if account is None or account.status == REMOVED:
        return ""
    return account.email


# "Remove" on the patient's record


def remove_holder(session: Session, staff: StaffContext | None, link_id: object) -> None:
    """ "Remove" on the patient's record: take a parent, carer or care home (any link but the
    patient's own account) off this practice's patient. The patient stays with everyone else who
    holds them; the removed account can no longer act for them or see their requests, loses any
    request for them it was still writing, and is emailed (without the patient's name). Adding
    them again later waits for the practice's approval. Raises PermissionDenied when not allowed
    or not a holder of this practice's patient."""
    staff = require(staff, Action.REMOVE_HOLDER)
    link, patient = holder_link(session, staff, link_id, not_found=HOLDER_NOT_FOUND)
    drafts = session.exec(
        delete(Request)
        .where(
            col(Request.account_id) == link.account_id,
            col(Request.patient_id) == patient.id,
            col(Request.status) == "draft",
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    detail = {
        "link_id": link.id,
        "relationship": link.relationship,
        "approval_status": link.approval_status,
        "drafts_deleted": drafts,
    }
    account = session.get(Account, link.account_id)
    session.delete(link)
    session.flush()
    emailed = 0
    if account is not None and account.status == "active" and account.kind == "patient" and account.email:
        notifications.enqueue_email(
            session,
            to=account.email,
            template="holder_removed",
            practice_name=name_of_practice(session, staff.practice_id),
        )
        emailed = 1
    audit_staff(
        session,
        staff,
        "holder_removed",
        patient_id=patient.id,
        account_id=link.account_id,
        detail={**detail, "emails": emailed},
    )
