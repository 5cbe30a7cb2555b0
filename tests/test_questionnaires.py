"""Request topics as FHIR Questionnaires: every file is sound, search finds the right topic,
the wizard walks branches both ways, answers are checked, red flags stop a request, PHQ-9 and
GAD-7 are scored, triage suggests urgency and team, and answers become a QuestionnaireResponse.
No database, no browser."""

from __future__ import annotations

import copy
import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anima_pwa.services import questionnaires as q
from anima_pwa.services.questionnaires.answers import answer_valid
from anima_pwa.services.questionnaires.wording_checks import check_wording

DIRECTORY = q.QUESTIONNAIRE_DIR
TOPIC_FILES = sorted(
    p for p in DIRECTORY.glob("*.json") if not p.name.startswith("_") and not p.name.endswith(q.RULES_SUFFIX)
)
SHARED = json.loads((DIRECTORY / "_red_flags.json").read_text(encoding="utf-8"))


def topic(topic_id: str) -> q.Topic:
    found = q.get(topic_id)
    assert found is not None, topic_id
    return found


def raw(topic_id: str) -> dict:
    """The topic's FHIR Questionnaire file."""
    return json.loads((DIRECTORY / f"{topic_id}.json").read_text(encoding="utf-8"))


def rules(topic_id: str) -> dict:
    """The topic's rules file beside it (kind, keywords, red flags, triage, scoring)."""
    return json.loads((DIRECTORY / f"{topic_id}{q.RULES_SUFFIX}").read_text(encoding="utf-8"))


def item(topic_id: str, link_id: str) -> q.Item:
    found = topic(topic_id).item(link_id)
    assert found is not None, link_id
    return found


def walk(t: q.Topic, answers: dict) -> list[str]:
    """The pages a patient goes through, forwards, with these answers."""
    seen = []
    current = q.next_item(t, answers, None)
    while current is not None:
        seen.append(current.link_id)
        current = q.next_item(t, answers, current.link_id)
    return seen


def walk_back(t: q.Topic, answers: dict) -> list[str]:
    seen = []
    current = q.previous_item(t, answers, None)
    while current is not None:
        seen.append(current.link_id)
        current = q.previous_item(t, answers, current.link_id)
    return seen


def all_answered(t: q.Topic, *, yes: bool, option: int) -> dict:
    """An answer for every question: every boolean yes (or no), every choice its option-th."""
    answers: dict = {}
    for question in t.questions:
        if question.type == "boolean":
            answers[question.link_id] = yes
        elif question.type == "choice":
            answers[question.link_id] = question.options[min(option, len(question.options) - 1)].code
        elif question.type == "integer":
            answers[question.link_id] = question.max if yes and question.max is not None else (question.min or 0)
        elif question.type == "date":
            answers[question.link_id] = "2024-03-27"
        elif question.type in ("string", "text"):
            answers[question.link_id] = "Some words"
    return answers


# ---------------------------------------------------------------------------------------------
# The files
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", TOPIC_FILES, ids=lambda p: p.stem)
def test_every_topic_file_loads_and_validates(path):
    data = json.loads(path.read_text(encoding="utf-8"))
    t = q.topic_from_dict(data, shared=SHARED, path=str(path))
    assert t.id == path.stem
    assert q.validate(t) == []


def test_the_topics_together_validate_and_load():
    topics = q.load_all()
    assert q.validate_all(topics) == []
    assert set(topics) == {p.stem for p in TOPIC_FILES}
    assert q.load_directory(DIRECTORY).keys() == topics.keys()


def test_at_least_12_medical_and_6_admin_topics():
    assert len(q.all_topics("medical")) >= 12
    assert len(q.all_topics("admin")) >= 6
    assert q.free_text_topic("medical").kind == "medical"
    assert q.free_text_topic("admin").kind == "admin"


@pytest.mark.parametrize("path", TOPIC_FILES, ids=lambda p: p.stem)
def test_each_topic_is_a_fhir_r4_questionnaire(path):
    t = topic(path.stem)
    plain = q.fhir_questionnaire(t)
    assert plain["resourceType"] == "Questionnaire"
    assert plain["status"] == "active" and plain["subjectType"] == ["Patient"]
    assert plain["url"].endswith(f"/Questionnaire/{t.id}")
    assert '"anima"' not in json.dumps(plain)  # no Anima-only block: the rules live beside it
    assert plain == t.resource and plain is not t.resource
    for node in t.nodes:
        for condition in node.enable_when:
            assert condition.answer_key in (
                "answerBoolean",
                "answerCoding",
                "answerInteger",
                "answerDate",
                "answerString",
            )


@pytest.mark.parametrize("path", TOPIC_FILES, ids=lambda p: p.stem)
def test_each_topic_asks_4_to_10_questions_besides_scored_instruments(path):
    t = topic(path.stem)
    scored = {i for spec in t.scoring for i in spec.items}
    count = sum(1 for i in t.questions if i.answerable and i.link_id not in scored)
    assert 4 <= count <= 10


def test_admin_topics_have_no_shared_emergency_questions():
    for t in q.all_topics("admin"):
        assert all(f.source == t.id for f in t.red_flags), t.id
    assert [f.advice for f in topic("prescription-question").red_flags] == ["111"]


def test_repeat_prescriptions_are_signposted_to_the_nhs_app_first():
    t = topic("prescription-question")
    first = q.next_item(t, {}, None)
    assert first.type == "display"
    assert "NHS App" in first.text and "repeat" in first.text


def test_no_topic_speaks_of_a_diagnosis_to_the_patient():
    for t in q.load_all().values():
        for node in t.nodes:
            assert "diagnos" not in node.text.lower(), (t.id, node.link_id)


# ---------------------------------------------------------------------------------------------
# Search and the full list
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cough", "cough-and-cold"),
        ("cought", "cough-and-cold"),  # typo
        ("COUGHING", "cough-and-cold"),
        ("chesty cough and runny nose", "cough-and-cold"),
        ("water infection", "urinary-symptoms"),  # synonym
        ("UTI", "urinary-symptoms"),
        ("it burns when i pee", "urinary-symptoms"),
        ("sick note", "fit-note"),
        ("I need a sick note for work", "fit-note"),
        ("fit note", "fit-note"),
        ("repeat prescription", "prescription-question"),
        ("perscription", "prescription-question"),
        ("rash", "skin-problem"),
        ("rashes", "skin-problem"),
        ("eczema", "skin-problem"),
        ("anxiety", "feeling-low-or-anxious"),
        ("depressed", "feeling-low-or-anxious"),
        ("depresion", "feeling-low-or-anxious"),
        ("panic attack", "feeling-low-or-anxious"),
        ("headahce", "headache"),
        ("migrane", "headache"),
        ("sore throat", "sore-throat"),
        ("sore throught", "sore-throat"),
        ("tonsillitis", "sore-throat"),
        ("backache", "back-pain"),
        ("sciatica", "back-pain"),
        ("stomach ache", "abdominal-pain"),
        ("tummy pain", "abdominal-pain"),
        ("lump in breast", "new-lump"),
        ("contraceptive pill", "contraception"),
        ("coil", "contraception"),
        ("side effects", "medication-question"),
        ("medication", "medication-question"),
        ("my knee hurts", "joint-or-muscle-pain"),
        ("diarrhoea", "diarrhoea-and-vomiting"),
        ("vomitting", "diarrhoea-and-vomiting"),
        ("my toddler has a high temperature", "child-fever"),
        ("blood test results", "test-results"),
        ("insurance form", "letter-or-form"),
        ("DVLA", "letter-or-form"),
        ("referal", "referral-question"),
        ("moved house", "update-details"),
        ("change of address", "update-details"),
    ],
)
def test_search_finds_the_right_topic_first(query, expected):
    matches = q.search(query)
    assert matches, query
    assert matches[0].topic.id == expected, [(m.topic.id, m.score) for m in matches]


@pytest.mark.parametrize("query", ["", "   ", "the", "a my", "xyzzy", "?!", None, 42])
def test_search_finds_nothing_for_nothing(query):
    assert q.search(query) == []


def test_search_filters_by_kind_audience_and_limit():
    # The other kind is offered where the words point there (a prescription from a medical request).
    assert [m.topic.id for m in q.search("prescription", kind="medical")] == ["prescription-question"]
    assert all(m.topic.kind == "admin" for m in q.search("results", kind="admin"))
    assert "child-fever" not in [m.topic.id for m in q.search("fever", is_child=False)]
    assert q.search("fever", is_child=False)[0].topic.id == "cough-and-cold"  # an adult's fever: flu-like
    assert q.search("fever", is_child=True)[0].topic.id == "child-fever"
    assert q.search("anxiety", is_child=True) == []
    assert len(q.search("pain", limit=2)) == 2
    assert all(not m.topic.free_text for m in q.search("something else"))


def test_the_full_list_is_sorted_by_title_and_leaves_out_free_text():
    medical = q.all_topics("medical")
    assert [t.title.casefold() for t in medical] == sorted(t.title.casefold() for t in medical)
    assert all(t.kind == "medical" and not t.free_text for t in medical)
    assert {t.id for t in q.all_topics()} == {t.id for t in q.load_all().values() if not t.free_text}
    assert "child-fever" not in {t.id for t in q.all_topics("medical", is_child=False)}
    assert "feeling-low-or-anxious" not in {t.id for t in q.all_topics("medical", is_child=True)}


def test_unknown_topics():
    assert q.get("no-such-topic") is None
    assert q.get(None) is None  # type: ignore[arg-type]
    assert q.get("_red_flags") is None


# ---------------------------------------------------------------------------------------------
# Walking a branching topic both ways
# ---------------------------------------------------------------------------------------------


def test_back_pain_branch_appears_and_disappears():
    t = topic("back-pain")
    answers = {"duration": "under-6-weeks", "pain-score": 5}
    assert q.next_item(t, answers, "pain-score").link_id == "leg-pain"
    answers["leg-pain"] = True
    assert q.next_item(t, answers, "leg-pain").link_id == "leg-weakness"
    assert q.progress(t, answers, "leg-weakness") == (4, 10)
    answers["leg-weakness"] = True
    assert q.previous_item(t, answers, "fever-or-weight-loss").link_id == "leg-weakness"

    answers["leg-pain"] = False  # changed their mind: the follow-up goes, its answer is ignored
    assert q.next_item(t, answers, "leg-pain").link_id == "fever-or-weight-loss"
    assert q.previous_item(t, answers, "fever-or-weight-loss").link_id == "leg-pain"
    assert q.progress(t, answers, "fever-or-weight-loss") == (4, 9)
    assert "leg-weakness" not in q.clean_answers(t, answers)
    assert q.triage(t, answers).urgency == "routine"  # the stale "weakness: yes" does not count


def test_contraception_walks_forwards_and_backwards_through_its_branches():
    t = topic("contraception")
    start = {"need": "start", "smoke": False, "migraine-aura": False, "blood-clot": False}
    carry_on = {**start, "need": "continue", "current-method": "combined-pill", "blood-pressure": True}
    assert walk(t, start) == ["need", "smoke", "migraine-aura", "blood-clot"]
    assert walk(t, carry_on) == ["need", "current-method", "blood-pressure", "smoke", "migraine-aura", "blood-clot"]
    assert walk_back(t, carry_on) == list(reversed(walk(t, carry_on)))
    assert walk(t, {**carry_on, "need": "remove"}) == ["need", "current-method", "smoke", "migraine-aura", "blood-clot"]
    assert q.progress(t, carry_on, "smoke") == (4, 6)
    assert q.progress(t, start, "smoke") == (2, 4)
    assert q.progress(t, {}, "need") == (1, 4)  # before answering, only what is enabled counts


def test_the_mental_health_topic_asks_the_instruments_the_answers_call_for():
    t = topic("feeling-low-or-anxious")
    phq = [f"phq9-{n}" for n in range(1, 9)]
    gad = [f"gad7-{n}" for n in range(1, 8)]
    tail = ["phq9-9", "current-support", "alcohol-drugs"]
    assert walk(t, {"main-concern": "low"}) == ["main-concern", "duration", *phq, *tail]
    assert walk(t, {"main-concern": "anxious"}) == ["main-concern", "duration", *gad, *tail]
    assert walk(t, {"main-concern": "both"}) == ["main-concern", "duration", *phq, *gad, *tail]
    assert q.progress(t, {"main-concern": "both"}, "phq9-9") == (18, 20)
    assert q.next_item(t, {}, None).link_id == "main-concern"
    assert q.previous_item(t, {"main-concern": "anxious"}, "gad7-1").link_id == "duration"


def test_a_display_page_is_a_step_of_the_walk():
    t = topic("prescription-question")
    answers = {"about": "not-at-pharmacy"}
    assert walk(t, answers)[:4] == ["repeat-orders", "about", "medicine-name", "ordered-when"]
    assert q.previous_item(t, answers, "about").link_id == "repeat-orders"
    assert q.previous_item(t, answers, "repeat-orders") is None


def _random_answers(data, t: q.Topic) -> dict:
    answers = {}
    for question in t.questions:
        if not question.answerable or not data.draw(st.booleans(), label="answer it"):
            continue
        if question.type == "boolean":
            answers[question.link_id] = data.draw(st.booleans())
        elif question.type == "choice":
            answers[question.link_id] = data.draw(st.sampled_from([o.code for o in question.options]))
        elif question.type == "integer":
            answers[question.link_id] = data.draw(st.integers(question.min or 0, question.max or 20))
        else:
            answers[question.link_id] = "2024-01-01" if question.type == "date" else "words"
    return answers


@settings(max_examples=150, deadline=None)
@given(data=st.data(), topic_id=st.sampled_from(sorted(q.load_all())))
def test_any_answers_walk_the_same_pages_forwards_and_backwards(data, topic_id):
    t = topic(topic_id)
    answers = _random_answers(data, t)
    forwards = walk(t, answers)
    assert walk_back(t, answers) == list(reversed(forwards))
    assert forwards == [i.link_id for i in q.enabled_questions(t, answers)]
    assert [q.progress(t, answers, link_id) for link_id in forwards] == [
        (n, len(forwards)) for n in range(1, len(forwards) + 1)
    ]
    assert forwards[0] == t.questions[0].link_id  # the first page never depends on anything
    result = q.triage(t, answers)
    assert result.urgency in q.URGENCIES and result.team in q.TEAMS


def test_walking_from_an_unknown_question_is_an_error():
    with pytest.raises(KeyError):
        q.next_item(topic("back-pain"), {}, "no-such-question")


def test_answers_a_topic_no_longer_allows_count_as_unanswered():
    t = topic("back-pain")
    answers = {**BACK, "duration": "a-retired-option", "pain-score": "7"}
    assert "duration" not in q.clean_answers(t, answers) and "pain-score" not in q.clean_answers(t, answers)
    assert [i.link_id for i in q.missing_answers(t, answers)] == ["duration", "pain-score"]
    assert q.triage(t, answers).subject == "Back pain"
    assert {i["linkId"] for i in q.questionnaire_response(t, answers)["item"]}.isdisjoint({"duration", "pain-score"})


def test_missing_answers_are_the_enabled_required_ones():
    t = topic("update-details")
    assert [i.link_id for i in q.missing_answers(t, {})] == ["what"]
    assert [i.link_id for i in q.missing_answers(t, {"what": "address"})] == ["new-address", "others-moving"]
    assert q.missing_answers(t, {"what": "phone", "new-phone": "07700 900123"}) == []


# ---------------------------------------------------------------------------------------------
# Checking answers
# ---------------------------------------------------------------------------------------------

TODAY = date(2024, 6, 15)


@pytest.mark.parametrize(
    ("topic_id", "link_id", "given", "value", "error"),
    [
        ("back-pain", "leg-pain", "yes", True, None),
        ("back-pain", "leg-pain", "No", False, None),
        ("back-pain", "leg-pain", True, True, None),
        ("back-pain", "leg-pain", "", None, "Select yes or no"),
        ("back-pain", "leg-pain", "maybe", None, "Select yes or no"),
        ("back-pain", "duration", "under-6-weeks", "under-6-weeks", None),
        ("back-pain", "duration", "forever", None, "Select one of the options"),
        ("back-pain", "duration", None, None, "Select an answer"),
        ("back-pain", "pain-score", "7", 7, None),
        ("back-pain", "pain-score", 0, 0, None),
        ("back-pain", "pain-score", " 10 ", 10, None),
        ("back-pain", "pain-score", "11", None, "Enter a number between 0 and 10"),
        ("back-pain", "pain-score", -1, None, "Enter a number between 0 and 10"),
        ("back-pain", "pain-score", "7.5", None, "Enter a whole number, like 3"),
        ("back-pain", "pain-score", True, None, "Enter a whole number, like 3"),
        ("back-pain", "pain-score", "", None, "Enter a number"),
        ("medication-question", "medicine-name", "  Amoxicillin\n 500mg ", "Amoxicillin 500mg", None),
        ("medication-question", "medicine-name", "x" * 201, None, "200 characters or fewer"),
        ("fit-note", "reason", "Broken ankle\r\nin plaster", "Broken ankle\nin plaster", None),
        ("fit-note", "reason", "x" * 2000, "x" * 2000, None),
        ("fit-note", "reason", "x" * 2001, None, "2,000 characters or fewer. You have 1 character too many."),
        ("fit-note", "reason", "   ", None, "Enter your answer"),
        ("fit-note", "off-since", "2024-06-01", "2024-06-01", None),
        ("fit-note", "off-since", {"day": "1", "month": "6", "year": "2024"}, "2024-06-01", None),
        ("fit-note", "off-since", date(2024, 6, 15), "2024-06-15", None),
        ("fit-note", "off-since", "2024-06-16", None, "today or in the past"),
        ("fit-note", "off-since", "2024-02-30", None, "Enter a real date"),
        ("fit-note", "off-since", "yesterday", None, "Enter a real date"),
        ("fit-note", "off-since", {"day": "1", "month": "6", "year": "24"}, None, "4-digit year"),
        ("letter-or-form", "needed-by", "2024-06-14", None, "today or in the future"),
        ("letter-or-form", "needed-by", "", None, None),  # not required: may be left blank
        ("test-results", "question", "", None, None),
        ("prescription-question", "repeat-orders", "", None, None),  # a display page
    ],
)
def test_check_answer(topic_id, link_id, given, value, error):
    got_value, got_error = q.check_answer(item(topic_id, link_id), given, today=TODAY)
    assert got_value == value
    if error is None:
        assert got_error is None
    else:
        assert got_error is not None and error in got_error


ANSWERABLE = [(t.id, i.link_id) for t in q.load_all().values() for i in t.questions if i.answerable]
ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=2100),
    st.sampled_from(["yes", "no", "0", "3", "2024-02-29", "2023-02-29", " 7 ", "under-6-weeks"]),
    st.dictionaries(st.sampled_from(["day", "month", "year", "code"]), st.text(max_size=5)),
    st.dates(),
    st.lists(st.text(max_size=3), max_size=2),
)


@settings(max_examples=300, deadline=None)
@given(where=st.sampled_from(ANSWERABLE), given_value=ANYTHING)
def test_check_answer_never_fails_and_keeps_only_possible_answers(where, given_value):
    question = item(*where)
    value, error = q.check_answer(question, given_value, today=TODAY)
    if error is not None:
        assert value is None and isinstance(error, str) and error
    elif value is None:
        assert not question.required
    else:
        assert answer_valid(question, value)  # what is stored is always a possible answer
        json.dumps(value)


@pytest.mark.parametrize(
    ("topic_id", "link_id", "value", "shown"),
    [
        ("back-pain", "leg-pain", True, "Yes"),
        ("back-pain", "leg-pain", False, "No"),
        ("back-pain", "duration", "under-6-weeks", "Less than 6 weeks"),
        ("back-pain", "pain-score", 7, "7 out of 10"),
        ("fit-note", "off-since", "2024-03-03", "3 March 2024"),
        ("fit-note", "reason", None, "Not answered"),
    ],
)
def test_display_answer(topic_id, link_id, value, shown):
    assert q.display_answer(item(topic_id, link_id), value) == shown


# ---------------------------------------------------------------------------------------------
# Red flags
# ---------------------------------------------------------------------------------------------

GENERAL = [f["linkId"] for f in SHARED["general"]]
CHILD = [f["linkId"] for f in SHARED["child"]]


def test_the_shared_emergency_questions_cover_the_emergencies():
    assert {
        "rf-chest-pain",
        "rf-breathing",
        "rf-stroke",
        "rf-bleeding",
        "rf-suicide",
        "rf-allergy",
        "rf-unconscious",
    } <= set(GENERAL)
    assert {"rf-rash", "rf-colour", "rf-confused", "rf-injury", "rf-self-harm", "rf-suicidal-thoughts"} <= set(GENERAL)
    assert {
        "rf-child-floppy",
        "rf-child-breathing",
        "rf-child-fever-under-3-months",
        "rf-child-no-urine",
        "rf-child-fontanelle",
        "rf-child-cold",
        "rf-child-light",
        "rf-child-green-vomit",
    } <= set(CHILD)


def test_red_flags_come_first_shared_then_topic_and_child_extras_only_for_children():
    t = topic("headache")
    adult = [f.link_id for f in q.red_flags_for(t, is_child=False)]
    child = [f.link_id for f in q.red_flags_for(t, is_child=True)]
    own = [f["linkId"] for f in rules("headache")["redFlags"]]
    adult_only = [f["linkId"] for f in SHARED["general"] if f.get("audience") == "adult"]
    child_only = [f["linkId"] for f in rules("headache")["redFlags"] if f.get("audience") == "child"]
    assert adult == GENERAL + [f for f in own if f not in child_only]
    assert child == [f for f in GENERAL if f not in adult_only] + CHILD + own
    worded = {f.link_id: f.text for f in q.red_flags_for(t, is_child=True)}
    assert worded["rf-bleeding"].startswith("Is your child")


def test_a_child_only_topic_always_asks_the_child_questions():
    flags = [f.link_id for f in q.red_flags_for(topic("child-fever"), is_child=False)]
    assert set(CHILD) <= set(flags) and "rf-fever-3-to-6-months" in flags


def test_admin_topics_ask_no_emergency_questions():
    assert q.red_flags_for(topic("fit-note"), is_child=False) == []
    assert q.red_flags_for(topic("test-results"), is_child=True) == []


@pytest.mark.parametrize("topic_id", sorted(t.id for t in q.load_all().values()))
def test_any_red_flag_answered_yes_stops_the_request_with_its_advice(topic_id):
    t = topic(topic_id)
    for is_child in (False, True):
        for flag in q.red_flags_for(t, is_child=is_child):
            answers = {f.link_id: False for f in q.red_flags_for(t, is_child=is_child)}
            assert q.emergency_advice(answers) is None
            assert q.emergency_advice(answers, t) is None
            answers[flag.link_id] = True
            assert q.emergency_advice(answers) == flag.advice, flag.link_id
            assert q.emergency_advice(answers, t) == flag.advice, flag.link_id


@pytest.mark.parametrize(
    ("answers", "advice"),
    [
        ({}, None),
        ({"_red_flags_checked": True}, None),
        ({"rf-chest-pain": True}, "999"),
        ({"rf-cannot-wait": True}, "111"),
        ({"rf-child-no-urine": True}, "111"),
        ({"rf-rash": True}, "999"),
        ({"rf-suicidal-thoughts": True}, "crisis"),  # the crisis lines; the request goes on
        ({"rf-suicidal-thoughts": True, "rf-cannot-wait": True}, "111"),
        ({"rf-cannot-wait": True, "rf-stroke": True}, "999"),  # 999 wins
        ({"rf-cannot-wait": True, "rf-chest-pain": False}, "111"),
        ({"rf-chest-pain": "yes"}, "999"),
        ({"rf-chest-pain": "no"}, None),
        ({"phq9-9": "0"}, None),
        ({"phq9-9": "1"}, "crisis"),
        ({"phq9-9": "3", "rf-suicide": True}, "999"),
        ({"fever": True, "leg-weakness": True}, None),  # ordinary answers are not red flags
    ],
)
def test_emergency_advice(answers, advice):
    assert q.emergency_advice(answers) == advice


def test_advice_to_show():
    flags = {f.link_id: f for f in q.red_flags_for(topic("feeling-low-or-anxious"), is_child=False)}
    shown = q.advice_for([flags["rf-suicide"]])
    assert shown.title == "Call 999 now" and shown.calls == (("Call 999", "tel:999"),)
    assert [a.code for a in q.advice_list([flags["rf-suicide"]])] == ["999", "crisis"]  # and the crisis lines
    assert "116 123" in q.advice_list([flags["rf-suicide"]])[1].body
    assert q.advice_for([]) is None and q.advice_list([]) == []
    assert q.advice_for([flags["rf-cannot-wait"]]).title == "Call 111 now"
    assert q.advice_for([flags["rf-cannot-wait"], flags["rf-suicide"]]).code == "999"


# ---------------------------------------------------------------------------------------------
# PHQ-9 and GAD-7
# ---------------------------------------------------------------------------------------------


def phq9(total: int, item9: str = "0") -> dict:
    """PHQ-9 answers adding up to ``total`` (item 9 as given)."""
    answers = {"main-concern": "low", "duration": "2-weeks-to-3-months", "phq9-9": item9}
    left = total - int(item9)
    for n in range(1, 9):
        value = min(3, left)
        answers[f"phq9-{n}"] = str(value)
        left -= value
    assert left == 0
    return answers


def gad7(total: int) -> dict:
    answers = {"main-concern": "anxious", "duration": "2-weeks-to-3-months", "phq9-9": "0"}
    left = total
    for n in range(1, 8):
        value = min(3, left)
        answers[f"gad7-{n}"] = str(value)
        left -= value
    return answers


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (24, "severe"),
    ],
)
def test_phq9_totals_and_bands(total, band):
    scores = q.score(topic("feeling-low-or-anxious"), phq9(total))
    assert scores["phq9"]["total"] == total and scores["phq9"]["band"] == band
    assert scores["phq9"]["max"] == 27 and scores["phq9"]["complete"]
    assert "gad7" not in scores  # not asked


def test_phq9_highest_score_is_severe_and_item_9_is_a_red_flag():
    answers = phq9(27, item9="3")
    assert q.score(topic("feeling-low-or-anxious"), answers)["phq9"] == {
        "name": "PHQ-9",
        "total": 27,
        "max": 27,
        "band": "severe",
        "complete": True,
        "answered": 9,
        "items": 9,
    }


@pytest.mark.parametrize(
    ("item9", "advice"),
    [("0", None), ("1", "crisis"), ("2", "crisis"), ("3", "crisis")],
)
def test_phq9_item_9_anything_but_not_at_all_shows_the_crisis_lines_and_is_urgent_for_staff(item9, advice):
    """NICE NG225: the crisis numbers, and the request still goes to the practice, urgent (the
    triage rule for item 9, dead while the answer ended the request, now decides)."""
    t = topic("feeling-low-or-anxious")
    answers = phq9(3 + int(item9), item9=item9)
    assert q.emergency_advice(answers, t) == advice
    assert q.emergency_advice(answers) == advice
    raised = q.triggered_red_flags(answers, t)
    result = q.triage(t, answers)
    if advice:
        [shown] = q.advice_list(raised)
        assert shown.title == "Get help now" and not q.ends_request(raised)
        assert "option 2" in shown.body and "116 123" in shown.body and "999" in shown.body
        assert ("Call 111, option 2", "tel:111") in shown.calls and (
            "Call Samaritans on 116 123",
            "tel:116123",
        ) in shown.calls
        assert (result.urgency, result.team) == ("urgent_today", "mental_health")
        assert result.reason == "Thoughts of being better off dead or of self-harm (PHQ-9 item 9)"  # the rule fires
        assert result.summary_lines[0].startswith("Crisis lines shown")
    else:
        assert raised == [] and result.urgency == "routine"


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_totals_and_bands(total, band):
    scores = q.score(topic("feeling-low-or-anxious"), gad7(total))
    assert scores["gad7"]["total"] == total and scores["gad7"]["band"] == band
    assert scores["gad7"]["max"] == 21
    assert scores["phq9"]["complete"] is False and scores["phq9"]["total"] is None  # only item 9 asked


def test_an_unfinished_instrument_has_no_score():
    answers = phq9(12)
    del answers["phq9-4"]
    scores = q.score(topic("feeling-low-or-anxious"), answers)
    assert scores["phq9"]["total"] is None and scores["phq9"]["band"] is None and scores["phq9"]["answered"] == 8


def test_instrument_answers_left_from_another_path_are_not_scored():
    answers = {**phq9(20), "main-concern": "anxious"}  # went back and chose anxiety only
    assert q.score(topic("feeling-low-or-anxious"), answers)["phq9"]["total"] is None


# ---------------------------------------------------------------------------------------------
# Triage
# ---------------------------------------------------------------------------------------------

URINARY = {
    "burning": True,
    "frequency": True,
    "blood": False,
    "fever": False,
    "back-pain": False,
    "pregnant": "no",
    "duration": "under-2-days",
    "recent-infections": False,
}
BACK = {
    "duration": "under-6-weeks",
    "pain-score": 5,
    "leg-pain": False,
    "fever-or-weight-loss": False,
    "serious-signs": False,
    "cancer-history": False,
    "risk-factors": False,
    "daily-life": "a-lot",
    "tried-painkillers": True,
}


@pytest.mark.parametrize(
    ("topic_id", "answers", "urgency", "team"),
    [
        ("urinary-symptoms", URINARY, "within_two_days", "gp"),
        ("urinary-symptoms", {**URINARY, "fever": True}, "urgent_today", "gp"),
        ("urinary-symptoms", {**URINARY, "back-pain": True}, "urgent_today", "gp"),
        ("urinary-symptoms", {**URINARY, "pregnant": "not-sure"}, "urgent_today", "gp"),
        ("back-pain", BACK, "routine", "physiotherapy"),
        ("back-pain", {**BACK, "leg-pain": True, "leg-weakness": True}, "urgent_today", "gp"),
        ("back-pain", {**BACK, "leg-pain": False, "leg-weakness": True}, "routine", "physiotherapy"),
        ("back-pain", {**BACK, "pain-score": 9, "daily-life": "cannot"}, "within_two_days", "gp"),
        ("back-pain", {**BACK, "pain-score": 8, "daily-life": "cannot"}, "routine", "physiotherapy"),
        (
            "joint-or-muscle-pain",
            {
                "where": "knee",
                "duration": "under-6-weeks",
                "injury": True,
                "swelling": False,
                "morning-stiffness": False,
                "pain-score": 4,
                "daily-life": "a-little",
            },
            "routine",
            "physiotherapy",
        ),
        (
            "medication-question",
            {
                "about": "how-to-take",
                "medicine-name": "Sertraline",
                "started-recently": True,
                "prescribed-by": "practice",
                "pregnant": "no",
            },
            "routine",
            "medicines_team",
        ),
        (
            "medication-question",
            {
                "about": "side-effects",
                "side-effect-impact": "stopped",
                "medicine-name": "Statin",
                "started-recently": True,
                "prescribed-by": "practice",
                "pregnant": "no",
            },
            "within_two_days",
            "medicines_team",
        ),
        (
            "headache",
            {
                "duration": "on-and-off",
                "new-or-different": False,
                "pain-score": 6,
                "worse-morning": False,
                "eyesight": False,
                "painkiller-days": "over-10",
            },
            "routine",
            "medicines_team",
        ),
        (
            "headache",
            {
                "duration": "under-1-week",
                "new-or-different": True,
                "pain-score": 6,
                "worse-morning": True,
                "eyesight": False,
                "painkiller-days": "none",
            },
            "urgent_today",
            "gp",
        ),
        ("feeling-low-or-anxious", phq9(20), "urgent_today", "mental_health"),
        ("feeling-low-or-anxious", phq9(19), "within_two_days", "mental_health"),
        ("feeling-low-or-anxious", phq9(6), "routine", "mental_health"),
        ("feeling-low-or-anxious", gad7(15), "within_two_days", "mental_health"),
        (
            "child-fever",
            {
                "temperature": "38-to-39",
                "duration": "1-to-2-days",
                "drinking-less": False,
                "not-themselves": False,
                "cough-or-cold": True,
                "ear-pain": False,
            },
            "within_two_days",
            "gp",
        ),
        (
            "child-fever",
            {
                "temperature": "38-to-39",
                "duration": "5-days-or-more",
                "drinking-less": False,
                "not-themselves": False,
                "cough-or-cold": True,
                "ear-pain": False,
            },
            "urgent_today",
            "gp",
        ),
        (
            "cough-and-cold",
            {
                "duration": "under-1-week",
                "fever": False,
                "breathless": True,
                "chest-hurts": False,
                "long-term-condition": False,
                "trend": "worse",
                "asked-pharmacist": True,
            },
            "urgent_today",
            "gp",
        ),
        (
            "abdominal-pain",
            {
                "where": "lower",
                "duration": "under-2-days",
                "pain-score": 8,
                "vomiting": False,
                "fever": False,
                "bowel-change": False,
                "weight-loss": False,
            },
            "urgent_today",
            "gp",
        ),
        (
            "new-lump",
            {
                "where": "breast",
                "duration": "under-2-weeks",
                "size": "same",
                "painful": False,
                "hard-or-fixed": False,
                "weight-loss-sweats": False,
            },
            "within_two_days",
            "gp",
        ),
        (
            "contraception",
            {
                "need": "continue",
                "current-method": "combined-pill",
                "blood-pressure": True,
                "smoke": False,
                "migraine-aura": False,
                "blood-clot": False,
            },
            "routine",
            "medicines_team",
        ),
        (
            "contraception",
            {"need": "start", "smoke": False, "migraine-aura": False, "blood-clot": False},
            "routine",
            "nurse",
        ),
        (
            "fit-note",
            {
                "new-or-extension": "new",
                "off-since": "2024-06-01",
                "reason": "Flu",
                "could-do-some-work": False,
                "hospital": False,
            },
            "routine",
            "reception",
        ),
        (
            "test-results",
            {"test-type": "blood", "where-done": "practice", "when": "2024-06-01", "asked-to-contact": False},
            "routine",
            "reception",
        ),
        (
            "test-results",
            {"test-type": "blood", "where-done": "practice", "when": "2024-06-01", "asked-to-contact": True},
            "within_two_days",
            "reception",
        ),
        ("letter-or-form", {"what": "firearms", "form-sent": True, "details": "Shotgun certificate"}, "routine", "gp"),
        (
            "referral-question",
            {"about": "urgent-not-heard", "referred-when": "2-to-6-weeks"},
            "within_two_days",
            "reception",
        ),
        ("update-details", {"what": "phone", "new-phone": "07700 900123"}, "routine", "reception"),
        (
            "prescription-question",
            {"about": "out-of-stock", "pharmacy": "Boots", "running-out": "today-tomorrow"},
            "urgent_today",
            "medicines_team",
        ),
        (
            "prescription-question",
            {"about": "change-pharmacy", "pharmacy": "Boots", "running-out": "not-applicable"},
            "routine",
            "reception",
        ),
        (
            "something-else-medical",
            {
                "description": "Ingrown toenail",
                "duration": "1-to-4-weeks",
                "trend": "same",
                "daily-life": "a-little",
                "asked-pharmacist": False,
            },
            "within_two_days",
            "gp",
        ),
    ],
)
def test_triage_rules(topic_id, answers, urgency, team):
    result = q.triage(topic(topic_id), answers)
    assert (result.urgency, result.team) == (urgency, team)
    assert result.urgency in q.URGENCIES and result.team in q.TEAMS


def test_triage_gives_staff_a_subject_and_a_summary_of_the_answers():
    t = topic("urinary-symptoms")
    result = q.triage(t, {**URINARY, "fever": True, "_red_flags_checked": True}, free_text="Started after holiday")
    assert result.subject == "Urinary symptoms: Less than 2 days"
    assert result.reason == "High temperature or shivering with urinary symptoms"
    assert "Does it hurt or burn when you pee?: Yes" in result.summary_lines
    assert "Do you have a high temperature, or feel shivery and shaky?: Yes" in result.summary_lines
    assert "Could you be pregnant?: No" in result.summary_lines
    assert result.summary_lines[-1] == "Anything else: Started after holiday"
    assert not any("_red_flags_checked" in line for line in result.summary_lines)


def test_triage_summary_has_the_scores():
    result = q.triage(
        topic("feeling-low-or-anxious"), {**phq9(12), "main-concern": "both", **{f"gad7-{n}": "1" for n in range(1, 8)}}
    )
    assert "PHQ-9 score: 12 out of 27 (moderate)" in result.summary_lines
    assert "GAD-7 score: 7 out of 21 (mild)" in result.summary_lines
    assert result.subject == "Feeling low or anxious: Both, 2 weeks to 3 months"


def test_a_red_flag_makes_the_urgency_emergency_signposted():
    result = q.triage(topic("back-pain"), {**BACK, "rf-back-nerves": True})
    assert result.urgency == "emergency_signposted" and result.red_flags == ("rf-back-nerves",)
    assert result.summary_lines[0].startswith("Red flag: Do you have numbness")


def test_free_text_subjects_are_shortened():
    result = q.triage(topic("something-else-medical"), {"description": "word " * 100, "duration": "under-1-week"})
    assert result.subject.startswith("Other medical: word word") and result.subject.endswith("…")
    assert len(result.subject) <= 200


@pytest.mark.parametrize("path", TOPIC_FILES, ids=lambda p: p.stem)
@pytest.mark.parametrize(("yes", "option"), [(True, 0), (False, 9)])
def test_every_topic_triages_any_complete_set_of_answers(path, yes, option):
    t = topic(path.stem)
    answers = all_answered(t, yes=yes, option=option)
    result = q.triage(t, answers, free_text="More")
    assert result.team in q.TEAMS
    if result.red_flags:  # PHQ-9 item 9 answered "Nearly every day": the crisis lines, urgent for staff
        assert result.urgency == "urgent_today" and result.red_flags == ("phq9-9",)
    else:
        assert result.urgency in q.URGENCIES[1:]
    assert result.subject and len(result.subject) <= 200 and "{" not in result.subject
    assert q.missing_answers(t, answers) == []
    json.dumps(q.questionnaire_response(t, answers))


# ---------------------------------------------------------------------------------------------
# The FHIR QuestionnaireResponse
# ---------------------------------------------------------------------------------------------


def test_questionnaire_response_has_the_fhir_shape():
    t = topic("back-pain")
    answers = {**BACK, "leg-pain": False, "leg-weakness": True, "_red_flags_checked": True}
    response = q.questionnaire_response(
        t, answers, authored="2024-06-15T10:00:00+01:00", subject_reference="Patient/12"
    )
    assert response["resourceType"] == "QuestionnaireResponse"
    assert response["questionnaire"] == f"{t.url}|{t.version}"
    assert response["status"] == "completed"
    assert response["subject"] == {"reference": "Patient/12"} and response["authored"].startswith("2024-06-15")
    by_id = {i["linkId"]: i for i in response["item"]}
    assert "leg-weakness" not in by_id  # disabled: left out
    assert by_id["leg-pain"] == {
        "linkId": "leg-pain",
        "text": t.item("leg-pain").text,
        "answer": [{"valueBoolean": False}],
    }
    assert by_id["duration"]["answer"] == [{"valueCoding": {"code": "under-6-weeks", "display": "Less than 6 weeks"}}]
    assert by_id["pain-score"]["answer"] == [{"valueInteger": 5}]
    assert [i["linkId"] for i in response["item"]] == [i for i in walk(t, answers) if i in answers]


def test_questionnaire_response_dates_strings_and_groups():
    fit = q.questionnaire_response(
        topic("fit-note"), {"new-or-extension": "extension", "current-ends": "2024-07-01", "reason": "Flu"}
    )
    by_id = {i["linkId"]: i for i in fit["item"]}
    assert by_id["current-ends"]["answer"] == [{"valueDate": "2024-07-01"}]
    assert by_id["reason"]["answer"] == [{"valueString": "Flu"}]
    assert "text" in by_id["reason"]

    mood = q.questionnaire_response(topic("feeling-low-or-anxious"), phq9(10))
    groups = [i for i in mood["item"] if "item" in i]
    assert [g["linkId"] for g in groups] == ["phq9-questions"]  # GAD-7 was not asked
    assert len(groups[0]["item"]) == 8 and all("answer" not in g for g in groups)
    assert groups[0]["item"][0]["answer"] == [{"valueCoding": {"code": "3", "display": "Nearly every day"}}]


# ---------------------------------------------------------------------------------------------
# validate() catches broken topics
# ---------------------------------------------------------------------------------------------


def broken(topic_id: str, change) -> list[str]:
    """What validate says after ``change(questionnaire, rules)`` on copies of a topic's files."""
    data, its_rules = copy.deepcopy(raw(topic_id)), copy.deepcopy(rules(topic_id))
    change(data, its_rules)
    return q.validate(q.topic_from_dict(data, rules=its_rules, shared=SHARED))


def find(data: dict, link_id: str) -> dict:
    stack = list(data["item"])
    while stack:
        node = stack.pop(0)
        if node["linkId"] == link_id:
            return node
        stack += node.get("item", [])
    raise KeyError(link_id)


def has(problems: list[str], *words: str) -> bool:
    return any(all(w in p for w in words) for p in problems)


def test_a_sound_copy_has_no_problems():
    assert broken("back-pain", lambda data, rules: None) == []


def test_validate_catches_an_enable_when_naming_an_unknown_item():
    def change(data, rules):
        find(data, "leg-weakness")["enableWhen"][0]["question"] = "leg-ache"

    problems = broken("back-pain", change)
    assert has(problems, "leg-weakness", "'leg-ache'", "not an item")
    assert has(problems, "leg-weakness", "unreachable")


def test_validate_catches_an_unreachable_item():
    def change(data, rules):
        node = find(data, "leg-weakness")
        node["enableWhen"].append({"question": "leg-pain", "operator": "=", "answerBoolean": False})
        node["enableBehavior"] = "all"  # leg pain both yes and no: never

    problems = broken("back-pain", change)
    assert problems == ["item leg-weakness: unreachable (no answers enable it)"]


def test_validate_catches_a_rule_naming_a_missing_item():
    def change(data, rules):
        rules["triage"]["rules"][0]["when"][0]["linkId"] = "leg-numbness"

    assert has(broken("back-pain", change), "triage rule 1", "'leg-numbness'", "not a question")


def test_validate_catches_a_rule_answer_that_is_impossible():
    def change(data, rules):
        rules["triage"]["rules"].append(
            {
                "when": [{"linkId": "duration", "answer": "six-months"}, {"linkId": "pain-score", "atLeast": 11}],
                "urgency": "soon",
                "team": "surgeon",
            }
        )

    problems = broken("back-pain", change)
    assert has(problems, "'six-months' is not a possible answer")
    assert has(problems, "urgency 'soon'") and has(problems, "team 'surgeon'")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (
            lambda d, r: find(d, "leg-pain").update(
                enableWhen=[{"question": "leg-weakness", "operator": "=", "answerBoolean": True}]
            ),
            ("leg-pain", "not an earlier item"),
        ),
        (
            lambda d, r: find(d, "leg-weakness")["enableWhen"][0].update(answerBoolean="yes"),
            ("leg-weakness", "not a possible answer"),
        ),
        (lambda d, r: find(d, "leg-weakness")["enableWhen"][0].update(operator="~"), ("operator '~'",)),
        (
            lambda d, r: (
                find(d, "leg-weakness")["enableWhen"][0].pop("answerBoolean")
                and find(d, "leg-weakness")["enableWhen"][0].update(answerCoding={"code": "yes"})
            ),
            ("needs answerBoolean",),
        ),
        (lambda d, r: find(d, "duration").update(answerOption=[]), ("duration", "needs answerOption")),
        (
            lambda d, r: find(d, "duration")["answerOption"].append(
                copy.deepcopy(find(d, "duration")["answerOption"][0])
            ),
            ("duration", "unique code"),
        ),
        (lambda d, r: find(d, "leg-pain").update(linkId="duration"), ("duration", "used twice")),
        (lambda d, r: find(d, "leg-pain").update(type="slider"), ("type 'slider'",)),
        (
            lambda d, r: find(d, "pain-score")["extension"].append({"url": q.MIN_VALUE_URL, "valueInteger": 11}),
            ("pain-score", "min is above max"),
        ),
        (lambda d, r: r["triage"].update(subject="Back pain: {how-long}"), ("placeholder {how-long}",)),
        (lambda d, r: r["triage"].update(subject="Back pain: {leg-weakness}"), ("{leg-weakness} may be unanswered",)),
        (lambda d, r: r["redFlags"][0].update(advice="112"), ("rf-back-nerves", "advice must be one of")),
        (lambda d, r: r["redFlags"][0].update(linkId="leg-pain"), ("red flag leg-pain", "used twice")),
        (lambda d, r: r["triage"]["rules"].append(copy.deepcopy(r["triage"]["rules"][0])), ("can never win",)),
        (lambda d, r: r["triage"].update(default={"urgency": "whenever", "team": "gp"}), ("triage default",)),
        (lambda d, r: d.update(status="draft"), ("status",)),
        (lambda d, r: r.update(kind="clinical"), ("kind 'clinical'",)),
        (
            lambda d, r: d["item"].extend(
                [{"linkId": f"extra-{n}", "text": "More?", "type": "boolean", "required": True} for n in range(3)]
            ),
            ("13 questions",),
        ),
        (lambda d, r: d.update(item=d["item"][:3]), ("3 questions",)),
    ],
)
def test_validate_catches(change, words):
    problems = broken("back-pain", change)
    assert has(problems, *words), problems


def test_validate_catches_broken_scoring():
    def change(data, rules):
        spec = rules["scoring"][0]
        spec["items"][0] = "phq9-0"
        spec["bands"][1]["min"] = 6
        rules["scoring"][1]["bands"].pop()
        spec["redFlags"][0]["unlessAnswer"] = ["never"]

    problems = broken("feeling-low-or-anxious", change)
    assert has(problems, "scoring phq9", "'phq9-0' does not exist")
    assert has(problems, "scoring gad7", "end at the highest possible score, 21")
    assert has(problems, "scoring phq9", "unlessAnswer")


def test_validate_catches_a_scored_item_without_values():
    def change(data, rules):
        for option in find(data, "gad7-3")["answerOption"]:
            option["valueCoding"].pop("extension")

    assert has(broken("feeling-low-or-anxious", change), "gad7-3", "ordinalValue")


def test_a_broken_file_is_never_served(tmp_path: Path):
    for path in DIRECTORY.glob("*.json"):
        shutil.copy(path, tmp_path / path.name)
    data = raw("back-pain")
    find(data, "leg-weakness")["enableWhen"][0]["question"] = "nowhere"
    (tmp_path / "back-pain.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(q.QuestionnaireError) as caught:
        q.load_directory(tmp_path)
    assert any(p.startswith("back-pain.json: item leg-weakness") for p in caught.value.problems)
    assert len(q.load_directory(tmp_path, check=False)) == len(TOPIC_FILES)


def test_validate_all_catches_clashing_red_flags(tmp_path: Path):
    topics = q.load_all()
    headache, headache_rules = raw("headache"), rules("headache")
    headache_rules["redFlags"][0]["linkId"] = "rf-back-nerves"  # another topic's flag
    headache["item"][0]["linkId"] = "rf-chest-pain"  # a question named like a shared flag
    topics["headache"] = q.topic_from_dict(headache, rules=headache_rules, shared=SHARED)
    problems = q.validate_all(topics)
    assert has(problems, "rf-back-nerves", "also defined by")
    assert has(problems, "headache", "'rf-chest-pain'", "red flag")


def test_services_module_does_not_import_reflex():
    for path in Path(q.__file__).parent.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert "import reflex" not in source and "from reflex" not in source


# ---------------------------------------------------------------------------------------------
# Real FHIR: every topic file and every QuestionnaireResponse, checked by fhir.resources (R4B)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", TOPIC_FILES, ids=lambda p: p.stem)
def test_every_topic_file_is_a_questionnaire_fhir_resources_accepts(path):
    from fhir.resources.R4B.questionnaire import Questionnaire

    data = json.loads(path.read_text(encoding="utf-8"))
    parsed = Questionnaire.model_validate(data)
    assert parsed.id == path.stem and parsed.status == "active"
    assert "anima" not in data and all("anima" not in node for node in _raw_nodes(data["item"]))


def _raw_nodes(items: list) -> list:
    out = []
    for node in items:
        out.append(node)
        out += _raw_nodes(node.get("item", []))
    return out


WORDING_CASES = [("self", ""), ("child", "Lily"), ("other-adult", "Edna")]


@pytest.mark.parametrize("path", TOPIC_FILES, ids=lambda p: p.stem)
@pytest.mark.parametrize(("yes", "option"), [(True, 0), (False, 9)])
def test_every_questionnaire_response_the_app_writes_is_valid_r4(path, yes, option):
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    t = topic(path.stem)
    answers = all_answered(t, yes=yes, option=option)
    for code, name in WORDING_CASES:
        if code != "self" and code not in q.WORDINGS_NEEDED[t.audience]:
            continue
        wording = q.Wording(code, name)
        response = q.questionnaire_response(
            t,
            answers,
            authored="2025-06-18T12:00:00+01:00",
            subject_reference="Patient/7",
            subject_display="Lily Rahman",
            wording=wording,
            author="Priya Rahman",
            source="Priya Rahman",
        )
        parsed = QuestionnaireResponse.model_validate(response)
        assert parsed.status == "completed" and parsed.questionnaire == f"{t.url}|{t.version}"
        assert response["extension"] == [{"url": q.WORDING_SHOWN_URL, "valueCode": code}]
        texts = [i["text"] for i in _raw_nodes(response["item"]) if "answer" in i]
        assert texts and all("{name}" not in text for text in texts)
        if code != "self":
            assert all(name in text for text in texts), texts


def test_a_response_with_nothing_answered_is_still_valid_r4():
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    response = q.questionnaire_response(topic("back-pain"), {})
    assert "item" not in response  # FHIR allows no empty arrays
    QuestionnaireResponse.model_validate(response)


# ---------------------------------------------------------------------------------------------
# Who the questions are about: the wording rule, per topic and per subject
# ---------------------------------------------------------------------------------------------

PERSON = re.compile(r"\b(you|your|yours|yourself)\b", re.IGNORECASE)


@pytest.mark.parametrize("path", TOPIC_FILES, ids=lambda p: p.stem)
def test_every_question_and_red_flag_can_be_asked_about_each_person_the_topic_is_for(path):
    t = topic(path.stem)
    needed = q.WORDINGS_NEEDED[t.audience]
    assert check_wording(t) == []
    for code in needed:
        wording = q.Wording(code, "Lily")
        questions = [n for n in t.nodes if n.answerable]
        ages = (1, 30, 100, 180) if code == "child" else (200, 720)  # months: every age limit a flag has
        flags = [
            f for age in ages for f in q.red_flags_for(t, is_child=code == "child", wording=wording, age_months=age)
        ]
        texts = [n.text_for(wording) for n in questions] + [f.text for f in flags]
        assert texts
        for text in texts:
            assert "Lily" in text and not PERSON.search(text) and "{" not in text, (code, text)
        for node in questions:
            for option in node.options:
                assert not PERSON.search(option.display_for(wording)) and not re.search(
                    r"\b(I|I'm|my|me)\b", option.display_for(wording)
                ), option


@pytest.mark.parametrize(
    ("code", "name", "expected"),
    [
        ("self", "Lily", "Do you have a high temperature?"),
        ("child", "Lily", "Does Lily have a high temperature?"),
        ("other-adult", "Edna", "Does Edna have a high temperature?"),
        ("child", "", "Does your child have a high temperature?"),
        ("other-adult", " ", "Does this person have a high temperature?"),
        ("unknown", "Lily", "Do you have a high temperature?"),
    ],
)
def test_a_wording_puts_in_the_name(code, name, expected):
    wordings = {"child": "Does {name} have a high temperature?", "other-adult": "Does {name} have a high temperature?"}
    assert q.Wording(code, name).say("Do you have a high temperature?", wordings) == expected


def test_a_wording_that_starts_with_the_name_starts_with_a_capital():
    assert (
        q.Wording("child").say("Are your lips blue?", {"child": "{name}'s lips are blue?"})
        == "Your child's lips are blue?"
    )


@pytest.mark.parametrize(
    ("is_self", "is_child", "code"),
    [(True, False, "self"), (True, True, "self"), (False, True, "child"), (False, False, "other-adult")],
)
def test_wording_code(is_self, is_child, code):
    assert q.wording_code(is_self=is_self, is_child=is_child) == code


@pytest.mark.parametrize(
    ("full", "preferred", "first"),
    [
        ("Lily Rahman", "", "Lily"),
        ("Mary-Jane  Smith", "", "Mary-Jane"),
        ("Margaret Smith", "Peggy", "Peggy"),
        ("", "", ""),
    ],
)
def test_first_name(full, preferred, first):
    assert q.first_name(full, preferred) == first


def _wording_ext(item: dict) -> dict:
    return next(e for e in item["extension"] if e["url"] == q.SUBJECT_WORDING_URL)


def _drop_wording(item: dict, code: str) -> None:
    ext = _wording_ext(item)
    ext["extension"] = [part for part in ext["extension"] if part["url"] != code]


def _set_wording(item: dict, code: str, text: str) -> None:
    ext = _wording_ext(item)
    ext["extension"] = [part for part in ext["extension"] if part["url"] != code] + [{"url": code, "valueString": text}]


@pytest.mark.parametrize(
    ("topic_id", "change", "words"),
    [
        ("cough-and-cold", lambda d, r: _drop_wording(find(d, "fever"), "child"), ("item fever", "no child wording")),
        (
            "cough-and-cold",
            lambda d, r: _drop_wording(find(d, "fever"), "other-adult"),
            ("item fever", "no other-adult wording"),
        ),
        ("cough-and-cold", lambda d, r: find(d, "fever")["extension"].clear(), ("item fever", "no child wording")),
        (
            "contraception",
            lambda d, r: _drop_wording(find(d, "smoke"), "other-adult"),
            ("item smoke", "no other-adult wording"),
        ),
        (
            "child-fever",
            lambda d, r: _drop_wording(find(d, "ear-pain"), "child"),
            ("item ear-pain", "no child wording"),
        ),
        (
            "cough-and-cold",
            lambda d, r: _set_wording(find(d, "fever"), "child", "Have you had a high temperature?"),
            ("item fever", "child wording says 'you'"),
        ),
        (
            "cough-and-cold",
            lambda d, r: _set_wording(find(d, "fever"), "other-adult", "Has your relative had a high temperature?"),
            ("item fever", "other-adult wording says 'you'"),
        ),
        (
            "cough-and-cold",
            lambda d, r: _set_wording(find(d, "fever"), "child", "Has the child had a high temperature?"),
            ("item fever", "must name the person"),
        ),
        (
            "cough-and-cold",
            lambda d, r: _set_wording(find(d, "fever"), "child", "Has {first} had a high temperature?"),
            ("item fever", "only use the placeholder {name}"),
        ),
        (
            "cough-and-cold",
            lambda d, r: _set_wording(find(d, "fever"), "grandparent", "Has {name} had a fever?"),
            ("item fever", "unknown wording 'grandparent'"),
        ),
        (
            "cough-and-cold",
            lambda d, r: find(d, "fever").update(text="Has {name} had a fever?"),
            ("item fever", "has no {name}"),
        ),
        (
            "cough-and-cold",
            lambda d, r: _drop_wording(r["redFlags"][0], "child"),
            ("red flag rf-cough-blood", "no child wording"),
        ),
        (
            "cough-and-cold",
            lambda d, r: _set_wording(r["redFlags"][0], "other-adult", "Are you coughing up blood?"),
            ("red flag rf-cough-blood", "other-adult wording says 'you'"),
        ),
        (
            "back-pain",
            lambda d, r: _drop_wording(find(d, "pain-score")["item"][0], "child"),
            ("item pain-score hint", "no child wording"),
        ),
        (
            "back-pain",
            lambda d, r: find(d, "daily-life")["answerOption"][1].pop("extension"),
            ("item daily-life option a-lot", "no child wording"),
        ),
        (
            "back-pain",
            lambda d, r: _set_wording(find(d, "daily-life")["answerOption"][1], "child", "A lot, but I can manage"),
            ("item daily-life option a-lot", "child wording says"),
        ),
        (
            "letter-or-form",
            lambda d, r: _drop_wording(find(d, "fees"), "other-adult"),
            ("item fees", "no other-adult wording"),
        ),
    ],
)
def test_validate_refuses_a_topic_without_the_wording_for_someone_else(topic_id, change, words):
    problems = broken(topic_id, change)
    assert has(problems, *words), problems


def test_an_information_page_may_speak_to_the_reader():
    """A display page is read by whoever fills the form in: "The practice will tell you..." is
    right for every subject, so only its presence is required, not a name."""
    assert broken("letter-or-form", lambda d, r: _set_wording(find(d, "fees"), "child", find(d, "fees")["text"])) == []


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d, r: d.update(anima={"kind": "medical"}), ("not a FHIR R4 Questionnaire", "anima")),
        (
            lambda d, r: find(d, "leg-pain").update(anima={"hint": "Old style"}),
            ("not a FHIR R4 Questionnaire", "anima"),
        ),
        (
            lambda d, r: find(d, "pain-score")["extension"].append(
                {"url": "http://hl7.org/fhir/StructureDefinition/minValu", "valueInteger": 1}
            ),
            ("item pain-score", "unknown extension"),
        ),
        (
            lambda d, r: find(d, "leg-pain")["extension"].append({"url": q.DATE_LIMIT_URL, "valueCode": "not-future"}),
            ("item leg-pain", "date-limit"),
        ),
        (
            lambda d, r: find(d, "pain-score")["item"].append(copy.deepcopy(find(d, "pain-score")["item"][0])),
            ("pain-score", "one hint"),
        ),
        (lambda d, r: r.clear(), ("rules file back-pain.rules.json is missing",)),
    ],
)
def test_validate_refuses_what_is_not_fhir_or_not_known(change, words):
    assert has(broken("back-pain", change), *words), broken("back-pain", change)


def test_item_settings_are_read_from_the_standard_extensions():
    score = item("back-pain", "pain-score")
    assert (score.min, score.max, score.unit) == (0, 10, "out of 10")
    assert score.hint.startswith("0 is no pain") and score.hint_id == "pain-score-hint"
    assert "Lily" in score.hint_for(q.Wording("child", "Lily"))
    assert item("fit-note", "off-since").not_future and item("letter-or-form", "needed-by").not_past
    assert "pain-score-hint" not in {n.link_id for n in topic("back-pain").nodes}  # a hint is not a page


def test_the_shared_red_flags_have_every_wording_and_an_intro():
    assert q.validate_shared(SHARED) == []
    broken_shared = copy.deepcopy(SHARED)
    _drop_wording(broken_shared["general"][0], "other-adult")
    broken_shared["child"][0]["extension"] = []
    broken_shared["intro"]["extension"] = []
    problems = q.validate_shared(broken_shared)
    assert has(problems, "rf-chest-pain", "no other-adult wording")
    assert has(problems, "rf-child-floppy", "no child wording")
    assert has(problems, "intro", "no child wording")
    assert q.shared_intro(None) == "" and q.shared_intro(q.Wording()) == ""
    assert (
        q.shared_intro(q.Wording("other-adult", "Edna"))
        == "These questions are about Edna. Answer for Edna, not for yourself."
    )


def test_a_rules_file_without_its_topic_is_refused(tmp_path: Path):
    for path in DIRECTORY.glob("*.json"):
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "gone.rules.json").write_text("{}", encoding="utf-8")
    with pytest.raises(q.QuestionnaireError) as caught:
        q.load_directory(tmp_path)
    assert caught.value.problems == ["gone.rules.json: rules for a topic that does not exist"]
