"""The notification outbox: every message is written here first, then delivered."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from anima_pwa.models.base import utcnow


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(default="email", max_length=10)  # email | sms
    # The request a notice is about (shown to staff there when it can't be delivered).
    request_id: int | None = Field(default=None, foreign_key="request.id", index=True)
    to_address: str = Field(max_length=254, index=True)
    subject: str = Field(max_length=200)
    body_text: str
    template: str = Field(max_length=40)
    status: str = Field(default="pending", max_length=10)  # pending | sent | failed
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    locked_until: datetime | None = None
    last_error: str = Field(default="", max_length=500)
    last_attempt_at: datetime | None = None  # when the last failed try was (shown to staff)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
