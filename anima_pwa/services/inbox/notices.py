"""Telling a patient's account holders that the practice has written: a new message, an outcome,
a closure. The notice is the same words whatever happened ("You have a new message from your
practice. Log in to read it."): nothing about the request, its topic or the patient, because an
email is read on shared phones and screens.

It goes to every active account that may act for the patient (the patient's own, and parents,
carers and care homes whose link needs no approval or is approved: `dependants.holders_contacts`),
never to a holder the practice hasn't approved. Each notice is linked to its request in the outbox,
so staff can see there when one can't be delivered.
"""

from __future__ import annotations

from sqlmodel import Session

from anima_pwa.models import OutboxMessage, Request
from anima_pwa.services.patients import dependants
from anima_pwa.services.platform import notifications
from anima_pwa.settings import settings

__all__ = ["NOTICE_TEMPLATE", "tell_holders"]

NOTICE_TEMPLATE = "practice_message"


def tell_holders(session: Session, request: Request) -> list[OutboxMessage]:
    """Queue the notice for every account that may act for the request's patient (in the caller's
    transaction); the messages queued."""
    login_link = f"{settings.base_url}/login"
    return [
        notifications.enqueue_email(
            session, to=address, template=NOTICE_TEMPLATE, about_request_id=request.id, login_link=login_link
        )
        for address in dependants.holders_contacts(session, request.patient_id)
    ]
