"""Shared fixtures: ``engine`` and ``db_session`` on a fresh SQLite file per test and, when
ANIMA_TEST_POSTGRES_URL is set (e.g. postgresql://postgres@127.0.0.1:5432/postgres), on
PostgreSQL as well: every database test then runs once per backend.

For PostgreSQL a throwaway database ``anima_test_<random>`` is created once per test session
(per xdist worker) through an AUTOCOMMIT connection to that URL, tables are created once,
emptied before each test, and the database is dropped at the end.

Also ``cheap_argon2``, for modules that hash passwords. Plain helpers that make rows or read them
back (NHS numbers, practices, accounts, patients, the outbox, the audit trail) are in factories.py.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session, SQLModel

import anima_pwa.models  # noqa: F401  (registers every table)
from anima_pwa.db import make_engine
from anima_pwa.services.identity import passwords
from anima_pwa.settings import sqlalchemy_url

# The request tests' shared world (fixtures `world` and `clock`).
pytest_plugins = ["tests.request_world"]

POSTGRES_URL = os.environ.get("ANIMA_TEST_POSTGRES_URL", "").strip()
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    """An engine on a new, empty PostgreSQL database with every table, dropped afterwards."""
    admin = create_engine(sqlalchemy_url(POSTGRES_URL), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"anima_test_{secrets.token_hex(6)}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(sqlalchemy_url(POSTGRES_URL)).set(database=name)
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        SQLModel.metadata.create_all(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _empty_postgres(engine: Engine) -> None:
    tables = ", ".join(f'"{table.name}"' for table in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database with every table: SQLite, or PostgreSQL when configured."""
    if request.param == "postgresql":
        engine = request.getfixturevalue("postgres_engine")
        _empty_postgres(engine)
        yield engine
        return
    engine = make_engine(f"sqlite:///{tmp_path}/t.db")
    SQLModel.metadata.create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def db_session(engine: Engine) -> Iterator[Session]:
    """A session on ``engine``; the test decides when to commit. Rolled back and closed after."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tiny argon2 parameters for the password hashes a test makes, and for the dummy hash a check
    against a missing account spends its time on: tests about flows and seeding, not hashing cost.
    (verify_password reads the parameters from each hash, so it still checks them.) A module opts in
    with ``pytestmark = pytest.mark.usefixtures("cheap_argon2")``; a single test by asking for it."""
    cheap = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    monkeypatch.setattr(passwords, "hash_password", cheap.hash)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", cheap.hash("nobody knows this"))
