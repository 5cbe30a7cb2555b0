"""The database engine and sessions, shared by services' callers (State, CLI, tests).

Services never open sessions themselves: they take one, so a caller decides the transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from anima_pwa.settings import settings

_engines: dict[str, Engine] = {}


def make_engine(url: str) -> Engine:
    """An engine for a database URL; SQLite gets foreign keys and a busy timeout."""
    from anima_pwa.settings import sqlalchemy_url

    url = sqlalchemy_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def engine() -> Engine:
    url = settings.db_url
    if url not in _engines:
        _engines[url] = make_engine(url)
    return _engines[url]


@contextmanager
def session_scope_on(bound: Engine) -> Iterator[Session]:
    """A session on ``bound`` that commits on success and rolls back on any error: nothing half-saved."""
    with Session(bound, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session on the app's database that commits on success and rolls back on any error."""
    with session_scope_on(engine()) as session:
        yield session


# "The database did not answer" (not "the query was wrong") ------------------------------------------

_SQLITE_UNAVAILABLE = ("database is locked", "database table is locked", "unable to open", "disk i/o error")


def unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` means the database could not be reached or did not answer in time: a
    connection refused, dropped or invalidated, a pool that could not hand out a connection,
    PostgreSQL refusing connections or cancelling the statement, SQLite locked or its file
    unopenable. Such a failure is temporary and says nothing about the data, so a screen says
    "try again in a moment" instead of an error (state.base). A bug (a bad query, a missing
    table, a constraint) is not one of these."""
    import sqlite3

    from sqlalchemy import exc as sa_exc

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sa_exc.TimeoutError):  # the pool had no connection to give
            return True
        if isinstance(current, sa_exc.DBAPIError):
            if current.connection_invalidated:
                return True
            if isinstance(current, sa_exc.OperationalError | sa_exc.InterfaceError):
                orig = current.orig
                if isinstance(orig, sqlite3.Error):
                    return _sqlite_unavailable(orig)
                return True
        if isinstance(current, sqlite3.OperationalError):
            return _sqlite_unavailable(current)
        if _is_psycopg_operational(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _sqlite_unavailable(error: BaseException) -> bool:
    text = str(error).lower()
    return any(words in text for words in _SQLITE_UNAVAILABLE)


def _is_psycopg_operational(error: BaseException) -> bool:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is installed with the app
        return False
    return isinstance(error, psycopg.OperationalError | psycopg.InterfaceError)
