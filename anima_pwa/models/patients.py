"""Patients (people registered at a practice) and the accounts that hold them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from anima_pwa.models.base import utcnow


class Patient(SQLModel, table=True):
    __tablename__ = "patient"
    __table_args__ = (
        Index("ix_patient_practice_status", "practice_id", "verification_status"),
        Index("ix_patient_status_created", "verification_status", "created_at"),  # the pending list
        # Only a verified record owns its NHS number. Pending and rejected records are claims: any
        # number of them may carry the same number, and none of them blocks anyone (see
        # services/patients/verification.py and the README's "NHS numbers and claims").
        Index(
            "uq_patient_verified_nhs_number",
            "nhs_number",
            unique=True,
            sqlite_where=text("verification_status = 'verified'"),
            postgresql_where=text("verification_status = 'verified'"),
        ),
        Index("ix_patient_nhs_number", "nhs_number"),  # every record with a number: claims too
    )

    id: int | None = Field(default=None, primary_key=True)
    full_name: str = Field(max_length=200)
    date_of_birth: date
    nhs_number: str | None = Field(default=None, max_length=10)
    postcode: str = Field(max_length=10)
    address_line1: str = Field(default="", max_length=200)
    phone_mobile: str = Field(default="", max_length=20)  # E.164
    preferred_name: str = Field(default="", max_length=100)
    residence_status: str = Field(default="", max_length=20)  # see services.identity.account_settings
    # Care homes: the home itself is a "patient" record with a dummy 999 999 NHS number, whose
    # account holds its residents.
    is_care_home: bool = False
    care_home_resident: bool = False
    housebound: bool = False
    created_by_staff_id: int | None = Field(default=None, foreign_key="staff_member.id")
    practice_id: int = Field(foreign_key="practice.id")
    verification_status: str = Field(default="pending", max_length=10)  # verified | pending | rejected
    verification_note: str = Field(default="", max_length=500)
    verified_at: datetime | None = None
    register_entry_id: int | None = Field(default=None, foreign_key="practice_register_entry.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class AccountPatient(SQLModel, table=True):
    """Who an account acts for: itself, a dependant (several accounts may hold one), or a resident."""

    __tablename__ = "account_patient"
    __table_args__ = (
        UniqueConstraint("account_id", "patient_id", name="uq_account_patient"),
        Index(
            "uq_account_one_self",
            "account_id",
            unique=True,
            sqlite_where=text("relationship = 'self'"),
            postgresql_where=text("relationship = 'self'"),
        ),
        Index(
            "uq_patient_one_self_account",
            "patient_id",
            unique=True,
            sqlite_where=text("relationship = 'self'"),
            postgresql_where=text("relationship = 'self'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    relationship: str = Field(max_length=10)  # self | dependant | care_home
    # A link the practice must approve before the account can act for the person or see their
    # requests: a dependant aged 16 or over, or anyone linking to a person Anima already knows.
    approval_status: str = Field(default="not_needed", max_length=12)  # not_needed | pending | approved | rejected
    approval_note: str = Field(default="", max_length=500)
    # Why approval is needed ("" when it isn't): age_16_plus | second_holder | existing_record | own_account
    approval_reason: str = Field(default="", max_length=20)
    created_at: datetime = Field(default_factory=utcnow)
