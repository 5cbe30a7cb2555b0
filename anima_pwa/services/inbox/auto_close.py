"""Closing requests the patient has not answered: a request waiting on the patient's reply
(``awaiting_patient``) for the practice's ``PracticeSettings.auto_close_days`` days is closed with
the outcome "closed" and a reason the patient reads, its holders get the notice, and it is written
to the health record like a sign-off.

Run by the app's periodic housekeeping (`platform.maintenance.run_housekeeping`), safe from several
workers at once: each request is closed by a conditional UPDATE that also checks it is still
waiting since the same moment, so a reply (or a sign-off) that lands first wins.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from anima_pwa.models import Practice, PracticeSettings, RecordExport, Request, id_of
from anima_pwa.services.inbox import notices
from anima_pwa.services.platform import audit, clock

__all__ = ["DAYS_DEFAULT", "DAYS_MAX", "DAYS_MIN", "close_unanswered", "reason"]

DAYS_DEFAULT, DAYS_MIN, DAYS_MAX = 14, 1, 90


def reason(days: int) -> str:
    return (
        f"We closed this request because we did not hear back from you within {days} "
        f"{'day' if days == 1 else 'days'}. If you still need help, send a new request."
    )


def close_unanswered(session: Session, *, now: datetime | None = None) -> int:
    """Close every request that has waited on the patient too long; how many were closed."""
    now = clock.as_utc(now)
    days_by_practice = dict(session.exec(select(PracticeSettings.practice_id, PracticeSettings.auto_close_days)).all())
    closed = 0
    for practice_id in map(id_of, session.exec(select(Practice)).all()):
        days = days_by_practice.get(practice_id, DAYS_DEFAULT)
        days = min(max(days or DAYS_DEFAULT, DAYS_MIN), DAYS_MAX)
        due = session.exec(
            select(Request).where(
                Request.practice_id == practice_id,
                Request.status == "awaiting_patient",
                col(Request.awaiting_reply_since).is_not(None),
                col(Request.awaiting_reply_since) <= now - timedelta(days=days),
            )
        ).all()
        for request in due:
            if _close(session, request, days, now):
                closed += 1
    return closed


def _close(session: Session, request: Request, days: int, now: datetime) -> bool:
    # One conditional UPDATE: still waiting since the same moment (no reply in between), still
    # open and without an outcome (nobody signed it off meanwhile).
    result = session.exec(
        update(Request)
        .where(
            col(Request.id) == request.id,
            col(Request.status) == "awaiting_patient",
            col(Request.outcome) == "",
            col(Request.awaiting_reply_since) == request.awaiting_reply_since,
        )
        .values(
            status="closed",
            outcome="closed",
            outcome_detail=json.dumps({"reason": reason(days)}),
            resolved_at=now,
            updated_at=now,
            awaiting_reply_since=None,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    session.refresh(request)
    # The thread and its closing reason go to the health record like any sign-off's.
    session.add(RecordExport(request_id=request.id, next_attempt_at=now))  # type: ignore[arg-type]
    notices.tell_holders(session, request)
    audit.record(
        session,
        action="request_auto_closed",
        actor_account_id=None,
        actor_kind="system",
        patient_id=request.patient_id,
        practice_id=request.practice_id,
        detail={"request_id": request.id, "days": days},
    )
    return True
