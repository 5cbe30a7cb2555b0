"""`GET /appointments/ics/<id>` (anima_pwa/http.py): an appointment's calendar file, by the HttpOnly
session cookie, to the accounts that act for its patient; a 404 for everyone else."""

from __future__ import annotations

import pytest
from sqlmodel import Session
from starlette.testclient import TestClient

from anima_pwa import http
from anima_pwa.models import Account
from anima_pwa.services.appointments import booking
from anima_pwa.services.identity import sessions
from tests.appointment_world import generate, invite, london, make_world, patient_with_account
from tests.web import factory_for, get_as


@pytest.fixture
def web(engine, monkeypatch):
    monkeypatch.setattr(http, "session_scope", factory_for(engine))
    now = london(2026, 3, 21)
    with Session(engine, expire_on_commit=False) as db:
        world = make_world(db)
        generate(db, world, now)
        zoe, zoe_id = patient_with_account(db, world, "Zoe Smith", "zoe@example.com")
        _, ann_id = patient_with_account(db, world, "Ann Lee", "ann@example.com")
        invite_id = invite(db, world, zoe, now, window_end="2026-03-31")
        times, _ = booking.free_times(db, zoe_id, invite_id, "2026-03-30", now)
        appointment_id = booking.book(db, zoe_id, invite_id, times[0].slot_id, now).appointment_id
        tokens = {
            "zoe": sessions.start(db, db.get(Account, zoe_id.account_id), method="password"),
            "ann": sessions.start(db, db.get(Account, ann_id.account_id), method="password"),
        }
        db.commit()
    return TestClient(http.static_routes(), base_url="http://localhost:3000"), appointment_id, tokens


def test_the_patient_downloads_the_calendar_file(web) -> None:
    client, appointment_id, tokens = web
    response = get_as(client, f"/appointments/ics/{appointment_id}", tokens["zoe"])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert response.headers["content-disposition"] == 'attachment; filename="appointment.ics"'
    assert response.headers["cache-control"] == "private, no-store"
    assert b"DTSTART;TZID=Europe/London:20260330T090000" in response.content


@pytest.mark.parametrize("who", ["ann", None, "forged"])
def test_anyone_else_gets_not_found(web, who) -> None:
    client, appointment_id, tokens = web
    response = get_as(client, f"/appointments/ics/{appointment_id}", tokens.get(who, "x" * 43) if who else None)
    assert response.status_code == 404 and b"VCALENDAR" not in response.content


@pytest.mark.parametrize("path", ["/appointments/ics/999", "/appointments/ics/abc", "/appointments/ics/-1"])
def test_unknown_ids_are_not_found(web, path) -> None:
    client, _, tokens = web
    assert get_as(client, path, tokens["zoe"]).status_code == 404
