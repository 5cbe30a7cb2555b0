"""How staff reach and show a patient of their own practice: what every Patient Management module
(and "Create Request") shares.

- ``staff_patient``: the permission check first, then the id the browser sent (``strict_id``):
  this practice's patients only; a patient elsewhere is refused exactly like a missing one;
- ``holder_link``: the same for the link by which an account holds one of this practice's patients;
- ``audit_staff``: the audit row every staff read or change of patient data writes;
- ``name_of_practice``: the practice's name for an email;
- ``date_display``, ``datetime_display`` (UK time), ``nhs_display``: how screens show them.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from sqlmodel import Session, col, select

from anima_pwa.models import AccountPatient, Patient, Practice
from anima_pwa.services.platform import audit, clock
from anima_pwa.services.platform.validation import format_nhs_number
from anima_pwa.services.practice.permissions import (
    NOT_FOUND,
    Action,
    PermissionDenied,
    StaffContext,
    require,
    require_patient,
)

__all__ = [
    "MAX_ID",
    "NOT_KNOWN",
    "STAFF",
    "audit_staff",
    "date_display",
    "datetime_display",
    "holder_link",
    "name_of_practice",
    "nhs_display",
    "staff_patient",
    "strict_id",
]

STAFF = "staff"  # audit actor kind
NOT_KNOWN = "Not known"
MAX_ID = 2**31 - 1  # an INTEGER primary key; bigger numbers would be a database error, not "not found"


# Display


def date_display(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def datetime_display(value: datetime) -> str:
    local = clock.to_london(value)
    return f"{local.day} {local:%b %Y %H:%M}"


def nhs_display(digits: str | None) -> str:
    return format_nhs_number(digits) if digits else NOT_KNOWN


# Reaching a patient, and the audit row


def audit_staff(
    session: Session,
    staff: StaffContext,
    action: str,
    *,
    patient_id: int | None = None,
    account_id: int | None = None,
    detail: dict | None = None,
    ip: str = "",
) -> None:
    audit.record(
        session,
        action=action,
        actor_account_id=staff.account_id,
        actor_kind=STAFF,
        account_id=account_id,
        patient_id=patient_id,
        practice_id=staff.practice_id,
        ip=ip,
        detail=detail,
    )


def strict_id(value: object) -> int | None:
    """A database id from the browser: a positive int or a string of digits; anything else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"[0-9]{1,10}", value.strip()):
        number = int(value.strip())
    else:
        return None
    return number if 0 < number <= MAX_ID else None


def staff_patient(
    session: Session, staff: StaffContext | None, action: Action, patient_id: object
) -> tuple[StaffContext, Patient]:
    """The permission check first, then the id: same practice only, anything else "not found"."""
    staff = require(staff, action)
    key = strict_id(patient_id)
    if key is None:  # "1 OR 1=1", 1.5, True, a number too big for the column: like a missing patient
        raise PermissionDenied(NOT_FOUND)
    return staff, require_patient(session, staff, action, key)


def holder_link(
    session: Session, staff: StaffContext, link_id: object, *, not_found: str
) -> tuple[AccountPatient, Patient]:
    """The link (from an id the browser sent) by which an account holds a patient of this
    practice, and that patient; any other link, a patient's own account or another practice's
    patient raise PermissionDenied(not_found)."""
    key = strict_id(link_id)
    found = (
        session.exec(
            select(AccountPatient, Patient)
            .join(Patient, col(Patient.id) == AccountPatient.patient_id)
            .where(AccountPatient.id == key)
        ).first()
        if key is not None
        else None
    )
    if found is None or found[1].practice_id != staff.practice_id or found[0].relationship == "self":
        raise PermissionDenied(not_found)
    return found[0], found[1]


def name_of_practice(session: Session, practice_id: int) -> str:
    practice = session.get(Practice, practice_id)
    return practice.name if practice else "your GP practice"
