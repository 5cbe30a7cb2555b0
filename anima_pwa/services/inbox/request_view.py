"""One request as the practice reads it: the triage (never shown to patients) with red-flag lines
marked, who has it, the patient and (for a dependant) who holds them, the patient's other
requests, the thread, the outcome once signed off, the request's history from the audit trail,
and what this member of staff may do to it. Every look is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from anima_pwa.models import Patient, Request, StaffMember, id_of
from anima_pwa.services import questionnaires
from anima_pwa.services.inbox import delivery, outcomes, record, staff_actions, thread
from anima_pwa.services.inbox.queue import STATUS_LABELS, display_time, waited
from anima_pwa.services.inbox.staff_access import require_request
from anima_pwa.services.platform import audit, clock
from anima_pwa.services.practice import patient_records
from anima_pwa.services.practice.audit_trail import AuditRow
from anima_pwa.services.practice.patient_access import datetime_display
from anima_pwa.services.practice.permissions import Action, StaffContext
from anima_pwa.services.requests.questions import APPOINTMENT_PREFERENCES, CONTACT_PREFERENCES

__all__ = ["WORDING_LABELS", "RequestView", "SummaryLine", "is_alarm", "request_view"]

# Triage lines staff must not miss: red flags, the crisis lines, emergency words typed.
ALARM_PREFIXES = ("Red flag:", "Crisis lines shown", "Emergency words in the patient's own words")

WORDING_LABELS = {
    "self": 'The patient, about themself ("Do you...")',
    "child": 'A child under 16, by first name ("Does {name}...")',
    "other-adult": 'Another adult, by first name ("Does {name}...")',
}
HOLDS = {"dependant": "Parent or carer", "care_home": "Care home"}
APPROVALS = {"not_needed": "", "approved": "approved", "pending": "waiting for approval", "rejected": "refused"}


def is_alarm(line: str) -> bool:
    return line.startswith(ALARM_PREFIXES)


@dataclass(frozen=True)
class SummaryLine:
    text: str
    alarm: bool


@dataclass(frozen=True)
class OtherRequest:
    id: int
    reference: str
    subject: str
    status_label: str
    submitted: str


@dataclass(frozen=True)
class RequestView:
    id: int
    reference: str
    kind: str
    subject: str
    urgency: str
    urgency_label: str
    suggested_team: str
    assigned_team: str  # key, or ""
    assigned_staff_id: int | None
    assigned_to: str  # "GP: Dr Lee", "Not assigned"
    status: str
    status_label: str
    submitted: str
    waited: str
    by_phone: bool
    overridden: bool
    filled_in_by: str
    worded_for: str
    appointment: str
    contact: str
    free_text: str
    summary: list[SummaryLine]
    patient_id: int
    patient_name: str
    patient_born: str  # "14 Mar 1985 (40)"
    nhs_number: str
    phone: str
    holders: list[str]  # "Priya Rahman, parent or carer (approved)"
    other_requests: list[OtherRequest]
    messages: list[thread.ThreadMessage]
    outcome_heading: str  # what the patient reads, once signed off
    outcome_lines: list[str]
    signed_off: str  # "Signed off by Dr Lee at 9:05am on ..."
    history: list[AuditRow]
    is_open: bool
    may_assign: bool
    may_change_status: bool
    may_message: bool
    may_sign_off: bool
    status_choices: list[tuple[str, str]] = field(default_factory=list)
    staff_choices: list[tuple[int, str]] = field(default_factory=list)
    record_state: str = "none"  # the health-record write: written | waiting | failed | none
    record_text: str = ""
    delivery_problems: list[str] = field(default_factory=list)  # notices that could not be delivered


def _worded_for(request: Request, patient: Patient | None) -> str:
    label = WORDING_LABELS.get(request.subject_wording, "")
    name = questionnaires.first_name(patient.full_name, patient.preferred_name) if patient else ""
    return label.replace("{name}", name or "them")


def _history(session: Session, request: Request) -> list[AuditRow]:
    """The request's own events (those naming it), newest first. Views are left out in the query:
    a patient whose requests are opened often has more of them than the trail's limit, which would
    otherwise push the request's real history off the page."""
    events = [
        e
        for e in audit.trail(session, patient_id=request.patient_id, limit=1000, leave_out=("request_viewed",))
        if audit.event_detail(e).get("request_id") == request.id
    ]
    staff_ids = {e.actor_account_id for e in events if e.actor_kind == "staff" and e.actor_account_id is not None}
    names = (
        dict(
            session.exec(
                select(StaffMember.account_id, StaffMember.display_name).where(
                    col(StaffMember.account_id).in_(staff_ids)
                )
            ).all()
        )
        if staff_ids
        else {}
    )
    names_by_staff_id = {
        id_of(s): s.display_name
        for s in session.exec(select(StaffMember).where(StaffMember.practice_id == request.practice_id)).all()
    }
    kinds = {"patient": "Patient", "system": "Anima", "anonymous": "Not signed in"}
    return [
        AuditRow(
            at=datetime_display(e.at),
            action=e.action.replace("_", " ").capitalize(),
            actor=names.get(e.actor_account_id, "Practice staff")  # type: ignore[arg-type]
            if e.actor_kind == "staff"
            else kinds.get(e.actor_kind, e.actor_kind),
            detail=_summary(audit.event_detail(e), names_by_staff_id),
        )
        for e in events
    ]


def _summary(detail: dict, names_by_staff_id: dict[int, str]) -> str:
    """An event's detail in words, without the request's own id; staff by name."""
    parts = []
    for key, value in sorted(detail.items()):
        if key in ("request_id", "message_id"):
            continue
        if key == "staff_id":
            key, value = "member of staff", names_by_staff_id.get(value, "nobody") if value else "nobody"
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        elif value in ("", None):
            value = "none"
        parts.append(f"{key.replace('_', ' ')}: {value}")
    return "; ".join(parts)


def request_view(session: Session, staff: StaffContext | None, request_id: object) -> RequestView:
    """The request page's content; PermissionDenied for anything not this practice's."""
    staff, request = require_request(session, staff, Action.VIEW_REQUESTS, request_id)
    patient = session.get(Patient, request.patient_id)
    detail = patient_records.patient_detail(session, staff, request.patient_id)
    audit.record_staff(
        session, staff, "request_viewed", patient_id=request.patient_id, detail={"request_id": request.id}
    )
    choices = staff_actions.staff_choices(session, staff)
    names = dict(choices)
    team = questionnaires.TEAMS.get(request.assigned_team, "")
    person = names.get(request.assigned_staff_id, "") if request.assigned_staff_id else ""
    assigned_to = ": ".join(p for p in (team, person) if p) or "Not assigned"
    others = session.exec(
        select(Request)
        .where(Request.patient_id == request.patient_id, Request.id != request.id, Request.status != "draft")
        .order_by(col(Request.submitted_at).desc())
        .limit(20)
    ).all()
    view = outcomes.describe(request)
    record_now = record.record_status(session, request.id)  # type: ignore[arg-type]
    signed_off = ""
    if request.status in ("resolved", "closed") and request.resolved_at is not None:
        signer = session.get(StaffMember, request.signed_off_by_staff_id) if request.signed_off_by_staff_id else None
        who = f"Signed off by {signer.display_name}" if signer else "Closed automatically"
        signed_off = f"{who}, {display_time(request.resolved_at)}"
    is_open = request.status in ("submitted", "assigned", "awaiting_patient")
    holders = [
        ", ".join(
            part
            for part in (
                h.name or h.email,
                HOLDS.get(h.relationship, h.relationship).lower()
                + (f" ({APPROVALS[h.approval_status]})" if APPROVALS.get(h.approval_status) else ""),
            )
            if part
        )
        for h in detail.held_by
    ]
    return RequestView(
        id=request.id,  # type: ignore[arg-type]
        reference=request.reference or "",
        kind=request.kind,
        subject=request.subject,
        urgency=request.urgency,
        urgency_label=questionnaires.URGENCY_LABELS.get(request.urgency, request.urgency),
        suggested_team=questionnaires.TEAMS.get(request.team, request.team),
        assigned_team=request.assigned_team,
        assigned_staff_id=request.assigned_staff_id,
        assigned_to=assigned_to,
        status=request.status,
        status_label=STATUS_LABELS.get(request.status, request.status),
        submitted=display_time(request.submitted_at),
        waited=waited(request.submitted_at, clock.utcnow()) if is_open else "",
        by_phone=request.created_by_staff_id is not None,
        overridden=request.limits_overridden,
        filled_in_by=request.filled_in_by,
        worded_for=_worded_for(request, patient),
        appointment=APPOINTMENT_PREFERENCES.get(request.appointment_preference, ""),
        contact=CONTACT_PREFERENCES.get(request.contact_preference, ""),
        free_text=request.free_text,
        summary=[SummaryLine(line, is_alarm(line)) for line in request.triage_summary.splitlines() if line.strip()],
        patient_id=request.patient_id,
        patient_name=detail.full_name,
        patient_born=f"{detail.date_of_birth_display} ({detail.age})",
        nhs_number=detail.nhs_number,
        phone=detail.phone,
        holders=holders,
        other_requests=[
            OtherRequest(
                id=o.id,  # type: ignore[arg-type]
                reference=o.reference or "",
                subject=o.subject,
                status_label=STATUS_LABELS.get(o.status, o.status),
                submitted=display_time(o.submitted_at),
            )
            for o in others
        ],
        messages=thread.read_thread(session, request.id, viewer="staff"),  # type: ignore[arg-type]
        outcome_heading=view.heading if view else "",
        outcome_lines=([*view.paragraphs, *(f"{label}: {value}" for label, value in view.details)] if view else []),
        signed_off=signed_off,
        history=_history(session, request),
        is_open=is_open,
        may_assign=is_open and staff.can_for_kind(Action.ASSIGN_REQUESTS, request.kind),
        may_change_status=is_open and staff.can_for_kind(Action.CHANGE_REQUEST_STATUS, request.kind),
        may_message=is_open and staff.can_for_kind(Action.MESSAGE_PATIENTS, request.kind),
        may_sign_off=is_open and staff.can_for_kind(Action.SIGN_OFF_REQUESTS, request.kind),
        status_choices=staff_actions.status_choices(request.status),
        staff_choices=choices,
        record_state=record_now.state,
        record_text=record_now.text,
        delivery_problems=[f"{p.text} ({p.when})" for p in delivery.delivery_problems(session, request.id)],  # type: ignore[arg-type]
    )
