"""Single-use emailed links and 6-digit codes (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from anima_pwa.models import OneTimeToken
from anima_pwa.services.identity import tokens
from anima_pwa.services.identity.tokens import (
    CODE_LIFETIME,
    CODE_MAX_TRIES,
    EMAIL_VERIFICATION,
    LINK_LIFETIME,
    PASSWORD_RESET,
    TokenProblem,
)

T0 = datetime(2025, 6, 15, 9, 0, tzinfo=UTC)
JO = "jo@example.com"
SAM = "sam@example.com"


def at(**delta: float) -> datetime:
    return T0 + timedelta(**delta)


def link(db: Session, email: str = JO, **kwargs) -> str:
    return tokens.issue_link(db, purpose=EMAIL_VERIFICATION, email_normalized=email, now=T0, **kwargs)


def code_for(db: Session, email: str = JO, *, now: datetime = T0) -> str:
    return tokens.issue_code(db, purpose=PASSWORD_RESET, email_normalized=email, account_id=None, now=now)


def check(db: Session, code: str, email: str = JO, *, now: datetime | None = None) -> tokens.TokenResult:
    return tokens.check_code(db, purpose=PASSWORD_RESET, email_normalized=email, code=code, now=now or at(minutes=1))


def other(code: str) -> str:
    """A well-formed code that is certainly not ``code``."""
    return f"{(int(code) + 1) % 1_000_000:06d}"


def all_column_values(db: Session) -> list[str]:
    db.flush()
    rows = db.execute(text("SELECT * FROM one_time_token")).all()
    return [str(value) for row in rows for value in row]


@pytest.fixture
def fixed_codes(monkeypatch: pytest.MonkeyPatch):
    """Make issue_code draw the given numbers, in order."""

    def use(*numbers: int) -> None:
        drawn = iter(numbers)
        monkeypatch.setattr(tokens.secrets, "randbelow", lambda _upper: next(drawn))

    return use


# --- Links ------------------------------------------------------------------------------------


def test_link_is_single_use(db_session):
    secret = link(db_session, payload={"email": "Jo@Example.com"})
    first = tokens.consume_link(db_session, purpose=EMAIL_VERIFICATION, secret=secret, now=at(minutes=5))
    assert first.ok and first.token is not None
    assert first.token.consumed_at == at(minutes=5)
    assert tokens.payload(first.token) == {"email": "Jo@Example.com"}
    second = tokens.consume_link(db_session, purpose=EMAIL_VERIFICATION, secret=secret, now=at(minutes=6))
    assert second.problem is TokenProblem.USED
    assert second.token is not None and second.token.consumed_at == at(minutes=5)  # not moved on
    assert tokens.peek_link(db_session, purpose=EMAIL_VERIFICATION, secret=secret, now=at(minutes=7)).problem is (
        TokenProblem.USED
    )


def test_link_stays_single_use_after_commit(db_session):
    secret = link(db_session)
    assert tokens.consume_link(db_session, purpose=EMAIL_VERIFICATION, secret=secret, now=at(minutes=1)).ok
    db_session.commit()
    db_session.expire_all()
    again = tokens.consume_link(db_session, purpose=EMAIL_VERIFICATION, secret=secret, now=at(minutes=2))
    assert again.problem is TokenProblem.USED


@pytest.mark.parametrize(
    ("after", "problem"),
    [
        (timedelta(0), None),
        (LINK_LIFETIME - timedelta(seconds=1), None),
        (LINK_LIFETIME, TokenProblem.EXPIRED),
        (timedelta(hours=25), TokenProblem.EXPIRED),
        (timedelta(days=30), TokenProblem.EXPIRED),
    ],
)
def test_link_expires_after_24_hours(db_session, after, problem):
    assert LINK_LIFETIME == timedelta(hours=24)
    secret = link(db_session)
    assert tokens.peek_link(db_session, purpose=EMAIL_VERIFICATION, secret=secret, now=T0 + after).problem is problem
    result = tokens.consume_link(db_session, purpose=EMAIL_VERIFICATION, secret=secret, now=T0 + after)
    assert result.problem is problem
    assert result.token is not None
    assert (result.token.consumed_at is None) == (problem is not None)  # an expired link is not used up


def test_peek_does_not_use_the_link(db_session):
    secret = link(db_session)
    for _ in range(3):
        assert tokens.peek_link(db_session, purpose=EMAIL_VERIFICATION, secret=secret, now=at(minutes=1)).ok
    assert tokens.consume_link(db_session, purpose=EMAIL_VERIFICATION, secret=secret, now=at(minutes=1)).ok


def test_custom_link_lifetime(db_session):
    secret = link(db_session, lifetime=timedelta(minutes=30))
    assert tokens.peek_link(db_session, purpose=EMAIL_VERIFICATION, secret=secret, now=at(minutes=29)).ok
    assert tokens.peek_link(db_session, purpose=EMAIL_VERIFICATION, secret=secret, now=at(minutes=30)).problem is (
        TokenProblem.EXPIRED
    )


@pytest.mark.parametrize(
    "make_secret",
    [
        lambda s: "",
        lambda s: "nope",
        lambda s: s[:-1],  # one character short
        lambda s: s + "A",
        lambda s: s.upper() if s.upper() != s else s.lower(),
        lambda s: "x" * 201,  # overlong: refused before hashing
        lambda s: s + "x" * 200,  # overlong even though it starts with the real secret
    ],
    ids=["empty", "random", "truncated", "extended", "case-changed", "overlong", "real-plus-padding"],
)
def test_unknown_or_overlong_links(db_session, make_secret):
    secret = link(db_session)
    wrong = make_secret(secret)
    assert wrong != secret
    for call in (tokens.peek_link, tokens.consume_link):
        result = call(db_session, purpose=EMAIL_VERIFICATION, secret=wrong, now=at(minutes=1))
        assert result == tokens.TokenResult(None, TokenProblem.UNKNOWN)
    assert tokens.consume_link(db_session, purpose=EMAIL_VERIFICATION, secret=secret, now=at(minutes=1)).ok


def test_link_is_bound_to_its_purpose(db_session):
    secret = link(db_session)
    for call in (tokens.peek_link, tokens.consume_link):
        assert (
            call(db_session, purpose=PASSWORD_RESET, secret=secret, now=at(minutes=1)).problem is TokenProblem.UNKNOWN
        )
    assert tokens.consume_link(db_session, purpose=EMAIL_VERIFICATION, secret=secret, now=at(minutes=1)).ok


def test_links_are_random_and_long(db_session):
    secrets_ = {link(db_session) for _ in range(20)}
    assert len(secrets_) == 20
    assert all(len(s) >= 40 and re.fullmatch(r"[A-Za-z0-9_\-]+", s) for s in secrets_)


def test_only_a_keyed_hash_of_a_link_is_stored(db_session):
    secret = link(db_session, account_id=None, payload={"email": JO})
    row = db_session.exec(select(OneTimeToken)).one()
    assert re.fullmatch(r"[0-9a-f]{64}", row.secret_hash)
    values = all_column_values(db_session)
    assert values and not any(secret in value for value in values)
    # Not a plain (unkeyed) digest of the secret either: a database copy must not allow a lookup.
    assert row.secret_hash not in {
        hashlib.sha256(secret.encode()).hexdigest(),
        hashlib.sha256(f"{EMAIL_VERIFICATION}:{secret}".encode()).hexdigest(),
    }


def test_issuing_a_link_keeps_older_links_working(db_session):
    """Links are not revoked by issue_link (sign-up decides that); each works once."""
    first, second = link(db_session), link(db_session)
    assert tokens.consume_link(db_session, purpose=EMAIL_VERIFICATION, secret=first, now=at(minutes=1)).ok
    assert tokens.consume_link(db_session, purpose=EMAIL_VERIFICATION, secret=second, now=at(minutes=1)).ok


def test_a_revoked_link_reports_used(db_session):
    secret = link(db_session)
    row = db_session.exec(select(OneTimeToken)).one()
    row.revoked_at = at(minutes=1)
    db_session.add(row)
    db_session.flush()
    assert tokens.consume_link(db_session, purpose=EMAIL_VERIFICATION, secret=secret, now=at(minutes=2)).problem is (
        TokenProblem.USED
    )


# --- Codes ------------------------------------------------------------------------------------


def test_codes_are_six_digits_with_leading_zeros(db_session, fixed_codes):
    fixed_codes(42, 0, 999_999)
    assert [code_for(db_session) for _ in range(3)] == ["000042", "000000", "999999"]
    assert check(db_session, "999999").ok


def test_random_codes_are_six_digits(db_session):
    codes = [code_for(db_session, f"p{i}@example.com") for i in range(30)]
    assert all(re.fullmatch(r"[0-9]{6}", c) for c in codes)
    assert len(set(codes)) > 1


def test_code_is_not_stored(db_session, fixed_codes):
    fixed_codes(482_913)
    code = code_for(db_session)
    assert code == "482913"
    assert not any(code in value for value in all_column_values(db_session))


def test_right_code_succeeds_once(db_session):
    code = code_for(db_session)
    result = check(db_session, code, now=at(minutes=2))
    assert result.ok and result.token is not None
    assert result.token.consumed_at == at(minutes=2)
    assert result.token.attempts == 1
    again = check(db_session, code, now=at(minutes=3))
    assert again.problem is TokenProblem.USED


@pytest.mark.parametrize("typed", [" {c}", "{c} ", "\t{c}\n"])
def test_code_surrounding_whitespace_is_ignored(db_session, typed):
    code = code_for(db_session)
    assert check(db_session, typed.format(c=code)).ok


def test_newest_code_revokes_older_ones(db_session, fixed_codes):
    fixed_codes(111_111, 222_222, 333_333)
    first, second = code_for(db_session), code_for(db_session, now=at(minutes=1))
    third = code_for(db_session, now=at(minutes=2))
    rows = db_session.exec(select(OneTimeToken).order_by(OneTimeToken.id)).all()
    assert [r.revoked_at for r in rows] == [at(minutes=1), at(minutes=2), None]
    assert check(db_session, first, now=at(minutes=3)).problem is TokenProblem.WRONG
    assert check(db_session, second, now=at(minutes=3)).problem is TokenProblem.WRONG
    assert check(db_session, third, now=at(minutes=3)).ok


def test_a_new_code_for_one_email_leaves_other_emails_alone(db_session, fixed_codes):
    fixed_codes(111_111, 222_222)
    jo, sam = code_for(db_session, JO), code_for(db_session, SAM)
    assert check(db_session, jo, JO).ok
    assert check(db_session, sam, SAM).ok


def test_codes_do_not_work_for_another_email(db_session, fixed_codes):
    fixed_codes(111_111, 222_222)
    jo = code_for(db_session, JO)
    assert check(db_session, jo, SAM) == tokens.TokenResult(None, TokenProblem.UNKNOWN)  # Sam has no code
    code_for(db_session, SAM)
    wrong = check(db_session, jo, SAM)
    assert wrong.problem is TokenProblem.WRONG
    assert check(db_session, jo, JO).ok  # Jo's code was not used up by the attempt on Sam's


def test_codes_are_bound_to_their_purpose(db_session):
    code = code_for(db_session)
    result = tokens.check_code(
        db_session, purpose=EMAIL_VERIFICATION, email_normalized=JO, code=code, now=at(minutes=1)
    )
    assert result.problem is TokenProblem.UNKNOWN
    assert check(db_session, code).ok


@pytest.mark.parametrize("wrong_tries", range(1, CODE_MAX_TRIES))
def test_wrong_code_counts_a_try_and_reports_tries_left(db_session, wrong_tries):
    code = code_for(db_session)
    for n in range(1, wrong_tries + 1):
        result = check(db_session, other(code))
        assert result.problem is TokenProblem.WRONG
        assert result.token is not None
        assert result.token.attempts == n
        assert tokens.tries_left(result.token) == CODE_MAX_TRIES - n
    # The right code still works on the last allowed try.
    assert check(db_session, code).ok


def test_five_tries_then_too_many_even_with_the_right_code(db_session):
    assert CODE_MAX_TRIES == 5
    code = code_for(db_session)
    results = [check(db_session, other(code)).problem for _ in range(5)]
    assert results[:4] == [TokenProblem.WRONG] * 4
    assert results[4] is TokenProblem.TOO_MANY_TRIES  # the fifth wrong try uses the code up
    right = check(db_session, code)
    assert right.problem is TokenProblem.TOO_MANY_TRIES
    assert right.token is not None and right.token.consumed_at is None
    assert right.token.attempts == 5  # refused tries are not counted past the limit
    assert tokens.tries_left(right.token) == 0


def test_a_new_code_starts_a_fresh_count(db_session, fixed_codes):
    fixed_codes(111_111, 222_222)
    first = code_for(db_session)
    for _ in range(5):
        check(db_session, other(first))
    second = code_for(db_session, now=at(minutes=2))
    assert check(db_session, second, now=at(minutes=3)).ok


@pytest.mark.parametrize(
    ("after", "problem"),
    [
        (CODE_LIFETIME - timedelta(seconds=1), None),
        (CODE_LIFETIME, TokenProblem.EXPIRED),
        (timedelta(hours=2), TokenProblem.EXPIRED),
    ],
)
def test_code_expires_after_10_minutes(db_session, after, problem):
    assert CODE_LIFETIME == timedelta(minutes=10)
    code = code_for(db_session)
    result = check(db_session, code, now=T0 + after)
    assert result.problem is problem
    assert result.token is not None
    assert result.token.attempts == (1 if problem is None else 0)  # an expired code costs no try


def test_expired_code_is_reported_as_expired_even_when_wrong(db_session):
    code = code_for(db_session)
    assert check(db_session, other(code), now=at(minutes=11)).problem is TokenProblem.EXPIRED


def test_used_code_cannot_be_reused_even_after_a_wrong_try(db_session):
    code = code_for(db_session)
    assert check(db_session, code).ok
    assert check(db_session, other(code)).problem is TokenProblem.USED
    assert check(db_session, code).problem is TokenProblem.USED


def test_no_code_issued(db_session):
    assert check(db_session, "123456") == tokens.TokenResult(None, TokenProblem.UNKNOWN)


def test_two_emails_drawing_the_same_code_do_not_collide(db_session, fixed_codes):
    fixed_codes(555_555, 555_555)
    assert code_for(db_session, JO) == code_for(db_session, SAM) == "555555"
    db_session.commit()  # the unique secret_hash index accepts both
    assert check(db_session, "555555", SAM).ok
    assert check(db_session, "555555", JO).ok


# --- Parallel requests ------------------------------------------------------------------------
# Request A has already read the token when request B changes it and commits: A's copy is stale,
# and only the conditional UPDATE stops A from undoing B's work.


def test_a_link_used_by_a_parallel_request_is_not_used_twice(engine):
    with Session(engine, expire_on_commit=False) as setup:
        secret = link(setup)
        setup.commit()
    with Session(engine, expire_on_commit=False) as a:
        stale = tokens.peek_link(a, purpose=EMAIL_VERIFICATION, secret=secret, now=at(minutes=1)).token
        with Session(engine) as b:
            assert tokens.consume_link(b, purpose=EMAIL_VERIFICATION, secret=secret, now=at(minutes=1)).ok
            b.commit()
        assert stale is not None and stale.consumed_at is None  # A still holds the old row
        assert tokens.consume_link(a, purpose=EMAIL_VERIFICATION, secret=secret, now=at(minutes=2)).problem is (
            TokenProblem.USED
        )


def test_tries_counted_by_parallel_requests_are_not_lost(engine):
    with Session(engine, expire_on_commit=False) as setup:
        code = code_for(setup)
        setup.commit()
    with Session(engine, expire_on_commit=False) as a:
        stale = tokens.latest_code(a, purpose=PASSWORD_RESET, email_normalized=JO)
        with Session(engine) as b:
            for _ in range(CODE_MAX_TRIES):
                check(b, other(code))
            b.commit()
        assert stale is not None and stale.attempts == 0  # A still holds the old row
        result = check(a, code)
        assert result.problem is TokenProblem.TOO_MANY_TRIES
        assert result.token is not None and result.token.attempts == CODE_MAX_TRIES
