"""When a practice takes online requests and how many: hours, closed days, turning off, routine
only, the daily, active and per-patient limits, staff overrides, and the races at submission."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from anima_pwa.models import (
    Account,
    AccountPatient,
    AuditEvent,
    CapacityCounter,
    ClosedDay,
    Patient,
    Practice,
    PracticeSettings,
    Request,
)
from anima_pwa.services.platform import audit, clock
from anima_pwa.services.practice.permissions import ADMIN, CLINICIAN, RECEPTIONIST, PermissionDenied, StaffContext
from anima_pwa.services.requests import capacity, practice_settings, request_settings, rules
from anima_pwa.services.requests.capacity import reserve_and_submit
from anima_pwa.services.requests.rules import REASONS, availability
from tests.test_patient_management import link, make_account, make_patient, make_practice, make_staff

LONDON = ZoneInfo("Europe/London")


def london(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A London wall-clock time, as the aware UTC datetime the services are given."""
    return datetime(year, month, day, hour, minute, tzinfo=LONDON).astimezone(UTC)


NOW = london(2025, 6, 16, 10)  # Monday 16 June 2025, 10:00 BST (09:00 UTC)
TODAY = date(2025, 6, 16)
REFERENCE = re.compile(rf"AN-[{capacity.REFERENCE_ALPHABET}]{{6}}")


# --- helpers ---------------------------------------------------------------------------------------


def setup_practice(db: Session, ods: str = "C81001") -> tuple[int, StaffContext]:
    practice = make_practice(db, ods)
    return practice.id, make_staff(db, practice, ADMIN)  # type: ignore[return-value]


def configure(db: Session, admin: StaffContext, **form: object) -> None:
    """Save settings as an admin would, giving a reason when they close core hours."""
    assert practice_settings.update_settings(db, admin, form, why="Set up for this test", now=NOW).errors == {}


def person(db: Session, practice_id: int, name: str, email: str | None = None) -> Patient:
    practice = db.get(Practice, practice_id)
    assert practice is not None
    return make_patient(db, practice, name, email=email)


def draft(db: Session, patient: Patient, kind: str = "medical", account_id: int | None = None) -> Request:
    request = Request(
        patient_id=patient.id, practice_id=patient.practice_id, kind=kind, topic="general", account_id=account_id
    )
    db.add(request)
    db.flush()
    return request


def submit(db: Session, patient: Patient, kind: str = "medical", *, now: datetime = NOW, **kwargs) -> Request:
    request = draft(db, patient, kind, kwargs.pop("account_id", None))
    assert reserve_and_submit(db, request=request, now=now, **kwargs) is None
    return request


def counted(db: Session, practice_id: int, day: date = TODAY) -> int:
    return (
        db.exec(
            select(CapacityCounter.submitted).where(
                CapacityCounter.practice_id == practice_id, CapacityCounter.day == day
            )
        ).first()
        or 0
    )


def submitted_requests(db: Session, practice_id: int) -> int:
    return db.exec(
        select(func.count())
        .select_from(Request)
        .where(Request.practice_id == practice_id, Request.status == "submitted")
    ).one()


def audits(db: Session, action: str) -> list[AuditEvent]:
    return list(db.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.id))).all())


def check(
    db: Session, practice_id: int, kind: str = "medical", *, now: datetime = NOW, patient_id=None, account_id=None
):
    return availability(db, practice_id=practice_id, kind=kind, patient_id=patient_id, account_id=account_id, now=now)


# --- settings --------------------------------------------------------------------------------------


def test_defaults_when_the_practice_has_saved_nothing(db_session: Session) -> None:
    practice_id, _ = setup_practice(db_session)
    settings = request_settings.settings_for(db_session, practice_id)
    for kind in request_settings.KINDS:
        assert [settings.window(kind, day) is not None for day in range(7)] == [True] * 5 + [False] * 2
        assert settings.form()[f"{kind}_fri_open"] == "08:00" and settings.form()[f"{kind}_fri_close"] == "18:30"
        assert settings.form()[f"{kind}_sat_open"] == ""
    assert (settings.daily_limit, settings.active_limit) == (None, None)
    assert (settings.per_patient_medical, settings.per_patient_admin) == (1, 1)
    assert settings.free_text_enabled and not settings.turned_off and settings.routine_only_after == ""
    # A row saved with no hours (the column's default "{}") keeps the default hours too.
    db_session.add(PracticeSettings(practice_id=practice_id, daily_limit=40))
    db_session.flush()
    settings = request_settings.settings_for(db_session, practice_id)
    assert settings.daily_limit == 40 and settings.window("medical", 0) is not None


def test_saving_settings_round_trips_and_is_audited_once(db_session: Session) -> None:
    practice_id, admin = setup_practice(db_session)
    form = request_settings.settings_for(db_session, practice_id).form()
    form.update(
        admin_mon_open="8:00",
        admin_mon_close="11:30",
        admin_tue_open="",
        admin_tue_close="",
        daily_limit=" 60 ",
        active_limit="",
        per_patient_medical="2",
        routine_only_after="16:00",
    )
    assert (
        practice_settings.update_settings(db_session, admin, form, why="Admin team in training", now=NOW).errors == {}
    )
    saved = request_settings.settings_for(db_session, practice_id).form()
    assert (saved["admin_mon_open"], saved["admin_mon_close"]) == ("08:00", "11:30")
    assert (saved["admin_tue_open"], saved["admin_tue_close"]) == ("", "")
    assert (saved["medical_tue_open"], saved["medical_tue_close"]) == ("08:00", "18:30")
    assert (saved["daily_limit"], saved["active_limit"], saved["per_patient_medical"]) == ("60", "", "2")
    assert saved["routine_only_after"] == "16:00"
    [event] = audits(db_session, "practice_settings_changed")
    assert event.actor_account_id == admin.account_id and event.practice_id == practice_id
    assert audit.event_detail(event)["fields"] == [
        "admin_hours", "daily_limit", "per_patient_medical", "routine_only_after",
    ]  # fmt: skip
    # Saving the same again changes nothing and writes nothing; a partial form keeps the rest.
    assert practice_settings.update_settings(db_session, admin, saved).errors == {}
    assert practice_settings.update_settings(db_session, admin, {"daily_limit": "60"}).errors == {}
    assert len(audits(db_session, "practice_settings_changed")) == 1
    configure(db_session, admin, daily_limit="")
    assert request_settings.settings_for(db_session, practice_id).daily_limit is None
    assert request_settings.settings_for(db_session, practice_id).window("admin", 0) is not None


SETTINGS_ERRORS = [
    (
        {"medical_mon_open": "8am"},
        "medical_mon_open",
        "Medical requests on Monday: enter the opening time in hours and minutes, like 08:00",
    ),
    ({"medical_mon_open": "24:00"}, "medical_mon_open", "like 08:00"),
    ({"admin_wed_close": "18:60"}, "admin_wed_close", "Admin requests on Wednesday: enter the closing time"),
    (
        {"medical_mon_open": "18:00", "medical_mon_close": "09:00"},
        "medical_mon_close",
        "the closing time must be after the opening time",
    ),
    (
        {"medical_tue_open": "12:00", "medical_tue_close": "12:00"},
        "medical_tue_close",
        "must be after the opening time",
    ),
    ({"medical_sat_close": "12:00"}, "medical_sat_open", "enter an opening time, or leave both times blank if closed"),
    ({"admin_thu_close": ""}, "admin_thu_close", "enter a closing time, or leave both times blank if closed"),
    ({"daily_limit": "0"}, "daily_limit", "The daily limit must be 1 or more, or leave it blank for no limit"),
    ({"daily_limit": "-3"}, "daily_limit", "Enter the daily limit as a whole number, like 60"),
    ({"daily_limit": "1.5"}, "daily_limit", "as a whole number"),
    ({"daily_limit": "lots"}, "daily_limit", "as a whole number"),
    ({"daily_limit": "１２"}, "daily_limit", "as a whole number"),
    ({"daily_limit": True}, "daily_limit", "as a whole number"),
    ({"daily_limit": "100000"}, "daily_limit", "99,999 or fewer"),
    ({"active_limit": "0"}, "active_limit", "The limit of open requests must be 1 or more"),
    ({"per_patient_medical": "0"}, "per_patient_medical", "from 1 to 5"),
    ({"per_patient_admin": "6"}, "per_patient_admin", "from 1 to 5"),
    ({"per_patient_admin": ""}, "per_patient_admin", "from 1 to 5"),
    ({"turned_off": True, "turned_off_message": "  "}, "turned_off_message", "Enter the message patients will see"),
    ({"turned_off": "on", "turned_off_message": "x" * 501}, "turned_off_message", "500 characters or fewer"),
    ({"turned_off_message": "Closed\nfor training"}, "turned_off_message", "must not include line breaks"),
    ({"routine_only_after": "4pm"}, "routine_only_after", "like 16:00, or leave it blank for never"),
]


def test_settings_validation_table(db_session: Session) -> None:
    practice_id, admin = setup_practice(db_session)
    for form, key, message in SETTINGS_ERRORS:
        errors = practice_settings.update_settings(db_session, admin, form).errors
        assert list(errors) == [key], form
        assert message in errors[key], (form, errors[key])
    assert db_session.exec(select(PracticeSettings)).first() is None  # nothing saved
    assert audits(db_session, "practice_settings_changed") == []
    # Errors come back in the form's order, all at once.
    errors = practice_settings.update_settings(
        db_session, admin, {"daily_limit": "x", "medical_mon_open": "x", "per_patient_admin": "9"}
    ).errors
    assert list(errors) == ["medical_mon_open", "daily_limit", "per_patient_admin"]
    # Accepted: blank limits, 1 to 5 per patient, both times blank for a closed day, a kept message.
    configure(
        db_session,
        admin,
        daily_limit="",
        active_limit="99999",
        per_patient_admin="5",
        medical_wed_open="",
        medical_wed_close="",
        routine_only_after="",
    )
    assert request_settings.settings_for(db_session, practice_id).window("medical", 2) is None


@pytest.mark.parametrize("role", [CLINICIAN, RECEPTIONIST])
def test_only_admins_change_settings_and_closed_days(db_session: Session, role: str) -> None:
    practice_id, admin = setup_practice(db_session)
    staff = make_staff(db_session, db_session.get(Practice, practice_id), role)  # type: ignore[arg-type]
    assert practice_settings.add_closed_day(db_session, admin, date(2025, 8, 25), "Bank holiday", now=NOW).ok
    [closed] = request_settings.closed_days(db_session, practice_id, from_day=TODAY)
    for attempt in (
        lambda who: practice_settings.update_settings(db_session, who, {"daily_limit": "5"}),
        lambda who: practice_settings.add_closed_day(db_session, who, date(2025, 12, 25), "Christmas Day", now=NOW),
        lambda who: practice_settings.remove_closed_day(db_session, who, closed.id),
    ):
        for who in (staff, None):
            with pytest.raises(PermissionDenied):
                attempt(who)
    assert request_settings.settings_for(db_session, practice_id).daily_limit is None
    assert [row.day for row in request_settings.closed_days(db_session, practice_id, from_day=TODAY)] == [
        date(2025, 8, 25)
    ]


def test_closed_days_belong_to_one_practice(db_session: Session) -> None:
    practice_id, admin = setup_practice(db_session)
    other_id, other_admin = setup_practice(db_session, "Y02002")
    assert practice_settings.add_closed_day(db_session, admin, date(2025, 8, 25), " Bank holiday ", now=NOW).ok
    [closed] = request_settings.closed_days(db_session, practice_id, from_day=TODAY)
    assert (closed.label, closed.reason) == ("Monday 25 August", "Bank holiday")
    # Another practice's admin can neither see it as theirs nor remove it, by id or by guessing.
    assert request_settings.closed_days(db_session, other_id, from_day=TODAY) == []
    for guess in (closed.id, str(closed.id), "1 OR 1=1", True, -1, None):
        assert (
            practice_settings.remove_closed_day(db_session, other_admin, guess).message
            == practice_settings.CLOSED_DAY_NOT_FOUND
        )
    assert db_session.get(ClosedDay, closed.id) is not None
    # Adding the same day closes it at their own practice only.
    assert practice_settings.add_closed_day(db_session, other_admin, date(2025, 8, 25), "Training", now=NOW).ok
    assert [c.reason for c in request_settings.closed_days(db_session, practice_id, from_day=TODAY)] == ["Bank holiday"]
    # Their own: the same day twice, the past, too far ahead, an over-long reason.
    assert (
        "already closed on Monday 25 August"
        in practice_settings.add_closed_day(db_session, admin, date(2025, 8, 25), "", now=NOW).message
    )
    assert (
        practice_settings.add_closed_day(db_session, admin, date(2025, 6, 13), "", now=NOW).message
        == "Enter today's date or a date in the future"
    )
    assert (
        practice_settings.add_closed_day(db_session, admin, date(2028, 1, 1), "", now=NOW).message
        == "Enter a date within the next 2 years"
    )
    assert (
        "200 characters or fewer"
        in practice_settings.add_closed_day(db_session, admin, date(2025, 9, 1), "x" * 201, now=NOW).message
    )
    assert practice_settings.add_closed_day(db_session, admin, TODAY, "", now=NOW).ok  # today is allowed
    assert practice_settings.remove_closed_day(db_session, admin, closed.id).ok
    assert [c.day for c in request_settings.closed_days(db_session, practice_id, from_day=TODAY)] == [TODAY]
    assert [audit.event_detail(e)["day"] for e in audits(db_session, "closed_day_removed")] == ["2025-08-25"]
    assert len(audits(db_session, "closed_day_added")) == 3


@pytest.mark.parametrize(
    ("utc", "listed"),
    [
        (datetime(2026, 6, 30, 22, 59, tzinfo=UTC), [date(2026, 6, 30), date(2026, 7, 1)]),  # 23:59 BST on 30 June
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), [date(2026, 7, 1)]),  # 00:30 BST on 1 July; UTC says 30 June
    ],
)
def test_the_closed_days_ahead_start_today_in_england(
    db_session: Session, monkeypatch: pytest.MonkeyPatch, utc: datetime, listed: list[date]
) -> None:
    """Practice settings list the closed days from today: the date in England, not the server's
    date, so at 23:30 UTC on 30 June (already 1 July in the UK) 30 June is no longer ahead."""
    practice_id, _ = setup_practice(db_session)
    db_session.add_all([ClosedDay(practice_id=practice_id, day=day) for day in (date(2026, 6, 30), date(2026, 7, 1))])
    db_session.flush()
    monkeypatch.setattr(clock, "utcnow", lambda: utc)
    assert [row.day for row in request_settings.closed_days(db_session, practice_id)] == listed


# --- hours -------------------------------------------------------------------------------------------

# Medical: the default Mon-Fri 08:00-18:30. Admin: Mon-Fri 10:00-12:00 and Saturday 09:00-11:00.
HOURS = [
    # (when, kind, open?, words in the message)
    (london(2025, 6, 16, 7, 59), "medical", False, "It opens again today at 08:00."),
    (london(2025, 6, 16, 8, 0), "medical", True, ""),
    (london(2025, 6, 16, 18, 29), "medical", True, ""),
    (london(2025, 6, 16, 18, 30), "medical", False, "It opens again tomorrow at 08:00."),
    (london(2025, 6, 20, 19, 0), "medical", False, "It opens again on Monday at 08:00."),  # Friday evening
    (london(2025, 6, 21, 10, 0), "medical", False, "on Monday at 08:00"),  # Saturday
    (london(2025, 6, 21, 10, 0), "admin", True, ""),
    (london(2025, 6, 21, 11, 0), "admin", False, "It opens again on Monday at 10:00."),
    (
        london(2025, 6, 16, 9, 0),
        "admin",
        False,
        "The surgery's window for online admin requests is closed. It opens again today at 10:00.",
    ),
    (london(2025, 6, 16, 11, 0), "admin", True, ""),
    (london(2025, 6, 16, 9, 0), "medical", True, ""),
    # Clocks go forward on Sunday 30 March 2025: 07:30 UTC is 07:30 on Friday, 08:30 on Monday.
    (datetime(2025, 3, 28, 7, 30, tzinfo=UTC), "medical", False, "today at 08:00"),
    (datetime(2025, 3, 31, 7, 30, tzinfo=UTC), "medical", True, ""),
    (datetime(2025, 3, 31, 6, 59, tzinfo=UTC), "medical", False, "today at 08:00"),
    # Clocks go back on Sunday 26 October 2025: 07:30 UTC is 08:30 on Friday, 07:30 on Monday.
    (datetime(2025, 10, 24, 7, 30, tzinfo=UTC), "medical", True, ""),
    (datetime(2025, 10, 27, 7, 30, tzinfo=UTC), "medical", False, "today at 08:00"),
    (datetime(2025, 10, 24, 17, 45, tzinfo=UTC), "medical", False, "on Monday at 08:00"),  # 18:45 BST
    # Any aware time will do: 13:30 in UTC+05:00 is 09:30 in London.
    (datetime(2025, 6, 16, 13, 30, tzinfo=timezone(timedelta(hours=5))), "admin", False, "today at 10:00"),
]


def test_hours_table(db_session: Session) -> None:
    practice_id, admin = setup_practice(db_session)
    form = {
        f"admin_{day}_{end}": when
        for day in request_settings.DAYS[:5]
        for end, when in (("open", "10:00"), ("close", "12:00"))
    }
    configure(db_session, admin, **form, admin_sat_open="09:00", admin_sat_close="11:00")
    for when, kind, is_open, words in HOURS:
        result = check(db_session, practice_id, kind, now=when)
        assert result.open is is_open, (when, kind, result)
        if is_open:
            assert (result.reason, result.message) == (None, "")
            assert result.closes_at == ("18:30" if kind == "medical" else "12:00" if when.weekday() < 5 else "11:00")
        else:
            assert result.reason == "outside_hours" and result.closes_at is None
            assert words in result.message, (when, kind, result.message)
            assert "NHS 111" in result.message and "In an emergency call 999." in result.message
    with pytest.raises(ValueError):
        check(db_session, practice_id, now=datetime(2025, 6, 16, 10, 0))  # naive


def test_next_opening_is_london_time_across_the_clock_change() -> None:
    settings = request_settings.SettingsView(
        practice_id=1, hours={"medical": request_settings.default_hours(), "admin": {}}
    )
    sunday = datetime(2025, 3, 30, 12, 0, tzinfo=UTC)
    opening = rules.next_opening(settings, "medical", sunday)
    assert opening is not None and opening.astimezone(UTC) == datetime(2025, 3, 31, 7, 0, tzinfo=UTC)
    saturday_oct = datetime(2025, 10, 25, 12, 0, tzinfo=UTC)
    assert rules.next_opening(settings, "medical", saturday_oct).astimezone(UTC) == datetime(
        2025, 10, 27, 8, 0, tzinfo=UTC
    )  # type: ignore[union-attr]
    # Closed days are skipped; no hours at all means it never opens.
    closed = {date(2025, 3, 31), date(2025, 4, 1)}
    assert rules.next_opening(settings, "medical", sunday, closed=closed).date() == date(2025, 4, 2)  # type: ignore[union-attr]
    assert rules.next_opening(settings, "admin", sunday) is None


# --- closed, turned off, routine only ------------------------------------------------------------------


def test_a_closed_day_refuses_with_its_reason_and_the_next_opening(db_session: Session) -> None:
    practice_id, admin = setup_practice(db_session)
    assert practice_settings.add_closed_day(db_session, admin, TODAY, "Bank holiday", now=NOW).ok
    assert practice_settings.add_closed_day(db_session, admin, date(2025, 6, 17), "Training", now=NOW).ok
    for kind in request_settings.KINDS:
        result = check(db_session, practice_id, kind)
        assert (result.open, result.reason) == (False, "closed_day")
        assert result.message == (
            "Online requests are closed today (Bank holiday). They open again on Wednesday at 08:00. "
            "If you need help today, call NHS 111. In an emergency call 999."
        )
    # The evening before: outside hours, and the next opening skips both closed days.
    sunday = check(db_session, practice_id, now=london(2025, 6, 15, 20))
    assert sunday.reason == "outside_hours" and "It opens again on Wednesday at 08:00." in sunday.message
    assert check(db_session, practice_id, now=london(2025, 6, 18, 8)).open


def test_turned_off_shows_the_practice_message_and_111(db_session: Session) -> None:
    practice_id, admin = setup_practice(db_session)
    configure(db_session, admin, turned_off=True, turned_off_message="We are closed for staff training this afternoon")
    result = check(db_session, practice_id, "admin")
    assert (result.open, result.reason) == (False, "turned_off")
    assert result.message == (
        "We are closed for staff training this afternoon. For urgent help call NHS 111. In an emergency call 999."
    )
    # The message stays when the practice turns requests back on (ready for next time).
    configure(db_session, admin, turned_off=False)
    assert check(db_session, practice_id, "admin").open
    assert request_settings.settings_for(db_session, practice_id).turned_off_message.startswith("We are closed")


def test_routine_only_after_the_cut_off(db_session: Session) -> None:
    practice_id, admin = setup_practice(db_session)
    configure(db_session, admin, routine_only_after="16:00")
    before = check(db_session, practice_id, now=london(2025, 6, 16, 15, 59))
    assert before.open and not before.routine_only and before.message == ""
    after = check(db_session, practice_id, now=london(2025, 6, 16, 16, 0))
    assert after.open and after.routine_only and after.closes_at == "18:30"
    assert "dealt with as routine" in after.message and "NHS 111" in after.message and "999" in after.message
    assert not check(db_session, practice_id, now=london(2025, 6, 17, 9, 0)).routine_only  # a new day


# --- limits ----------------------------------------------------------------------------------------


def test_daily_limit_counts_todays_submissions_in_london(db_session: Session) -> None:
    practice_id, admin = setup_practice(db_session)
    configure(db_session, admin, daily_limit="2", per_patient_medical="5")
    zoe = person(db_session, practice_id, "Zoe Smith")
    # Yesterday's requests don't count: the counter is per London day.
    submit(db_session, zoe, now=london(2025, 6, 13, 18, 0))
    submit(db_session, zoe)
    assert check(db_session, practice_id).open
    submit(db_session, zoe, "admin")
    refused = check(db_session, practice_id, "admin")
    assert refused.reason == "daily_limit"
    assert refused.message == (
        "The practice has reached its limit of online requests for today. You can send one when online "
        "requests open again tomorrow at 08:00, or call the surgery. In an emergency call 999."
    )
    extra = draft(db_session, zoe)
    assert reserve_and_submit(db_session, request=extra, now=NOW) == check(db_session, practice_id).message
    assert (extra.status, extra.reference, extra.submitted_at) == ("draft", None, None)
    assert counted(db_session, practice_id) == 2
    # Just after midnight London time (23:05 UTC) is a new day.
    assert check(db_session, practice_id, now=datetime(2025, 6, 16, 23, 5, tzinfo=UTC)).reason == "outside_hours"
    assert reserve_and_submit(db_session, request=extra, now=london(2025, 6, 17, 8)) is None
    assert counted(db_session, practice_id, date(2025, 6, 17)) == 1


def test_active_limit_counts_open_requests_at_the_practice(db_session: Session) -> None:
    practice_id, admin = setup_practice(db_session)
    other_id, _ = setup_practice(db_session, "Y02002")
    configure(db_session, admin, active_limit="2")
    first, second, third = (person(db_session, practice_id, name) for name in ("Ann Lee", "Ben Lee", "Cal Lee"))
    elsewhere = person(db_session, other_id, "Dan Moss")
    submit(db_session, first, now=london(2025, 6, 12, 9))  # still open from last week
    submit(db_session, elsewhere)  # another practice's requests don't count
    resolved = submit(db_session, third, "admin")
    resolved.status = "resolved"
    db_session.add(resolved)
    assert check(db_session, practice_id).open
    submit(db_session, second)
    result = check(db_session, practice_id, patient_id=third.id)
    assert result.reason == "active_limit"
    assert result.message.startswith("The practice has as many open requests as it can safely handle at the moment.")
    assert reserve_and_submit(db_session, request=draft(db_session, third), now=NOW) == result.message
    assert check(db_session, other_id).open
    resolved_again = db_session.exec(select(Request).where(Request.patient_id == first.id)).one()
    resolved_again.status = "closed"
    db_session.add(resolved_again)
    assert check(db_session, practice_id).open


def test_per_patient_limit_is_per_person_and_per_kind(db_session: Session) -> None:
    practice_id, admin = setup_practice(db_session)
    mum = person(db_session, practice_id, "Jo Bloggs", email="jo@example.com")
    account_id = db_session.exec(select(AccountPatient.account_id).where(AccountPatient.patient_id == mum.id)).one()
    amy = person(db_session, practice_id, "Amy Bloggs")
    link(db_session, make_account(db_session, "dad@example.com"), amy, "dependant")
    link(db_session, db_session.get(Account, account_id), amy, "dependant")  # type: ignore[arg-type]
    submit(db_session, mum, account_id=account_id)
    mine = check(db_session, practice_id, patient_id=mum.id, account_id=account_id)
    assert mine.reason == "patient_limit"
    assert mine.message == (
        "You already have an open medical request. You can send another when it has been resolved, or "
        "call the surgery if it can't wait. In an emergency call 999."
    )
    # Admin is separate, and so is each dependant.
    assert check(db_session, practice_id, "admin", patient_id=mum.id, account_id=account_id).open
    assert check(db_session, practice_id, patient_id=amy.id, account_id=account_id).open
    submit(db_session, amy, account_id=account_id)
    theirs = check(db_session, practice_id, patient_id=amy.id, account_id=account_id)
    assert theirs.reason == "patient_limit" and theirs.message.startswith("Amy already has an open medical request.")
    refused = draft(db_session, amy, account_id=account_id)
    assert reserve_and_submit(db_session, request=refused, now=NOW) == theirs.message
    # A practice may allow more; resolved requests don't count.
    configure(db_session, admin, per_patient_medical="2")
    assert check(db_session, practice_id, patient_id=mum.id).open
    submit(db_session, mum)
    two = check(db_session, practice_id, patient_id=mum.id, account_id=account_id)
    assert two.reason == "patient_limit" and two.message.startswith("You already have 2 open medical requests.")
    for request in db_session.exec(select(Request).where(Request.patient_id == mum.id)).all():
        request.status = "resolved"
        db_session.add(request)
    assert check(db_session, practice_id, patient_id=mum.id).open


def test_reasons_come_in_the_guides_order(db_session: Session) -> None:
    practice_id, admin = setup_practice(db_session)
    zoe = person(db_session, practice_id, "Zoe Smith")
    submit(db_session, zoe, now=london(2025, 6, 13, 9))  # Friday morning: counts for the day and as open
    friday_evening = london(2025, 6, 13, 19)
    configure(db_session, admin, daily_limit="1", active_limit="1", turned_off=True, turned_off_message="Off today")
    training = ClosedDay(practice_id=practice_id, day=date(2025, 6, 13), reason="Training")
    db_session.add(training)
    db_session.flush()

    def reopen() -> None:
        db_session.delete(training)
        db_session.flush()

    steps: list[tuple[str, Callable[[], None]]] = [
        ("turned_off", lambda: configure(db_session, admin, turned_off=False)),
        ("closed_day", reopen),
        ("outside_hours", lambda: configure(db_session, admin, medical_fri_close="20:00")),
        ("daily_limit", lambda: configure(db_session, admin, daily_limit="")),
        ("active_limit", lambda: configure(db_session, admin, active_limit="")),
        ("patient_limit", lambda: configure(db_session, admin, per_patient_medical="2")),
    ]
    for index, (reason, lift) in enumerate(steps):
        result = check(db_session, practice_id, patient_id=zoe.id, now=friday_evening)
        assert result.reason == reason and result.reasons == REASONS[index:], result
        lift()
    assert check(db_session, practice_id, patient_id=zoe.id, now=friday_evening).open


def test_staff_read_every_reason_in_staff_words_and_patients_get_a_panel(db_session: Session) -> None:
    practice_id, admin = setup_practice(db_session)
    zoe = person(db_session, practice_id, "Zoe Smith")
    submit(db_session, zoe, now=london(2025, 6, 13, 9))  # Friday morning
    configure(db_session, admin, daily_limit="1", active_limit="1")
    result = check(db_session, practice_id, patient_id=zoe.id, now=london(2025, 6, 13, 19))
    assert result.reasons == ("outside_hours", "daily_limit", "active_limit", "patient_limit")
    assert result.staff_reasons == (
        "Outside the practice's hours for online medical requests (today: 08:00 to 18:30). "
        "They open again on Monday at 08:00.",
        "The practice's daily limit of online requests (1) has been reached (1 sent today).",
        "The practice has 1 open request; its limit of open requests at once is 1.",
        "Zoe Smith already has 1 open medical request (the practice allows 1 per patient).",
    )
    # The patient's panel: the first reason, a heading, why and when (the panel adds what to do).
    assert result.title == "Online medical requests are closed at the moment"
    assert result.explanation == (
        "The surgery's window for online medical requests is closed. It opens again on Monday at 08:00."
    )
    assert "999" not in result.explanation and "999" in result.message


# --- submission --------------------------------------------------------------------------------------


def test_submission_gives_a_reference_and_counts_once(db_session: Session) -> None:
    practice_id, _ = setup_practice(db_session)
    zoe = person(db_session, practice_id, "Zoe Smith")
    request = submit(db_session, zoe)
    assert request.status == "submitted" and request.submitted_at == NOW
    assert REFERENCE.fullmatch(request.reference or ""), request.reference
    assert counted(db_session, practice_id) == 1
    # Sent twice (a double click): refused, counted once.
    assert reserve_and_submit(db_session, request=request, now=NOW) == capacity.ALREADY_SENT
    assert counted(db_session, practice_id) == 1
    references = {
        submit(db_session, person(db_session, practice_id, f"Pat {n}"), "admin").reference for n in "ABCDEFGH"
    }
    assert len(references | {request.reference}) == 9
    with pytest.raises(ValueError):
        reserve_and_submit(db_session, request=draft(db_session, zoe, "other"), now=NOW)


def test_the_same_draft_from_two_sessions_is_sent_once(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as db:
        practice_id, _ = setup_practice(db)
        request_id = draft(db, person(db, practice_id, "Zoe Smith")).id
        db.commit()
    with Session(engine, expire_on_commit=False) as first, Session(engine, expire_on_commit=False) as second:
        mine, theirs = first.get(Request, request_id), second.get(Request, request_id)  # both still drafts
        assert reserve_and_submit(first, request=mine, now=NOW) is None  # type: ignore[arg-type]
        first.commit()
        assert reserve_and_submit(second, request=theirs, now=NOW) == capacity.ALREADY_SENT  # type: ignore[arg-type]
        second.rollback()
        assert counted(second, practice_id) == 1 and submitted_requests(second, practice_id) == 1


def test_a_receptionist_can_override_the_limits_and_it_is_audited(db_session: Session) -> None:
    practice_id, admin = setup_practice(db_session)
    practice = db_session.get(Practice, practice_id)
    receptionist = make_staff(db_session, practice, RECEPTIONIST)  # type: ignore[arg-type]
    configure(db_session, admin, daily_limit="1")
    zoe = person(db_session, practice_id, "Zoe Smith")
    submit(db_session, zoe)
    # Within hours, at the daily limit, and Zoe already has an open medical request.
    phoned = draft(db_session, zoe)
    assert reserve_and_submit(db_session, request=phoned, now=NOW, override=receptionist) is None
    assert phoned.status == "submitted" and phoned.limits_overridden
    assert phoned.created_by_staff_id == receptionist.staff_id
    [event] = audits(db_session, "limits_overridden")
    assert event.actor_account_id == receptionist.account_id and event.patient_id == zoe.id
    assert audit.event_detail(event) == {
        "kind": "medical",
        "limits": ["daily_limit", "patient_limit"],
        "request_id": phoned.id,
    }
    # An override with nothing to override isn't flagged or audited; outside hours is overridden.
    quiet = draft(db_session, person(db_session, practice_id, "Sam Fox"), "admin")
    assert reserve_and_submit(db_session, request=quiet, now=london(2025, 6, 17, 9), override=receptionist) is None
    assert not quiet.limits_overridden and len(audits(db_session, "limits_overridden")) == 1
    evening = draft(db_session, zoe, "admin")
    assert reserve_and_submit(db_session, request=evening, now=london(2025, 6, 19, 21), override=admin) is None
    assert audit.event_detail(audits(db_session, "limits_overridden")[1])["limits"] == ["outside_hours"]
    assert counted(db_session, practice_id) == 2  # phoned-in requests count towards the day
    # Turned off, or a closed day: staff are refused too, with words for staff.
    configure(db_session, admin, turned_off=True, turned_off_message="Closed for training")
    held = draft(db_session, zoe)
    assert reserve_and_submit(db_session, request=held, now=NOW, override=receptionist) == capacity.STAFF_TURNED_OFF
    configure(db_session, admin, turned_off=False)
    assert practice_settings.add_closed_day(db_session, admin, date(2025, 6, 18), "Bank holiday", now=NOW).ok
    message = reserve_and_submit(db_session, request=held, now=london(2025, 6, 18, 9), override=receptionist)
    assert message is not None and "closed day" in message and held.status == "draft"


def test_only_reception_and_admins_of_the_patients_practice_override(db_session: Session) -> None:
    practice_id, _ = setup_practice(db_session)
    other_id, other_admin = setup_practice(db_session, "Y02002")
    clinician = make_staff(db_session, db_session.get(Practice, practice_id), CLINICIAN)  # type: ignore[arg-type]
    other_receptionist = make_staff(db_session, db_session.get(Practice, other_id), RECEPTIONIST)  # type: ignore[arg-type]
    request = draft(db_session, person(db_session, practice_id, "Zoe Smith"))
    for who in (clinician, other_admin, other_receptionist):
        with pytest.raises(PermissionDenied):
            reserve_and_submit(db_session, request=request, now=NOW, override=who)
    assert request.status == "draft" and counted(db_session, practice_id) == 0


# --- the races ---------------------------------------------------------------------------------------


def _race(engine: Engine, request_ids: list[int], monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """Submit each draft from its own thread, session and transaction, all at once.

    After taking the lock, each thread waits (up to half a second) for the other to get as far:
    with the lock working the other can't, so the first goes on alone; without it both would
    count the same numbers and both would submit.
    """
    start = threading.Barrier(len(request_ids))
    inside = threading.Barrier(len(request_ids))
    assess = capacity.assess

    def assess_when_both_are_in(*args, **kwargs):
        try:
            inside.wait(timeout=0.5)
        except threading.BrokenBarrierError:
            pass  # the other is held at the lock: as it should be
        return assess(*args, **kwargs)

    monkeypatch.setattr(capacity, "assess", assess_when_both_are_in)
    results: dict[int, str | None] = {}
    failures: list[BaseException] = []

    def attempt(request_id: int) -> None:
        try:
            with Session(engine, expire_on_commit=False) as db:
                request = db.get(Request, request_id)
                assert request is not None
                start.wait(timeout=10)
                results[request_id] = reserve_and_submit(db, request=request, now=NOW)
                db.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=attempt, args=(request_id,)) for request_id in request_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not failures, failures
    return [results[request_id] for request_id in request_ids]


def test_two_patients_racing_for_the_last_place_of_the_day_give_one_request(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    limit = 3
    with Session(engine, expire_on_commit=False) as db:
        practice_id, admin = setup_practice(db)
        configure(db, admin, daily_limit=str(limit))
        for n in range(limit - 1):
            submit(db, person(db, practice_id, f"Early {n}"))
        racers = [draft(db, person(db, practice_id, name)).id for name in ("Ann Lee", "Ben Lee")]
        expected = check(db, practice_id).message  # not yet refused ...
        db.commit()
    assert expected == ""
    results = _race(engine, racers, monkeypatch)  # type: ignore[arg-type]
    assert sorted(results, key=str)[0] is None and results.count(None) == 1, results
    refusal = next(result for result in results if result is not None)
    assert refusal.startswith("The practice has reached its limit of online requests for today.")
    with Session(engine) as db:
        assert submitted_requests(db, practice_id) == limit
        assert counted(db, practice_id) == limit
        assert db.exec(select(func.count()).select_from(Request).where(Request.status == "draft")).one() == 1


def test_two_tabs_sending_two_medical_requests_for_one_patient_give_one(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(engine, expire_on_commit=False) as db:
        practice_id, _ = setup_practice(db)
        zoe = person(db, practice_id, "Zoe Smith", email="zoe@example.com")
        account_id = db.exec(select(AccountPatient.account_id).where(AccountPatient.patient_id == zoe.id)).one()
        tabs = [draft(db, zoe, "medical", account_id).id, draft(db, zoe, "medical", account_id).id]
        # Someone else has sent one today, so today's counter row exists: the threads meet at its
        # lock (not at inserting it, which PostgreSQL would also serialise).
        submit(db, person(db, practice_id, "Sam Fox"))
        db.commit()
    results = _race(engine, tabs, monkeypatch)  # type: ignore[arg-type]
    assert results.count(None) == 1, results
    assert any(result and result.startswith("You already have an open medical request.") for result in results)
    with Session(engine) as db:
        mine = (
            select(func.count()).select_from(Request).where(Request.patient_id == zoe.id, Request.status == "submitted")
        )
        assert db.exec(mine).one() == 1 and counted(db, practice_id) == 2
