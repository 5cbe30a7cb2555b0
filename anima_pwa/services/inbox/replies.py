"""The patient's reply to the practice's message that asked for one: text (up to
`text_limits.MESSAGE`; required unless a photo is attached) and, when the practice asked for one,
a photo (`inbox.attachments`).

Refused, with the reason beside the form, nothing saved:
- on a completed or closed request (the practice has finished with it: a new request is seen by
  the practice's triage, a reply to a finished one might not be);
- when the practice has not asked for a reply, or someone who holds the patient has already
  answered it (a second parent, another tab): the practice's queue shows what is waiting for the
  practice, and a message nobody asked for on a request being dealt with could go unread, so
  anything new goes in a new request (said in the message);
- a photo when the practice did not ask for one.

A reply moves the request back to "assigned" (the practice's turn) and clears
`awaiting_reply_since`, in the caller's transaction with the message and its photo, audited. It
does not notify the patient's holders (they wrote it). Two tabs replying at once: the request row
is written first, so the second waits for the first and then finds the reply already sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import update
from sqlmodel import Session

from anima_pwa.models import OPEN_STATUSES, URGENCY_RANKS, Request, RequestMessage
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.inbox import access, attachments, thread
from anima_pwa.services.platform import audit, clock, idempotency, text_limits
from anima_pwa.services.platform.results import FORM, Result
from anima_pwa.services.questionnaires import emergencies

__all__ = ["ALREADY_ANSWERED", "FINISHED", "NOT_ASKED", "ReplyOutcome", "lock_request", "reply"]

FINISHED = (
    "Your practice has finished dealing with this request, so you can't reply to it. "
    "If you need help with something new, make a new request."
)
NOT_ASKED = (
    "Your practice has not asked for a reply to this request. They will message you here if they "
    "need anything. If you need help with something new, make a new request."
)
ALREADY_ANSWERED = (
    "A reply to your practice's message has already been sent (you can read it below). "
    "Your practice will message you here if they need anything else."
)
ENTER_REPLY = "Enter your reply"
URGENT = "urgent_today"
NO_PHOTO_ASKED = "Your practice has not asked for a photo. Remove it, or describe what you see in your reply."


@dataclass(frozen=True, kw_only=True)
class ReplyOutcome(Result):
    message_id: int | None = None
    # Emergency words in the reply ("he can't breathe"): the 999, 111 or crisis advice to show at
    # once, as the request wizard does for what is typed there (HAZ-100).
    advice: emergencies.SearchAdvice | None = None


def lock_request(session: Session, request: Request) -> Request:
    """Write the request row first (its updated time), so a second tab or holder acting on it at the
    same moment waits for this transaction (PostgreSQL's row lock, SQLite's write lock), and read it
    again as it is now."""
    session.execute(update(Request).where(Request.id == request.id).values(updated_at=clock.utcnow()))  # type: ignore[arg-type]
    session.refresh(request)
    return request


def _refusal(session: Session, request: Request, identity: Identity) -> tuple[str, thread.ThreadMessage | None]:
    if request.status not in OPEN_STATUSES:
        return FINISHED, None
    messages = thread.read_thread(session, request.id, viewer="patient", viewer_account_id=identity.account_id)  # type: ignore[arg-type]
    awaiting = thread.awaiting_reply(messages)
    if awaiting is not None:
        return "", awaiting
    said = [m for m in messages if m.author_kind in ("staff", "patient")]
    answered = len(said) >= 2 and said[-1].author_kind == "patient" and said[-2].needs_reply
    return (ALREADY_ANSWERED if answered else NOT_ASKED), None


def can_reply(session: Session, identity: Identity, request: Request) -> tuple[bool, str]:
    """Whether the reply form is shown, and if not why not ("" when nothing was asked)."""
    refusal, _ = _refusal(session, request, identity)
    return not refusal, refusal


def reply(
    session: Session,
    identity: Identity,
    request_id: object,
    text: object,
    photo: bytes | attachments.Photo | None = None,
    *,
    folder: Path | None = None,
    max_bytes: int | None = None,
    key: object = "",
) -> ReplyOutcome:
    """Send the reply (in the caller's transaction); PermissionDenied for a request that isn't theirs.
    ``key``: the reply form's idempotency key (services.platform.idempotency): sent again with the
    same key (a retry after a dropped connection), the first reply is the answer, not a second one."""
    request = lock_request(session, access.request_for_account(session, identity, request_id))
    first = idempotency.claim(session, key, REPLY)
    if first is not None:
        return ReplyOutcome(message_id=first)
    outcome = _reply(session, identity, request, text, photo, folder=folder, max_bytes=max_bytes)
    if outcome.ok:
        idempotency.settle(session, key, REPLY, outcome.message_id)
    else:
        idempotency.release(session, key, REPLY)
    return outcome


REPLY = "reply"


def _reply(
    session: Session,
    identity: Identity,
    request: Request,
    text: object,
    photo: bytes | attachments.Photo | None,
    *,
    folder: Path | None,
    max_bytes: int | None,
) -> ReplyOutcome:
    refusal, awaiting = _refusal(session, request, identity)
    if refusal or awaiting is None:
        return ReplyOutcome(errors={FORM: refusal or NOT_ASKED})
    errors: dict[str, str] = {}
    body = text_limits.normalise(text_limits.received(text))
    checked: attachments.Photo | None = None
    if photo is not None:
        if not awaiting.wants_photo:
            errors["photo"] = NO_PHOTO_ASKED
        else:
            if isinstance(photo, attachments.Photo):  # held by the screen: checked when it was chosen
                checked = photo
            else:
                checked, problem = attachments.check_photo(photo, max_bytes=max_bytes)
                if problem:
                    errors["photo"] = problem
    if not body and photo is None:
        errors["message"] = ENTER_REPLY
    elif body:
        too_long = text_limits.check(body, text_limits.MESSAGE.limit, "Your reply")  # as its field is labelled
        if too_long:
            errors["message"] = too_long
    if errors:
        return ReplyOutcome(errors=errors)
    now = clock.utcnow()
    message = RequestMessage(
        request_id=request.id,  # type: ignore[arg-type]
        author_kind="patient",
        author_account_id=identity.account_id,
        body=body,
        created_at=now,
    )
    session.add(message)
    session.flush()
    if checked is not None:
        attachments.store(session, message, request, checked, folder=folder)
    request.status = "assigned"
    request.awaiting_reply_since = None
    request.patient_replied_at = request.patient_replied_at or now  # the first reply not yet answered
    advice = emergencies.emergency_advice(body)
    if advice is not None and request.urgency_rank > URGENCY_RANKS[URGENT]:
        # As for emergency words typed into a request: the advice now, and the practice sees it as
        # urgent (top of the queue with its reply mark).
        request.urgency, request.urgency_rank = URGENT, URGENCY_RANKS[URGENT]
    request.updated_at = now
    session.add(request)
    session.flush()
    audit.record_patient(
        session,
        identity,
        "request_reply_sent",
        patient_id=request.patient_id,
        practice_id=request.practice_id,
        detail={
            "request_id": request.id,
            "message_id": message.id,
            "photo": checked is not None,
            # The rules that fired and the advice shown, never the words typed.
            **({"advice": advice.code, "reasons": list(advice.reasons)} if advice else {}),
        },
    )
    return ReplyOutcome(message_id=message.id, advice=advice)
