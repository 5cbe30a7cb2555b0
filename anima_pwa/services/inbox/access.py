"""Which requests a patient account may see and act on: those of its own record, and of the
dependants and residents it holds through a link that needs no approval or that the practice has
approved (`dependants.REQUESTABLE_APPROVALS`). Both parents of a child, and a care home for its
residents, see and answer the same request; a holder waiting for the practice's approval, a
refused or removed holder, and anyone else do not, whatever id they send.

Every patient-side read and write of a request (`inbox.patient_view`, `inbox.replies`,
`inbox.decisions`, the `/attachments/<id>` endpoint) goes through `request_for_account`, so there
is one rule. Staff access is the practice's (`practice.permissions`).
"""

from __future__ import annotations

from sqlmodel import Session, col, or_, select

from anima_pwa.models import AccountPatient, Request
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.patients.dependants import REQUESTABLE_APPROVALS
from anima_pwa.services.practice.permissions import PermissionDenied, record_id

__all__ = ["NOT_YOURS", "acting_patient_ids", "may_see", "request_for_account"]

NOT_YOURS = "We could not find that request."


def acting_patient_ids(session: Session, identity: Identity | None) -> list[int]:
    """The patients whose requests this account may see and answer (its own record first)."""
    if identity is None or identity.kind != "patient":
        return []
    rows = session.exec(
        select(AccountPatient.patient_id, AccountPatient.relationship)
        .where(
            AccountPatient.account_id == identity.account_id,
            or_(
                col(AccountPatient.relationship) == "self",
                col(AccountPatient.approval_status).in_(REQUESTABLE_APPROVALS),
            ),
        )
        .order_by(col(AccountPatient.created_at), col(AccountPatient.id))
    ).all()
    own = [patient_id for patient_id, relationship in rows if relationship == "self"]
    held = [patient_id for patient_id, relationship in rows if relationship != "self"]
    out: list[int] = []
    for patient_id in own + held:
        if patient_id not in out:
            out.append(patient_id)
    return out


def may_see(session: Session, identity: Identity | None, request: Request | None) -> bool:
    """True if the account may see and act on this (sent) request."""
    if request is None or request.status == "draft":
        return False
    return request.patient_id in acting_patient_ids(session, identity)


def request_for_account(session: Session, identity: Identity | None, request_id: object) -> Request:
    """The sent request `request_id` if this account may see and act on it; else PermissionDenied
    with the same words whatever the reason (another patient's, a draft, a nonsense id), so nothing
    says whether it exists."""
    key = record_id(request_id)
    request = session.get(Request, key) if key else None
    if not may_see(session, identity, request):
        raise PermissionDenied(NOT_YOURS)
    return request  # type: ignore[return-value]
