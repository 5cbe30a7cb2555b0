"""Requests once sent: "Your requests" for the patient (the practice's queue and request page
are in services/inbox: ``queue``, ``request_view``).

"Your requests" holds the account holder's own requests and those of the people they hold, except
a dependant whose link the practice has not approved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from anima_pwa.models import AccountPatient, Patient, Request
from anima_pwa.services import questionnaires
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.patients import dependants, registration
from anima_pwa.services.platform import clock

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
        patient_ids.append(holder.id)
    if not patient_ids:
        return []
    rows = session.exec(
        select(Request, Patient)
        .join(Patient, Patient.id == Request.patient_id)  # type: ignore[arg-type]
        .where(col(Request.patient_id).in_(patient_ids), Request.status != "draft")
        .order_by(col(Request.submitted_at).desc())
        .limit(limit)
    ).all()
    out = []
    for request, patient in rows:
        topic = questionnaires.get(request.topic)
        out.append(
            RequestRow(
                id=request.id,  # type: ignore[arg-type]
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
