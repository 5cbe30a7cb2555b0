"""Email notifications through a transactional outbox.

``enqueue_email`` renders a template and writes an ``OutboxMessage`` in the caller's transaction, so
an email exists exactly when the change that caused it is committed. ``deliver_due`` (run in the
background by ``run_sender``) claims due messages, sends them over SMTP outside any transaction and
records the result; a message is retried with exponential backoff until it is sent or has failed
``MAX_ATTEMPTS`` times. Without ``ANIMA_SMTP_URL`` messages stay in the outbox (the demo mailbox
shows them).

Notifications never contain clinical content: templates say that something happened and link to
the app, nothing more.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import smtplib
import socket
import ssl
import string
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Literal, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from anima_pwa import settings as settings_module
from anima_pwa.models.notifications import OutboxMessage
from anima_pwa.services.platform import clock

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
CLAIM_SECONDS = 120
BACKOFF_FIRST_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600
SMTP_TIMEOUT_SECONDS = 10.0

# --------------------------------------------------------------------------------------------------
# Templates: (subject, body) with str.format placeholders. Plain text, no clinical content ever.
# --------------------------------------------------------------------------------------------------

_SIGN_OFF = "\n\nAnima\nThis is an automated message. Please do not reply to this email."

TEMPLATES: dict[str, tuple[str, str]] = {
    "verify_email": (
        "Confirm your email address for Anima",
        "To finish creating your Anima account, follow this link. It confirms your email address "
        "and opens the page where you create your password:\n\n{link}\n\n"
        "The link works once (when you create your password) and expires in 24 hours. If you "
        "asked for more than one email, use the newest.\n\n"
        "If you did not ask to create an Anima account, you can ignore this email." + _SIGN_OFF,
    ),
    # A practice message, an outcome or a closure (services/inbox/notices.py): the same words for
    # each, so the notice itself says nothing about the request.
    "practice_message": (
        "You have a new message from your practice",
        "You have a new message from your practice. Log in to read it:\n\n{login_link}" + _SIGN_OFF,
    ),
    "already_registered": (
        "You already have an Anima account",
        "Someone tried to create an Anima account with this email address, but it already has "
        "an account.\n\n"
        "To sign in, go to:\n{login_link}\n\n"
        "If you have forgotten your password, you can reset it here:\n{reset_link}\n\n"
        "If this was not you, you can ignore this email. Your account has not been changed." + _SIGN_OFF,
    ),
    "password_reset_code": (
        "Your Anima password reset code",
        "Your Anima password reset code is {code}. It expires in 10 minutes. "
        "If you did not ask to reset your password, you can ignore this email." + _SIGN_OFF,
    ),
    "password_changed": (
        "Your Anima password has been changed",
        "The password for your Anima account has just been changed.\n\n"
        "If this was not you, reset your password now at:\n{reset_link}\n\n"
        "and contact your GP practice." + _SIGN_OFF,
    ),
    "verification_pending_practice": (
        "A patient registration needs manual verification",
        "A patient registration at {practice_name} needs manual verification. "
        "Sign in to the practice workspace to review it." + _SIGN_OFF,
    ),
    "staff_set_password": (
        "Set your password for Anima",
        "An Anima account has been created for you at {practice_name}.\n\n"
        "Set your password by following this link:\n\n{link}\n\n"
        "The link expires in 24 hours. If you were not expecting this email, "
        "contact your practice manager." + _SIGN_OFF,
    ),
    "staff_mfa_enrolment": (
        "Set up your sign-in to the Anima practice workspace",
        "An Anima practice workspace account at {practice_name} is ready for you. Before you can "
        "sign in, set up multi-factor authentication with an authenticator app on your phone "
        "(for example Google Authenticator). Follow this link, scan the QR code it shows, and "
        "enter your password and a code from the app:\n\n{link}\n\n"
        "The link works once and expires in {lifetime}. Your practice admin gives you your "
        "password; it is not in this email. If the link has expired, ask your practice admin for "
        "a new one.\n\n"
        "If you were not expecting this email, tell your practice manager." + _SIGN_OFF,
    ),
    "patient_set_password": (
        "Set your password for Anima",
        "{practice_name} has created an Anima account for you. Set your password to sign in: "
        "{link}\n\n"
        "The link works once and expires in 24 hours. If it has expired, use 'Forgot your "
        "password?' on the sign-in page.\n\n"
        "If you were not expecting this email, contact {practice_name}." + _SIGN_OFF,
    ),
    "confirm_new_email": (
        "Confirm your new email address for Anima",
        "You asked to change the email address on your Anima account to this one. To confirm "
        "the change, follow this link:\n\n{link}\n\n"
        "The link works once and expires in 24 hours. Until you follow it, your account keeps "
        "its current email address.\n\n"
        "If you did not ask for this, you can ignore this email." + _SIGN_OFF,
    ),
    "email_changed": (
        "Your Anima email address has been changed",
        "The email address on your Anima account has been changed to {new_email_masked}. "
        "We will send emails about your account to the new address from now on.\n\n"
        "If this was not you, contact your GP practice and reset your password now at:\n"
        "{reset_link}" + _SIGN_OFF,
    ),
    # Manual verification and dependant approval by the practice: what was decided and why is shown
    # in the app after signing in, never in the email.
    "verification_approved": (
        "Your Anima account has been verified",
        "Your Anima account has been verified by {practice_name}. You can now sign in and send requests." + _SIGN_OFF,
    ),
    "verification_rejected": (
        "Your GP practice could not verify your Anima account",
        "{practice_name} could not verify your Anima account. Sign in to see why." + _SIGN_OFF,
    ),
    "dependant_approved": (
        "A change to your Anima account has been reviewed",
        "A change to the people on your Anima account has been reviewed by {practice_name}. "
        "Sign in to see it." + _SIGN_OFF,
    ),
    "dependant_declined": (
        "A change to your Anima account has been reviewed",
        "A change to the people on your Anima account has been reviewed by {practice_name}. "
        "Sign in to see it." + _SIGN_OFF,
    ),
    # Someone asked to be linked to a person others already look after. Nobody is named: the email
    # may be read by someone else; the people who hold them see who under "Dependants & children".
    "holder_link_requested": (
        "Someone has asked to be linked to a person you look after on Anima",
        "Someone has asked {practice_name} to link a person you look after on Anima to their own "
        "account, so that they can send requests for them and see their requests.\n\n"
        "{practice_name} will check before agreeing. Nothing has changed yet. Sign in and go to "
        "Settings, then Dependants & children, to see who it is about.\n\n"
        "If you don't know about this or are worried by it, contact {practice_name}." + _SIGN_OFF,
    ),
    "holder_link_requested_self": (
        "Someone has asked to add you to their Anima account",
        "Someone has asked {practice_name} to add you as a dependant on their Anima account, so that "
        "they can send requests for you and see your requests.\n\n"
        "{practice_name} will check before agreeing. Nothing has changed yet.\n\n"
        "If you don't know about this or are worried by it, contact {practice_name}." + _SIGN_OFF,
    ),
    "holder_approval_practice": (
        "A request to link a patient to an account needs approval",
        "Someone has asked to be linked to a patient at {practice_name} whom Anima already knows. "
        "Sign in to the practice workspace and open Verifications to review it." + _SIGN_OFF,
    ),
    "holder_removed": (
        "A change to your Anima account",
        "{practice_name} has removed a person from your Anima account. You can no longer send "
        "requests for them or see their requests.\n\n"
        "If you think this is a mistake, contact {practice_name}." + _SIGN_OFF,
    ),
}


def template_fields(template: str) -> set[str]:
    """The placeholder names a template needs (subject and body). Raises KeyError if unknown."""
    if template not in TEMPLATES:
        raise KeyError(f"unknown email template {template!r}; known: {', '.join(sorted(TEMPLATES))}")
    names: set[str] = set()
    for part in TEMPLATES[template]:
        names.update(name for _, name, _, _ in string.Formatter().parse(part) if name)
    return names


def render(template: str, **context: object) -> tuple[str, str]:
    """Render a template to (subject, body). Unknown template or missing placeholder: KeyError."""
    missing = template_fields(template) - context.keys()
    if missing:
        raise KeyError(f"email template {template!r} needs {', '.join(sorted(missing))}")
    subject, body = TEMPLATES[template]
    return subject.format(**context), body.format(**context)


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


# --------------------------------------------------------------------------------------------------
# SMTP
# --------------------------------------------------------------------------------------------------

SmtpMode = Literal["plain", "starttls", "ssl"]
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to reach the SMTP server. ``cafile`` trusts a private CA instead of the system's."""

    host: str
    port: int
    username: str | None
    password: str | None = field(repr=False)
    mode: SmtpMode
    cafile: str | None = None


def parse_smtp_url(url: str) -> SmtpConfig:
    """Parse ``smtp://[user:pass@]host[:port][?starttls=1][&cafile=/path]`` or ``smtps://...``.

    ``smtp`` defaults to port 25 (plain, or STARTTLS with ``?starttls=1``); ``smtps`` is implicit
    TLS on port 465 by default. User and password are URL-decoded. Raises ValueError on bad URLs.
    """
    if not url or not url.strip():
        raise ValueError("SMTP URL is empty")
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps"):
        raise ValueError(f"SMTP URL must start with smtp:// or smtps://, got {parts.scheme or 'no'} scheme")
    if not parts.hostname:
        raise ValueError("SMTP URL has no host, expected smtp://user:pass@host:port")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"SMTP URL has an invalid port: {exc}") from None
    if parts.path not in ("", "/"):
        raise ValueError(f"SMTP URL must not have a path, got {parts.path!r}")

    query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=False)
    unknown = set(query) - {"starttls", "cafile"}
    if unknown:
        raise ValueError(f"SMTP URL has unknown options: {', '.join(sorted(unknown))} (use starttls, cafile)")
    starttls_value = query.get("starttls", [""])[-1].strip().lower()
    if starttls_value not in _TRUE | _FALSE:
        raise ValueError(f"SMTP URL option starttls must be 1 or 0, got {starttls_value!r}")
    starttls = starttls_value in _TRUE
    cafile = query.get("cafile", [""])[-1] or None

    if scheme == "smtps":
        if starttls:
            raise ValueError("smtps:// is implicit TLS; do not combine it with starttls=1")
        mode: SmtpMode = "ssl"
        default_port = 465
    else:
        mode = "starttls" if starttls else "plain"
        default_port = 25
    if cafile and mode == "plain":
        raise ValueError("cafile only applies to TLS: use smtps:// or ?starttls=1")

    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if password is not None and not username:
        raise ValueError("SMTP URL has a password but no user name")
    return SmtpConfig(
        host=parts.hostname,
        port=port or default_port,
        username=username,
        password=password,
        mode=mode,
        cafile=cafile,
    )


class Transport(Protocol):
    """Anything that can deliver one outbox message, raising on failure."""

    def send(self, message: OutboxMessage, *, sender: str) -> None: ...


def build_email(message: OutboxMessage, *, sender: str) -> EmailMessage:
    """The RFC 5322 email for an outbox message: plain text, UTF-8."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime(clock.utcnow())
    domain = parseaddr(sender)[1].rpartition("@")[2] or "anima.localhost"
    email["Message-ID"] = make_msgid(idstring=f"outbox{message.id}", domain=domain)
    email.set_content(message.body_text, subtype="plain", charset="utf-8")
    return email


class SmtpTransport:
    """Sends outbox messages with smtplib, one connection per message."""

    def __init__(self, config: SmtpConfig, *, timeout: float = SMTP_TIMEOUT_SECONDS) -> None:
        self.config = config
        self.timeout = timeout

    @classmethod
    def from_url(cls, url: str, *, timeout: float = SMTP_TIMEOUT_SECONDS) -> SmtpTransport:
        return cls(parse_smtp_url(url), timeout=timeout)

    def _tls_context(self) -> ssl.SSLContext:
        # System trust store, or only the given CA; hostname checking stays on either way.
        return ssl.create_default_context(cafile=self.config.cafile)

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        if config.mode == "ssl":
            return smtplib.SMTP_SSL(config.host, config.port, timeout=self.timeout, context=self._tls_context())
        client = smtplib.SMTP(config.host, config.port, timeout=self.timeout)
        if config.mode == "starttls":
            try:
                client.starttls(context=self._tls_context())
            except BaseException:
                client.close()
                raise
        return client

    def send(self, message: OutboxMessage, *, sender: str) -> None:
        """Deliver one message; raises on any failure (connection, TLS, auth, refusal)."""
        email = build_email(message, sender=sender)
        with self._connect() as client:
            if self.config.username:
                client.login(self.config.username, self.config.password or "")
            refused = client.send_message(email)
            if refused:  # only possible with several recipients, kept for safety
                raise smtplib.SMTPRecipientsRefused(refused)


# --------------------------------------------------------------------------------------------------
# Delivery
# --------------------------------------------------------------------------------------------------

SessionFactory = Callable[[], AbstractContextManager[Session]]


@dataclass
class DeliveryReport:
    """What one ``deliver_due`` run did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after ``attempts`` failures: 30 s, 1 min, 2 min, ... capped at 1 h."""
    seconds = BACKOFF_FIRST_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, BACKOFF_MAX_SECONDS))


def _is_server_error(exc: BaseException) -> bool:
    """True when the failure will hit every message (unreachable server, TLS, auth), not just this one."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError):
        return False
    return isinstance(exc, OSError)  # smtplib.SMTPException, ssl.SSLError and socket errors


def _due_ids(session_factory: SessionFactory, now: datetime, batch: int) -> list[int]:
    with session_factory() as session:
        rows = session.exec(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status == "pending",
                col(OutboxMessage.next_attempt_at) <= now,
                or_(col(OutboxMessage.locked_until).is_(None), col(OutboxMessage.locked_until) < now),
            )
            .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
            .limit(batch)
        ).all()
    return [row for row in rows if row is not None]


def _claim(session_factory: SessionFactory, message_id: int, now: datetime) -> OutboxMessage | None:
    """Lock one message for this worker with a conditional UPDATE; None if another worker has it."""
    with session_factory() as session:
        result = session.exec(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.id) == message_id,
                col(OutboxMessage.status) == "pending",
                or_(col(OutboxMessage.locked_until).is_(None), col(OutboxMessage.locked_until) < now),
            )
            .values(locked_until=now + timedelta(seconds=CLAIM_SECONDS))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            return None
        message = session.get(OutboxMessage, message_id, populate_existing=True)
        if message is None:  # pragma: no cover - deleted between UPDATE and SELECT in one txn
            return None
        session.expunge(message)  # a detached snapshot: safe to read after commit
    return message


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


def _mark_failed_attempt(session_factory: SessionFactory, message_id: int, now: datetime, error: str) -> bool:
    """Record a failed try; returns True when the message has now failed for good."""
    with session_factory() as session:
        message = session.get(OutboxMessage, message_id, populate_existing=True)
        if message is None or message.status != "pending":
            return False
        message.attempts += 1
        message.last_error = error[:500]
        message.locked_until = None
        if message.attempts >= MAX_ATTEMPTS:
            message.status = "failed"
        else:
            message.next_attempt_at = now + backoff(message.attempts)
        session.add(message)
        return message.status == "failed"


def deliver_due(
    session_factory: SessionFactory,
    transport: Transport,
    *,
    sender: str,
    now: datetime | None = None,
    batch: int = 20,
    worker: str = "",
) -> DeliveryReport:
    """Send up to ``batch`` due messages; safe to run in several workers at once.

    Each message is claimed and committed before sending, sent outside any transaction, then marked
    sent or given a later retry (``failed`` after ``MAX_ATTEMPTS``). If the server cannot be reached
    the rest of the batch is left untouched for the next run.
    ``session_factory()`` must yield a Session that commits on exit (like ``db.session_scope``).
    """
    now = now or clock.utcnow()
    report = DeliveryReport()
    for message_id in _due_ids(session_factory, now, batch):
        message = _claim(session_factory, message_id, now)
        if message is None:
            continue
        try:
            transport.send(message, sender=sender)
        except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
            error = f"{type(exc).__name__}: {exc}"
            if _mark_failed_attempt(session_factory, message_id, now, error):
                report.failed += 1
                log.error("outbox%s: email #%s failed for good: %s", _tag(worker), message_id, error)
            else:
                report.retried += 1
                log.warning("outbox%s: email #%s not sent, will retry: %s", _tag(worker), message_id, error)
            if _is_server_error(exc):
                break  # leave the rest of the batch for the next run
            continue
        _mark_sent(session_factory, message_id, now)
        report.sent += 1
        log.info("outbox%s: sent %s email #%s", _tag(worker), message.template, message_id)
    return report


def _tag(worker: str) -> str:
    return f" [{worker}]" if worker else ""


async def run_sender(
    stop_event: asyncio.Event | None = None,
    *,
    poll_seconds: float | None = None,
    session_factory: SessionFactory | None = None,
) -> None:
    """Deliver the outbox every ``poll_seconds`` until ``stop_event`` is set (or the task is cancelled).

    Returns at once when ``ANIMA_SMTP_URL`` is not set or is invalid. Errors are logged, never raised.
    """
    settings = settings_module.settings
    if not settings.smtp_url:
        log.info("outbox: ANIMA_SMTP_URL not set; emails stay in the outbox")
        return
    try:
        transport = SmtpTransport.from_url(settings.smtp_url)
    except ValueError as exc:
        log.error("outbox: ANIMA_SMTP_URL is invalid, not sending email: %s", exc)
        return
    if session_factory is None:
        from anima_pwa.db import session_scope

        session_factory = session_scope
    interval = settings.outbox_poll_seconds if poll_seconds is None else poll_seconds
    worker = f"{socket.gethostname()}:{os.getpid()}"
    batch = 20
    while stop_event is None or not stop_event.is_set():
        try:
            report = await asyncio.to_thread(
                deliver_due, session_factory, transport, sender=settings.email_from, worker=worker, batch=batch
            )
            if report.sent + report.retried + report.failed >= batch:
                continue  # a full batch: there may be more waiting, so don't sleep
        except Exception:  # noqa: BLE001 - the sender must outlive database hiccups
            log.exception("outbox: delivery run failed")
        if stop_event is None:
            await asyncio.sleep(interval)
        else:
            try:
                await asyncio.wait_for(stop_event.wait(), timeout=interval)
            except TimeoutError:
                pass


# --------------------------------------------------------------------------------------------------
# Demo mailbox
# --------------------------------------------------------------------------------------------------

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
            "subject": row.subject,
            "body": row.body_text,
            "created_at": row.created_at.isoformat(),
            "status": row.status,
            "links": extract_links(row.body_text),
        }
        for row in rows
    ]
