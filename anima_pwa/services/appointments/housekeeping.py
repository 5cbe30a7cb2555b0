"""The appointments' periodic work, run by the app as a lifespan task (like the outbox sender and
`platform.maintenance`): the reminders due (the day before, once, between 09:00 and 20:00 UK time so
nobody is texted at night) and the slots for the coming weeks from every active book's rota
(idempotent). Safe to run from several workers at once: a reminder is claimed with a conditional
UPDATE, and slots are made by one worker at a time (`retry_queue.one_at_a_time`; a slot is also
unique per book and start, so a duplicate could never be saved)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, time

from sqlmodel import Session

from anima_pwa.services.appointments import reminders, rota
from anima_pwa.services.platform import clock, retry_queue

log = logging.getLogger(__name__)

REMINDERS_FROM = time(9, 0)
REMINDERS_UNTIL = time(20, 0)


@dataclass
class Report:
    reminders: int = 0
    slots: int = 0


def due_reminders(session: Session, now: datetime | None = None) -> int:
    """Send tomorrow's reminders if it is a civil hour in England; how many were queued."""
    local = clock.london_now(now).time()
    if not REMINDERS_FROM <= local < REMINDERS_UNTIL:
        return 0
    return reminders.send_reminders(session, now)


async def run_appointments(*, every_seconds: float = 900) -> None:
    """The lifespan task: reminders every round, slots every round (cheap when nothing is new);
    logs and never raises."""
    from anima_pwa.db import session_scope

    def reminders_once() -> int:
        with session_scope() as session:
            return due_reminders(session)

    def slots_once() -> int:
        with session_scope() as session:
            if not retry_queue.one_at_a_time(session, "appointments.slots"):
                return 0  # another worker is making them right now
            return rota.generate_all(session)

    while True:
        report = Report()
        for name, job in (("reminders", reminders_once), ("slots", slots_once)):
            try:
                setattr(report, name, await asyncio.to_thread(job))
            except Exception:  # noqa: BLE001 - housekeeping must never take the app down
                log.exception("appointments housekeeping (%s) failed", name)
        if report.reminders or report.slots:
            log.info("appointments housekeeping: %s", report)
        await asyncio.sleep(every_seconds)
