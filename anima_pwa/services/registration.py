"""The details form after first sign-in: who the account holder is, and their practice.

Either every field is valid and the person, their link to the account and the verification
outcome are saved together, or nothing is saved and each field says what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, select

from anima_pwa.models import AccountPatient, Patient, Practice, utcnow
from anima_pwa.services import audit, notifications, verification
from anima_pwa.services.sessions import Identity
from anima_pwa.services.validation import (
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


@dataclass
class RegistrationOutcome:
    errors: dict[str, str] = field(default_factory=dict)
    status: str = ""  # verified | pending

    @property
    def ok(self) -> bool:
        return not self.errors


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
        .join(AccountPatient, AccountPatient.patient_id == Patient.id)  # type: ignore[arg-type]
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


def register_self(
    session: Session,
    identity: Identity,
    form: DetailsForm,
    *,
    client_ip: str = "",
    today: date | None = None,
    trusted: TrustedIdentity | None = None,
) -> RegistrationOutcome:
    now = utcnow()
    today = today or now.date()
    if identity.kind != "patient":
        return RegistrationOutcome(errors={"form": "Only patient accounts can register details here."})
    if self_patient(session, identity.account_id) is not None:
        return RegistrationOutcome(errors={"form": "You have already given your details."})

    errors: dict[str, str] = {}
    if trusted is None:
        full_name = _clean("full_name", errors, clean_full_name, form.full_name)
        dob = _clean(
            "dob", errors, clean_date_of_birth, form.dob_day, form.dob_month, form.dob_year,
            today=today, min_age=ADULT_AGE,
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
    if nhs_number and "nhs_number" not in errors:
        taken = session.exec(select(Patient.id).where(Patient.nhs_number == nhs_number)).first()
        if taken is not None:
            message = (
                "An Anima account already exists for this NHS number. Sign in with that account, or contact your practice"
            )
            # With NHS login there is no NHS number field (it is never shown back): say it for the form.
            errors["form" if trusted else "nhs_number"] = message
    if errors:
        return RegistrationOutcome(errors={k: errors[k] for k in FIELD_ORDER + ["form"] if k in errors})

    assert practice is not None and full_name and dob and postcode and mobile
    patient = Patient(
        full_name=full_name,
        date_of_birth=dob,
        nhs_number=nhs_number,
        postcode=postcode,
        phone_mobile=mobile,
        practice_id=practice.id,  # type: ignore[arg-type]
        created_at=now,
        updated_at=now,
    )
    session.add(patient)
    session.flush()
    session.add(AccountPatient(account_id=identity.account_id, patient_id=patient.id, relationship="self", created_at=now))  # type: ignore[arg-type]
    result = verification.verify_patient(session, patient, now=now)
    audit.record(
        session,
        action="patient_registered_nhs_login" if trusted else "patient_registered",
        actor_account_id=identity.account_id,
        actor_kind="patient",
        account_id=identity.account_id,
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

