"""Requests (medical and admin) from draft to resolution, practice capacity settings, and the
record of red-flag answers that sent someone to 999 instead of making a request."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from anima_pwa.models.base import utcnow

# draft -> submitted -> triaged/assigned -> awaiting_patient -> resolved/closed
REQUEST_STATUSES = ("draft", "submitted", "assigned", "awaiting_patient", "resolved", "closed")
OPEN_STATUSES = ("submitted", "assigned", "awaiting_patient")
# "The request is open", as literal SQL: the queue's partial indexes are defined WHERE this, and the
# queue's queries say exactly this (not a bound IN list), so SQLite's and PostgreSQL's planners can
# prove the query only wants rows the index holds.
OPEN_SQL = "status IN (" + ", ".join(f"'{status}'" for status in OPEN_STATUSES) + ")"
# The queue's order: most urgent first (then oldest first). Stored on the request at submission so
# the queue is ordered and paged in SQL.
URGENCY_RANKS = {"emergency_signposted": 0, "urgent_today": 1, "within_two_days": 2, "routine": 3}
# How a request was signed off (the outcome the patient is told in plain words).
OUTCOMES = ("invite_to_book", "prescription", "signpost", "self_care", "no_action", "closed")


class Request(SQLModel, table=True):
    __tablename__ = "request"
    __table_args__ = (
        Index("ix_request_practice_status", "practice_id", "status", "submitted_at"),
        Index("ix_request_patient_kind_status", "patient_id", "kind", "status"),
        Index("ix_request_account_status", "account_id", "status"),
        # The practice's queue (services/inbox/queue.py): only open requests, in the queue's order,
        # so a page is read in order from the index and never sorted (migration 0014; the figures
        # are in bench/README.md). The second one covers the per-filter counts (index-only).
        Index(
            "ix_request_queue",
            "practice_id",
            "urgency_rank",
            "submitted_at",
            "id",
            "status",
            sqlite_where=text(OPEN_SQL),
            postgresql_where=text(OPEN_SQL),
        ),
        Index(
            "ix_request_queue_counts",
            "practice_id",
            "kind",
            "assigned_staff_id",
            "assigned_team",
            "team",
            "status",
            sqlite_where=text(OPEN_SQL),
            postgresql_where=text(OPEN_SQL),
        ),
        Index("ix_request_assignee", "practice_id", "assigned_staff_id", "status"),
        # The queue's "Patient replied" count and filter: only the few open requests with one.
        Index(
            "ix_request_replied",
            "practice_id",
            "urgency_rank",
            "submitted_at",
            "id",
            sqlite_where=text(f"{OPEN_SQL} AND patient_replied_at IS NOT NULL"),
            postgresql_where=text(f"{OPEN_SQL} AND patient_replied_at IS NOT NULL"),
        ),
        UniqueConstraint("reference", name="uq_request_reference"),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str | None = Field(default=None, max_length=12)  # given at submission, e.g. "AN-7K2Q9M"
    patient_id: int = Field(foreign_key="patient.id")
    account_id: int | None = Field(default=None, foreign_key="account.id")  # who filled it in (None: staff)
    practice_id: int = Field(foreign_key="practice.id")
    kind: str = Field(max_length=10)  # medical | admin
    topic: str = Field(max_length=60)  # a questionnaire id
    status: str = Field(default="draft", max_length=20)
    answers: str = Field(default="{}")  # JSON: linkId -> answer
    current_item: str = Field(default="", max_length=60)  # where the wizard is
    free_text: str = Field(default="")
    appointment_preference: str = Field(default="", max_length=40)
    contact_preference: str = Field(default="", max_length=40)
    # Triage (decides nothing clinical; shown to staff only)
    subject: str = Field(default="", max_length=200)
    urgency: str = Field(default="", max_length=30)
    team: str = Field(default="", max_length=40)
    triage_summary: str = Field(default="")
    # Who the questions were about and who answered them (set at submission, shown to staff):
    # the wording shown (self | child | other-adult), who filled it in ("Priya Rahman, account
    # holder (holds this patient as a dependant)" or the member of staff on a phone request), and
    # the answers as a FHIR R4 QuestionnaireResponse (JSON) with the linkIds of the topic.
    subject_wording: str = Field(default="", max_length=12, sa_column_kwargs={"server_default": ""})
    filled_in_by: str = Field(default="", max_length=300, sa_column_kwargs={"server_default": ""})
    questionnaire_response: str = Field(default="", sa_column_kwargs={"server_default": ""})
    created_by_staff_id: int | None = Field(default=None, foreign_key="staff_member.id")
    limits_overridden: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    submitted_at: datetime | None = None
    resolved_at: datetime | None = None
    # The practice's handling (issue 11): the queue's order, who has it, the first response (the
    # core-hours same-day rule), waiting on the patient, and the outcome at sign-off.
    urgency_rank: int = Field(default=3, sa_column_kwargs={"server_default": "3"})  # URGENCY_RANKS
    assigned_team: str = Field(default="", max_length=40, sa_column_kwargs={"server_default": ""})
    assigned_staff_id: int | None = Field(default=None, foreign_key="staff_member.id")
    first_response_at: datetime | None = None
    awaiting_reply_since: datetime | None = None  # a message that needs the patient's reply was sent
    # The patient's (or a holder's) reply that the practice has not answered yet: shown as "Patient
    # replied" in the queue until staff message the patient or sign the request off.
    patient_replied_at: datetime | None = None
    outcome: str = Field(default="", max_length=20, sa_column_kwargs={"server_default": ""})  # OUTCOMES
    outcome_detail: str = Field(default="{}", sa_column_kwargs={"server_default": "{}"})  # JSON, per outcome
    signed_off_by_staff_id: int | None = Field(default=None, foreign_key="staff_member.id")
    # A suggested prescription the patient approves or declines in the app: "" | approved | declined.
    patient_decision: str = Field(default="", max_length=10, sa_column_kwargs={"server_default": ""})
    patient_decided_at: datetime | None = None


class RequestMessage(SQLModel, table=True):
    """One message in a request's thread: from the practice (optionally needing a reply), from the
    patient (a reply, maybe with photos), or from the app itself (an automatic closure)."""

    __tablename__ = "request_message"
    __table_args__ = (Index("ix_request_message_thread", "request_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id")
    author_kind: str = Field(max_length=10)  # staff | patient | system
    author_staff_id: int | None = Field(default=None, foreign_key="staff_member.id")
    author_account_id: int | None = Field(default=None, foreign_key="account.id")
    body: str = Field(default="")
    needs_reply: bool = False
    wants_photo: bool = False  # the practice asked for a photo with the reply
    created_at: datetime = Field(default_factory=utcnow)


class MessageAttachment(SQLModel, table=True):
    """A photo a patient sent with a reply. The file lives outside the web root, under a random
    name; only the practice's staff and the request's account holders may see it."""

    __tablename__ = "message_attachment"

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="request_message.id", index=True)
    request_id: int = Field(foreign_key="request.id", index=True)
    stored_name: str = Field(max_length=64, unique=True)  # random; never the name it was sent with
    content_type: str = Field(max_length=40)  # image/jpeg | image/png | image/heic (checked by content)
    size_bytes: int
    sha256: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class RecordExport(SQLModel, table=True):
    """Writing a signed-off request to the patient's health record (a FHIR R4 Bundle) through the
    clinical-record adapter: retried until it is written, a failure shown to staff, never lost."""

    __tablename__ = "record_export"
    __table_args__ = (Index("ix_record_export_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id", unique=True)
    status: str = Field(default="pending", max_length=10)  # pending | written | failed
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    locked_until: datetime | None = None
    last_error: str = Field(default="", max_length=500)
    location: str = Field(default="", max_length=300)  # where the adapter wrote it
    created_at: datetime = Field(default_factory=utcnow)
    written_at: datetime | None = None


class EmergencySignpost(SQLModel, table=True):
    """Someone was shown emergency advice: red flags on the emergency screen (999 or 111, which
    end the request, or the crisis lines, which do not), an answer that is a red flag (PHQ-9
    question 9), emergency words typed into a request, or the topic search
    (``services.requests.search_signposts``). The practice's "Signposted today" list reads these so someone
    can follow the person up (``services.requests.signposts``): it shows the advice given, never the flags."""

    __tablename__ = "emergency_signpost"
    __table_args__ = (Index("ix_emergency_signpost_practice_at", "practice_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int | None = Field(default=None, foreign_key="account.id")
    patient_id: int | None = Field(default=None, foreign_key="patient.id")
    practice_id: int | None = Field(default=None, foreign_key="practice.id", index=True)
    topic: str = Field(max_length=60)  # the topic id, or "search" (advice from the topic search)
    flags: str = Field(default="[]")  # JSON list of red-flag item ids answered yes (or search rules that fired)
    advice: str = Field(max_length=10)  # the most urgent advice given: 999 | 111 | crisis
    # Every advice given, most urgent first (JSON list: ["999", "crisis"]).
    advices: str = Field(default="[]", max_length=60, sa_column_kwargs={"server_default": "[]"})
    # Where: emergency_screen | answer | free_text | search ("" for rows from before 0007).
    source: str = Field(default="", max_length=20, sa_column_kwargs={"server_default": ""})
    # Who filled it in ("Zoe Smith (account holder, who holds Leo Smith as a dependant)").
    filled_in_by: str = Field(default="", max_length=300, sa_column_kwargs={"server_default": ""})
    at: datetime = Field(default_factory=utcnow, index=True)
    # A member of staff followed the person up (their name is read from the staff row).
    followed_up_at: datetime | None = None
    followed_up_by_staff_id: int | None = Field(default=None, foreign_key="staff_member.id")


class PracticeSettings(SQLModel, table=True):
    """Online-request hours, limits and switches for one practice."""

    __tablename__ = "practice_settings"

    practice_id: int = Field(foreign_key="practice.id", primary_key=True)
    # JSON: {"medical": {"mon": ["08:00", "18:30"], ...}, "admin": {...}}; a missing day is closed.
    hours: str = Field(default="{}")
    turned_off: bool = False
    turned_off_message: str = Field(default="", max_length=500)
    routine_only_after: str = Field(default="", max_length=5)  # "HH:MM" or "" (never)
    daily_limit: int | None = None  # submitted requests per day (None: no limit)
    active_limit: int | None = None  # open at once
    per_patient_medical: int = 1
    per_patient_admin: int = 1
    free_text_enabled: bool = True
    # "Important updates" patients read under Practice Details (at most 1,000 characters, checked
    # by the service: services.platform.text_limits.IMPORTANT_UPDATES).
    important_updates: str = Field(default="", max_length=1000, sa_column_kwargs={"server_default": ""})
    # A request waiting on the patient's reply this many days is closed, with a notice to them.
    auto_close_days: int = Field(default=14, sa_column_kwargs={"server_default": "14"})
    # A patient may cancel an appointment online up to this many minutes before it (issue 12).
    cancel_cutoff_minutes: int = Field(default=120, sa_column_kwargs={"server_default": "120"})
    updated_at: datetime = Field(default_factory=utcnow)


class ClosedDay(SQLModel, table=True):
    __tablename__ = "closed_day"
    __table_args__ = (UniqueConstraint("practice_id", "day", name="uq_closed_day"),)

    id: int | None = Field(default=None, primary_key=True)
    practice_id: int = Field(foreign_key="practice.id", index=True)
    day: date
    reason: str = Field(default="", max_length=200)  # "Bank holiday", "Training"


class CapacityCounter(SQLModel, table=True):
    """Row locked when a request is submitted, so two patients racing for the last place of the day
    can't both get it (PostgreSQL: SELECT ... FOR UPDATE; SQLite: a write lock on the row)."""

    __tablename__ = "capacity_counter"
    __table_args__ = (UniqueConstraint("practice_id", "day", name="uq_capacity_counter"),)

    id: int | None = Field(default=None, primary_key=True)
    practice_id: int = Field(foreign_key="practice.id")
    day: date
    submitted: int = 0


class CoreHoursChange(SQLModel, table=True):
    """A change a practice admin saved although it closes online requests inside core hours
    (services.practice.core_hours): who, when, what (in plain words) and why. Read by practice admins."""

    __tablename__ = "core_hours_change"
    __table_args__ = (Index("ix_core_hours_change_practice_at", "practice_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    practice_id: int = Field(foreign_key="practice.id")
    at: datetime = Field(default_factory=utcnow)
    actor_account_id: int = Field(foreign_key="account.id")
    actor_name: str = Field(max_length=200)  # as they were called then
    actor_role: str = Field(max_length=20)
    change: str = Field(max_length=20)  # settings | closed_day
    what: str = Field(default="[]")  # JSON list of plain-words closures
    why: str = Field(max_length=500)
