"""Single-use recovery codes for multi-factor authentication: ten shown once when MFA is switched
on (``mfa_setup.confirm_setup``) or on request, stored only as an HMAC, and usable at sign-in
instead of a code from the app. Case, spaces and hyphens don't matter when one is typed; wrong
ones share the limit on wrong codes (``mfa.CODE_LIMIT``).

Functions take the caller's session and never commit: the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, func, select

from anima_pwa.models import Account, RecoveryCode, id_of
from anima_pwa.services.identity import ratelimit
from anima_pwa.services.identity.mfa import CODE_LIMIT, count_attempt, grouped, is_enabled, refuse
from anima_pwa.services.platform import audit, clock
from anima_pwa.settings import settings

__all__ = [
    "ENTER_RECOVERY_CODE",
    "RECOVERY_CODE_COUNT",
    "RECOVERY_FORMAT",
    "RECOVERY_USED",
    "RECOVERY_WRONG",
    "recovery_codes_left",
    "regenerate_recovery_codes",
    "replace_recovery_codes",
    "use_recovery_code",
]

RECOVERY_CODE_COUNT = 10
# Crockford's base32: no I, L, O or U, so nothing reads as another symbol (an O or I/L typed by
# mistake is read as 0 or 1). 12 symbols of 32 = 60 bits.
_RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RECOVERY_LENGTH = 12
_RECOVERY_GROUP = 4
_RECOVERY_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_RECOVERY_SEPARATORS = re.compile(r"[\s\-‐-―−]+")  # spaces and any kind of dash

ENTER_RECOVERY_CODE = "Enter a recovery code"
RECOVERY_FORMAT = "A recovery code is 12 letters and numbers, like 7KQ2-MX9P-4TDV"
RECOVERY_WRONG = "The recovery code is not correct. Check it and try again"
RECOVERY_USED = "This recovery code has already been used. Use one you have not used before"


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    return grouped(raw, _RECOVERY_GROUP, "-")


def _normalize_recovery_code(code: str) -> str:
    return _RECOVERY_SEPARATORS.sub("", code or "").upper().translate(_RECOVERY_LOOKALIKES)


def _recovery_hash(normalized: str) -> str:
    return hmac.new(settings.secret_key.encode(), normalized.encode(), hashlib.sha256).hexdigest()


def replace_recovery_codes(session: Session, account: Account, now: datetime) -> list[str]:
    session.flush()
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.account_id) == account.id))
    codes: list[str] = []
    while len(codes) < RECOVERY_CODE_COUNT:
        code = _new_recovery_code()
        if code not in codes:
            codes.append(code)
    for code in codes:
        session.add(
            RecoveryCode(
                account_id=id_of(account), code_hash=_recovery_hash(_normalize_recovery_code(code)), created_at=now
            )
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
    now = now or clock.utcnow()
    too_many = count_attempt(session, account, now)
    if too_many:
        refuse(session, account, kind="recovery", reason="rate_limited", client_ip=client_ip)
        return too_many
    code_hash = _recovery_hash(normalized)
    row = session.exec(
        select(RecoveryCode).where(RecoveryCode.account_id == account.id, RecoveryCode.code_hash == code_hash)
    ).first()
    if row is None:
        refuse(session, account, kind="recovery", reason="wrong", client_ip=client_ip)
        return RECOVERY_WRONG
    session.flush()
    claimed = session.exec(
        update(RecoveryCode)
        .where(col(RecoveryCode.id) == row.id, col(RecoveryCode.used_at).is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        refuse(session, account, kind="recovery", reason="used", client_ip=client_ip)
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
    now = now or clock.utcnow()
    codes = replace_recovery_codes(session, account, now)
    audit.record_own(session, account, "mfa_recovery_codes_regenerated", ip=client_ip)
    return codes
