"""Rows worked off in the background and retried until they succeed: the outbox's messages
(`notifications.delivery`) and the health-record writes (`inbox.record`).

A table that uses it has ``next_attempt_at`` and ``locked_until`` columns. Workers (each worker
process runs the same background tasks) lock the rows they will work on in the database: a batch at
once (`claim_due`: one UPDATE ... RETURNING; on PostgreSQL its candidates are picked with
``FOR UPDATE SKIP LOCKED``, so two workers take different rows instead of queueing behind each
other), or one row (`due_ids`, then `claim`: a conditional UPDATE; of two workers exactly one gets
it). They do the slow part outside any transaction, then record the result and, on a failure, the
next try after an exponential back-off (`backoff`); rows claimed but not worked on go back
(`release`). `run_every` runs a pass on a timer until stopped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

__all__ = ["SessionFactory", "backoff", "claim", "claim_due", "due_ids", "one_at_a_time", "release", "run_every"]

SessionFactory = Callable[[], AbstractContextManager[Session]]


def backoff(attempts: int, first_seconds: int, max_seconds: int) -> timedelta:
    """Delay before the next try after ``attempts`` failures: first, twice that, ... capped at max."""
    seconds = first_seconds * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, max_seconds))


def _unlocked(model: Any, now: datetime):
    return or_(col(model.locked_until).is_(None), col(model.locked_until) < now)


def due_ids(session_factory: SessionFactory, model: Any, now: datetime, batch: int, *where: Any) -> list[int]:
    """Up to ``batch`` ids of ``model`` rows due now (and matching ``where``) that no worker holds, oldest due first."""
    with session_factory() as session:
        rows = session.exec(
            select(model.id)
            .where(*where, col(model.next_attempt_at) <= now, _unlocked(model, now))
            .order_by(col(model.next_attempt_at), col(model.id))
            .limit(batch)
        ).all()
    return [row for row in rows if row is not None]


def claim(session: Session, model: Any, row_id: int, now: datetime, hold_seconds: int, *where: Any) -> bool:
    """Lock the row for this worker for ``hold_seconds`` if it still matches ``where`` and nobody
    holds it: True for the one worker that does. Commits with the caller's session."""
    result = session.exec(
        update(model)
        .where(col(model.id) == row_id, *where, _unlocked(model, now))
        .values(locked_until=now + timedelta(seconds=hold_seconds))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def claim_due(
    session_factory: SessionFactory, model: Any, now: datetime, batch: int, hold_seconds: int, *where: Any
) -> list[int]:
    """Lock up to ``batch`` due rows of ``model`` (matching ``where``, held by nobody) for this
    worker for ``hold_seconds``, in one committed statement; their ids (in no particular order). Two workers
    calling it at once never get the same row: each row is locked by a conditional UPDATE that
    re-checks it is still unlocked, and on PostgreSQL the candidates are chosen with
    ``FOR UPDATE SKIP LOCKED``, so the second worker takes the next rows rather than none."""
    with session_factory() as session:
        candidates = (
            select(model.id)
            .where(*where, col(model.next_attempt_at) <= now, _unlocked(model, now))
            .order_by(col(model.next_attempt_at), col(model.id))
            .limit(batch)
        )
        if session.get_bind().dialect.name == "postgresql":
            # A materialised CTE: as a plain IN (subquery) PostgreSQL may run the SKIP LOCKED
            # subquery again for each row it updates, each time finding other rows, and claim far
            # more than ``batch``.
            picked = candidates.with_for_update(skip_locked=True).cte("picked").prefix_with("MATERIALIZED")
            candidates = select(picked.c.id)
        result = session.exec(
            update(model)
            .where(col(model.id).in_(candidates), *where, _unlocked(model, now))
            .values(locked_until=now + timedelta(seconds=hold_seconds))
            .returning(model.id)
            .execution_options(synchronize_session=False)
        )
        ids = [row_id for row_id in result.scalars() if row_id is not None]
    return ids


def release(session_factory: SessionFactory, model: Any, ids: list[int], held_until: datetime) -> None:
    """Hand rows this worker claimed (until ``held_until``) but did not work on back at once, rather
    than when the claim expires; a row someone else holds by now is left alone."""
    if not ids:
        return
    with session_factory() as session:
        session.exec(
            update(model)
            .where(col(model.id).in_(ids), col(model.locked_until) == held_until)
            .values(locked_until=None)
            .execution_options(synchronize_session=False)
        )


def one_at_a_time(session: Session, job: str) -> bool:
    """For periodic work every worker process runs on the same timer (making slots): True if this
    worker may do ``job`` now, False if another worker is doing it at this moment. On PostgreSQL a
    transaction-level advisory lock, held until ``session`` commits; elsewhere (SQLite: one worker)
    always True."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(session.exec(select(func.pg_try_advisory_xact_lock(func.hashtext(job)))).one())


async def run_every(
    work: Callable[[], bool],
    interval: float,
    stop_event: asyncio.Event | None,
    log: logging.Logger,
    failed: str,
) -> None:
    """Run ``work`` in a thread every ``interval`` seconds until ``stop_event`` is set; at once
    again when it returns True (there may be more waiting). An exception is logged as ``failed``
    and the loop goes on (it must outlive database hiccups)."""
    while stop_event is None or not stop_event.is_set():
        try:
            if await asyncio.to_thread(work):
                continue
        except Exception:  # noqa: BLE001 - the worker must outlive database hiccups
            log.exception(failed)
        if stop_event is None:
            await asyncio.sleep(interval)
        else:
            try:
                await asyncio.wait_for(stop_event.wait(), timeout=interval)
            except TimeoutError:
                pass
