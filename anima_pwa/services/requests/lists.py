"""Requests once sent: "Your requests" for the patient, and the practice's list of requests with
their triage (never shown to patients).

"Your requests" holds the account holder's own requests and those of the people they hold, except
a dependant whose link the practice has not approved. The practice's list is its open requests,
most urgent first, then oldest first; every look at it, or at one request, is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from anima_pwa.models import AccountPatient, Patient, Request, id_of
from anima_pwa.services import questionnaires
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.patients import dependants, registration
from anima_pwa.services.platform import audit, clock
from anima_pwa.services.practice.permissions import record_id
from anima_pwa.services.requests.questions import APPOINTMENT_PREFERENCES, CONTACT_PREFERENCES

NOT_YOURS = "We could not find that request."
STATUS_LABELS = {
    "submitted": "Sent to your practice",
    "assigned": "With your practice team",
    "awaiting_patient": "Your practice has replied",
    "resolved": "Completed",
    "closed": "Closed",
}


@dataclass(frozen=True)
class RequestRow:
    id: int
    reference: str
    title: str
    kind: str
    patient_name: str
    status: str
    status_label: str
    submitted: str


def your_requests(session: Session, identity: Identity, *, limit: int = 50) -> list[RequestRow]:
    """ "Your requests": every request of the account holder and the people they hold."""
    # A dependant whose link the practice has not approved (16 or over) or refused: not their requests.
    unapproved = set(
        session.exec(
            select(AccountPatient.patient_id).where(
                AccountPatient.account_id == identity.account_id,
                col(AccountPatient.approval_status).not_in(dependants.REQUESTABLE_APPROVALS),
            )
        ).all()
    )
    patient_ids = [
        s.patient_id for s in dependants.request_subjects(session, identity) if s.patient_id not in unapproved
    ]
    holder = registration.self_patient(session, identity.account_id)
    if holder is not None and holder.id not in patient_ids:
        patient_ids.append(id_of(holder))
    if not patient_ids:
        return []
    rows = session.exec(
        select(Request, Patient)
        .join(Patient, col(Patient.id) == Request.patient_id)
        .where(col(Request.patient_id).in_(patient_ids), Request.status != "draft")
        .order_by(col(Request.submitted_at).desc())
        .limit(limit)
    ).all()
    out = []
    for request, patient in rows:
        topic = questionnaires.get(request.topic)
        out.append(
            RequestRow(
                id=id_of(request),
                reference=request.reference or "",
                title=topic.title if topic else request.topic,
                kind=request.kind,
                patient_name=patient.full_name,
                status=request.status,
                status_label=STATUS_LABELS.get(request.status, request.status),
                submitted=_display(request.submitted_at),
            )
        )
    return out


def _display(moment: datetime | None) -> str:
    if moment is None:
        return ""
    local = clock.to_london(moment)
    return f"{local.day} {local:%b %Y, %H:%M}"


# The practice's list of requests, with triage (never shown to patients) ------------------------

URGENCY_ORDER = {"emergency_signposted": 0, "urgent_today": 1, "within_two_days": 2, "routine": 3}


@dataclass(frozen=True)
class PracticeRequestRow:
    id: int
    reference: str
    patient_name: str
    subject: str
    urgency: str
    urgency_label: str
    team: str
    status_label: str
    submitted: str
    by_phone: bool


@dataclass(frozen=True)
class PracticeRequestDetail:
    row: PracticeRequestRow
    summary_lines: list[str] = field(default_factory=list)
    free_text: str = ""
    appointment: str = ""
    contact: str = ""
    overridden: bool = False
    filled_in_by: str = ""  # "Zoe Smith (account holder, who holds Leo Smith as a dependant)"
    worded_for: str = ""  # which wording the questions were shown in


def _practice_row(request: Request, patient: Patient) -> PracticeRequestRow:
    return PracticeRequestRow(
        id=id_of(request),
        reference=request.reference or "",
        patient_name=patient.full_name,
        subject=request.subject,
        urgency=request.urgency,
        urgency_label=questionnaires.URGENCY_LABELS.get(request.urgency, request.urgency),
        team=questionnaires.TEAMS.get(request.team, request.team),
        status_label=STATUS_LABELS.get(request.status, request.status),
        submitted=_display(request.submitted_at),
        by_phone=request.created_by_staff_id is not None,
    )


def practice_requests(session: Session, staff, *, limit: int = 100) -> list[PracticeRequestRow]:
    """Open requests at the staff member's practice, most urgent first, then oldest first."""
    from anima_pwa.models import OPEN_STATUSES
    from anima_pwa.services.practice import permissions

    staff = permissions.require(staff, permissions.Action.VIEW_REQUESTS)
    rows = session.exec(
        select(Request, Patient)
        .join(Patient, col(Patient.id) == Request.patient_id)
        .where(Request.practice_id == staff.practice_id, col(Request.status).in_(OPEN_STATUSES))
        .order_by(col(Request.submitted_at))
        .limit(limit)
    ).all()
    audit.record(
        session,
        action="request_list_viewed",
        actor_account_id=staff.account_id,
        actor_kind="staff",
        practice_id=staff.practice_id,
        detail={"results": len(rows)},
    )
    found = [_practice_row(r, p) for r, p in rows]
    return sorted(found, key=lambda row: URGENCY_ORDER.get(row.urgency, 9))


def practice_request_detail(session: Session, staff, request_id: object) -> PracticeRequestDetail:
    from anima_pwa.services.practice import permissions

    staff = permissions.require(staff, permissions.Action.VIEW_REQUESTS)
    key = record_id(request_id)
    request = session.get(Request, key) if key else None
    if request is None or request.practice_id != staff.practice_id or request.status == "draft":
        raise permissions.PermissionDenied("We could not find that request at your practice.")
    patient = session.get(Patient, request.patient_id)
    audit.record(
        session,
        action="request_viewed",
        actor_account_id=staff.account_id,
        actor_kind="staff",
        patient_id=request.patient_id,
        practice_id=staff.practice_id,
    )
    return PracticeRequestDetail(
        row=_practice_row(request, patient),  # type: ignore[arg-type]
        summary_lines=[line for line in request.triage_summary.splitlines() if line.strip()],
        free_text=request.free_text,
        appointment=APPOINTMENT_PREFERENCES.get(request.appointment_preference, ""),
        contact=CONTACT_PREFERENCES.get(request.contact_preference, ""),
        overridden=request.limits_overridden,
        filled_in_by=request.filled_in_by,
        worded_for=_worded_for(request, patient),
    )


WORDING_LABELS = {
    "self": 'The patient, about themself ("Do you...")',
    "child": 'A child under 16, by first name ("Does {name}...")',
    "other-adult": 'Another adult, by first name ("Does {name}...")',
}


def _worded_for(request: Request, patient: Patient | None) -> str:
    label = WORDING_LABELS.get(request.subject_wording, "")
    name = questionnaires.first_name(patient.full_name, patient.preferred_name) if patient else ""
    return label.replace("{name}", name or "them")
