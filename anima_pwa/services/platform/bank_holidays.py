"""Bank holidays in England and Wales, computed (no network at run time, no data file to run out).

The regular ones follow fixed rules (the Banking and Financial Dealings Act 1971 and the royal
proclamations that settle the substitute days):

- New Year's Day, 1 January, or the Monday after when it falls at a weekend;
- Good Friday and Easter Monday (Easter by the Gregorian computus);
- the early May bank holiday, the first Monday in May;
- the spring bank holiday, the last Monday in May;
- the summer bank holiday, the last Monday in August;
- Christmas Day and Boxing Day, each moved to the next weekday not already a holiday when it
  falls at a weekend (so Christmas on a Saturday gives Monday 27 and Tuesday 28 December).

One-off days are set by proclamation, usually a year or more ahead (a coronation, a jubilee, a
state funeral). ``ONE_OFF`` holds those announced for 2011 to 2027 (checked against the published
list for England and Wales, which covered 2027 when this was written). When a new one is
announced, add it there (and any day it moves). Until then the only effect is that a practice
closing online requests on that day is asked why, as for any weekday.

Why computed rather than the ``holidays`` package: the rules for England and Wales are a few lines
and never expire, the project takes no new dependency (and its transitive ``python-dateutil``)
for them, and the one-off days, the only part that needs updating, need a code change with the
package too (a package upgrade).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

__all__ = ["ONE_OFF", "easter_sunday", "england_and_wales", "is_bank_holiday"]

# (year) -> (days added by proclamation, regular days moved: {from: to})
ONE_OFF: dict[int, tuple[dict[date, str], dict[date, date]]] = {
    2011: ({date(2011, 4, 29): "Royal wedding"}, {}),
    2012: ({date(2012, 6, 5): "Queen's Diamond Jubilee"}, {date(2012, 5, 28): date(2012, 6, 4)}),
    2020: ({}, {date(2020, 5, 4): date(2020, 5, 8)}),  # early May moved to VE Day's 75th anniversary
    2022: (
        {date(2022, 6, 3): "Platinum Jubilee bank holiday", date(2022, 9, 19): "State Funeral of Queen Elizabeth II"},
        {date(2022, 5, 30): date(2022, 6, 2)},  # spring bank holiday moved to Thursday 2 June
    ),
    2023: ({date(2023, 5, 8): "Bank holiday for the coronation of King Charles III"}, {}),
}


def easter_sunday(year: int) -> date:
    """Easter Day in the Gregorian calendar (the anonymous algorithm, as in Meeus)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _first_monday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7)


def _last_monday(year: int, month: int) -> date:
    last = (date(year + (month == 12), month % 12 + 1, 1)) - timedelta(days=1)
    return last - timedelta(days=last.weekday())


def _next_weekday(day: date, taken: set[date]) -> date:
    while day.weekday() >= 5 or day in taken:
        day += timedelta(days=1)
    return day


@lru_cache(maxsize=64)
def _year(year: int) -> tuple[tuple[date, str], ...]:
    easter = easter_sunday(year)
    days: dict[date, str] = {
        _next_weekday(date(year, 1, 1), set()): "New Year's Day",
        easter - timedelta(days=2): "Good Friday",
        easter + timedelta(days=1): "Easter Monday",
        _first_monday(year, 5): "Early May bank holiday",
        _last_monday(year, 5): "Spring bank holiday",
        _last_monday(year, 8): "Summer bank holiday",
    }
    christmas = _next_weekday(date(year, 12, 25), set(days))
    days[christmas] = "Christmas Day"
    days[_next_weekday(date(year, 12, 26), set(days))] = "Boxing Day"
    added, moved = ONE_OFF.get(year, ({}, {}))
    for old, new in moved.items():
        days[new] = days.pop(old)
    days.update(added)
    return tuple(sorted(days.items()))


def england_and_wales(year: int) -> dict[date, str]:
    """The bank holidays of ``year`` in England and Wales: date -> name, in date order."""
    if not 1971 <= year <= 9999:
        raise ValueError("bank holidays are computed for 1971 onwards")
    return dict(_year(year))


def is_bank_holiday(day: date) -> bool:
    return any(holiday == day for holiday, _ in _year(day.year))
