"""Single-use emailed links and codes.

Only a keyed hash of each secret is stored, so a copy of the database gives nobody a working link
or code. Links are long random strings looked up by hash; codes are 6 digits bound to one email
address and purpose, with a try counter, and issuing a new one revokes the older ones.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlmodel import Session, col, select, update

from anima_pwa.models import OneTimeToken, utcnow
from anima_pwa.settings import settings

EMAIL_VERIFICATION = "email_verification"
PASSWORD_RESET = "password_reset"

LINK_LIFETIME = timedelta(hours=24)
CODE_LIFETIME = timedelta(minutes=10)
CODE_MAX_TRIES = 5


class TokenProblem(Enum):
    UNKNOWN = "unknown"
    WRONG = "wrong"
    EXPIRED = "expired"
    USED = "used"
    TOO_MANY_TRIES = "too_many_tries"


@dataclass(frozen=True)
class TokenResult:
    token: OneTimeToken | None
    problem: TokenProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _digest(purpose: str, secret: str) -> str:
    message = f"{purpose}:{secret}".encode()
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).hexdigest()


def _revoke_open(session: Session, purpose: str, email_normalized: str, now: datetime) -> None:
    open_tokens = session.exec(
        select(OneTimeToken).where(
            OneTimeToken.purpose == purpose,
            OneTimeToken.email_normalized == email_normalized,
            col(OneTimeToken.consumed_at).is_(None),
            col(OneTimeToken.revoked_at).is_(None),
        )
    ).all()
    for token in open_tokens:
        token.revoked_at = now
        session.add(token)


def issue_link(
    session: Session,
    *,
    purpose: str,
    email_normalized: str,
    account_id: int | None = None,
    payload: dict | None = None,
    lifetime: timedelta = LINK_LIFETIME,
    now: datetime | None = None,
    secret: str | None = None,
) -> str:
    """Store a new link token and return its secret (for the email only; never stored).

    `secret` lets a caller use a random value it already has (an OpenID Connect `state`).
    """
    now = now or utcnow()
    secret = secret or secrets.token_urlsafe(32)
    session.add(
        OneTimeToken(
            purpose=purpose,
            secret_hash=_digest(purpose, secret),
            email_normalized=email_normalized,
            account_id=account_id,
            payload=json.dumps(payload or {}),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    return secret


def _state(token: OneTimeToken, now: datetime) -> TokenProblem | None:
    if token.consumed_at is not None or token.revoked_at is not None:
        return TokenProblem.USED
    if token.attempts >= CODE_MAX_TRIES and token.purpose == PASSWORD_RESET:
        return TokenProblem.TOO_MANY_TRIES
    if token.expires_at <= now:
        return TokenProblem.EXPIRED
    return None


def revoke_for_account(
    session: Session, account_id: int, purposes: tuple[str, ...], *, now: datetime | None = None
) -> int:
    """Stop every open link or code of these purposes for an account (e.g. after a password change)."""
    now = now or utcnow()
    found = session.exec(
        select(OneTimeToken).where(
            OneTimeToken.account_id == account_id,
            col(OneTimeToken.purpose).in_(purposes),
            col(OneTimeToken.consumed_at).is_(None),
            col(OneTimeToken.revoked_at).is_(None),
        )
    ).all()
    for token in found:
        token.revoked_at = now
        session.add(token)
    return len(found)


def peek_link(session: Session, *, purpose: str, secret: str, now: datetime | None = None) -> TokenResult:
    """Look a link up without using it."""
    now = now or utcnow()
    if not secret or len(secret) > 200:
        return TokenResult(None, TokenProblem.UNKNOWN)
    token = session.exec(select(OneTimeToken).where(OneTimeToken.secret_hash == _digest(purpose, secret))).first()
    if token is None or token.purpose != purpose:
        return TokenResult(None, TokenProblem.UNKNOWN)
    return TokenResult(token, _state(token, now))


def consume_link(session: Session, *, purpose: str, secret: str, now: datetime | None = None) -> TokenResult:
    """Use a link once. A second use, or a use after expiry, is refused with the reason.

    The update is conditional on the token still being unused, so two tabs following the same
    link at once cannot both succeed.
    """
    now = now or utcnow()
    result = peek_link(session, purpose=purpose, secret=secret, now=now)
    if not result.ok or result.token is None:
        return result
    claimed = session.exec(
        update(OneTimeToken)
        .where(
            col(OneTimeToken.id) == result.token.id,
            col(OneTimeToken.consumed_at).is_(None),
            col(OneTimeToken.revoked_at).is_(None),  # (replaced meanwhile)
        )
        .values(consumed_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return TokenResult(result.token, TokenProblem.USED)
    session.refresh(result.token)
    return TokenResult(result.token, None)


def issue_code(
    session: Session,
    *,
    purpose: str,
    email_normalized: str,
    account_id: int | None,
    lifetime: timedelta = CODE_LIFETIME,
    now: datetime | None = None,
) -> str:
    """A fresh 6-digit code for this email and purpose; older open codes stop working."""
    now = now or utcnow()
    _revoke_open(session, purpose, email_normalized, now)
    code = f"{secrets.randbelow(1_000_000):06d}"
    session.add(
        OneTimeToken(
            purpose=purpose,
            # The salt keeps two accounts that draw the same code from colliding on the index.
            secret_hash=_digest(purpose, f"{email_normalized}:{secrets.token_hex(8)}:{code}"),
            email_normalized=email_normalized,
            account_id=account_id,
            payload=json.dumps({"check": _digest(purpose, f"{email_normalized}:{code}")}),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    return code


def latest_code(session: Session, *, purpose: str, email_normalized: str) -> OneTimeToken | None:
    return session.exec(
        select(OneTimeToken)
        .where(OneTimeToken.purpose == purpose, OneTimeToken.email_normalized == email_normalized)
        .order_by(col(OneTimeToken.id).desc())
    ).first()


def check_code(
    session: Session, *, purpose: str, email_normalized: str, code: str, now: datetime | None = None
) -> TokenResult:
    """Count a try at the newest code for this email; succeed (and use it up) only when it matches."""
    now = now or utcnow()
    token = latest_code(session, purpose=purpose, email_normalized=email_normalized)
    if token is None:
        return TokenResult(None, TokenProblem.UNKNOWN)
    problem = _state(token, now)
    if problem is not None:
        return TokenResult(token, problem)
    # Count the try first, atomically, so parallel guesses cannot exceed the limit.
    counted = session.exec(
        update(OneTimeToken)
        .where(
            col(OneTimeToken.id) == token.id,
            col(OneTimeToken.attempts) < CODE_MAX_TRIES,
            col(OneTimeToken.consumed_at).is_(None),
            col(OneTimeToken.revoked_at).is_(None),
        )
        .values(attempts=col(OneTimeToken.attempts) + 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(token)
    if counted.rowcount != 1:
        return TokenResult(token, _state(token, now) or TokenProblem.TOO_MANY_TRIES)
    expected = json.loads(token.payload).get("check", "")
    given = _digest(purpose, f"{email_normalized}:{code.strip()}")
    if not hmac.compare_digest(expected, given):
        exhausted = token.attempts >= CODE_MAX_TRIES
        return TokenResult(token, TokenProblem.TOO_MANY_TRIES if exhausted else TokenProblem.WRONG)
    token.consumed_at = now
    session.add(token)
    session.flush()
    return TokenResult(token, None)


def tries_left(token: OneTimeToken) -> int:
    return max(0, CODE_MAX_TRIES - token.attempts)


def payload(token: OneTimeToken) -> dict:
    return json.loads(token.payload or "{}")
