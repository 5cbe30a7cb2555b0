"""Appointments (issue 12): a practice's appointment books, their weekly rota and days off, the
slots generated from them, the invites a practice sends at sign-off, and the bookings patients make.

Times: a rota is written in UK time ("09:00" on Mondays); slots are stored as aware UTC, made from
the UK time of each date, so 09:00 stays 09:00 across the clock changes.

Two patients racing for one slot: the booking marks the slot booked with a conditional UPDATE
(``status = 'free'``), and the partial unique index ``uq_appointment_live_slot`` lets only one live
(not cancelled) appointment point at a slot, so the database refuses the second whatever happens.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from anima_pwa.models.base import utcnow

# The kinds of slot (the same keys as services.inbox.outcomes.APPOINTMENT_KINDS).
SLOT_KINDS = ("face_to_face", "telephone", "video", "blood_test", "ecg", "blood_pressure")
SLOT_STATUSES = ("free", "booked", "blocked")
INVITE_STATUSES = ("open", "used", "withdrawn")


class AppointmentBook(SQLModel, table=True):
    """One diary: a clinician's (``staff_id``) or a team's (``team``), at a site."""

    __tablename__ = "appointment_book"
    __table_args__ = (Index("ix_appointment_book_practice", "practice_id", "active"),)

    id: int | None = Field(default=None, primary_key=True)
    practice_id: int = Field(foreign_key="practice.id")
    name: str = Field(max_length=120)  # what patients and staff read: "Dr Amir Khan", "Nurse team"
    staff_id: int | None = Field(default=None, foreign_key="staff_member.id")  # a clinician's book
    team: str = Field(default="", max_length=40)  # or a team's book ("nurses", "hca")
    site_name: str = Field(default="", max_length=120)
    site_address: str = Field(default="", max_length=300)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)


class RotaSession(SQLModel, table=True):
    """A line of a book's weekly pattern: on this weekday, from start to end (UK time), slots of
    this length and kind."""

    __tablename__ = "rota_session"

    id: int | None = Field(default=None, primary_key=True)
    book_id: int = Field(foreign_key="appointment_book.id", index=True)
    weekday: int  # 0 Monday .. 6 Sunday
    start_time: str = Field(max_length=5)  # "HH:MM", UK time
    end_time: str = Field(max_length=5)
    slot_minutes: int = 10
    kind: str = Field(max_length=20)  # SLOT_KINDS


class BookException(SQLModel, table=True):
    """Days a book has no slots (leave, training), first to last inclusive. Bank holidays are
    skipped without one."""

    __tablename__ = "book_exception"

    id: int | None = Field(default=None, primary_key=True)
    book_id: int = Field(foreign_key="appointment_book.id", index=True)
    first_day: date
    last_day: date
    reason: str = Field(default="", max_length=200)


class Slot(SQLModel, table=True):
    __tablename__ = "appointment_slot"
    __table_args__ = (
        UniqueConstraint("book_id", "start_utc", name="uq_slot_book_start"),
        Index("ix_slot_practice_kind_start", "practice_id", "kind", "status", "start_utc"),
    )

    id: int | None = Field(default=None, primary_key=True)
    book_id: int = Field(foreign_key="appointment_book.id")
    practice_id: int = Field(foreign_key="practice.id")
    start_utc: datetime
    end_utc: datetime
    kind: str = Field(max_length=20)  # SLOT_KINDS
    status: str = Field(default="free", max_length=10)  # SLOT_STATUSES
    created_at: datetime = Field(default_factory=utcnow)


class AppointmentInvite(SQLModel, table=True):
    """The practice invites a patient to book: a kind, a book or a team, a window of days, an
    expiry. Used once (a cancelled booking gives it back while it is still valid)."""

    __tablename__ = "appointment_invite"
    __table_args__ = (
        Index("ix_invite_patient_status", "patient_id", "status"),
        Index("ix_invite_request", "request_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    request_id: int | None = Field(default=None, foreign_key="request.id")
    patient_id: int = Field(foreign_key="patient.id")
    practice_id: int = Field(foreign_key="practice.id")
    kind: str = Field(max_length=20)  # SLOT_KINDS
    book_id: int | None = Field(default=None, foreign_key="appointment_book.id")
    team: str = Field(default="", max_length=40)  # any book of this team ("" with a book)
    window_start: date
    window_end: date
    expires_at: datetime
    used_at: datetime | None = None
    status: str = Field(default="open", max_length=10)  # INVITE_STATUSES
    created_by_staff_id: int | None = Field(default=None, foreign_key="staff_member.id")
    created_at: datetime = Field(default_factory=utcnow)


class Appointment(SQLModel, table=True):
    __tablename__ = "appointment"
    __table_args__ = (
        # Only one live (not cancelled) appointment per slot: the database settles a race.
        Index(
            "uq_appointment_live_slot",
            "slot_id",
            unique=True,
            sqlite_where=text("cancelled_at IS NULL"),
            postgresql_where=text("cancelled_at IS NULL"),
        ),
        Index("ix_appointment_patient", "patient_id", "cancelled_at"),
        Index("ix_appointment_invite", "invite_id"),
        Index("ix_appointment_reminder", "reminder_sent_at", "cancelled_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    slot_id: int = Field(foreign_key="appointment_slot.id")
    invite_id: int | None = Field(default=None, foreign_key="appointment_invite.id")
    patient_id: int = Field(foreign_key="patient.id")
    practice_id: int = Field(foreign_key="practice.id")
    booked_by_account_id: int | None = Field(default=None, foreign_key="account.id")
    booked_by_staff_id: int | None = Field(default=None, foreign_key="staff_member.id")
    booked_at: datetime = Field(default_factory=utcnow)
    cancelled_at: datetime | None = None
    cancel_reason: str = Field(default="", max_length=500)
    cancelled_by_account_id: int | None = Field(default=None, foreign_key="account.id")
    cancelled_by_staff_id: int | None = Field(default=None, foreign_key="staff_member.id")
    reminder_sent_at: datetime | None = None
