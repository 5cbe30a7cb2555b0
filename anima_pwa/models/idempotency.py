"""Keys that make a retried action happen once (services/platform/idempotency.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from anima_pwa.models.base import utcnow


class IdempotencyKey(SQLModel, table=True):
    """One action done under a key made when its screen was built (a reply, a message to a
    patient, a booking): a retry with the same key gets this result back instead of doing it
    again. The unique key settles two attempts at once in the database. (No foreign key:
    the result is a message or an appointment, by `action`.)"""

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("action", "key", name="uq_idempotency_key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64)
    action: str = Field(max_length=40)  # reply | staff_message | booking
    result_id: int | None = None  # the message or appointment the first attempt made
    created_at: datetime = Field(default_factory=utcnow, index=True)  # old keys are deleted by housekeeping
