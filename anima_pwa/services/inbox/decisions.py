"""The patient's answer to a suggested prescription: approve or decline, once, on a signed-off
request whose outcome is a prescription; audited. Two tabs (or both parents) deciding at the same
moment: the request row is written first, so exactly one decision is stored and the other is told
what was decided."""

from __future__ import annotations

from sqlmodel import Session

from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.inbox import access, outcomes
from anima_pwa.services.inbox.replies import lock_request
from anima_pwa.services.platform import audit, clock
from anima_pwa.services.platform.results import FORM, Result

__all__ = ["NOTHING_TO_DECIDE", "decide"]

NOTHING_TO_DECIDE = "There is no suggested prescription to approve or decline on this request."


def decide(session: Session, identity: Identity, request_id: object, decision: object) -> Result:
    """Store "approved" or "declined" (in the caller's transaction); PermissionDenied for a request
    that isn't theirs."""
    request = lock_request(session, access.request_for_account(session, identity, request_id))
    if request.status != "resolved" or request.outcome != "prescription":
        return Result(errors={FORM: NOTHING_TO_DECIDE})
    if request.patient_decision in outcomes.DECISIONS:
        return Result(errors={FORM: f"This prescription has already been {request.patient_decision}."})
    if decision not in outcomes.DECISIONS:
        return Result(errors={FORM: "Choose whether to approve or decline the prescription."})
    request.patient_decision = str(decision)
    request.patient_decided_at = clock.utcnow()
    session.add(request)
    session.flush()
    audit.record_patient(
        session,
        identity,
        f"prescription_{decision}",
        patient_id=request.patient_id,
        practice_id=request.practice_id,
        detail={"request_id": request.id},
    )
    return Result()
