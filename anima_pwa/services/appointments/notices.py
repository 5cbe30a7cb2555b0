"""Telling a patient's account holders about an appointment: booked, cancelled, and the reminder the
day before, by email and text message through the outbox, the same ways as the practice's notices
(`inbox.notices.queue_for_holders`: each holder's choices, always one way at least).

What they say: the practice, when (UK time), and where (the site) or how ("The practice will phone
you at this time."). Never the kind of appointment (a blood test says something about a person's
health), the reason, the patient's name or anything else clinical: an email or a text is read on
shared phones and screens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session

from anima_pwa import routes
from anima_pwa.models import AppointmentBook, OutboxMessage, Practice
from anima_pwa.services.inbox.notices import queue_for_holders
from anima_pwa.services.platform.notifications import push
from anima_pwa.settings import settings

if TYPE_CHECKING:  # pragma: no cover
    from anima_pwa.services.appointments.booking import AppointmentView

__all__ = ["PHONE", "VIDEO", "tell", "where_and_how"]

PHONE = "The practice will phone you at this time. You don't need to come in."
VIDEO = "The practice will send you a link to join the video call at this time."


def where_and_how(kind: str, book: AppointmentBook | None) -> tuple[str, str]:
    """(where: the site and its address, "" for a call; how: what happens for a call, "" otherwise)."""
    if kind == "telephone":
        return "", PHONE
    if kind == "video":
        return "", VIDEO
    if book is None:
        return "", ""
    place = ", ".join(part for part in (book.site_name, book.site_address) if part)
    return place, ""


def _place_line(view: AppointmentView) -> str:
    if view.how:
        return view.how
    return f"Where: {view.where}" if view.where else ""


# What a push to an installed app says for each notice (fixed words, nothing clinical). A patient's own
# booking and cancelling are confirmed on screen and by email or text; the practice's changes and the
# reminder also reach the phone's lock screen.
PUSH_FOR = {
    "appointment_reminder": push.PUSH_APPOINTMENT_TOMORROW,
    "appointment_booked": push.PUSH_APPOINTMENT_BOOKED,
    "appointment_cancelled": push.PUSH_APPOINTMENT_CHANGED,
    "appointment_moved": push.PUSH_APPOINTMENT_CHANGED,
}


def tell(
    session: Session, template: str, view: AppointmentView, patient_id: int, *, push_too: bool = True, **extra: str
) -> list[OutboxMessage]:
    """Queue `template` (appointment_booked | appointment_cancelled | appointment_moved |
    appointment_reminder) for every account that acts for the patient, by each one's chosen ways,
    and with `push_too` a push to their installed apps opening the appointment's page, in the
    caller's transaction."""
    practice = session.get(Practice, view.practice_id)
    context: dict[str, str] = {
        "practice_name": practice.name if practice else "your practice",
        "when": view.when,
        "where": _place_line(view),
        "login_link": f"{settings.base_url}/login",
        **extra,  # appointment_moved: "was", the old time
    }
    push_body = PUSH_FOR.get(template, "") if push_too else ""
    return queue_for_holders(
        session,
        patient_id,
        template,
        about_request_id=None,
        push_url=routes.appointment_view(view.id) if push_body else "",
        push_body=push_body or push.PUSH_BODY,
        **context,
    )
