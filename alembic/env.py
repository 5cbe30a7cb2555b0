"""Alembic environment: the URL comes from the app's settings (or a connection passed in)."""

from __future__ import annotations

from logging.config import fileConfig

from sqlmodel import SQLModel

import anima_pwa.models  # noqa: F401  (registers every table on SQLModel.metadata)
from alembic import context
from anima_pwa.db import make_engine
from anima_pwa.settings import settings

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=settings.sqlalchemy_url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.attributes.get("url") or settings.db_url)
    # begin(), not connect(): _run's first statement starts the transaction, which must commit.
    with engine.begin() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    if connection.dialect.name == "sqlite":
        # SQLite alters a table by copying it and dropping the old one, which foreign keys from
        # rows in other tables would forbid. Must be set before the first write of the
        # transaction; callers dispose the engine afterwards so later connections check again.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
