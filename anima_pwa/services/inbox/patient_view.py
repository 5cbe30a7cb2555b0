"""What a patient account reads about its requests: "Your requests" (every request it may see,
completed ones with their outcome), "In progress" (the open ones, those waiting for the patient's
reply first, each with a red "Respond" button) and one request's page (the answers as the patient
gave them, the whole thread newest last, the outcome).

Which requests: `inbox.access` (the account's own record, and the people it holds through a link
that needs no approval or is approved). Never shown to the patient: the triage (subject, urgency,
team, the summary for staff).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from anima_pwa.models import OPEN_STATUSES, Patient, Request, RequestMessage
from anima_pwa.services import questionnaires
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.inbox import access, outcomes, thread
from anima_pwa.services.platform import audit, clock
from anima_pwa.services.requests import questions

__all__ = [
    "KIND_LABELS",
    "STATUS_HINTS",
    "STATUS_LABELS",
    "RequestPage",
    "RequestRow",
    "in_progress",
    "needing_reply",
    "request_page",
    "your_requests",
]

# A request's status in the patient's words ("What happens to my request once it is submitted?").
STATUS_LABELS = {
    "submitted": "Sent to your practice",
    "assigned": "Being dealt with by your practice",
    "awaiting_patient": "Your practice needs your reply",
    "resolved": "Completed",
    "closed": "Closed",
}
STATUS_HINTS = {
    "submitted": "You don't have to do anything until you hear from your practice.",
    "assigned": (
        "A member of your practice team is looking at your request. They may message you here "
        "or contact you separately."
    ),
    "awaiting_patient": "Your practice has sent you a message that needs a reply. Read it and respond below.",
    "resolved": "Your practice has finished dealing with this request.",
    "closed": "This request is closed.",
}
KIND_LABELS = {"medical": "Medical request", "admin": "Admin request"}


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
    is_open: bool
    needs_reply: bool  # the practice's latest message asks for a reply: the red "Respond" button
    outcome_heading: str = ""  # a completed request's outcome, in plain words


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str


@dataclass(frozen=True)
class RequestPage:
    row: RequestRow
    status_hint: str
    answers: list[Answer] = field(default_factory=list)
    messages: list[thread.ThreadMessage] = field(default_factory=list)
    awaiting: thread.ThreadMessage | None = None  # the message waiting for the patient's reply
    outcome: outcomes.OutcomeView | None = None


def _display(moment: datetime | None) -> str:
    if moment is None:
        return ""
    local = clock.to_london(moment)
    return f"{local.day} {local:%b %Y, %H:%M}"


@dataclass(frozen=True)
class _Said:
    author_kind: str
    needs_reply: bool


def _needing_reply(session: Session, request_ids: list[int]) -> set[int]:
    """Of these requests, those whose practice's latest message waits for the patient's reply
    (the same rule as `thread.awaiting_reply`, read for many requests in one query)."""
    if not request_ids:
        return set()
    said: dict[int, list[_Said]] = {}
    for request_id, author_kind, needs_reply in session.exec(
        select(RequestMessage.request_id, RequestMessage.author_kind, RequestMessage.needs_reply)
        .where(col(RequestMessage.request_id).in_(request_ids))
        .order_by(col(RequestMessage.created_at), col(RequestMessage.id))
    ).all():
        said.setdefault(request_id, []).append(_Said(author_kind, needs_reply))
    return {rid for rid, messages in said.items() if thread.awaiting_reply(messages) is not None}  # type: ignore[arg-type]


def _row(request: Request, patient: Patient, needs_reply: bool) -> RequestRow:
    topic = questionnaires.get(request.topic)
    is_open = request.status in OPEN_STATUSES
    described = None if is_open else outcomes.describe(request)
    return RequestRow(
        id=request.id,  # type: ignore[arg-type]
        reference=request.reference or "",
        title=topic.title if topic else request.topic,
        kind=request.kind,
        patient_name=patient.full_name,
        status=request.status,
        status_label=STATUS_LABELS.get(request.status, request.status),
        submitted=_display(request.submitted_at),
        is_open=is_open,
        needs_reply=is_open and needs_reply,
        outcome_heading=described.heading if described else "",
    )


def _rows(session: Session, identity: Identity, *, open_only: bool, limit: int) -> list[RequestRow]:
    patient_ids = access.acting_patient_ids(session, identity)
    if not patient_ids:
        return []
    query = (
        select(Request, Patient)
        .join(Patient, Patient.id == Request.patient_id)  # type: ignore[arg-type]
        .where(col(Request.patient_id).in_(patient_ids), Request.status != "draft")
    )
    if open_only:
        query = query.where(col(Request.status).in_(OPEN_STATUSES))
    found = session.exec(query.order_by(col(Request.submitted_at).desc(), col(Request.id).desc()).limit(limit)).all()
    waiting = _needing_reply(session, [r.id for r, _ in found if r.status in OPEN_STATUSES])  # type: ignore[misc]
    return [_row(request, patient, request.id in waiting) for request, patient in found]


def your_requests(session: Session, identity: Identity, *, limit: int = 50) -> list[RequestRow]:
    """ "Your requests": every sent request of the account holder and the people they act for,
    newest first, completed ones with their outcome."""
    return _rows(session, identity, open_only=False, limit=limit)


def in_progress(session: Session, identity: Identity, *, limit: int = 50) -> list[RequestRow]:
    """ "In progress": the open requests, those waiting for the patient's reply first, then newest first."""
    rows = _rows(session, identity, open_only=True, limit=limit)
    return sorted(rows, key=lambda row: not row.needs_reply)  # stable: newest first within each


def needing_reply(session: Session, identity: Identity) -> int:
    """How many open requests wait for this account's reply (the home page's reminder)."""
    return sum(1 for row in _rows(session, identity, open_only=True, limit=50) if row.needs_reply)


def _answers(session: Session, request: Request) -> list[Answer]:
    """The answers as the patient gave them, each question worded as it was asked; never the triage."""
    return [Answer(row.question, row.answer) for row in questions.check_rows(session, request) if row.answer]


def request_page(session: Session, identity: Identity, request_id: object) -> RequestPage:
    """One request as the account reads it; PermissionDenied ("We could not find that request.")
    for any id that isn't theirs. Audited (who read which request)."""
    request = access.request_for_account(session, identity, request_id)
    patient = session.get(Patient, request.patient_id)
    messages = thread.read_thread(session, request.id, viewer="patient", viewer_account_id=identity.account_id)  # type: ignore[arg-type]
    is_open = request.status in OPEN_STATUSES
    awaiting = thread.awaiting_reply(messages) if is_open else None
    audit.record_patient(
        session,
        identity,
        "request_viewed",
        patient_id=request.patient_id,
        practice_id=request.practice_id,
        detail={"request_id": request.id},
    )
    return RequestPage(
        row=_row(request, patient, awaiting is not None),  # type: ignore[arg-type]
        status_hint=STATUS_HINTS.get(request.status, ""),
        answers=_answers(session, request),
        messages=messages,
        awaiting=awaiting,
        outcome=outcomes.describe(request),
    )
