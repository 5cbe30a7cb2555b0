"""Settings a signed-in person changes themselves: email address, password, and preferences.

Every function takes the signed-in ``Identity`` and acts only on ``identity.account_id`` (and that
account's own "self" patient): nothing the browser sends can point it at another account. Each
answers with an ``Outcome``: field errors (and nothing saved), or success.

A new email address only replaces the old one when the link sent to it is followed, so an address
nobody can read never becomes the account's. Asking to move to an address that already has an
account gets the same answer as any other request (the address's owner is told instead), so this
form can't be used to find out who uses the service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from anima_pwa.models import Account, Patient, id_of, utcnow
from anima_pwa.services.identity import accounts, password_reset, passwords, ratelimit, sessions, tokens
from anima_pwa.services.identity.ratelimit import Limit
from anima_pwa.services.patients.registration import self_patient
from anima_pwa.services.platform import audit, notifications
from anima_pwa.services.platform.results import Result
from anima_pwa.services.platform.validation import (
    FieldError,
    clean_email,
    clean_full_name,
    clean_mobile,
    clean_text,
    format_uk_phone,
    normalize_email,
)

__all__ = [
    "EMAIL_CHANGE",
    "FORM",
    "RESIDENCE_STATUSES",
    "EmailChangeResult",
    "Outcome",
    "Preferences",
    "change_password",
    "clean_preferred_name",
    "confirm_email_change",
    "load_preferences",
    "mask_email",
    "request_email_change",
    "save_preferences",
]

EMAIL_CHANGE = "email_change"  # OneTimeToken purpose
EMAIL_CHANGE_LIFETIME = timedelta(hours=24)

EMAIL_CHANGE_PER_ACCOUNT = Limit("email_change_account", 3, timedelta(hours=1))
EMAIL_CHANGE_PER_CLIENT = Limit("email_change_client", 10, timedelta(hours=1))
PASSWORD_CHANGE_PER_ACCOUNT = Limit("password_change_account", 5, timedelta(minutes=15))

FORM = "form"  # the key for an error about the whole form rather than one field

RESIDENCE_STATUSES: dict[str, str] = {
    "permanent": "I live here permanently",
    "temporary": "I'm staying here temporarily (less than 3 months)",
    "overseas": "I normally live outside the UK",
}

NO_ACCOUNT = "You have been signed out. Sign in again to change your settings."
NHS_LOGIN_ONLY = "Your account uses NHS login to sign in, so it has no password to change"
NO_DETAILS = "Give your details first"
# "Your preferences": a message from the practice is always announced one way at least.
NOTIFY_NONE = "Choose how we tell you about messages from your practice: by email, by text message or both"


@dataclass(frozen=True)
class Preferences:
    """What "Your preferences" shows: display values only, never the row."""

    phone: str = ""  # "07700 900982"
    preferred_name: str = ""
    residence_status: str = ""  # a key of RESIDENCE_STATUSES, or "" if never chosen
    has_details: bool = False  # False: the person hasn't given their details yet
    notify_by_email: bool = True  # how the practice's messages are announced (services/inbox/notices.py)
    notify_by_sms: bool = True


@dataclass(frozen=True)
class Outcome(Result):
    """What a settings form tells the screen: field errors (nothing was saved) or success."""

    email: str = ""  # the address a confirmation link was sent to
    preferences: Preferences | None = None  # after saving preferences: what is now stored


@dataclass(frozen=True)
class EmailChangeResult(Result):
    """What the link to confirm a new email address shows (it fails with nothing to show next to
    a field: ``status`` says what happened)."""

    status: str  # changed | expired | used | unknown | taken
    email: str = ""  # the new address (as typed when the change was asked for)


# Helpers -----------------------------------------------------------------------------------------


def _account(session: Session, identity: sessions.Identity) -> Account | None:
    """The signed-in account, read afresh; None if it has gone or been closed."""
    account = session.get(Account, identity.account_id)
    if account is None or account.status != "active":
        return None
    return account


def _owner_of(session: Session, normalized: str) -> Account | None:
    """The account that has this (normalised) email address, if any."""
    return session.exec(select(Account).where(Account.email_normalized == normalized)).first()


def _limited(session: Session, pairs: list[tuple[Limit, str]], what: str) -> str | None:
    return ratelimit.refusal(session, pairs, what)


def _revoke(session: Session, account_id: int, purposes: tuple[str, ...]) -> int:
    return tokens.revoke_for_account(session, account_id, purposes)


def mask_email(email: str) -> str:
    """ "jo.bloggs@example.com" -> "j***@example.com": enough to recognise, not to copy."""
    local, _, domain = email.strip().rpartition("@")
    if not local:
        return "***"
    return f"{local[0]}***@{domain}"


def _base(base_url: str | None) -> str:
    if base_url:
        return base_url.rstrip("/")
    from anima_pwa.settings import settings

    return settings.base_url.rstrip("/")


# Email address -----------------------------------------------------------------------------------


def request_email_change(
    session: Session, identity: sessions.Identity, *, new_email: str, client_ip: str, base_url: str
) -> Outcome:
    """ "CONFIRM NEW EMAIL": email a link to the new address; the change happens when it is followed."""
    account = _account(session, identity)
    if account is None:
        return Outcome(errors={FORM: NO_ACCOUNT})
    try:
        email = clean_email(new_email if isinstance(new_email, str) else "")
    except FieldError as error:
        return Outcome(errors={"new_email": error.message})
    normalized = normalize_email(email)
    if normalized == account.email_normalized:
        return Outcome(errors={"new_email": "This is already your email address"})
    refused = _limited(
        session,
        [(EMAIL_CHANGE_PER_ACCOUNT, str(account.id)), (EMAIL_CHANGE_PER_CLIENT, client_ip)],
        "You have asked to change your email address too many times.",
    )
    if refused:
        return Outcome(errors={FORM: refused})

    base = _base(base_url)
    owner = _owner_of(session, normalized)
    if owner is not None:
        # Same answer as a real request; only whoever reads that mailbox learns anything.
        accounts.notify_already_registered(session, owner, base)
    else:
        secret = tokens.issue_link(
            session,
            purpose=EMAIL_CHANGE,
            email_normalized=normalized,
            account_id=account.id,
            payload={"email": email, "old_email": account.email},
            lifetime=EMAIL_CHANGE_LIFETIME,
        )
        notifications.enqueue_email(
            session, to=email, template="confirm_new_email", link=f"{base}/confirm-email-change?token={quote(secret)}"
        )
    audit.record_own(
        session, account, "email_change_requested", ip=client_ip, detail={"address_in_use": owner is not None}
    )
    return Outcome(email=email)


def confirm_email_change(
    session: Session, *, secret: str, client_ip: str = "", base_url: str | None = None
) -> EmailChangeResult:
    """Follow the link sent to the new address. Signed in or not: the link proves the mailbox.

    ``base_url`` (for the reset link in the email to the old address) defaults to settings.base_url.
    """
    result = tokens.consume_link(session, purpose=EMAIL_CHANGE, secret=secret if isinstance(secret, str) else "")
    if result.problem is not None or result.token is None:
        email = tokens.payload(result.token).get("email", "") if result.token else ""
        statuses: dict[tokens.TokenProblem | None, str] = {
            tokens.TokenProblem.EXPIRED: "expired",
            tokens.TokenProblem.USED: "used",
        }
        status = statuses.get(
            result.problem,
            "unknown",
        )
        return EmailChangeResult(status, email)
    token = result.token
    data = tokens.payload(token)
    new_email = data.get("email", "")
    account = session.get(Account, token.account_id) if token.account_id is not None else None
    if account is None or account.status != "active" or not new_email:
        return EmailChangeResult("unknown", new_email)
    owner = _owner_of(session, token.email_normalized)
    if owner is not None and owner.id != account.id:
        return EmailChangeResult("taken", new_email)

    old_email = account.email
    now = utcnow()
    try:
        # A savepoint: if another account takes the address between the check and here, the
        # unique index refuses it and only this change is undone (the used link stays used).
        with session.begin_nested():
            account.email = new_email
            account.email_normalized = token.email_normalized
            account.email_verified_at = now
            account.updated_at = now
            session.add(account)
            session.flush()
    except IntegrityError:
        session.refresh(account)
        return EmailChangeResult("taken", new_email)

    # Other requests are now moot, and a reset code sent to the old address must not still work.
    _revoke(session, id_of(account), (EMAIL_CHANGE, tokens.PASSWORD_RESET))
    notifications.enqueue_email(
        session,
        to=old_email,
        template="email_changed",
        new_email_masked=mask_email(new_email),
        reset_link=f"{_base(base_url)}/forgot-password",
    )
    audit.record_own(session, account, "email_changed", ip=client_ip, detail={"changed": True})
    return EmailChangeResult("changed", new_email)


# Password ----------------------------------------------------------------------------------------


def change_password(
    session: Session,
    identity: sessions.Identity,
    *,
    current_password: str,
    new_password: str,
    client_ip: str,
    base_url: str,
) -> Outcome:
    """ "Change password": check the current one, set the new one, sign out every other browser."""
    account = _account(session, identity)
    if account is None:
        return Outcome(errors={FORM: NO_ACCOUNT})
    if account.password_hash is None:
        return Outcome(errors={FORM: NHS_LOGIN_ONLY})
    current = current_password if isinstance(current_password, str) else ""
    new = new_password if isinstance(new_password, str) else ""

    errors: dict[str, str] = {}
    if not current:
        errors["current_password"] = "Enter your current password"
    problem = passwords.check_password(new, email=account.email)
    if problem:
        errors["new_password"] = problem
    elif new == current:
        errors["new_password"] = "Your new password must be different from your current one"
    if errors:
        return Outcome(errors=errors)

    # Recorded before the check, so parallel guesses can't all slip under the limit.
    refused = _limited(
        session,
        [(PASSWORD_CHANGE_PER_ACCOUNT, str(account.id))],
        "You have entered your current password wrongly too many times.",
    )
    if refused:
        return Outcome(errors={FORM: refused})
    if len(current) > passwords.MAX_LENGTH or not passwords.verify_password(account.password_hash, current):
        audit.record_own(session, account, "password_change_failed", ip=client_ip)
        return Outcome(errors={"current_password": "Your current password is not correct"})

    now = utcnow()
    account.password_hash = passwords.hash_password(new)
    account.password_changed_at = now
    account.updated_at = now
    session.add(account)
    ratelimit.clear(session, PASSWORD_CHANGE_PER_ACCOUNT, str(account.id))
    # If someone else had a session, a change of address or reset they started dies with it.
    password_reset.after_new_password(
        session,
        account,
        action="password_changed",
        client_ip=client_ip,
        base_url=_base(base_url),
        keep_session_id=identity.session_id,
    )
    return Outcome(email=account.email)


# Preferences -------------------------------------------------------------------------------------


def clean_preferred_name(raw: str | None) -> str:
    """Optional; at most 50 characters; otherwise the same rules as a full name (no digits)."""
    text = clean_text(raw, label="preferred name", max_length=50, required=False)
    return clean_full_name(text, field_label="preferred name") if text else ""


def _cleaned(errors: dict[str, str], name: str, clean, value: object, not_text: str) -> str:
    """``clean(value)``, or "" with the field's error noted (also for a value that isn't text)."""
    if not isinstance(value, str):
        errors[name] = not_text
        return ""
    try:
        return clean(value)
    except FieldError as error:
        errors[name] = error.message
        return ""


def _preferences(account: Account, patient: Patient | None) -> Preferences:
    if patient is None:
        return Preferences(notify_by_email=account.notify_by_email, notify_by_sms=account.notify_by_sms)
    return Preferences(
        phone=format_uk_phone(patient.phone_mobile),
        preferred_name=patient.preferred_name,
        residence_status=patient.residence_status if patient.residence_status in RESIDENCE_STATUSES else "",
        has_details=True,
        notify_by_email=account.notify_by_email,
        notify_by_sms=account.notify_by_sms,
    )


def load_preferences(session: Session, identity: sessions.Identity) -> Preferences:
    account = _account(session, identity)
    if account is None:
        return Preferences()
    return _preferences(account, self_patient(session, identity.account_id))


def save_preferences(
    session: Session,
    identity: sessions.Identity,
    *,
    phone: str,
    preferred_name: str,
    residence_status: str,
    notify_by_email: bool = True,
    notify_by_sms: bool = True,
    client_ip: str = "",
) -> Outcome:
    """ "Save changes" on "Your preferences": every field valid, or nothing saved.

    How messages from the practice are announced: email, text message or both, never neither (the
    mobile number is required here; a record without one is told by email: services/inbox/notices.py).
    """
    account = _account(session, identity)
    if account is None:
        return Outcome(errors={FORM: NO_ACCOUNT})
    patient = self_patient(session, id_of(account))
    if patient is None:
        return Outcome(errors={FORM: NO_DETAILS})

    errors: dict[str, str] = {}
    mobile = _cleaned(errors, "phone", clean_mobile, phone, "Enter a UK mobile number, like 07700 900 982")
    name = _cleaned(errors, "preferred_name", clean_preferred_name, preferred_name, "Enter your preferred name")
    if not isinstance(residence_status, str) or residence_status not in RESIDENCE_STATUSES:
        errors["residence_status"] = "Select your residence status"
    by_email, by_sms = notify_by_email is True, notify_by_sms is True  # anything but True is "no"
    if not by_email and not by_sms:
        errors["notify"] = NOTIFY_NONE
    if errors:
        order = ("phone", "preferred_name", "residence_status", "notify")
        return Outcome(errors={k: errors[k] for k in order if k in errors})

    new = {
        "phone": mobile,
        "preferred_name": name,
        "residence_status": residence_status,
        "notify_by_email": by_email,
        "notify_by_sms": by_sms,
    }
    old = {
        "phone": patient.phone_mobile,
        "preferred_name": patient.preferred_name,
        "residence_status": patient.residence_status,
        "notify_by_email": account.notify_by_email,
        "notify_by_sms": account.notify_by_sms,
    }
    changed = [key for key in new if new[key] != old[key]]
    if changed:
        patient.phone_mobile = mobile
        patient.preferred_name = name
        patient.residence_status = residence_status
        patient.updated_at = utcnow()
        session.add(patient)
        account.notify_by_email, account.notify_by_sms = by_email, by_sms
        account.updated_at = utcnow()
        session.add(account)
        audit.record(
            session,
            action="preferences_changed",
            actor_account_id=account.id,
            actor_kind=account.kind,
            account_id=account.id,
            patient_id=patient.id,
            practice_id=patient.practice_id,
            ip=client_ip,
            detail={"fields": changed},
        )
    session.flush()
    return Outcome(preferences=_preferences(account, patient))
