"""The core-hours rule (Monday to Friday 08:00-18:30 London time, not bank holidays): bank holidays
in England and Wales, the clock (GMT and BST), what closes online requests inside core hours (hours,
daily and active limits, a turn-off, closed days; not routine-only or per-patient limits), the
reason an admin must give, and the log: who, what and why, for practice admins of that practice."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from anima_pwa.models import AuditEvent, CoreHoursChange, Practice, PracticeSettings
from anima_pwa.services.platform import audit, bank_holidays
from anima_pwa.services.practice import core_hours
from anima_pwa.services.practice.core_hours import WHY_NEEDED
from anima_pwa.services.practice.permissions import ADMIN, CLINICIAN, RECEPTIONIST, PermissionDenied
from anima_pwa.services.requests import practice_settings, request_settings
from tests.factories import count, make_practice, make_staff

LONDON = ZoneInfo("Europe/London")


def london(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=LONDON)


NOW = london(2026, 12, 1, 10)  # Tuesday 1 December 2026, 10:00 GMT: inside core hours
EVENING = london(2026, 12, 1, 19)  # the same day after core hours


# --- bank holidays ----------------------------------------------------------------------------------

# The published dates for England and Wales (substitute days included), to check the rules.
PUBLISHED = {
    2022: ["2022-01-03", "2022-04-15", "2022-04-18", "2022-05-02", "2022-06-02", "2022-06-03", "2022-08-29",
           "2022-09-19", "2022-12-26", "2022-12-27"],
    2023: ["2023-01-02", "2023-04-07", "2023-04-10", "2023-05-01", "2023-05-08", "2023-05-29", "2023-08-28",
           "2023-12-25", "2023-12-26"],
    2024: ["2024-01-01", "2024-03-29", "2024-04-01", "2024-05-06", "2024-05-27", "2024-08-26", "2024-12-25",
           "2024-12-26"],
    2025: ["2025-01-01", "2025-04-18", "2025-04-21", "2025-05-05", "2025-05-26", "2025-08-25", "2025-12-25",
           "2025-12-26"],
    2026: ["2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25", "2026-08-31", "2026-12-25",
           "2026-12-28"],
    2027: ["2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31", "2027-08-30", "2027-12-27",
           "2027-12-28"],
}  # fmt: skip


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_bank_holidays_match_the_published_list(year: int) -> None:
    assert [d.isoformat() for d in bank_holidays.england_and_wales(year)] == PUBLISHED[year]


@pytest.mark.parametrize(
    "year, easter",
    [(2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)), (2026, date(2026, 4, 5)), (2038, date(2038, 4, 25)),
     (2285, date(2285, 3, 22))],
)  # fmt: skip
def test_easter(year: int, easter: date) -> None:
    assert bank_holidays.easter_sunday(year) == easter


def test_every_year_has_eight_weekday_bank_holidays_unless_proclaimed_otherwise() -> None:
    for year in range(1990, 2100):
        days = bank_holidays.england_and_wales(year)
        assert all(day.weekday() < 5 for day in days), year
        assert len(days) == 8 + len(bank_holidays.ONE_OFF.get(year, ({}, {}))[0]), year


# --- the clock ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "moment, inside",
    [
        (london(2026, 12, 1, 7, 59), False),
        (london(2026, 12, 1, 8, 0), True),
        (london(2026, 12, 1, 18, 29), True),
        (london(2026, 12, 1, 18, 30), False),
        (london(2026, 12, 5, 12), False),  # Saturday
        (london(2026, 12, 25, 12), False),  # Christmas Day
        (london(2026, 12, 28, 12), False),  # Boxing Day's substitute, a Monday
        # Clock changes: core hours are London wall-clock times in GMT and in BST.
        (datetime(2026, 3, 27, 7, 30, tzinfo=UTC), False),  # Friday before the change: 07:30 GMT
        (datetime(2026, 3, 30, 7, 30, tzinfo=UTC), True),  # Monday after it: 08:30 BST
        (datetime(2026, 3, 30, 17, 45, tzinfo=UTC), False),  # 18:45 BST
        (datetime(2026, 10, 26, 18, 15, tzinfo=UTC), True),  # Monday after the change back: 18:15 GMT
        (datetime(2026, 10, 23, 17, 45, tzinfo=UTC), False),  # Friday before it: 18:45 BST
    ],
)
def test_in_core_hours(moment: datetime, inside: bool) -> None:
    assert core_hours.in_core_hours(moment) is inside


def test_core_period_is_in_utc_across_the_clock_change() -> None:
    assert core_hours.core_period(date(2026, 3, 27)) == (
        datetime(2026, 3, 27, 8, 0, tzinfo=UTC),
        datetime(2026, 3, 27, 18, 30, tzinfo=UTC),
    )
    assert core_hours.core_period(date(2026, 3, 30)) == (
        datetime(2026, 3, 30, 7, 0, tzinfo=UTC),
        datetime(2026, 3, 30, 17, 30, tzinfo=UTC),
    )
    assert core_hours.core_period(date(2026, 3, 29)) is None  # the Sunday the clocks change
    assert core_hours.core_period(date(2026, 4, 6)) is None  # Easter Monday


def test_next_core_start_skips_weekends_and_bank_holidays() -> None:
    assert core_hours.next_core_start(london(2026, 12, 24, 19)) == london(2026, 12, 29, 8).astimezone(UTC)
    assert core_hours.next_core_start(london(2026, 4, 2, 19)) == london(2026, 4, 7, 8).astimezone(UTC)
    assert core_hours.next_core_start(london(2026, 12, 1, 7)) == london(2026, 12, 1, 8).astimezone(UTC)


# --- what closes core hours --------------------------------------------------------------------------

OPEN_CORE = {
    kind: {day: ["08:00", "18:30"] for day in ("mon", "tue", "wed", "thu", "fri")} for kind in request_settings.KINDS
}


def view(hours: dict | None = None, **fields) -> request_settings.SettingsView:
    row = PracticeSettings(practice_id=1, hours=json.dumps(hours or OPEN_CORE), **fields)
    return request_settings.view_of(1, row)


def with_day(kind: str, day: str, window: list[str] | None) -> dict:
    hours = json.loads(json.dumps(OPEN_CORE))
    if window is None:
        hours[kind].pop(day)
    else:
        hours[kind][day] = window
    return hours


@pytest.mark.parametrize(
    "settings, keys, words",
    [
        (view(), [], ""),
        (view({k: {d: ["00:00", "23:59"] for d in request_settings.DAYS} for k in request_settings.KINDS}), [], ""),
        (
            view(with_day("medical", "wed", ["08:00", "13:00"])),
            ["hours:medical:wed:08:00-13:00"],
            "Medical requests on Wednesdays close at 13:00, not 18:30.",
        ),
        (
            view(with_day("admin", "mon", ["09:00", "18:30"])),
            ["hours:admin:mon:09:00-18:30"],
            "Admin requests on Mondays open at 09:00, not 08:00.",
        ),
        (
            view(with_day("admin", "fri", ["09:30", "12:00"])),
            ["hours:admin:fri:09:30-12:00"],
            "Admin requests on Fridays open at 09:30, not 08:00 and close at 12:00, not 18:30.",
        ),
        (
            view(with_day("medical", "thu", None)),
            ["hours:medical:thu:closed"],
            "Medical requests are closed all day on Thursdays.",
        ),
        (view(with_day("medical", "sat", ["09:00", "12:00"])), [], ""),  # Saturdays are not core hours
        (view(daily_limit=60), ["daily_limit:60"], "A daily limit of 60 requests"),
        (view(active_limit=150), ["active_limit:150"], "A limit of 150 open requests at once"),
        (view(turned_off=True), ["turned_off"], "closes them now, inside core hours"),
        (view(routine_only_after="12:00"), [], ""),  # still open: routine only
        (view(per_patient_medical=1, per_patient_admin=1), [], ""),  # open to everyone else
        (view(free_text_enabled=False), [], ""),
    ],
)
def test_what_closes_core_hours(settings: request_settings.SettingsView, keys: list[str], words: str) -> None:
    found = core_hours.settings_closures(settings, now=NOW)
    assert [c.key for c in found] == keys
    assert words in " ".join(c.text for c in found)


def test_turning_off_out_of_hours_says_when_core_hours_start() -> None:
    [closure] = core_hours.settings_closures(view(turned_off=True), now=london(2026, 12, 24, 19))
    assert closure.text == (
        "Turning online requests off keeps them closed into core hours (the next start is Tuesday 29 "
        "December 2026 at 08:00) until someone turns them back on."
    )


def test_only_what_a_change_adds_needs_a_reason() -> None:
    short = view(with_day("medical", "wed", ["08:00", "13:00"]))
    shorter = view(with_day("medical", "wed", ["08:00", "12:00"]))
    assert core_hours.new_closures(view(), short, now=NOW)[0].key == "hours:medical:wed:08:00-13:00"
    assert core_hours.new_closures(short, short, now=NOW) == []
    assert [c.key for c in core_hours.new_closures(short, shorter, now=NOW)] == ["hours:medical:wed:08:00-12:00"]
    assert core_hours.new_closures(short, view(), now=NOW) == []  # opening up again needs no reason


@pytest.mark.parametrize(
    "day, closes",
    [
        (date(2026, 12, 9), True),  # a Wednesday
        (date(2026, 12, 12), False),  # a Saturday
        (date(2026, 12, 25), False),  # Christmas Day
        (date(2026, 12, 28), False),  # the substitute Boxing Day
        (date(2026, 12, 29), True),
        (date(2025, 9, 30), False),  # before the rule began on 1 October 2025
        (date(2025, 10, 1), True),
    ],
)
def test_a_closed_day_closes_core_hours_on_weekdays_that_are_not_bank_holidays(day: date, closes: bool) -> None:
    assert (core_hours.closed_day_closure(day) is not None) is closes


# --- saving with a reason, and the log ---------------------------------------------------------------


@pytest.fixture
def practice_admin(db_session: Session):
    practice = make_practice(db_session, "C81001")
    return make_staff(db_session, practice, ADMIN, name="Priya Admin")


def log_rows(db: Session) -> list[CoreHoursChange]:
    db.flush()
    return list(db.exec(select(CoreHoursChange).order_by(CoreHoursChange.id)).all())


@pytest.mark.parametrize(
    "form",
    [
        {"medical_wed_open": "08:00", "medical_wed_close": "13:00"},
        {"admin_mon_open": "", "admin_mon_close": ""},
        {"daily_limit": "60"},
        {"active_limit": "150"},
        {"turned_off": True, "turned_off_message": "Closed for a power cut"},
    ],
)
def test_a_closing_change_needs_a_reason_then_is_saved_and_logged(
    db_session: Session, practice_admin, form: dict
) -> None:
    before = request_settings.settings_for(db_session, practice_admin.practice_id)
    warned = practice_settings.core_hours_preview(db_session, practice_admin, form, now=NOW)
    assert len(warned) == 1
    for why in (None, "", "   ", 42):
        assert practice_settings.update_settings(db_session, practice_admin, form, why=why, now=NOW).errors == {
            "core_hours_why": WHY_NEEDED
        }
        assert request_settings.settings_for(db_session, practice_admin.practice_id) == before
    assert log_rows(db_session) == []

    assert (
        practice_settings.update_settings(
            db_session, practice_admin, form, why="  Flu clinic all afternoon  ", now=NOW
        ).errors
        == {}
    )
    assert request_settings.settings_for(db_session, practice_admin.practice_id) != before
    [row] = log_rows(db_session)
    assert (row.practice_id, row.actor_account_id, row.actor_name, row.actor_role, row.change) == (
        practice_admin.practice_id,
        practice_admin.account_id,
        "Priya Admin",
        "admin",
        "settings",
    )
    assert json.loads(row.what) == [c.text for c in warned] and row.why == "Flu clinic all afternoon"
    [event] = db_session.exec(select(AuditEvent).where(AuditEvent.action == "practice_settings_changed")).all()
    assert audit.event_detail(event)["core_hours_change_id"] == row.id
    assert "Flu" not in event.detail  # the reason is in the log, not the audit trail

    # Saving again adds nothing new: no reason asked, nothing logged.
    assert practice_settings.core_hours_preview(db_session, practice_admin, form, now=NOW) == []
    assert (
        practice_settings.update_settings(
            db_session, practice_admin, {**form, "important_updates": "Hello"}, now=NOW
        ).errors
        == {}
    )
    assert len(log_rows(db_session)) == 1


def test_changes_that_keep_core_hours_open_need_no_reason(db_session: Session, practice_admin) -> None:
    for form in (
        {"routine_only_after": "16:00"},
        {"per_patient_medical": "2"},
        {"medical_sat_open": "", "medical_sat_close": ""},
        {"medical_mon_open": "07:00", "medical_mon_close": "20:00"},
        {"important_updates": "New phone number from January"},
        {"free_text_enabled": False},
    ):
        assert practice_settings.core_hours_preview(db_session, practice_admin, form, now=NOW) == [], form
        assert practice_settings.update_settings(db_session, practice_admin, form, now=NOW).errors == {}, form
    assert log_rows(db_session) == []


def test_a_preview_of_a_form_with_errors_warns_of_nothing(db_session: Session, practice_admin) -> None:
    form = {"daily_limit": "sixty", "medical_wed_close": "13:00"}
    assert practice_settings.core_hours_preview(db_session, practice_admin, form, now=NOW) == []
    assert "daily_limit" in practice_settings.update_settings(db_session, practice_admin, form, why="x", now=NOW).errors


def test_a_closed_day_inside_core_hours_needs_a_reason_and_is_logged(db_session: Session, practice_admin) -> None:
    wednesday = date(2026, 12, 9)
    assert (
        practice_settings.add_closed_day(db_session, practice_admin, wednesday, "Training", now=NOW).message
        == WHY_NEEDED
    )
    assert request_settings.closed_days(db_session, practice_admin.practice_id, from_day=NOW.date()) == []
    assert practice_settings.add_closed_day(
        db_session, practice_admin, wednesday, "Training", why="Whole-practice training", now=NOW
    ).ok
    assert practice_settings.add_closed_day(db_session, practice_admin, date(2026, 12, 25), "Christmas Day", now=NOW).ok
    [entry] = core_hours.log(db_session, practice_admin)
    assert entry.change == "Closed day" and entry.why == "Whole-practice training"
    assert entry.what == [
        "Closing online requests on Wednesday 9 December 2026 closes them for all of core hours that day "
        "(a weekday that is not a bank holiday)."
    ]
    assert entry.who == "Priya Admin (admin)"


def test_the_log_is_for_the_practices_own_admins_only(db_session: Session, practice_admin) -> None:
    other_practice = make_practice(db_session, "C81999")
    other_admin = make_staff(db_session, other_practice, ADMIN, name="Omar Admin")
    assert (
        practice_settings.update_settings(
            db_session, practice_admin, {"daily_limit": "40"}, why="Short of staff", now=NOW
        ).errors
        == {}
    )
    assert (
        practice_settings.update_settings(db_session, other_admin, {"active_limit": "90"}, why="Theirs", now=NOW).errors
        == {}
    )

    [ours] = core_hours.log(db_session, practice_admin)
    assert ours.why == "Short of staff" and ours.what[0].startswith("A daily limit of 40 requests")
    [theirs] = core_hours.log(db_session, other_admin)
    assert theirs.why == "Theirs"  # another practice's log is never shown
    logged = count(db_session, CoreHoursChange)
    for role in (RECEPTIONIST, CLINICIAN):
        with pytest.raises(PermissionDenied):
            core_hours.log(
                db_session, make_staff(db_session, db_session.get(Practice, practice_admin.practice_id), role)
            )
    with pytest.raises(PermissionDenied):
        core_hours.log(db_session, None)
    assert count(db_session, CoreHoursChange) == logged


def test_the_log_shows_london_time_newest_first(db_session: Session, practice_admin) -> None:
    core_hours.record(db_session, practice_admin, [core_hours.Closure("turned_off", "Off")], "First", change="settings")
    row = core_hours.record(
        db_session, practice_admin, [core_hours.Closure("daily_limit:5", "Five")], "Second", change="settings"
    )
    row.at = datetime(2026, 7, 1, 9, 5, tzinfo=UTC)  # 10:05 BST
    db_session.add(row)
    older = log_rows(db_session)[0]
    older.at = datetime(2026, 6, 30, 9, 5, tzinfo=UTC)
    db_session.add(older)
    db_session.flush()
    newest, oldest = core_hours.log(db_session, practice_admin)
    assert (newest.at, newest.why, newest.what) == ("1 July 2026, 10:05", "Second", ["Five"])
    assert (oldest.at, oldest.why) == ("30 June 2026, 10:05", "First")


def test_times_in_settings_are_wall_clock_so_core_hours_hold_in_summer_and_winter() -> None:
    summer, winter = london(2026, 7, 1, 8, 0), london(2026, 12, 1, 8, 0)
    assert core_hours.in_core_hours(summer) and core_hours.in_core_hours(winter)
    assert core_hours.settings_closures(view(), now=summer) == core_hours.settings_closures(view(), now=winter) == []
    assert core_hours.CORE_START == time(8, 0) and core_hours.CORE_END == time(18, 30)
