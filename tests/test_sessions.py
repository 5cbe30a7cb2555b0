"""Server-side sign-in sessions: idle and absolute timeouts, sign-out, only a hash stored."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from anima_pwa.models import Account, AuthSession
from anima_pwa.services.identity import sessions
from anima_pwa.services.identity.sessions import ABSOLUTE_TIMEOUT, IDLE_TIMEOUT, TOUCH_AFTER, Identity
from tests.factories import make_account

T0 = datetime(2025, 6, 15, 9, 0, tzinfo=UTC)


def at(**delta: float) -> datetime:
    return T0 + timedelta(**delta)


@pytest.fixture
def account(db_session: Session) -> Account:
    return make_account(db_session, "Jo@Example.com")


def row_of(db: Session, token: str) -> AuthSession:
    db.flush()
    db.expire_all()
    found = db.get(AuthSession, hashlib.sha256(token.encode()).hexdigest())
    assert found is not None
    return found


def test_timeouts_are_the_nhs_login_rules():
    assert (IDLE_TIMEOUT, ABSOLUTE_TIMEOUT, TOUCH_AFTER) == (
        timedelta(minutes=30),
        timedelta(hours=12),
        timedelta(seconds=60),
    )


def test_start_and_resolve(db_session, account):
    token = sessions.start(db_session, account, ip="203.0.113.9", user_agent="Firefox", now=T0)
    identity = sessions.resolve(db_session, token, now=at(seconds=5))
    assert identity == Identity(
        account_id=account.id,
        email="Jo@Example.com",
        kind="patient",
        session_id=hashlib.sha256(token.encode()).hexdigest(),
    )
    row = row_of(db_session, token)
    assert (row.account_id, row.created_at, row.expires_at) == (account.id, T0, T0 + ABSOLUTE_TIMEOUT)
    assert (row.ip, row.user_agent, row.revoked_at) == ("203.0.113.9", "Firefox", None)
    assert db_session.get(Account, account.id).last_login_at == T0


def test_tokens_are_random_and_long(db_session, account):
    tokens_ = {sessions.start(db_session, account, now=T0) for _ in range(10)}
    assert len(tokens_) == 10
    assert all(len(t) >= 40 for t in tokens_)


def test_only_the_sha256_is_stored(db_session, account):
    token = sessions.start(db_session, account, now=T0)
    db_session.flush()
    rows = db_session.execute(text("SELECT * FROM auth_session")).all()
    assert len(rows) == 1
    assert not any(token in str(value) for value in rows[0])
    assert db_session.exec(select(AuthSession.id)).one() == hashlib.sha256(token.encode()).hexdigest()


def test_long_client_values_are_cut_to_fit(db_session, account):
    token = sessions.start(db_session, account, ip="1" * 100, user_agent="u" * 400, now=T0)
    db_session.commit()
    row = row_of(db_session, token)
    assert (len(row.ip), len(row.user_agent)) == (64, 255)


@pytest.mark.parametrize("token", [None, "", "unknown-token", "x" * 101, "x" * 5000])
def test_unknown_empty_or_overlong_tokens(db_session, account, token):
    sessions.start(db_session, account, now=T0)
    assert sessions.resolve(db_session, token, now=at(seconds=1)) is None


@pytest.mark.parametrize(
    ("idle", "alive"),
    [
        (timedelta(minutes=1), True),
        (timedelta(minutes=29), True),
        (timedelta(minutes=29, seconds=59), True),
        (timedelta(minutes=30), False),
        (timedelta(minutes=31), False),
        (timedelta(hours=5), False),
    ],
)
def test_idle_timeout(db_session, account, idle, alive):
    token = sessions.start(db_session, account, now=T0)
    assert (sessions.resolve(db_session, token, now=T0 + idle) is not None) is alive
    if not alive:
        # Timing out ends the session for good: it does not come back at an earlier clock either.
        assert row_of(db_session, token).revoked_at == T0 + idle
        assert sessions.resolve(db_session, token, now=at(minutes=1)) is None


def test_activity_extends_the_idle_timeout(db_session, account):
    token = sessions.start(db_session, account, now=T0)
    assert sessions.resolve(db_session, token, now=at(minutes=29)) is not None
    assert row_of(db_session, token).last_seen_at == at(minutes=29)
    assert sessions.resolve(db_session, token, now=at(minutes=58)) is not None  # 29 min after the last use
    assert sessions.resolve(db_session, token, now=at(minutes=58 + 31)) is None  # 31 min with nothing


def test_absolute_timeout_even_with_constant_activity(db_session, account):
    token = sessions.start(db_session, account, now=T0)
    minute = 0
    while minute < 12 * 60 - 1:
        minute += 10
        when = at(minutes=min(minute, 12 * 60 - 1))
        assert sessions.resolve(db_session, token, now=when) is not None, when
    assert sessions.resolve(db_session, token, now=T0 + ABSOLUTE_TIMEOUT) is None
    assert row_of(db_session, token).revoked_at == T0 + ABSOLUTE_TIMEOUT


@pytest.mark.parametrize(
    ("after", "touched"),
    [(timedelta(seconds=1), False), (timedelta(seconds=59), False), (TOUCH_AFTER, True), (timedelta(minutes=5), True)],
)
def test_last_seen_is_written_only_after_a_minute(db_session, account, after, touched):
    token = sessions.start(db_session, account, now=T0)
    db_session.commit()
    assert sessions.resolve(db_session, token, now=T0 + after) is not None
    assert bool(db_session.dirty) is touched  # no write at all for a quick second request
    db_session.commit()
    assert row_of(db_session, token).last_seen_at == (T0 + after if touched else T0)


def test_untouched_requests_still_count_from_the_last_write(db_session, account):
    """Requests every 50 s write nothing, so idleness counts from the last write (at most a minute)."""
    token = sessions.start(db_session, account, now=T0)
    for seconds in (50, 100, 150):
        assert sessions.resolve(db_session, token, now=at(seconds=seconds)) is not None
    assert row_of(db_session, token).last_seen_at == at(seconds=100)


def test_end_revokes_only_this_session(db_session, account):
    mine = sessions.start(db_session, account, now=T0)
    other_tab = sessions.start(db_session, account, now=T0)
    sessions.end(db_session, mine, now=at(minutes=1))
    assert row_of(db_session, mine).revoked_at == at(minutes=1)
    assert sessions.resolve(db_session, mine, now=at(minutes=2)) is None
    assert sessions.resolve(db_session, other_tab, now=at(minutes=2)) is not None


@pytest.mark.parametrize("token", [None, "", "unknown"])
def test_end_with_no_session_is_harmless(db_session, account, token):
    kept = sessions.start(db_session, account, now=T0)
    sessions.end(db_session, token, now=at(minutes=1))
    assert sessions.resolve(db_session, kept, now=at(minutes=2)) is not None


def test_end_twice_keeps_the_first_time(db_session, account):
    token = sessions.start(db_session, account, now=T0)
    sessions.end(db_session, token, now=at(minutes=1))
    sessions.end(db_session, token, now=at(minutes=2))
    assert row_of(db_session, token).revoked_at == at(minutes=1)


def test_end_all(db_session, account):
    someone_else = make_account(db_session, "sam@example.com")
    mine = [sessions.start(db_session, account, now=T0) for _ in range(3)]
    theirs = sessions.start(db_session, someone_else, now=T0)
    sessions.end(db_session, mine[0], now=at(seconds=30))  # already ended: not counted again
    assert sessions.end_all(db_session, account.id, now=at(minutes=1)) == 2
    assert all(sessions.resolve(db_session, t, now=at(minutes=2)) is None for t in mine)
    assert row_of(db_session, mine[0]).revoked_at == at(seconds=30)
    assert sessions.resolve(db_session, theirs, now=at(minutes=2)) is not None


def test_end_all_except_the_current_session(db_session, account):
    current, other_1, other_2 = (sessions.start(db_session, account, now=T0) for _ in range(3))
    identity = sessions.resolve(db_session, current, now=at(seconds=1))
    assert identity is not None
    assert sessions.end_all(db_session, account.id, except_session_id=identity.session_id, now=at(minutes=1)) == 2
    assert sessions.resolve(db_session, current, now=at(minutes=2)) is not None
    assert sessions.resolve(db_session, other_1, now=at(minutes=2)) is None
    assert sessions.resolve(db_session, other_2, now=at(minutes=2)) is None


def test_disabled_account_resolves_to_nobody(db_session, account):
    token = sessions.start(db_session, account, now=T0)
    account.status = "disabled"
    db_session.add(account)
    db_session.flush()
    assert sessions.resolve(db_session, token, now=at(minutes=1)) is None


@pytest.mark.parametrize("kind", ["patient", "staff"])
def test_identity_carries_the_account_kind(db_session, kind):
    acc = make_account(db_session, f"{kind}@example.com", kind=kind)
    token = sessions.start(db_session, acc, now=T0)
    identity = sessions.resolve(db_session, token, now=at(seconds=1))
    assert identity is not None and identity.kind == kind


def test_sessions_survive_commit_and_a_new_db_session(engine):
    """What a real request sees: the token is resolved in a later transaction."""
    with Session(engine, expire_on_commit=False) as first:
        acc = make_account(first, "new@example.com")
        token = sessions.start(first, acc, now=T0)
        first.commit()
    with Session(engine) as later:
        identity = sessions.resolve(later, token, now=at(minutes=10))
        assert identity is not None and identity.email == "new@example.com"
        later.commit()
    with Session(engine) as latest:
        assert sessions.resolve(latest, token, now=at(minutes=39)) is not None  # idle counted from 10 min
