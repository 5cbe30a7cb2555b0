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
