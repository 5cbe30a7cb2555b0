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
    channel: str = Field(default="email", max_length=10)  # email | sms | push (to_address: a PushSubscription id)
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


class PushSubscription(SQLModel, table=True):
    """A browser (an installed app) that receives this account's push notices: the Push API's
    subscription, made by assets/anima.js when the account holder turns on "Notifications on this
    device". One row per endpoint (one per browser), so a device is only ever one account's.

    `session_id` is the sign-in session that last confirmed it: signing out of that session (or
    every session ending, as a password reset does) removes it, so a shared phone stops getting
    the last person's notices."""

    __tablename__ = "push_subscription"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    session_id: str = Field(max_length=64, index=True)
    endpoint: str = Field(max_length=1000, unique=True)
    p256dh: str = Field(max_length=200)  # the browser's public key (base64url), for encrypting
    auth: str = Field(max_length=100)  # the browser's auth secret (base64url)
    created_at: datetime = Field(default_factory=utcnow)
    last_sent_at: datetime | None = None
