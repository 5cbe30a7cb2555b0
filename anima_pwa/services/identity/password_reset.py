"""Resetting a forgotten password with a 6-digit code sent by email ("Forgot your password" ->
"Send password reset code"), and what follows any new password (a reset, or a change in Login
settings): every other session ends, open links and codes stop working, the owner is told, and it
is audited.

The request answers the same way whether or not the address has an account; codes are single-use,
last 10 minutes and allow 5 tries (services.identity.tokens).
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import Session

from anima_pwa.models import Account, id_of, utcnow
from anima_pwa.services.identity import passwords, ratelimit, sessions, tokens
from anima_pwa.services.identity.accounts import (
    EMAIL_CHANGE_PURPOSE,
    FORM,
    SIGN_IN_PER_ACCOUNT,
    Outcome,
    email_or_error,
    email_within_limits,
    find_account,
    limited,
)
from anima_pwa.services.identity.ratelimit import Limit
from anima_pwa.services.platform import audit, notifications
from anima_pwa.services.platform.validation import normalize_email

RESET_REQUEST_PER_EMAIL = Limit("reset_request_email", 3, timedelta(minutes=15))
RESET_REQUEST_PER_CLIENT = Limit("reset_request_client", 10, timedelta(hours=1))
CODE_ENTRY_PER_CLIENT = Limit("code_entry_client", 20, timedelta(minutes=15))


def request_password_reset(session: Session, *, email: str, client_ip: str) -> Outcome:
    """ "Send password reset code": a 6-digit code by email, if the address has an account."""
    email, normalized, refusal = email_within_limits(
        session,
        email,
        (RESET_REQUEST_PER_EMAIL, RESET_REQUEST_PER_CLIENT),
        client_ip,
        "You have asked for too many codes.",
    )
    if refusal is not None:
        return refusal
    account = find_account(session, normalized)
    if account is not None and account.status == "active":
        code = tokens.issue_code(
            session, purpose=tokens.PASSWORD_RESET, email_normalized=normalized, account_id=account.id
        )
        notifications.enqueue_email(session, to=account.email, template="password_reset_code", code=code)
        audit.record(
            session,
            action="password_reset_requested",
            actor_account_id=None,
            actor_kind="anonymous",
            account_id=account.id,
            ip=client_ip,
        )
    return Outcome(email=email)


# ASCII digits only: "\d" would also accept other scripts' digits, which can never match and cost a try.
CODE_PATTERN = re.compile(r"^[0-9]{6}$")


def reset_password(
    session: Session, *, email: str, code: str, new_password: str, client_ip: str, base_url: str
) -> Outcome:
    """Check the code, set the new password and sign out everywhere."""
    errors: dict[str, str] = {}
    email = email_or_error(email, errors)
    code = re.sub(r"\s+", "", code or "")
    if not code:
        errors["code"] = "Enter the 6-digit code from your email"
    elif not CODE_PATTERN.match(code):
        errors["code"] = "The code must be 6 numbers"
    problem = passwords.check_password(new_password, email=email or None)
    if problem:
        errors["password"] = problem
    if errors:
        return Outcome(errors=errors)
    refused = limited(session, [(CODE_ENTRY_PER_CLIENT, client_ip)], "Too many codes entered.")
    if refused:
        return Outcome(errors={FORM: refused})

    normalized = normalize_email(email)
    result = tokens.check_code(session, purpose=tokens.PASSWORD_RESET, email_normalized=normalized, code=code)
    if result.problem is not None:
        messages = {
            tokens.TokenProblem.WRONG: "The code is not correct. Check your email and try again"
            + (f" ({tokens.tries_left(result.token)} tries left)" if result.token else ""),
            tokens.TokenProblem.TOO_MANY_TRIES: "You've entered a wrong code too many times. Ask for a new code",
            tokens.TokenProblem.EXPIRED: "This code has expired. Ask for a new code",
        }
        return Outcome(errors={"code": messages.get(result.problem, "This code is not valid. Ask for a new code")})
    account = session.get(Account, result.token.account_id) if result.token else None
    if account is None or account.status != "active":
        return Outcome(errors={"code": "This code is not valid. Ask for a new code"})
    now = utcnow()
    account.password_hash = passwords.hash_password(new_password)
    account.password_changed_at = now
    account.updated_at = now
    session.add(account)
    ratelimit.clear(session, SIGN_IN_PER_ACCOUNT, normalized)
    after_new_password(session, account, action="password_reset", client_ip=client_ip, base_url=base_url)
    return Outcome(email=account.email)


def after_new_password(
    session: Session,
    account: Account,
    *,
    action: str,
    client_ip: str,
    base_url: str,
    keep_session_id: str | None = None,
) -> None:
    """What follows any new password (a reset, or a change in Login settings): every other session
    ends, links and codes someone else may have asked for stop working, the owner is told, and it
    is audited. (Open MFA challenges die too: they are refused once older than the password.)"""
    ended = sessions.end_all(session, id_of(account), except_session_id=keep_session_id)
    tokens.revoke_for_account(session, id_of(account), (EMAIL_CHANGE_PURPOSE, tokens.PASSWORD_RESET))
    notifications.enqueue_email(
        session, to=account.email, template="password_changed", reset_link=f"{base_url}/forgot-password"
    )
    audit.record_own(session, account, action, ip=client_ip, detail={"sessions_ended": ended})
