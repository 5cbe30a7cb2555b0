"""The audit trail: events are recorded without secrets and read back newest first."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlmodel import select

from anima_pwa.models import Account, AuditEvent, Patient, Practice
from anima_pwa.services.platform import audit


def test_record_writes_event(db_session):
    event = audit.record(
        db_session,
        action="patient.viewed",
        actor_account_id=None,
        actor_kind="staff",
        ip="203.0.113.9",
        detail={"fields": ["address", "phone"], "ods": "A81001", "postcode_changed": True},
    )
    assert event.id is not None
    assert event.at.tzinfo is not None
    assert json.loads(event.detail) == {
        "fields": ["address", "phone"],
        "ods": "A81001",
        "postcode_changed": True,
    }
    assert audit.event_detail(event)["ods"] == "A81001"
    db_session.commit()
    stored = db_session.exec(select(AuditEvent)).one()
    assert (stored.action, stored.actor_kind, stored.ip) == ("patient.viewed", "staff", "203.0.113.9")


def test_record_without_detail(db_session):
    event = audit.record(db_session, action="signin.failed", actor_account_id=None, actor_kind="anonymous")
    assert event.detail == "{}"
    assert audit.event_detail(event) == {}


@pytest.mark.parametrize(
    "detail",
    [
        {"password": "x"},
        {"new_password": "x"},
        {"passwordHash": "x"},
        {"password_hash": "x"},
        {"token": "x"},
        {"reset_token": "x"},
        {"accessToken": "x"},
        {"code": "123456"},
        {"reset_code": "123456"},
        {"resetCode": "123456"},
        {"mfa_secret": "x"},
        {"Secret": "x"},
        {"hash": "x"},
        {"totp": "x"},
        {"outer": {"token": "x"}},
        {"items": [{"code": "1"}]},
    ],
)
def test_record_refuses_secret_looking_keys(db_session, detail):
    with pytest.raises(ValueError, match="secret"):
        audit.record(db_session, action="x", actor_account_id=None, actor_kind="system", detail=detail)
    assert db_session.exec(select(AuditEvent)).all() == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"action": "", "actor_kind": "system"},
        {"action": "a" * 61, "actor_kind": "system"},
        {"action": "x", "actor_kind": "robot"},
        {"action": "x", "actor_kind": "system", "detail": {"when": object()}},
        {"action": "x", "actor_kind": "system", "detail": {1: "x"}},
    ],
)
def test_record_rejects_bad_input(db_session, kwargs):
    with pytest.raises(ValueError):
        audit.record(db_session, actor_account_id=None, **kwargs)
    assert db_session.exec(select(AuditEvent)).all() == []


def test_looks_secret_allows_ordinary_keys():
    for key in ("postcode", "ods", "fields", "outcome", "team", "hours", "nhs_number_changed"):
        assert not audit.looks_secret(key), key


def test_long_ip_is_truncated(db_session):
    event = audit.record(db_session, action="x", actor_account_id=None, actor_kind="system", ip="f" * 100)
    assert len(event.ip) == 64


def test_trail_filters_and_orders_newest_first(db_session):
    practice = Practice(ods_code="A81001", name="Riverside Surgery")
    db_session.add(practice)
    db_session.flush()
    staff = Account(email="gp@example.com", email_normalized="gp@example.com", kind="staff")
    jo = Account(email="Jo@example.com", email_normalized="jo@example.com")
    patient = Patient(
        full_name="Jo Bloggs", date_of_birth=date(1990, 1, 2), postcode="LS1 1AA", practice_id=practice.id
    )
    db_session.add_all([staff, jo, patient])
    db_session.flush()

    def add(action: str, **ids) -> AuditEvent:
        return audit.record(db_session, action=action, actor_account_id=staff.id, actor_kind="staff", **ids)

    events = [
        add("patient.viewed", patient_id=patient.id, practice_id=practice.id),
        add("account.disabled", account_id=jo.id),
        add("patient.edited", patient_id=patient.id, account_id=jo.id),
        add("practice.settings_changed", practice_id=practice.id),
    ]
    base = events[0].at
    for offset, event in enumerate(events):  # distinct, increasing times
        event.at = base + timedelta(seconds=offset)
        db_session.add(event)
    db_session.commit()

    actions = lambda rows: [row.action for row in rows]  # noqa: E731
    assert actions(audit.trail(db_session, patient_id=patient.id)) == ["patient.edited", "patient.viewed"]
    assert actions(audit.trail(db_session, account_id=jo.id)) == ["patient.edited", "account.disabled"]
    assert actions(audit.trail(db_session, patient_id=patient.id, account_id=jo.id)) == ["patient.edited"]
    assert actions(audit.trail(db_session, limit=2)) == ["practice.settings_changed", "patient.edited"]
    assert len(audit.trail(db_session)) == 4
    assert audit.trail(db_session, patient_id=patient.id + 1000) == []
