"""What staff see on a request when a notice about it could not be delivered (``delivery_problems``).

A notice (``notices.tell_holders``) is linked to its request in the outbox. Staff see one line for
each notice that:
- failed for good: the address or number was not accepted (GOV.UK Notify said 400), or every try
  failed (``notifications.MAX_ATTEMPTS``);
- is waiting for a retry after a failed try ("Not sent yet: we will try again at 14:05");
- is a text message with no text message service set up, so it waits and nobody is told by text.

Sent notices and notices not yet tried are not problems. The lines name the channel and the address
or number (staff may phone the patient instead) and never anything of the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from anima_pwa.models import OutboxMessage
from anima_pwa.services.platform import clock, notifications
from anima_pwa.services.platform.validation import format_uk_phone

__all__ = ["DeliveryProblem", "delivery_problems"]

CHANNEL_WORDS = {"email": "by email", "sms": "by text message"}


@dataclass(frozen=True)
class DeliveryProblem:
    """One notice staff should know about: plain words, the channel, where to, and when."""

    channel: str  # email | sms
    to: str  # the address, or the number as people write it ("07700 900982")
    status: str  # failed | retrying | no_provider
    text: str  # "We could not send the notice by text message to 07700 900982: the number was not accepted"
    when: str  # London time of the last try (or of queueing): "30 Nov 2026, 14:05"
    at: datetime  # the same moment in UTC, for sorting


def _when(moment: datetime) -> str:
    return clock.to_london(moment).strftime("%-d %b %Y, %H:%M")


def _reason(message: OutboxMessage) -> str:
    error = message.last_error or ""
    if error.startswith("PermanentFailure:"):
        if "phone_number" in error or "email_address" in error:
            return "the number was not accepted" if message.channel == "sms" else "the address was not accepted"
        return "the message service refused it (" + error.removeprefix("PermanentFailure: ")[:200] + ")"
    return f"it failed {message.attempts} times"


def _problem(message: OutboxMessage, *, sms_provider: bool) -> DeliveryProblem | None:
    to = format_uk_phone(message.to_address) if message.channel == "sms" else message.to_address
    how = CHANNEL_WORDS.get(message.channel, message.channel)
    tried_at = message.last_attempt_at or message.created_at
    if message.status == "failed":
        text = f"We could not send the notice {how} to {to}: {_reason(message)}"
        return DeliveryProblem(message.channel, to, "failed", text, _when(tried_at), tried_at)
    if message.status != "pending":
        return None
    if message.channel == "sms" and not sms_provider:
        text = f"The notice {how} to {to} has not been sent: no text message service is set up"
        return DeliveryProblem(message.channel, to, "no_provider", text, _when(message.created_at), message.created_at)
    if message.attempts > 0:
        retry = _when(message.next_attempt_at)
        text = f"The notice {how} to {to} has not been sent yet: we will try again at {retry}"
        return DeliveryProblem(message.channel, to, "retrying", text, _when(tried_at), tried_at)
    return None


def delivery_problems(session: Session, request_id: int) -> list[DeliveryProblem]:
    """The notices about ``request_id`` that staff should know about, oldest first. The caller
    checks that the member of staff may see the request."""
    messages = session.exec(
        select(OutboxMessage).where(OutboxMessage.request_id == request_id).order_by(col(OutboxMessage.id))
    ).all()
    sms_provider = notifications.sms_provider_configured()
    return [p for m in messages if (p := _problem(m, sms_provider=sms_provider)) is not None]
