"""The app's plain HTTP routes against the test database: a session scope like `db.session_scope`
bound to the test engine, and a GET as one browser (its session cookie, or none)."""

from __future__ import annotations

from functools import partial

from sqlalchemy.engine import Engine
from starlette.testclient import TestClient

from anima_pwa import cookies, db


def factory_for(engine: Engine):
    """A session_factory like db.session_scope, bound to the test engine."""
    return partial(db.session_scope_on, engine)


def get_as(client: TestClient, path: str, token: str | None):
    """GET ``path`` with only this session cookie (no cookie for None)."""
    client.cookies.clear()
    if token:
        client.cookies.set(cookies.SESSION, token)
    return client.get(path)
