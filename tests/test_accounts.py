"""Email accounts at service level: sign-up by link, sign-in with limits, password reset by code."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from anima_pwa.models import Account, AuditEvent, AuthSession, OneTimeToken, OutboxMessage, RateLimitHit, utcnow
from anima_pwa.services.identity import accounts, password_reset, passwords, sessions, tokens
from anima_pwa.services.identity.accounts import FORM, WRONG_CREDENTIALS, Confirmation
from anima_pwa.services.platform import audit
from tests import factories
from tests.factories import audit_actions, count, link_token, outbox

BASE = "https://anima.example"
IP = "203.0.113.9"
PASSWORD = "Quince-Ladder-81"
NEW_PASSWORD = "Harbour-Violet-27"
LOCKED = "Too many attempts to sign in. Try again in 15 minutes."


pytestmark = pytest.mark.usefixtures("cheap_argon2")  # tests/conftest.py: tiny argon2 parameters


# --- helpers ----------------------------------------------------------------------------------


def link_secret(message: OutboxMessage) -> str:
    return link_token(message, BASE, "/verify-email")


def last_link(db: Session, to: str) -> str:
    return link_secret(outbox(db, "verify_email", to)[-1])


def last_code(db: Session, to: str) -> str:
    body = outbox(db, "password_reset_code", to)[-1].body_text
    (code,) = re.findall(r"\b[0-9]{6}\b", body)
    return code


def counts(db: Session) -> dict[str, int]:
    return {
        m.__name__: count(db, m) for m in (Account, OneTimeToken, OutboxMessage, AuditEvent, RateLimitHit, AuthSession)
    }


def sign_up(db: Session, email: str, ip: str = IP) -> accounts.Outcome:
    """ "Continue with Email"."""
    return accounts.start_sign_up(db, email=email, client_ip=ip, base_url=BASE)


def complete(db: Session, secret: str, password: str = PASSWORD, **kwargs) -> Confirmation:
    """ "Create account" on the page the emailed link opens."""
    return accounts.complete_sign_up(db, secret=secret, password=password, client_ip=IP, **kwargs)


def make_account(db: Session, email: str, password: str = PASSWORD) -> Account:
    """Sign up, follow the link and create the password, the way a person does."""
    assert sign_up(db, email).ok
    assert complete(db, last_link(db, email), password).status == "confirmed"
    account = accounts.find_account(db, email)
    assert account is not None
    return account


def sign_in(
    db: Session, email: str, password: str = PASSWORD, *, kind: str = "patient", ip: str = IP
) -> accounts.Outcome:
    return accounts.sign_in(db, email=email, password=password, client_ip=ip, user_agent="pytest", kind=kind)


def reset(db: Session, email: str, code: str, new_password: str = NEW_PASSWORD) -> accounts.Outcome:
    return password_reset.reset_password(
        db, email=email, code=code, new_password=new_password, client_ip=IP, base_url=BASE
    )


def reset_token(db: Session, email: str) -> OneTimeToken:
    db.flush()
    token = tokens.latest_code(db, purpose=tokens.PASSWORD_RESET, email_normalized=email.lower())
    assert token is not None
    db.refresh(token)
    return token


def expire(db: Session, token: OneTimeToken) -> None:
    token.expires_at = utcnow() - timedelta(minutes=1)
    db.add(token)
    db.flush()


# --- sign-up ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("", "Enter your email address"),
        ("jo@", "Enter an email address in the correct format"),
        ("jo at example.com", "correct format"),
        ("x" * 250 + "@example.com", "254 characters or fewer"),
    ],
)
def test_sign_up_email_errors_save_nothing(db_session, email, expected):
    outcome = sign_up(db_session, email)
    assert outcome.errors.keys() == {"email"} and expected in outcome.errors["email"]
    assert (outcome.session_token, outcome.email) == (None, "")
    assert set(counts(db_session).values()) == {0}  # no token, no email, no audit, no rate-limit hit


def test_sign_up_asks_for_no_password_and_the_link_opens_create_a_password(db_session):
    outcome = sign_up(db_session, "  Jo.Bloggs@Example.com ")
    assert outcome.ok and outcome.email == "Jo.Bloggs@Example.com"
    assert (outcome.session_token, outcome.identity) == (None, None)

    (message,) = outbox(db_session)
    assert (message.template, message.to_address) == ("verify_email", "Jo.Bloggs@Example.com")
    assert "create your password" in message.body_text
    secret = link_secret(message)
    # Nothing is made until a password is set through the link; no password exists anywhere yet.
    assert count(db_session, Account) == 0
    stored = " ".join(str(v) for row in db_session.execute(text("SELECT * FROM one_time_token")).all() for v in row)
    assert secret not in stored and "password" not in stored
    assert "sign_up_started" in audit_actions(db_session)

    # Opening the link (and reloading the page) shows "Create a password" and uses nothing up.
    for _ in range(2):
        assert accounts.check_sign_up_link(db_session, secret=secret) == Confirmation(
            accounts.CHOOSE_PASSWORD, "Jo.Bloggs@Example.com"
        )
    assert count(db_session, Account) == 0

    assert complete(db_session, secret) == Confirmation("confirmed", "Jo.Bloggs@Example.com")
    (account,) = db_session.exec(select(Account)).all()
    assert (account.email, account.email_normalized, account.kind, account.status) == (
        "Jo.Bloggs@Example.com",
        "jo.bloggs@example.com",
        "patient",
        "active",
    )
    assert account.email_verified_at is not None and account.password_changed_at is not None
    assert passwords.verify_password(account.password_hash, PASSWORD)
    created = db_session.exec(select(AuditEvent).where(AuditEvent.action == "account_created")).one()
    assert (created.account_id, created.actor_account_id, created.ip) == (account.id, account.id, IP)
    assert sign_in(db_session, "jo.bloggs@example.com").ok


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("", "Enter a password"),
        ("Qu1ck", "8 characters or more"),
        ("quince-ladder-81", "an upper case letter"),
        ("QUINCE-LADDER-81", "a lower case letter"),
        ("Quince-Ladder", "a number"),
        ("Password1", "too common"),
        ("Jonathan-Quince-1", "must not contain your email"),
    ],
)
def test_a_refused_password_says_why_at_the_field_and_keeps_the_link_usable(db_session, password, expected):
    sign_up(db_session, "jonathan@example.com")
    secret = last_link(db_session, "jonathan@example.com")
    refused = complete(db_session, secret, password)
    assert refused.status == accounts.CHOOSE_PASSWORD and refused.email == "jonathan@example.com"
    assert refused.errors.keys() == {"password"} and expected in refused.errors["password"]
    assert count(db_session, Account) == 0  # nothing half-made
    assert accounts.check_sign_up_link(db_session, secret=secret).status == accounts.CHOOSE_PASSWORD
    assert complete(db_session, secret).status == "confirmed"


def test_the_link_works_once(db_session):
    sign_up(db_session, "jo@example.com")
    secret = last_link(db_session, "jo@example.com")
    assert complete(db_session, secret).status == "confirmed"
    for attempt in (
        complete(db_session, secret, "Other-Ladder-82"),
        accounts.check_sign_up_link(db_session, secret=secret),
    ):
        assert attempt == Confirmation("already", "jo@example.com")
    assert count(db_session, Account) == 1
    assert sign_in(db_session, "jo@example.com").ok  # the first password stands


def test_two_tabs_creating_the_password_at_once_make_one_account(db_session, monkeypatch):
    sign_up(db_session, "jo@example.com")
    secret = last_link(db_session, "jo@example.com")
    token = tokens.peek_link(db_session, purpose=tokens.EMAIL_VERIFICATION, secret=secret).token
    real_hash = passwords.hash_password

    def other_tab_first(password: str) -> str:
        # The other tab uses the link between this one's checks and its update.
        db_session.exec(
            text("UPDATE one_time_token SET consumed_at = CURRENT_TIMESTAMP WHERE id = :i").bindparams(i=token.id)
        )
        return real_hash(password)

    monkeypatch.setattr(passwords, "hash_password", other_tab_first)
    assert complete(db_session, secret).status == "used"
    assert count(db_session, Account) == 0


@pytest.mark.parametrize("secret", ["", "not-a-real-token", "x" * 500])
def test_an_unknown_link(db_session, secret):
    sign_up(db_session, "jo@example.com")
    assert accounts.check_sign_up_link(db_session, secret=secret).status == "unknown"
    assert complete(db_session, secret).status == "unknown"
    assert count(db_session, Account) == 0


def test_two_sign_ups_differing_only_in_case_make_one_account(db_session):
    sign_up(db_session, "Jo@Example.com")
    sign_up(db_session, "jo@example.com")
    first, second = (link_secret(m) for m in outbox(db_session, "verify_email"))
    assert complete(db_session, first).status == "used"  # replaced by the newer email
    assert complete(db_session, second, "Other-Ladder-82").status == "confirmed"
    assert complete(db_session, first).status == "already"
    (account,) = db_session.exec(select(Account)).all()
    assert passwords.verify_password(account.password_hash, "Other-Ladder-82")


def test_signing_up_with_an_existing_email_sends_already_registered_and_answers_the_same(db_session):
    account = make_account(db_session, "Jo@Example.com")
    before = counts(db_session)
    fresh = sign_up(db_session, "new.person@example.com")
    taken = sign_up(db_session, "JO@example.com")
    assert taken.ok
    assert dataclasses.replace(taken, email="") == dataclasses.replace(fresh, email="")
    assert taken.email == "JO@example.com"  # echoed as typed, like any sign-up

    (notice,) = outbox(db_session, "already_registered")
    assert notice.to_address == "Jo@Example.com"  # the account's address, not what was typed
    assert f"{BASE}/login" in notice.body_text and f"{BASE}/forgot-password" in notice.body_text
    assert len(outbox(db_session, "verify_email", "Jo@Example.com")) == 1  # only the original
    assert len(outbox(db_session, "verify_email", "JO@example.com")) == 0
    after = counts(db_session)
    assert after["Account"] == before["Account"] == 1
    assert after["OneTimeToken"] == before["OneTimeToken"] + 1  # only the fresh address got a link
    assert after["OutboxMessage"] == before["OutboxMessage"] + 2  # one email each
    db_session.refresh(account)
    assert passwords.verify_password(account.password_hash, PASSWORD)  # not changed by the attempt
    assert "sign_up_existing_email" in audit_actions(db_session)


def test_sign_up_hashes_no_password_whether_or_not_the_email_has_an_account(db_session, monkeypatch):
    """Timing must not give away who has an account: neither answer does any slow work (the
    password, and its argon2 hash, come only on the link's page)."""
    make_account(db_session, "jo@example.com")
    hashed: list[str] = []
    monkeypatch.setattr(passwords, "hash_password", lambda p: hashed.append(p) or "unused")
    for email in ("jo@example.com", "new.person@example.com"):
        assert sign_up(db_session, email).ok
    assert hashed == []


def test_plus_addressing_makes_different_accounts(db_session):
    accounts_ = [make_account(db_session, e) for e in ("jo@example.com", "jo+a@example.com", "jo+b@example.com")]
    assert len({a.id for a in accounts_}) == 3
    assert accounts.find_account(db_session, "JO+A@EXAMPLE.COM").id == accounts_[1].id


def test_sign_up_is_rate_limited_per_email(db_session):
    for _ in range(5):
        assert sign_up(db_session, "jo@example.com").ok
    refused = sign_up(db_session, "JO@example.com")
    assert refused.errors.keys() == {FORM}
    assert refused.errors[FORM].startswith("You have tried to create an account too many times. Try again in")
    assert len(outbox(db_session, "verify_email")) == 5


def test_expired_link_and_sending_a_new_one(db_session):
    sign_up(db_session, "jo@example.com")
    old = last_link(db_session, "jo@example.com")
    # A link that is still valid can't be used to ask for another.
    assert accounts.resend_for_expired_link(db_session, secret=old, client_ip=IP, base_url=BASE).errors.keys() == {FORM}

    later = utcnow() + timedelta(hours=25)
    assert accounts.check_sign_up_link(db_session, secret=old, now=later) == Confirmation("expired", "jo@example.com")
    assert complete(db_session, old, now=later) == Confirmation("expired", "jo@example.com")
    assert count(db_session, Account) == 0

    expire(db_session, db_session.exec(select(OneTimeToken)).one())
    resent = accounts.resend_for_expired_link(db_session, secret=old, client_ip=IP, base_url=BASE)
    assert resent.ok and resent.email == "jo@example.com"
    new = last_link(db_session, "jo@example.com")
    assert new != old
    assert complete(db_session, old).status in {"used", "expired"}
    assert complete(db_session, new).status == "confirmed"
    assert passwords.verify_password(accounts.find_account(db_session, "jo@example.com").password_hash, PASSWORD)


def test_resend_verification_replaces_the_link_and_sends_nothing_for_strangers(db_session):
    sign_up(db_session, "jo@example.com")
    old = last_link(db_session, "jo@example.com")
    assert accounts.resend_verification(db_session, email="Jo@example.com", client_ip=IP, base_url=BASE).ok
    new = last_link(db_session, "jo@example.com")
    assert new != old
    assert complete(db_session, old).status == "used"
    assert complete(db_session, new).status == "confirmed"

    before = count(db_session, OutboxMessage)
    assert accounts.resend_verification(db_session, email="nobody@example.com", client_ip=IP, base_url=BASE).ok
    assert accounts.resend_verification(db_session, email="jo@example.com", client_ip=IP, base_url=BASE).ok  # done
    assert count(db_session, OutboxMessage) == before


# --- sign-in ----------------------------------------------------------------------------------


def test_sign_in_success_returns_a_session_the_sessions_service_accepts(db_session):
    account = make_account(db_session, "jo@example.com")
    outcome = sign_in(db_session, "  JO@Example.com ")
    assert outcome.ok and outcome.session_token
    identity = sessions.resolve(db_session, outcome.session_token)
    assert identity is not None and identity == outcome.identity
    assert (identity.account_id, identity.kind, identity.email) == (account.id, "patient", "jo@example.com")
    assert account.last_login_at is not None
    event = db_session.exec(select(AuditEvent).where(AuditEvent.action == "sign_in")).one()
    assert (event.account_id, event.actor_kind, event.ip) == (account.id, "patient", IP)


def test_wrong_password_is_refused_and_recorded(db_session):
    account = make_account(db_session, "jo@example.com")
    outcome = sign_in(db_session, "jo@example.com", "Quince-Ladder-82")
    assert outcome.errors == {FORM: WRONG_CREDENTIALS}
    assert (outcome.session_token, outcome.identity) == (None, None)
    assert count(db_session, AuthSession) == 0
    event = db_session.exec(select(AuditEvent).where(AuditEvent.action == "sign_in_failed")).one()
    assert (event.account_id, event.actor_kind) == (account.id, "anonymous")
    buckets = db_session.exec(select(RateLimitHit.bucket).where(RateLimitHit.bucket.startswith("sign_in"))).all()
    assert sorted(buckets) == ["sign_in_account", "sign_in_client"]


def test_unknown_email_gets_the_same_answer(db_session):
    make_account(db_session, "jo@example.com")
    known = sign_in(db_session, "jo@example.com", "Wrong-Ladder-1")
    unknown = sign_in(db_session, "nobody@example.com", "Wrong-Ladder-1")
    assert unknown == known == accounts.Outcome(errors={FORM: WRONG_CREDENTIALS})
    event = db_session.exec(
        select(AuditEvent).where(AuditEvent.action == "sign_in_failed").order_by(AuditEvent.id.desc())
    ).first()
    assert event.account_id is None


@pytest.mark.parametrize(
    ("email", "password", "errors"),
    [
        ("", "", {"email": "Enter your email address", "password": "Enter your password"}),
        ("   ", PASSWORD, {"email": "Enter your email address"}),
        ("jo@example.com", "", {"password": "Enter your password"}),
        ("jo@example.com", "x" * 129, {FORM: WRONG_CREDENTIALS}),
        ("j" * 250 + "@example.com", PASSWORD, {FORM: WRONG_CREDENTIALS}),
    ],
)
def test_sign_in_form_checks(db_session, email, password, errors):
    make_account(db_session, "jo@example.com")
    assert sign_in(db_session, email, password).errors == errors
    assert count(db_session, AuthSession) == 0


@pytest.mark.parametrize(("failures", "allowed"), [(4, True), (5, False), (7, False)])
def test_lockout_after_five_failures_even_with_the_right_password(db_session, failures, allowed):
    make_account(db_session, "jo@example.com")
    for attempt in range(failures):
        expected = WRONG_CREDENTIALS if attempt < 5 else LOCKED  # from the sixth, not even checked
        assert sign_in(db_session, "jo@example.com", "Wrong-Ladder-1").errors == {FORM: expected}
    outcome = sign_in(db_session, "JO@example.com")
    if allowed:
        assert outcome.ok and outcome.session_token
    else:
        assert outcome.errors == {FORM: LOCKED}
        assert outcome.session_token is None and count(db_session, AuthSession) == 0


def test_unknown_emails_are_locked_out_too(db_session):
    for _ in range(5):
        sign_in(db_session, "nobody@example.com", "Wrong-Ladder-1")
    assert sign_in(db_session, "nobody@example.com", "Wrong-Ladder-1").errors == {FORM: LOCKED}


def test_too_many_failures_from_one_client_lock_it_out(db_session):
    make_account(db_session, "jo@example.com")
    for i in range(20):
        sign_in(db_session, f"guess{i}@example.com", "Wrong-Ladder-1", ip="198.51.100.7")
    assert sign_in(db_session, "jo@example.com", ip="198.51.100.7").errors == {FORM: LOCKED}
    assert sign_in(db_session, "jo@example.com", ip="198.51.100.8").ok  # another client is not affected


def test_success_clears_the_failure_count(db_session):
    make_account(db_session, "jo@example.com")
    for _ in range(2):
        for _ in range(4):
            sign_in(db_session, "jo@example.com", "Wrong-Ladder-1")
        assert sign_in(db_session, "jo@example.com").ok  # 8 failures in the window, but cleared after 4


def test_a_sign_up_under_way_is_answered_like_an_unknown_address(db_session):
    """No password exists until the link's page sets one, so sign-in can't (and mustn't) tell a
    sign-up under way from an address nobody uses: that would show a stranger which is which."""
    sign_up(db_session, "jo@example.com")
    for password in (PASSWORD, "Wrong-Ladder-1"):
        pending = sign_in(db_session, "Jo@example.com", password)
        unknown = sign_in(db_session, "nobody@example.com", password)
        assert pending == unknown == accounts.Outcome(errors={FORM: WRONG_CREDENTIALS})
    assert count(db_session, AuthSession) == 0
    complete(db_session, last_link(db_session, "jo@example.com"))
    assert sign_in(db_session, "jo@example.com").ok


def staff_account(db: Session, email: str = "gp@practice.example") -> Account:
    return factories.make_account(db, email, kind="staff", password=PASSWORD)


@pytest.mark.parametrize(
    ("account_kind", "path", "message"),
    [
        ("staff", "patient", "This account can't sign in here. Use the practice workspace."),
        ("patient", "staff", "This account can't sign in here. Use the patient sign-in page."),
        ("staff", "staff", accounts.STAFF_NEEDS_MFA),  # staff without MFA: tests/test_staff_enrolment.py
        ("patient", "patient", None),
    ],
)
def test_accounts_sign_in_only_on_their_own_path(db_session, account_kind, path, message):
    account = staff_account(db_session) if account_kind == "staff" else make_account(db_session, "jo@example.com")
    outcome = sign_in(db_session, account.email, kind=path)
    if message:
        assert outcome.errors == {FORM: message}
        assert outcome.session_token is None and count(db_session, AuthSession) == 0
    else:
        assert outcome.ok and outcome.identity.kind == account_kind


def test_closed_account_and_account_without_password(db_session):
    closed = make_account(db_session, "jo@example.com")
    closed.status = "disabled"
    db_session.add(closed)
    db_session.add(Account(email="nhs@example.com", email_normalized="nhs@example.com", password_hash=None))
    db_session.flush()
    assert sign_in(db_session, "jo@example.com").errors == {
        FORM: "This account has been closed. Contact your practice."
    }
    assert sign_in(db_session, "jo@example.com", "Wrong-Ladder-1").errors == {FORM: WRONG_CREDENTIALS}
    assert sign_in(db_session, "nhs@example.com").errors == {FORM: WRONG_CREDENTIALS}
    assert count(db_session, AuthSession) == 0


def test_sign_out_ends_the_session(db_session):
    make_account(db_session, "jo@example.com")
    token = sign_in(db_session, "jo@example.com").session_token
    accounts.sign_out(db_session, token, client_ip=IP)
    assert sessions.resolve(db_session, token) is None
    assert audit_actions(db_session)[-1] == "sign_out"


# --- password reset ---------------------------------------------------------------------------


def test_reset_request_for_an_unknown_email_answers_ok_and_sends_nothing(db_session):
    make_account(db_session, "jo@example.com")
    before = counts(db_session)
    outcome = password_reset.request_password_reset(db_session, email="Nobody@example.com", client_ip=IP)
    assert outcome == accounts.Outcome(email="Nobody@example.com")
    after = counts(db_session)
    assert (after["OutboxMessage"], after["OneTimeToken"], after["AuditEvent"]) == (
        before["OutboxMessage"],
        before["OneTimeToken"],
        before["AuditEvent"],
    )


def test_reset_request_sends_a_code(db_session):
    account = make_account(db_session, "Jo@Example.com")
    outcome = password_reset.request_password_reset(db_session, email="jo@example.com", client_ip=IP)
    assert outcome == accounts.Outcome(email="jo@example.com")
    (message,) = outbox(db_session, "password_reset_code")
    assert message.to_address == "Jo@Example.com"
    assert re.fullmatch(r"[0-9]{6}", last_code(db_session, "Jo@Example.com"))
    assert reset_token(db_session, "jo@example.com").account_id == account.id


def test_reset_request_checks_the_email(db_session):
    outcome = password_reset.request_password_reset(db_session, email="not an email", client_ip=IP)
    assert outcome.errors.keys() == {"email"}


@pytest.fixture
def with_code(db_session) -> tuple[Account, str]:
    account = make_account(db_session, "jo@example.com")
    password_reset.request_password_reset(db_session, email="jo@example.com", client_ip=IP)
    return account, last_code(db_session, "jo@example.com")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the 6-digit code from your email"),
        ("12345", "The code must be 6 numbers"),
        ("1234567", "The code must be 6 numbers"),
        ("12a456", "The code must be 6 numbers"),
        ("١٢٣٤٥٦", "The code must be 6 numbers"),  # Arabic-Indic digits are not the code
    ],
)
def test_reset_code_format_costs_no_try(db_session, with_code, typed, message):
    outcome = reset(db_session, "jo@example.com", typed)
    assert outcome.errors == {"code": message}
    assert reset_token(db_session, "jo@example.com").attempts == 0


def test_wrong_code_says_how_many_tries_are_left(db_session, with_code):
    _, code = with_code
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        assert reset(db_session, "jo@example.com", wrong).errors == {
            "code": f"The code is not correct. Check your email and try again ({left} tries left)"
        }
    too_many = "You've entered a wrong code too many times. Ask for a new code"
    assert reset(db_session, "jo@example.com", wrong).errors == {"code": too_many}
    assert reset(db_session, "jo@example.com", code).errors == {"code": too_many}


def test_expired_code(db_session, with_code):
    _, code = with_code
    expire(db_session, reset_token(db_session, "jo@example.com"))
    assert reset(db_session, "jo@example.com", code).errors == {"code": "This code has expired. Ask for a new code"}


def test_code_for_another_email_does_not_reset(db_session, with_code):
    _, code = with_code
    make_account(db_session, "sam@example.com")
    assert reset(db_session, "sam@example.com", code).errors.keys() == {"code"}
    assert sign_in(db_session, "sam@example.com").ok


def test_reset_sets_the_password_ends_sessions_and_tells_the_person(db_session, with_code):
    account, code = with_code
    open_tokens = [sign_in(db_session, "jo@example.com").session_token for _ in range(2)]
    outcome = reset(db_session, "JO@example.com", f" {code[:3]} {code[3:]} ")  # spaces are ignored
    assert outcome.ok and outcome.email == "jo@example.com"
    assert all(sessions.resolve(db_session, t) is None for t in open_tokens)
    (changed,) = outbox(db_session, "password_changed")
    assert changed.to_address == "jo@example.com" and f"{BASE}/forgot-password" in changed.body_text
    assert sign_in(db_session, "jo@example.com", PASSWORD).errors == {FORM: WRONG_CREDENTIALS}
    assert sign_in(db_session, "jo@example.com", NEW_PASSWORD).ok
    event = db_session.exec(select(AuditEvent).where(AuditEvent.action == "password_reset")).one()
    assert event.account_id == account.id and audit.event_detail(event) == {"sessions_ended": 2}
    # The code is used up.
    assert reset(db_session, "jo@example.com", code, "Another-Ladder-93").errors == {
        "code": "This code is not valid. Ask for a new code"
    }


def test_weak_new_password_is_refused_without_using_a_try(db_session, with_code):
    _, code = with_code
    outcome = reset(db_session, "jo@example.com", code, "password")
    assert outcome.errors.keys() == {"password"}
    assert reset_token(db_session, "jo@example.com").attempts == 0
    assert reset(db_session, "jo@example.com", code).ok


def test_reset_lifts_a_sign_in_lockout(db_session, with_code):
    _, code = with_code
    for _ in range(5):
        sign_in(db_session, "jo@example.com", "Wrong-Ladder-1")
    assert sign_in(db_session, "jo@example.com").errors == {FORM: LOCKED}
    assert reset(db_session, "jo@example.com", code).ok
    assert sign_in(db_session, "jo@example.com", NEW_PASSWORD).ok


def test_a_new_code_replaces_the_old_one(db_session, with_code):
    _, old = with_code
    password_reset.request_password_reset(db_session, email="jo@example.com", client_ip=IP)
    new = last_code(db_session, "jo@example.com")
    if new != old:
        assert reset(db_session, "jo@example.com", old).errors.keys() == {"code"}
    assert reset(db_session, "jo@example.com", new).ok


# --- audit ------------------------------------------------------------------------------------


def test_audit_rows_are_written_and_hold_no_secrets(db_session):
    sign_up(db_session, "jo@example.com")
    link = last_link(db_session, "jo@example.com")
    complete(db_session, link, "Password1")  # refused: too common
    complete(db_session, link)
    sign_in(db_session, "jo@example.com", "Wrong-Ladder-1")
    session_token = sign_in(db_session, "jo@example.com").session_token
    password_reset.request_password_reset(db_session, email="jo@example.com", client_ip=IP)
    code = last_code(db_session, "jo@example.com")
    assert reset(db_session, "jo@example.com", code).ok
    account = accounts.find_account(db_session, "jo@example.com")

    recorded = set(audit_actions(db_session))
    assert {
        "sign_up_started",
        "account_created",
        "sign_in_failed",
        "sign_in",
        "password_reset_requested",
        "password_reset",
    } <= recorded
    secrets_ = [
        PASSWORD,
        "Password1",
        NEW_PASSWORD,
        "Wrong-Ladder-1",
        link,
        code,
        session_token,
        hashlib.sha256(session_token.encode()).hexdigest(),
        account.password_hash,
    ]
    events = db_session.exec(select(AuditEvent)).all()
    assert len(events) >= 6
    for event in events:
        # Every column but the timestamp (whose microseconds could spell any 6 digits).
        values = [str(v) for k, v in event.model_dump().items() if k != "at"]
        for secret in secrets_:
            assert not any(secret in value for value in values), (event, secret)


def test_whoever_reads_the_inbox_chooses_the_password(db_session):
    # Someone else signs up first with this address: they choose nothing, and get no link.
    sign_up(db_session, "victim@example.com", ip="198.51.100.66")
    first_link = last_link(db_session, "victim@example.com")
    # The owner signs up too: only the newest email's link can be used.
    sign_up(db_session, "victim@example.com")
    owner_link = last_link(db_session, "victim@example.com")
    assert complete(db_session, first_link, "Attacker-Chosen-99").status == "used"
    assert count(db_session, Account) == 0
    assert complete(db_session, owner_link).status == "confirmed"
    assert sign_in(db_session, "victim@example.com").ok
    assert sign_in(db_session, "victim@example.com", "Attacker-Chosen-99").errors == {FORM: WRONG_CREDENTIALS}


def test_an_expired_sign_up_is_answered_like_an_unknown_address(db_session):
    sign_up(db_session, "late@example.com")
    db_session.exec(
        text("UPDATE one_time_token SET expires_at = :t WHERE email_normalized = 'late@example.com'").bindparams(
            t=utcnow() - timedelta(minutes=1)
        )
    )
    outcome = accounts.sign_in(db_session, email="late@example.com", password=PASSWORD, client_ip=IP)
    assert outcome == accounts.Outcome(errors={FORM: WRONG_CREDENTIALS})


def test_a_link_replaced_meanwhile_cannot_be_used(db_session):
    sign_up(db_session, "race@example.com")
    secret = last_link(db_session, "race@example.com")
    token = tokens.peek_link(db_session, purpose=tokens.EMAIL_VERIFICATION, secret=secret).token
    # Another request revokes it between this request's look-up and its update.
    db_session.exec(
        text("UPDATE one_time_token SET revoked_at = CURRENT_TIMESTAMP WHERE id = :i").bindparams(i=token.id)
    )
    db_session.expire_all()
    assert tokens.consume_link(db_session, purpose=tokens.EMAIL_VERIFICATION, secret=secret).problem is not None
