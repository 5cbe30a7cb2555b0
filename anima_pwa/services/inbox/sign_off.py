"""Signing off a request: the outcome and its details (`outcomes.check_detail`), in one
transaction with the record write-back job (`RecordExport`, written by the record worker) and the
notice to the patient's holders (`notices.tell_holders`).

Two members of staff signing off the same request at once: exactly one wins, and the database
decides. The request is read with SELECT ... FOR UPDATE (PostgreSQL: the second waits and then
reads it signed off), and the sign-off itself is a conditional UPDATE ... WHERE the request is
still open and has no outcome, checked by its row count (SQLite: the write lock makes the second
wait, and its UPDATE then matches nothing). The loser is told who signed it off and when, and
nothing of theirs is saved.

"Invite to book" makes the invitation (`appointments.invites.invite_from_outcome`: who with, the
window, the expiry) in the same transaction; its errors are shown beside the sign-off's fields and
nothing is saved.

Signed off, a request is "resolved" ("closed" for the closed outcome): no longer open, so it no
longer counts against the practice's or the patient's limits (`requests.rules`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from anima_pwa.models import OPEN_STATUSES, AppointmentInvite, RecordExport, Request, StaffMember
from anima_pwa.services.appointments import invites
from anima_pwa.services.inbox import notices, outcomes
from anima_pwa.services.inbox.staff_access import require_request
from anima_pwa.services.platform import audit, clock
from anima_pwa.services.platform.results import FORM, Result
from anima_pwa.services.practice.permissions import Action, StaffContext

__all__ = ["INVITE_FIELDS", "SignOffResult", "already_ended", "claim", "sign_off", "spoken_time"]

# The invitation's fields on the sign-off form, by the names `invites.create_invite` gives its errors.
INVITE_FIELDS = {
    "book": "book_id",
    "window_end": "window_days",
    "window_start": "window_days",
    "expires": "expires_in_days",
}


@dataclass(frozen=True, kw_only=True)
class SignOffResult(Result):
    outcome: str = ""


def spoken_time(moment: datetime) -> str:
    """ "9:05am on Wednesday 18 June 2025", London time."""
    hour, day = clock.london_words(moment)
    return f"{hour} on {day}"


def already_ended(session: Session, request: Request) -> str:
    """Why a request can't be signed off any more, as the member of staff reads it."""
    when = spoken_time(request.resolved_at) if request.resolved_at else ""
    if request.signed_off_by_staff_id is not None:
        staff = session.get(StaffMember, request.signed_off_by_staff_id)
        name = staff.display_name if staff else "another member of staff"
        return f"This request was signed off by {name}" + (f" at {when}." if when else ".")
    return "This request was closed" + (f" at {when}." if when else ".")


def claim(session: Session, request: Request, values: dict) -> bool:
    """The conditional UPDATE that ends a request: True if this transaction did it, False if it
    was already signed off or closed (by someone else, at the same moment or before)."""
    result = session.exec(
        update(Request)
        .where(col(Request.id) == request.id, col(Request.status).in_(OPEN_STATUSES), col(Request.outcome) == "")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _fresh(session: Session, request_id: int) -> Request:
    return session.exec(select(Request).where(Request.id == request_id).execution_options(populate_existing=True)).one()


def sign_off(
    session: Session, staff: StaffContext | None, request_id: object, outcome: object, detail: object
) -> SignOffResult:
    """Sign the request off with ``outcome`` (a key of models.OUTCOMES) and its ``detail`` fields
    (a mapping of what the form sent): errors by field and nothing saved, or done."""
    staff, request = require_request(session, staff, Action.SIGN_OFF_REQUESTS, request_id, lock=True)
    request = _fresh(session, request.id)  # type: ignore[arg-type]
    if request.status not in OPEN_STATUSES or request.outcome:
        return SignOffResult(errors={FORM: already_ended(session, request)})
    kind = outcome if isinstance(outcome, str) else ""
    checked, errors = outcomes.check_detail(kind, detail if isinstance(detail, dict) else {})
    if errors:
        return SignOffResult(errors=errors)
    now = clock.utcnow()
    if kind == "invite_to_book":
        checked["invited_at"] = now.isoformat(timespec="seconds")
    values = {
        "status": "closed" if kind == "closed" else "resolved",
        "outcome": kind,
        "outcome_detail": json.dumps(checked, sort_keys=True),
        "signed_off_by_staff_id": staff.staff_id,
        "resolved_at": now,
        "updated_at": now,
        "awaiting_reply_since": None,
        "patient_replied_at": None,
        "first_response_at": request.first_response_at or now,  # the outcome answers the patient
    }
    before = {name: getattr(request, name) for name in values}
    if not claim(session, request, values):
        return SignOffResult(errors={FORM: already_ended(session, _fresh(session, request.id))})  # type: ignore[arg-type]
    request = _fresh(session, request.id)  # type: ignore[arg-type]
    if kind == "invite_to_book":
        # The invitation is made once the request is ours to sign off (so a lost race makes none).
        # Its errors (no such book, a bad window) undo the claim: this transaction still holds the
        # row, so putting the values back leaves the request exactly as it was.
        raw = detail if isinstance(detail, dict) else {}
        made = invites.invite_from_outcome(
            session,
            staff,
            request,
            {
                "appointment_kind": checked.get("appointment_kind"),
                "book_id": raw.get("book_id") or None,
                "window_days": raw.get("window_days") or None,
                "expires_in_days": raw.get("expires_in_days") or None,
            },
            now,
        )
        if not made.ok:
            session.exec(
                update(Request)
                .where(col(Request.id) == request.id)
                .values(**before)
                .execution_options(synchronize_session=False)
            )
            return SignOffResult(errors={INVITE_FIELDS.get(k, k): v for k, v in made.errors.items()})
        invite = session.get(AppointmentInvite, made.id)
        assert invite is not None
        checked["invite_id"] = str(made.id)
        checked["with_whom"] = invites.with_whom(session, invite)
        request.outcome_detail = json.dumps(checked, sort_keys=True)
        session.add(request)
    session.add(RecordExport(request_id=request.id, next_attempt_at=now))  # type: ignore[arg-type]
    session.flush()
    notices.tell_holders(session, request)
    audit.record_staff(
        session,
        staff,
        "request_signed_off",
        patient_id=request.patient_id,
        detail={"request_id": request.id, "outcome": kind},
    )
    return SignOffResult(outcome=kind)
