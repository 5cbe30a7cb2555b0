"""The outbox queue: a notification is written in the caller's transaction, so it exists exactly
when the change that caused it is committed; and the newest messages for the demo mailbox."""

from __future__ import annotations

import logging
import re
from email.utils import parseaddr

from sqlmodel import Session, col, select

from anima_pwa.models.notifications import OutboxMessage
from anima_pwa.services.platform.notifications.templates import render, render_sms

log = logging.getLogger(__name__)

_E164_RE = re.compile(r"\+[1-9][0-9]{7,14}")


def _check_address(to: str) -> str:
    address = (to or "").strip()
    if (
        not address
        or len(address) > 254
        or any(ch in address for ch in "\r\n<>,;")
        or parseaddr(address)[1] != address
        or "@" not in address
    ):
        raise ValueError(f"not a single email address: {to!r}")
    return address


def enqueue_email(
    session: Session, *, to: str, template: str, about_request_id: int | None = None, **context: object
) -> OutboxMessage:
    """Render ``template`` and add it to the outbox in the caller's transaction (flushed, not committed).

    ``about_request_id`` links a notice to the request it is about, so staff see there when it
    can't be delivered. Raises KeyError (unknown template, missing placeholder) or ValueError (bad
    address) before anything is written.
    """
    address = _check_address(to)
    subject, body = render(template, **context)
    message = OutboxMessage(
        channel="email",
        to_address=address,
        subject=subject,
        body_text=body,
        template=template,
        request_id=about_request_id,
    )
    session.add(message)
    session.flush()
    log.info("outbox: queued %s email #%s", template, message.id)
    return message


def is_sms_number(number: str) -> bool:
    """True for a number an SMS can be queued to: E.164, as ``validation.clean_mobile`` stores it."""
    return isinstance(number, str) and _E164_RE.fullmatch(number.strip()) is not None


def _check_phone(to: str) -> str:
    number = (to or "").strip()
    if not _E164_RE.fullmatch(number):
        raise ValueError(f"not a mobile number in E.164 form: {to!r}")
    return number


def enqueue_sms(
    session: Session, *, to: str, template: str, about_request_id: int | None = None, **context: object
) -> OutboxMessage:
    """Render SMS ``template`` and add it to the outbox (channel "sms") in the caller's transaction.

    ``to`` is an E.164 number ("+447700900982", as ``validation.clean_mobile`` stores it). Raises
    KeyError (unknown template, missing placeholder) or ValueError (bad number) before anything is
    written.
    """
    number = _check_phone(to)
    body = render_sms(template, **context)
    message = OutboxMessage(
        channel="sms", to_address=number, subject="", body_text=body, template=template, request_id=about_request_id
    )
    session.add(message)
    session.flush()
    log.info("outbox: queued %s SMS #%s", template, message.id)
    return message


_LINK_RE = re.compile(r"https?://[^\s<>\"'()\[\]{}]+", re.IGNORECASE)


def extract_links(text: str) -> list[str]:
    """The http(s) URLs in ``text``, in order, without duplicates or trailing punctuation."""
    links: list[str] = []
    for match in _LINK_RE.finditer(text or ""):
        link = match.group(0).rstrip(".,;:!?")
        if link not in links:
            links.append(link)
    return links


def recent_messages(session: Session, *, limit: int = 50) -> list[dict]:
    """The newest outbox messages as plain dicts for the demo mailbox page."""
    rows = session.exec(
        select(OutboxMessage)
        .order_by(col(OutboxMessage.created_at).desc(), col(OutboxMessage.id).desc())
        .limit(max(1, min(limit, 500)))
    ).all()
    return [
        {
            "id": row.id,
            "to": row.to_address,
            "channel": row.channel,
            "subject": row.subject if row.channel == "email" else "Text message",
            "body": row.body_text,
            "created_at": row.created_at.isoformat(),
            "status": row.status,
            "links": extract_links(row.body_text),
        }
        for row in rows
    ]
