"""Plain helpers the test modules share: valid NHS numbers, rows made directly (without the services
under test), and reading back what a service wrote. Fixtures are in conftest.py.

Every maker adds its row and flushes, so the row has its id; none commits.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func
from sqlmodel import Session, select

from anima_pwa.models import (
    URGENCY_RANKS,
    Account,
    AccountPatient,
    AuditEvent,
    OutboxMessage,
    Patient,
    Practice,
    PracticeRegisterEntry,
    Request,
    StaffMember,
    utcnow,
)
from anima_pwa.services.identity import passwords
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.platform import notifications
from anima_pwa.services.platform.validation import nhs_number_is_valid
from anima_pwa.services.practice import permissions
from anima_pwa.services.practice.permissions import StaffContext

# --- NHS numbers ------------------------------------------------------------------------------


def nhs_check_digit(nine: str) -> int | None:
    """The Modulus 11 check digit for nine digits, worked out independently of the code under test;
    None where the remainder makes it 10 (no number starting with these digits is valid)."""
    total = sum(int(d) * w for d, w in zip(nine, [10, 9, 8, 7, 6, 5, 4, 3, 2], strict=True))
    remainder = 11 - total % 11
    return {11: 0, 10: None}.get(remainder, remainder)


def valid_nhs_number(prefix: str) -> str:
    """A valid NHS number starting with these 9 digits (Modulus 11), which the app also accepts."""
    check = nhs_check_digit(prefix)
    assert check is not None, prefix
    number = prefix + str(check)
    assert nhs_number_is_valid(number), number
    return number


# --- rows -------------------------------------------------------------------------------------


def make_practice(db: Session, ods: str, name: str | None = None, **fields) -> Practice:
    """A practice named "Practice {ods}" unless ``name`` is given; ``fields`` set the rest (email,
    phone, postcode, status...), which otherwise keep the model's defaults."""
    practice = Practice(ods_code=ods, name=name or f"Practice {ods}", **fields)
    db.add(practice)
    db.flush()
    return practice


def on_register(
    db: Session,
    practice: Practice,
    nhs_number: str,
    given_names: str,
    family_name: str,
    dob: date,
    postcode: str = "MB1 2AB",
) -> PracticeRegisterEntry:
    """A person on ``practice``'s register: what automatic verification matches against."""
    entry = PracticeRegisterEntry(
        practice_id=practice.id,
        nhs_number=nhs_number,
        given_names=given_names,
        family_name=family_name,
        date_of_birth=dob,
        postcode=postcode,
    )
    db.add(entry)
    db.flush()
    return entry


def make_account(
    db: Session,
    email: str = "jo@example.com",
    *,
    kind: str = "patient",
    password: str | None = None,
    verified: bool = False,
    **fields,
) -> Account:
    """An account row made directly, not by signing up. ``password`` is hashed with
    passwords.hash_password (cheap under the cheap_argon2 fixture); without it there is no password
    unless ``password_hash`` is given. ``verified`` sets email_verified_at to now."""
    if password is not None:
        fields["password_hash"] = passwords.hash_password(password)
    if verified:
        fields["email_verified_at"] = utcnow()
    account = Account(email=email, email_normalized=email.strip().lower(), kind=kind, **fields)
    db.add(account)
    db.flush()
    return account


def identity_of(account: Account, **fields) -> Identity:
    """Who ``account`` is, as a signed-in session would say (a stand-in session id); ``fields``
    override, e.g. method="password+mfa"."""
    values = {"account_id": account.id, "email": account.email, "kind": account.kind, "session_id": "s" * 64} | fields
    return Identity(**values)  # type: ignore[arg-type]


def link(
    db: Session, account: Account, patient: Patient, relationship: str, approval: str = "not_needed"
) -> AccountPatient:
    """``account`` acts for ``patient`` as self, dependant or care_home."""
    row = AccountPatient(
        account_id=account.id, patient_id=patient.id, relationship=relationship, approval_status=approval
    )
    db.add(row)
    db.flush()
    return row


def make_patient(
    db: Session,
    practice: Practice,
    full_name: str = "Zoe Smith",
    *,
    dob: date = date(1985, 3, 14),
    nhs_number: str | None = None,
    postcode: str = "MB1 2AB",
    status: str = "verified",
    email: str | None = None,
    account: Account | None = None,
    **fields,
) -> Patient:
    """A patient at ``practice``, verified unless ``status`` says otherwise. Their own (self)
    account: ``account`` if given, or a new one for ``email``; with neither, none."""
    assert not (email and account), "an email for a new account, or an account: not both"
    patient = Patient(
        full_name=full_name,
        date_of_birth=dob,
        nhs_number=nhs_number,
        postcode=postcode,
        practice_id=practice.id,
        verification_status=status,
        **fields,
    )
    db.add(patient)
    db.flush()
    if email:
        account = make_account(db, email)
    if account is not None:
        link(db, account, patient, "self")
    return patient


def self_account(db: Session, patient: Patient) -> Account:
    """The account that is ``patient``'s own."""
    row = db.exec(
        select(AccountPatient).where(AccountPatient.patient_id == patient.id, AccountPatient.relationship == "self")
    ).one()
    account = db.get(Account, row.account_id)
    assert account is not None
    return account


def make_staff(
    db: Session, practice: Practice, role: str, *, name: str | None = None, active: bool = True
) -> StaffContext:
    """A staff member of ``practice`` signed in with MFA, as the permission checks see them (None if
    not ``active``)."""
    name = name or f"{role.title()} {practice.ods_code}"
    account = make_account(db, f"{role}.{practice.ods_code.lower()}.{len(name)}@nhs.example", kind="staff")
    db.add(StaffMember(account_id=account.id, practice_id=practice.id, role=role, display_name=name, active=active))
    db.flush()
    context = permissions.staff_context(db, identity_of(account, method="password+mfa"))
    assert context is not None or not active
    return context  # type: ignore[return-value]


# --- reading back what was written ------------------------------------------------------------


def make_request(db: Session, *, submitted_at, urgency: str = "routine", **fields) -> Request:
    """A request sent at ``submitted_at``: medical (back pain, for the GP team) unless ``fields``
    (with its patient_id and practice_id) say otherwise; its reference is AN-<its id> unless given."""
    values = {
        "kind": "medical",
        "topic": "back-pain",
        "status": "submitted",
        "subject": "Back pain",
        "team": "gp",
        "urgency": urgency,
        "urgency_rank": URGENCY_RANKS[urgency],
        "submitted_at": submitted_at,
        "reference": None,
    } | fields
    row = Request(**values)
    db.add(row)
    db.flush()
    if row.reference is None:
        row.reference = f"AN-{row.id:06d}"[:12]
        db.add(row)
        db.flush()
    return row


def count(db: Session, model) -> int:
    """How many rows ``model``'s table has, pending changes flushed first."""
    db.flush()
    return db.exec(select(func.count()).select_from(model)).one()


def audit_actions(db: Session) -> list[str]:
    """Every audit event's action, oldest first."""
    db.flush()
    return list(db.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all())


def audit_events(db: Session, action: str | None = None) -> list[AuditEvent]:
    """The audit events (only those with this action, if given), oldest first."""
    db.flush()
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.exec(query).all())


def outbox(db: Session, template: str | None = None, to: str | None = None) -> list[OutboxMessage]:
    """The queued emails (only this template's, or only those to this exact address, if given), oldest first."""
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if template:
        query = query.where(OutboxMessage.template == template)
    if to:
        query = query.where(OutboxMessage.to_address == to)
    return list(db.exec(query).all())


def link_token(message: OutboxMessage, base_url: str, path: str) -> str:
    """The token of the one link to ``path`` in an email, checked to be ``{base_url}{path}?token=...``."""
    (url,) = [link for link in notifications.extract_links(message.body_text) if path in link]
    assert url.startswith(f"{base_url}{path}?token=")
    return parse_qs(urlsplit(url).query)["token"][0]
