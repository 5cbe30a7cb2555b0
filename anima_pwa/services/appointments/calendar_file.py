"""The calendar file (.ics) a patient downloads with "Add to calendar", made with `icalendar`.

The event is in Europe/London (with its VTIMEZONE), so a 09:00 appointment is 09:00 in the
patient's calendar either side of the clock changes. Like the emails it names the practice, the
place or how the call happens, and nothing clinical: calendars are shared and synced.
"""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, Event
from sqlmodel import Session

from anima_pwa.models import Practice
from anima_pwa.services.appointments.booking import AppointmentView, appointment_for_account, describe
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.platform import clock

__all__ = ["calendar_for_account", "ics"]


def ics(view: AppointmentView, practice_name: str, now: datetime | None = None) -> bytes:
    """The appointment as an iCalendar file."""
    calendar = Calendar()
    calendar.add("prodid", "-//Anima//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"appointment-{view.id}@anima")
    event.add("dtstamp", clock.as_utc(now))
    event.add("dtstart", clock.to_london(view.start_utc))
    event.add("dtend", clock.to_london(view.end_utc))
    event.add("summary", f"Appointment with {practice_name}")
    lines = [f"With {view.with_whom}." if view.with_whom else "", view.how]
    event.add("description", " ".join(line for line in lines if line))
    if view.where:
        event.add("location", view.where)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def calendar_for_account(
    session: Session, identity: Identity | None, appointment_id: object, now: datetime | None = None
) -> bytes | None:
    """The .ics of an appointment this account may see and that is still booked; None otherwise."""
    appointment = appointment_for_account(session, identity, appointment_id)
    if appointment is None or appointment.cancelled_at is not None:
        return None
    practice = session.get(Practice, appointment.practice_id)
    return ics(describe(session, appointment, now), practice.name if practice else "your practice", now)
