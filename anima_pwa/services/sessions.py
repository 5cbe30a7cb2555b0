"""Server-side sign-in sessions.

The browser keeps only a random token; the table keeps its SHA-256, so a database copy holds no
usable session. A session ends after 30 minutes without use, 12 hours after sign-in whatever
happens (NHS login's relying-party rule), at sign-out, or when the password is reset.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from anima_pwa.models import Account, AuthSession, utcnow

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
# Writing last_seen on every event would make each click a write; a minute's slack is harmless.
TOUCH_AFTER = timedelta(seconds=60)


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
            account_id=account.id,  # type: ignore[arg-type]
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


def resolve(session: Session, token: str | None, *, now: datetime | None = None) -> Identity | None:
    """The identity behind a browser token, or None if it is unknown, ended or timed out."""
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
    if now - row.last_seen_at >= TOUCH_AFTER:
        row.last_seen_at = now
        session.add(row)
    return Identity(
        account_id=account.id,  # type: ignore[arg-type]
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


def end_all(session: Session, account_id: int, *, except_session_id: str | None = None, now: datetime | None = None) -> int:
    """Revoke every open session of an account (after a password reset); returns how many."""
    now = now or utcnow()
    rows = session.exec(
        select(AuthSession).where(AuthSession.account_id == account_id, AuthSession.revoked_at.is_(None))  # type: ignore[union-attr]
    ).all()
    count = 0
    for row in rows:
        if row.id == except_session_id:
            continue
        row.revoked_at = now
        session.add(row)
        count += 1
    return count
