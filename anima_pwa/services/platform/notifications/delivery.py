"""Delivering the outbox: claim due messages, send them outside any transaction, record the result.

Each channel has its transport (``transports_for``): GOV.UK Notify for email and SMS when
``ANIMA_NOTIFY_API_KEY`` is set, otherwise SMTP for email (``ANIMA_SMTP_URL``) and no SMS provider,
so text messages stay pending, honestly shown to staff as not sent (never a pretend send).

A failure is one of three kinds:
- the provider can't be used now (unreachable, TLS, authentication, Notify 403/429/5xx): the message
  is retried with backoff and never given up on, and the rest of the batch is left untouched;
- the message can never go (``PermanentFailure``: Notify 400, an invalid address or number): failed
  at once, shown to staff on the request;
- anything else about this one message: retried with backoff, failed after ``MAX_ATTEMPTS``.
Without any transport messages stay in the outbox (the demo mailbox shows them).
"""

from __future__ import annotations

import asyncio
import logging
import os
import smtplib
import socket
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import update
from sqlmodel import Session, col, select

from anima_pwa import settings as settings_module
from anima_pwa.models.base import id_of
from anima_pwa.models.notifications import OutboxMessage
from anima_pwa.services.platform import clock, retry_queue
from anima_pwa.services.platform.notifications.errors import PermanentFailure
from anima_pwa.services.platform.notifications.smtp import SmtpTransport

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
CLAIM_SECONDS = 120
BACKOFF_FIRST_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600


class Transport(Protocol):
    """Anything that can deliver one outbox message, raising on failure. A transport may also have
    ``close()``, called after each batch (SMTP keeps one connection open for a batch)."""

    def send(self, message: OutboxMessage, *, sender: str) -> None: ...


SessionFactory = Callable[[], AbstractContextManager[Session]]


@dataclass
class DeliveryReport:
    """What one ``deliver_due`` run did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after ``attempts`` failures: 30 s, 1 min, 2 min, ... capped at 1 h."""
    return retry_queue.backoff(attempts, BACKOFF_FIRST_SECONDS, BACKOFF_MAX_SECONDS)


def _is_server_error(exc: BaseException) -> bool:
    """True when the failure will hit every message (unreachable server, TLS, auth), not just this one."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError):
        return False
    return isinstance(exc, OSError)  # smtplib.SMTPException, ssl.SSLError and socket errors


def _claim_batch(
    session_factory: SessionFactory, now: datetime, batch: int, channels: list[str]
) -> list[OutboxMessage]:
    """Lock up to ``batch`` due messages for this worker in one statement (no other worker gets
    them), and read them: detached snapshots, oldest due first (so one message that keeps failing
    doesn't hold up the others)."""
    ids = retry_queue.claim_due(
        session_factory,
        OutboxMessage,
        now,
        batch,
        CLAIM_SECONDS,
        OutboxMessage.status == "pending",
        col(OutboxMessage.channel).in_(channels),
    )
    if not ids:
        return []
    with session_factory() as session:
        messages = list(
            session.exec(
                select(OutboxMessage)
                .where(col(OutboxMessage.id).in_(ids))
                .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
                .execution_options(populate_existing=True)
            ).all()
        )
        for message in messages:
            session.expunge(message)  # a detached snapshot: safe to read after commit
    return messages


SENT_BODY = "(delivered; the text is not kept because it may contain a one-time link or code)"


def _mark_sent(session_factory: SessionFactory, message_id: int, now: datetime) -> None:
    with session_factory() as session:
        session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == message_id)
            # Once delivered, the text (which may hold a one-time link or code) is not kept.
            .values(status="sent", sent_at=now, locked_until=None, last_error="", body_text=SENT_BODY)
            .execution_options(synchronize_session=False)
        )


def _mark_failed_attempt(
    session_factory: SessionFactory, message_id: int, now: datetime, error: str, *, kind: str = "message"
) -> bool:
    """Record a failed try; returns True when the message has now failed for good. ``kind``:
    "permanent" fails it now, "provider" (the provider is down) never fails it, "message" fails it
    after ``MAX_ATTEMPTS``. The lock is released either way."""
    with session_factory() as session:
        message = session.get(OutboxMessage, message_id, populate_existing=True)
        if message is None or message.status != "pending":
            return False
        message.attempts += 1
        message.last_error = error[:500]
        message.last_attempt_at = now
        message.locked_until = None
        if kind == "permanent" or (kind == "message" and message.attempts >= MAX_ATTEMPTS):
            message.status = "failed"
        else:
            message.next_attempt_at = now + backoff(message.attempts)
        session.add(message)
        return message.status == "failed"


def deliver_due(
    session_factory: SessionFactory,
    transport: Transport | Mapping[str, Transport],
    *,
    sender: str,
    now: datetime | None = None,
    batch: int = 20,
    worker: str = "",
) -> DeliveryReport:
    """Send up to ``batch`` due messages; safe to run in several workers at once.

    The batch is claimed in one statement and committed before sending (no other worker can take
    those messages), each is sent outside any transaction (a transport may keep one connection open
    for the whole batch: SMTP does), then marked sent, or given a later retry (``failed`` after
    ``MAX_ATTEMPTS``), in a transaction of its own, so a crash can repeat at most the one message
    in flight. If the server cannot be reached, or the batch has taken half of ``CLAIM_SECONDS``
    (so the claim can't run out while a message is being sent), the rest of the batch is handed
    back for the next run.
    ``transport`` is one per channel (``{"email": ..., "sms": ...}``), or one transport for email only;
    messages of a channel without one are left pending.
    ``session_factory()`` must yield a Session that commits on exit (like ``db.session_scope``).
    """
    now = now or clock.utcnow()
    report = DeliveryReport()
    transports = dict(transport) if isinstance(transport, Mapping) else {"email": transport}
    if not transports:
        return report
    started = time.monotonic()
    messages = _claim_batch(session_factory, now, batch, sorted(transports))
    unsent = [id_of(message) for message in messages]
    try:
        for message in messages:
            if time.monotonic() - started > CLAIM_SECONDS / 2:
                break  # what is left goes back (finally) before the claim could expire
            unsent.pop(0)  # in flight: from here its own outcome is recorded
            if _deliver_one(session_factory, transports[message.channel], message, now, sender, report, worker):
                break  # the provider is down: leave the rest of the batch for the next run
    finally:
        retry_queue.release(session_factory, OutboxMessage, unsent, now + timedelta(seconds=CLAIM_SECONDS))
        for used in {id(t): t for t in transports.values()}.values():
            close = getattr(used, "close", None)
            if close is not None:
                close()
    return report


def _deliver_one(
    session_factory: SessionFactory,
    transport: Transport,
    message: OutboxMessage,
    now: datetime,
    sender: str,
    report: DeliveryReport,
    worker: str,
) -> bool:
    """Send one claimed message and record the outcome in ``report``; True when the provider is
    down (the rest of the batch must wait)."""
    message_id = id_of(message)
    try:
        transport.send(message, sender=sender)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
        error = f"{type(exc).__name__}: {exc}"
        kind = "permanent" if isinstance(exc, PermanentFailure) else "provider" if _is_server_error(exc) else "message"
        if _mark_failed_attempt(session_factory, message_id, now, error, kind=kind):
            report.failed += 1
            log.error("outbox%s: %s #%s failed for good: %s", _tag(worker), message.channel, message_id, error)
        else:
            report.retried += 1
            log.warning("outbox%s: %s #%s not sent, will retry: %s", _tag(worker), message.channel, message_id, error)
        return _is_server_error(exc)
    _mark_sent(session_factory, message_id, now)
    report.sent += 1
    log.info("outbox%s: sent %s %s #%s", _tag(worker), message.template, message.channel, message_id)
    return False


def transports_for(settings: settings_module.Settings) -> dict[str, Transport]:
    """The transport of each channel the settings give: Notify for both, or SMTP for email, or none;
    and web push when VAPID keys are set. ValueError if the configured one is unusable (a malformed
    key or URL)."""
    transports = _push_transport(settings)
    if settings.notify is not None:
        from anima_pwa.services.platform.notifications.notify import NotifyTransport

        notify = NotifyTransport(settings.notify)
        return {"email": notify, "sms": notify, **transports}
    if settings.smtp_url:
        try:
            return {"email": SmtpTransport.from_url(settings.smtp_url), **transports}
        except ValueError as exc:
            raise ValueError(f"ANIMA_SMTP_URL is invalid: {exc}") from None
    return transports


def _push_transport(settings: settings_module.Settings) -> dict[str, Transport]:
    if settings.push is None:
        return {}
    from anima_pwa.db import session_scope
    from anima_pwa.services.platform.notifications.push import PushTransport

    try:
        return {"push": PushTransport(settings.push.private_key_file, settings.push.subject, session_scope)}
    except (OSError, ValueError) as exc:
        raise ValueError(f"web push is misconfigured: {exc}") from None


def sms_provider_configured(settings: settings_module.Settings | None = None) -> bool:
    """True when text messages can be sent (only through GOV.UK Notify)."""
    return (settings or settings_module.settings).notify is not None


def _tag(worker: str) -> str:
    return f" [{worker}]" if worker else ""


async def run_sender(
    stop_event: asyncio.Event | None = None,
    *,
    poll_seconds: float | None = None,
    session_factory: SessionFactory | None = None,
) -> None:
    """Deliver the outbox every ``poll_seconds`` until ``stop_event`` is set (or the task is cancelled).

    Returns at once when there is nothing to send with (neither GOV.UK Notify nor a valid
    ``ANIMA_SMTP_URL``). Errors are logged, never raised.
    """
    settings = settings_module.settings
    try:
        transport = transports_for(settings)
    except ValueError as exc:
        log.error("outbox: not sending: %s", exc)
        return
    if not transport:
        log.info("outbox: no ANIMA_NOTIFY_API_KEY, ANIMA_SMTP_URL or VAPID key; messages stay in the outbox")
        return
    if session_factory is None:
        from anima_pwa.db import session_scope

        session_factory = session_scope
    interval = settings.outbox_poll_seconds if poll_seconds is None else poll_seconds
    worker = f"{socket.gethostname()}:{os.getpid()}"
    batch = 20

    def work() -> bool:
        report = deliver_due(session_factory, transport, sender=settings.email_from, worker=worker, batch=batch)
        return report.sent + report.retried + report.failed >= batch  # a full batch: there may be more waiting

    await retry_queue.run_every(work, interval, stop_event, log, "outbox: delivery run failed")
