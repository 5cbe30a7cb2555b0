"""The audit trail of a patient's record in the practice workspace: who did what to it, newest
first (practice admins only). Reading it is audited too (``patient_access.audit_staff`` writes the
rows every staff read or change of patient data leaves).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from anima_pwa.models import AuditEvent, StaffMember
from anima_pwa.services.platform import audit
from anima_pwa.services.practice.patient_access import STAFF, audit_staff, datetime_display, staff_patient
from anima_pwa.services.practice.permissions import Action, StaffContext

__all__ = ["AuditRow", "audit_trail"]


@dataclass(frozen=True)
class AuditRow:
    at: str  # display, UK time: "14 Mar 2025 09:41"
    action: str
    actor: str  # a staff member's name, "Patient", "System" or "Not signed in"
    detail: str  # "fields: full_name, postcode"


_ACTOR_KINDS = {"patient": "Patient", "system": "System", "anonymous": "Not signed in"}


def _detail_summary(event: AuditEvent) -> str:
    parts = []
    for key, value in sorted(audit.event_detail(event).items()):
        if isinstance(value, list | tuple):
            value = ", ".join(str(item) for item in value) or "none"
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        elif isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items())
        parts.append(f"{key.replace('_', ' ')}: {value}")
    return "; ".join(parts)


def audit_trail(
    session: Session, staff: StaffContext | None, patient_id: object, *, limit: int = 200
) -> list[AuditRow]:
    """Who did what to this patient's record, newest first (admins only). Reading it is audited."""
    staff, patient = staff_patient(session, staff, Action.VIEW_AUDIT_TRAIL, patient_id)
    events = audit.trail(session, patient_id=patient.id, limit=max(1, min(int(limit), 1000)))
    staff_ids = {e.actor_account_id for e in events if e.actor_kind == STAFF and e.actor_account_id is not None}
    names: dict[int | None, str] = (
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
    rows = [
        AuditRow(
            at=datetime_display(event.at),
            action=event.action,
            actor=(
                names.get(event.actor_account_id, "Practice staff")
                if event.actor_kind == STAFF
                else _ACTOR_KINDS.get(event.actor_kind, event.actor_kind)
            ),
            detail=_detail_summary(event),
        )
        for event in events
    ]
    audit_staff(session, staff, "audit_trail_viewed", patient_id=patient.id, detail={"results": len(rows)})
    return rows
