"""What the practice does with a request before signing it off: assign it (to a team, a member of
staff of the same practice, or "take it myself"), change its status (only the moves below), and
message the patient (optionally needing a reply, optionally asking for a photo with it).

The first message from staff sets ``first_response_at`` (assigning does not: the patient hasn't
heard anything). A message that needs a reply sets ``awaiting_reply_since`` and the status
"awaiting_patient"; the patient's reply (the patient side) puts it back to "assigned". Every
message queues the notice to the patient's holders (`notices.tell_holders`: no content in it).
A signed-off or closed request can't be changed. Every action is audited with the staff member;
message text never goes into the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, col, select

from anima_pwa.models import OPEN_STATUSES, Request, RequestMessage, StaffMember
from anima_pwa.services import questionnaires
from anima_pwa.services.inbox import notices
from anima_pwa.services.inbox.staff_access import require_request
from anima_pwa.services.platform import audit, clock, idempotency, text_limits
from anima_pwa.services.platform.results import FORM, Result, failed
from anima_pwa.services.practice import permissions
from anima_pwa.services.practice.permissions import Action, StaffContext

__all__ = [
    "ALREADY_ENDED",
    "STATUS_MOVES",
    "MessageResult",
    "assign",
    "change_status",
    "send_message",
    "status_choices",
    "take_it_myself",
]

ALREADY_ENDED = "This request has been signed off or closed, so it can't be changed."
CHANGED = "This request was changed by someone else a moment ago. Check it and try again."
# The moves staff may make by hand. Waiting for the patient comes only from a message that needs a
# reply; signed off and closed only from sign-off (or auto-close).
STATUS_MOVES: dict[str, tuple[str, ...]] = {
    "submitted": ("assigned",),
    "assigned": ("submitted",),
    "awaiting_patient": ("assigned",),  # stop waiting (the patient phoned instead)
}
MOVE_LABELS = {"submitted": "New (back to the queue)", "assigned": "Assigned (being worked on)"}


def status_choices(status: str) -> list[tuple[str, str]]:
    """The moves staff may make from ``status``: (status, label)."""
    return [(s, MOVE_LABELS[s]) for s in STATUS_MOVES.get(status, ())]


def _open(request: Request) -> Result | None:
    return None if request.status in OPEN_STATUSES else failed(ALREADY_ENDED)


def _update(session: Session, request: Request, values: dict) -> bool:
    """Write ``values`` to the request only if it is still as it was read (same status, open):
    one conditional UPDATE, checked by its row count, so a sign-off by someone else in the
    meantime is never undone (SQLite: the write waits for theirs and then matches nothing;
    PostgreSQL: the row was read FOR UPDATE). True if written; the object is then refreshed."""
    result = session.exec(
        update(Request)
        .where(
            col(Request.id) == request.id,
            col(Request.status) == request.status,
            col(Request.status).in_(OPEN_STATUSES),
            col(Request.outcome) == "",
        )
        .values(**values, updated_at=clock.utcnow())
        .execution_options(synchronize_session=False)
    )
    session.refresh(request)
    return result.rowcount == 1


def _not_written(request: Request) -> str:
    """Why `_update` wrote nothing (the request has just been refreshed)."""
    return ALREADY_ENDED if request.status not in OPEN_STATUSES or request.outcome else CHANGED


def assign(
    session: Session, staff: StaffContext | None, request_id: object, *, team: object = "", staff_id: object = ""
) -> Result:
    """Give the request to a team (a key of questionnaires.TEAMS) and/or a member of staff of the
    same practice ("" leaves that part unassigned). A new request becomes "assigned"."""
    staff, request = require_request(session, staff, Action.ASSIGN_REQUESTS, request_id, lock=True)
    if (ended := _open(request)) is not None:
        return ended
    errors: dict[str, str] = {}
    team_key = team if isinstance(team, str) else ""
    if team_key and team_key not in questionnaires.TEAMS:
        errors["team"] = "Choose a team from the list."
    member: StaffMember | None = None
    if staff_id not in ("", None):
        key = permissions.record_id(staff_id)
        member = session.get(StaffMember, key) if key else None
        if member is None or member.practice_id != staff.practice_id or not member.active:
            member = None
            errors["staff_id"] = "Choose a member of staff from the list."
    if not errors and not team_key and member is None:
        errors["team"] = "Choose a team or a member of staff."
    if errors:
        return Result(errors=errors)
    values = {"assigned_team": team_key, "assigned_staff_id": member.id if member else None}
    if request.status == "submitted":
        values["status"] = "assigned"
    if not _update(session, request, values):
        return failed(_not_written(request))
    audit.record_staff(
        session,
        staff,
        "request_assigned",
        patient_id=request.patient_id,
        detail={"request_id": request.id, "team": team_key, "staff_id": member.id if member else None},
    )
    return Result()


def take_it_myself(session: Session, staff: StaffContext | None, request_id: object) -> Result:
    """Assign the request to the member of staff acting (keeping its team)."""
    staff, request = require_request(session, staff, Action.ASSIGN_REQUESTS, request_id)
    return assign(session, staff, request_id, team=request.assigned_team, staff_id=staff.staff_id)


def change_status(session: Session, staff: StaffContext | None, request_id: object, status: object) -> Result:
    staff, request = require_request(session, staff, Action.CHANGE_REQUEST_STATUS, request_id, lock=True)
    if (ended := _open(request)) is not None:
        return ended
    if not isinstance(status, str) or status not in STATUS_MOVES.get(request.status, ()):
        return failed("Choose a status from the list.", "status")
    before = request.status
    values: dict[str, object] = {"status": status}
    if before == "awaiting_patient":
        values["awaiting_reply_since"] = None
    if not _update(session, request, values):
        return failed(_not_written(request))
    audit.record_staff(
        session,
        staff,
        "request_status_changed",
        patient_id=request.patient_id,
        detail={"request_id": request.id, "from": before, "to": status},
    )
    return Result()


@dataclass(frozen=True, kw_only=True)
class MessageResult(Result):
    message_id: int | None = None


def send_message(
    session: Session,
    staff: StaffContext | None,
    request_id: object,
    body: object,
    *,
    needs_reply: object = False,
    wants_photo: object = False,
    key: object = "",
) -> MessageResult:
    """A message to the patient in the request's thread, and the notice that there is one.
    ``key``: the message form's idempotency key (services.platform.idempotency): sent again with
    the same key (a retry after a dropped connection), the first message is the answer."""
    staff, request = require_request(session, staff, Action.MESSAGE_PATIENTS, request_id, lock=True)
    first = idempotency.claim(session, key, STAFF_MESSAGE)
    if first is not None:
        return MessageResult(message_id=first)
    outcome = _send_message(session, staff, request, body, needs_reply=needs_reply, wants_photo=wants_photo)
    if outcome.ok:
        idempotency.settle(session, key, STAFF_MESSAGE, outcome.message_id)
    else:
        idempotency.release(session, key, STAFF_MESSAGE)
    return outcome


STAFF_MESSAGE = "staff_message"


def _send_message(
    session: Session, staff: StaffContext, request: Request, body: object, *, needs_reply: object, wants_photo: object
) -> MessageResult:
    if request.status not in OPEN_STATUSES:
        return MessageResult(errors={FORM: ALREADY_ENDED})
    text = text_limits.normalise(text_limits.received(body))
    errors: dict[str, str] = {}
    if not text:
        errors["message"] = "Enter a message to the patient."
    elif problem := text_limits.check(text, text_limits.MESSAGE.limit, text_limits.MESSAGE.label):
        errors["message"] = problem
    reply, photo = needs_reply is True, wants_photo is True
    if photo and not reply:
        errors["wants_photo"] = "To ask for a photo, say the message needs a reply."
    if errors:
        return MessageResult(errors=errors)
    now = clock.utcnow()
    values: dict[str, object] = {"patient_replied_at": None}  # the practice has answered
    if request.first_response_at is None:
        values["first_response_at"] = now
    if reply:
        values["awaiting_reply_since"], values["status"] = now, "awaiting_patient"
    elif request.status == "submitted":
        values["status"] = "assigned"  # someone is working on it
    if not _update(session, request, values):
        return MessageResult(errors={FORM: _not_written(request)})
    message = RequestMessage(
        request_id=request.id,  # type: ignore[arg-type]
        author_kind="staff",
        author_staff_id=staff.staff_id,
        body=text,
        needs_reply=reply,
        wants_photo=photo,
        created_at=now,
    )
    session.add(message)
    session.flush()
    notices.tell_holders(session, request)
    audit.record_staff(
        session,
        staff,
        "request_message_sent",
        patient_id=request.patient_id,
        detail={"request_id": request.id, "message_id": message.id, "needs_reply": reply, "wants_photo": photo},
    )
    return MessageResult(message_id=message.id)


def staff_choices(session: Session, staff: StaffContext) -> list[tuple[int, str]]:
    """The practice's active staff, by name: who a request may be assigned to."""
    return [
        (s.id, s.display_name)  # type: ignore[misc]
        for s in session.exec(
            select(StaffMember)
            .where(StaffMember.practice_id == staff.practice_id, StaffMember.active == True)  # noqa: E712
            .order_by(StaffMember.display_name)
        ).all()
    ]
