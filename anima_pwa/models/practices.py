"""Practices (from NHS ODS epraccur), their registers of patients, and their staff."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from anima_pwa.models.base import utcnow


class Practice(SQLModel, table=True):
    __tablename__ = "practice"

    id: int | None = Field(default=None, primary_key=True)
    ods_code: str = Field(max_length=10, unique=True, index=True)
    name: str = Field(max_length=200, index=True)
    address_line1: str = Field(default="", max_length=200)
    address_line2: str = Field(default="", max_length=200)
    address_line3: str = Field(default="", max_length=200)
    town: str = Field(default="", max_length=200)
    county: str = Field(default="", max_length=200)
    postcode: str = Field(default="", max_length=10)
    phone: str = Field(default="", max_length=40)
    email: str | None = Field(default=None, max_length=254)
    status: str = Field(default="active", max_length=10)  # active | closed
    commissioner: str = Field(default="", max_length=10)
    network: str = Field(default="", max_length=10)  # provider/purchaser (the PCN)
    open_date: date | None = None
    close_date: date | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class PracticeRegisterEntry(SQLModel, table=True):
    """One patient on a practice's own list: what automatic verification matches against."""

    __tablename__ = "practice_register_entry"
    __table_args__ = (
        UniqueConstraint("practice_id", "nhs_number", name="uq_register_practice_nhs"),
        Index("ix_register_practice_dob", "practice_id", "date_of_birth"),
    )

    id: int | None = Field(default=None, primary_key=True)
    practice_id: int = Field(foreign_key="practice.id")
    nhs_number: str = Field(max_length=10)
    given_names: str = Field(max_length=200)
    family_name: str = Field(max_length=200)
    date_of_birth: date
    postcode: str = Field(max_length=10)
    address_line1: str = Field(default="", max_length=200)
    imported_at: datetime = Field(default_factory=utcnow)


class StaffMember(SQLModel, table=True):
    __tablename__ = "staff_member"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", unique=True)
    practice_id: int = Field(foreign_key="practice.id", index=True)
    role: str = Field(max_length=20)  # receptionist | clinician | admin
    display_name: str = Field(max_length=200)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
