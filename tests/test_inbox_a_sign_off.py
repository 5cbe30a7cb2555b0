"""Signing off (services/inbox/sign_off.py): outcome details checked, one transaction with the
record job and the notice, exactly one of two staff signing off at once wins (on SQLite and
PostgreSQL, two real sessions in two threads), and a signed-off request no longer counts as open."""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from anima_pwa.models import AppointmentInvite, AuditEvent, OutboxMessage, RecordExport, Request
from anima_pwa.services.appointments import rota
from anima_pwa.services.inbox import outcomes, sign_off
from anima_pwa.services.practice.permissions import CLINICIAN
from anima_pwa.services.requests import rules
from tests.factories import audit_events, count, make_staff, outbox
from tests.inbox_a_world import NOW, Desk, build_desk, desk_fixture, now_fixture  # noqa: F401
from tests.race import at_once


def test_sign_off_with_a_signpost_to_a_pharmacy(desk: Desk) -> None:
    request = desk.request(status="awaiting_patient", awaiting_reply_since=NOW)
    result = sign_off.sign_off(
        desk.db, desk.clinician, request.id, "signpost", {"service": "pharmacy", "note": "  Ask about cream.  "}
    )
    assert result.ok and result.outcome == "signpost"
    desk.db.refresh(request)
    assert (request.status, request.outcome, request.signed_off_by_staff_id, request.resolved_at) == (
        "resolved",
        "signpost",
        desk.clinician.staff_id,
        NOW,
    )
    assert json.loads(request.outcome_detail) == {"service": "pharmacy", "note": "Ask about cream."}
    assert request.awaiting_reply_since is None and request.first_response_at == NOW
    assert outcomes.describe(request).heading == "Your practice suggests you contact a pharmacy (Pharmacy First)"
    (export,) = desk.db.exec(select(RecordExport)).all()
    assert (export.request_id, export.status) == (request.id, "pending")
    assert {m.to_address for m in outbox(desk.db)} == {"zoe@example.com", "carer@example.com"}
    assert all("pharmacy" not in m.body_text.lower() for m in outbox(desk.db))
    (event,) = audit_events(desk.db, "request_signed_off")
    assert event.actor_account_id == desk.clinician.account_id and json.loads(event.detail)["outcome"] == "signpost"


def test_the_closed_outcome_closes_and_invite_to_book_makes_the_invitation(desk: Desk) -> None:
    closed = desk.request()
    assert sign_off.sign_off(desk.db, desk.clinician, closed.id, "closed", {"reason": "Duplicate request"}).ok
    assert desk.db.get(Request, closed.id).status == "closed"
    book = rota.create_book(desk.db, desk.admin, name="Dr Lee", staff_id=desk.clinician.staff_id)
    assert book.ok
    request = desk.request()
    form = {"appointment_kind": "telephone", "book_id": str(book.id), "window_days": "10", "expires_in_days": "5"}
    assert sign_off.sign_off(desk.db, desk.clinician, request.id, "invite_to_book", form).ok
    (invite,) = desk.db.exec(select(AppointmentInvite)).all()
    assert (invite.request_id, invite.patient_id, invite.book_id, invite.kind) == (
        request.id,
        request.patient_id,
        book.id,
        "telephone",
    )
    assert (invite.window_end - invite.window_start).days == 9  # ten days, today included
    detail = outcomes.load_detail(desk.db.get(Request, request.id))
    assert detail == {
        "appointment_kind": "telephone",
        "invite_id": str(invite.id),
        "with_whom": "Dr Lee",
        "invited_at": "2025-06-18T09:00:00+00:00",
    }


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        ({"appointment_kind": "telephone"}, {"book_id": "Choose a clinician or team"}),
        ({"appointment_kind": "telephone", "book_id": "999999"}, {"book_id": "Choose a clinician or team at your practice"}),
        ({"appointment_kind": "telephone", "book_id": "BOOK", "expires_in_days": "0"}, {"expires_in_days": "The invitation must last between 1 and 60 days"}),
    ],
)  # fmt: skip
def test_a_bad_invitation_leaves_the_request_as_it_was(desk: Desk, form: dict, errors: dict) -> None:
    book = rota.create_book(desk.db, desk.admin, name="Nurse team", team="nurses")
    form = {k: (str(book.id) if v == "BOOK" else v) for k, v in form.items()}
    request = desk.request()
    before = (request.status, request.outcome, request.outcome_detail, request.resolved_at)
    result = sign_off.sign_off(desk.db, desk.clinician, request.id, "invite_to_book", form)
    assert result.errors == errors
    desk.db.refresh(request)
    assert (request.status, request.outcome, request.outcome_detail, request.resolved_at) == before
    assert desk.db.exec(select(AppointmentInvite)).all() == []
    assert desk.db.exec(select(RecordExport)).all() == [] and outbox(desk.db) == []


@pytest.mark.parametrize(
    ("outcome", "detail", "errors"),
    [
        ("", {}, {"outcome": "Choose an outcome."}),
        ("resolved", {}, {"outcome": "Choose an outcome."}),
        (["signpost"], {}, {"outcome": "Choose an outcome."}),
        ("signpost", {"service": "astrologer"}, {"service": "Choose the service to signpost to."}),
        ("prescription", {}, {"medicine": "Enter the medicine suggested."}),
        ("self_care", {"advice": "x" * 1001}, {"advice": "The advice must be 1,000 characters or fewer. You have 1 character too many."}),
        ("closed", "not a dict", {"reason": "Enter why the request is closed."}),
    ],
)  # fmt: skip
def test_bad_details_save_nothing(desk: Desk, outcome, detail, errors) -> None:  # noqa: ANN001
    request = desk.request()
    assert sign_off.sign_off(desk.db, desk.clinician, request.id, outcome, detail).errors == errors
    desk.db.refresh(request)
    assert (request.status, request.outcome, request.signed_off_by_staff_id) == ("submitted", "", None)
    assert count(desk.db, RecordExport) == 0 and count(desk.db, OutboxMessage) == 0


def test_signing_off_twice_tells_who_did_it(desk: Desk) -> None:
    request = desk.request()
    assert sign_off.sign_off(desk.db, desk.clinician, request.id, "no_action", {}).ok
    again = sign_off.sign_off(desk.db, desk.admin, request.id, "self_care", {"advice": "Rest"})
    assert again.errors == {
        "form": "This request was signed off by Dr Clare Clinician at 10:00am on Wednesday 18 June 2025."
    }
    assert desk.db.get(Request, request.id).outcome == "no_action" and count(desk.db, RecordExport) == 1


def test_two_staff_signing_off_at_once_one_wins(engine: Engine, monkeypatch: pytest.MonkeyPatch, now) -> None:  # noqa: ANN001
    with Session(engine, expire_on_commit=False) as db:
        desk = build_desk(db)
        second = make_staff(db, desk.practice, CLINICIAN, name="Dr Second")
        request_id = desk.request().id
        first = desk.clinician
        db.commit()

    both_read = threading.Barrier(2)
    check = outcomes.check_detail

    def check_when_both_have_read(*args, **kwargs):
        try:
            both_read.wait(timeout=1)  # with FOR UPDATE (PostgreSQL) the other waits at the read instead
        except threading.BrokenBarrierError:
            pass
        return check(*args, **kwargs)

    monkeypatch.setattr(outcomes, "check_detail", check_when_both_have_read)
    start = threading.Barrier(2)

    def attempt(staff, outcome: str, detail: dict):  # noqa: ANN001, ANN202
        def act(session: Session) -> sign_off.SignOffResult:
            start.wait(timeout=10)
            return sign_off.sign_off(session, staff, request_id, outcome, detail)

        return act

    results, failures = at_once(
        engine,
        {
            "first": attempt(first, "no_action", {}),
            "second": attempt(second, "self_care", {"advice": "Rest and fluids"}),
        },
    )
    assert not failures, failures
    winners = [name for name, result in results.items() if result.ok]
    assert len(winners) == 1, results
    loser = "second" if winners == ["first"] else "first"
    winner_name = {"first": "Dr Clare Clinician", "second": "Dr Second"}[winners[0]]
    assert results[loser].errors["form"].startswith(f"This request was signed off by {winner_name} at ")
    with Session(engine) as db:
        request = db.get(Request, request_id)
        assert request.outcome == {"first": "no_action", "second": "self_care"}[winners[0]]
        assert db.exec(select(RecordExport)).all()[0].request_id == request_id
        assert len(db.exec(select(RecordExport)).all()) == 1
        assert len(db.exec(select(AuditEvent).where(AuditEvent.action == "request_signed_off")).all()) == 1
        assert len(db.exec(select(OutboxMessage)).all()) == 2  # one notice per holder, once


def test_a_signed_off_request_no_longer_counts_as_open(world, clock) -> None:  # noqa: ANN001
    from tests.request_world import send

    sent = send(world, "back-pain")
    check = rules.availability(world.db, practice_id=world.practice.id, kind="medical", patient_id=world.zoe.id)
    assert not check.open and check.reason == "patient_limit"
    clinician = make_staff(world.db, world.practice, CLINICIAN)
    assert sign_off.sign_off(world.db, clinician, sent.id, "no_action", {}).ok
    again = rules.availability(world.db, practice_id=world.practice.id, kind="medical", patient_id=world.zoe.id)
    assert again.open, again


def test_a_message_sent_while_someone_signs_off_never_reopens_the_request(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, now
) -> None:  # noqa: ANN001
    from anima_pwa.models import RequestMessage
    from anima_pwa.services.inbox import staff_actions
    from anima_pwa.services.platform import text_limits

    with Session(engine, expire_on_commit=False) as db:
        desk = build_desk(db)
        second = make_staff(db, desk.practice, CLINICIAN, name="Dr Second")
        request_id = desk.request().id
        db.commit()
    both_read = threading.Barrier(2)
    check, text_check = outcomes.check_detail, text_limits.check

    def wait_then(function, *, then_sleep: float = 0.0):  # noqa: ANN001, ANN202
        def waiting(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            try:
                both_read.wait(timeout=1)
            except threading.BrokenBarrierError:
                pass  # PostgreSQL: the other waits at its SELECT ... FOR UPDATE
            time.sleep(then_sleep)
            return function(*args, **kwargs)

        return waiting

    monkeypatch.setattr(outcomes, "check_detail", wait_then(check))
    # The message has read the request open, and writes just after the sign-off.
    monkeypatch.setattr(staff_actions.text_limits, "check", wait_then(text_check, then_sleep=0.3))
    results, failures = at_once(
        engine,
        {
            "sign_off": lambda s: sign_off.sign_off(s, desk.clinician, request_id, "no_action", {}),
            "message": lambda s: staff_actions.send_message(s, second, request_id, "Any better?", needs_reply=True),
        },
    )
    assert not failures, failures
    assert results["sign_off"].ok, results
    with Session(engine) as db:
        request = db.get(Request, request_id)
        assert (request.status, request.outcome, request.awaiting_reply_since) == ("resolved", "no_action", None)
        messages = db.exec(select(RequestMessage)).all()
        if results["message"].ok:  # it went first, and the sign-off came after it
            assert len(messages) == 1
        else:
            assert messages == [] and results["message"].errors == {"form": staff_actions.ALREADY_ENDED}
    assert text_limits.check is not None  # the module's own check is restored by monkeypatch
