"""Sliding-window rate limits in the database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from anima_pwa.models.accounts import RateLimitHit
from anima_pwa.services.identity.ratelimit import Decision, Limit, check, clear, hit, purge, retry_message
from anima_pwa.settings import settings

T0 = datetime(2025, 6, 15, 9, 0, tzinfo=UTC)
SIGN_IN = Limit("signin_email", max_hits=3, window=timedelta(minutes=15))


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_allows_up_to_the_limit_then_refuses(db_session):
    assert [hit(db_session, SIGN_IN, "jo@example.com", now=at(s)).allowed for s in (0, 60, 120)] == [True] * 3
    refused = hit(db_session, SIGN_IN, "jo@example.com", now=at(180))
    # The refused attempt counts too, so the hits at 0 s and 60 s must both leave the window.
    assert refused == Decision(allowed=False, retry_after=timedelta(seconds=60 + 900 - 180))


def test_allowed_decisions_have_no_wait(db_session):
    assert hit(db_session, SIGN_IN, "jo@example.com", now=T0) == Decision(allowed=True, retry_after=timedelta(0))


def test_window_slides(db_session):
    for s in (0, 60, 120):
        hit(db_session, SIGN_IN, "jo@example.com", now=at(s))
    assert not check(db_session, SIGN_IN, "jo@example.com", now=at(899)).allowed
    # At exactly 15 minutes the first hit has expired: there is room for one more.
    assert hit(db_session, SIGN_IN, "jo@example.com", now=at(900)).allowed
    assert not hit(db_session, SIGN_IN, "jo@example.com", now=at(901)).allowed


def test_refused_attempts_count_too(db_session):
    """Hammering keeps the door shut: every refused attempt is another hit in the window."""
    for s in (0, 1, 2):
        hit(db_session, SIGN_IN, "jo@example.com", now=at(s))
    refused = hit(db_session, SIGN_IN, "jo@example.com", now=at(600))
    assert refused.retry_after == timedelta(seconds=301)  # the hit at 1 s must expire
    again = hit(db_session, SIGN_IN, "jo@example.com", now=at(899))
    assert not again.allowed
    assert again.retry_after == timedelta(seconds=3)  # hits at 0, 1 and 2 s must expire
    assert hit(db_session, SIGN_IN, "jo@example.com", now=at(902)).allowed  # 600 s, 899 s and this


def test_retry_after_is_when_an_attempt_would_succeed(db_session):
    for s in (0, 10, 20, 30):
        decision = hit(db_session, SIGN_IN, "jo@example.com", now=at(s))
    assert not decision.allowed
    later = at(30) + decision.retry_after
    assert not check(db_session, SIGN_IN, "jo@example.com", now=later - timedelta(microseconds=1)).allowed
    assert hit(db_session, SIGN_IN, "jo@example.com", now=later).allowed


def test_retry_after_is_at_least_a_second(db_session):
    limit = Limit("tiny", max_hits=1, window=timedelta(milliseconds=500))
    hit(db_session, limit, "k", now=T0)
    refused = hit(db_session, limit, "k", now=T0 + timedelta(milliseconds=100))
    assert refused == Decision(allowed=False, retry_after=timedelta(seconds=1))


def test_check_does_not_record(db_session):
    for _ in range(10):
        assert check(db_session, SIGN_IN, "jo@example.com", now=T0).allowed
    assert db_session.exec(select(RateLimitHit)).all() == []
    for s in (0, 1):
        hit(db_session, SIGN_IN, "jo@example.com", now=at(s))
    assert check(db_session, SIGN_IN, "jo@example.com", now=at(2)).allowed  # one more fits
    hit(db_session, SIGN_IN, "jo@example.com", now=at(2))
    refused = check(db_session, SIGN_IN, "jo@example.com", now=at(3))
    assert refused == Decision(allowed=False, retry_after=timedelta(seconds=897))
    assert len(db_session.exec(select(RateLimitHit)).all()) == 3


def test_keys_are_case_insensitive_and_separate(db_session):
    for s in (0, 1, 2):
        hit(db_session, SIGN_IN, "Jo@Example.com", now=at(s))
    assert not check(db_session, SIGN_IN, "jo@example.COM", now=at(3)).allowed
    assert check(db_session, SIGN_IN, "sam@example.com", now=at(3)).allowed
    assert check(db_session, Limit("reset_email", 3, timedelta(minutes=15)), "jo@example.com", now=at(3)).allowed


def test_keys_are_stored_only_as_a_keyed_hash(db_session):
    hit(db_session, SIGN_IN, "Jo@Example.com", now=T0)
    row = db_session.exec(select(RateLimitHit)).one()
    expected = hmac.new(settings.secret_key.encode(), b"signin_email:jo@example.com", hashlib.sha256).hexdigest()
    assert row.key_hash == expected
    assert row.bucket == "signin_email" and row.at == T0
    assert "jo" not in row.key_hash and "example" not in row.key_hash


def test_clear_forgets_only_that_key(db_session):
    other_bucket = Limit("reset_email", 3, timedelta(minutes=15))
    for s in (0, 1, 2):
        hit(db_session, SIGN_IN, "jo@example.com", now=at(s))
        hit(db_session, SIGN_IN, "sam@example.com", now=at(s))
        hit(db_session, other_bucket, "jo@example.com", now=at(s))
    clear(db_session, SIGN_IN, "JO@example.com")
    assert check(db_session, SIGN_IN, "jo@example.com", now=at(3)).allowed
    assert not check(db_session, SIGN_IN, "sam@example.com", now=at(3)).allowed
    assert not check(db_session, other_bucket, "jo@example.com", now=at(3)).allowed


def test_purge_deletes_old_rows(db_session):
    for s in (0, 60, 3600, 7200):
        hit(db_session, SIGN_IN, "jo@example.com", now=at(s))
    assert purge(db_session, before=at(3600)) == 2
    assert [row.at for row in db_session.exec(select(RateLimitHit).order_by(RateLimitHit.at))] == [
        at(3600),
        at(7200),
    ]


def test_nothing_is_committed_for_the_caller(db_session):
    hit(db_session, SIGN_IN, "jo@example.com", now=T0)
    db_session.rollback()
    assert db_session.exec(select(RateLimitHit)).all() == []


def test_other_timezones_are_converted_and_naive_times_refused(db_session):
    bst = timezone(timedelta(hours=1))
    hit(db_session, SIGN_IN, "jo@example.com", now=T0.astimezone(bst))
    assert db_session.exec(select(RateLimitHit.at)).one() == T0
    with pytest.raises(ValueError, match="timezone-aware"):
        hit(db_session, SIGN_IN, "jo@example.com", now=datetime(2025, 6, 15, 9, 0))


def test_default_now_is_the_clock(db_session):
    decision = hit(db_session, SIGN_IN, "jo@example.com")
    assert decision.allowed
    stored = db_session.exec(select(RateLimitHit.at)).one()
    assert abs(datetime.now(UTC) - stored) < timedelta(minutes=1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"bucket": "", "max_hits": 1, "window": timedelta(minutes=1)},
        {"bucket": "x" * 41, "max_hits": 1, "window": timedelta(minutes=1)},
        {"bucket": "b", "max_hits": 0, "window": timedelta(minutes=1)},
        {"bucket": "b", "max_hits": 1, "window": timedelta(0)},
    ],
)
def test_limits_must_make_sense(kwargs):
    with pytest.raises(ValueError):
        Limit(**kwargs)


def _wait_until_blocked_or_done(engine, worker: threading.Thread, timeout: float = 10.0) -> None:
    """On PostgreSQL, poll (with a deadline) until the worker waits on a lock or has finished."""
    deadline = time.monotonic() + timeout
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar_one()
            connection.rollback()
            if waiting or not worker.is_alive():
                return
            threading.Event().wait(0.01)
    raise AssertionError("the second attempt neither waited nor finished")


def test_simultaneous_attempts_are_counted_one_after_another(engine):
    """Two workers each still inside their transaction: the second must see the first."""
    limit = Limit("signin_email", max_hits=1, window=timedelta(minutes=15))
    results: list[Decision] = []
    with Session(engine) as first:
        assert hit(first, limit, "jo@example.com", now=T0).allowed  # not committed yet

        def second_worker() -> None:
            with Session(engine) as second:
                results.append(hit(second, limit, "jo@example.com", now=at(1)))
                second.commit()

        worker = threading.Thread(target=second_worker)
        worker.start()
        if engine.dialect.name == "postgresql":
            # Make sure the second attempt ran (or is waiting) before the first commits.
            # SQLite needs no help: its single writer holds the second insert until then.
            _wait_until_blocked_or_done(engine, worker)
        first.commit()
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert results == [Decision(allowed=False, retry_after=timedelta(minutes=15))]


@pytest.mark.parametrize(
    "wait, message",
    [
        (timedelta(0), "Try again in 1 minute."),
        (timedelta(seconds=1), "Try again in 1 minute."),
        (timedelta(seconds=60), "Try again in 1 minute."),
        (timedelta(seconds=61), "Try again in 2 minutes."),
        (timedelta(minutes=13, seconds=1), "Try again in 14 minutes."),
        (timedelta(minutes=14), "Try again in 14 minutes."),
        (timedelta(minutes=119), "Try again in 119 minutes."),
        (timedelta(hours=2), "Try again in 2 hours."),
        (timedelta(hours=2, minutes=1), "Try again in 3 hours."),
        (timedelta(hours=24), "Try again in 24 hours."),
    ],
)
def test_retry_message(wait, message):
    assert retry_message(wait) == message
