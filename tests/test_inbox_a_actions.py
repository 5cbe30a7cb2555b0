"""The practice acting on a request (services/inbox/staff_actions.py, staff_access.py): assign,
take it myself, status moves, messages; permissions by role, kind and practice, whatever the ids."""

from __future__ import annotations

import pytest

from anima_pwa.models import OutboxMessage, Request, RequestMessage
from anima_pwa.services.inbox import sign_off, staff_actions
from anima_pwa.services.inbox.staff_access import NOT_FOUND
from anima_pwa.services.platform import text_limits
from anima_pwa.services.practice import permissions
from anima_pwa.services.practice.permissions import ADMIN, CLINICIAN, RECEPTIONIST, Action, PermissionDenied
from tests.factories import audit_events, count, make_staff, outbox
from tests.inbox_a_world import NOW, Desk, desk_fixture, now_fixture  # noqa: F401

BAD_IDS = ["1 OR 1=1", None, "abc", "", "1.0", 1.5, True, -1, 0, "9" * 30, 2**40, [1], {"id": 1}]


def test_assign_to_a_team_and_a_member_of_staff(desk: Desk) -> None:
    request = desk.request()
    result = staff_actions.assign(
        desk.db, desk.reception, request.id, team="nurse", staff_id=str(desk.clinician.staff_id)
    )
    assert result.ok
    assert (request.assigned_team, request.assigned_staff_id, request.status) == (
        "nurse",
        desk.clinician.staff_id,
        "assigned",
    )
    assert request.first_response_at is None  # assigning is not a response
    (event,) = audit_events(desk.db, "request_assigned")
    assert event.actor_account_id == desk.reception.account_id and event.actor_kind == "staff"


def test_assign_refuses_unknown_teams_and_staff_of_other_practices(desk: Desk) -> None:
    request = desk.request()
    assert staff_actions.assign(desk.db, desk.reception, request.id, team="surgeons").errors == {
        "team": "Choose a team from the list."
    }
    for who in (desk.elsewhere.staff_id, "x", 999999):
        result = staff_actions.assign(desk.db, desk.reception, request.id, staff_id=who)
        assert result.errors == {"staff_id": "Choose a member of staff from the list."}, who
    assert staff_actions.assign(desk.db, desk.reception, request.id).errors == {
        "team": "Choose a team or a member of staff."
    }
    assert (request.assigned_team, request.assigned_staff_id, request.status) == ("", None, "submitted")


def test_take_it_myself_keeps_the_team(desk: Desk) -> None:
    request = desk.request(assigned_team="gp", status="assigned")
    assert staff_actions.take_it_myself(desk.db, desk.clinician, request.id).ok
    assert (request.assigned_team, request.assigned_staff_id) == ("gp", desk.clinician.staff_id)


def test_only_allowed_status_moves(desk: Desk) -> None:
    request = desk.request()
    for bad in ("resolved", "closed", "awaiting_patient", "draft", "submitted", 3):
        assert staff_actions.change_status(desk.db, desk.reception, request.id, bad).errors == {
            "status": "Choose a status from the list."
        }
    assert staff_actions.change_status(desk.db, desk.reception, request.id, "assigned").ok
    assert request.status == "assigned"
    waiting = desk.request(status="awaiting_patient", awaiting_reply_since=NOW)
    assert staff_actions.change_status(desk.db, desk.reception, waiting.id, "assigned").ok
    assert (waiting.status, waiting.awaiting_reply_since) == ("assigned", None)
    assert [dict(e.detail and __import__("json").loads(e.detail))["to"] for e in audit_events(desk.db)
            if e.action == "request_status_changed"] == ["assigned", "assigned"]  # fmt: skip


def test_a_message_needing_a_reply(desk: Desk) -> None:
    request = desk.request()
    result = staff_actions.send_message(
        desk.db, desk.clinician, request.id, "  Please send a photo of the rash.  ", needs_reply=True, wants_photo=True
    )
    assert result.ok
    message = desk.db.get(RequestMessage, result.message_id)
    assert (message.body, message.needs_reply, message.wants_photo, message.author_staff_id) == (
        "Please send a photo of the rash.",
        True,
        True,
        desk.clinician.staff_id,
    )
    assert (request.status, request.awaiting_reply_since, request.first_response_at) == ("awaiting_patient", NOW, NOW)
    # the notice went to the patient and the approved holder, with nothing of the message in it
    sent = outbox(desk.db)
    assert {m.to_address for m in sent} == {"zoe@example.com", "carer@example.com"}
    assert all("rash" not in m.body_text and m.request_id == request.id for m in sent)
    (event,) = audit_events(desk.db, "request_message_sent")
    assert "rash" not in event.detail and event.actor_account_id == desk.clinician.account_id


def test_first_response_is_set_once(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    from anima_pwa.services.platform import clock

    request = desk.request()
    assert staff_actions.send_message(desk.db, desk.clinician, request.id, "We are looking at it.").ok
    assert (request.first_response_at, request.status, request.awaiting_reply_since) == (NOW, "assigned", None)
    monkeypatch.setattr(clock, "utcnow", lambda: NOW + timedelta(hours=1))
    assert staff_actions.send_message(desk.db, desk.clinician, request.id, "Any better?", needs_reply=True).ok
    assert request.first_response_at == NOW and request.awaiting_reply_since == NOW + timedelta(hours=1)


def test_bad_messages_save_nothing(desk: Desk) -> None:
    request = desk.request()
    too_long = "x" * (text_limits.MESSAGE.limit + 1)
    cases = [
        ("", {}, {"message": "Enter a message to the patient."}),
        ("   ", {}, {"message": "Enter a message to the patient."}),
        (too_long, {}, {"message": text_limits.too_long("Your message", 2000, 2001)}),
        ("Photo please", {"wants_photo": True}, {"wants_photo": "To ask for a photo, say the message needs a reply."}),
    ]
    for body, flags, errors in cases:
        assert staff_actions.send_message(desk.db, desk.clinician, request.id, body, **flags).errors == errors
    assert count(desk.db, RequestMessage) == 0 and count(desk.db, OutboxMessage) == 0
    assert (request.status, request.first_response_at) == ("submitted", None)


def test_a_signed_off_request_cannot_be_changed(desk: Desk) -> None:
    for status in ("resolved", "closed"):
        request = desk.request(status=status, outcome="no_action")
        for result in (
            staff_actions.send_message(desk.db, desk.clinician, request.id, "Hello"),
            staff_actions.assign(desk.db, desk.clinician, request.id, team="gp"),
            staff_actions.take_it_myself(desk.db, desk.clinician, request.id),
            staff_actions.change_status(desk.db, desk.clinician, request.id, "assigned"),
        ):
            assert result.errors == {"form": staff_actions.ALREADY_ENDED}
    assert count(desk.db, RequestMessage) == 0


# --- permissions -------------------------------------------------------------------------------------

ACTS = {
    Action.ASSIGN_REQUESTS: lambda db, staff, rid: staff_actions.assign(db, staff, rid, team="gp"),
    Action.CHANGE_REQUEST_STATUS: lambda db, staff, rid: staff_actions.change_status(db, staff, rid, "assigned"),
    Action.MESSAGE_PATIENTS: lambda db, staff, rid: staff_actions.send_message(db, staff, rid, "Hello"),
    Action.SIGN_OFF_REQUESTS: lambda db, staff, rid: sign_off.sign_off(db, staff, rid, "no_action", {}),
}

# The policy, written out (a receptionist answers and signs off admin requests only).
MAY: dict[tuple[str, str], set[Action]] = {
    (RECEPTIONIST, "admin"): set(ACTS),
    (RECEPTIONIST, "medical"): {Action.ASSIGN_REQUESTS, Action.CHANGE_REQUEST_STATUS},
    (CLINICIAN, "admin"): set(ACTS),
    (CLINICIAN, "medical"): set(ACTS),
    (ADMIN, "admin"): set(ACTS),
    (ADMIN, "medical"): set(ACTS),
}


@pytest.mark.parametrize(("role", "kind"), list(MAY))
def test_permissions_by_role_and_kind(desk: Desk, role: str, kind: str) -> None:
    staff = {RECEPTIONIST: desk.reception, CLINICIAN: desk.clinician, ADMIN: desk.admin}[role]
    for action, act in ACTS.items():
        request = desk.request(kind=kind)
        if action in MAY[(role, kind)]:
            assert act(desk.db, staff, request.id).ok, action
        else:
            with pytest.raises(PermissionDenied) as refused:
                act(desk.db, staff, request.id)
            assert "clinician" in refused.value.message
            assert desk.db.get(Request, request.id).status == "submitted"


def test_staff_of_another_practice_and_bad_ids_are_refused_alike(desk: Desk) -> None:
    request = desk.request()
    draft = desk.request(status="draft")
    for action, act in ACTS.items():
        for staff, rid in [(desk.elsewhere, request.id), (desk.admin, draft.id), *((desk.admin, b) for b in BAD_IDS)]:
            with pytest.raises(PermissionDenied) as refused:
                act(desk.db, staff, rid)
            assert refused.value.message == NOT_FOUND, (action, rid)
        with pytest.raises(PermissionDenied):
            act(desk.db, None, request.id)
    assert desk.db.get(Request, request.id).status == "submitted"
    assert count(desk.db, RequestMessage) == 0
    assert audit_events(desk.db) == []


def test_an_inactive_member_of_staff_has_no_context(desk: Desk) -> None:
    assert make_staff(desk.db, desk.practice, CLINICIAN, name="Gone", active=False) is None


def test_the_new_actions_are_in_the_table() -> None:
    for role in (RECEPTIONIST, CLINICIAN, ADMIN):
        assert set(ACTS) <= permissions.PERMISSIONS[role]
