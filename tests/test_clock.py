"""The one clock: UK dates and times wherever a practice's day is meant."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from anima_pwa.services.platform import clock


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), date(2026, 7, 1)),  # BST: already tomorrow in England
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), date(2026, 12, 31)),  # GMT: still today
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), date(2026, 3, 29)),  # the clocks go forward at 01:00 UTC
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), date(2026, 10, 25)),  # and back at 01:00 UTC
        (datetime(2026, 7, 1, 5, 0, tzinfo=timezone(timedelta(hours=10))), date(2026, 6, 30)),  # any zone in
    ],
)
def test_today_is_the_date_in_england(moment: datetime, day: date) -> None:
    assert clock.today(moment) == day


def test_london_time_follows_the_clock_changes() -> None:
    assert clock.london_now(datetime(2026, 3, 29, 0, 59, tzinfo=UTC)).hour == 0  # GMT
    assert clock.london_now(datetime(2026, 3, 29, 1, 0, tzinfo=UTC)).hour == 2  # BST begins
    assert clock.to_london(datetime(2026, 10, 25, 1, 0, tzinfo=UTC)).hour == 1  # GMT again


def test_naive_times_are_refused_and_now_is_aware_utc() -> None:
    with pytest.raises(ValueError):
        clock.as_utc(datetime(2026, 1, 1, 12, 0))
    assert clock.utcnow().utcoffset() == timedelta(0)
    assert clock.as_utc().tzinfo is UTC
