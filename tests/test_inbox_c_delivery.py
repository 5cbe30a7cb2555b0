"""Helper C, issue 11: what staff see on a request when a notice about it could not be delivered
(services/inbox/delivery.py, HAZ-062)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from anima_pwa import settings as settings_module
from anima_pwa.models import OutboxMessage, Request
from anima_pwa.services.inbox import delivery
from anima_pwa.services.platform import notifications as n
from anima_pwa.settings import NotifySettings
from tests.factories import make_patient, make_practice, valid_nhs_number
from tests.inbox_c_helpers import API_KEY
from tests.web import factory_for

LINK = "https://anima.example/login"
NOW = datetime(2026, 11, 30, 14, 5, tzinfo=UTC)  # 14:05 in London (GMT)


def delivery_problems(db: Session, request_id: int) -> list[delivery.DeliveryProblem]:
    db.expire_all()  # the workers wrote in their own sessions
    return delivery.delivery_problems(db, request_id)


class Failing:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def send(self, message: OutboxMessage, *, sender: str) -> None:
        raise self.error


class Sending:
    def send(self, message: OutboxMessage, *, sender: str) -> None:
        pass


@pytest.fixture
def with_sms(monkeypatch):
    notify = NotifySettings(api_key=API_KEY, email_templates={"*": "x"}, sms_templates={"*": "y"})
    monkeypatch.setattr(settings_module, "settings", dataclasses.replace(settings_module.settings, notify=notify))


@pytest.fixture
def without_sms(monkeypatch):
    monkeypatch.setattr(settings_module, "settings", dataclasses.replace(settings_module.settings, notify=None))


def a_request(db: Session) -> Request:
    practice = make_practice(db, "A81001")
    patient = make_patient(db, practice, "Zoe Smith", nhs_number=valid_nhs_number("943476591"))
    request = Request(patient_id=patient.id, practice_id=practice.id, kind="admin", topic="fit-note", status="resolved")
    db.add(request)
    db.flush()
    return request


def notice(db: Session, request: Request, channel: str, to: str) -> int:
    enqueue = n.enqueue_sms if channel == "sms" else n.enqueue_email
    message = enqueue(db, to=to, template="practice_message", about_request_id=request.id, login_link=LINK)
    message.created_at = message.next_attempt_at = NOW - timedelta(minutes=1)
    db.commit()
    return message.id  # type: ignore[return-value]


def test_a_number_not_accepted(engine, db_session, with_sms):
    request = a_request(db_session)
    notice(db_session, request, "sms", "+447700900982")
    error = n.PermanentFailure("GOV.UK Notify 400: ValidationError: phone_number Not a valid UK mobile number")
    n.deliver_due(factory_for(engine), {"sms": Failing(error)}, sender="x", now=NOW)
    [problem] = delivery_problems(db_session, request.id)
    assert problem.text == "We could not send the notice by text message to 07700 900982: the number was not accepted"
    assert (problem.channel, problem.status, problem.when, problem.to) == (
        "sms",
        "failed",
        "30 Nov 2026, 14:05",
        "07700 900982",
    )


def test_an_address_not_accepted_and_every_try_failing(engine, db_session, with_sms):
    request = a_request(db_session)
    notice(db_session, request, "email", "zoe@example.com")
    error = n.PermanentFailure("GOV.UK Notify 400: ValidationError: email_address Not a valid email address")
    n.deliver_due(factory_for(engine), {"email": Failing(error)}, sender="x", now=NOW)
    [problem] = delivery_problems(db_session, request.id)
    assert problem.text == "We could not send the notice by email to zoe@example.com: the address was not accepted"

    other = a_request_again(db_session, request)
    notice(db_session, other, "email", "sam@example.com")
    now = NOW
    for _ in range(n.MAX_ATTEMPTS):
        n.deliver_due(factory_for(engine), {"email": Failing(ValueError("refused"))}, sender="x", now=now)
        now += timedelta(hours=2)
    [problem] = delivery_problems(db_session, other.id)
    assert problem.text == f"We could not send the notice by email to sam@example.com: it failed {n.MAX_ATTEMPTS} times"


def a_request_again(db: Session, like: Request) -> Request:
    request = Request(
        patient_id=like.patient_id, practice_id=like.practice_id, kind="admin", topic="fit-note", status="resolved"
    )
    db.add(request)
    db.flush()
    return request


def test_waiting_for_a_retry(engine, db_session, with_sms):
    request = a_request(db_session)
    notice(db_session, request, "email", "zoe@example.com")
    n.deliver_due(factory_for(engine), {"email": Failing(ConnectionRefusedError("down"))}, sender="x", now=NOW)
    [problem] = delivery_problems(db_session, request.id)
    assert problem.status == "retrying"
    assert (
        problem.text
        == "The notice by email to zoe@example.com has not been sent yet: we will try again at 30 Nov 2026, 14:05"
    )


def test_no_text_message_service(engine, db_session, without_sms):
    request = a_request(db_session)
    notice(db_session, request, "sms", "+447700900982")
    [problem] = delivery_problems(db_session, request.id)
    assert problem.status == "no_provider"
    assert (
        problem.text
        == "The notice by text message to 07700 900982 has not been sent: no text message service is set up"
    )


def test_sent_or_not_yet_tried_is_no_problem_and_other_requests_are_not_shown(engine, db_session, with_sms):
    request, other = a_request(db_session), None
    notice(db_session, request, "email", "zoe@example.com")
    notice(db_session, request, "sms", "+447700900982")
    assert delivery_problems(db_session, request.id) == []
    n.deliver_due(factory_for(engine), {"email": Sending(), "sms": Sending()}, sender="x", now=NOW)
    assert delivery_problems(db_session, request.id) == []
    other = a_request_again(db_session, request)
    notice(db_session, other, "sms", "+447700900982")
    n.deliver_due(factory_for(engine), {"sms": Failing(n.PermanentFailure("phone_number bad"))}, sender="x", now=NOW)
    assert delivery_problems(db_session, request.id) == [] and len(delivery_problems(db_session, other.id)) == 1
