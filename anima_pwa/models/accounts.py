"""Accounts (ways to sign in), server-side sessions, one-time tokens and codes, rate-limit hits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from anima_pwa.models.base import utcnow


class Account(SQLModel, table=True):
    __tablename__ = "account"
    __table_args__ = (UniqueConstraint("nhs_login_sub", name="uq_account_nhs_login_sub"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)  # as the person typed it
    email_normalized: str = Field(max_length=254, unique=True, index=True)  # lower-cased
    password_hash: str | None = Field(default=None, max_length=255)
    kind: str = Field(default="patient", max_length=10)  # patient | staff
    status: str = Field(default="active", max_length=10)  # active | disabled
    email_verified_at: datetime | None = None
    password_changed_at: datetime | None = None
    # NHS login: the subject identifier NHS login gives this person (never matched by email).
    nhs_login_sub: str | None = Field(default=None, max_length=255)
    nhs_login_linked_at: datetime | None = None
    # MFA with an authenticator app: the TOTP key, encrypted with the app's secret key.
    mfa_secret_encrypted: str | None = Field(default=None, max_length=500)
    mfa_enabled_at: datetime | None = None
    mfa_last_step: int | None = None  # the last TOTP time-step accepted (no replay)
    last_login_at: datetime | None = None
    # How the person is told that the practice has written ("Your preferences"). A text message
    # goes only when their own record has a mobile number; a notice always goes one way at least
    # (services/inbox/notices.py), so email is used when no text message can be.
    notify_by_email: bool = True
    notify_by_sms: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class AuthSession(SQLModel, table=True):
    """A signed-in browser. The id is the SHA-256 of the random token the browser keeps."""

    __tablename__ = "auth_session"

    id: str = Field(primary_key=True, max_length=64)
    account_id: int = Field(foreign_key="account.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime  # absolute limit
    revoked_at: datetime | None = None
    method: str = Field(default="password", max_length=20)  # password | password+mfa | nhs_login
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=255)


class OneTimeToken(SQLModel, table=True):
    """An emailed link or code. Only a keyed hash of the secret is stored."""

    __tablename__ = "one_time_token"
    __table_args__ = (Index("ix_token_purpose_email", "purpose", "email_normalized"),)

    id: int | None = Field(default=None, primary_key=True)
    purpose: str = Field(max_length=30)  # email_verification | password_reset | ...
    secret_hash: str = Field(max_length=64, unique=True)
    email_normalized: str = Field(max_length=254)
    account_id: int | None = Field(default=None, foreign_key="account.id")
    payload: str = Field(default="{}")  # JSON, e.g. the argon2 hash chosen at sign-up
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    consumed_at: datetime | None = None
    revoked_at: datetime | None = None
    attempts: int = 0


class RateLimitHit(SQLModel, table=True):
    """One counted attempt in a sliding window. Keys are hashed: no emails or IPs in clear."""

    __tablename__ = "rate_limit_hit"
    __table_args__ = (Index("ix_rate_limit_lookup", "bucket", "key_hash", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    bucket: str = Field(max_length=40)
    key_hash: str = Field(max_length=64)
    at: datetime = Field(default_factory=utcnow, index=True)


class RecoveryCode(SQLModel, table=True):
    """A single-use MFA recovery code; only a keyed hash is kept."""

    __tablename__ = "recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    code_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    used_at: datetime | None = None
