"""The emailed "Set your password" link, for an account the practice created ("Create New Patient
Account", ``services.practice.account_creation``): single-use, valid for 24 hours. Following it
sets the password and proves the address, so the email counts as verified from then on.

Every function takes the caller's Session and never commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from anima_pwa.models import Account, id_of
from anima_pwa.services.identity import passwords, tokens
from anima_pwa.services.identity.accounts import FORM
from anima_pwa.services.platform import audit, clock
from anima_pwa.services.platform.results import Result

__all__ = [
    "LINK_PROBLEMS",
    "SET_PASSWORD",
    "SetPasswordOutcome",
    "SetPasswordStatus",
    "peek_set_password",
    "set_password",
]

SET_PASSWORD = "set_password"  # the token purpose of the emailed "set your password" link


LINK_PROBLEMS = {
    "expired": (
        "This link has expired. Use 'Forgot your password?' on the sign-in page to get a code and set "
        "your password, or ask your practice for help"
    ),
    "used": (
        "This link has already been used. Sign in with your email address and password, or use "
        "'Forgot your password?' on the sign-in page"
    ),
    "unknown": (
        "This link is not valid. Check you used the whole link from the email, or use 'Forgot your "
        "password?' on the sign-in page"
    ),
}


@dataclass(frozen=True)
class SetPasswordStatus:
    status: str  # ok | expired | used | unknown
    email: str = ""  # the account's address (not for "unknown")

    @property
    def message(self) -> str:
        return LINK_PROBLEMS.get(self.status, "")


@dataclass(frozen=True)
class SetPasswordOutcome(Result):
    email: str = ""


_STATUS = {tokens.TokenProblem.EXPIRED: "expired", tokens.TokenProblem.USED: "used"}


def _link(session: Session, secret: object, *, consume: bool) -> tuple[str, Account | None]:
    """(status, the link's account) for a set-password link; "unknown" when the account is gone,
    closed, or no longer uses the address the link was sent to."""
    secret = secret if isinstance(secret, str) else ""
    lookup = tokens.consume_link if consume else tokens.peek_link
    result = lookup(session, purpose=SET_PASSWORD, secret=secret)
    token = result.token
    account = session.get(Account, token.account_id) if token is not None and token.account_id is not None else None
    if (
        token is None
        or account is None
        or account.status != "active"
        or account.email_normalized != token.email_normalized
    ):
        return "unknown", None
    if result.problem is not None:
        return _STATUS.get(result.problem, "unknown"), account
    return "ok", account


def peek_set_password(session: Session, secret: str) -> SetPasswordStatus:
    """What the link's page shows before anything is typed: "Set a password for jo@example.com"."""
    status, account = _link(session, secret, consume=False)
    return SetPasswordStatus(status, account.email if account else "")


def set_password(session: Session, *, secret: str, new_password: str, client_ip: str) -> SetPasswordOutcome:
    """The emailed link's form: check the password, use the link once, set the password.

    Following the link proves the address, so the email counts as verified from now on.
    A refused password leaves the link usable.
    """
    status, account = _link(session, secret, consume=False)
    if status != "ok" or account is None:
        return SetPasswordOutcome(errors={FORM: LINK_PROBLEMS[status]}, email=account.email if account else "")
    problem = passwords.check_password(new_password, email=account.email)
    if problem:
        return SetPasswordOutcome(errors={"password": problem}, email=account.email)
    password_hash = passwords.hash_password(new_password)
    status, account = _link(session, secret, consume=True)  # only one of two tabs gets here
    if status != "ok" or account is None:
        return SetPasswordOutcome(errors={FORM: LINK_PROBLEMS[status]}, email=account.email if account else "")
    now = clock.utcnow()
    account.password_hash = password_hash
    account.password_changed_at = now
    account.updated_at = now
    if account.email_verified_at is None:
        account.email_verified_at = now
    session.add(account)
    tokens.revoke_for_account(session, id_of(account), (SET_PASSWORD,), now=now)
    audit.record_own(session, account, "password_set", ip=client_ip, detail={"email_verified": True})
    return SetPasswordOutcome(email=account.email)
