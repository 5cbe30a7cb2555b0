"""Shared column helpers.

Timestamps are timezone-aware UTC: SQLModel's datetime columns refuse naive values and return
aware UTC on SQLite and PostgreSQL alike, so comparisons never mix the two.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


def utcnow() -> datetime:
    """Now, as aware UTC: the one clock every table and service uses."""
    return datetime.now(UTC)


class _Row(Protocol):
    id: int | None


def id_of(row: _Row) -> int:
    """A saved row's primary key. SQLModel types `id` as `int | None` (None until the row is first
    flushed); a row read from the database, or added and flushed, has one. Asking for the id of
    a row not yet flushed is a programming error, so it fails loudly rather than write NULL."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush it first")
    return row.id
