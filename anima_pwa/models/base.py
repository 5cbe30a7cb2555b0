"""Shared column helpers.

Timestamps are timezone-aware UTC: SQLModel's datetime columns refuse naive values and return
aware UTC on SQLite and PostgreSQL alike, so comparisons never mix the two.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, as aware UTC: the one clock every table and service uses."""
    return datetime.now(UTC)
