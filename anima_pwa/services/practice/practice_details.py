""" "Practice Details" on the patient's dashboard, as the patient guide promises: the practice's
hours for online medical and admin requests, the closed days ahead, its "important updates" (which a
practice admin writes in Practice settings), and whether online requests are turned off now.

A patient sees their own practice's details only: the practice comes from their own record, never
from the browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from anima_pwa.models import Practice
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.patients import registration
from anima_pwa.services.platform import clock
from anima_pwa.services.requests import request_settings

__all__ = ["CLOSED_DAYS_SHOWN", "HoursRow", "PracticeDetails", "for_account", "for_practice"]

CLOSED_DAYS_SHOWN = 8  # the next ones; more than a few months ahead is rarely useful


@dataclass(frozen=True)
class HoursRow:
    day: str  # "Monday"
    medical: str  # "08:00 to 18:30" or "Closed"
    admin: str


@dataclass(frozen=True)
class PracticeDetails:
    name: str
    phone: str
    hours: list[HoursRow]
    closed_days: list[tuple[str, str]]  # ("Friday 25 December", "Christmas Day")
    important_updates: str
    turned_off: bool
    turned_off_message: str


def _window(settings: request_settings.SettingsView, kind: str, weekday: int) -> str:
    window = settings.window(kind, weekday)
    return f"{window[0]:%H:%M} to {window[1]:%H:%M}" if window else "Closed"


def for_practice(session: Session, practice_id: int, *, now: datetime | None = None) -> PracticeDetails | None:
    practice = session.get(Practice, practice_id)
    if practice is None:
        return None
    settings = request_settings.settings_for(session, practice_id)
    today = clock.today(now)
    closed = [
        (day.label, day.reason)
        for day in request_settings.closed_days(session, practice_id, from_day=today)
        if day.day <= today + timedelta(days=366)
    ][:CLOSED_DAYS_SHOWN]
    return PracticeDetails(
        name=practice.name,
        phone=practice.phone,
        hours=[
            HoursRow(name, _window(settings, "medical", weekday), _window(settings, "admin", weekday))
            for weekday, name in enumerate(request_settings.DAY_NAMES)
        ],
        closed_days=closed,
        important_updates=settings.important_updates,
        turned_off=settings.turned_off,
        turned_off_message=settings.turned_off_message,
    )


def for_account(session: Session, identity: Identity, *, now: datetime | None = None) -> PracticeDetails | None:
    """The details of the signed-in account holder's own practice (None before they have given
    their details)."""
    patient = registration.self_patient(session, identity.account_id)
    if patient is None:
        return None
    return for_practice(session, patient.practice_id, now=now)
