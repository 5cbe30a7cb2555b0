""" "Create Request" in the practice workspace, finding the patient: "Search" by NHS number for
the patient's Anima account at this practice, and choosing the care home for "Register the patient
as a dependent" (by its dummy 999 999 NHS number or its name).

A patient registered at another practice is reported exactly as one with no account. Both
searches are audited (what was found, never what was typed). Creating the account is
``account_creation``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from anima_pwa.models import Account, AccountPatient, Patient, Practice, id_of
from anima_pwa.services.platform.results import Result
from anima_pwa.services.platform.validation import (
    FieldError,
    clean_nhs_number,
    format_nhs_number,
    is_dummy_care_home_number,
)
from anima_pwa.services.practice.holders import self_account
from anima_pwa.services.practice.patient_access import audit_staff
from anima_pwa.services.practice.permissions import Action, StaffContext, require

__all__ = [
    "MAX_OPTIONS",
    "NOT_FOUND_MESSAGE",
    "CareHomeOption",
    "FindResult",
    "FoundPatient",
    "care_home_options",
    "clean_staff_nhs_number",
    "find_by_nhs_number",
]

NOT_FOUND_MESSAGE = "Couldn't find an anima account for this patient"


def _display_date(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def clean_staff_nhs_number(raw: str | None) -> str:
    """The NHS number staff typed: a real one (check digit) or a dummy 999 999 XXXX one."""
    if not (raw or "").strip():
        raise FieldError("Enter the patient's NHS number")
    try:
        digits = clean_nhs_number(raw, required=True, allow_dummy=True)
    except FieldError as error:
        if error.message.startswith("Enter a valid NHS number"):  # the patient-facing wording
            raise FieldError(
                "Enter a valid NHS number. Check it with the patient or their record, "
                "or use a dummy number like 999-999-1234 for a care home"
            ) from None
        raise
    assert digits is not None
    return digits


# "Search": the patient's account by NHS number


@dataclass(frozen=True)
class FoundPatient:
    id: int
    full_name: str
    date_of_birth: str  # for display: "1 January 2000"
    is_care_home: bool
    has_account: bool  # they sign in themselves (their own "self" account)


@dataclass(frozen=True)
class FindResult(Result):
    """Fails with an error for the NHS number field (nothing was searched); works with the
    patient found, or none (``not_found`` says so)."""

    patient: FoundPatient | None = None
    nhs_number: str = ""  # as searched, for display: "999 999 1234"
    is_dummy: bool = False  # a care-home number: "Create New Patient Account" makes a care home

    @property
    def not_found(self) -> str:
        return NOT_FOUND_MESSAGE if self.ok and self.patient is None else ""


def find_by_nhs_number(
    session: Session, staff: StaffContext | None, raw_nhs_number: str, *, client_ip: str = ""
) -> FindResult:
    """ "Search": the patient with this NHS number at the staff member's practice.

    A patient registered at another practice is reported exactly as one with no account.
    Raises PermissionDenied for staff who may not create patient accounts.
    """
    staff = require(staff, Action.CREATE_PATIENT_ACCOUNT)
    try:
        digits = clean_staff_nhs_number(raw_nhs_number)
    except FieldError as error:
        return FindResult(errors={"nhs_number": error.message})
    # The verified record first; otherwise the oldest claim here, so staff see someone is waiting.
    patient = session.exec(
        select(Patient)
        .where(Patient.nhs_number == digits, Patient.practice_id == staff.practice_id)
        .order_by((col(Patient.verification_status) == "verified").desc(), col(Patient.created_at), col(Patient.id))
    ).first()
    found = None
    if patient is not None:
        found = FoundPatient(
            id=id_of(patient),
            full_name=patient.full_name,
            date_of_birth=_display_date(patient.date_of_birth),
            is_care_home=patient.is_care_home,
            has_account=self_account(session, id_of(patient)) is not None,
        )
    dummy = is_dummy_care_home_number(digits)
    audit_staff(
        session,
        staff,
        "patient_account_search",
        ip=client_ip,
        patient_id=found.id if found else None,
        detail={"found": found is not None, "dummy_number": dummy},
    )
    return FindResult(patient=found, nhs_number=format_nhs_number(digits), is_dummy=dummy)


# "Register the patient as a dependent": choosing the care home


@dataclass(frozen=True)
class CareHomeOption:
    patient_id: int
    name: str
    nhs_number: str  # for display: "999 999 1234"
    practice_name: str
    registered_here: bool = True  # only care homes registered at the staff member's practice are offered


_SEARCH_SEPARATORS = re.compile(r"[\s\-]+")
MAX_OPTIONS = 20


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def care_home_options(
    session: Session, staff: StaffContext | None, raw_query: str, *, client_ip: str = ""
) -> list[CareHomeOption]:
    """Care homes at the staff member's practice whose dummy NHS number (any part of it, typed
    with or without spaces or hyphens) or name matches; only those whose account can hold
    residents (it exists and is active)."""
    staff = require(staff, Action.CREATE_PATIENT_ACCOUNT)
    query = " ".join((raw_query or "").split())[:100]
    if not query:
        return []
    digits = _SEARCH_SEPARATORS.sub("", query)
    statement = (
        select(Patient)
        .join(AccountPatient, col(AccountPatient.patient_id) == col(Patient.id))
        .join(Account, col(Account.id) == col(AccountPatient.account_id))
        .where(
            Patient.practice_id == staff.practice_id,
            Patient.is_care_home == True,  # noqa: E712
            AccountPatient.relationship == "self",
            Account.status == "active",
        )
    )
    if digits.isdecimal() and digits.isascii():
        statement = statement.where(col(Patient.nhs_number).contains(digits))
    elif len(query) >= 2:
        statement = statement.where(col(Patient.full_name).ilike(f"%{_like_escape(query)}%", escape="\\"))
    else:
        return []
    rows = session.exec(statement.order_by(col(Patient.full_name), col(Patient.id)).limit(MAX_OPTIONS)).all()
    practice = session.get(Practice, staff.practice_id)
    options = [
        CareHomeOption(
            patient_id=id_of(row),
            name=row.full_name,
            nhs_number=format_nhs_number(row.nhs_number or ""),
            practice_name=practice.name if practice else "",
            registered_here=row.practice_id == staff.practice_id,
        )
        for row in rows
    ]
    audit_staff(session, staff, "care_home_search", ip=client_ip, detail={"results": len(options)})
    return options
