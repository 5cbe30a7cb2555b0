"""Practice staff: creating a staff account (used by the admin CLI and the demo seed)."""

from __future__ import annotations

from sqlmodel import Session, select

from anima_pwa.models import Account, Practice, StaffMember, utcnow
from anima_pwa.services import passwords
from anima_pwa.services.validation import clean_email, normalize_email

ROLES = ("receptionist", "clinician", "admin")
EMAIL_TAKEN = "An account already exists for this email address"


def create_staff(
    session: Session,
    *,
    practice: Practice,
    email: str,
    display_name: str,
    role: str,
    password: str | None,
) -> StaffMember:
    """A staff ``Account`` (email treated as verified) and its ``StaffMember`` at ``practice``.

    Without a password the account has none and can only be used after a password reset.
    Raises ValueError (or validation.FieldError, a ValueError) for an unknown role, a bad email,
    an email already used by any account (case-insensitively), an empty name or a password that
    the password rules refuse. Flushes; the caller commits.
    """
    if role not in ROLES:
        raise ValueError(f"Role must be one of {', '.join(ROLES)}")
    if practice.id is None:
        raise ValueError("The practice must be saved before staff are added to it")
    email = clean_email(email)
    normalized = normalize_email(email)
    name = " ".join((display_name or "").split())
    if not name:
        raise ValueError("Enter the staff member's name")
    if len(name) > 200:
        raise ValueError("The staff member's name must be 200 characters or fewer")
    if session.exec(select(Account.id).where(Account.email_normalized == normalized)).first():
        raise ValueError(EMAIL_TAKEN)

    password_hash = None
    if password is not None:
        problem = passwords.check_password(password, email=email)
        if problem:
            raise ValueError(problem)
        password_hash = passwords.hash_password(password)

    now = utcnow()
    account = Account(
        email=email,
        email_normalized=normalized,
        password_hash=password_hash,
        kind="staff",
        status="active",
        email_verified_at=now,
        password_changed_at=now if password_hash else None,
        created_at=now,
        updated_at=now,
    )
    session.add(account)
    session.flush()  # the unique index on email_normalized backs up the check above
    member = StaffMember(
        account_id=account.id,
        practice_id=practice.id,
        role=role,
        display_name=name,
        active=True,
        created_at=now,
    )
    session.add(member)
    session.flush()
    return member
