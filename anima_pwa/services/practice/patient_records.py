"""A patient's record in the practice workspace: what the patient page shows (their details, the
accounts linked to them, whom they hold), editing their details, and removing their email address.

Every public function takes the DB session and the acting member of staff (a
``permissions.StaffContext``, or None when the caller is a patient or signed out), checks the
permission table first, works only on patients of the staff member's own practice (a patient
elsewhere is refused exactly like a missing one), and writes an audit row for every read or change
of patient data. Nothing here commits; screens get small frozen dataclasses, never ORM rows.

Removing an email address (the care-home guide's "this patient has no email address") keeps the
patient's account row, its links and its history, but the account can no longer sign in and its
email address is free for a new account (e.g. the care home's own).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from anima_pwa.models import Account, AccountPatient, Patient, id_of
from anima_pwa.services.identity import sessions, tokens
from anima_pwa.services.platform import clock
from anima_pwa.services.platform.results import Result, failed
from anima_pwa.services.platform.validation import (
    FieldError,
    age_on,
    clean_date_of_birth,
    clean_full_name,
    clean_postcode,
    clean_text,
    clean_uk_phone,
    format_uk_phone,
)
from anima_pwa.services.practice.holders import NO_EMAIL, REMOVED, email_of, self_accounts, self_patients
from anima_pwa.services.practice.patient_access import audit_staff, date_display, nhs_display, staff_patient
from anima_pwa.services.practice.permissions import Action, StaffContext

__all__ = [
    "ACCOUNT_TOKEN_PURPOSES",
    "CONFIRM_NO_EMAIL",
    "EDIT_FIELD_ORDER",
    "Dependant",
    "Holder",
    "LinkedAccount",
    "PatientDetail",
    "patient_detail",
    "remove_patient_email",
    "update_patient",
]

CONFIRM_NO_EMAIL = "Confirm this patient has no email address"


# Every open link or code that belongs to an account and could let someone back in or change it.
# (email_verification links are not bound to an account: they create one.)
ACCOUNT_TOKEN_PURPOSES = (
    tokens.PASSWORD_RESET,
    "email_change",  # services.identity.account_settings.EMAIL_CHANGE
    "mfa_setup",  # services.identity.mfa.SETUP_PURPOSE
    "mfa_challenge",  # services.identity.accounts.MFA_CHALLENGE
    "nhs_login_flow",  # services.nhs_login.accounts.FLOW ("Connect NHS login")
    "nhs_login_claims",  # services.nhs_login.accounts.CLAIMS
)


@dataclass(frozen=True)
class LinkedAccount:
    """An account linked to the patient: their own, a parent's or a care home's."""

    account_id: int
    email: str  # or "No email"
    relationship: str  # self | dependant | care_home
    approval_status: str  # not_needed | pending | approved | rejected
    status: str  # active | disabled | removed


@dataclass(frozen=True)
class Dependant:
    """Someone the patient's own account looks after."""

    patient_id: int
    full_name: str
    date_of_birth: str
    relationship: str  # dependant | care_home
    approval_status: str


@dataclass(frozen=True)
class Holder:
    """A parent, carer or care home whose account holds this patient."""

    link_id: int
    account_id: int
    name: str  # the holder's own name (their self patient record), or ""
    email: str  # or "No email"
    relationship: str  # dependant | care_home
    approval_status: str
    is_care_home: bool
    status: str


@dataclass(frozen=True)
class PatientDetail:
    id: int
    full_name: str
    preferred_name: str
    date_of_birth: date
    date_of_birth_display: str
    age: int
    nhs_number: str  # display
    postcode: str
    address_line1: str
    phone: str  # display
    email: str  # the patient's own account's email, or ""
    verification_status: str
    verification_note: str
    is_care_home: bool
    care_home_resident: bool
    housebound: bool
    linked_accounts: tuple[LinkedAccount, ...]
    dependants: tuple[Dependant, ...]  # only those registered at this practice
    dependants_elsewhere: int  # held, but registered at another practice: not named here
    held_by: tuple[Holder, ...]


# The patient page


def patient_detail(
    session: Session, staff: StaffContext | None, patient_id: object, *, today: date | None = None
) -> PatientDetail:
    """Everything the patient page shows, including who holds the patient and whom they hold."""
    staff, patient = staff_patient(session, staff, Action.VIEW_PATIENT, patient_id)
    today = today or clock.today()

    links = session.exec(
        select(AccountPatient, Account)
        .join(Account, col(Account.id) == AccountPatient.account_id)
        .where(AccountPatient.patient_id == patient.id)
        .order_by(col(AccountPatient.created_at), col(AccountPatient.id))
    ).all()
    own = next((account for link, account in links if link.relationship == "self"), None)
    linked = tuple(
        LinkedAccount(
            account_id=id_of(account),
            email=email_of(account) or NO_EMAIL,
            relationship=link.relationship,
            approval_status=link.approval_status,
            status=account.status,
        )
        for link, account in links
    )

    holder_links = [(link, account) for link, account in links if link.relationship != "self"]
    holder_selves = self_patients(session, [id_of(account) for _, account in holder_links])
    held_by = tuple(
        Holder(
            link_id=id_of(link),
            account_id=id_of(account),
            name=holder_selves[account.id].full_name if account.id in holder_selves else "",
            email=email_of(account) or NO_EMAIL,
            relationship=link.relationship,
            approval_status=link.approval_status,
            is_care_home=bool(account.id in holder_selves and holder_selves[account.id].is_care_home),
            status=account.status,
        )
        for link, account in holder_links
    )

    dependants: list[Dependant] = []
    elsewhere = 0
    if own is not None:
        held = session.exec(
            select(AccountPatient, Patient)
            .join(Patient, col(Patient.id) == AccountPatient.patient_id)
            .where(AccountPatient.account_id == own.id, AccountPatient.relationship != "self")
            .order_by(col(Patient.full_name), col(Patient.id))
        ).all()
        for link, person in held:
            if person.practice_id != staff.practice_id:
                elsewhere += 1  # another practice's patient: not this practice's to see
                continue
            dependants.append(
                Dependant(
                    patient_id=id_of(person),
                    full_name=person.full_name,
                    date_of_birth=date_display(person.date_of_birth),
                    relationship=link.relationship,
                    approval_status=link.approval_status,
                )
            )

    audit_staff(session, staff, "patient_viewed", patient_id=patient.id)
    return PatientDetail(
        id=id_of(patient),
        full_name=patient.full_name,
        preferred_name=patient.preferred_name,
        date_of_birth=patient.date_of_birth,
        date_of_birth_display=date_display(patient.date_of_birth),
        age=age_on(patient.date_of_birth, today),
        nhs_number=nhs_display(patient.nhs_number),
        postcode=patient.postcode,
        address_line1=patient.address_line1,
        phone=format_uk_phone(patient.phone_mobile),
        email=email_of(own),
        verification_status=patient.verification_status,
        verification_note=patient.verification_note,
        is_care_home=patient.is_care_home,
        care_home_resident=patient.care_home_resident,
        housebound=patient.housebound,
        linked_accounts=linked,
        dependants=tuple(dependants),
        dependants_elsewhere=elsewhere,
        held_by=held_by,
    )


# Editing a patient's details

# The order fields appear on the edit page, for the error summary.
EDIT_FIELD_ORDER = ["full_name", "dob", "postcode", "address_line1", "phone", "care_home_resident"]


def _clean_field(errors: dict[str, str], name: str, func: Callable, *args, **kwargs):
    try:
        return func(*args, **kwargs)
    except FieldError as error:
        # validation.py speaks to the patient ("Enter your postcode"); here staff are typing.
        errors[name] = error.message.replace("Enter your ", "Enter the patient's ")
        return None


def update_patient(
    session: Session,
    staff: StaffContext | None,
    patient_id: object,
    *,
    full_name: str,
    dob_day: str,
    dob_month: str,
    dob_year: str,
    postcode: str,
    address_line1: str,
    phone: str,
    housebound: bool,
    care_home_resident: bool,
    today: date | None = None,
) -> Result:
    """Save the edit form: fails with an error per field, and nothing saved.

    The phone number may be left blank, and may be a landline (care homes). Staff edits keep the
    patient's verification status: staff are the ones who verify.
    """
    staff, patient = staff_patient(session, staff, Action.EDIT_PATIENT, patient_id)
    today = today or clock.today()
    errors: dict[str, str] = {}
    new_name = _clean_field(errors, "full_name", clean_full_name, full_name if isinstance(full_name, str) else "")
    new_dob = _clean_field(
        errors, "dob", clean_date_of_birth, str(dob_day or ""), str(dob_month or ""), str(dob_year or ""), today=today
    )
    new_postcode = _clean_field(errors, "postcode", clean_postcode, postcode if isinstance(postcode, str) else "")
    new_address = _clean_field(
        errors,
        "address_line1",
        clean_text,
        address_line1 if isinstance(address_line1, str) else "",
        label="address line 1",
        max_length=200,
        required=False,
    )
    new_phone = _clean_field(errors, "phone", clean_uk_phone, phone if isinstance(phone, str) else "")
    resident = care_home_resident is True
    if resident and patient.is_care_home:
        errors["care_home_resident"] = "A care home's own record can't be a care home resident"
    if errors:
        return Result(errors={key: errors[key] for key in EDIT_FIELD_ORDER if key in errors})

    changes = {
        "full_name": new_name,
        "date_of_birth": new_dob,
        "postcode": new_postcode,
        "address_line1": new_address,
        "phone_mobile": new_phone,
        "housebound": housebound is True,
        "care_home_resident": resident,
    }
    changed = [name for name, value in changes.items() if getattr(patient, name) != value]
    if changed:
        for name in changed:
            setattr(patient, name, changes[name])
        patient.updated_at = clock.utcnow()
        session.add(patient)
        session.flush()
        audit_staff(session, staff, "patient_updated", patient_id=patient.id, detail={"fields": changed})
    return Result()


# "This patient has no email address"


def remove_patient_email(
    session: Session, staff: StaffContext | None, patient_id: object, *, confirmed_no_email: bool
) -> Result:
    """Take the email address off the patient's own account, so it is free for another account.

    The account stays (with its links and its history in the audit trail) but is closed: it can't
    sign in with a password or NHS login, its sessions end, its open links and codes stop working,
    and its address becomes ``removed-<id>@invalid``. Accounts of parents or a care home that hold
    the patient are not touched. A patient with no account of their own has nothing to remove.
    Fails with an error for the confirmation box.
    """
    staff, patient = staff_patient(session, staff, Action.REMOVE_PATIENT_EMAIL, patient_id)
    if confirmed_no_email is not True:
        return failed(CONFIRM_NO_EMAIL, "confirm_no_email")
    account = self_accounts(session, [id_of(patient)]).get(id_of(patient))
    if account is None or account.status == REMOVED:
        audit_staff(session, staff, "patient_email_removed", patient_id=patient.id, detail={"had_account": False})
        return Result()
    if account.kind != "patient":  # a self link only ever points at a patient account
        return failed("This email address belongs to a staff account and can't be removed here", "confirm_no_email")
    now = clock.utcnow()
    ended = sessions.end_all(session, id_of(account), now=now)
    revoked = tokens.revoke_for_account(session, id_of(account), ACCOUNT_TOKEN_PURPOSES, now=now)
    holds = session.exec(
        select(func.count(col(AccountPatient.id))).where(
            AccountPatient.account_id == account.id, AccountPatient.relationship != "self"
        )
    ).one()
    had_nhs_login = account.nhs_login_sub is not None
    account.status = REMOVED
    account.email = ""
    account.email_normalized = f"removed-{account.id}@invalid"
    account.password_hash = None
    account.nhs_login_sub = None
    account.mfa_secret_encrypted = None
    account.mfa_enabled_at = None
    account.updated_at = now
    session.add(account)
    session.flush()
    audit_staff(
        session,
        staff,
        "patient_email_removed",
        patient_id=patient.id,
        account_id=account.id,
        detail={
            "had_account": True,
            "had_nhs_login": had_nhs_login,
            "sessions_ended": ended,
            "links_revoked": revoked,
            "people_held": holds,
        },
    )
    return Result()
