"""Auto-close (services/inbox/auto_close.py): a request waiting on the patient's reply for the
practice's number of days is closed with the reason and a notice; the days setting (1 to 90)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from anima_pwa.models import PracticeSettings, RecordExport, Request
from anima_pwa.services.inbox import auto_close, outcomes
from anima_pwa.services.requests import practice_settings, request_settings
from tests.factories import audit_events, outbox
from tests.inbox_a_world import NOW, Desk, desk_fixture, now_fixture  # noqa: F401


def test_closes_after_the_practices_days_with_a_notice(desk: Desk) -> None:
    desk.db.get(PracticeSettings, desk.practice.id).auto_close_days = 3
    due = desk.request(status="awaiting_patient", awaiting_reply_since=NOW - timedelta(days=3, minutes=1))
    not_yet = desk.request(status="awaiting_patient", awaiting_reply_since=NOW - timedelta(days=2, hours=23))
    working = desk.request(status="assigned", awaiting_reply_since=None)
    other = desk.request(
        practice_id=desk.other_practice.id, status="awaiting_patient", awaiting_reply_since=NOW - timedelta(days=13)
    )  # no settings there: 14 days
    assert auto_close.close_unanswered(desk.db, now=NOW) == 1
    desk.db.refresh(due)
    assert (due.status, due.outcome, due.awaiting_reply_since, due.resolved_at) == ("closed", "closed", None, NOW)
    view = outcomes.describe(due)
    assert view.paragraphs == (
        "We closed this request because we did not hear back from you within 3 days. "
        "If you still need help, send a new request.",
    )
    assert {m.to_address for m in outbox(desk.db)} == {"zoe@example.com", "carer@example.com"}
    (export,) = desk.db.exec(select(RecordExport)).all()  # written to the health record like a sign-off
    assert export.request_id == due.id and export.status == "pending"
    (event,) = audit_events(desk.db, "request_auto_closed")
    assert event.actor_kind == "system" and json.loads(event.detail) == {"request_id": due.id, "days": 3}
    for request in (not_yet, working, other):
        desk.db.refresh(request)
        assert request.status in ("awaiting_patient", "assigned"), request
    assert auto_close.close_unanswered(desk.db, now=NOW + timedelta(days=1)) == 2  # not_yet and other (14 days)
    assert auto_close.close_unanswered(desk.db, now=NOW + timedelta(days=30)) == 0  # nothing twice


def test_a_reply_or_sign_off_in_between_wins(desk: Desk) -> None:
    request = desk.request(status="awaiting_patient", awaiting_reply_since=NOW - timedelta(days=20))
    stale = desk.db.get(Request, request.id)
    # the patient replied just now (the patient side clears awaiting_reply_since and sets "assigned")
    desk.db.exec(__import__("sqlalchemy").update(Request).where(Request.id == request.id).values(status="assigned"))
    assert auto_close._close(desk.db, stale, 14, NOW) is False
    desk.db.refresh(request)
    assert request.status == "assigned" and request.outcome == ""


def test_the_days_setting_is_checked_and_saved(desk: Desk) -> None:
    for bad in ("0", "91", "x", "", "1.5", "-3"):
        result = practice_settings.update_settings(desk.db, desk.admin, {"auto_close_days": bad})
        assert result.errors == {
            "auto_close_days": "Enter the number of days to wait for a patient's reply, from 1 to 90"
        }
    assert practice_settings.update_settings(desk.db, desk.admin, {"auto_close_days": "7"}).ok
    assert request_settings.settings_for(desk.db, desk.practice.id).auto_close_days == 7
    assert request_settings.settings_for(desk.db, desk.practice.id).form()["auto_close_days"] == "7"


def test_housekeeping_runs_auto_close(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    from contextlib import contextmanager

    from anima_pwa import db as db_module
    from anima_pwa.services.platform import maintenance

    @contextmanager
    def same_session():
        yield desk.db

    monkeypatch.setattr(db_module, "session_scope", same_session)
    desk.request(status="awaiting_patient", awaiting_reply_since=NOW - timedelta(days=15))
    assert maintenance.close_unanswered_requests() == 1


def test_the_cancellation_cut_off_is_set_in_hours_and_used_for_bookings(desk: Desk) -> None:
    for bad in ("49", "x", "", "-1", "1.5"):
        result = practice_settings.update_settings(desk.db, desk.admin, {"cancel_cutoff_hours": bad})
        assert result.errors == {
            "cancel_cutoff_hours": "Enter how many hours before an appointment patients can still cancel it online, "
            "from 0 to 48"
        }
    assert request_settings.settings_for(desk.db, desk.practice.id).cancel_cutoff_hours == 2  # the default
    assert practice_settings.update_settings(desk.db, desk.admin, {"cancel_cutoff_hours": "24"}).ok
    assert desk.db.get(PracticeSettings, desk.practice.id).cancel_cutoff_minutes == 24 * 60
    assert request_settings.settings_for(desk.db, desk.practice.id).form()["cancel_cutoff_hours"] == "24"
