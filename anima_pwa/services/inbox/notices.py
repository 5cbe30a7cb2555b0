"""Telling a patient's account holders that the practice has written: a new message, an outcome,
a closure. The notice is the same words whatever happened ("You have a new message from your
practice. Log in to read it."): nothing about the request, its topic or the patient, because an
email or a text message is read on shared phones and screens.

It goes to every active account that may act for the patient (the patient's own, and parents,
carers and care homes whose link needs no approval or is approved: `dependants.holder_accounts`),
never to a holder the practice hasn't approved, by the ways each holder chose on "Your preferences":

- by email when ``Account.notify_by_email`` is on;
- by text message when ``Account.notify_by_sms`` is on and the holder's own record has a mobile
  number (``Patient.phone_mobile``, E.164); the number is the holder's, never the patient's;
- and always one way at least: if neither would go (text messages chosen but no mobile number),
  it goes by email, because a message from the practice must not go unnoticed.

Each notice is linked to its request in the outbox, so staff see there when one can't be delivered
(``services/inbox/delivery.py``).

And as a push notification to each device where the holder turned on "Notifications on this device"
(services/platform/notifications/push.py): the same words, opening the request's page, which asks
whoever holds the phone to sign in as someone who may see it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from anima_pwa import routes
from anima_pwa.models import Account, OutboxMessage, Request
from anima_pwa.services.patients import dependants
from anima_pwa.services.platform import notifications
from anima_pwa.services.platform.notifications import push
from anima_pwa.services.practice.holders import self_patients
from anima_pwa.settings import settings

__all__ = ["NOTICE_TEMPLATE", "Channels", "channels_for", "queue_for_holders", "tell_holders"]

NOTICE_TEMPLATE = "practice_message"


@dataclass(frozen=True)
class Channels:
    """Where one holder's notice goes: an email address and/or an E.164 mobile number."""

    email: str = ""
    mobile: str = ""


def channels_for(account: Account, mobile: str) -> Channels:
    """The ways ``account`` is told, given the mobile number on its own record ("" if none). A number
    that isn't E.164 (an old row) counts as none, so it can never make the caller's change fail."""
    sms = mobile if account.notify_by_sms and notifications.is_sms_number(mobile) else ""
    email = account.email if account.notify_by_email or not sms else ""
    return Channels(email=email, mobile=sms)


def queue_for_holders(
    session: Session,
    patient_id: int,
    template: str,
    *,
    about_request_id: int | None,
    push_url: str = "",
    push_body: str = push.PUSH_BODY,
    **context: str,
) -> list[OutboxMessage]:
    """Queue ``template`` with ``context`` for every account that may act for the patient, by each
    of its chosen channels (in the caller's transaction), and, with ``push_url``, a push saying
    ``push_body`` (one of push.PUSH_BODIES) to each of their devices, opening that page; the
    messages queued."""
    holders = dependants.holder_accounts(session, patient_id)
    own = self_patients(session, [account.id for account in holders if account.id is not None])
    queued: list[OutboxMessage] = []
    for account in holders:
        record = own.get(account.id)  # type: ignore[arg-type]
        channels = channels_for(account, record.phone_mobile if record is not None else "")
        if channels.email:
            queued.append(
                notifications.enqueue_email(
                    session, to=channels.email, template=template, about_request_id=about_request_id, **context
                )
            )
        if channels.mobile:
            queued.append(
                notifications.enqueue_sms(
                    session, to=channels.mobile, template=template, about_request_id=about_request_id, **context
                )
            )
        if push_url and account.id is not None:
            queued.extend(push.enqueue_push(session, account_id=account.id, url=push_url, body=push_body))
    return queued


def tell_holders(session: Session, request: Request) -> list[OutboxMessage]:
    """Queue the notice for every account that may act for the request's patient, by each of its
    chosen channels (in the caller's transaction); the messages queued."""
    return queue_for_holders(
        session,
        request.patient_id,
        NOTICE_TEMPLATE,
        about_request_id=request.id,
        push_url=routes.request_view(request.id) if request.id is not None else "",
        login_link=f"{settings.base_url}/login",
    )
