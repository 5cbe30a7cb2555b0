"""Signing in with MFA on: the password step gives a challenge, the second step a session.

complete_mfa_sign_in reads the real clock, so codes are pyotp's at an explicit utcnow() (one
time-step of drift either side is accepted); MFA is switched on five minutes earlier, so the
confirming code's step never collides with a sign-in code. Challenge expiry is tested by moving
the tokens' clock only.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pyotp
import pytest
from sqlmodel import Session, select

from anima_pwa.models import Account, AuditEvent, AuthSession, OneTimeToken, OutboxMessage, utcnow
from anima_pwa.services.identity import (
    account_settings,
    accounts,
    mfa,
    mfa_setup,
    password_reset,
    recovery_codes,
    sessions,
    tokens,
)
from anima_pwa.services.identity.accounts import FORM, MFA_EXPIRED, WRONG_CREDENTIALS
from tests import factories
from tests.factories import audit_actions, count, identity_of

PASSWORD = "Quince-Ladder-81"
IP = "203.0.113.9"


pytestmark = pytest.mark.usefixtures("cheap_argon2")  # tests/conftest.py: tiny argon2 parameters


# --- helpers ----------------------------------------------------------------------------------


class Person:
    def __init__(self, account: Account, secret: str, recovery_codes: list[str]) -> None:
        self.account, self.secret, self.recovery_codes = account, secret, recovery_codes

    @property
    def email(self) -> str:
        return self.account.email

    def code(self, when: datetime | None = None) -> str:
        return pyotp.TOTP(self.secret).at(when or utcnow())

    def wrong_code(self) -> str:
        """A well-formed code that is none of the accepted ones (now, one step either side)."""
        now = utcnow()
        near = {self.code(now + timedelta(seconds=30 * s)) for s in range(-2, 3)}
        return next(c for c in (f"{(int(self.code(now)) + k) % 1_000_000:06d}" for k in range(1, 10)) if c not in near)


def make_account(db: Session, email: str, *, mfa_on: bool = True) -> Person:
    account = factories.make_account(db, email, password=PASSWORD)
    if not mfa_on:
        return Person(account, "", [])
    set_up_at = utcnow() - timedelta(minutes=5)
    setup = mfa_setup.start_setup(db, account, now=set_up_at)
    result = mfa_setup.confirm_setup(db, account, pyotp.TOTP(setup.secret).at(set_up_at), now=set_up_at)
    assert result.ok, result.error
    return Person(account, setup.secret, result.recovery_codes)


@pytest.fixture
def jo(db_session: Session) -> Person:
    return make_account(db_session, "jo@example.com")


def sign_in(db: Session, email: str, password: str = PASSWORD) -> accounts.Outcome:
    return accounts.sign_in(db, email=email, password=password, client_ip=IP, user_agent="pytest")


def challenge_for(db: Session, person: Person) -> str:
    outcome = sign_in(db, person.email)
    assert outcome.ok and outcome.mfa_challenge
    return outcome.mfa_challenge


def complete(db: Session, challenge: str, *, code: str = "", recovery_code: str = "") -> accounts.Outcome:
    return accounts.complete_mfa_sign_in(
        db, challenge=challenge, code=code, recovery_code=recovery_code, client_ip=IP, user_agent="pytest"
    )


def codes_left(db: Session, person: Person) -> int:
    db.flush()
    return recovery_codes.recovery_codes_left(db, person.account)


def assert_signed_in(db: Session, outcome: accounts.Outcome, person: Person) -> None:
    assert outcome.ok, outcome.errors
    who = sessions.resolve(db, outcome.session_token)
    assert who is not None
    assert (who.account_id, who.method) == (person.account.id, "password+mfa")
    assert outcome.identity == who


def assert_refused(db: Session, outcome: accounts.Outcome, errors: dict[str, str]) -> None:
    assert outcome.errors == errors
    assert outcome.session_token is None and outcome.identity is None
    assert count(db, AuthSession) == 0


# --- the password step ------------------------------------------------------------------------


def test_with_mfa_on_the_password_gives_a_challenge_not_a_session(db_session, jo):
    before = audit_actions(db_session)
    outcome = sign_in(db_session, "JO@example.com")
    assert outcome.ok
    assert outcome.session_token is None and outcome.identity is None
    assert outcome.mfa_challenge and len(outcome.mfa_challenge) >= 40
    assert count(db_session, AuthSession) == 0
    assert audit_actions(db_session) == before  # no "sign_in" yet
    (row,) = db_session.exec(select(OneTimeToken).where(OneTimeToken.purpose == accounts.MFA_CHALLENGE)).all()
    assert row.account_id == jo.account.id
    assert outcome.mfa_challenge not in row.secret_hash  # only a keyed hash is stored


def test_without_mfa_the_password_signs_in(db_session):
    make_account(db_session, "plain@example.com", mfa_on=False)
    outcome = sign_in(db_session, "plain@example.com")
    assert outcome.mfa_challenge is None and outcome.session_token
    who = sessions.resolve(db_session, outcome.session_token)
    assert who is not None and who.method == "password"


def test_a_wrong_password_gives_no_challenge(db_session, jo):
    outcome = sign_in(db_session, jo.email, "Wrong-Password-1")
    assert outcome.errors == {FORM: WRONG_CREDENTIALS}
    assert outcome.mfa_challenge is None
    assert count(db_session, OneTimeToken) == 1  # only the used set-up token


# --- the second step --------------------------------------------------------------------------


def test_the_right_code_signs_in_with_password_and_mfa(db_session, jo):
    challenge = challenge_for(db_session, jo)
    outcome = complete(db_session, challenge, code=jo.code())
    assert_signed_in(db_session, outcome, jo)
    assert count(db_session, AuthSession) == 1
    assert audit_actions(db_session)[-1] == "sign_in"
    event = db_session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()  # type: ignore[union-attr]
    assert event is not None and "password+mfa" in event.detail
    assert "mfa_recovery_code_used" not in audit_actions(db_session)


@pytest.mark.parametrize("spacing", ["{}", " {} ", "{0[0]}{0[1]}{0[2]} {0[3]}{0[4]}{0[5]}"])
def test_spaces_in_the_code_do_not_matter(db_session, jo, spacing):
    challenge = challenge_for(db_session, jo)
    assert_signed_in(db_session, complete(db_session, challenge, code=spacing.format(jo.code())), jo)


@pytest.mark.parametrize(
    ("code", "message"),
    [("wrong", mfa.CODE_WRONG), ("", mfa.ENTER_CODE), ("12345", mfa.CODE_FORMAT), ("12345a", mfa.CODE_FORMAT)],
)
def test_a_wrong_code_is_a_code_error_and_the_challenge_stays(db_session, jo, code, message):
    challenge = challenge_for(db_session, jo)
    code = jo.wrong_code() if code == "wrong" else code
    assert_refused(db_session, complete(db_session, challenge, code=code), {"code": message})
    # The person can correct it on the same page.
    assert_signed_in(db_session, complete(db_session, challenge, code=jo.code()), jo)


def test_a_code_signs_in_only_once(db_session, jo):
    code = jo.code()
    assert_signed_in(db_session, complete(db_session, challenge_for(db_session, jo), code=code), jo)
    outcome = complete(db_session, challenge_for(db_session, jo), code=code)
    assert outcome.errors == {"code": mfa.CODE_USED} and outcome.session_token is None
    assert count(db_session, AuthSession) == 1


def test_a_recovery_code_works_once(db_session, jo):
    recovery = jo.recovery_codes[3]
    outcome = complete(db_session, challenge_for(db_session, jo), recovery_code=recovery.lower().replace("-", " "))
    assert_signed_in(db_session, outcome, jo)
    assert audit_actions(db_session)[-2:] == ["mfa_recovery_code_used", "sign_in"]
    assert codes_left(db_session, jo) == 9

    again = complete(db_session, challenge_for(db_session, jo), recovery_code=recovery)
    assert again.errors == {"recovery_code": recovery_codes.RECOVERY_USED} and again.session_token is None
    assert audit_actions(db_session).count("mfa_recovery_code_used") == 1
    assert count(db_session, AuthSession) == 1


@pytest.mark.parametrize(
    ("recovery_code", "message"),
    [("ZZZZ-ZZZZ-ZZZZ", recovery_codes.RECOVERY_WRONG), ("not a code", recovery_codes.RECOVERY_FORMAT)],
)
def test_a_wrong_recovery_code_is_a_recovery_code_error(db_session, jo, recovery_code, message):
    challenge = challenge_for(db_session, jo)
    assert_refused(db_session, complete(db_session, challenge, recovery_code=recovery_code), {"recovery_code": message})
    assert codes_left(db_session, jo) == 10
    assert "mfa_recovery_code_used" not in audit_actions(db_session)


@pytest.mark.parametrize("second", ["app code", "recovery code"])
def test_a_challenge_is_used_once(db_session, jo, second):
    challenge = challenge_for(db_session, jo)
    assert_signed_in(db_session, complete(db_session, challenge, code=jo.code()), jo)
    before = jo.account.mfa_last_step
    if second == "app code":
        outcome = complete(db_session, challenge, code=jo.code(utcnow() + timedelta(seconds=30)))
    else:
        outcome = complete(db_session, challenge, recovery_code=jo.recovery_codes[0])
    assert outcome.errors == {FORM: MFA_EXPIRED} and outcome.session_token is None
    assert count(db_session, AuthSession) == 1
    # Refused before any code was looked at: nothing was used up.
    assert codes_left(db_session, jo) == 10
    db_session.refresh(jo.account)
    assert jo.account.mfa_last_step == before


@pytest.fixture
def token_clock(monkeypatch: pytest.MonkeyPatch):
    """Moves the tokens' clock (challenge issue and expiry) only; the TOTP check keeps real time."""
    offset = [timedelta(0)]
    real = tokens.utcnow
    monkeypatch.setattr(tokens, "utcnow", lambda: real() + offset[0])
    return offset


@pytest.mark.parametrize(
    ("after", "expired"),
    [(timedelta(minutes=4, seconds=50), False), (timedelta(minutes=5, seconds=1), True), (timedelta(hours=1), True)],
)
def test_a_challenge_lasts_five_minutes(db_session, jo, token_clock, after, expired):
    challenge = challenge_for(db_session, jo)
    token_clock[0] = after
    outcome = complete(db_session, challenge, code=jo.code())
    if expired:
        assert_refused(db_session, outcome, {FORM: MFA_EXPIRED})
    else:
        assert_signed_in(db_session, outcome, jo)


@pytest.mark.parametrize("challenge", ["", "nope", "x" * 43, "x" * 500, "a password-reset code", "flipped"])
def test_an_unknown_challenge_is_expired_and_uses_nothing(db_session, jo, challenge):
    real = challenge_for(db_session, jo)
    if challenge == "a password-reset code":
        challenge = tokens.issue_link(
            db_session, purpose=tokens.PASSWORD_RESET, email_normalized="jo@example.com", account_id=jo.account.id
        )
    elif challenge == "flipped":
        challenge = real[:-1] + ("A" if real[-1] != "A" else "B")
    before = jo.account.mfa_last_step
    assert_refused(db_session, complete(db_session, challenge, code=jo.code()), {FORM: MFA_EXPIRED})
    assert_refused(db_session, complete(db_session, challenge, recovery_code=jo.recovery_codes[0]), {FORM: MFA_EXPIRED})
    assert codes_left(db_session, jo) == 10
    db_session.refresh(jo.account)
    assert jo.account.mfa_last_step == before
    assert_signed_in(db_session, complete(db_session, real, code=jo.code()), jo)  # the real one still works


@pytest.mark.parametrize("change", ["account closed", "mfa switched off"])
def test_a_challenge_ends_when_the_account_changes(db_session, jo, change):
    challenge = challenge_for(db_session, jo)
    if change == "account closed":
        jo.account.status = "disabled"
    else:
        jo.account.mfa_enabled_at = None
        jo.account.mfa_secret_encrypted = None
    db_session.add(jo.account)
    db_session.flush()
    assert_refused(db_session, complete(db_session, challenge, code=jo.code()), {FORM: MFA_EXPIRED})


def test_one_accounts_challenge_does_not_take_anothers_codes(db_session, jo):
    sam = make_account(db_session, "sam@example.com")
    jo_challenge = challenge_for(db_session, jo)
    sam_code = sam.code()
    if sam_code in {jo.code(utcnow() + timedelta(seconds=30 * s)) for s in (-1, 0, 1)}:
        pytest.skip("the two keys happen to share a code now")  # one chance in ~330,000

    outcome = complete(db_session, jo_challenge, code=sam_code)
    assert_refused(db_session, outcome, {"code": mfa.CODE_WRONG})
    outcome = complete(db_session, jo_challenge, recovery_code=sam.recovery_codes[0])
    assert_refused(db_session, outcome, {"recovery_code": recovery_codes.RECOVERY_WRONG})
    assert codes_left(db_session, sam) == 10

    # Each still signs in with their own: Sam's code and recovery code were not used up.
    assert_signed_in(db_session, complete(db_session, challenge_for(db_session, sam), code=sam_code), sam)
    assert_signed_in(
        db_session, complete(db_session, challenge_for(db_session, sam), recovery_code=sam.recovery_codes[0]), sam
    )
    assert_signed_in(db_session, complete(db_session, jo_challenge, code=jo.code()), jo)


# --- what Login settings shows ----------------------------------------------------------------


def summary(db: Session, person: Person) -> accounts.LoginSummary | None:
    who = identity_of(person.account)
    db.flush()
    return accounts.login_summary(db, who)


def test_login_summary_reports_mfa_and_recovery_codes_left(db_session, jo):
    plain = make_account(db_session, "plain@example.com", mfa_on=False)
    assert summary(db_session, plain) == accounts.LoginSummary(
        email="plain@example.com",
        has_password=True,
        nhs_login_connected=False,
        mfa_enabled=False,
        recovery_codes_left=0,
    )
    assert summary(db_session, jo) == accounts.LoginSummary(
        email="jo@example.com", has_password=True, nhs_login_connected=False, mfa_enabled=True, recovery_codes_left=10
    )
    for used, code in enumerate(jo.recovery_codes[:2], start=1):
        assert_signed_in(db_session, complete(db_session, challenge_for(db_session, jo), recovery_code=code), jo)
        result = summary(db_session, jo)
        assert result is not None and result.recovery_codes_left == 10 - used

    jo.account.status = "disabled"
    db_session.add(jo.account)
    assert summary(db_session, jo) is None


# --- a new password ends half-finished sign-ins -----------------------------------------------

NEW_PASSWORD = "Harbour-Violet-27"


def reset_by_code(db: Session, person: Person) -> None:
    assert password_reset.request_password_reset(db, email=person.email, client_ip=IP).ok
    db.flush()
    body = (
        db.exec(
            select(OutboxMessage)
            .where(OutboxMessage.template == "password_reset_code")
            .order_by(OutboxMessage.id.desc())  # type: ignore[union-attr]
        )
        .first()
        .body_text
    )
    (code,) = re.findall(r"\b[0-9]{6}\b", body)
    outcome = password_reset.reset_password(
        db, email=person.email, code=code, new_password=NEW_PASSWORD, client_ip=IP, base_url="https://anima.example"
    )
    assert outcome.ok, outcome.errors


def change_in_settings(db: Session, person: Person) -> None:
    who = identity_of(person.account)
    outcome = account_settings.change_password(
        db, who, current_password=PASSWORD, new_password=NEW_PASSWORD, client_ip=IP, base_url="https://anima.example"
    )
    assert outcome.ok, outcome.errors


@pytest.mark.parametrize("change", [reset_by_code, change_in_settings], ids=["reset", "changed in settings"])
def test_a_challenge_from_before_a_password_change_is_refused(db_session, jo, change):
    """The challenge stands for "the password was right": once the password changes, it no longer is."""
    old_challenge = challenge_for(db_session, jo)  # e.g. someone who knew the old password
    change(db_session, jo)
    outcome = complete(db_session, old_challenge, recovery_code=jo.recovery_codes[0])
    assert outcome.errors == {FORM: MFA_EXPIRED} and outcome.session_token is None
    assert codes_left(db_session, jo) == 10

    new_challenge = challenge_for_password(db_session, jo, NEW_PASSWORD)
    assert_signed_in(db_session, complete(db_session, new_challenge, recovery_code=jo.recovery_codes[0]), jo)


def challenge_for_password(db: Session, person: Person, password: str) -> str:
    outcome = sign_in(db, person.email, password)
    assert outcome.ok and outcome.mfa_challenge
    return outcome.mfa_challenge
