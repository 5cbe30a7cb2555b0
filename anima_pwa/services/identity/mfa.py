"""Multi-factor authentication with an authenticator app (TOTP), and single-use recovery codes.

Setting up: ``start_setup`` makes a new key, keeps it server-side (encrypted, in a 15-minute
``mfa_setup`` token) and returns what the screen shows: a QR code for an ``otpauth://totp`` URI
(issuer "Anima", the account's email, SHA1, 6 digits, 30 seconds; what Google Authenticator
expects) and the key in groups of 4 for typing in. ``confirm_setup`` switches MFA on once a code
from the app matches, and returns ten recovery codes to show once.

Checking codes: one time-step of clock drift either side is accepted. The accepted step is stored
in ``Account.mfa_last_step`` with a conditional UPDATE, so a code (or an older one) can't be used
again, even by two requests at the same moment. Attempts are counted per account before the code
is checked (a success clears them).

Secrets: the TOTP key is stored only encrypted (Fernet, with a key derived from the app's secret
key by HKDF); recovery codes only as an HMAC. Neither is ever logged or put in the audit trail.

Functions take the caller's session and never commit: the caller owns the transaction.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode

import pyotp
import qrcode
import qrcode.image.svg
from qrcode.compat.etree import ET
from sqlalchemy import delete, or_, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, func, select

from anima_pwa.models import Account, OneTimeToken, RecoveryCode, utcnow
from anima_pwa.services.platform import audit, crypto
from anima_pwa.services.identity import passwords, ratelimit, tokens
from anima_pwa.settings import settings

__all__ = [
    "CODE_LIMIT",
    "ConfirmResult",
    "MfaSetup",
    "RECOVERY_CODE_COUNT",
    "SETUP_LIFETIME",
    "SETUP_PURPOSE",
    "check_code_format",
    "confirm_setup",
    "decrypt_secret",
    "disable",
    "encrypt_secret",
    "is_enabled",
    "pending_setup",
    "recovery_codes_left",
    "regenerate_recovery_codes",
    "start_setup",
    "switch_off_for_new_device",
    "use_recovery_code",
    "verify_code",
]

ISSUER = "Anima"
DIGITS = 6
INTERVAL = 30  # seconds
DRIFT_STEPS = 1  # accept the step before and the step after "now"

SETUP_PURPOSE = "mfa_setup"
SETUP_LIFETIME = timedelta(minutes=15)

# Wrong codes from the app and wrong recovery codes share one limit, per account.
CODE_LIMIT = ratelimit.Limit("mfa_code_account", 5, timedelta(minutes=15))

RECOVERY_CODE_COUNT = 10
# Crockford's base32: no I, L, O or U, so nothing reads as another symbol (an O or I/L typed by
# mistake is read as 0 or 1). 12 symbols of 32 = 60 bits.
_RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RECOVERY_LENGTH = 12
_RECOVERY_GROUP = 4
_RECOVERY_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_RECOVERY_SEPARATORS = re.compile(r"[\s\-‐-―−]+")  # spaces and any kind of dash

QR_TITLE = "QR code for your authenticator app"

# Messages shown by the code field.
ENTER_CODE = "Enter the 6-digit code from your authenticator app"
CODE_FORMAT = "The code must be 6 numbers"
CODE_WRONG = "The code is not correct. Check the time on your phone is right and try the newest code"
CODE_USED = "This code has already been used. Wait for the next one"
SETUP_EXPIRED = "Your set-up has expired. Start again"
ALREADY_ON = "Multi-factor authentication is already on. You do not need to set it up again"
TOO_MANY = "Too many attempts."
ENTER_RECOVERY_CODE = "Enter a recovery code"
RECOVERY_FORMAT = "A recovery code is 12 letters and numbers, like 7KQ2-MX9P-4TDV"
RECOVERY_WRONG = "The recovery code is not correct. Check it and try again"
RECOVERY_USED = "This recovery code has already been used. Use one you have not used before"
ENTER_PASSWORD = "Enter your password"
PASSWORD_WRONG = "The password is not correct"
STAFF_KEEP_ON = (
    "Practice staff must keep multi-factor authentication on. If you have a new phone, ask your "
    "practice admin for a new set-up link."
)

# ASCII digits only: "\d" would also accept other scripts' digits, which can never match.
_CODE_PATTERN = re.compile(r"^[0-9]{6}$")


@dataclass(frozen=True)
class MfaSetup:
    """What the set-up screen shows. ``secret`` is for this screen only: never keep it in state
    the browser can read after set-up, and never log it."""

    secret: str = field(repr=False)  # base32, 32 characters
    secret_grouped: str = field(repr=False)  # "ABCD EFGH ...", for typing into the app
    otpauth_uri: str = field(repr=False)
    qr_svg: str = field(repr=False)  # an SVG document
    qr_data_uri: str = field(repr=False)  # the same SVG as data:image/svg+xml;base64,...


@dataclass(frozen=True)
class ConfirmResult:
    """``error`` for the code field, or None and the recovery codes to show once."""

    error: str | None
    recovery_codes: list[str] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        return self.error is None


# Encryption at rest --------------------------------------------------------------------------


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


# Helpers -------------------------------------------------------------------------------------


def is_enabled(account: Account) -> bool:
    return account.mfa_enabled_at is not None and bool(account.mfa_secret_encrypted)


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL, digest=hashlib.sha1)


def _step(now: datetime) -> int:
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return int(now.timestamp()) // INTERVAL


def _matching_steps(secret: str, code: str, now: datetime) -> list[int]:
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
    return _clean_code(code)[1]


def _clean_code(code: str | None) -> tuple[str, str | None]:
    """The code without spaces, and what is wrong with its format (None if it looks right)."""
    cleaned = re.sub(r"\s+", "", code or "")
    if not cleaned:
        return cleaned, ENTER_CODE
    if not _CODE_PATTERN.match(cleaned):
        return cleaned, CODE_FORMAT
    return cleaned, None


def _count_attempt(session: Session, account: Account, now: datetime | None) -> str | None:
    """Record an attempt at a code for this account; the message if it is over the limit."""
    decision = ratelimit.hit(session, CODE_LIMIT, str(account.id), now=now)
    if not decision.allowed:
        return f"{TOO_MANY} {ratelimit.retry_message(decision.retry_after)}"
    return None


def _claim_step(session: Session, account: Account, step: int) -> bool:
    """Record ``step`` as used, only if it is newer than the last one: atomic, so of two requests
    with the same code only one can win."""
    session.flush()
    claimed = session.execute(
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


def _refuse(session: Session, account: Account, *, kind: str, reason: str, client_ip: str) -> None:
    audit.record(
        session,
        action="mfa_code_refused",
        actor_account_id=account.id,
        actor_kind=account.kind,
        account_id=account.id,
        ip=client_ip,
        detail={"kind": kind, "reason": reason},
    )


def _check_totp(session: Session, account: Account, code: str, now: datetime, client_ip: str) -> str | None:
    """Check a well-formed code whose attempt has been counted; claim its step on success."""
    matched = _matching_steps(decrypt_secret(account.mfa_secret_encrypted or ""), code, now)
    if not matched:
        _refuse(session, account, kind="app", reason="wrong", client_ip=client_ip)
        return CODE_WRONG
    last = account.mfa_last_step
    fresh = [step for step in matched if last is None or step > last]
    # The conditional UPDATE re-checks against the database, whatever this session last read.
    if not fresh or not _claim_step(session, account, fresh[0]):
        _refuse(session, account, kind="app", reason="used", client_ip=client_ip)
        return CODE_USED
    ratelimit.clear(session, CODE_LIMIT, str(account.id))
    return None


# Set-up --------------------------------------------------------------------------------------


def _grouped(text: str, size: int = 4, sep: str = " ") -> str:
    return sep.join(text[i : i + size] for i in range(0, len(text), size))


def _otpauth_uri(secret: str, email: str) -> str:
    label = f"{quote(ISSUER)}:{quote(email, safe='@')}"
    query = urlencode(
        {"secret": secret, "issuer": ISSUER, "algorithm": "SHA1", "digits": DIGITS, "period": INTERVAL},
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathFillImage, border=4)
    svg = image.get_image()
    svg.set("role", "img")
    title = ET.Element("title")
    title.text = QR_TITLE
    svg.insert(0, title)
    return ET.tostring(svg, encoding="unicode")


def _open_setups(session: Session, account: Account) -> list[OneTimeToken]:
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


def _revoke_setups(session: Session, account: Account, now: datetime) -> None:
    for token in _open_setups(session, account):
        token.revoked_at = now
        session.add(token)
    session.flush()


def _setup_view(secret: str, email: str) -> MfaSetup:
    uri = _otpauth_uri(secret, email)
    svg = _qr_svg(uri)
    return MfaSetup(
        secret=secret,
        secret_grouped=_grouped(secret),
        otpauth_uri=uri,
        qr_svg=svg,
        qr_data_uri="data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii"),
    )


def start_setup(session: Session, account: Account, *, now: datetime | None = None) -> MfaSetup:
    """A new key for the authenticator app, pending until ``confirm_setup``; replaces any earlier one."""
    if is_enabled(account):
        raise ValueError("MFA is already switched on for this account")
    if account.id is None:
        raise ValueError("the account must be saved first")
    now = now or utcnow()
    _revoke_setups(session, account, now)
    secret = pyotp.random_base32()  # 32 characters: 160 bits
    tokens.issue_link(  # the link secret itself is not needed: the token is found by account
        session,
        purpose=SETUP_PURPOSE,
        email_normalized=account.email_normalized,
        account_id=account.id,
        payload={"secret": encrypt_secret(secret)},
        lifetime=SETUP_LIFETIME,
        now=now,
    )
    return _setup_view(secret, account.email)


def pending_setup(session: Session, account: Account, *, now: datetime | None = None) -> MfaSetup | None:
    """The key ``start_setup`` made, while it can still be confirmed (so a reload of the set-up
    page shows the key the person may already have scanned); None if there is none."""
    if is_enabled(account):
        return None
    now = now or utcnow()
    pending = next(iter(_open_setups(session, account)), None)
    if pending is None or pending.expires_at <= now:
        return None
    return _setup_view(decrypt_secret(tokens.payload(pending).get("secret", "")), account.email)


def confirm_setup(
    session: Session, account: Account, code: str, *, now: datetime | None = None, client_ip: str = ""
) -> ConfirmResult:
    """Switch MFA on if ``code`` matches the pending key; the recovery codes come back once."""
    code, problem = _clean_code(code)
    if problem:
        return ConfirmResult(problem)
    if is_enabled(account):
        return ConfirmResult(ALREADY_ON)
    now = now or utcnow()
    pending = next(iter(_open_setups(session, account)), None)
    if pending is None or pending.expires_at <= now:
        return ConfirmResult(SETUP_EXPIRED)
    too_many = _count_attempt(session, account, now)
    if too_many:
        return ConfirmResult(too_many)
    encrypted = tokens.payload(pending).get("secret", "")
    matched = _matching_steps(decrypt_secret(encrypted), code, now)
    if not matched:
        return ConfirmResult(CODE_WRONG)

    session.flush()
    # Use the pending key once: of two tabs confirming together, only one switches MFA on.
    claimed = session.execute(
        update(OneTimeToken)
        .where(
            col(OneTimeToken.id) == pending.id,
            col(OneTimeToken.consumed_at).is_(None),
            col(OneTimeToken.revoked_at).is_(None),
        )
        .values(consumed_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return ConfirmResult(SETUP_EXPIRED)
    set_committed_value(pending, "consumed_at", now)
    values = {
        "mfa_secret_encrypted": encrypted,
        "mfa_enabled_at": now,
        "mfa_last_step": matched[-1],  # the confirming code can't then be used to sign in
        "updated_at": now,
    }
    switched_on = session.execute(
        update(Account)
        .where(col(Account.id) == account.id, col(Account.mfa_enabled_at).is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if switched_on.rowcount != 1:
        return ConfirmResult(ALREADY_ON)
    for name, value in values.items():
        set_committed_value(account, name, value)
    ratelimit.clear(session, CODE_LIMIT, str(account.id))
    codes = _replace_recovery_codes(session, account, now)
    audit.record(
        session, action="mfa_enabled", actor_account_id=account.id, actor_kind=account.kind, account_id=account.id, ip=client_ip
    )
    return ConfirmResult(None, codes)


# Checking codes ------------------------------------------------------------------------------


def verify_code(
    session: Session, account: Account, code: str, *, now: datetime | None = None, client_ip: str = ""
) -> str | None:
    """None if ``code`` is the app's current code (±1 step) and has not been used; else the message."""
    if not is_enabled(account):
        raise ValueError("MFA is not switched on for this account")
    code, problem = _clean_code(code)
    if problem:
        return problem
    now = now or utcnow()
    too_many = _count_attempt(session, account, now)
    if too_many:
        _refuse(session, account, kind="app", reason="rate_limited", client_ip=client_ip)
        return too_many
    return _check_totp(session, account, code, now, client_ip)


# Recovery codes ------------------------------------------------------------------------------


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    return _grouped(raw, _RECOVERY_GROUP, "-")


def _normalize_recovery_code(code: str) -> str:
    return _RECOVERY_SEPARATORS.sub("", code or "").upper().translate(_RECOVERY_LOOKALIKES)


def _recovery_hash(normalized: str) -> str:
    return hmac.new(settings.secret_key.encode(), normalized.encode(), hashlib.sha256).hexdigest()


def _replace_recovery_codes(session: Session, account: Account, now: datetime) -> list[str]:
    session.flush()
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.account_id) == account.id))
    codes: list[str] = []
    while len(codes) < RECOVERY_CODE_COUNT:
        code = _new_recovery_code()
        if code not in codes:
            codes.append(code)
    for code in codes:
        session.add(
            RecoveryCode(account_id=account.id, code_hash=_recovery_hash(_normalize_recovery_code(code)), created_at=now)
        )
    session.flush()
    return codes


def use_recovery_code(
    session: Session, account: Account, code: str, *, now: datetime | None = None, client_ip: str = ""
) -> str | None:
    """None if ``code`` is one of the account's unused recovery codes (it is then used up); else
    the message. Case, spaces and hyphens don't matter. Shares the limit on wrong codes."""
    if not is_enabled(account):
        raise ValueError("MFA is not switched on for this account")
    normalized = _normalize_recovery_code(code)
    if not normalized:
        return ENTER_RECOVERY_CODE
    if len(normalized) != _RECOVERY_LENGTH or any(ch not in _RECOVERY_ALPHABET for ch in normalized):
        return RECOVERY_FORMAT
    now = now or utcnow()
    too_many = _count_attempt(session, account, now)
    if too_many:
        _refuse(session, account, kind="recovery", reason="rate_limited", client_ip=client_ip)
        return too_many
    code_hash = _recovery_hash(normalized)
    row = session.exec(
        select(RecoveryCode).where(RecoveryCode.account_id == account.id, RecoveryCode.code_hash == code_hash)
    ).first()
    if row is None:
        _refuse(session, account, kind="recovery", reason="wrong", client_ip=client_ip)
        return RECOVERY_WRONG
    session.flush()
    claimed = session.execute(
        update(RecoveryCode)
        .where(col(RecoveryCode.id) == row.id, col(RecoveryCode.used_at).is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        _refuse(session, account, kind="recovery", reason="used", client_ip=client_ip)
        return RECOVERY_USED
    set_committed_value(row, "used_at", now)
    ratelimit.clear(session, CODE_LIMIT, str(account.id))
    return None


def recovery_codes_left(session: Session, account: Account) -> int:
    return session.exec(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.account_id == account.id, col(RecoveryCode.used_at).is_(None))
    ).one()


def regenerate_recovery_codes(
    session: Session, account: Account, *, now: datetime | None = None, client_ip: str = ""
) -> list[str]:
    """Ten new recovery codes to show once; the old ones stop working."""
    if not is_enabled(account):
        raise ValueError("MFA is not switched on for this account")
    now = now or utcnow()
    codes = _replace_recovery_codes(session, account, now)
    audit.record(
        session,
        action="mfa_recovery_codes_regenerated",
        actor_account_id=account.id,
        actor_kind=account.kind,
        account_id=account.id,
        ip=client_ip,
    )
    return codes


# Switching off -------------------------------------------------------------------------------


def disable(
    session: Session,
    account: Account,
    *,
    password: str,
    code: str,
    now: datetime | None = None,
    client_ip: str = "",
) -> dict[str, str]:
    """Switch MFA off with the password and a current code from the app (not a recovery code).
    Returns field errors ("password", "code"); empty when MFA is now off (or already was, e.g.
    switched off in another tab: then nothing is checked or changed)."""
    if not is_enabled(account):
        return {}
    if account.kind == "staff":  # every staff action needs MFA (permissions.staff_context)
        return {"form": STAFF_KEEP_ON}
    errors: dict[str, str] = {}
    if not password:
        errors["password"] = ENTER_PASSWORD
    code, problem = _clean_code(code)
    if problem:
        errors["code"] = problem
    if errors:
        return errors
    now = now or utcnow()
    # One counted attempt covers both the password and the code.
    too_many = _count_attempt(session, account, now)
    if too_many:
        _refuse(session, account, kind="app", reason="rate_limited", client_ip=client_ip)
        return {"code": too_many}
    if len(password) > passwords.MAX_LENGTH or not passwords.verify_password(account.password_hash, password):
        audit.record(
            session,
            action="mfa_disable_failed",
            actor_account_id=account.id,
            actor_kind=account.kind,
            account_id=account.id,
            ip=client_ip,
        )
        return {"password": PASSWORD_WRONG}
    problem = _check_totp(session, account, code, now, client_ip)
    if problem:
        return {"code": problem}

    account.mfa_secret_encrypted = None
    account.mfa_enabled_at = None
    account.mfa_last_step = None
    account.updated_at = now
    session.add(account)
    session.flush()
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.account_id) == account.id))
    _revoke_setups(session, account, now)
    audit.record(
        session, action="mfa_disabled", actor_account_id=account.id, actor_kind=account.kind, account_id=account.id, ip=client_ip
    )
    return {}


def switch_off_for_new_device(
    session: Session, account: Account, *, now: datetime | None = None, actor: str = "admin_cli"
) -> bool:
    """An administrator's reset for someone who has lost their authenticator: the key and the
    recovery codes go, so a new device can be set up. Returns whether MFA was on. The caller
    ends the account's sessions and sends the new set-up link."""
    if not is_enabled(account):
        return False
    now = now or utcnow()
    account.mfa_secret_encrypted = None
    account.mfa_enabled_at = None
    account.mfa_last_step = None
    account.updated_at = now
    session.add(account)
    session.flush()
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.account_id) == account.id))
    _revoke_setups(session, account, now)
    audit.record(
        session,
        action="mfa_reset",
        actor_account_id=None,
        actor_kind="system",
        account_id=account.id,
        detail={"source": actor},
    )
    return True
