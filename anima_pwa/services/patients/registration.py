"""The details form after first sign-in: who the account holder is, and their practice.

Either every field is valid and the person, their link to the account and the verification
outcome are saved together, or nothing is saved and each field says what is wrong.

An NHS number typed here never meets "already in use": the details become a new record that is
verified only if it matches the register and no verified record owns the number (see
services/patients/verification.py). Otherwise it waits for the practice, which sees both records, and the
person is told exactly what anyone whose details didn't match is told, so the answer says nothing
about which NHS numbers Anima knows. Only NHS login at P9, which has proven who the person is, is
told that their NHS number already has an account, or is given their own record when the practice
or a relative made it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from anima_pwa.models import AccountPatient, Patient, Practice, id_of
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.patients import verification
from anima_pwa.services.platform import audit, clock, notifications
from anima_pwa.services.platform.results import Result
from anima_pwa.services.platform.validation import (
    FieldError,
    age_on,
    clean_date_of_birth,
    clean_full_name,
    clean_mobile,
    clean_nhs_number,
    clean_postcode,
)

ADULT_AGE = 18


@dataclass
class DetailsForm:
    """Exactly what the person typed; nothing here is trusted."""

    full_name: str = ""
    dob_day: str = ""
    dob_month: str = ""
    dob_year: str = ""
    postcode: str = ""
    mobile: str = ""
    nhs_number: str = ""
    practice_id: int | None = None
    over_18: bool = False
    terms: bool = False


# The order fields appear on the page, for the error summary.
FIELD_ORDER = ["full_name", "dob", "postcode", "mobile", "nhs_number", "practice", "over_18", "terms"]


@dataclass(frozen=True)
class RegistrationOutcome(Result):
    status: str = ""  # verified | pending


@dataclass(frozen=True)
class HolderSummary:
    """What the home page shows about the signed-in account holder."""

    full_name: str
    status: str  # verified | pending | rejected | "" (details not given yet)
    practice_name: str
    practice_phone: str
    rejection_reason: str


def self_patient(session: Session, account_id: int) -> Patient | None:
    return session.exec(
        select(Patient)
        .join(AccountPatient, col(AccountPatient.patient_id) == Patient.id)
        .where(AccountPatient.account_id == account_id, AccountPatient.relationship == "self")
    ).first()


def summary(session: Session, identity: Identity) -> HolderSummary:
    patient = self_patient(session, identity.account_id)
    if patient is None:
        return HolderSummary("", "", "", "", "")
    practice = session.get(Practice, patient.practice_id)
    return HolderSummary(
        full_name=patient.full_name,
        status=patient.verification_status,
        practice_name=practice.name if practice else "",
        practice_phone=practice.phone if practice else "",
        rejection_reason=patient.verification_note if patient.verification_status == verification.REJECTED else "",
    )


def _clean(field_name: str, errors: dict[str, str], func, *args, **kwargs):
    try:
        return func(*args, **kwargs)
    except FieldError as error:
        errors[field_name] = error.message
        return None


@dataclass(frozen=True)
class TrustedIdentity:
    """Name, date of birth and NHS number that came from NHS login, not from the form."""

    full_name: str
    date_of_birth: date
    nhs_number: str
    proven: bool = False  # NHS login proved who they are (P9), not just matched them (P5)


ACCOUNT_EXISTS = (
    "An Anima account already exists for your NHS number. Sign in with its email address and password, "
    "then choose Connect NHS login in Login settings. If you don't have an Anima account, contact your practice"
)


def register_self(
    session: Session,
    identity: Identity,
    form: DetailsForm,
    *,
    client_ip: str = "",
    today: date | None = None,
    trusted: TrustedIdentity | None = None,
) -> RegistrationOutcome:
    now = clock.utcnow()
    today = today or clock.today(now)  # the UK date: an 18th birthday turns over at UK midnight
    if identity.kind != "patient":
        return RegistrationOutcome(errors={"form": "Only patient accounts can register details here."})
    if self_patient(session, identity.account_id) is not None:
        return RegistrationOutcome(errors={"form": "You have already given your details."})

    errors: dict[str, str] = {}
    if trusted is None:
        full_name = _clean("full_name", errors, clean_full_name, form.full_name)
        dob = _clean(
            "dob",
            errors,
            clean_date_of_birth,
            form.dob_day,
            form.dob_month,
            form.dob_year,
            today=today,
            min_age=ADULT_AGE,
        )
        nhs_number = _clean("nhs_number", errors, clean_nhs_number, form.nhs_number)
    else:
        full_name, dob, nhs_number = trusted.full_name, trusted.date_of_birth, trusted.nhs_number
        if age_on(dob, today) < ADULT_AGE:
            errors["form"] = (
                "You must be 18 or over to create an account. Ask a parent or carer to add you to their account."
            )
    postcode = _clean("postcode", errors, clean_postcode, form.postcode)
    mobile = _clean("mobile", errors, clean_mobile, form.mobile)
    practice = None
    if form.practice_id is None:
        errors["practice"] = "Select your GP practice from the list"
    else:
        practice = session.get(Practice, form.practice_id)
        if practice is None or practice.status != "active":
            errors["practice"] = "Select your GP practice from the list"
    if not form.over_18:
        errors["over_18"] = "Confirm that you are 18 or over"
    if not form.terms:
        errors["terms"] = "Agree to the privacy policy and terms of use to create your account"
    owner = verification.verified_owner(session, nhs_number) if nhs_number and not errors else None
    if (
        owner is not None
        and trusted is not None
        and trusted.proven
        and verification.has_own_account(session, id_of(owner))
    ):
        errors["form"] = ACCOUNT_EXISTS  # said only to the person NHS login has proven owns the number
    if errors:
        return RegistrationOutcome(errors={k: errors[k] for k in FIELD_ORDER + ["form"] if k in errors})

    if (
        owner is not None
        and trusted is not None
        and trusted.proven
        and owner.date_of_birth == dob
        and practice is not None
        and owner.practice_id == practice.id
    ):
        return _take_own_record(session, identity, owner, mobile=mobile, client_ip=client_ip, now=now)

    assert practice is not None and full_name and dob and postcode and mobile
    patient = Patient(
        full_name=full_name,
        date_of_birth=dob,
        nhs_number=nhs_number,
        postcode=postcode,
        phone_mobile=mobile,
        practice_id=id_of(practice),
        created_at=now,
        updated_at=now,
    )
    session.add(patient)
    session.flush()
    session.add(
        AccountPatient(account_id=identity.account_id, patient_id=id_of(patient), relationship="self", created_at=now)
    )
    result = verification.verify_patient(session, patient, now=now)
    audit.record_holder(
        session,
        identity.account_id,
        "patient_registered_nhs_login" if trusted else "patient_registered",
        patient_id=patient.id,
        practice_id=practice.id,
        ip=client_ip,
        detail={"verification": patient.verification_status},
    )
    if not result.matched and practice.email:
        notifications.enqueue_email(
            session, to=practice.email, template="verification_pending_practice", practice_name=practice.name
        )
    session.flush()
    return RegistrationOutcome(status=patient.verification_status)


def _take_own_record(
    session: Session, identity: Identity, owner: Patient, *, mobile: str, client_ip: str, now
) -> RegistrationOutcome:
    """NHS login (P9) proved this is the person whose verified record a relative holds or the
    practice made: the account becomes theirs. Those who hold them keep holding them."""
    session.add(
        AccountPatient(account_id=identity.account_id, patient_id=id_of(owner), relationship="self", created_at=now)
    )
    if not owner.phone_mobile:
        owner.phone_mobile = mobile
        owner.updated_at = now
        session.add(owner)
    audit.record_holder(
        session,
        identity.account_id,
        "patient_registered_nhs_login",
        patient_id=owner.id,
        practice_id=owner.practice_id,
        ip=client_ip,
        detail={"verification": owner.verification_status, "existing_record": True},
    )
    session.flush()
    return RegistrationOutcome(status=owner.verification_status)
