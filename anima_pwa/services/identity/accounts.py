"""Email accounts: sign-up with a verification link, sign-in, and resetting a password by code.

Sign-up and password reset answer the same way whether or not an email address has an account,
so neither can be used to find out who uses the service. The password is chosen only on the page
the emailed link opens, so whoever controls the inbox sets it (someone who signs up first with
another person's address chooses nothing). The account is created only when a valid password is
set through a valid link, so an unfinished sign-up leaves nothing half-made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from sqlmodel import Session, col, select

from anima_pwa.models import Account, OneTimeToken, utcnow
from anima_pwa.services.identity import devices, mfa, passwords, ratelimit, recovery_codes, sessions, tokens
from anima_pwa.services.identity.ratelimit import Limit
from anima_pwa.services.platform import audit, notifications
from anima_pwa.services.platform.results import FORM, Result
from anima_pwa.services.platform.validation import FieldError, clean_email, normalize_email

# Sign-in throttling (services.identity.devices explains the scheme): unknown devices share a per-account
# count and a per-address count; a known device (its device cookie) has a count of its own, so
# guessing from elsewhere never locks the owner out of the browser they use.
SIGN_IN_PER_ACCOUNT = Limit("sign_in_account", 5, timedelta(minutes=15))
SIGN_IN_PER_CLIENT = Limit("sign_in_client", 20, timedelta(minutes=15))
SIGN_IN_PER_DEVICE = Limit("sign_in_device", 5, timedelta(minutes=15))
SIGN_UP_PER_EMAIL = Limit("sign_up_email", 5, timedelta(hours=1))
SIGN_UP_PER_CLIENT = Limit("sign_up_client", 20, timedelta(hours=1))
RESEND_PER_EMAIL = Limit("verification_resend_email", 3, timedelta(hours=1))
RESEND_PER_CLIENT = Limit("verification_resend_client", 10, timedelta(hours=1))

EMAIL_CHANGE_PURPOSE = "email_change"  # services.identity.account_settings issues these links

WRONG_CREDENTIALS = "The email address or password is not correct"
STAFF_NEEDS_MFA = (
    "Your account needs multi-factor authentication before you can sign in. Use the link in the "
    "email we sent you to set it up, or ask your practice admin for a new link."
)


@dataclass(frozen=True)
class Outcome(Result):
    """What a flow tells the screen: field errors (nothing was saved) or success."""

    session_token: str | None = None  # set by a successful sign-in; for the browser only
    identity: sessions.Identity | None = None
    email: str = ""
    # Password right, MFA on: the browser must answer this challenge (kept server-side) next.
    mfa_challenge: str | None = None


def find_account(session: Session, email: str) -> Account | None:
    return session.exec(select(Account).where(Account.email_normalized == normalize_email(email))).first()


def _too_many(what: str, decision: ratelimit.Decision) -> str:
    return f"{what} {ratelimit.retry_message(decision.retry_after)}"


def limited(session: Session, pairs: list[tuple[Limit, str]], what: str) -> str | None:
    return ratelimit.refusal(session, pairs, what)


def email_or_error(raw: str, errors: dict[str, str]) -> str:
    try:
        return clean_email(raw)
    except FieldError as error:
        errors["email"] = error.message
        return ""


def email_within_limits(
    session: Session, raw_email: str, limits: tuple[Limit, Limit], client_ip: str, what: str
) -> tuple[str, str, Outcome | None]:
    """A well-formed email whose (per-email, per-client) limits allow one more attempt.

    Returns (email as typed, normalised email, None), or a refusal Outcome as the third item.
    """
    errors: dict[str, str] = {}
    email = email_or_error(raw_email, errors)
    if errors:
        return "", "", Outcome(errors=errors)
    normalized = normalize_email(email)
    per_email, per_client = limits
    refused = limited(session, [(per_email, normalized), (per_client, client_ip)], what)
    return email, normalized, Outcome(errors={FORM: refused}) if refused else None


# Sign-up ----------------------------------------------------------------------------------------


def start_sign_up(session: Session, *, email: str, client_ip: str, base_url: str) -> Outcome:
    """ "Continue with Email": email a link whose page asks for the password.

    The answer (and the work done) is the same whether or not the address has an account: a new
    address gets the link, an address with an account gets the "already registered" email.
    """
    email, normalized, refusal = email_within_limits(
        session,
        email,
        (SIGN_UP_PER_EMAIL, SIGN_UP_PER_CLIENT),
        client_ip,
        "You have tried to create an account too many times.",
    )
    if refusal is not None:
        return refusal
    # Links from earlier sign-ups stop working either way: the newest email is the one that counts.
    _revoke_sign_up_links(session, normalized)
    existing = find_account(session, normalized)
    if existing is not None:
        notify_already_registered(session, existing, base_url)
        audit.record(
            session,
            action="sign_up_existing_email",
            actor_account_id=None,
            actor_kind="anonymous",
            account_id=existing.id,
            ip=client_ip,
        )
        return Outcome(email=email)
    _send_verification_link(session, email=email, normalized=normalized, base_url=base_url)
    audit.record(session, action="sign_up_started", actor_account_id=None, actor_kind="anonymous", ip=client_ip)
    return Outcome(email=email)


def notify_already_registered(session: Session, account: Account, base_url: str) -> None:
    """Tell an address that already has an account that someone tried to use it again: the
    page says the same as for a new address, so only whoever reads this mailbox learns anything."""
    notifications.enqueue_email(
        session,
        to=account.email,
        template="already_registered",
        login_link=f"{base_url}/login",
        reset_link=f"{base_url}/forgot-password",
    )


def _revoke_sign_up_links(session: Session, normalized: str) -> None:
    now = utcnow()
    for older in _open_sign_ups(session, normalized):
        older.revoked_at = now
        session.add(older)


def _send_verification_link(session: Session, *, email: str, normalized: str, base_url: str) -> None:
    """Email a new link; any older link for the address stops working, so only the newest email's
    link can be used to choose the password."""
    _revoke_sign_up_links(session, normalized)
    secret = tokens.issue_link(
        session,
        purpose=tokens.EMAIL_VERIFICATION,
        email_normalized=normalized,
        payload={"email": email},
    )
    notifications.enqueue_email(
        session, to=email, template="verify_email", link=f"{base_url}/verify-email?token={quote(secret)}"
    )


def _open_sign_ups(session: Session, normalized: str) -> list[OneTimeToken]:
    return list(
        session.exec(
            select(OneTimeToken)
            .where(
                OneTimeToken.purpose == tokens.EMAIL_VERIFICATION,
                OneTimeToken.email_normalized == normalized,
                col(OneTimeToken.consumed_at).is_(None),
                col(OneTimeToken.revoked_at).is_(None),
            )
            .order_by(col(OneTimeToken.id).desc())
        ).all()
    )


def _pending_sign_up(session: Session, normalized: str) -> OneTimeToken | None:
    """The newest sign-up for this address whose link can still be followed."""
    now = utcnow()
    return next((token for token in _open_sign_ups(session, normalized) if token.expires_at > now), None)


def resend_verification(session: Session, *, email: str, client_ip: str, base_url: str) -> Outcome:
    """Send a fresh link for a sign-up that hasn't been finished; the old link stops working.
    The answer is the same for any address."""
    email, normalized, refusal = email_within_limits(
        session, email, (RESEND_PER_EMAIL, RESEND_PER_CLIENT), client_ip, "We have already sent you several emails."
    )
    if refusal is not None:
        return refusal
    pending = _pending_sign_up(session, normalized)
    if pending is not None and find_account(session, normalized) is None:
        _send_verification_link(
            session, email=tokens.payload(pending).get("email", email), normalized=normalized, base_url=base_url
        )
    return Outcome(email=email)


CHOOSE_PASSWORD = "choose_password"


@dataclass(frozen=True)
class Confirmation(Result):
    """What the page a sign-up link opens shows. ``status``: choose_password (the link is good:
    ask for the password), confirmed (the account has just been made), already (the address has
    an account), expired, used (replaced by a newer link, or used), unknown."""

    status: str
    email: str = ""


_LINK_STATUS: dict[tokens.TokenProblem | None, str] = {
    tokens.TokenProblem.EXPIRED: "expired",
    tokens.TokenProblem.USED: "used",
}


def _sign_up_link(session: Session, secret: str, now: datetime) -> tuple[Confirmation, OneTimeToken | None]:
    found = tokens.peek_link(session, purpose=tokens.EMAIL_VERIFICATION, secret=secret, now=now)
    token = found.token
    email = tokens.payload(token).get("email", "") if token is not None else ""
    if token is not None and find_account(session, token.email_normalized) is not None:
        return Confirmation("already", email), None
    if found.problem is not None or token is None:
        return Confirmation(_LINK_STATUS.get(found.problem, "unknown"), email), None
    return Confirmation(CHOOSE_PASSWORD, email), token


def check_sign_up_link(session: Session, *, secret: str, now: datetime | None = None) -> Confirmation:
    """Open a sign-up link without using it: a reload of the page keeps the person's place."""
    confirmation, _token = _sign_up_link(session, secret or "", now or utcnow())
    return confirmation


def complete_sign_up(
    session: Session, *, secret: str, password: str, client_ip: str = "", now: datetime | None = None
) -> Confirmation:
    """ "Create account" on the link's page: the account is made, with this password, only now.

    A password the rules refuse is reported at the field and leaves the link usable.
    """
    now = now or utcnow()
    confirmation, token = _sign_up_link(session, secret or "", now)
    if token is None:
        return confirmation
    problem = passwords.check_password(password, email=confirmation.email or None)
    if problem:
        return Confirmation(CHOOSE_PASSWORD, confirmation.email, errors={"password": problem})
    password_hash = passwords.hash_password(password)
    # Only one of two tabs submitting the same link gets past this (a conditional update).
    used = tokens.consume_link(session, purpose=tokens.EMAIL_VERIFICATION, secret=secret, now=now)
    if find_account(session, token.email_normalized) is not None:
        return Confirmation("already", confirmation.email)
    if not used.ok or used.token is None:
        return Confirmation(_LINK_STATUS.get(used.problem, "unknown"), confirmation.email)
    account = Account(
        email=confirmation.email,
        email_normalized=token.email_normalized,
        password_hash=password_hash,
        kind="patient",
        email_verified_at=now,
        password_changed_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(account)
    session.flush()
    _revoke_sign_up_links(session, account.email_normalized)  # any other links are now pointless
    audit.record_own(session, account, "account_created", ip=client_ip)
    return Confirmation("confirmed", account.email)


def resend_for_expired_link(session: Session, *, secret: str, client_ip: str, base_url: str) -> Outcome:
    """ "Send a new link" from an expired link's page, without asking for the email again."""
    result = tokens.peek_link(session, purpose=tokens.EMAIL_VERIFICATION, secret=secret)
    if result.token is None or result.problem != tokens.TokenProblem.EXPIRED:
        return Outcome(errors={FORM: "This link can't be used to send a new one. Start again from the sign-up page."})
    data = tokens.payload(result.token)
    normalized = result.token.email_normalized
    refused = limited(
        session,
        [(RESEND_PER_EMAIL, normalized), (RESEND_PER_CLIENT, client_ip)],
        "We have already sent you several emails.",
    )
    if refused:
        return Outcome(errors={FORM: refused})
    if find_account(session, normalized) is None:
        result.token.revoked_at = utcnow()
        session.add(result.token)
        _send_verification_link(session, email=data["email"], normalized=normalized, base_url=base_url)
    return Outcome(email=data.get("email", ""))


# Sign-in ----------------------------------------------------------------------------------------


def sign_in(
    session: Session,
    *,
    email: str,
    password: str,
    client_ip: str,
    user_agent: str = "",
    kind: str = "patient",
    device_cookie: str = "",
) -> Outcome:
    """Check an email and password. `device_cookie` is the browser's device cookie (see
    services.identity.devices): a known device is throttled on its own, an unknown one with every other."""
    errors: dict[str, str] = {}
    if not email.strip():
        errors["email"] = "Enter your email address"
    if not password:
        errors["password"] = "Enter your password"
    if errors:
        return Outcome(errors=errors)
    if len(email) > 254 or len(password) > passwords.MAX_LENGTH:
        return Outcome(errors={FORM: WRONG_CREDENTIALS})
    normalized = normalize_email(email)

    # The attempt is recorded before the password is checked, so parallel guesses can't all slip
    # under the limit (a success clears it). Per client, only failures count, so a busy shared
    # connection (a surgery's Wi-Fi) isn't locked out by people signing in correctly.
    device = devices.trusted_entry(device_cookie, normalized)
    if device is not None:
        throttle: tuple[Limit, str] = (SIGN_IN_PER_DEVICE, device)
        decisions = [ratelimit.hit(session, SIGN_IN_PER_DEVICE, device)]
    else:
        throttle = (SIGN_IN_PER_ACCOUNT, normalized)
        decisions = [
            ratelimit.hit(session, SIGN_IN_PER_ACCOUNT, normalized),
            ratelimit.check(session, SIGN_IN_PER_CLIENT, client_ip),
        ]
    for decision in decisions:
        if not decision.allowed:
            return Outcome(errors={FORM: _too_many("Too many attempts to sign in.", decision)})

    account = find_account(session, normalized)
    if account is None or account.password_hash is None:
        # An unfinished sign-up has no password yet: answered like any unknown address, so sign-in
        # never tells anyone which addresses have an account or a sign-up under way.
        passwords.verify_against_dummy(password)
        return _failed(session, client_ip, account, known_device=device is not None)
    if not passwords.verify_password(account.password_hash, password):
        return _failed(session, client_ip, account, known_device=device is not None)
    if account.status != "active":
        return Outcome(errors={FORM: "This account has been closed. Contact your practice."})
    if account.kind != kind:
        where = "the practice workspace" if account.kind == "staff" else "the patient sign-in page"
        return Outcome(errors={FORM: f"This account can't sign in here. Use {where}."})

    ratelimit.clear(session, *throttle)
    if passwords.needs_rehash(account.password_hash):
        account.password_hash = passwords.hash_password(password)
    if mfa.is_enabled(account):
        challenge = tokens.issue_link(
            session,
            purpose=MFA_CHALLENGE,
            email_normalized=account.email_normalized,
            account_id=account.id,
            lifetime=MFA_CHALLENGE_LIFETIME,
        )
        return Outcome(email=account.email, mfa_challenge=challenge)
    if account.kind == "staff":
        # Staff enrol MFA only through the link emailed to them (services.practice.staff), never by being
        # the first to sign in with the password; until then there is nothing to sign in to.
        return Outcome(errors={FORM: STAFF_NEEDS_MFA})
    return _signed_in(session, account, client_ip=client_ip, user_agent=user_agent, method="password")


def _signed_in(session: Session, account: Account, *, client_ip: str, user_agent: str, method: str) -> Outcome:
    token = sessions.start(session, account, ip=client_ip, user_agent=user_agent, method=method)
    identity = sessions.resolve(session, token)
    audit.record_own(session, account, "sign_in", ip=client_ip, detail={"method": method})
    return Outcome(session_token=token, identity=identity, email=account.email)


MFA_CHALLENGE = "mfa_challenge"
MFA_CHALLENGE_LIFETIME = timedelta(minutes=5)
MFA_EXPIRED = "Your sign-in has timed out. Enter your email address and password again"


def complete_mfa_sign_in(
    session: Session,
    *,
    challenge: str,
    code: str = "",
    recovery_code: str = "",
    client_ip: str = "",
    user_agent: str = "",
) -> Outcome:
    """The second step of signing in: a code from the authenticator app, or a recovery code."""
    found = tokens.peek_link(session, purpose=MFA_CHALLENGE, secret=challenge or "")
    account = session.get(Account, found.token.account_id) if found.ok and found.token else None
    if account is None or account.status != "active" or not mfa.is_enabled(account):
        return Outcome(errors={FORM: MFA_EXPIRED})
    # The challenge stands for "the password was right": not once the password has changed since.
    challenged_at = found.token.created_at if found.token is not None else None
    if account.password_changed_at is not None and (
        challenged_at is None or challenged_at < account.password_changed_at
    ):
        return Outcome(errors={FORM: MFA_EXPIRED})
    if recovery_code or not code:
        field_name = "recovery_code" if recovery_code else "code"
        problem = (
            recovery_codes.use_recovery_code(session, account, recovery_code, client_ip=client_ip)
            if recovery_code
            else "Enter the 6-digit code from your authenticator app"
        )
    else:
        field_name = "code"
        problem = mfa.verify_code(session, account, code, client_ip=client_ip)
    if problem:
        return Outcome(errors={field_name: problem})
    if not tokens.consume_link(session, purpose=MFA_CHALLENGE, secret=challenge).ok:
        return Outcome(errors={FORM: MFA_EXPIRED})
    if recovery_code:
        audit.record_own(session, account, "mfa_recovery_code_used", ip=client_ip)
    return _signed_in(session, account, client_ip=client_ip, user_agent=user_agent, method="password+mfa")


def _failed(session: Session, client_ip: str, account: Account | None, *, known_device: bool = False) -> Outcome:
    if not known_device:  # a known device's failures are counted against that device alone
        ratelimit.hit(session, SIGN_IN_PER_CLIENT, client_ip)
    audit.record(
        session,
        action="sign_in_failed",
        actor_account_id=None,
        actor_kind="anonymous",
        account_id=account.id if account else None,
        ip=client_ip,
        detail={"known_device": known_device},
    )
    return Outcome(errors={FORM: WRONG_CREDENTIALS})


def sign_out(session: Session, token: str | None, *, client_ip: str = "") -> None:
    identity = sessions.resolve(session, token)
    sessions.end(session, token)
    if identity is not None:
        audit.record(
            session,
            action="sign_out",
            actor_account_id=identity.account_id,
            actor_kind=identity.kind,
            account_id=identity.account_id,
            ip=client_ip,
        )


# What the settings screens show about how an account signs in -------------------------------


@dataclass(frozen=True)
class LoginSummary:
    email: str
    has_password: bool
    nhs_login_connected: bool
    mfa_enabled: bool
    recovery_codes_left: int


def account_for(session: Session, identity: sessions.Identity) -> Account | None:
    """The signed-in person's own account row (for services that take an Account)."""
    account = session.get(Account, identity.account_id)
    return account if account is not None and account.status == "active" else None


def login_summary(session: Session, identity: sessions.Identity) -> LoginSummary | None:
    account = account_for(session, identity)
    if account is None:
        return None
    enabled = mfa.is_enabled(account)
    return LoginSummary(
        email=account.email,
        has_password=account.password_hash is not None,
        nhs_login_connected=account.nhs_login_sub is not None,
        mfa_enabled=enabled,
        recovery_codes_left=recovery_codes.recovery_codes_left(session, account) if enabled else 0,
    )
