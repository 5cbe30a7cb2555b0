"""Setting up multi-factor authentication with an authenticator app.

``start_setup`` makes a new key, keeps it server-side (encrypted, in a 15-minute ``mfa_setup``
token) and returns what the screen shows: a QR code for an ``otpauth://totp`` URI (issuer
"Anima", the account's email, SHA1, 6 digits, 30 seconds; what Google Authenticator expects) and
the key in groups of 4 for typing in. ``confirm_setup`` switches MFA on once a code from the app
matches, and returns ten recovery codes to show once (``recovery_codes``).

Functions take the caller's session and never commit: the caller owns the transaction.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode

import pyotp
import qrcode
import qrcode.image.svg
from qrcode.compat.etree import ET
from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from anima_pwa.models import Account, OneTimeToken
from anima_pwa.services.identity import ratelimit, tokens
from anima_pwa.services.identity.mfa import (
    CODE_LIMIT,
    CODE_WRONG,
    DIGITS,
    INTERVAL,
    SETUP_PURPOSE,
    clean_code,
    count_attempt,
    decrypt_secret,
    encrypt_secret,
    grouped,
    is_enabled,
    matching_steps,
    open_setups,
    revoke_setups,
)
from anima_pwa.services.identity.recovery_codes import replace_recovery_codes
from anima_pwa.services.platform import audit, clock
from anima_pwa.services.platform.results import Result

__all__ = [
    "ALREADY_ON",
    "ISSUER",
    "QR_TITLE",
    "SETUP_EXPIRED",
    "SETUP_LIFETIME",
    "ConfirmResult",
    "MfaSetup",
    "confirm_setup",
    "pending_setup",
    "start_setup",
]

ISSUER = "Anima"
SETUP_LIFETIME = timedelta(minutes=15)

QR_TITLE = "QR code for your authenticator app"

SETUP_EXPIRED = "Your set-up has expired. Start again"
ALREADY_ON = "Multi-factor authentication is already on. You do not need to set it up again"


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
class ConfirmResult(Result):
    """Fails with the code field's error; works with the recovery codes to show once."""

    recovery_codes: list[str] = field(default_factory=list, repr=False)

    @property
    def error(self) -> str | None:
        """The code field's error (None when MFA is now on)."""
        return self.errors.get("code")


def _refused(message: str) -> ConfirmResult:
    return ConfirmResult(errors={"code": message})


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


def _setup_view(secret: str, email: str) -> MfaSetup:
    uri = _otpauth_uri(secret, email)
    svg = _qr_svg(uri)
    return MfaSetup(
        secret=secret,
        secret_grouped=grouped(secret),
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
    now = now or clock.utcnow()
    revoke_setups(session, account, now)
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
    now = now or clock.utcnow()
    pending = next(iter(open_setups(session, account)), None)
    if pending is None or pending.expires_at <= now:
        return None
    return _setup_view(decrypt_secret(tokens.payload(pending).get("secret", "")), account.email)


def confirm_setup(
    session: Session, account: Account, code: str, *, now: datetime | None = None, client_ip: str = ""
) -> ConfirmResult:
    """Switch MFA on if ``code`` matches the pending key; the recovery codes come back once."""
    code, problem = clean_code(code)
    if problem:
        return _refused(problem)
    if is_enabled(account):
        return _refused(ALREADY_ON)
    now = now or clock.utcnow()
    pending = next(iter(open_setups(session, account)), None)
    if pending is None or pending.expires_at <= now:
        return _refused(SETUP_EXPIRED)
    too_many = count_attempt(session, account, now)
    if too_many:
        return _refused(too_many)
    encrypted = tokens.payload(pending).get("secret", "")
    matched = matching_steps(decrypt_secret(encrypted), code, now)
    if not matched:
        return _refused(CODE_WRONG)

    session.flush()
    # Use the pending key once: of two tabs confirming together, only one switches MFA on.
    claimed = session.exec(
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
        return _refused(SETUP_EXPIRED)
    set_committed_value(pending, "consumed_at", now)
    values = {
        "mfa_secret_encrypted": encrypted,
        "mfa_enabled_at": now,
        "mfa_last_step": matched[-1],  # the confirming code can't then be used to sign in
        "updated_at": now,
    }
    switched_on = session.exec(
        update(Account)
        .where(col(Account.id) == account.id, col(Account.mfa_enabled_at).is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if switched_on.rowcount != 1:
        return _refused(ALREADY_ON)
    for name, value in values.items():
        set_committed_value(account, name, value)
    ratelimit.clear(session, CODE_LIMIT, str(account.id))
    codes = replace_recovery_codes(session, account, now)
    audit.record_own(session, account, "mfa_enabled", ip=client_ip)
    return ConfirmResult(recovery_codes=codes)
