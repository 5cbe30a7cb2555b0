"""The start of a request in either wizard: what the practice offers there, and "Start again".

The wizards' states never read models or delete rows themselves: they ask here. Each function
takes who acts (a patient's identity, or a member of staff taking a request by phone) and checks
that the draft or person is theirs, as every service does with an id that came from a browser.
"""

from __future__ import annotations

from sqlmodel import Session

from anima_pwa.models import Patient
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.patients import dependants
from anima_pwa.services.practice import permissions
from anima_pwa.services.practice.permissions import StaffContext, record_id
from anima_pwa.services.requests import drafts, request_settings


def free_text_allowed(session: Session, identity: Identity, patient_id: object) -> bool:
    """May a request for this person be described in the patient's own words (no topic)? The
    practice decides; False for someone this account may not request for."""
    key = record_id(patient_id)
    if key is None or not dependants.can_act_for(session, identity, key):
        return False
    patient = session.get(Patient, key)
    return patient is not None and request_settings.settings_for(session, patient.practice_id).free_text_enabled


def start_again(session: Session, identity: Identity, draft_id: object) -> drafts.DraftCheck:
    """ "Start again" in the patient's wizard: the draft this tab shows is deleted if it is still
    this account's open draft. The check says what had become of it otherwise (sent meanwhile:
    its reference; gone or expired)."""
    check = drafts.open_draft(session, identity, draft_id)
    _delete(session, check)
    return check


def staff_start_again(session: Session, staff: StaffContext | None, draft_id: object) -> drafts.DraftCheck:
    """ "Start again" on a phone request: the same, for the draft this member of staff is filling in
    at their practice (never a patient's own draft, nor a colleague's). PermissionDenied for
    someone who may not take requests by phone."""
    staff = permissions.require(staff, permissions.Action.TAKE_PHONE_REQUEST)
    check = drafts.open_staff_draft(session, staff, draft_id)
    _delete(session, check)
    return check


def _delete(session: Session, check: drafts.DraftCheck) -> None:
    if check.draft is not None:
        session.delete(check.draft)
        session.flush()
