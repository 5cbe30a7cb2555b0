"""A request's message thread as people read it: oldest first, newest last, each message with who
wrote it, when (London time), whether it asks for a reply or a photo, and its photos.

Who may read it is the caller's business (the practice's staff through `practice.permissions`,
account holders through `inbox.access`); this module only reads. Staff see a member of staff's
name on each of the practice's messages; the patient reads "Your practice", and a reply from a
holder's account reads "You" to that account and the holder's name to the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlmodel import Session, col, select

from anima_pwa.models import AccountPatient, MessageAttachment, Patient, RequestMessage, StaffMember, id_of
from anima_pwa.services.platform import clock

__all__ = ["ThreadMessage", "awaiting_reply", "read_thread"]

Viewer = Literal["staff", "patient"]


@dataclass(frozen=True)
class ThreadMessage:
    id: int
    author_kind: str  # staff | patient | system
    author: str  # as the viewer reads it
    body: str
    sent: str  # "Monday 30 November 2026 at 9:05am", London time
    needs_reply: bool
    wants_photo: bool
    attachment_ids: tuple[int, ...]


def _when(moment) -> str:  # noqa: ANN001 - a datetime from the database (naive UTC on SQLite)
    hour, day = clock.london_words(moment)
    return f"{day} at {hour}"


def read_thread(
    session: Session, request_id: int, *, viewer: Viewer, viewer_account_id: int | None = None
) -> list[ThreadMessage]:
    """The request's messages, oldest first (ties by id), as `viewer` reads them."""
    messages = session.exec(
        select(RequestMessage)
        .where(RequestMessage.request_id == request_id)
        .order_by(col(RequestMessage.created_at), col(RequestMessage.id))
    ).all()
    if not messages:
        return []
    ids = [m.id for m in messages]
    attachments: dict[int, list[int]] = {}
    for message_id, attachment_id in session.exec(
        select(MessageAttachment.message_id, MessageAttachment.id)
        .where(col(MessageAttachment.message_id).in_(ids))
        .order_by(col(MessageAttachment.id))
    ).all():
        attachments.setdefault(message_id, []).append(attachment_id)  # type: ignore[arg-type]
    staff_ids = {m.author_staff_id for m in messages if m.author_staff_id is not None}
    account_ids = {m.author_account_id for m in messages if m.author_account_id is not None}
    staff_names = (
        {
            s.id: s.display_name
            for s in session.exec(select(StaffMember).where(col(StaffMember.id).in_(staff_ids))).all()
        }
        if staff_ids
        else {}
    )
    # A holder is named as on their own record (a care home's account has one too).
    account_names: dict[int | None, str] = (
        dict(
            session.exec(
                select(AccountPatient.account_id, Patient.full_name)
                .join(Patient, col(Patient.id) == AccountPatient.patient_id)
                .where(col(AccountPatient.account_id).in_(account_ids), AccountPatient.relationship == "self")
            ).all()
        )
        if account_ids
        else {}
    )
    out = []
    for m in messages:
        if m.author_kind == "staff":
            author = staff_names.get(m.author_staff_id, "Practice staff") if viewer == "staff" else "Your practice"
        elif m.author_kind == "patient":
            if viewer == "patient" and m.author_account_id == viewer_account_id:
                author = "You"
            else:
                author = account_names.get(m.author_account_id, "The patient or their carer")
        else:
            author = "Anima"
        out.append(
            ThreadMessage(
                id=id_of(m),
                author_kind=m.author_kind,
                author=author,
                body=m.body,
                sent=_when(m.created_at),
                needs_reply=m.needs_reply,
                wants_photo=m.wants_photo,
                attachment_ids=tuple(attachments.get(id_of(m), ())),
            )
        )
    return out


def awaiting_reply(messages: list[ThreadMessage]) -> ThreadMessage | None:
    """The practice's latest message, when it asks for a reply and the patient has not answered
    since (the "Respond" button's message); else None."""
    for m in reversed(messages):
        if m.author_kind == "patient":
            return None
        if m.author_kind == "staff":
            return m if m.needs_reply else None
    return None
