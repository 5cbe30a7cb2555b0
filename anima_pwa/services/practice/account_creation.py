""" "Create New Patient Account" in the practice workspace (after "Search" found no account,
``account_lookup``).

For a real NHS number the account is the patient's (verified, since the practice knows them); for
a dummy number 999 999 XXXX it is a care home's own account, which holds its residents. Residents
are then created with "Register the patient as a dependent" and the care home chosen by its dummy
NHS number, and are linked to the care home's account ("care_home").

Whoever gets an account (an email address was given) is emailed a single-use link, valid for
24 hours, to set their password (``services.identity.password_setup``); following it also
confirms the address.

Everything a create does is saved together or not at all. Every function takes the caller's
Session and never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from anima_pwa.models import Account, AccountPatient, Patient, Practice, id_of
from anima_pwa.services.identity import tokens
from anima_pwa.services.identity.accounts import FORM, find_account
from anima_pwa.services.identity.password_setup import SET_PASSWORD
from anima_pwa.services.patients.verification import verified_owner
from anima_pwa.services.platform import clock, notifications
from anima_pwa.services.platform.results import Result
from anima_pwa.services.platform.validation import (
    FieldError,
    age_on,
    clean_date_of_birth,
    clean_email,
    clean_full_name,
    clean_postcode,
    clean_text,
    clean_uk_phone,
    is_dummy_care_home_number,
    normalize_email,
)
from anima_pwa.services.practice.account_lookup import clean_staff_nhs_number
from anima_pwa.services.practice.holders import self_account
from anima_pwa.services.practice.patient_access import audit_staff
from anima_pwa.services.practice.permissions import Action, PermissionDenied, StaffContext, require, require_patient

__all__ = [
    "ADULT_AGE",
    "CONFIRM_CONSENT_LABEL",
    "CONFIRM_REGISTERED_LABEL",
    "EMAIL_IN_USE",
    "FIELD_ORDER",
    "NHS_NUMBER_IN_USE",
    "CreateOutcome",
    "NewPatientForm",
    "create_patient_account",
]

ADULT_AGE = 18  # an account holder (and a care home's account) must be 18 or over

CONFIRM_REGISTERED_LABEL = "I confirm this patient is registered at this practice"
CONFIRM_CONSENT_LABEL = "I confirm the patient (or their representative) has agreed to an Anima account being created"

NHS_NUMBER_IN_USE = (
    "An Anima account already exists with this NHS number. If this is a care home, try a different "
    "dummy NHS number (change the last few digits)"
)
EMAIL_IN_USE = (
    "This email address is already associated with an Anima account. Go to Patient Management > "
    "Patient Search and search by this email address, edit the patient to remove the email, confirm "
    "'this patient has no email address', then try again. If you can't find the patient, ask support "
    "to reset the email"
)
CHOOSE_CARE_HOME = "Select the care home from the list: search for its dummy NHS number, like 999-999-1234"
DUMMY_FOR_RESIDENT = (
    "Enter the resident's real NHS number. Numbers starting 999 999 are only for the care home's own account"
)
CARE_HOME_FLAGS = "Leave Housebound and Care Home Resident blank for a care home account"

# The order fields appear on the form ("Register the patient as a dependent" is at the top).
FIELD_ORDER = [
    "register_as_dependent_of",
    "nhs_number",
    "full_name",
    "dob",
    "address_line1",
    "postcode",
    "phone",
    "email",
    "housebound",
    "care_home_resident",
    "confirm_registered",
    "confirm_consent",
    FORM,
]


@dataclass
class NewPatientForm:
    """Exactly what staff typed; nothing here is trusted."""

    nhs_number: str = ""  # from the search
    full_name: str = ""  # "Name" (a care home's name for a care home)
    dob_day: str = ""
    dob_month: str = ""
    dob_year: str = ""
    address_line1: str = ""  # "Address"
    postcode: str = ""
    phone: str = ""
    email: str = ""
    housebound: bool = False
    care_home_resident: bool = False
    confirm_registered: bool = False  # CONFIRM_REGISTERED_LABEL
    confirm_consent: bool = False  # CONFIRM_CONSENT_LABEL
    register_as_dependent_of: int | None = None  # the care home's patient id


@dataclass(frozen=True)
class CreateOutcome(Result):
    patient_id: int | None = None


class _Checker:
    """Collects one message per field."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def field(self, key: str, raw: str, blank: str | None, func, *args, **kwargs):
        """``func(raw, ...)``; a blank value gets ``blank`` (None: optional, returns "")."""
        if not (raw or "").strip():
            if blank is not None:
                self.errors[key] = blank
            return ""
        try:
            return func(raw, *args, **kwargs)
        except FieldError as error:
            self.errors[key] = error.message
            return None

    def ordered(self) -> dict[str, str]:
        return {key: self.errors[key] for key in FIELD_ORDER if key in self.errors}


def _care_home_account(
    session: Session, staff: StaffContext, care_home_id: object, errors: dict[str, str]
) -> tuple[Patient, Account] | None:
    """The chosen care home (a care home at this practice) and its active account."""
    if isinstance(care_home_id, bool):
        care_home_id = None
    try:
        home = require_patient(session, staff, Action.CREATE_PATIENT_ACCOUNT, care_home_id)
    except PermissionDenied:
        errors["register_as_dependent_of"] = CHOOSE_CARE_HOME
        return None
    if not home.is_care_home:
        errors["register_as_dependent_of"] = CHOOSE_CARE_HOME
        return None
    account = self_account(session, id_of(home))
    if account is None or account.status != "active":
        errors["register_as_dependent_of"] = (
            "This care home's account has no active login, so it can't hold residents. Contact support"
        )
        return None
    return home, account


def create_patient_account(
    session: Session,
    staff: StaffContext | None,
    form: NewPatientForm,
    *,
    base_url: str,
    client_ip: str = "",
    today: date | None = None,
) -> CreateOutcome:
    """ "Create Patient Account". A dummy 999 999 number makes a care home's account (email
    required); a real one makes a patient, optionally a resident of one of the practice's care
    homes. With an email address the person gets an account and a link to set its password.

    Raises PermissionDenied for staff who may not create patient accounts.
    """
    staff = require(staff, Action.CREATE_PATIENT_ACCOUNT)
    now = clock.utcnow()
    today = today or clock.today(now)
    check = _Checker()
    errors = check.errors

    nhs_number = check.field("nhs_number", form.nhs_number, "Enter the patient's NHS number", clean_staff_nhs_number)
    dependent = form.register_as_dependent_of is not None
    care_home = bool(nhs_number) and is_dummy_care_home_number(nhs_number)
    if care_home and dependent:
        errors["nhs_number"] = DUMMY_FOR_RESIDENT
        care_home = False
    holder = _care_home_account(session, staff, form.register_as_dependent_of, errors) if dependent else None

    whose = "the care home's" if care_home else "the patient's"
    if care_home:
        full_name = check.field(
            "full_name",
            form.full_name,
            "Enter the care home's name",
            clean_text,
            label="the care home's name",
            max_length=200,
        )
    else:
        full_name = check.field(
            "full_name", form.full_name, "Enter the patient's full name", clean_full_name, field_label="full name"
        )

    dob_typed = any((part or "").strip() for part in (form.dob_day, form.dob_month, form.dob_year))
    dob = None
    if not dob_typed:
        errors["dob"] = (
            "Enter a date of birth for the care home account, like 01/01/2000"
            if care_home
            else "Enter the patient's date of birth"
        )
    else:
        try:
            dob = clean_date_of_birth(form.dob_day, form.dob_month, form.dob_year, today=today)
        except FieldError as error:
            errors["dob"] = error.message
    if dob is not None and care_home and age_on(dob, today) < ADULT_AGE:
        errors["dob"] = "The care home account's date of birth must make it 18 or over, like 01/01/2000"

    address = check.field(
        "address_line1", form.address_line1, f"Enter {whose} address", clean_text, label="the address", max_length=200
    )
    postcode = check.field("postcode", form.postcode, f"Enter {whose} postcode", clean_postcode)
    # A UK mobile or landline: a care home's number is often a landline.
    phone = check.field(
        "phone", form.phone, "Enter the care home's phone number" if care_home else None, clean_uk_phone
    )
    email = check.field(
        "email",
        form.email,
        "Enter the care home's email address: this is critical, they'll use it to log in" if care_home else None,
        clean_email,
    )
    if email and dob is not None and not care_home and age_on(dob, today) < ADULT_AGE:
        errors["email"] = (
            "A patient under 18 can't have their own Anima account. Leave Email blank: "
            "a parent, carer or care home can hold them as a dependent"
        )

    housebound = bool(form.housebound)
    resident = bool(form.care_home_resident) or dependent
    if care_home:
        if form.housebound:
            errors["housebound"] = CARE_HOME_FLAGS
        if form.care_home_resident:
            errors["care_home_resident"] = CARE_HOME_FLAGS
    if not form.confirm_registered:
        errors["confirm_registered"] = "Confirm this patient is registered at this practice"
    if not form.confirm_consent:
        errors["confirm_consent"] = (
            "Confirm the patient (or their representative) has agreed to an Anima account being created"
        )

    # "Already exists": only for values that are otherwise right.
    # Only a verified record owns an NHS number; claims waiting for verification don't block it.
    if nhs_number and "nhs_number" not in errors:
        if verified_owner(session, nhs_number) is not None:
            errors["nhs_number"] = NHS_NUMBER_IN_USE
    if email and "email" not in errors and find_account(session, email) is not None:
        errors["email"] = EMAIL_IN_USE
    if errors:
        return CreateOutcome(errors=check.ordered())

    assert nhs_number and full_name and dob is not None and address and postcode
    practice = session.get(Practice, staff.practice_id)
    try:
        # A savepoint: if someone takes the NHS number or email between the checks and here, the
        # unique indexes refuse it and everything below is undone together.
        with session.begin_nested():
            patient = Patient(
                full_name=full_name,
                date_of_birth=dob,
                nhs_number=nhs_number,
                postcode=postcode,
                address_line1=address,
                phone_mobile=phone or "",
                is_care_home=care_home,
                care_home_resident=resident,
                housebound=housebound,
                created_by_staff_id=staff.staff_id,
                practice_id=staff.practice_id,
                verification_status="verified",
                verification_note="Created by the practice",
                verified_at=now,
                created_at=now,
                updated_at=now,
            )
            session.add(patient)
            session.flush()
            account = None
            if email:
                account = Account(
                    email=email,
                    email_normalized=normalize_email(email),
                    password_hash=None,
                    kind="patient",
                    status="active",
                    email_verified_at=None,
                    created_at=now,
                    updated_at=now,
                )
                session.add(account)
                session.flush()
                session.add(
                    AccountPatient(
                        account_id=id_of(account), patient_id=id_of(patient), relationship="self", created_at=now
                    )
                )
            if holder is not None:
                home, home_account = holder
                session.add(
                    AccountPatient(
                        account_id=id_of(home_account),
                        patient_id=id_of(patient),
                        relationship="care_home",
                        approval_status="not_needed",  # the practice created the link
                        created_at=now,
                    )
                )
            session.flush()
            if account is not None:
                secret = tokens.issue_link(
                    session,
                    purpose=SET_PASSWORD,
                    email_normalized=account.email_normalized,
                    account_id=account.id,
                    lifetime=tokens.LINK_LIFETIME,
                    now=now,
                )
                notifications.enqueue_email(
                    session,
                    to=account.email,
                    template="patient_set_password",
                    practice_name=practice.name if practice else "Your GP practice",
                    link=f"{base_url}/set-password?token={quote(secret)}",
                )
            audit_staff(
                session,
                staff,
                "patient_account_created",
                ip=client_ip,
                account_id=account.id if account else None,
                patient_id=patient.id,
                detail={"care_home": care_home, "dependent_of": holder is not None, "has_email": account is not None},
            )
            if holder is not None:
                audit_staff(
                    session,
                    staff,
                    "care_home_resident_added",
                    ip=client_ip,
                    account_id=holder[1].id,
                    patient_id=holder[0].id,
                    detail={"resident_patient_id": patient.id},
                )
    except IntegrityError:
        if verified_owner(session, nhs_number) is not None:
            return CreateOutcome(errors={"nhs_number": NHS_NUMBER_IN_USE})
        if email and find_account(session, email) is not None:
            return CreateOutcome(errors={"email": EMAIL_IN_USE})
        return CreateOutcome(errors={FORM: "The account could not be created. Search for the patient again"})
    return CreateOutcome(patient_id=patient.id)
