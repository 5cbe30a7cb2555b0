"""Server-side sign-in sessions.

The browser keeps only a random token, in an HttpOnly cookie that scripts can't read; the table
keeps its SHA-256, so a database copy holds no usable session. A session ends after 30 minutes
without use, 12 hours after sign-in whatever happens (NHS login's relying-party rule), at
sign-out, or when the password is reset.

Handing the token to the browser: sign-in happens over the websocket, which can't set an HttpOnly
cookie, so the screen sends the browser to ``/auth/session?h=<handoff>`` instead. The handoff is a
single-use link (60 seconds) whose stored row holds the session token encrypted with the app's
secret key; the HTTP endpoint redeems it and sets the cookie. The token itself never reaches any
script or URL.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from anima_pwa.models import Account, AuthSession, id_of, utcnow
from anima_pwa.services.identity import tokens
from anima_pwa.services.platform import crypto
from anima_pwa.services.platform.notifications import push

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
# Writing last_seen on every event would make each click a write; a minute's slack is harmless.
TOUCH_AFTER = timedelta(seconds=60)
HANDOFF = "session_handoff"
HANDOFF_LIFETIME = timedelta(seconds=60)


@dataclass(frozen=True)
class Identity:
    """Who is acting: what State classes and services pass around instead of ORM rows."""

    account_id: int
    email: str
    kind: str  # patient | staff
    session_id: str
    method: str = "password"  # how this session was signed in: password | password+mfa | nhs_login


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(
    session: Session,
    account: Account,
    *,
    ip: str = "",
    user_agent: str = "",
    method: str = "password",
    now: datetime | None = None,
) -> str:
    """Create a session and return the token for the browser.

    `method` records how the person proved who they are: password, password+mfa or nhs_login.
    """
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(
        AuthSession(
            id=_hash(token),
            account_id=id_of(account),
            created_at=now,
            last_seen_at=now,
            expires_at=now + ABSOLUTE_TIMEOUT,
            ip=ip[:64],
            user_agent=user_agent[:255],
            method=method,
        )
    )
    account.last_login_at = now
    session.add(account)
    session.flush()
    return token


def resolve(session: Session, token: str | None, *, now: datetime | None = None, touch: bool = True) -> Identity | None:
    """The identity behind a browser token, or None if it is unknown, ended or timed out.

    `touch=False` looks without counting as use (a check that a page left idle is still signed in
    must not keep the session alive)."""
    if not token or len(token) > 100:
        return None
    now = now or utcnow()
    row = session.get(AuthSession, _hash(token))
    if row is None or row.revoked_at is not None:
        return None
    if now >= row.expires_at or now - row.last_seen_at >= IDLE_TIMEOUT:
        row.revoked_at = now
        session.add(row)
        return None
    account = session.get(Account, row.account_id)
    if account is None or account.status != "active":
        return None
    if touch and now - row.last_seen_at >= TOUCH_AFTER:
        row.last_seen_at = now
        session.add(row)
    return Identity(
        account_id=id_of(account),
        email=account.email,
        kind=account.kind,
        session_id=row.id,
        method=row.method,
    )


def end(session: Session, token: str | None, *, now: datetime | None = None) -> None:
    """Sign out: revoke this browser's session."""
    if not token:
        return
    row = session.get(AuthSession, _hash(token))
    if row is not None and row.revoked_at is None:
        row.revoked_at = now or utcnow()
        session.add(row)
    # This browser stops getting the account's push notices (a shared phone: HAZ-081).
    push.remove_for_session(session, _hash(token))


def end_all(
    session: Session, account_id: int, *, except_session_id: str | None = None, now: datetime | None = None
) -> int:
    """Revoke every open session of an account (after a password reset); returns how many."""
    now = now or utcnow()
    rows = session.exec(
        select(AuthSession).where(AuthSession.account_id == account_id, col(AuthSession.revoked_at).is_(None))
    ).all()
    count = 0
    for row in rows:
        if row.id == except_session_id:
            continue
        row.revoked_at = now
        session.add(row)
        count += 1
    push.remove_for_account(session, account_id, except_session_id=except_session_id)
    return count


def issue_handoff(session: Session, token: str, *, now: datetime | None = None) -> str | None:
    """A single-use, 60-second secret that the `/auth/session` endpoint exchanges for `token`
    (set as an HttpOnly cookie). None if the session is not valid."""
    row = session.get(AuthSession, _hash(token)) if token else None
    if row is None or row.revoked_at is not None:
        return None
    return tokens.issue_link(
        session,
        purpose=HANDOFF,
        email_normalized="",
        account_id=row.account_id,
        payload={"t": crypto.encrypt(HANDOFF, token)},
        lifetime=HANDOFF_LIFETIME,
        now=now,
    )


def redeem_handoff(session: Session, secret: str, *, now: datetime | None = None) -> tuple[str, Identity] | None:
    """The session token and identity a handoff stands for, once; None if it is unknown, used,
    expired, or its session has ended meanwhile."""
    now = now or utcnow()
    result = tokens.consume_link(session, purpose=HANDOFF, secret=secret or "", now=now)
    if not result.ok or result.token is None:
        return None
    data = tokens.payload(result.token)
    result.token.payload = "{}"  # nothing of the token stays behind once it is used
    session.add(result.token)
    try:
        token = crypto.decrypt(HANDOFF, str(data.get("t", "")))
    except ValueError:
        return None
    identity = resolve(session, token, now=now)
    if identity is None or identity.account_id != result.token.account_id:
        return None
    return token, identity
