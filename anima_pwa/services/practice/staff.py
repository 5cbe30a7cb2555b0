"""Practice staff: creating a staff account (admin CLI and demo seed), and enrolling its MFA.

A new member of staff enrols their authenticator app through a single-use, expiring link emailed
to them, never by being the first to sign in with the password (trust on first use would let
whoever learns the password first own the account). The link's page shows the QR code and key
and needs the staff password and a first code from the app; after that they sign in normally,
with the password and a code. A staff account without MFA can't sign in at all
(`accounts.sign_in`). Only a keyed hash of the link is stored (`tokens`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import quote

from sqlalchemy import update
from sqlmodel import Session, col, select

from anima_pwa import settings as settings_module
from anima_pwa.models import Account, OneTimeToken, Practice, StaffMember, id_of, utcnow
from anima_pwa.services.identity import mfa, mfa_setup, passwords, ratelimit, sessions, tokens
from anima_pwa.services.platform import audit, notifications
from anima_pwa.services.platform.results import Result
from anima_pwa.services.platform.validation import clean_email, normalize_email

ROLES = ("receptionist", "clinician", "admin")
EMAIL_TAKEN = "An account already exists for this email address"

ENROLMENT = "staff_mfa_enrolment"  # the token purpose
ENROLMENT_LIFETIME = timedelta(days=3)
ENROLMENT_LIFETIME_TEXT = "3 days"
ENROL_PATH = "/practice/enrol"  # routes.PRACTICE_ENROL
# Wrong passwords (and codes) on the link's page, per account: the page is a password check too.
ENROL_LIMIT = ratelimit.Limit("staff_enrol_account", 5, timedelta(minutes=15))

FORM = "form"
LINK_PROBLEMS = {
    "expired": "This link has expired. Ask your practice admin for a new one.",
    "used": (
        "This link has already been used, or a newer one has been sent. Use the link in the newest "
        "email, or ask your practice admin for a new one."
    ),
    "unknown": (
        "This link is not valid. Check that you opened the whole link from the email, or ask your "
        "practice admin for a new one."
    ),
    "done": (
        "Multi-factor authentication is already set up for this account. Sign in with your "
        "password and a code from your authenticator app."
    ),
}
SETUP_RENEWED = (
    "The QR code had expired, so here is a new one. Scan it (or type the new key), then enter a code from the app"
)


def create_staff(
    session: Session,
    *,
    practice: Practice,
    email: str,
    display_name: str,
    role: str,
    password: str | None,
    base_url: str | None = None,
) -> StaffMember:
    """A staff ``Account`` (email treated as verified) and its ``StaffMember`` at ``practice``,
    and the email with the link that enrols their MFA (to ``base_url``, by default the app's).

    Without a password the account has none and can only be used after a password reset.
    Raises ValueError (or validation.FieldError, a ValueError) for an unknown role, a bad email,
    an email already used by any account (case-insensitively), an empty name or a password that
    the password rules refuse. Flushes; the caller commits.
    """
    if role not in ROLES:
        raise ValueError(f"Role must be one of {', '.join(ROLES)}")
    if practice.id is None:
        raise ValueError("The practice must be saved before staff are added to it")
    email = clean_email(email)
    normalized = normalize_email(email)
    name = " ".join((display_name or "").split())
    if not name:
        raise ValueError("Enter the staff member's name")
    if len(name) > 200:
        raise ValueError("The staff member's name must be 200 characters or fewer")
    if session.exec(select(Account.id).where(Account.email_normalized == normalized)).first():
        raise ValueError(EMAIL_TAKEN)

    password_hash = None
    if password is not None:
        problem = passwords.check_password(password, email=email)
        if problem:
            raise ValueError(problem)
        password_hash = passwords.hash_password(password)

    now = utcnow()
    account = Account(
        email=email,
        email_normalized=normalized,
        password_hash=password_hash,
        kind="staff",
        status="active",
        email_verified_at=now,
        password_changed_at=now if password_hash else None,
        created_at=now,
        updated_at=now,
    )
    session.add(account)
    session.flush()  # the unique index on email_normalized backs up the check above
    member = StaffMember(
        account_id=id_of(account),
        practice_id=practice.id,
        role=role,
        display_name=name,
        active=True,
        created_at=now,
    )
    session.add(member)
    session.flush()
    send_enrolment_link(
        session, account, practice=practice, base_url=base_url or settings_module.settings.base_url, reason="created"
    )
    return member


# Enrolling MFA through the emailed link -----------------------------------------------------------


def send_enrolment_link(
    session: Session, account: Account, *, practice: Practice, base_url: str, reason: str, now: datetime | None = None
) -> None:
    """Email a new single-use enrolment link; older ones stop working. Audited (never the link)."""
    now = now or utcnow()
    revoked = tokens.revoke_for_account(session, id_of(account), (ENROLMENT,), now=now)
    secret = tokens.issue_link(
        session,
        purpose=ENROLMENT,
        email_normalized=account.email_normalized,
        account_id=account.id,
        lifetime=ENROLMENT_LIFETIME,
        now=now,
    )
    notifications.enqueue_email(
        session,
        to=account.email,
        template="staff_mfa_enrolment",
        practice_name=practice.name,
        link=f"{base_url}{ENROL_PATH}?token={quote(secret)}",
        lifetime=ENROLMENT_LIFETIME_TEXT,
    )
    audit.record(
        session,
        action="staff.mfa_link_sent",
        actor_account_id=None,
        actor_kind="system",
        account_id=account.id,
        practice_id=practice.id,
        detail={"reason": reason, "older_links_revoked": revoked},
    )


def reissue_enrolment_link(
    session: Session, *, email: str, base_url: str, reset: bool = False, now: datetime | None = None
) -> StaffMember:
    """The admin CLI's "new link" for a member of staff (the link expired, or the email was lost).

    Someone who already has MFA keeps it unless ``reset`` (a lost phone): then MFA is switched off,
    their sessions end, and the new link is the only way back in. Raises ValueError with the reason
    it can't be done.
    """
    normalized = normalize_email(email or "")
    account = session.exec(
        select(Account).where(Account.email_normalized == normalized, Account.kind == "staff")
    ).first()
    member = (
        session.exec(
            select(StaffMember).where(StaffMember.account_id == account.id, StaffMember.active == True)  # noqa: E712
        ).first()
        if account is not None and account.status == "active"
        else None
    )
    practice = session.get(Practice, member.practice_id) if member is not None else None
    if account is None or member is None or practice is None:
        raise ValueError(f"No active staff account has the email address {email.strip()!r}")
    now = now or utcnow()
    reason = "reissued"
    if mfa.is_enabled(account):
        if not reset:
            raise ValueError(
                f"{account.email} already uses multi-factor authentication. If they have lost their "
                "authenticator app, add --reset: MFA is then switched off for them, and they are "
                "signed out, until they use the new link."
            )
        mfa.switch_off_for_new_device(session, account, now=now)
        sessions.end_all(session, id_of(account))
        reason = "reset"
    send_enrolment_link(session, account, practice=practice, base_url=base_url, reason=reason, now=now)
    return member


@dataclass(frozen=True)
class Enrolment:
    """What the link's page shows: ``status`` ok (with ``setup``, the QR code and key) or one of
    LINK_PROBLEMS' keys (with its ``message``)."""

    status: str
    email: str = ""
    practice_name: str = ""
    message: str = ""
    setup: mfa_setup.MfaSetup | None = field(default=None, repr=False)


@dataclass(frozen=True)
class EnrolOutcome(Result):
    """``errors`` by field (nothing was switched on), or ``enrolled`` with the recovery codes to
    show once. ``setup``: a new QR code to show when the old one had expired."""

    status: str = "ok"
    recovery_codes: list[str] = field(default_factory=list, repr=False)
    setup: mfa_setup.MfaSetup | None = field(default=None, repr=False)

    @property
    def enrolled(self) -> bool:
        return self.status == "enrolled"


_PROBLEM_STATUS = {tokens.TokenProblem.EXPIRED: "expired", tokens.TokenProblem.USED: "used"}


def _link(
    session: Session, secret: str, now: datetime
) -> tuple[str, OneTimeToken | None, Account | None, Practice | None]:
    found = tokens.peek_link(session, purpose=ENROLMENT, secret=secret or "", now=now)
    token = found.token
    account = session.get(Account, token.account_id) if token is not None and token.account_id else None
    member = (
        session.exec(
            select(StaffMember).where(StaffMember.account_id == account.id, StaffMember.active == True)  # noqa: E712
        ).first()
        if account is not None and account.kind == "staff" and account.status == "active"
        else None
    )
    practice = session.get(Practice, member.practice_id) if member is not None else None
    if token is None or account is None or practice is None:
        return "unknown", None, None, None
    if mfa.is_enabled(account):  # set up already (with this link, or before a newer one was used)
        return "done", None, account, practice
    if found.problem is not None:
        return _PROBLEM_STATUS.get(found.problem, "unknown"), None, account, practice
    return "ok", token, account, practice


def open_enrolment(session: Session, *, secret: str, now: datetime | None = None) -> Enrolment:
    """The link's page: the QR code and key to scan (the same ones again after a reload, while
    they can still be confirmed). Uses nothing up."""
    now = now or utcnow()
    status, _token, account, practice = _link(session, secret, now)
    email = account.email if account is not None and status != "unknown" else ""
    name = practice.name if practice is not None and status != "unknown" else ""
    if status != "ok" or account is None:
        return Enrolment(status, email, name, LINK_PROBLEMS[status])
    setup = mfa_setup.pending_setup(session, account, now=now) or mfa_setup.start_setup(session, account, now=now)
    return Enrolment("ok", email, name, setup=setup)


def complete_enrolment(
    session: Session, *, secret: str, password: str, code: str, client_ip: str = "", now: datetime | None = None
) -> EnrolOutcome:
    """ "Turn on MFA" on the link's page: the staff password and a first code from the app switch
    MFA on and use the link up. A wrong password or code is reported at its field and leaves the
    link usable (within ENROL_LIMIT)."""
    errors: dict[str, str] = {}
    if not password:
        errors["password"] = mfa.ENTER_PASSWORD
    problem = mfa.check_code_format(code)
    if problem:
        errors["code"] = problem
    if errors:
        return EnrolOutcome(errors=errors)
    now = now or utcnow()
    status, token, account, _practice = _link(session, secret, now)
    if status != "ok" or token is None or account is None:
        return EnrolOutcome(errors={FORM: LINK_PROBLEMS[status]}, status=status)
    # Hold the link (a row lock on PostgreSQL, the write lock on SQLite) while it is checked and
    # used, so two tabs, or an admin sending a newer link, can't interleave with this.
    held = session.exec(
        update(OneTimeToken)
        .where(
            col(OneTimeToken.id) == token.id,
            col(OneTimeToken.consumed_at).is_(None),
            col(OneTimeToken.revoked_at).is_(None),
        )
        .values(attempts=OneTimeToken.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if held.rowcount != 1:
        return EnrolOutcome(errors={FORM: LINK_PROBLEMS["used"]}, status="used")
    decision = ratelimit.hit(session, ENROL_LIMIT, str(account.id), now=now)
    if not decision.allowed:
        return EnrolOutcome(errors={FORM: f"{mfa.TOO_MANY} {ratelimit.retry_message(decision.retry_after)}"})
    if (
        len(password) > passwords.MAX_LENGTH
        or not account.password_hash
        or not passwords.verify_password(account.password_hash, password)
    ):
        audit.record(
            session, action="staff.mfa_enrol_failed", actor_account_id=None, actor_kind="anonymous",
            account_id=account.id, ip=client_ip, detail={"reason": "password"},
        )  # fmt: skip
        return EnrolOutcome(errors={"password": mfa.PASSWORD_WRONG})
    confirmed = mfa_setup.confirm_setup(session, account, code, now=now, client_ip=client_ip)
    if not confirmed.ok:
        if confirmed.error == mfa_setup.SETUP_EXPIRED:
            return EnrolOutcome(errors={"code": SETUP_RENEWED}, setup=mfa_setup.start_setup(session, account, now=now))
        return EnrolOutcome(errors={"code": confirmed.error or mfa.CODE_WRONG})
    session.execute(
        update(OneTimeToken)
        .where(col(OneTimeToken.id) == token.id)
        .values(consumed_at=now)
        .execution_options(synchronize_session=False)
    )
    tokens.revoke_for_account(session, id_of(account), (ENROLMENT,), now=now)
    ratelimit.clear(session, ENROL_LIMIT, str(account.id))
    sessions.end_all(session, id_of(account))  # any from before MFA
    audit.record_own(session, account, "staff.mfa_enrolled", ip=client_ip, detail={"via": "emailed_link"})
    return EnrolOutcome(status="enrolled", recovery_codes=confirmed.recovery_codes)
