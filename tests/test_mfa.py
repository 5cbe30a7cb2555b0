"""MFA with an authenticator app: set-up, codes (drift, replay, races, limits), recovery codes, switching off."""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pyotp
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from anima_pwa.models import Account, OneTimeToken, RecoveryCode
from anima_pwa.services.identity import mfa, mfa_setup, recovery_codes
from tests import factories
from tests.factories import audit_actions

PASSWORD = "Quince-Ladder-81"
EMAIL = "Jo.Bloggs+gp@example.com"
NOW = datetime(2025, 3, 4, 10, 0, 15, tzinfo=UTC)  # 15 s into a time-step
SET_UP_AT = NOW - timedelta(minutes=5)
TOO_MANY = re.compile(r"^Too many attempts\. Try again in \d+ minutes?\.$")
RECOVERY_FORMAT = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


pytestmark = pytest.mark.usefixtures("cheap_argon2")  # tests/conftest.py: tiny argon2 parameters


# --- helpers ----------------------------------------------------------------------------------


def make_account(db: Session, email: str = EMAIL) -> Account:
    return factories.make_account(db, email, password=PASSWORD)


def code_at(secret: str, when: datetime, steps: int = 0) -> str:
    """The app's code at ``when``, or ``steps`` time-steps later (earlier if negative)."""
    return pyotp.TOTP(secret).at(when + timedelta(seconds=30 * steps))


def step_of(when: datetime) -> int:
    return int(when.timestamp()) // 30


def enable(db: Session, email: str = EMAIL) -> tuple[Account, str, list[str]]:
    """An account with MFA on (confirmed at SET_UP_AT); its key and recovery codes."""
    account = make_account(db, email)
    setup = mfa_setup.start_setup(db, account, now=SET_UP_AT)
    result = mfa_setup.confirm_setup(db, account, code_at(setup.secret, SET_UP_AT), now=SET_UP_AT)
    assert result.ok, result.error
    return account, setup.secret, result.recovery_codes


def pending_setups(db: Session, account: Account) -> list[OneTimeToken]:
    db.flush()
    return list(
        db.exec(
            select(OneTimeToken).where(OneTimeToken.purpose == "mfa_setup", OneTimeToken.account_id == account.id)
        ).all()
    )


def all_stored_text(db: Session) -> str:
    """Every value in every table, as text."""
    db.flush()
    values = []
    for table in SQLModel.metadata.sorted_tables:
        for row in db.connection().execute(table.select()):
            values.extend(str(value) for value in row)
    return "\n".join(values)


# --- set-up -----------------------------------------------------------------------------------


def test_setup_gives_a_uri_google_authenticator_reads_and_the_key_in_groups(db_session: Session) -> None:
    account = make_account(db_session)
    setup = mfa_setup.start_setup(db_session, account, now=NOW)

    assert re.fullmatch(r"[A-Z2-7]{32}", setup.secret)
    assert setup.secret_grouped == " ".join(setup.secret[i : i + 4] for i in range(0, 32, 4))
    assert setup.otpauth_uri.startswith("otpauth://totp/Anima:")
    parsed = pyotp.parse_uri(setup.otpauth_uri)
    assert isinstance(parsed, pyotp.TOTP)
    assert parsed.issuer == "Anima"
    assert parsed.name == EMAIL
    assert parsed.secret == setup.secret
    assert parsed.digest().name == hashlib.sha1().name
    assert (parsed.digits, parsed.interval) == (6, 30)
    # Google Authenticator's key URI format, with every parameter spelled out.
    query = unquote(setup.otpauth_uri.split("?", 1)[1])
    for part in ("issuer=Anima", "algorithm=SHA1", "digits=6", "period=30", f"secret={setup.secret}"):
        assert part in query.split("&")
    assert parsed.at(NOW) == code_at(setup.secret, NOW)


def test_setup_qr_code_is_an_svg_with_a_title_and_a_data_uri(db_session: Session) -> None:
    setup = mfa_setup.start_setup(db_session, make_account(db_session), now=NOW)
    assert setup.qr_svg.startswith("<svg")
    assert setup.qr_svg.rstrip().endswith("</svg>")
    assert "<title>QR code for your authenticator app</title>" in setup.qr_svg
    assert "<path" in setup.qr_svg
    prefix = "data:image/svg+xml;base64,"
    assert setup.qr_data_uri.startswith(prefix)
    assert base64.b64decode(setup.qr_data_uri[len(prefix) :]).decode() == setup.qr_svg
    assert setup.secret not in repr(setup)


def test_pending_key_is_kept_encrypted_for_15_minutes_and_starting_again_replaces_it(db_session: Session) -> None:
    account = make_account(db_session)
    first = mfa_setup.start_setup(db_session, account, now=NOW)
    (token,) = pending_setups(db_session, account)
    assert token.expires_at == NOW + timedelta(minutes=15)
    assert first.secret not in token.payload

    second = mfa_setup.start_setup(db_session, account, now=NOW)
    assert second.secret != first.secret
    assert mfa_setup.confirm_setup(db_session, account, code_at(first.secret, NOW), now=NOW).error == mfa.CODE_WRONG
    assert mfa_setup.confirm_setup(db_session, account, code_at(second.secret, NOW), now=NOW).ok
    assert mfa.decrypt_secret(account.mfa_secret_encrypted or "") == second.secret


def test_confirming_switches_mfa_on_and_gives_ten_recovery_codes_once(db_session: Session) -> None:
    account = make_account(db_session)
    setup = mfa_setup.start_setup(db_session, account, now=NOW)
    assert not mfa.is_enabled(account)

    result = mfa_setup.confirm_setup(
        db_session, account, " " + code_at(setup.secret, NOW)[:3] + " " + code_at(setup.secret, NOW)[3:], now=NOW
    )
    assert result.ok and result.error is None
    assert mfa.is_enabled(account)
    assert account.mfa_enabled_at == NOW
    assert account.mfa_last_step == step_of(NOW)
    assert len(result.recovery_codes) == 10 == len(set(result.recovery_codes))
    assert all(RECOVERY_FORMAT.match(code) for code in result.recovery_codes)
    assert recovery_codes.recovery_codes_left(db_session, account) == 10
    (token,) = pending_setups(db_session, account)
    assert token.consumed_at == NOW
    assert audit_actions(db_session) == ["mfa_enabled"]

    # Stored and re-read: on, with the key only in encrypted form.
    db_session.commit()
    db_session.expire_all()
    stored = db_session.get(Account, account.id)
    assert stored is not None and mfa.is_enabled(stored)
    assert mfa.decrypt_secret(stored.mfa_secret_encrypted or "") == setup.secret
    # The code that confirmed set-up can't then be used to sign in.
    assert mfa.verify_code(db_session, stored, code_at(setup.secret, NOW), now=NOW) == mfa.CODE_USED
    with pytest.raises(ValueError):
        mfa_setup.start_setup(db_session, stored)
    assert mfa_setup.confirm_setup(db_session, stored, "123456", now=NOW).error == mfa_setup.ALREADY_ON


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "Enter the 6-digit code from your authenticator app"),
        ("   ", "Enter the 6-digit code from your authenticator app"),
        ("12345", "The code must be 6 numbers"),
        ("1234567", "The code must be 6 numbers"),
        ("12a456", "The code must be 6 numbers"),
        ("١٢٣٤٥٦", "The code must be 6 numbers"),  # Arabic-Indic digits
    ],
)
def test_confirm_checks_the_code_looks_right(db_session: Session, code: str, message: str) -> None:
    account = make_account(db_session)
    mfa_setup.start_setup(db_session, account, now=NOW)
    assert mfa_setup.confirm_setup(db_session, account, code, now=NOW) == mfa_setup.ConfirmResult(
        errors={"code": message}
    )


def test_wrong_code_at_confirmation(db_session: Session) -> None:
    account = make_account(db_session)
    setup = mfa_setup.start_setup(db_session, account, now=NOW)
    wrong = code_at(setup.secret, NOW, steps=5)
    result = mfa_setup.confirm_setup(db_session, account, wrong, now=NOW)
    assert result.error == "The code is not correct. Check the time on your phone is right and try the newest code"
    assert not mfa.is_enabled(account)
    assert result.recovery_codes == []


def test_expired_or_missing_setup(db_session: Session) -> None:
    account = make_account(db_session)
    assert (
        mfa_setup.confirm_setup(db_session, account, "123456", now=NOW).error == "Your set-up has expired. Start again"
    )

    setup = mfa_setup.start_setup(db_session, account, now=NOW)
    later = NOW + timedelta(minutes=15, seconds=1)
    result = mfa_setup.confirm_setup(db_session, account, code_at(setup.secret, later), now=later)
    assert result.error == "Your set-up has expired. Start again"
    assert not mfa.is_enabled(account)


def test_the_key_is_never_stored_in_plain_text(db_session: Session) -> None:
    account = make_account(db_session)
    abandoned = mfa_setup.start_setup(db_session, account, now=SET_UP_AT)
    setup = mfa_setup.start_setup(db_session, account, now=SET_UP_AT)
    result = mfa_setup.confirm_setup(db_session, account, code_at(setup.secret, SET_UP_AT), now=SET_UP_AT)
    assert mfa.verify_code(db_session, account, code_at(setup.secret, NOW), now=NOW) is None
    recovery_codes.use_recovery_code(db_session, account, result.recovery_codes[0], now=NOW)
    assert mfa.verify_code(db_session, account, "000000", now=NOW) is not None  # audit of a refusal
    db_session.commit()

    stored = all_stored_text(db_session).upper()
    for secret in (setup.secret, abandoned.secret):
        assert secret not in stored
        assert secret[:16] not in stored and secret[16:] not in stored
        assert base64.b32decode(secret).hex().upper() not in stored
    for code in result.recovery_codes:
        assert code not in stored and code.replace("-", "") not in stored
    assert account.mfa_secret_encrypted and account.mfa_secret_encrypted.startswith("gAAAA")  # Fernet


def test_encryption_round_trip_and_tampering() -> None:
    secret = pyotp.random_base32()
    first, second = mfa.encrypt_secret(secret), mfa.encrypt_secret(secret)
    assert first != second  # random IV
    assert mfa.decrypt_secret(first) == mfa.decrypt_secret(second) == secret
    tampered = first[:-6] + ("A" if first[-6] != "A" else "B") + first[-5:]
    with pytest.raises(ValueError):
        mfa.decrypt_secret(tampered)
    with pytest.raises(ValueError):
        mfa.decrypt_secret("not a token")


# --- checking codes ---------------------------------------------------------------------------


@pytest.mark.parametrize(("steps", "accepted"), [(-2, False), (-1, True), (0, True), (1, True), (2, False)])
def test_one_step_of_clock_drift_either_way(db_session: Session, steps: int, accepted: bool) -> None:
    account, secret, _ = enable(db_session)
    problem = mfa.verify_code(db_session, account, code_at(secret, NOW, steps), now=NOW)
    if accepted:
        assert problem is None
        assert account.mfa_last_step == step_of(NOW) + steps
    else:
        assert problem == mfa.CODE_WRONG
        assert account.mfa_last_step == step_of(SET_UP_AT)


def test_a_code_is_accepted_once(db_session: Session) -> None:
    account, secret, _ = enable(db_session)
    code = code_at(secret, NOW)
    assert mfa.verify_code(db_session, account, code, now=NOW) is None
    assert (
        mfa.verify_code(db_session, account, code, now=NOW) == "This code has already been used. Wait for the next one"
    )
    assert mfa.verify_code(db_session, account, code, now=NOW + timedelta(seconds=30)) == mfa.CODE_USED
    assert mfa.verify_code(db_session, account, code_at(secret, NOW, 1), now=NOW + timedelta(seconds=30)) is None


def test_an_older_code_after_a_newer_one_is_refused(db_session: Session) -> None:
    account, secret, _ = enable(db_session)
    assert mfa.verify_code(db_session, account, code_at(secret, NOW, 1), now=NOW) is None  # phone a little fast
    assert mfa.verify_code(db_session, account, code_at(secret, NOW), now=NOW) == mfa.CODE_USED
    assert mfa.verify_code(db_session, account, code_at(secret, NOW, -1), now=NOW) == mfa.CODE_USED
    assert account.mfa_last_step == step_of(NOW) + 1


def test_replay_is_refused_even_when_this_session_read_the_account_earlier(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as db:
        account, secret, _ = enable(db)
        db.commit()
    code = code_at(secret, NOW)
    with Session(engine, expire_on_commit=False) as first, Session(engine, expire_on_commit=False) as second:
        mine = first.get(Account, account.id)
        theirs = second.get(Account, account.id)  # read before the first one uses the code
        assert mine is not None and theirs is not None
        assert mfa.verify_code(first, mine, code, now=NOW) is None
        first.commit()
        assert theirs.mfa_last_step == step_of(SET_UP_AT)  # stale
        assert mfa.verify_code(second, theirs, code, now=NOW) == mfa.CODE_USED
        second.commit()


def test_two_requests_with_one_code_at_the_same_moment_only_one_passes(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as db:
        account, secret, _ = enable(db)
        db.commit()
    code = code_at(secret, NOW)
    start = threading.Barrier(2)
    results: list[str | None] = []
    failures: list[BaseException] = []

    def attempt() -> None:
        try:
            with Session(engine, expire_on_commit=False) as db:
                mine = db.get(Account, account.id)
                assert mine is not None
                start.wait(timeout=10)
                results.append(mfa.verify_code(db, mine, code, now=NOW))
                db.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not failures
    assert sorted(results, key=str) == [None, mfa.CODE_USED]


def test_wrong_codes_are_rate_limited_per_account(db_session: Session) -> None:
    account, secret, _ = enable(db_session)
    other, other_secret, _ = enable(db_session, "someone.else@example.com")
    wrong = code_at(secret, NOW, 5)
    for _ in range(5):
        assert mfa.verify_code(db_session, account, wrong, now=NOW) == mfa.CODE_WRONG
    problem = mfa.verify_code(db_session, account, code_at(secret, NOW), now=NOW)
    assert problem is not None and TOO_MANY.match(problem) and "Try again in" in problem
    assert account.mfa_last_step == step_of(SET_UP_AT)
    # Another account is not affected.
    assert mfa.verify_code(db_session, other, code_at(other_secret, NOW), now=NOW) is None
    # Once the window has passed, the right code works.
    later = NOW + timedelta(minutes=15, seconds=30)
    assert mfa.verify_code(db_session, account, code_at(secret, later), now=later) is None
    assert "mfa_code_refused" in audit_actions(db_session)


def test_a_right_code_clears_the_count(db_session: Session) -> None:
    account, secret, _ = enable(db_session)
    wrong = code_at(secret, NOW, 5)
    for _ in range(4):
        assert mfa.verify_code(db_session, account, wrong, now=NOW) == mfa.CODE_WRONG
    assert mfa.verify_code(db_session, account, code_at(secret, NOW), now=NOW) is None
    for _ in range(5):
        assert mfa.verify_code(db_session, account, wrong, now=NOW) == mfa.CODE_WRONG


def test_badly_formed_codes_are_refused_without_counting(db_session: Session) -> None:
    account, secret, _ = enable(db_session)
    for _ in range(10):
        assert mfa.verify_code(db_session, account, "12 34", now=NOW) == mfa.CODE_FORMAT
    assert mfa.verify_code(db_session, account, "", now=NOW) == mfa.ENTER_CODE
    assert mfa.verify_code(db_session, account, code_at(secret, NOW), now=NOW) is None


def test_verify_code_needs_mfa_on(db_session: Session) -> None:
    with pytest.raises(ValueError):
        mfa.verify_code(db_session, make_account(db_session), "123456", now=NOW)


# --- recovery codes ---------------------------------------------------------------------------


def test_recovery_codes_are_stored_hashed_and_each_works_once(db_session: Session) -> None:
    account, _, codes = enable(db_session)
    rows = db_session.exec(select(RecoveryCode).where(RecoveryCode.account_id == account.id)).all()
    assert len(rows) == 10
    assert all(re.fullmatch(r"[0-9a-f]{64}", row.code_hash) for row in rows)

    for left, code in zip(range(9, -1, -1), codes, strict=True):
        assert recovery_codes.use_recovery_code(db_session, account, code, now=NOW) is None
        assert recovery_codes.recovery_codes_left(db_session, account) == left
    assert recovery_codes.use_recovery_code(db_session, account, codes[0], now=NOW) == recovery_codes.RECOVERY_USED


@pytest.mark.parametrize(
    "typed", [str.lower, lambda c: c.replace("-", " ").lower(), lambda c: c.replace("-", ""), lambda c: f"  {c} "]
)
def test_recovery_codes_ignore_case_spaces_and_hyphens(db_session: Session, typed) -> None:
    account, _, codes = enable(db_session)
    assert recovery_codes.use_recovery_code(db_session, account, typed(codes[3]), now=NOW) is None
    assert recovery_codes.use_recovery_code(db_session, account, codes[3], now=NOW) == recovery_codes.RECOVERY_USED


def test_recovery_code_normalisation_of_a_known_code(db_session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        recovery_codes,
        "_new_recovery_code",
        iter(["7KQ2-MX9P-4TDV", *(f"AAAA-AAAA-AA{i:02d}" for i in range(9))]).__next__,
    )
    account, _, codes = enable(db_session)
    assert codes[0] == "7KQ2-MX9P-4TDV"
    assert recovery_codes.use_recovery_code(db_session, account, "7kq2 mx9p 4tdv", now=NOW) is None


def test_recovery_code_messages(db_session: Session) -> None:
    account, _, codes = enable(db_session)
    other, _, other_codes = enable(db_session, "someone.else@example.com")
    assert recovery_codes.use_recovery_code(db_session, account, "  ", now=NOW) == "Enter a recovery code"
    assert recovery_codes.use_recovery_code(db_session, account, "7KQ2-MX9P", now=NOW) == recovery_codes.RECOVERY_FORMAT
    assert (
        recovery_codes.use_recovery_code(db_session, account, "7KQ2-MX9P-4TD!", now=NOW)
        == recovery_codes.RECOVERY_FORMAT
    )
    assert (
        recovery_codes.use_recovery_code(db_session, account, other_codes[0], now=NOW) == recovery_codes.RECOVERY_WRONG
    )
    assert recovery_codes.recovery_codes_left(db_session, other) == 10
    assert recovery_codes.recovery_codes_left(db_session, account) == 10


def test_wrong_recovery_codes_share_the_code_limit(db_session: Session) -> None:
    account, secret, codes = enable(db_session)
    for _ in range(3):
        assert (
            recovery_codes.use_recovery_code(db_session, account, "AAAA-BBBB-CCCC", now=NOW)
            == recovery_codes.RECOVERY_WRONG
        )
    for _ in range(2):
        assert mfa.verify_code(db_session, account, code_at(secret, NOW, 5), now=NOW) == mfa.CODE_WRONG
    problem = recovery_codes.use_recovery_code(db_session, account, codes[0], now=NOW)
    assert problem is not None and TOO_MANY.match(problem)
    assert recovery_codes.recovery_codes_left(db_session, account) == 10


def test_regenerating_recovery_codes_invalidates_the_old_ones(db_session: Session) -> None:
    account, _, old = enable(db_session)
    assert recovery_codes.use_recovery_code(db_session, account, old[0], now=NOW) is None
    new = recovery_codes.regenerate_recovery_codes(db_session, account, now=NOW)
    assert audit_actions(db_session)[-1] == "mfa_recovery_codes_regenerated"
    assert len(new) == 10 == len(set(new))
    assert not set(new) & set(old)
    assert recovery_codes.recovery_codes_left(db_session, account) == 10
    assert recovery_codes.use_recovery_code(db_session, account, old[1], now=NOW) == recovery_codes.RECOVERY_WRONG
    assert recovery_codes.use_recovery_code(db_session, account, new[1], now=NOW) is None
    with pytest.raises(ValueError):
        recovery_codes.regenerate_recovery_codes(db_session, make_account(db_session, "off@example.com"))


def test_recovery_code_used_at_the_same_moment_twice_passes_once(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as db:
        account, _, codes = enable(db)
        db.commit()
    with Session(engine, expire_on_commit=False) as first, Session(engine, expire_on_commit=False) as second:
        mine, theirs = first.get(Account, account.id), second.get(Account, account.id)
        assert mine is not None and theirs is not None
        # The second has already seen the code unused.
        assert second.exec(
            select(RecoveryCode).where(RecoveryCode.account_id == account.id, RecoveryCode.used_at.is_(None))
        ).all()  # type: ignore[union-attr]
        assert recovery_codes.use_recovery_code(first, mine, codes[0], now=NOW) is None
        first.commit()
        assert recovery_codes.use_recovery_code(second, theirs, codes[0], now=NOW) == recovery_codes.RECOVERY_USED
        second.commit()


# --- switching off ----------------------------------------------------------------------------


def test_switching_off_needs_the_password_and_a_current_code(db_session: Session) -> None:
    account, secret, codes = enable(db_session)
    code = code_at(secret, NOW)

    assert mfa.disable(db_session, account, password="", code="", now=NOW).errors == {
        "password": "Enter your password",
        "code": "Enter the 6-digit code from your authenticator app",
    }
    assert mfa.disable(db_session, account, password="Wrong-Password-1", code=code, now=NOW).errors == {
        "password": "The password is not correct"
    }
    assert mfa.disable(db_session, account, password=PASSWORD, code=code_at(secret, NOW, 3), now=NOW).errors == {
        "code": mfa.CODE_WRONG
    }
    assert mfa.disable(db_session, account, password=PASSWORD, code=codes[0], now=NOW).errors == {
        "code": "The code must be 6 numbers"
    }
    assert mfa.is_enabled(account)
    assert recovery_codes.recovery_codes_left(db_session, account) == 10

    assert mfa.disable(db_session, account, password=PASSWORD, code=code, now=NOW).errors == {}
    assert not mfa.is_enabled(account)
    assert (account.mfa_secret_encrypted, account.mfa_enabled_at, account.mfa_last_step) == (None, None, None)
    assert recovery_codes.recovery_codes_left(db_session, account) == 0
    assert audit_actions(db_session)[-1] == "mfa_disabled"
    db_session.commit()
    db_session.expire_all()
    stored = db_session.get(Account, account.id)
    assert stored is not None and not mfa.is_enabled(stored) and stored.mfa_secret_encrypted is None
    with pytest.raises(ValueError):
        mfa.verify_code(db_session, stored, code, now=NOW)
    # Switching off again (another tab) changes nothing.
    assert mfa.disable(db_session, stored, password="", code="", now=NOW).errors == {}
    assert audit_actions(db_session)[-1] == "mfa_disabled"
    # And it can be set up again, with a new key.
    again = mfa_setup.start_setup(db_session, stored, now=NOW)
    assert again.secret != secret


def test_switching_off_refuses_a_used_code(db_session: Session) -> None:
    account, secret, _ = enable(db_session)
    code = code_at(secret, NOW)
    assert mfa.verify_code(db_session, account, code, now=NOW) is None
    assert mfa.disable(db_session, account, password=PASSWORD, code=code, now=NOW).errors == {"code": mfa.CODE_USED}
    assert mfa.is_enabled(account)


def test_switching_off_is_rate_limited(db_session: Session) -> None:
    account, secret, _ = enable(db_session)
    for _ in range(5):
        assert mfa.disable(db_session, account, password="Wrong-Password-1", code="123456", now=NOW).errors == {
            "password": mfa.PASSWORD_WRONG
        }
    errors = mfa.disable(db_session, account, password=PASSWORD, code=code_at(secret, NOW), now=NOW).errors
    assert set(errors) == {"code"} and TOO_MANY.match(errors["code"])
    assert mfa.is_enabled(account)


def test_audit_rows_hold_no_secrets(db_session: Session) -> None:
    account, secret, codes = enable(db_session)
    mfa.verify_code(db_session, account, "000000", now=NOW)
    recovery_codes.use_recovery_code(db_session, account, codes[0], now=NOW)
    recovery_codes.regenerate_recovery_codes(db_session, account, now=NOW)
    mfa.disable(db_session, account, password=PASSWORD, code=code_at(secret, NOW), now=NOW)
    db_session.flush()
    details = " ".join(db_session.connection().execute(text("SELECT detail FROM audit_event")).scalars())
    assert secret not in details and codes[0] not in details
    assert audit_actions(db_session) == [
        "mfa_enabled",
        "mfa_code_refused",
        "mfa_recovery_codes_regenerated",
        "mfa_disabled",
    ]
