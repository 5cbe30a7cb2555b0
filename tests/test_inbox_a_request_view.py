"""One request as the practice reads it (services/inbox/request_view.py)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from anima_pwa.models import OutboxMessage
from anima_pwa.services.inbox import request_view, sign_off, staff_actions
from anima_pwa.services.practice.permissions import PermissionDenied
from tests.factories import audit_events
from tests.inbox_a_world import Desk, desk_fixture, now_fixture  # noqa: F401


def test_the_history_is_never_pushed_off_by_views(desk: Desk) -> None:
    """A request opened more than a thousand times still shows its whole history: views are left out
    of the audit query itself, not after its limit."""
    from anima_pwa.services.platform import audit

    request = desk.request()
    assert staff_actions.assign(desk.db, desk.reception, request.id, team="gp", staff_id=desk.clinician.staff_id).ok
    for _ in range(1001):
        audit.record_staff(desk.db, desk.reception, "request_viewed", patient_id=request.patient_id,
                           detail={"request_id": request.id})  # fmt: skip
    view = request_view.request_view(desk.db, desk.reception, request.id)
    assert [h.action for h in view.history] == ["Request assigned"]


def test_the_page_shows_alarms_holders_other_requests_thread_and_history(desk: Desk) -> None:
    earlier = desk.request(minutes_ago=3000, subject="Earlier rash", status="resolved", outcome="no_action")
    request = desk.request(
        urgency="urgent_today",
        triage_summary="Red flag: chest pain (the patient was told to call 999)\n"
        "Crisis lines shown (NHS 111 option 2, Samaritans 116 123, 999 if in danger): thoughts\n"
        "How long: 2 days",
    )
    assert staff_actions.assign(desk.db, desk.reception, request.id, team="gp", staff_id=desk.clinician.staff_id).ok
    assert staff_actions.send_message(desk.db, desk.clinician, request.id, "How are you?", needs_reply=True).ok
    view = request_view.request_view(desk.db, desk.reception, request.id)
    assert [(line.text[:9], line.alarm) for line in view.summary] == [
        ("Red flag:", True),
        ("Crisis li", True),
        ("How long:", False),
    ]
    assert view.assigned_to == "GP: Dr Clare Clinician" and view.status_label == "Waiting for the patient"
    assert view.holders == ["carer@example.com, parent or carer"]
    assert [o.subject for o in view.other_requests] == ["Earlier rash"] and earlier.id != request.id
    assert [(m.author, m.body, m.needs_reply) for m in view.messages] == [("Dr Clare Clinician", "How are you?", True)]
    assert [h.action for h in view.history] == ["Request message sent", "Request assigned"]
    assert view.history[1].detail == "member of staff: Dr Clare Clinician; team: gp"
    assert (view.may_assign, view.may_message, view.may_sign_off) == (True, False, False)  # reception, medical
    assert audit_events(desk.db, "request_viewed")[-1].actor_account_id == desk.reception.account_id

    assert sign_off.sign_off(desk.db, desk.clinician, request.id, "self_care", {"advice": "Rest"}).ok
    view = request_view.request_view(desk.db, desk.clinician, request.id)
    assert view.outcome_heading == "Your practice has sent you self-care advice" and view.outcome_lines == ["Rest"]
    assert view.signed_off.startswith("Signed off by Dr Clare Clinician") and not view.is_open
    assert not (view.may_assign or view.may_message or view.may_sign_off or view.may_change_status)


def test_another_practices_request_or_a_draft_is_not_found(desk: Desk) -> None:
    theirs = desk.request(practice_id=desk.other_practice.id)
    draft = desk.request(status="draft")
    for staff, rid in ((desk.admin, theirs.id), (desk.admin, draft.id), (desk.elsewhere, draft.id)):
        with pytest.raises(PermissionDenied):
            request_view.request_view(desk.db, staff, rid)
    assert audit_events(desk.db, "request_viewed") == []


def test_the_page_says_where_the_record_write_is_and_which_notices_failed(desk: Desk) -> None:
    request = desk.request()
    view = request_view.request_view(desk.db, desk.clinician, request.id)
    assert (view.record_state, view.delivery_problems) == ("none", [])
    assert sign_off.sign_off(desk.db, desk.clinician, request.id, "no_action", {}).ok
    notice = desk.db.exec(select(OutboxMessage).where(OutboxMessage.request_id == request.id)).first()
    assert notice is not None
    notice.status, notice.attempts, notice.last_error = "failed", 1, "PermanentFailure: email_address Not a valid email"
    desk.db.add(notice)
    desk.db.flush()
    view = request_view.request_view(desk.db, desk.clinician, request.id)
    assert view.record_state == "waiting" and view.record_text
    (problem,) = view.delivery_problems
    assert problem.startswith(f"We could not send the notice by email to {notice.to_address}: the address was not")
