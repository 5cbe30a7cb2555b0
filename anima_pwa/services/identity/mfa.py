"""Multi-factor authentication with an authenticator app (TOTP): whether an account has it on, its
key, checking a code from the app, and switching it off.

- Set-up (the key, the QR code, confirming with a first code) is ``mfa_setup``;
- single-use recovery codes are ``recovery_codes``.

Checking codes: one time-step of clock drift either side is accepted. The accepted step is stored
in ``Account.mfa_last_step`` with a conditional UPDATE, so a code (or an older one) can't be used
again, even by two requests at the same moment. Attempts are counted per account before the code
is checked (a success clears them); wrong codes from the app and wrong recovery codes share one
limit (``CODE_LIMIT``).

Secrets: the TOTP key is stored only encrypted (Fernet, with a key derived from the app's secret
key by HKDF); recovery codes only as an HMAC. Neither is ever logged or put in the audit trail.

Functions take the caller's session and never commit: the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import delete, or_, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from anima_pwa.models import Account, OneTimeToken, RecoveryCode
from anima_pwa.services.identity import passwords, ratelimit
from anima_pwa.services.platform import audit, clock, crypto
from anima_pwa.services.platform.results import Result, failed

__all__ = [
    "CODE_FORMAT",
    "CODE_LIMIT",
    "CODE_USED",
    "CODE_WRONG",
    "DIGITS",
    "ENTER_CODE",
    "ENTER_PASSWORD",
    "INTERVAL",
    "PASSWORD_WRONG",
    "SETUP_PURPOSE",
    "STAFF_KEEP_ON",
    "TOO_MANY",
    "check_code_format",
    "clean_code",
    "count_attempt",
    "decrypt_secret",
    "disable",
    "encrypt_secret",
    "grouped",
    "is_enabled",
    "matching_steps",
    "open_setups",
    "refuse",
    "revoke_setups",
    "switch_off_for_new_device",
    "verify_code",
]

DIGITS = 6
INTERVAL = 30  # seconds
DRIFT_STEPS = 1  # accept the step before and the step after "now"

SETUP_PURPOSE = "mfa_setup"  # the token purpose of a pending set-up (mfa_setup)

# Wrong codes from the app and wrong recovery codes share one limit, per account.
CODE_LIMIT = ratelimit.Limit("mfa_code_account", 5, timedelta(minutes=15))

# Messages shown by the code field.
ENTER_CODE = "Enter the 6-digit code from your authenticator app"
CODE_FORMAT = "The code must be 6 numbers"
CODE_WRONG = "The code is not correct. Check the time on your phone is right and try the newest code"
CODE_USED = "This code has already been used. Wait for the next one"
TOO_MANY = "Too many attempts."
ENTER_PASSWORD = "Enter your password"
PASSWORD_WRONG = "The password is not correct"
STAFF_KEEP_ON = (
    "Practice staff must keep multi-factor authentication on. If you have a new phone, ask your "
    "practice admin for a new set-up link."
)

# ASCII digits only: "\d" would also accept other scripts' digits, which can never match.
_CODE_PATTERN = re.compile(r"^[0-9]{6}$")


# Encryption at rest


_MFA_PURPOSE = "anima-mfa-secret"  # the HKDF info every stored key was encrypted with


def encrypt_secret(b32: str) -> str:
    """The TOTP key, encrypted (and authenticated) with a key derived from the app's secret key."""
    return crypto.encrypt(_MFA_PURPOSE, b32)


def decrypt_secret(token: str) -> str:
    """The TOTP key back; ValueError if it was not made with this app's secret key."""
    try:
        return crypto.decrypt(_MFA_PURPOSE, token)
    except ValueError:
        raise ValueError("MFA key can't be decrypted: was ANIMA_SECRET_KEY changed?") from None


# Checking codes


def is_enabled(account: Account) -> bool:
    return account.mfa_enabled_at is not None and bool(account.mfa_secret_encrypted)


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL, digest=hashlib.sha1)


def _step(now: datetime) -> int:
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return int(now.timestamp()) // INTERVAL


def matching_steps(secret: str, code: str, now: datetime) -> list[int]:
    """The time-steps around now (oldest first) whose code is ``code``; all compared in constant time."""
    totp = _totp(secret)
    now_step = _step(now)
    matched = []
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * INTERVAL).encode(), code.encode()):
            matched.append(step)
    return matched


def check_code_format(code: str | None) -> str | None:
    """What is wrong with how a code is typed (None if it looks like 6 digits): costs no attempt."""
    return clean_code(code)[1]


def clean_code(code: str | None) -> tuple[str, str | None]:
    """The code without spaces, and what is wrong with its format (None if it looks right)."""
    cleaned = re.sub(r"\s+", "", code or "")
    if not cleaned:
        return cleaned, ENTER_CODE
    if not _CODE_PATTERN.match(cleaned):
        return cleaned, CODE_FORMAT
    return cleaned, None


def grouped(text: str, size: int = 4, sep: str = " ") -> str:
    """A key or code in groups, for reading and typing: "ABCD EFGH ...", "7KQ2-MX9P-4TDV"."""
    return sep.join(text[i : i + size] for i in range(0, len(text), size))


def count_attempt(session: Session, account: Account, now: datetime | None) -> str | None:
    """Record an attempt at a code for this account; the message if it is over the limit."""
    decision = ratelimit.hit(session, CODE_LIMIT, str(account.id), now=now)
    if not decision.allowed:
        return f"{TOO_MANY} {ratelimit.retry_message(decision.retry_after)}"
    return None


def _claim_step(session: Session, account: Account, step: int) -> bool:
    """Record ``step`` as used, only if it is newer than the last one: atomic, so of two requests
    with the same code only one can win."""
    session.flush()
    claimed = session.exec(
        update(Account)
        .where(
            col(Account.id) == account.id,
            or_(col(Account.mfa_last_step).is_(None), col(Account.mfa_last_step) < step),
        )
        .values(mfa_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return False
    set_committed_value(account, "mfa_last_step", step)
    return True


def refuse(session: Session, account: Account, *, kind: str, reason: str, client_ip: str) -> None:
    """Audit a refused code ("app" or "recovery"; "wrong", "used" or "rate_limited"), never the code."""
    audit.record_own(session, account, "mfa_code_refused", ip=client_ip, detail={"kind": kind, "reason": reason})


def _check_totp(session: Session, account: Account, code: str, now: datetime, client_ip: str) -> str | None:
    """Check a well-formed code whose attempt has been counted; claim its step on success."""
    matched = matching_steps(decrypt_secret(account.mfa_secret_encrypted or ""), code, now)
    if not matched:
        refuse(session, account, kind="app", reason="wrong", client_ip=client_ip)
        return CODE_WRONG
    last = account.mfa_last_step
    fresh = [step for step in matched if last is None or step > last]
    # The conditional UPDATE re-checks against the database, whatever this session last read.
    if not fresh or not _claim_step(session, account, fresh[0]):
        refuse(session, account, kind="app", reason="used", client_ip=client_ip)
        return CODE_USED
    ratelimit.clear(session, CODE_LIMIT, str(account.id))
    return None


def verify_code(
    session: Session, account: Account, code: str, *, now: datetime | None = None, client_ip: str = ""
) -> str | None:
    """None if ``code`` is the app's current code (±1 step) and has not been used; else the message."""
    if not is_enabled(account):
        raise ValueError("MFA is not switched on for this account")
    code, problem = clean_code(code)
    if problem:
        return problem
    now = now or clock.utcnow()
    too_many = count_attempt(session, account, now)
    if too_many:
        refuse(session, account, kind="app", reason="rate_limited", client_ip=client_ip)
        return too_many
    return _check_totp(session, account, code, now, client_ip)


# Pending set-ups (started in mfa_setup; switching off ends them)


def open_setups(session: Session, account: Account) -> list[OneTimeToken]:
    """The account's set-ups still waiting for a first code, newest first."""
    return list(
        session.exec(
            select(OneTimeToken)
            .where(
                OneTimeToken.purpose == SETUP_PURPOSE,
                OneTimeToken.account_id == account.id,
                col(OneTimeToken.consumed_at).is_(None),
                col(OneTimeToken.revoked_at).is_(None),
            )
            .order_by(col(OneTimeToken.id).desc())
        ).all()
    )


def revoke_setups(session: Session, account: Account, now: datetime) -> None:
    """End every open set-up, so its key can no longer switch MFA on."""
    for token in open_setups(session, account):
        token.revoked_at = now
        session.add(token)
    session.flush()


# Switching off


def _switch_off(session: Session, account: Account, now: datetime) -> None:
    """The key, the recovery codes and any set-up in progress go; MFA is off."""
    account.mfa_secret_encrypted = None
    account.mfa_enabled_at = None
    account.mfa_last_step = None
    account.updated_at = now
    session.add(account)
    session.flush()
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.account_id) == account.id))
    revoke_setups(session, account, now)


def disable(
    session: Session,
    account: Account,
    *,
    password: str,
    code: str,
    now: datetime | None = None,
    client_ip: str = "",
) -> Result:
    """Switch MFA off with the password and a current code from the app (not a recovery code).
    Fails with field errors ("password", "code"); works when MFA is now off (or already was, e.g.
    switched off in another tab: then nothing is checked or changed)."""
    if not is_enabled(account):
        return Result()
    if account.kind == "staff":  # every staff action needs MFA (permissions.staff_context)
        return failed(STAFF_KEEP_ON)
    errors: dict[str, str] = {}
    if not password:
        errors["password"] = ENTER_PASSWORD
    code, problem = clean_code(code)
    if problem:
        errors["code"] = problem
    if errors:
        return Result(errors=errors)
    now = now or clock.utcnow()
    # One counted attempt covers both the password and the code.
    too_many = count_attempt(session, account, now)
    if too_many:
        refuse(session, account, kind="app", reason="rate_limited", client_ip=client_ip)
        return failed(too_many, "code")
    if len(password) > passwords.MAX_LENGTH or not passwords.verify_password(account.password_hash, password):
        audit.record_own(session, account, "mfa_disable_failed", ip=client_ip)
        return failed(PASSWORD_WRONG, "password")
    problem = _check_totp(session, account, code, now, client_ip)
    if problem:
        return failed(problem, "code")

    _switch_off(session, account, now)
    audit.record_own(session, account, "mfa_disabled", ip=client_ip)
    return Result()


def switch_off_for_new_device(
    session: Session, account: Account, *, now: datetime | None = None, actor: str = "admin_cli"
) -> bool:
    """An administrator's reset for someone who has lost their authenticator: the key and the
    recovery codes go, so a new device can be set up. Returns whether MFA was on. The caller
    ends the account's sessions and sends the new set-up link."""
    if not is_enabled(account):
        return False
    now = now or clock.utcnow()
    _switch_off(session, account, now)
    audit.record(
        session,
        action="mfa_reset",
        actor_account_id=None,
        actor_kind="system",
        account_id=account.id,
        detail={"source": actor},
    )
    return True
