"""Rows worked off in the background and retried until they succeed: the outbox's messages
(`notifications.delivery`) and the health-record writes (`inbox.record`).

A table that uses it has ``next_attempt_at`` and ``locked_until`` columns. Workers pick the due
ids (`due_ids`), lock each with one conditional UPDATE (`claim`: of two workers exactly one gets
it), do the slow part outside any transaction, then record the result and, on a failure, the next
try after an exponential back-off (`backoff`). `run_every` runs a pass on a timer until stopped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

__all__ = ["SessionFactory", "backoff", "claim", "due_ids", "run_every"]

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
