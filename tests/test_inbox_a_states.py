"""The practice's queue and request screens (state/inbox), driven directly against the test
database as tests/test_state_guards.py drives screens: filters from the URL, refusals shown on the
screen with nothing of another request left, handlers safe with any id or form data."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

import anima_pwa.anima_pwa  # noqa: F401  (every page and State, as the app registers them)
from anima_pwa import routes
from anima_pwa.models import Request, RequestMessage
from anima_pwa.services.inbox.staff_access import NOT_FOUND
from anima_pwa.state.inbox.practice_queue import PracticeQueueState
from anima_pwa.state.inbox.practice_request import PracticeRequestState
from tests.factories import count
from tests.inbox_a_world import build_desk, now_fixture  # noqa: F401
from tests.screen_tabs import opened, run, staff_acting


@pytest.fixture
def tabs(engine: Engine, monkeypatch: pytest.MonkeyPatch, now):  # noqa: ANN001, ANN201
    as_staff = staff_acting(engine, monkeypatch)
    with Session(engine, expire_on_commit=False) as session:
        desk = build_desk(session)
        desk.urgent = desk.request(urgency="urgent_today", minutes_ago=5, subject="Chest pain")
        desk.routine = desk.request(minutes_ago=500, subject="Knee pain")
        desk.admin_request = desk.request(kind="admin", team="reception", subject="Fit note")
        desk.theirs = desk.request(practice_id=desk.other_practice.id, subject="Elsewhere")
        session.commit()

    desk.as_staff = as_staff
    desk.engine = engine
    return desk


def test_the_queue_reads_its_filters_and_page_from_the_url(tabs) -> None:  # noqa: ANN001
    tabs.as_staff(tabs.reception)
    tab = opened(PracticeQueueState, routes.PRACTICE_REQUESTS + "?kind=medical&team=nonsense&page=9")
    assert run(tab, "load") is None
    assert [r["subject"] for r in tab.rows] == ["Chest pain", "Knee pain"]
    assert tab.filtered and tab.page == 1 and tab.error == ""
    kind = {o["label"]: o for o in tab.kind_options}
    assert kind["Medical"]["current"] == "yes" and kind["Medical"]["count"] == "2"
    assert kind["Admin"]["href"] == routes.PRACTICE_REQUESTS + "?kind=admin"
    assert {o["label"]: o["href"] for o in tab.team_options}["GP"] == routes.PRACTICE_REQUESTS + "?team=gp&kind=medical"


def test_the_request_page_of_another_practice_says_only_not_found(tabs) -> None:  # noqa: ANN001
    tabs.as_staff(tabs.clinician)
    for rid in (tabs.theirs.id, "1 OR 1=1", "", "99999"):
        tab = opened(PracticeRequestState, f"{routes.PRACTICE_REQUEST}?id={rid}")
        tab.request = {"subject": "Shown before"}
        assert run(tab, "load") is None
        assert (tab.request, tab.error, tab.messages) == ({}, NOT_FOUND, [])
        # and nothing can be done to it from that tab
        run(tab, "send_message", {"message": "Hello"})
        run(tab, "sign_off", {"outcome": "no_action"})
    with Session(tabs.engine) as session:
        assert count(session, RequestMessage) == 0
        assert session.get(Request, tabs.theirs.id).outcome == ""


def test_a_receptionist_is_told_why_they_cannot_message_about_a_medical_request(tabs) -> None:  # noqa: ANN001
    tabs.as_staff(tabs.reception)
    tab = opened(PracticeRequestState, f"{routes.PRACTICE_REQUEST}?id={tabs.urgent.id}")
    run(tab, "load")
    assert tab.request["subject"] == "Chest pain" and tab.request["may_message"] == ""
    assert tab.request["may_assign"] == "yes"
    run(tab, "send_message", {"message": "Hello", "needs_reply": True})
    assert tab.errors == {"form": "Only a clinician can message the patient about a medical request."}
    assert tab.request["subject"] == "Chest pain"  # still on the page
    # an admin request is theirs to answer
    tab = opened(PracticeRequestState, f"{routes.PRACTICE_REQUEST}?id={tabs.admin_request.id}")
    run(tab, "load")
    assert tab.request["may_message"] == "yes"
    run(tab, "send_message", {"message": "Your fit note is ready.", "needs_reply": "on"})
    assert tab.errors == {} and tab.notice.startswith("Your message has been sent.")
    assert tab.messages[0]["body"] == "Your fit note is ready." and tab.request["status"] == "awaiting_patient"


def test_sign_off_errors_next_to_their_fields_then_signed_off(tabs) -> None:  # noqa: ANN001
    tabs.as_staff(tabs.clinician)
    tab = opened(PracticeRequestState, f"{routes.PRACTICE_REQUEST}?id={tabs.routine.id}")
    run(tab, "load")
    run(tab, "choose_outcome", "<script>")
    assert tab.chosen_outcome == ""
    run(tab, "choose_outcome", "signpost")
    assert tab.chosen_outcome == "signpost"
    run(tab, "sign_off", {"outcome": "signpost", "service": "", "note": "x"})
    assert tab.errors == {"service": "Choose the service to signpost to."}
    assert tab.summary == [["service", "Choose the service to signpost to."]]
    drawn = tab.drawn
    run(tab, "sign_off", {"outcome": "signpost", "service": "pharmacy", "unknown_field": "ignored"})
    assert tab.errors == {} and tab.drawn == drawn + 1 and tab.request["is_open"] == ""
    assert tab.request["outcome_heading"] == "Your practice suggests you contact a pharmacy (Pharmacy First)"
    assert tab.request["signed_off"].startswith("Signed off by Dr Clare Clinician")


def test_assign_and_take_it_myself_from_the_page(tabs) -> None:  # noqa: ANN001
    tabs.as_staff(tabs.reception)
    tab = opened(PracticeRequestState, f"{routes.PRACTICE_REQUEST}?id={tabs.routine.id}")
    run(tab, "load")
    run(tab, "assign", {"team": "nurse", "staff_id": str(tabs.elsewhere.staff_id)})
    assert tab.errors == {"staff_id": "Choose a member of staff from the list."}
    run(tab, "assign", {"team": "nurse", "staff_id": ""})
    assert tab.request["assigned_to"] == "Practice nurse" and tab.request["status"] == "assigned"
    run(tab, "take_it_myself")
    assert tab.request["assigned_to"] == "Practice nurse: Rita Reception"
    assert [c["label"] for c in tab.status_choices] == ["New (back to the queue)"]
    run(tab, "change_status", {"status": "resolved"})
    assert tab.errors == {"status": "Choose a status from the list."}
