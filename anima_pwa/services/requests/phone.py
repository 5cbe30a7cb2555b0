"""The practice taking a request by phone ("Create Request"): a receptionist (or admin) fills in
the wizard for a verified patient of their own practice, reading out the questions about the
patient by name.

Like the patient's start (``drafts.check_start``), but hours and the daily, active and per-patient
limits may be overridden (audited at submission); turning online requests off and closed days hold
for staff too. The staff member's draft and the per-tab check are in ``drafts``
(``staff_draft_for``, ``open_staff_draft``).
"""

from __future__ import annotations

from sqlmodel import Session, select

from anima_pwa.models import Request, id_of
from anima_pwa.services import questionnaires
from anima_pwa.services.platform.clock import utcnow
from anima_pwa.services.requests import rules
from anima_pwa.services.requests.drafts import KINDS, StartOutcome, closed_outcome
from anima_pwa.services.requests.subject import is_under_16


def staff_check_start(session: Session, staff, *, patient_id: object, kind: str) -> tuple[StartOutcome, bool]:
    """Like check_start, for a receptionist on the phone. Returns (outcome, can_override): when the
    only problem is hours or limits, staff may override them (audited at submission)."""
    from anima_pwa.services.practice import permissions

    staff = permissions.require(staff, permissions.Action.TAKE_PHONE_REQUEST)
    patient = permissions.require_patient(session, staff, permissions.Action.TAKE_PHONE_REQUEST, patient_id)
    if kind not in KINDS:
        return StartOutcome.refused("Choose a medical or an admin request."), False
    if patient.verification_status != "verified":
        return StartOutcome.refused("Verify this patient before taking a request for them."), False
    available = rules.availability(session, practice_id=patient.practice_id, kind=kind, patient_id=patient.id)
    if available.open:
        return StartOutcome(
            routine_only=available.routine_only, routine_message=available.message if available.routine_only else ""
        ), False
    overridable = all(reason in rules.OVERRIDABLE for reason in available.reasons)
    return closed_outcome(session, patient, available), overridable


def staff_patient_name(session: Session, staff, patient_id: object) -> str:
    from anima_pwa.services.practice import permissions

    patient = permissions.require_patient(session, staff, permissions.Action.TAKE_PHONE_REQUEST, patient_id)
    return patient.full_name


def staff_patient_is_child(session: Session, staff, patient_id: object) -> bool:
    from anima_pwa.services.practice import permissions

    patient = permissions.require_patient(session, staff, permissions.Action.TAKE_PHONE_REQUEST, patient_id)
    return is_under_16(patient)


def staff_start_draft(session: Session, staff, *, patient_id: object, kind: str, topic_id: str) -> StartOutcome:
    from anima_pwa.services.practice import permissions

    staff = permissions.require(staff, permissions.Action.TAKE_PHONE_REQUEST)
    patient = permissions.require_patient(session, staff, permissions.Action.TAKE_PHONE_REQUEST, patient_id)
    topic = questionnaires.get(topic_id)
    if kind not in KINDS or topic is None or topic.kind != kind:
        return StartOutcome.refused("Choose a topic from the list.")
    child = is_under_16(patient)
    if (topic.audience == "child" and not child) or (topic.audience == "adult" and child):
        return StartOutcome.refused(
            "This topic isn't for " + ("children" if child else "adults") + ". Choose another topic."
        )
    for old in session.exec(
        select(Request).where(Request.created_by_staff_id == staff.staff_id, Request.status == "draft")
    ).all():
        session.delete(old)
    now = utcnow()
    draft = Request(
        patient_id=id_of(patient),
        account_id=None,
        practice_id=patient.practice_id,
        kind=kind,
        topic=topic.id,
        status="draft",
        created_by_staff_id=staff.staff_id,
        created_at=now,
        updated_at=now,
    )
    session.add(draft)
    session.flush()
    return StartOutcome(draft_id=draft.id)
