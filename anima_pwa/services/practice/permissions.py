"""Who on a practice's staff may do what: one table, checked by every staff handler's service.

A member of staff acts only for their own practice: `require()` refuses a patient registered
elsewhere exactly as it refuses a missing one, so staff can't learn who is registered elsewhere.
Staff must have signed in with MFA before `staff_context()` gives them a context at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session, select

from anima_pwa.models import Patient, Practice, StaffMember, id_of
from anima_pwa.services.identity.sessions import Identity

RECEPTIONIST = "receptionist"
CLINICIAN = "clinician"
ADMIN = "admin"
ROLES = (RECEPTIONIST, CLINICIAN, ADMIN)


class Action(StrEnum):
    SEARCH_PATIENTS = "search_patients"
    VIEW_PATIENT = "view_patient"
    EDIT_PATIENT = "edit_patient"
    REMOVE_PATIENT_EMAIL = "remove_patient_email"
    VERIFY_PATIENT = "verify_patient"  # manual verification, and approving links (16+, second holders)
    REMOVE_HOLDER = "remove_holder"  # take a parent, carer or care home off a patient
    CREATE_PATIENT_ACCOUNT = "create_patient_account"  # incl. care homes and their residents
    TAKE_PHONE_REQUEST = "take_phone_request"  # a request by phone, with the power to override limits
    VIEW_REQUESTS = "view_requests"  # the practice's request list, with triage
    # "Signposted today": who was told to call 999 or 111 or shown the crisis lines (the advice
    # only, no clinical detail), and marking that someone has followed them up.
    VIEW_SIGNPOSTS = "view_signposts"
    FOLLOW_UP_SIGNPOSTS = "follow_up_signposts"
    VIEW_AUDIT_TRAIL = "view_audit_trail"
    MANAGE_PRACTICE_SETTINGS = "manage_practice_settings"
    VIEW_CORE_HOURS_LOG = "view_core_hours_log"  # who closed online requests inside core hours, and why
    MANAGE_STAFF = "manage_staff"
    # Acting on a request (issue 11). Reception assigns and sorts the queue, and answers admin
    # requests (a fit note copy, a letter); clinicians answer and sign off medical requests (and
    # admin ones). See KIND_LIMITS.
    ASSIGN_REQUESTS = "assign_requests"  # to a team or a member of staff, or "take it myself"
    CHANGE_REQUEST_STATUS = "change_request_status"
    MESSAGE_PATIENTS = "message_patients"  # about a request, optionally needing a reply or a photo
    SIGN_OFF_REQUESTS = "sign_off_requests"  # an outcome, sent to the patient and the record
    # Appointments (issue 12): invite a patient to book, book or cancel for them (by phone), read
    # the day's lists; and set up the practice's appointment books and their rota (admins).
    BOOK_APPOINTMENTS = "book_appointments"
    MANAGE_APPOINTMENT_BOOKS = "manage_appointment_books"


_ALL = frozenset(Action)
PERMISSIONS: dict[str, frozenset[Action]] = {
    RECEPTIONIST: frozenset(
        {
            Action.SEARCH_PATIENTS,
            Action.VIEW_PATIENT,
            Action.EDIT_PATIENT,
            Action.REMOVE_PATIENT_EMAIL,
            Action.VERIFY_PATIENT,
            Action.REMOVE_HOLDER,
            Action.CREATE_PATIENT_ACCOUNT,
            Action.TAKE_PHONE_REQUEST,
            Action.VIEW_REQUESTS,
            # Reception usually makes the follow-up call ("did you get through to 111?"); the list
            # holds the advice only, less than the request list reception already reads.
            Action.VIEW_SIGNPOSTS,
            Action.FOLLOW_UP_SIGNPOSTS,
            # Reception sorts the queue (care navigation) and answers admin requests: messages and
            # sign-off on medical requests are for clinicians (KIND_LIMITS).
            Action.ASSIGN_REQUESTS,
            Action.CHANGE_REQUEST_STATUS,
            Action.MESSAGE_PATIENTS,
            Action.SIGN_OFF_REQUESTS,
            Action.BOOK_APPOINTMENTS,
        }
    ),
    CLINICIAN: frozenset(
        {
            Action.SEARCH_PATIENTS,
            Action.VIEW_PATIENT,
            Action.EDIT_PATIENT,
            Action.VERIFY_PATIENT,
            Action.REMOVE_HOLDER,
            Action.VIEW_REQUESTS,
            Action.VIEW_SIGNPOSTS,
            Action.FOLLOW_UP_SIGNPOSTS,
            Action.ASSIGN_REQUESTS,
            Action.CHANGE_REQUEST_STATUS,
            Action.MESSAGE_PATIENTS,
            Action.SIGN_OFF_REQUESTS,
            Action.BOOK_APPOINTMENTS,
        }
    ),
    ADMIN: _ALL,
}
# Actions a role may take only on some kinds of request: a receptionist messages the patient
# about, and signs off, admin requests only (a medical request needs a clinician's judgement).
KIND_LIMITS: dict[str, dict[Action, frozenset[str]]] = {
    RECEPTIONIST: {
        Action.MESSAGE_PATIENTS: frozenset({"admin"}),
        Action.SIGN_OFF_REQUESTS: frozenset({"admin"}),
    },
}


class PermissionDenied(Exception):
    """The acting person may not do this. The message is safe to show."""

    def __init__(self, message: str = "You do not have permission to do that.") -> None:
        super().__init__(message)
        self.message = message


NOT_FOUND = "We could not find that patient at your practice."


@dataclass(frozen=True)
class StaffContext:
    """A signed-in member of staff: who, where, in what role."""

    account_id: int
    staff_id: int
    practice_id: int
    role: str
    display_name: str
    practice_name: str

    def can(self, action: Action) -> bool:
        return action in PERMISSIONS.get(self.role, frozenset())

    def can_for_kind(self, action: Action, kind: str) -> bool:
        """Whether they may do `action` to a request of this kind (medical | admin)."""
        if not self.can(action):
            return False
        allowed = KIND_LIMITS.get(self.role, {}).get(action)
        return allowed is None or kind in allowed


def staff_context(session: Session, identity: Identity | None) -> StaffContext | None:
    """The staff context of a session, or None: not staff, MFA not used at sign-in, or inactive."""
    if identity is None or identity.kind != "staff" or identity.method != "password+mfa":
        return None
    staff = session.exec(
        select(StaffMember).where(StaffMember.account_id == identity.account_id, StaffMember.active == True)  # noqa: E712
    ).first()
    if staff is None or staff.role not in ROLES:
        return None
    practice = session.get(Practice, staff.practice_id)
    return StaffContext(
        account_id=identity.account_id,
        staff_id=id_of(staff),
        practice_id=staff.practice_id,
        role=staff.role,
        display_name=staff.display_name,
        practice_name=practice.name if practice else "",
    )


def require(staff: StaffContext | None, action: Action) -> StaffContext:
    """The context, if it may do `action`; otherwise PermissionDenied."""
    if staff is None:
        raise PermissionDenied("Sign in to the practice workspace to do that.")
    if not staff.can(action):
        raise PermissionDenied()
    return staff


def record_id(value: object) -> int | None:
    """A database id from the browser: a positive int (or its digits), nothing else. Booleans,
    floats, huge numbers and text like "1 OR 1=1" are refused."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 12:
        number = int(value)
    else:
        return None
    return number if 0 < number < 2**31 else None


def require_patient(session: Session, staff: StaffContext | None, action: Action, patient_id: object) -> Patient:
    """The patient, if `staff` may do `action` to them: same practice only. Any id from a
    browser goes through here."""
    staff = require(staff, action)
    key = record_id(patient_id)
    if key is None:
        raise PermissionDenied(NOT_FOUND)
    patient = session.get(Patient, key)
    if patient is None or patient.practice_id != staff.practice_id:
        raise PermissionDenied(NOT_FOUND)
    return patient
