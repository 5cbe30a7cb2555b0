"""What NHS login means for Anima accounts: sign in, create an account from the claims, connect.

- An account is found by its NHS login subject (`sub`) only, never by email: an existing email
  account is linked to NHS login only when its signed-in owner chooses "Connect NHS login".
- A new NHS login user gets an account straight away; what NHS login told us (name, date of
  birth, NHS number, practice) waits server-side for the details form, which asks only for what
  is missing. The NHS number is never shown back to them.
- The flow's `state` and `nonce` are kept server-side, keyed by a hash of the state, and bound to
  the browser tab that started it, so a callback URL can't be replayed or planted in another
  browser (login CSRF).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, col, select

from anima_pwa.models import Account, OneTimeToken, id_of, utcnow
from anima_pwa.services.identity import sessions, tokens
from anima_pwa.services.nhs_login.client import NhsLoginIdentity
from anima_pwa.services.patients import registration
from anima_pwa.services.patients.registration import TrustedIdentity
from anima_pwa.services.platform import audit
from anima_pwa.services.platform.results import FORM, Result, failed
from anima_pwa.services.platform.validation import FieldError, clean_mobile, format_uk_phone, normalize_email
from anima_pwa.services.practice.practices import practice_by_ods_code

FLOW = "nhs_login_flow"
CLAIMS = "nhs_login_claims"
FLOW_LIFETIME = timedelta(minutes=10)
CLAIMS_LIFETIME = timedelta(days=1)

SIGN_IN = "sign_in"
CONNECT = "connect"

EMAIL_IN_USE = (
    "An Anima account already uses the email address on your NHS login. Sign in with that email "
    "address and password, then choose Connect NHS login in Login settings."
)
ALREADY_CONNECTED = "This NHS login is already connected to another Anima account."
DIFFERENT_PERSON = (
    "The NHS login you used belongs to a different person from the one on this Anima account, "
    "so we have not connected it."
)


@dataclass(frozen=True)
class Flow:
    state: str
    nonce: str
    tab_binding: str  # keep in the tab's server-side state; the callback must present it


def tab_binding(state: str) -> str:
    return hashlib.sha256(f"tab:{state}".encode()).hexdigest()


def begin(session: Session, *, mode: str, account_id: int | None, state: str, nonce: str, next_path: str = "") -> Flow:
    """Remember a flow the browser is about to start at NHS login."""
    if mode not in (SIGN_IN, CONNECT) or (mode == CONNECT and account_id is None):
        raise ValueError("unknown NHS login flow")
    # The state is this flow's secret: NHS login sends it back to the callback.
    tokens.issue_link(
        session,
        purpose=FLOW,
        email_normalized="",
        account_id=account_id,
        payload={"nonce": nonce, "mode": mode, "next": next_path},
        lifetime=FLOW_LIFETIME,
        secret=state,
    )
    return Flow(state=state, nonce=nonce, tab_binding=tab_binding(state))


@dataclass(frozen=True)
class PendingFlow:
    nonce: str
    mode: str
    account_id: int | None
    next_path: str


def take_flow(session: Session, *, state: str, binding: str) -> PendingFlow | None:
    """The flow this callback belongs to, used up; None if unknown, used, expired or another tab's."""
    if not binding or tab_binding(state) != binding:
        return None
    result = tokens.consume_link(session, purpose=FLOW, secret=state)
    if not result.ok or result.token is None:
        return None
    data = tokens.payload(result.token)
    return PendingFlow(
        nonce=data.get("nonce", ""),
        mode=data.get("mode", ""),
        account_id=result.token.account_id,
        next_path=data.get("next", ""),
    )


@dataclass(frozen=True)
class NhsOutcome(Result):
    """Fails with the message to show (about the whole sign-in); works with the new session."""

    session_token: str | None = None
    needs_details: bool = False


def sign_in_or_register(
    session: Session, nhs: NhsLoginIdentity, *, client_ip: str = "", user_agent: str = ""
) -> NhsOutcome:
    account = session.exec(select(Account).where(Account.nhs_login_sub == nhs.sub)).first()
    now = utcnow()
    if account is None:
        normalized = normalize_email(nhs.email) if nhs.email else ""
        if len(normalized) > 254:
            return NhsOutcome(
                errors={
                    FORM: "The email address on your NHS login is too long for Anima. Use your email address to sign up instead."
                }
            )
        if not normalized:
            return NhsOutcome(
                errors={FORM: "NHS login did not share an email address, which Anima needs to contact you."}
            )
        if session.exec(select(Account.id).where(Account.email_normalized == normalized)).first() is not None:
            return NhsOutcome(errors={FORM: EMAIL_IN_USE})
        account = Account(
            email=nhs.email or "",
            email_normalized=normalized,
            password_hash=None,
            kind="patient",
            email_verified_at=now if nhs.email_verified else None,
            nhs_login_sub=nhs.sub,
            nhs_login_linked_at=now,
            created_at=now,
            updated_at=now,
        )
        session.add(account)
        session.flush()
        audit.record_own(session, account, "account_created", ip=client_ip, detail={"via": "nhs_login", "vot": nhs.vot})
    elif account.status != "active":
        return NhsOutcome(errors={FORM: "This account has been closed. Contact your practice."})
    elif account.kind != "patient":
        return NhsOutcome(errors={FORM: "Practice staff accounts can't sign in with NHS login."})

    needs_details = registration.self_patient(session, id_of(account)) is None
    if needs_details:
        _keep_claims(session, account, nhs)
    token = sessions.start(session, account, ip=client_ip, user_agent=user_agent, method="nhs_login")
    audit.record_own(session, account, "sign_in", ip=client_ip, detail={"method": "nhs_login", "vot": nhs.vot})
    return NhsOutcome(session_token=token, needs_details=needs_details)


def _keep_claims(session: Session, account: Account, nhs: NhsLoginIdentity) -> None:
    for old in session.exec(
        select(OneTimeToken).where(OneTimeToken.purpose == CLAIMS, OneTimeToken.account_id == account.id)
    ).all():
        session.delete(old)
    # Found again by account, not by secret: the random secret is simply discarded.
    tokens.issue_link(
        session,
        purpose=CLAIMS,
        email_normalized=account.email_normalized,
        account_id=account.id,
        payload={
            "given_name": nhs.given_name,
            "family_name": nhs.family_name,
            "birthdate": nhs.birthdate.isoformat(),
            "nhs_number": nhs.nhs_number,
            "gp_ods_code": nhs.gp_ods_code or "",
            "phone_number": nhs.phone_number or "",
            "vot": nhs.vot,
        },
        lifetime=CLAIMS_LIFETIME,
    )


@dataclass(frozen=True)
class NhsDetails:
    """What NHS login told us, for the details form. `nhs_number` never goes to the browser."""

    full_name: str
    date_of_birth: date
    nhs_number: str
    practice_id: int | None
    practice_name: str
    practice_postcode: str
    mobile: str  # display format, or "" if NHS login's number isn't a UK mobile
    proven: bool = False  # identity proofed to P9: NHS login has proven who they are

    def trusted(self) -> TrustedIdentity:
        """What the details form may rely on without asking."""
        return TrustedIdentity(self.full_name, self.date_of_birth, self.nhs_number, proven=self.proven)


def pending_details(session: Session, account_id: int) -> NhsDetails | None:
    token = session.exec(
        select(OneTimeToken)
        .where(OneTimeToken.purpose == CLAIMS, OneTimeToken.account_id == account_id)
        .order_by(col(OneTimeToken.id).desc())
    ).first()
    if token is None or token.expires_at <= utcnow():
        return None
    data = tokens.payload(token)
    practice = practice_by_ods_code(session, data.get("gp_ods_code", "")) if data.get("gp_ods_code") else None
    if practice is not None and practice.status != "active":
        practice = None
    try:
        mobile = format_uk_phone(clean_mobile(data.get("phone_number", ""))) if data.get("phone_number") else ""
    except FieldError:
        mobile = ""
    return NhsDetails(
        # given_name is optional (scope profile_extended) and kept as JSON null when absent.
        full_name=f"{data.get('given_name') or ''} {data.get('family_name') or ''}".strip()[:200],
        date_of_birth=date.fromisoformat(data["birthdate"]),
        nhs_number=data.get("nhs_number", ""),
        practice_id=practice.id if practice else None,
        practice_name=practice.name if practice else "",
        practice_postcode=practice.postcode if practice else "",
        mobile=mobile,
        proven=str(data.get("vot", "")).startswith("P9."),
    )


def connect(session: Session, who: sessions.Identity, nhs: NhsLoginIdentity, *, client_ip: str = "") -> Result:
    """ "Connect NHS login" from Login settings, by the signed-in owner (fails with the message to show)."""
    account = session.get(Account, who.account_id)
    if account is None or account.kind != "patient":
        return failed("Only patient accounts can connect NHS login.")
    if account.nhs_login_sub == nhs.sub:
        return Result()
    other = session.exec(select(Account.id).where(Account.nhs_login_sub == nhs.sub)).first()
    if other is not None:
        return failed(ALREADY_CONNECTED)
    if account.nhs_login_sub:
        return failed("This account is already connected to a different NHS login.")
    patient = registration.self_patient(session, id_of(account))
    if patient is not None and (
        patient.date_of_birth != nhs.birthdate or (patient.nhs_number and patient.nhs_number != nhs.nhs_number)
    ):
        return failed(DIFFERENT_PERSON)
    now = utcnow()
    account.nhs_login_sub = nhs.sub
    account.nhs_login_linked_at = now
    account.updated_at = now
    session.add(account)
    audit.record_own(session, account, "nhs_login_connected", ip=client_ip)
    session.flush()
    return Result()


def forget_details(session: Session, account_id: int) -> None:
    """Once the details form is saved, what NHS login told us (the NHS number too) isn't kept."""
    for token in session.exec(
        select(OneTimeToken).where(OneTimeToken.purpose == CLAIMS, OneTimeToken.account_id == account_id)
    ).all():
        session.delete(token)
