"""Sending email over SMTP: the ``ANIMA_SMTP_URL`` format and a transport that sends a batch of
outbox messages over one connection (connect, TLS and login once per batch, not per message)."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from anima_pwa.models.notifications import OutboxMessage
from anima_pwa.services.platform import clock

SMTP_TIMEOUT_SECONDS = 10.0

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
    """Sends outbox messages with smtplib over one connection, opened by the first ``send`` and
    closed by ``close()`` (``deliver_due`` calls it after each batch). Any failure drops the
    connection, so the next message starts on a fresh one. One per worker's sender, not shared
    between threads."""

    def __init__(self, config: SmtpConfig, *, timeout: float = SMTP_TIMEOUT_SECONDS) -> None:
        self.config = config
        self.timeout = timeout
        self._client: smtplib.SMTP | None = None

    @classmethod
    def from_url(cls, url: str, *, timeout: float = SMTP_TIMEOUT_SECONDS) -> SmtpTransport:
        return cls(parse_smtp_url(url), timeout=timeout)

    def _tls_context(self) -> ssl.SSLContext:
        # System trust store, or only the given CA; hostname checking stays on either way.
        return ssl.create_default_context(cafile=self.config.cafile)

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        client: smtplib.SMTP
        if config.mode == "ssl":
            client = smtplib.SMTP_SSL(config.host, config.port, timeout=self.timeout, context=self._tls_context())
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=self.timeout)
        try:
            if config.mode == "starttls":
                client.starttls(context=self._tls_context())
            if config.username:
                client.login(config.username, config.password or "")
        except BaseException:
            client.close()
            raise
        return client

    def send(self, message: OutboxMessage, *, sender: str) -> None:
        """Deliver one message; raises on any failure (connection, TLS, auth, refusal)."""
        email = build_email(message, sender=sender)
        reused = self._client is not None
        try:
            if self._client is None:
                self._client = self._connect()
            try:
                refused = self._client.send_message(email)
            except smtplib.SMTPServerDisconnected:
                if not reused:
                    raise
                # The server closed the connection kept from the last message (an idle timeout, a
                # per-connection limit) before taking this one: once more on a new connection.
                self._drop()
                self._client = self._connect()
                refused = self._client.send_message(email)
        except BaseException:
            self._drop()
            raise
        if refused:  # only possible with several recipients, kept for safety
            raise smtplib.SMTPRecipientsRefused(refused)

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def close(self) -> None:
        """End the batch's connection politely (QUIT), if one is open."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()
