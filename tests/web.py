"""The app's plain HTTP routes against the test database: a session scope like `db.session_scope`
bound to the test engine, and a GET as one browser (its session cookie, or none)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.testclient import TestClient

from anima_pwa import cookies


def factory_for(engine: Engine):
    """A session_factory like db.session_scope, bound to the test engine."""

    @contextmanager
    def factory() -> Iterator[Session]:
        with Session(engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    return factory


def get_as(client: TestClient, path: str, token: str | None):
    """GET ``path`` with only this session cookie (no cookie for None)."""
    client.cookies.clear()
    if token:
        client.cookies.set(cookies.SESSION, token)
    return client.get(path)
