"""The committed migrations build exactly the schema the models describe, on SQLite and PostgreSQL,
and can be undone."""

from __future__ import annotations

import os
import uuid

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlmodel import SQLModel

import anima_pwa.models  # noqa: F401
from anima_pwa.admin import alembic_config
from anima_pwa.db import make_engine

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("ANIMA_TEST_POSTGRES_URL") else [])


@pytest.fixture(params=BACKENDS)
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield make_engine(f"sqlite:///{tmp_path / 'migrations.db'}")
        return
    server = os.environ["ANIMA_TEST_POSTGRES_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"anima_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(f"{server.rsplit('/', 1)[0]}/{name}")
    yield engine
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _run(engine, action, *args):
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        action(config, *args)


def test_upgrade_matches_the_models_and_downgrade_removes_everything(empty_database):
    _run(empty_database, command.upgrade, "head")
    with empty_database.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == [], f"models and migrations differ: {differences}"
    tables = set(inspect(empty_database).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables

    _run(empty_database, command.downgrade, "base")
    assert set(inspect(empty_database).get_table_names()) <= {"alembic_version"}
