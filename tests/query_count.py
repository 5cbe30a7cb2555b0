"""Counting the SQL statements a piece of code sends (SQLAlchemy's `before_cursor_execute`), so a
test can fail a list whose number of queries grows with its length (a query per row)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    """The statements sent on ``engine`` inside the block (savepoints and the like included)."""
    sent: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _executemany) -> None:  # noqa: ANN001
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def queries(engine: Engine, show: Callable[[Session], Any]) -> tuple[int, Any]:
    """How many statements ``show(session)`` sends in a fresh session (nothing cached), and what it
    returned."""
    with Session(engine, expire_on_commit=False) as session, counting(engine) as sent:
        result = show(session)
        session.rollback()  # a list may write an audit row: counted, not kept
    return len([s for s in sent if not s.upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))]), result
