"""Sliding-window rate limits kept in the database, so every worker process shares them.

Each attempt is a ``RateLimitHit`` row. Keys (emails, IP addresses, account ids) are stored only
as an HMAC of the bucket and key, never in clear. Functions take the caller's session and never
commit: the caller owns the transaction.

Concurrency: ``hit`` records the attempt before counting, so attempts that have been committed
are always counted. On PostgreSQL it also takes a transaction-scoped advisory lock on the
(bucket, key), so simultaneous attempts for one key are counted one after another instead of
each seeing only itself; SQLite gets the same effect from its single writer. Keep transactions
that call ``hit`` short, and when one request hits several limits, hit them in the same order
everywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, text
from sqlmodel import Session, col, select

from anima_pwa.models.accounts import RateLimitHit
from anima_pwa.models.base import utcnow
from anima_pwa.settings import settings

__all__ = ["Decision", "Limit", "check", "clear", "hit", "purge", "retry_message"]

_ONE_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Limit:
    """At most ``max_hits`` attempts per key in any ``window``."""

    bucket: str
    max_hits: int
    window: timedelta

    def __post_init__(self) -> None:
        if not self.bucket or len(self.bucket) > 40:
            raise ValueError("bucket must be 1 to 40 characters")
        if self.max_hits < 1:
            raise ValueError("max_hits must be at least 1")
        if self.window <= timedelta(0):
            raise ValueError("window must be positive")


@dataclass(frozen=True)
class Decision:
    """Whether the attempt may go ahead and, if not, how long until one would."""

    allowed: bool
    retry_after: timedelta = timedelta(0)


def _key_hash(bucket: str, key: str) -> str:
    message = f"{bucket}:{key.casefold()}".encode()
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).hexdigest()


def _as_utc(now: datetime | None) -> datetime:
    if now is None:
        return utcnow()
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC)


def _lock_key(session: Session, key_hash: str) -> None:
    """On PostgreSQL, serialise attempts for one (bucket, key) until the transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        lock_id = int(key_hash[:15], 16)  # 60 bits: fits PostgreSQL's signed bigint
        session.connection().execute(text("SELECT pg_advisory_xact_lock(:lock_id)"), {"lock_id": lock_id})


def _decide(session: Session, limit: Limit, key_hash: str, now: datetime, *, room: int) -> Decision:
    """Allowed while at most ``room`` hits are in the window; otherwise when the next would be."""
    in_window = (
        (col(RateLimitHit.bucket) == limit.bucket)
        & (col(RateLimitHit.key_hash) == key_hash)
        & (col(RateLimitHit.at) > now - limit.window)
    )
    count = session.exec(select(func.count()).select_from(RateLimitHit).where(in_window)).one()
    if count <= room:
        return Decision(allowed=True, retry_after=timedelta(0))
    # One more attempt fits once all but the newest (max_hits - 1) hits have left the window:
    # that is when the max_hits-th newest hit expires.
    must_expire = session.exec(
        select(RateLimitHit.at)
        .where(in_window)
        .order_by(col(RateLimitHit.at).desc())
        .offset(limit.max_hits - 1)
        .limit(1)
    ).one()
    return Decision(allowed=False, retry_after=max(must_expire + limit.window - now, _ONE_SECOND))


def hit(session: Session, limit: Limit, key: str, *, now: datetime | None = None) -> Decision:
    """Record an attempt and say whether it is within the limit (refused attempts count too)."""
    now = _as_utc(now)
    key_hash = _key_hash(limit.bucket, key)
    _lock_key(session, key_hash)
    session.add(RateLimitHit(bucket=limit.bucket, key_hash=key_hash, at=now))
    session.flush()
    return _decide(session, limit, key_hash, now, room=limit.max_hits)


def check(session: Session, limit: Limit, key: str, *, now: datetime | None = None) -> Decision:
    """Whether one more attempt would be refused now, without recording anything."""
    now = _as_utc(now)
    return _decide(session, limit, _key_hash(limit.bucket, key), now, room=limit.max_hits - 1)


def clear(session: Session, limit: Limit, key: str) -> None:
    """Forget the attempts for this key, e.g. after a successful sign-in."""
    session.flush()
    session.exec(
        delete(RateLimitHit).where(
            (col(RateLimitHit.bucket) == limit.bucket) & (col(RateLimitHit.key_hash) == _key_hash(limit.bucket, key))
        )
    )


def purge(session: Session, *, before: datetime) -> int:
    """Delete every hit older than ``before`` (longer ago than the longest window); returns the count."""
    session.flush()
    result = session.exec(delete(RateLimitHit).where(col(RateLimitHit.at) < _as_utc(before)))
    return result.rowcount or 0


def retry_message(retry_after: timedelta) -> str:
    """Like "Try again in 14 minutes.": rounded up to whole minutes, or to hours from 2 hours."""
    minutes = max(1, math.ceil(retry_after.total_seconds() / 60))
    if minutes >= 120:
        hours = math.ceil(minutes / 60)
        return f"Try again in {hours} hours."
    return f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."


def refusal(session: Session, pairs: list[tuple[Limit, str]], what: str) -> str | None:
    """Record one attempt against each (limit, key); the message for the longest wait if any
    limit is exceeded, e.g. "Too many attempts. Try again in 14 minutes." Empty keys are skipped.

    Callers must always pass their limits in the same order (per-person before per-client):
    on PostgreSQL each hit holds a lock until the transaction ends.
    """
    worst: Decision | None = None
    for limit, key in pairs:
        if not key:
            continue
        decision = hit(session, limit, key)
        if not decision.allowed and (worst is None or decision.retry_after > worst.retry_after):
            worst = decision
    return f"{what} {retry_message(worst.retry_after)}" if worst else None
