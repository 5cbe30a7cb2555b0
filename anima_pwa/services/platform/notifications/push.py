"""Web push: an account holder's installed app (or browser) is told "You have a new message from
your practice", as well as by email or text message.

- The browser subscribes (assets/anima.js, the Push API, with the VAPID public key) when its
  account holder turns on "Notifications on this device" in Your preferences, and posts the
  subscription to ``POST /push/subscription`` (anima_pwa/http.py, by the session cookie only).
  ``subscribe`` keeps it: one row per endpoint, so a browser is only ever one account's.
- ``enqueue_push`` queues one outbox message (channel "push", ``to_address`` the subscription's id)
  per device of an account, in the caller's transaction. The payload is fixed words and the page to
  open: never anything clinical, because a lock screen is read by anyone.
- ``PushTransport`` delivers it with ``pywebpush``: encrypted (RFC 8291, aes128gcm) and signed
  (VAPID, RFC 8292: a JWT, ES256, `aud` the push service's origin, `exp` 12 hours, `sub` our
  contact). 404 or 410 from the push service: the subscription is gone, so it is removed and the
  message failed; 429, 5xx or no connection: retried with backoff (services/.../delivery.py).
- Signing out ends the subscriptions that session confirmed (``remove_for_session``, called by
  services.identity.sessions), and ending every session of an account (a password reset) ends all
  of the account's (``remove_for_account``), so a shared phone stops getting the last person's
  notices.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import delete
from sqlmodel import Session, col, select

from anima_pwa.models.notifications import OutboxMessage, PushSubscription
from anima_pwa.services.platform import clock
from anima_pwa.services.platform.notifications.delivery import SessionFactory
from anima_pwa.services.platform.notifications.errors import PermanentFailure
from anima_pwa.services.platform.results import Result

log = logging.getLogger(__name__)

__all__ = [
    "PUSH_APPOINTMENT_BOOKED",
    "PUSH_APPOINTMENT_CHANGED",
    "PUSH_APPOINTMENT_TOMORROW",
    "PUSH_BODIES",
    "PUSH_BODY",
    "PUSH_TEMPLATE",
    "PUSH_TITLE",
    "PushTransport",
    "SubscribeResult",
    "check_subscription",
    "devices_for",
    "enqueue_push",
    "ensure_key",
    "public_key",
    "remove_for_account",
    "remove_for_session",
    "subscribe",
    "unsubscribe",
]

PUSH_TEMPLATE = "push_practice_message"
PUSH_TITLE = "Anima"
PUSH_BODY = "You have a new message from your practice"
# Every other thing a push may say: fixed words, nothing clinical (a lock screen is seen by others).
PUSH_APPOINTMENT_TOMORROW = "You have an appointment tomorrow"
PUSH_APPOINTMENT_CHANGED = "Your practice has changed your appointment"
PUSH_APPOINTMENT_BOOKED = "Your practice has booked you an appointment"
PUSH_BODIES = frozenset({PUSH_BODY, PUSH_APPOINTMENT_TOMORROW, PUSH_APPOINTMENT_CHANGED, PUSH_APPOINTMENT_BOOKED})
PUSH_TTL_SECONDS = 4 * 24 * 3600  # how long a push service holds it for a phone that is off
JWT_LIFETIME_SECONDS = 12 * 3600  # RFC 8292: no more than 24 hours
PUSH_TIMEOUT_SECONDS = 10
MAX_DEVICES_PER_ACCOUNT = 10

_B64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")


# Keys -----------------------------------------------------------------------------------------


def ensure_key(path: Path) -> None:
    """Make a P-256 private key (PEM, 0600) at ``path`` unless there is one (demo mode)."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker made it first
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def _private_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("the VAPID key must be an EC P-256 private key")
    return key


def public_key(path: Path) -> str:
    """The applicationServerKey browsers subscribe with: the public point, uncompressed, base64url."""
    raw = (
        _private_key(path)
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


# Subscriptions ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SubscribeResult(Result):
    """A kept subscription, or why not (``message``: the endpoint answers it as JSON)."""


def _b64url_bytes(value: object, length: int) -> bool:
    if not isinstance(value, str) or not _B64URL.match(value) or len(value) > 200:
        return False
    try:
        return len(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))) == length
    except ValueError:
        return False


def _valid_endpoint(endpoint: object) -> bool:
    if not isinstance(endpoint, str) or not 10 < len(endpoint) <= 1000:
        return False
    parts = urlsplit(endpoint)
    # https only (the Push API gives nothing else); plain http only to this machine, for tests.
    local = parts.scheme == "http" and parts.hostname in {"127.0.0.1", "localhost"}
    return (parts.scheme == "https" or local) and bool(parts.hostname) and not parts.username


def subscribe(session: Session, *, account_id: int, session_id: str, subscription: object) -> SubscribeResult:
    """Keep the browser's subscription (the Push API's JSON) for ``account_id``. The endpoint is
    the browser's: if another account had it (someone else used this browser before), it is this
    account's now. Bad input is refused and nothing is saved."""
    if not isinstance(subscription, dict):
        return SubscribeResult.refused("not a subscription")
    endpoint = subscription.get("endpoint")
    keys = subscription.get("keys")
    keys = keys if isinstance(keys, dict) else {}
    if not isinstance(endpoint, str) or not _valid_endpoint(endpoint):
        return SubscribeResult.refused("the endpoint is not a push service's address")
    if not _b64url_bytes(keys.get("p256dh"), 65) or not _b64url_bytes(keys.get("auth"), 16):
        return SubscribeResult.refused("the subscription's keys are missing or malformed")
    row = session.exec(select(PushSubscription).where(PushSubscription.endpoint == endpoint)).first()
    if row is None:
        count = len(session.exec(select(PushSubscription.id).where(PushSubscription.account_id == account_id)).all())
        if count >= MAX_DEVICES_PER_ACCOUNT:
            return SubscribeResult.refused("notifications are on for too many devices: turn one off first")
        row = PushSubscription(account_id=account_id, session_id=session_id, endpoint=endpoint, p256dh="", auth="")
    row.account_id = account_id
    row.session_id = session_id
    row.p256dh = keys["p256dh"]
    row.auth = keys["auth"]
    session.add(row)
    session.flush()
    return SubscribeResult()


def check_subscription(session: Session, *, account_id: int, session_id: str, endpoint: object) -> bool:
    """Is this browser's subscription on for ``account_id``? If so it now belongs to this session
    (signing out of it will end it). If it is another account's, it is removed: the browser then
    drops it too (a shared device never gets the last person's notices)."""
    if not isinstance(endpoint, str) or not endpoint:
        return False
    row = session.exec(select(PushSubscription).where(PushSubscription.endpoint == endpoint[:1000])).first()
    if row is None:
        return False
    if row.account_id != account_id:
        session.delete(row)
        session.flush()
        return False
    if row.session_id != session_id:
        row.session_id = session_id
        session.add(row)
        session.flush()
    return True


def unsubscribe(session: Session, *, account_id: int, endpoint: object) -> None:
    """Turn notifications off for this browser (only the account's own subscription)."""
    if not isinstance(endpoint, str):
        return
    session.exec(
        delete(PushSubscription).where(
            col(PushSubscription.endpoint) == endpoint[:1000], col(PushSubscription.account_id) == account_id
        )
    )


def remove_for_session(session: Session, session_id: str) -> int:
    """Signing out of a session ends the push subscriptions it confirmed."""
    result = session.exec(delete(PushSubscription).where(col(PushSubscription.session_id) == session_id))
    return result.rowcount or 0


def remove_for_account(session: Session, account_id: int, *, except_session_id: str | None = None) -> int:
    """Every session of the account ended (a password reset): every device stops, but the one kept."""
    query = delete(PushSubscription).where(col(PushSubscription.account_id) == account_id)
    if except_session_id:
        query = query.where(col(PushSubscription.session_id) != except_session_id)
    result = session.exec(query)
    return result.rowcount or 0


def devices_for(session: Session, account_id: int) -> int:
    return len(session.exec(select(PushSubscription.id).where(PushSubscription.account_id == account_id)).all())


# Queueing and sending -----------------------------------------------------------------------------


def payload(url: str, body: str = PUSH_BODY) -> str:
    """What the service worker shows (assets/sw.js): fixed words (one of `PUSH_BODIES`) and a
    same-site page to open."""
    if not url.startswith("/") or url.startswith("//"):
        raise ValueError(f"not a path on this site: {url!r}")
    if body not in PUSH_BODIES:
        raise ValueError(f"not one of the fixed push texts: {body!r}")
    return json.dumps({"title": PUSH_TITLE, "body": body, "url": url}, separators=(",", ":"))


def enqueue_push(session: Session, *, account_id: int, url: str, body: str = PUSH_BODY) -> list[OutboxMessage]:
    """Queue the notice for each of the account's devices (in the caller's transaction). Not
    linked to the request: staff are told about email and text messages that can't be delivered,
    and a phone that has gone away is not their concern."""
    text = payload(url, body)
    rows = session.exec(
        select(PushSubscription.id).where(PushSubscription.account_id == account_id).order_by(col(PushSubscription.id))
    ).all()
    queued = []
    for subscription_id in rows:
        message = OutboxMessage(
            channel="push", to_address=str(subscription_id), subject=PUSH_TITLE, body_text=text, template=PUSH_TEMPLATE
        )
        session.add(message)
        queued.append(message)
    session.flush()
    return queued


class PushRetry(Exception):
    """This push service can't take it now (429, 5xx, no connection): try again later. Not an
    OSError, so the rest of the batch (other push services, email) still goes."""


class PushTransport:
    """Sends outbox messages of channel "push" with pywebpush, VAPID-signed."""

    def __init__(
        self,
        private_key_file: Path,
        subject: str,
        session_factory: SessionFactory,
        *,
        timeout: float = PUSH_TIMEOUT_SECONDS,
    ) -> None:
        from py_vapid import Vapid

        if not subject.startswith(("mailto:", "https://")):
            raise ValueError("ANIMA_VAPID_SUBJECT must be a mailto: or https: address")
        self.vapid = Vapid(private_key=_private_key(private_key_file))
        self.subject = subject
        self.session_factory = session_factory
        self.timeout = timeout

    def _subscription(self, message: OutboxMessage) -> PushSubscription | None:
        if not message.to_address.isdigit():
            return None
        with self.session_factory() as session:
            row = session.get(PushSubscription, int(message.to_address))
            if row is not None:
                session.expunge(row)
            return row

    def _forget(self, subscription_id: int, *, sent: bool = False) -> None:
        with self.session_factory() as session:
            row = session.get(PushSubscription, subscription_id)
            if row is None:
                return
            if sent:
                row.last_sent_at = clock.utcnow()
                session.add(row)
            else:
                session.delete(row)

    def claims(self, endpoint: str, now: datetime | None = None) -> dict[str, str | int]:
        parts = urlsplit(endpoint)
        issued = int((now or clock.utcnow()).timestamp())
        return {"aud": f"{parts.scheme}://{parts.netloc}", "exp": issued + JWT_LIFETIME_SECONDS, "sub": self.subject}

    def send(self, message: OutboxMessage, *, sender: str = "") -> None:
        from pywebpush import WebPushException, webpush

        subscription = self._subscription(message)
        if subscription is None:
            raise PermanentFailure("notifications were turned off on that device")
        try:
            webpush(
                {"endpoint": subscription.endpoint, "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}},
                data=message.body_text,
                vapid_private_key=self.vapid,
                vapid_claims=self.claims(subscription.endpoint),
                content_encoding="aes128gcm",
                ttl=PUSH_TTL_SECONDS,
                timeout=self.timeout,
                headers={"Urgency": "normal"},
            )
        except WebPushException as exc:
            status = getattr(exc.response, "status_code", None)
            if status in (404, 410):
                self._forget(subscription.id)  # type: ignore[arg-type]
                raise PermanentFailure(f"the push service says the subscription is gone ({status})") from None
            if status in (400, 401, 403, 413):
                raise PermanentFailure(f"the push service refused it ({status})") from None
            raise PushRetry(f"the push service answered {status}") from None
        except requests.RequestException as exc:
            raise PushRetry(f"could not reach the push service: {type(exc).__name__}") from None
        self._forget(subscription.id, sent=True)  # type: ignore[arg-type]
