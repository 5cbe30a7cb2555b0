"""The reminder the day before an appointment, sent once, from the periodic housekeeping.

`send_reminders` finds live appointments whose slot is tomorrow (UK date) and that have had no
reminder, marks each with a conditional UPDATE (so two workers running at once send one reminder)
and queues it through the outbox. An appointment booked today for tomorrow gets one too; one
booked for today gets none (the confirmation has just told them).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from anima_pwa.models import Appointment, Slot
from anima_pwa.services.appointments import notices
from anima_pwa.services.appointments.booking import describe
from anima_pwa.services.platform import clock

__all__ = ["send_reminders"]


def send_reminders(session: Session, now: datetime | None = None) -> int:
    """Queue tomorrow's reminders not yet sent (in the caller's transaction); how many."""
    moment = clock.as_utc(now)
    tomorrow = clock.today(now) + timedelta(days=1)
    start = datetime.combine(tomorrow, time(0), tzinfo=clock.LONDON).astimezone(UTC)
    end = datetime.combine(tomorrow + timedelta(days=1), time(0), tzinfo=clock.LONDON).astimezone(UTC)
    due = session.exec(
        select(Appointment)
        .join(Slot, Slot.id == Appointment.slot_id)  # type: ignore[arg-type]
        .where(
            col(Appointment.cancelled_at).is_(None),
            col(Appointment.reminder_sent_at).is_(None),
            col(Slot.start_utc) >= start,
            col(Slot.start_utc) < end,
        )
        .order_by(col(Slot.start_utc))
        .limit(500)
    ).all()
    sent = 0
    for appointment in due:
        claimed = session.exec(
            update(Appointment)
            .where(col(Appointment.id) == appointment.id, col(Appointment.reminder_sent_at).is_(None))
            .values(reminder_sent_at=moment)
        )
        if claimed.rowcount != 1:
            continue
        notices.tell(session, "appointment_reminder", describe(session, appointment, now), appointment.patient_id)
        sent += 1
    return sent
