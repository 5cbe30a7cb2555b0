"""What the staff request page shows and offers about appointments: the invitations to book made
from this request (what, with whom, the window, and where each stands), and the clinicians and
teams an invitation can name; and making one from the request page at any time
(`invite_from_request`: `invites.create_invite`, then the request's usual notice to the patient's
holders, "You have a new message from your practice", with nothing about what it is)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from anima_pwa.models import Appointment, AppointmentBook, AppointmentInvite, Request, Slot
from anima_pwa.services.appointments import books, invites
from anima_pwa.services.inbox import notices as request_notices
from anima_pwa.services.platform import clock
from anima_pwa.services.practice import permissions
from anima_pwa.services.practice.permissions import Action, StaffContext

__all__ = ["InviteLine", "invite_from_request", "invite_lines", "invite_targets", "split_target"]


@dataclass(frozen=True)
class InviteLine:
    text: str  # "A blood test with the nurses team, between Monday 7 December and Sunday 20 December"
    state: str  # "Waiting for the patient to book (book by Monday 14 December, 17:00)" | "Booked for ..." | ...


def invite_targets(session: Session, staff: StaffContext | None) -> list[tuple[str, str]]:
    """(value, label) for "with whom": every active book ("book:<id>") and every team with a book
    ("team:<name>") at the practice."""
    views = books.book_views(session, staff)
    teams = books.team_choices(session, staff)
    return [(f"book:{v.id}", v.name) for v in views] + [(f"team:{t}", f"Any of the {t} team") for t in teams]


def split_target(target: object) -> tuple[str, str]:
    """("book id", "team") from a "with whom" choice ("book:<id>" or "team:<name>"); ("", "") for
    anything else. The sign-off form can offer the same choices and pass these on to
    `invites.invite_from_outcome` as `book_id` and `team`."""
    chosen = target if isinstance(target, str) else ""
    return (chosen[5:] if chosen.startswith("book:") else "", chosen[5:] if chosen.startswith("team:") else "")


def invite_lines(
    session: Session, staff: StaffContext | None, request_id: object, now: datetime | None = None
) -> list[InviteLine]:
    """The invitations made from the request, oldest first, each with where it stands now."""
    staff = permissions.require(staff, Action.BOOK_APPOINTMENTS)
    key = permissions.record_id(request_id)
    request = session.get(Request, key) if key else None
    if request is None or request.practice_id != staff.practice_id:
        return []
    lines = []
    for invite in session.exec(
        select(AppointmentInvite).where(AppointmentInvite.request_id == request.id).order_by(col(AppointmentInvite.id))
    ).all():
        what = books.KIND_LABELS.get(invite.kind, invite.kind)
        text = f"{what} with {invites.with_whom(session, invite)}, {invites.window_label(invite)}"
        live = invites.live_appointment_for(session, invite.id)  # type: ignore[arg-type]
        if live is not None:
            slot = session.get(Slot, live.slot_id)
            book = session.get(AppointmentBook, slot.book_id) if slot else None
            at = clock.to_london(slot.start_utc) if slot else None
            state = (
                f"Booked for {at:%A} {at.day} {at:%B} at {at:%H:%M}" + (f" with {book.name}" if book else "")
                if at
                else "Booked"
            )
        else:
            problem = invites.invite_problem(invite, now)
            expires = clock.to_london(invite.expires_at)
            if problem == invites.EXPIRED:
                state = "Expired without a booking"
            elif invite.status == "withdrawn":
                state = "Withdrawn"
            elif invite.status == "used":
                state = "Used"
            else:
                cancelled = session.exec(
                    select(Appointment.id).where(
                        Appointment.invite_id == invite.id, col(Appointment.cancelled_at).is_not(None)
                    )
                ).first()
                again = " again" if cancelled is not None else ""
                state = (
                    f"Waiting for the patient to book{again} (by {invites.long_day(expires.date())}, {expires:%H:%M})"
                )
        lines.append(InviteLine(text=text, state=state))
    return lines


def invite_from_request(
    session: Session,
    staff: StaffContext | None,
    request_id: object,
    *,
    appointment_kind: object,
    target: object,
    window_days: object,
    expires_in_days: object,
    now: datetime | None = None,
) -> invites.InviteResult:
    """An invitation to book for the request's patient, from the request page (not a sign-off):
    `target` is "book:<id>" or "team:<name>" (`invite_targets`). The patient's holders are told
    there is something from the practice (`inbox.notices.tell_holders`, linked to the request so
    an undelivered notice shows on its page). Field errors are create_invite's; nothing is saved
    or sent with any."""
    staff = permissions.require(staff, Action.BOOK_APPOINTMENTS)
    key = permissions.record_id(request_id)
    request = session.get(Request, key) if key else None
    if request is None or request.practice_id != staff.practice_id:
        raise permissions.PermissionDenied("We could not find that request at your practice.")
    book_id, team = split_target(target)
    result = invites.create_invite(
        session,
        staff,
        patient_id=request.patient_id,
        request_id=request.id,
        appointment_kind=appointment_kind,
        book_id=book_id,
        team=team,
        window_days=window_days,
        expires_in_days=expires_in_days,
        now=now,
    )
    if result.ok:
        request_notices.tell_holders(session, request)
    return result
