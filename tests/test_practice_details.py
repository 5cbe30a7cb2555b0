""" "Practice Details" on the patient's dashboard: hours for medical and admin requests, closed days
ahead, the important updates an admin saved, and a turn-off; always the patient's own practice."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from anima_pwa.models import ClosedDay, PracticeSettings
from anima_pwa.services.practice import practice_details
from anima_pwa.services.practice.permissions import ADMIN
from anima_pwa.services.requests import practice_settings
from tests.factories import identity_of, link, make_account, make_patient, make_practice, make_staff, self_account

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/London"))


def test_a_practice_that_saved_nothing_shows_the_default_hours(db_session: Session) -> None:
    practice = make_practice(db_session, "C81001", "Riverside Health Centre", phone="01632 960001")
    zoe = make_patient(db_session, practice, "Zoe Smith", email="zoe@example.com")
    details = practice_details.for_account(db_session, identity_of(self_account(db_session, zoe)), now=NOW)
    assert details is not None
    assert (details.name, details.phone, details.important_updates, details.turned_off) == (
        "Riverside Health Centre",
        "01632 960001",
        "",
        False,
    )
    assert [(r.day, r.medical, r.admin) for r in details.hours] == [
        ("Monday", "08:00 to 18:30", "08:00 to 18:30"),
        ("Tuesday", "08:00 to 18:30", "08:00 to 18:30"),
        ("Wednesday", "08:00 to 18:30", "08:00 to 18:30"),
        ("Thursday", "08:00 to 18:30", "08:00 to 18:30"),
        ("Friday", "08:00 to 18:30", "08:00 to 18:30"),
        ("Saturday", "Closed", "Closed"),
        ("Sunday", "Closed", "Closed"),
    ]
    assert details.closed_days == []


def test_what_an_admin_saved_is_what_the_patient_reads(db_session: Session) -> None:
    practice = make_practice(db_session, "C81001")
    admin = make_staff(db_session, practice, ADMIN)
    form = {
        "admin_mon_open": "09:00", "admin_mon_close": "12:00", "medical_sat_open": "09:00", "medical_sat_close": "12:00",
        "important_updates": "Flu clinics every Saturday in October.\nThe car park is closed.",
    }  # fmt: skip
    assert (
        practice_settings.update_settings(
            db_session, admin, form, why="Admin team is part-time on Mondays", now=NOW
        ).errors
        == {}
    )
    for day, reason in [
        (date(2026, 11, 30), "Yesterday"),
        (date(2026, 12, 25), "Christmas Day"),
        (date(2026, 12, 12), ""),
    ]:
        db_session.add(ClosedDay(practice_id=practice.id, day=day, reason=reason))
    db_session.flush()
    zoe = make_patient(db_session, practice, "Zoe Smith", email="zoe@example.com")
    details = practice_details.for_account(db_session, identity_of(self_account(db_session, zoe)), now=NOW)
    assert details is not None
    assert (details.hours[0].medical, details.hours[0].admin) == ("08:00 to 18:30", "09:00 to 12:00")
    assert (details.hours[5].medical, details.hours[5].admin) == ("09:00 to 12:00", "Closed")
    assert details.closed_days == [("Saturday 12 December", ""), ("Friday 25 December", "Christmas Day")]
    assert details.important_updates == "Flu clinics every Saturday in October.\nThe car park is closed."


def test_turned_off_is_shown_with_the_practice_message(db_session: Session) -> None:
    practice = make_practice(db_session, "C81001")
    db_session.add(
        PracticeSettings(
            practice_id=practice.id,
            hours=json.dumps({}),
            turned_off=True,
            turned_off_message="Closed for staff training until 2pm.",
        )
    )
    zoe = make_patient(db_session, practice, "Zoe Smith", email="zoe@example.com")
    details = practice_details.for_account(db_session, identity_of(self_account(db_session, zoe)), now=NOW)
    assert details is not None and details.turned_off
    assert details.turned_off_message == "Closed for staff training until 2pm."


def test_each_account_sees_only_its_own_practice(db_session: Session) -> None:
    ours = make_practice(db_session, "C81001", "Riverside Health Centre")
    theirs = make_practice(db_session, "C81002", "Hillside Practice")
    db_session.add(PracticeSettings(practice_id=theirs.id, hours="{}", important_updates="Hillside only"))
    zoe = make_patient(db_session, ours, "Zoe Smith", email="zoe@example.com")
    sam = make_patient(db_session, theirs, "Sam Jones", email="sam@example.com")
    # Zoe holds a dependant; the practice is still hers (dependants are at the holder's practice).
    link(
        db_session,
        self_account(db_session, zoe),
        make_patient(db_session, ours, "Leo Smith", dob=date(2020, 1, 1)),
        "dependant",
    )
    mine = practice_details.for_account(db_session, identity_of(self_account(db_session, zoe)), now=NOW)
    other = practice_details.for_account(db_session, identity_of(self_account(db_session, sam)), now=NOW)
    assert mine is not None and other is not None
    assert (mine.name, mine.important_updates) == ("Riverside Health Centre", "")
    assert (other.name, other.important_updates) == ("Hillside Practice", "Hillside only")
    # An account that hasn't given its details yet has no practice to show.
    assert (
        practice_details.for_account(db_session, identity_of(make_account(db_session, "new@example.com")), now=NOW)
        is None
    )
