"""The database stops answering: one mechanism for every screen (state.base.requires and the app's
backend_exception_handler), never a false empty state, never "signed out".

The outage is real, not a mock of our own code: the screens' engine points at a port nothing
listens on (PostgreSQL's driver refuses the connection with an OperationalError), and for SQLite
at a database another connection holds locked.
"""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest
from reflex_base.event import EventSpec
from sqlalchemy import create_engine, exc, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

import anima_pwa.anima_pwa  # noqa: F401  (every page and State, as the app registers them)
from anima_pwa import db, routes
from anima_pwa.models import Account
from anima_pwa.state.base import SessionState, backend_exception_handler
from anima_pwa.state.inbox.patient import InProgressState, YourRequestsState
from anima_pwa.state.inbox.practice_queue import PracticeQueueState
from anima_pwa.state.requests.wizard import RequestWizardState
from tests.factories import identity_of, make_account, make_practice, make_staff
from tests.screen_tabs import opened, run


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def down() -> Engine:
    """An engine on a PostgreSQL that does not answer (nothing listens on its port)."""
    engine = db.make_engine(f"postgresql://postgres@127.0.0.1:{_closed_port()}/anima?connect_timeout=2")
    yield engine
    engine.dispose()


@pytest.fixture
def outage(monkeypatch: pytest.MonkeyPatch, down: Engine):
    """Screens use ``engine`` (the test database) until ``outage(True)``; then every database
    call, the session lookup included, fails as it does when PostgreSQL is stopped. The
    browser holds a session cookie throughout."""

    def switch(engine: Engine, off: bool) -> None:
        monkeypatch.setattr(db, "engine", lambda: down if off else engine)

    monkeypatch.setattr(SessionState, "_session_token", lambda self: "a-session-cookie")
    return switch


def _signed_in(engine: Engine, monkeypatch: pytest.MonkeyPatch, identity) -> None:
    """The session lookup finds ``identity`` while the database answers, and fails with the
    database when it doesn't (the real `_identity` goes through db.session_scope)."""
    from anima_pwa.services.identity import sessions

    monkeypatch.setattr(sessions, "resolve", lambda session, token: (session.execute(text("SELECT 1")), identity)[1])


# --- what counts as "the database did not answer" ------------------------------------------------


def test_a_refused_connection_is_unreachable(down: Engine) -> None:
    with pytest.raises(exc.OperationalError) as raised:
        with down.connect():
            pass
    assert db.unreachable(raised.value)


def test_sqlite_locked_is_unreachable_but_a_bad_query_is_not(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN EXCLUSIVE")
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.05})
    try:
        with pytest.raises(exc.OperationalError) as locked:
            with engine.connect() as connection:
                connection.execute(text("SELECT * FROM t"))
        assert db.unreachable(locked.value)
        holder.execute("ROLLBACK")
        with pytest.raises(exc.OperationalError) as missing:
            with engine.connect() as connection:
                connection.execute(text("SELECT * FROM no_such_table"))
        assert not db.unreachable(missing.value)
    finally:
        engine.dispose()
        holder.close()


def test_bugs_are_not_outages() -> None:
    assert not db.unreachable(ValueError("a bug"))
    assert not db.unreachable(exc.IntegrityError("INSERT", {}, Exception("duplicate key")))
    invalidated = exc.DBAPIError("SELECT 1", {}, Exception("server closed the connection"), connection_invalidated=True)
    assert db.unreachable(invalidated)


# --- a page that cannot load its data ------------------------------------------------------------


def test_your_requests_during_an_outage_says_it_could_not_load_and_stays_signed_in(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, outage
) -> None:
    with Session(engine) as session:
        account = make_account(session, "outage@example.com")
        session.commit()
        identity = identity_of(account)
    _signed_in(engine, monkeypatch, identity)
    outage(engine, True)
    tab = opened(YourRequestsState, routes.YOUR_REQUESTS)
    assert run(tab, "load") is None  # no redirect to sign in: the session could not be checked
    assert tab.load_failed and not tab.records_unreachable
    assert tab.signed_in  # the header keeps Settings and Sign out

    outage(engine, False)
    tab.is_hydrated = False  # "Try again": the page loads again
    assert run(tab, "load") is None
    assert not tab.load_failed and tab.rows == [] and tab.signed_in


@pytest.mark.parametrize("state", [YourRequestsState, InProgressState])
def test_every_patient_list_fails_the_same_way(state, engine: Engine, monkeypatch: pytest.MonkeyPatch, outage) -> None:
    _signed_in(engine, monkeypatch, None)
    outage(engine, True)
    tab = opened(state, routes.IN_PROGRESS)
    tab.rows = [{"reference": "AN-SHOWN-BEFORE"}]
    assert run(tab, "load") is None
    assert tab.load_failed and tab.signed_in


def test_the_practice_queue_during_an_outage(engine: Engine, monkeypatch: pytest.MonkeyPatch, outage) -> None:
    with Session(engine) as session:
        practice = make_practice(session, "G22221")
        staff = make_staff(session, practice, "receptionist")
        identity = identity_of(session.get(Account, staff.account_id), method="password+mfa")
        session.commit()
    _signed_in(engine, monkeypatch, identity)
    outage(engine, True)
    tab = opened(PracticeQueueState, routes.PRACTICE_REQUESTS)
    assert run(tab, "load") is None
    assert tab.load_failed and tab.signed_in  # the header keeps Sign out
    outage(engine, False)
    tab.is_hydrated = False
    assert run(tab, "load") is None
    assert not tab.load_failed and tab.staff_name


# --- an event that cannot do its work ------------------------------------------------------------


def test_a_wizard_answer_during_an_outage_keeps_the_page_and_says_so(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, outage
) -> None:
    _signed_in(engine, monkeypatch, None)
    outage(engine, True)
    tab = opened(RequestWizardState, routes.REQUEST_NEW)
    tab.is_hydrated = True  # the page is on screen; the patient presses Continue
    tab.step, tab._draft_id, tab.question = "question", 7, {"id": "q1", "type": "string"}
    assert run(tab, "answer", {"answer": "It started on Monday"}) is None
    assert tab.records_unreachable and not tab.load_failed
    assert (tab.step, tab._draft_id, tab.errors) == ("question", 7, {})  # nothing on screen changed


def test_an_event_outside_the_guards_gets_the_apps_words_not_reflexs() -> None:
    refused = exc.OperationalError("SELECT 1", {}, Exception("connection refused"))
    event = backend_exception_handler(refused)
    assert isinstance(event, EventSpec)
    assert event.handler.fn.__qualname__.endswith("show_records_unreachable")
    tab = SessionState(_reflex_internal_init=True)
    tab.event_handlers["show_records_unreachable"].fn(tab)
    assert tab.records_unreachable


def test_other_errors_keep_reflexs_handler() -> None:
    event = backend_exception_handler(ValueError("a bug"))
    assert event is not None and "show_records_unreachable" not in str(event)


def test_a_public_page_during_an_outage_says_it_could_not_load(engine: Engine, outage) -> None:
    """Pages for nobody in particular (sign-in, emailed links, the practice's own link) go through
    `records_guarded`: the same words, and the signature Reflex reads is the handler's own."""
    import inspect

    from anima_pwa.state.identity.nhs_login import NhsLoginState
    from anima_pwa.state.practice.practice_link import PracticeLinkState

    outage(engine, True)
    tab = opened(PracticeLinkState, "/p/Y90001")
    assert run(tab, "load") is None
    assert tab.load_failed
    assert inspect.iscoroutinefunction(NhsLoginState.event_handlers["finish"].fn)
    assert list(inspect.signature(NhsLoginState.event_handlers["finish"].fn).parameters) == ["self"]
