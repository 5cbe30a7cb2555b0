"""Questions asked about the person the request is for (issue 9): the wording each subject gets
(the account holder, a child under 16 by the UK date, another adult they hold, a care-home
resident, a patient on the practice's phone request), the pages that show it (emergency screen,
questions, options, check page), and what staff see afterwards: who filled the request in, for
whom, in which wording, with a FHIR QuestionnaireResponse that fhir.resources accepts."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from anima_pwa.models import Patient, Request
from anima_pwa.services import questionnaires
from anima_pwa.services.inbox import request_view
from anima_pwa.services.requests import drafts, phone, screening, subject, submission
from anima_pwa.services.requests import questions as question_steps
from tests.factories import identity_of, link, make_account, make_patient, make_staff, self_account
from tests.request_world import World, pass_screen, send, start, to_check

pytestmark = pytest.mark.usefixtures("clock")  # the request tests' ticking clock (tests/request_world.py)

YOU = re.compile(r"\b(you|your|yours|yourself)\b", re.IGNORECASE)


def _london_today() -> date:
    return datetime.now(ZoneInfo("Europe/London")).date()


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _patient(w: World, name: str, dob: date, **fields) -> Patient:
    return make_patient(w.db, w.practice, name, dob=dob, **fields)


def _subject(w: World, who: str) -> tuple[Patient, object]:
    """A patient and the identity asking for them, for each kind of subject."""
    today = _london_today()
    if who == "self":
        return w.zoe, w.me
    if who == "child":
        return w.leo, w.me
    if who == "sixteen-today":  # turns 16 today (UK date): no longer a child
        teen = _patient(w, "Ava Smith", _years_before(today, 16))
        link(w.db, self_account(w.db, w.zoe), teen, "dependant", approval="approved")
        return teen, w.me
    if who == "sixteen-tomorrow":  # still 15 today
        teen = _patient(w, "Ava Smith", _years_before(today, 16) + timedelta(days=1))
        link(w.db, self_account(w.db, w.zoe), teen, "dependant")
        return teen, w.me
    if who == "elderly-parent":
        mum = _patient(w, "Margaret Smith", date(1941, 7, 2))
        link(w.db, self_account(w.db, w.zoe), mum, "dependant", approval="approved")
        return mum, w.me
    if who == "care-home-resident":
        home = _patient(w, "Sunrise Care Home", date(2000, 1, 1), is_care_home=True)
        account = make_account(w.db, "sunrise@example.org")
        link(w.db, account, home, "self")
        edna = _patient(w, "Edna Fairweather", date(1936, 4, 3), care_home_resident=True)
        link(w.db, account, edna, "care_home")
        return edna, identity_of(account)
    raise AssertionError(who)


@pytest.mark.parametrize(
    ("who", "code", "name"),
    [
        ("self", "self", "Zoe"),
        ("child", "child", "Leo"),
        ("sixteen-today", "other-adult", "Ava"),
        ("sixteen-tomorrow", "child", "Ava"),
        ("elderly-parent", "other-adult", "Margaret"),
        ("care-home-resident", "other-adult", "Edna"),
    ],
)
def test_the_wording_follows_who_the_request_is_for(world: World, who, code, name) -> None:
    patient, identity = _subject(world, who)
    topic = "child-fever" if code == "child" else "cough-and-cold"
    draft = start(world, topic, patient=patient, identity=identity)
    wording = subject.wording_for(world.db, draft)
    assert wording.code == code
    if code != "self":
        assert wording.name == name
    flags = screening.red_flags(world.db, draft)
    assert any(f.link_id.startswith("rf-child-") for f in flags) is (code == "child")
    for flag in flags:
        if code == "self":
            assert flag.text == next(f for f in questionnaires.get(topic).red_flags if f.link_id == flag.link_id).text
        else:
            assert name in flag.text and not YOU.search(flag.text), flag.text


def test_a_preferred_name_is_the_name_the_questions_use(world: World) -> None:
    mum = _patient(world, "Margaret Ann Smith", date(1941, 7, 2), preferred_name="Peggy")
    link(world.db, self_account(world.db, world.zoe), mum, "dependant", approval="approved")
    assert subject.wording_for(world.db, start(world, "headache", patient=mum)) == questionnaires.Wording(
        "other-adult", "Peggy"
    )


@pytest.mark.parametrize(("who", "code"), [("child", "child"), ("elderly-parent", "other-adult")])
def test_every_page_of_a_request_for_someone_else_names_them(world: World, who, code) -> None:
    patient, identity = _subject(world, who)
    name = questionnaires.first_name(patient.full_name)
    draft = start(world, "cough-and-cold", patient=patient, identity=identity)
    topic = questionnaires.get("cough-and-cold")
    wording = subject.wording_for(world.db, draft)
    asked = []
    pass_screen(world, draft, identity=identity)
    while (step := question_steps.current_step(world.db, draft)).kind == "question":
        item = topic.item(step.link_id)
        asked.append(item.text_for(wording))
        value = item.options[0].code if item.type == "choice" else False
        assert question_steps.answer(world.db, identity, draft, step.link_id, value) == question_steps.AnswerOutcome()
    assert len(asked) == 10
    for text in asked:
        assert name in text and not YOU.search(text), text
    question_steps.save_anything_else(world.db, draft, "")
    question_steps.save_preferences(world.db, draft, appointment="phone", contact="text")
    rows = question_steps.check_rows(world.db, draft)
    questions = [r.question for r in rows if r.topic_question]
    assert questions == asked
    assert f"How you'd prefer {name} to be seen" in [r.question for r in rows]
    assert questionnaires.shared_intro(wording).startswith(f"These questions are about {name}.")


def test_the_holder_sees_their_own_wording_and_no_intro(world: World) -> None:
    draft = to_check(world, start(world, "cough-and-cold"))
    wording = subject.wording_for(world.db, draft)
    assert wording.code == "self" and questionnaires.shared_intro(wording) == ""
    rows = [r.question for r in question_steps.check_rows(world.db, draft) if r.topic_question]
    assert rows[0] == "How long have you had these symptoms?"


@pytest.mark.parametrize(
    ("who", "code", "filled_in_by"),
    [
        ("self", "self", "Zoe Smith (the patient)"),
        ("child", "child", "Zoe Smith (account holder, who holds Leo Smith as a dependant)"),
        ("elderly-parent", "other-adult", "Zoe Smith (account holder, who holds Margaret Smith as a dependant)"),
        ("care-home-resident", "other-adult", "Sunrise Care Home (care home, for its resident Edna Fairweather)"),
    ],
)
def test_staff_see_who_filled_it_in_for_whom_and_the_wording(world: World, who, code, filled_in_by) -> None:
    patient, identity = _subject(world, who)
    sent = send(world, "cough-and-cold", patient=patient, identity=identity)
    assert (sent.subject_wording, sent.filled_in_by) == (code, filled_in_by)
    staff = make_staff(world.db, world.practice, "receptionist")
    detail = request_view.request_view(world.db, staff, sent.id)
    assert detail.filled_in_by == filled_in_by and detail.patient_name == patient.full_name
    first = questionnaires.first_name(patient.full_name)
    assert detail.worded_for == request_view.WORDING_LABELS[code].replace("{name}", first)
    # The summary staff read asks the questions as the person saw them.
    duration = next(line.text for line in detail.summary if line.text.startswith("How long"))
    assert duration.startswith("How long have you had" if code == "self" else f"How long has {first} had")

    response = json.loads(sent.questionnaire_response)
    QuestionnaireResponse.model_validate(response)
    assert response["extension"] == [{"url": questionnaires.WORDING_SHOWN_URL, "valueCode": code}]
    assert response["subject"] == {"reference": f"Patient/{patient.id}", "display": patient.full_name}
    assert response["author"] == {"display": filled_in_by.split(" (")[0]}
    # The wording never changes what an answer means: the same linkIds and values as the answers.
    answers = questionnaires.clean_answers(questionnaires.get("cough-and-cold"), drafts.answers_of(sent))
    stored = {}
    for item in response["item"]:
        ((key, value),) = item["answer"][0].items()
        stored[item["linkId"]] = value["code"] if key == "valueCoding" else value
    assert stored == answers


@pytest.mark.parametrize(
    ("dob", "code", "name"), [(date(2019, 5, 9), "child", "Mia"), (date(1950, 5, 9), "other-adult", "Mia")]
)
def test_a_phone_request_names_the_patient_for_the_receptionist_to_read_out(world: World, dob, code, name) -> None:
    patient = _patient(world, "Mia Patel", dob)
    staff = make_staff(world.db, world.practice, "receptionist", name="Sam Desk")
    topic = "child-fever" if code == "child" else "sore-throat"
    started = phone.staff_start_draft(world.db, staff, patient_id=patient.id, kind="medical", topic_id=topic)
    assert started.ok, started.error
    draft = drafts.staff_draft_for(world.db, staff)
    wording = subject.wording_for(world.db, draft)
    assert wording == questionnaires.Wording(code, name)
    flags = screening.red_flags(world.db, draft)
    assert flags and all(name in f.text and not YOU.search(f.text) for f in flags)
    assert submission.filled_in_by(world.db, draft) == "Sam Desk (practice staff, by phone)"


def test_a_draft_for_a_patient_who_has_gone_is_worded_for_the_holder(world: World) -> None:
    draft = Request(patient_id=999_999, practice_id=world.practice.id, kind="medical", topic="headache")
    assert subject.wording_for(world.db, draft) == questionnaires.Wording()
