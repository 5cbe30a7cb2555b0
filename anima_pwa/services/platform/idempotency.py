"""A retried action happens once: a reply, a message to a patient, a booking.

The screen makes a key when it is built (`new_key()`, kept server-side in the tab's state, never
sent to the browser) and passes it with the action; it makes a new one only once the action's
result is on screen. The service, once it has checked the input and locked what it acts on, calls
`claim(key)`: None means go ahead (the key is now held by this transaction), a number is the id of
what an earlier attempt with the key made, and the service answers with that result instead of
doing it again. Having made its row it calls `settle(key, id)`; refused after claiming (a slot
taken meanwhile), `release(key)`. Two attempts at the same moment meet at the database's unique
key: the second's insert waits for the first to commit, fails, and reads the first's result.

A submitted request needs no key: the draft is the key (its row becomes the request, once, under
the practice's lock: services.requests.capacity).

Keys are kept `KEEP` long (a retry comes within seconds; a tab's state lives an hour at most) and
then deleted by housekeeping (`forget_old`).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from anima_pwa.models.idempotency import IdempotencyKey
from anima_pwa.services.platform import clock

KEEP = timedelta(days=2)
KEY_LENGTH = 64


def new_key() -> str:
    """A key for the next action of a screen (unguessable: it is never shown to the browser)."""
    return secrets.token_urlsafe(24)


def _usable(key: object) -> str:
    return key if isinstance(key, str) and 0 < len(key) <= KEY_LENGTH else ""


def _row(session: Session, key: str, action: str) -> IdempotencyKey | None:
    return session.exec(
        select(IdempotencyKey).where(IdempotencyKey.key == key, IdempotencyKey.action == action)
    ).first()


def claim(session: Session, key: object, action: str) -> int | None:
    """None: go ahead (no key, or the key is now held by this transaction); else the id of what
    an earlier attempt with ``key`` made, to answer with instead."""
    usable = _usable(key)
    if not usable:
        return None
    found = _row(session, usable, action)
    if found is not None:
        return found.result_id  # None only if an attempt claimed it and made nothing: go ahead
    held = insert(IdempotencyKey).values(key=usable, action=action, created_at=clock.utcnow())
    try:
        if session.get_bind().dialect.name == "sqlite":
            # SQLite undoes just the failed statement; and Python's sqlite3 only opens its
            # transaction at the first write, so a savepoint here would commit on release.
            session.execute(held)
        else:
            with session.begin_nested():  # PostgreSQL aborts the whole transaction otherwise
                session.execute(held)
    except IntegrityError:  # another attempt with this key committed while this one waited
        again = _row(session, usable, action)
        return again.result_id if again is not None else None
    return None


def settle(session: Session, key: object, action: str, result_id: int | None) -> None:
    """What the claimed key made (in the caller's transaction)."""
    usable = _usable(key)
    found = _row(session, usable, action) if usable else None
    if found is not None:
        found.result_id = result_id
        session.add(found)
        session.flush()


def release(session: Session, key: object, action: str) -> None:
    """The action was refused after claiming: the key may be used again."""
    usable = _usable(key)
    if usable:
        session.execute(
            delete(IdempotencyKey).where(col(IdempotencyKey.key) == usable, col(IdempotencyKey.action) == action)
        )


def forget_old(session: Session, now: datetime | None = None) -> int:
    """Delete keys older than `KEEP` (housekeeping); how many."""
    cutoff = clock.as_utc(now) - KEEP
    result = session.execute(delete(IdempotencyKey).where(col(IdempotencyKey.created_at) < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
