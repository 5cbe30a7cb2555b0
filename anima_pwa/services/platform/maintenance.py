"""Housekeeping: delete rows whose only purpose has passed, so the tables stay small and nothing
sensitive is kept longer than it is useful, and close requests the patient never answered
(`inbox.auto_close`). Safe to run from several workers at once."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlmodel import Session, col

from anima_pwa.models import AuthSession, OneTimeToken, OutboxMessage
from anima_pwa.services.identity import ratelimit
from anima_pwa.services.platform import clock, idempotency

log = logging.getLogger(__name__)

RATE_LIMIT_HITS_KEPT = timedelta(days=1)  # longer than any limit's window
ENDED_SESSIONS_KEPT = timedelta(days=30)  # for "where am I signed in" and investigations
USED_TOKENS_KEPT = timedelta(days=7)
SENT_MAIL_KEPT = timedelta(days=30)


@dataclass
class PurgeReport:
    rate_limit_hits: int = 0
    sessions: int = 0
    tokens: int = 0
    outbox: int = 0
    idempotency_keys: int = 0


def purge(session: Session, *, now: datetime | None = None) -> PurgeReport:
    now = now or clock.utcnow()
    report = PurgeReport()
    report.rate_limit_hits = ratelimit.purge(session, before=now - RATE_LIMIT_HITS_KEPT)
    report.sessions = session.exec(
        delete(AuthSession).where(
            or_(
                col(AuthSession.expires_at) < now - ENDED_SESSIONS_KEPT,
                col(AuthSession.revoked_at) < now - ENDED_SESSIONS_KEPT,
            )
        )
    ).rowcount
    report.tokens = session.exec(
        delete(OneTimeToken).where(col(OneTimeToken.expires_at) < now - USED_TOKENS_KEPT)
    ).rowcount
    report.outbox = session.exec(
        delete(OutboxMessage).where(
            col(OutboxMessage.status).in_(["sent", "failed"]),
            col(OutboxMessage.created_at) < now - SENT_MAIL_KEPT,
        )
    ).rowcount
    report.idempotency_keys = idempotency.forget_old(session, now)
    return report


def close_unanswered_requests() -> int:
    """Close requests that waited on the patient's reply longer than their practice allows
    (`inbox.auto_close`), in a transaction of their own; how many were closed."""
    from anima_pwa.db import session_scope
    from anima_pwa.services.inbox import auto_close

    with session_scope() as session:
        return auto_close.close_unanswered(session)


async def run_housekeeping(*, every_seconds: float = 3600) -> None:
    """The app's lifespan task: purge once an hour, logging (never raising) on errors."""
    from anima_pwa.db import session_scope

    def once() -> PurgeReport:
        with session_scope() as session:
            report = purge(session)
        close_unanswered_requests()
        return report

    while True:
        try:
            report = await asyncio.to_thread(once)
            log.info("housekeeping: %s", report)
        except Exception:  # noqa: BLE001 - housekeeping must never take the app down
            log.exception("housekeeping failed")
        await asyncio.sleep(every_seconds)
