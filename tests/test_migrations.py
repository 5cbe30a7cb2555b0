"""The committed migrations build exactly the schema the models describe, on SQLite and PostgreSQL,
and can be undone."""

from __future__ import annotations

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlmodel import SQLModel

import anima_pwa.models  # noqa: F401
from alembic import command
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


def test_each_migration_upgrades_a_database_that_already_has_rows(empty_database):
    """Adding columns to tables other rows point at must work with data present (SQLite rebuilds
    such tables), and new NOT NULL columns need defaults for the existing rows."""
    from alembic.script import ScriptDirectory

    config = alembic_config()
    revisions = [r.revision for r in reversed(list(ScriptDirectory.from_config(config).walk_revisions()))]
    _run(empty_database, command.upgrade, revisions[0])
    with empty_database.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO practice (ods_code, name, address_line1, address_line2, address_line3, town, county, "
                "postcode, phone, status, commissioner, network, created_at, updated_at) VALUES "
                "('Y1', 'P', '', '', '', '', '', 'MB1 2RH', '', 'active', '', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO account (email, email_normalized, kind, status, created_at, updated_at) VALUES "
                "('a@example.com', 'a@example.com', 'patient', 'active', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO patient (full_name, date_of_birth, postcode, address_line1, phone_mobile, practice_id, "
                "verification_status, verification_note, created_at, updated_at) VALUES "
                "('A B', '1980-01-01', 'MB1 2RH', '', '', 1, 'verified', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO account_patient (account_id, patient_id, relationship, created_at) "
                "VALUES (1, 1, 'self', CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO auth_session (id, account_id, created_at, last_seen_at, expires_at, ip, user_agent) "
                "VALUES ('s', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '', '')"
            )
        )
    for revision in revisions[1:]:
        _run(empty_database, command.upgrade, revision)
    empty_database.dispose()
    with empty_database.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM account_patient")).scalar_one() == 1
        if empty_database.dialect.name == "sqlite":
            assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
            assert connection.execute(text("PRAGMA foreign_key_check")).all() == []


def test_the_alembic_command_line_path_commits(tmp_path):
    """`alembic upgrade head` (no connection passed in) must leave the tables and the version."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    config = alembic_config()
    config.attributes["url"] = url
    command.upgrade(config, "head")
    engine = make_engine(url)
    with engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert set(SQLModel.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()
    from alembic.script import ScriptDirectory

    assert version == ScriptDirectory.from_config(config).get_current_head()


def test_0008_claims_lets_claims_share_a_number_and_keeps_why_links_wait(empty_database):
    """After 0008_claims only verified records own an NHS number, and links that were waiting for
    approval before it (dependants of 16 or over) say so. Downgrading restores the old constraint."""
    from sqlalchemy.exc import IntegrityError

    _run(empty_database, command.upgrade, "0005")
    with empty_database.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO practice (ods_code, name, address_line1, address_line2, address_line3, town, county, "
                "postcode, phone, status, commissioner, network, created_at, updated_at) VALUES "
                "('Y1', 'P', '', '', '', '', '', 'MB1 2RH', '', 'active', '', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO account (email, email_normalized, kind, status, created_at, updated_at) VALUES "
                "('a@example.com', 'a@example.com', 'patient', 'active', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        for name in ("Teen", "Child"):
            connection.execute(
                text(
                    "INSERT INTO patient (full_name, date_of_birth, postcode, address_line1, phone_mobile, practice_id, "
                    "verification_status, verification_note, created_at, updated_at) VALUES "
                    f"('{name}', '2008-01-01', 'MB1 2RH', '', '', 1, 'verified', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
        connection.execute(
            text(
                "INSERT INTO account_patient (account_id, patient_id, relationship, approval_status, approval_note, created_at) "
                "VALUES (1, 1, 'dependant', 'pending', '', CURRENT_TIMESTAMP), (1, 2, 'dependant', 'not_needed', '', CURRENT_TIMESTAMP)"
            )
        )
    _run(empty_database, command.upgrade, "0008_claims")
    empty_database.dispose()

    def add_patient(connection, status: str) -> None:
        connection.execute(
            text(
                "INSERT INTO patient (full_name, date_of_birth, nhs_number, postcode, address_line1, phone_mobile, practice_id, "
                "verification_status, verification_note, created_at, updated_at) VALUES "
                "('A B', '1980-01-01', '9434765919', 'MB1 2RH', '', '', 1, :s, '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"s": status},
        )

    with empty_database.begin() as connection:
        reasons = connection.execute(text("SELECT approval_reason FROM account_patient ORDER BY id")).scalars().all()
        assert reasons == ["age_16_plus", ""]
        for status in ("pending", "rejected", "pending", "verified"):  # claims share the number; one owner
            add_patient(connection, status)
    with pytest.raises(IntegrityError):
        with empty_database.begin() as connection:
            add_patient(connection, "verified")  # a second owner is refused by the database
    with empty_database.begin() as connection:
        connection.execute(
            text("DELETE FROM patient WHERE nhs_number IS NOT NULL AND verification_status <> 'verified'")
        )
    _run(empty_database, command.downgrade, "0005")
    empty_database.dispose()
    with pytest.raises(IntegrityError):
        with empty_database.begin() as connection:
            add_patient(connection, "pending")  # before 0008 any record owned its number
