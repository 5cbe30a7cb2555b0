"""Which requests a member of staff may see and act on: their own practice's sent requests, for an
action their role allows on that kind of request (`permissions.KIND_LIMITS`).

Every id from the browser goes through `require_request`: a request of another practice, a draft,
a missing one and nonsense ids all get the same refusal, so staff learn nothing about requests
elsewhere. A request of the right practice that their role may not act on says so plainly.
"""

from __future__ import annotations

from sqlmodel import Session, select

from anima_pwa.models import Request
from anima_pwa.services.practice import permissions
from anima_pwa.services.practice.permissions import Action, PermissionDenied, StaffContext

__all__ = ["NOT_FOUND", "require_request"]

NOT_FOUND = "We could not find that request at your practice."
KIND_REFUSED = {
    Action.MESSAGE_PATIENTS: "Only a clinician can message the patient about a medical request.",
    Action.SIGN_OFF_REQUESTS: "Only a clinician can sign off a medical request.",
}


def require_request(
    session: Session, staff: StaffContext | None, action: Action, request_id: object, *, lock: bool = False
) -> tuple[StaffContext, Request]:
    """(the staff context, the request) if `staff` may do `action` to it; else PermissionDenied.
    ``lock``: read it with SELECT ... FOR UPDATE (PostgreSQL), so two members of staff acting on
    the same request at once take turns."""
    staff = permissions.require(staff, action)
    key = permissions.record_id(request_id)
    if key is None:
        raise PermissionDenied(NOT_FOUND)
    query = select(Request).where(Request.id == key)
    if lock:
        query = query.with_for_update()
    request = session.exec(query).first()
    if request is None or request.practice_id != staff.practice_id or request.status == "draft":
        raise PermissionDenied(NOT_FOUND)
    if not staff.can_for_kind(action, request.kind):
        raise PermissionDenied(KIND_REFUSED.get(action, "You do not have permission to do that."))
    return staff, request
