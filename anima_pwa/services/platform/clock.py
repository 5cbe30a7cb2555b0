"""One clock: what "now" and "today" mean wherever a date or time is decided.

- Time is stored and compared as aware UTC (`utcnow`, the same function the models use).
- A GP practice in England keeps UK time, so its days, opening hours, ages (a birthday turns at UK
  midnight), "today's" lists and limits are worked out in Europe/London (`LONDON`,
  `london_now`, `today`); never the server's own zone or `date.today()`.

Every function takes an optional `now` so tests can stand at any moment (a clock change, a
birthday, midnight); without one they read `clock.utcnow`, which a test can pin.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from anima_pwa.models.base import utcnow

__all__ = ["LONDON", "as_utc", "london_now", "to_london", "today", "utcnow"]

LONDON = ZoneInfo("Europe/London")


def as_utc(moment: datetime | None = None) -> datetime:
    """`moment` (aware, any zone) or now, as UTC. A naive datetime is refused: it is ambiguous."""
    if moment is None:
        return utcnow()
    if moment.utcoffset() is None:
        raise ValueError("an aware datetime is needed (a naive one has no time zone)")
    return moment.astimezone(UTC)


def to_london(moment: datetime) -> datetime:
    """An aware moment in UK time (GMT or BST)."""
    return as_utc(moment).astimezone(LONDON)


def london_now(now: datetime | None = None) -> datetime:
    """Now (or `now`) in UK time."""
    return as_utc(now).astimezone(LONDON)


def london_words(moment: datetime) -> tuple[str, str]:
    """A moment as UK time in words: ("9:05am", "Wednesday 18 June 2025")."""
    local = to_london(moment)
    hour = f"{local.hour % 12 or 12}:{local:%M}{'am' if local.hour < 12 else 'pm'}"
    return hour, f"{local:%A} {local.day} {local:%B %Y}"


def today(now: datetime | None = None) -> date:
    """The date in England now: a practice's today, the day ages and "today's" lists turn over."""
    return london_now(now).date()
