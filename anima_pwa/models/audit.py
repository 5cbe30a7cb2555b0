"""Audit events: who did what to which account or patient, and when."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from anima_pwa.models.base import utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    actor_kind: str = Field(max_length=10)  # patient | staff | system | anonymous
    action: str = Field(max_length=60, index=True)
    account_id: int | None = Field(default=None, foreign_key="account.id")
    patient_id: int | None = Field(default=None, foreign_key="patient.id", index=True)
    practice_id: int | None = Field(default=None, foreign_key="practice.id", index=True)
    ip: str = Field(default="", max_length=64)
    detail: str = Field(default="{}")  # JSON; never clinical content or secrets
