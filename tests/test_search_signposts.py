"""Emergency advice shown by the topic search is recorded like the emergency screen's: a row staff
can follow up and an audit event, for the person the request is for, with the rules that fired and
never the words typed; only for someone the account (or member of staff) may act for."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import select

from anima_pwa.models import EmergencySignpost
from anima_pwa.services.platform import audit
from anima_pwa.services.practice.permissions import PermissionDenied
from anima_pwa.services.questionnaires import emergencies
from anima_pwa.services.requests import search_signposts
from tests.factories import (
    audit_events,
    count,
    identity_of,
    link,
    make_patient,
    make_practice,
    make_staff,
    self_account,
)


@pytest.fixture
def people(db_session):
    practice = make_practice(db_session, "C81001")
    elsewhere = make_practice(db_session, "C81002")
    zoe = make_patient(db_session, practice, "Zoe Smith", email="zoe@example.com")
    leo = make_patient(db_session, practice, "Leo Smith", dob=date(2020, 5, 9))
    sam = make_patient(db_session, practice, "Sam Jones", email="sam@example.com")
    far = make_patient(db_session, elsewhere, "Far Away", email="far@example.com")
    account = self_account(db_session, zoe)
    link(db_session, account, leo, "dependant")
    return {
        "db": db_session,
        "practice": practice,
        "zoe": zoe,
        "leo": leo,
        "sam": sam,
        "far": far,
        "me": identity_of(account),
    }


def test_advice_for_a_dependant_is_recorded_without_the_words_typed(people):
    db, me, leo = people["db"], people["me"], people["leo"]
    advice = emergencies.emergency_advice("my son swallowed some of my tablets")
    assert search_signposts.record(db, me, patient_id=leo.id, advice=advice) is True
    row = db.exec(select(EmergencySignpost)).one()
    assert (row.topic, row.advice, json.loads(row.flags)) == ("search", "999", ["overdose"])
    assert (row.patient_id, row.practice_id, row.account_id) == (leo.id, people["practice"].id, me.account_id)
    [event] = audit_events(db, "emergency_signposted")
    assert audit.event_detail(event) == {
        "topic": "search",
        "advice": "999",
        "advices": ["999"],
        "source": "search",
        "reasons": ["overdose"],
    }
    assert (row.source, json.loads(row.advices), row.filled_in_by) == (
        "search",
        ["999"],
        "Zoe Smith (account holder, who holds Leo Smith as a dependant)",
    )
    assert "tablets" not in row.flags + event.detail


def test_the_crisis_advice_is_recorded_as_crisis(people):
    advice = emergencies.emergency_advice("i want to end it all")
    assert search_signposts.record(people["db"], people["me"], patient_id=str(people["zoe"].id), advice=advice)
    assert people["db"].exec(select(EmergencySignpost.advice)).one() == "crisis"


@pytest.mark.parametrize("who", ["sam", "far", "nobody", "junk"])
def test_nothing_is_recorded_for_someone_not_yours(people, who):
    patient_id = {"nobody": 99_999, "junk": "1 OR 1=1"}.get(who) or people[who].id
    advice = emergencies.emergency_advice("chest pain")
    assert search_signposts.record(people["db"], people["me"], patient_id=patient_id, advice=advice) is False
    assert count(people["db"], EmergencySignpost) == 0


def test_staff_taking_a_phone_request_record_it_for_their_own_practice_only(people):
    db = people["db"]
    receptionist = make_staff(db, people["practice"], "receptionist")
    advice = emergencies.emergency_advice("baby wont wake up")
    search_signposts.record_for_staff(db, receptionist, patient_id=people["leo"].id, advice=advice)
    row = db.exec(select(EmergencySignpost)).one()
    assert (row.account_id, row.advice, row.topic) == (None, "999", "search")
    assert audit_events(db, "emergency_signposted")[0].actor_kind == "staff"
    with pytest.raises(PermissionDenied):
        search_signposts.record_for_staff(db, receptionist, patient_id=people["far"].id, advice=advice)
    with pytest.raises(PermissionDenied):
        search_signposts.record_for_staff(db, None, patient_id=people["leo"].id, advice=advice)
    assert count(db, EmergencySignpost) == 1
