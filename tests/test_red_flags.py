"""Red flags held to NHS guidance (issue 9, item 3; docs/clinical-safety/hazard-log.md HAZ-010 to
HAZ-029): every red flag added or changed gives the advice the guidance names for it, at the ages
it applies to; every advice that applies is shown, most urgent first, each starting with the
generic advice for its code worded for the person; the emergency screen comes in short pages,
each needing "None of these" when nothing applies; the triage rules that close the review's
"urgent GP or 111" gaps. No database, no browser.

The tables are written out by hand from the review and the NHS pages it cites (not read back from
the topic files), so a flag whose advice, age or wording drifts fails here.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import replace

import pytest

from anima_pwa.services import questionnaires as q
from anima_pwa.services.questionnaires.model import flag_window
from anima_pwa.services.questionnaires.parsing import red_flag_from
from anima_pwa.services.questionnaires.wording_checks import wordings_needed_for

SHARED = json.loads((q.QUESTIONNAIRE_DIR / "_red_flags.json").read_text(encoding="utf-8"))
ADULT, CHILD_6, BABY_2M = 480, 72, 2  # ages in months: 40 years, 6 years, 2 months
YOU = re.compile(r"\b(you|your|yourself)\b", re.IGNORECASE)


def topic(topic_id: str) -> q.Topic:
    found = q.get(topic_id)
    assert found is not None, topic_id
    return found


def flag_in(t: q.Topic, link_id: str) -> q.RedFlag:
    return next(f for f in t.red_flags if f.link_id == link_id)


# ---------------------------------------------------------------------------------------------
# Every red flag added or changed: (topic it is asked in, linkId, an age it is asked at, the
# advice shown, most urgent first). The review's row it closes is in the hazard log's gap table.
# ---------------------------------------------------------------------------------------------

FLAGS = [
    # General list (asked before every medical topic)
    ("headache", "rf-chest-pain-other", ADULT, ["999"]),
    ("headache", "rf-breathing-fast", ADULT, ["999"]),
    ("headache", "rf-stroke-other", ADULT, ["999"]),
    ("headache", "rf-confused", ADULT, ["999"]),
    ("headache", "rf-confused", CHILD_6, ["999"]),
    ("headache", "rf-neck-light", ADULT, ["999"]),
    ("headache", "rf-rash", ADULT, ["999"]),
    ("headache", "rf-rash", BABY_2M, ["999"]),
    ("headache", "rf-colour", ADULT, ["999"]),
    ("headache", "rf-colour", CHILD_6, ["999"]),
    ("headache", "rf-injury", ADULT, ["999"]),
    ("headache", "rf-suicide", ADULT, ["999", "crisis"]),
    ("headache", "rf-self-harm", ADULT, ["999", "crisis"]),
    ("headache", "rf-self-harm", CHILD_6, ["999", "crisis"]),
    ("headache", "rf-suicidal-thoughts", ADULT, ["crisis"]),
    ("headache", "rf-suicidal-thoughts", 180, ["crisis"]),
    ("headache", "rf-cannot-wait", ADULT, ["111"]),
    # Child list
    ("cough-and-cold", "rf-child-light", CHILD_6, ["999"]),
    ("cough-and-cold", "rf-child-cold", CHILD_6, ["999"]),
    ("cough-and-cold", "rf-child-fontanelle", BABY_2M, ["999"]),
    ("cough-and-cold", "rf-child-fontanelle", 23, ["999"]),
    ("cough-and-cold", "rf-child-not-feeding", BABY_2M, ["999"]),
    ("cough-and-cold", "rf-child-not-feeding", 59, ["999"]),
    ("cough-and-cold", "rf-child-green-vomit", CHILD_6, ["999"]),
    ("cough-and-cold", "rf-child-fever-under-3-months", BABY_2M, ["111"]),
    ("cough-and-cold", "rf-child-no-urine", 3, ["111"]),
    ("cough-and-cold", "rf-baby-no-urine", BABY_2M, ["111"]),
    ("cough-and-cold", "rf-child-dehydrated", CHILD_6, ["111"]),
    # Child with a fever
    ("child-fever", "rf-fever-3-to-6-months", 4, ["111"]),
    # Tummy pain
    ("abdominal-pain", "rf-abdo-sudden", ADULT, ["999"]),
    ("abdominal-pain", "rf-abdo-blood", ADULT, ["999"]),
    ("abdominal-pain", "rf-abdo-touch", ADULT, ["999"]),
    ("abdominal-pain", "rf-abdo-blocked", ADULT, ["999"]),
    ("abdominal-pain", "rf-abdo-diabetes", ADULT, ["999"]),
    ("abdominal-pain", "rf-abdo-testicle", CHILD_6, ["999"]),
    ("abdominal-pain", "rf-abdo-testicle", ADULT, ["999"]),
    ("abdominal-pain", "rf-abdo-pregnant-severe", ADULT, ["999"]),
    ("abdominal-pain", "rf-abdo-pregnant-severe", 132, ["999"]),
    ("abdominal-pain", "rf-abdo-pregnant", ADULT, ["111"]),
    ("abdominal-pain", "rf-abdo-pregnant-bleeding", ADULT, ["111"]),
    # Back pain (cauda equina, cord compression)
    ("back-pain", "rf-back-nerves", ADULT, ["999"]),
    ("back-pain", "rf-back-peeing", ADULT, ["999"]),
    ("back-pain", "rf-back-both-legs", ADULT, ["999"]),
    ("back-pain", "rf-back-chest", ADULT, ["999"]),
    ("back-pain", "rf-back-injury", ADULT, ["999"]),
    ("back-pain", "rf-back-cancer-legs", ADULT, ["999"]),
    # Contraception (blood clots)
    ("contraception", "rf-emergency-contraception", ADULT, ["111"]),
    ("contraception", "rf-contraception-clot", ADULT, ["111"]),
    ("contraception", "rf-contraception-clot-lungs", ADULT, ["999"]),
    # Cough and cold
    ("cough-and-cold", "rf-cough-blood-lots", ADULT, ["999"]),
    ("cough-and-cold", "rf-cough-stridor", CHILD_6, ["999"]),
    # Diarrhoea and vomiting
    ("diarrhoea-and-vomiting", "rf-dv-poison", CHILD_6, ["999"]),
    ("diarrhoea-and-vomiting", "rf-dv-sudden-pain", ADULT, ["999"]),
    ("diarrhoea-and-vomiting", "rf-dv-diabetes", ADULT, ["999"]),
    ("diarrhoea-and-vomiting", "rf-dv-fluids", ADULT, ["111"]),
    ("diarrhoea-and-vomiting", "rf-dv-bloody", ADULT, ["111"]),
    # Feeling low or anxious
    ("feeling-low-or-anxious", "rf-psychosis", ADULT, ["crisis"]),
    ("feeling-low-or-anxious", "rf-harm-others", ADULT, ["crisis"]),
    # Headache
    ("headache", "rf-headache-injury", ADULT, ["999"]),
    ("headache", "rf-headache-neck", ADULT, ["999"]),
    ("headache", "rf-headache-fever", ADULT, ["999"]),
    ("headache", "rf-headache-speech-memory", ADULT, ["999"]),
    ("headache", "rf-headache-vision", ADULT, ["999"]),
    ("headache", "rf-headache-red-eye", ADULT, ["999"]),
    ("headache", "rf-headache-numb", ADULT, ["111"]),
    ("headache", "rf-headache-child-999", CHILD_6, ["999"]),
    ("headache", "rf-headache-child-111", CHILD_6, ["111"]),
    # Joint or muscle pain
    ("joint-or-muscle-pain", "rf-joint-sudden", ADULT, ["111"]),
    ("joint-or-muscle-pain", "rf-joint-child-limp", CHILD_6, ["111"]),
    ("joint-or-muscle-pain", "rf-joint-dvt", ADULT, ["111"]),
    ("joint-or-muscle-pain", "rf-joint-dvt-lungs", ADULT, ["999"]),
    ("joint-or-muscle-pain", "rf-joint-gca", 660, ["111"]),
    ("joint-or-muscle-pain", "rf-joint-injury", CHILD_6, ["111"]),
    # Medication question
    ("medication-question", "rf-overdose", ADULT, ["111"]),
    # New lump
    ("new-lump", "rf-lump-testicle", 180, ["999"]),
    ("new-lump", "rf-lump-swallow", ADULT, ["999"]),
    ("new-lump", "rf-lump-hernia", ADULT, ["999"]),
    # Skin
    ("skin-problem", "rf-skin-cellulitis", ADULT, ["111"]),
    ("skin-problem", "rf-skin-eye", CHILD_6, ["111"]),
    ("skin-problem", "rf-skin-worse-fast", ADULT, ["111"]),
    # Sore throat
    ("sore-throat", "rf-throat-worse", ADULT, ["999"]),
    ("sore-throat", "rf-throat-mouth", CHILD_6, ["999"]),
    # Urinary symptoms
    ("urinary-symptoms", "rf-cannot-pee", ADULT, ["999"]),
    ("urinary-symptoms", "rf-urinary-no-pee", ADULT, ["111"]),
    ("urinary-symptoms", "rf-urinary-testicle", CHILD_6, ["999"]),
    # Admin: a medicine that must not be missed
    ("prescription-question", "rf-critical-medicine", ADULT, ["111"]),
]


@pytest.mark.parametrize(("topic_id", "link_id", "age", "advice"), FLAGS, ids=lambda v: str(v))
def test_each_red_flag_answered_yes_gives_its_advice_most_urgent_first(topic_id, link_id, age, advice):
    t = topic(topic_id)
    child = age < q.CHILD_UNDER_MONTHS
    asked = {f.link_id: f for f in q.red_flags_for(t, is_child=child, age_months=age)}
    assert link_id in asked, f"{link_id} is not asked at {age} months"
    answers = {f: False for f in asked} | {link_id: True}
    assert q.emergency_advice(answers, t) == advice[0]
    assert q.emergency_advice(answers) == advice[0]
    shown = q.advice_list(q.triggered_red_flags(answers, t))
    assert [a.code for a in shown] == advice
    assert q.ends_request(q.triggered_red_flags(answers, t)) is (advice[0] != "crisis")
    # The flag is on exactly one page of the emergency screen, a page of at most 5.
    pages = q.red_flag_pages(t, list(asked.values()), is_child=child)
    assert sum(f.link_id == link_id for page in pages for f in page) == 1
    assert all(1 <= len(page) <= q.MAX_FLAGS_PER_PAGE for page in pages)


@pytest.mark.parametrize(
    ("topic_id", "link_id", "asked_at", "not_asked_at"),
    [
        ("cough-and-cold", "rf-child-fontanelle", [0, 23], [24, CHILD_6, ADULT]),  # babies' soft spot
        ("cough-and-cold", "rf-child-not-feeding", [0, 59], [60, 100]),  # "a baby or young child"
        ("cough-and-cold", "rf-child-fever-under-3-months", [0, 2], [3, CHILD_6]),
        ("cough-and-cold", "rf-baby-no-urine", [0, 2], [3, CHILD_6]),  # 8 hours under 3 months ...
        ("cough-and-cold", "rf-child-no-urine", [3, CHILD_6, 191], [0, 2, 192]),  # ... 12 hours from 3 months
        ("child-fever", "rf-fever-3-to-6-months", [3, 5], [2, 6]),
        (
            "abdominal-pain",
            "rf-abdo-pregnant",
            [120, ADULT],
            [0, CHILD_6, 119],
        ),  # no pregnancy questions for young children
        ("abdominal-pain", "rf-abdo-pregnant-severe", [120, ADULT], [CHILD_6, 119]),
        ("abdominal-pain", "rf-abdo-pregnant-bleeding", [120, ADULT], [CHILD_6, 119]),
        ("headache", "rf-suicide", [60, ADULT], [0, 59]),  # thoughts of suicide: not asked of babies
        ("headache", "rf-suicidal-thoughts", [60, ADULT], [0, 59]),
        ("headache", "rf-headache-child-999", [0, 143], [144, ADULT]),  # the NHS's "child under 12"
        ("headache", "rf-headache-child-111", [0, 143], [144, ADULT]),
        ("headache", "rf-breathing-fast", [192, ADULT], [0, 191]),  # children: rf-child-breathing
        ("joint-or-muscle-pain", "rf-joint-gca", [600, 900], [599, ADULT]),  # PMR/GCA: over 50
        (
            "abdominal-pain",
            "rf-abdo-testicle",
            [0, CHILD_6, ADULT],
            [],
        ),  # anyone (worded so only someone with testicles says yes)
    ],
)
def test_age_limited_red_flags_are_asked_only_at_their_ages(topic_id, link_id, asked_at, not_asked_at):
    t = topic(topic_id)
    for age in asked_at:
        assert link_id in [f.link_id for f in q.red_flags_for(t, is_child=age < 192, age_months=age)], age
    for age in not_asked_at:
        assert link_id not in [f.link_id for f in q.red_flags_for(t, is_child=age < 192, age_months=age)], age


# ---------------------------------------------------------------------------------------------
# Several flags at once: every advice, most urgent first, each starting with its generic advice
# ---------------------------------------------------------------------------------------------

COMBINATIONS = [
    (
        ["rf-chest-pain", "rf-suicide"],
        ["999", "crisis"],
    ),  # chest pain and thoughts of suicide: 999 first, crisis lines too
    (["rf-chest-pain", "rf-suicidal-thoughts"], ["999", "crisis"]),
    (["rf-chest-pain", "rf-cannot-wait"], ["999", "111"]),
    (["rf-cannot-wait", "rf-suicidal-thoughts"], ["111", "crisis"]),
    (["rf-suicidal-thoughts", "rf-cannot-wait", "rf-stroke"], ["999", "111", "crisis"]),
    (["rf-suicide", "rf-self-harm", "rf-suicidal-thoughts"], ["999", "crisis"]),
    (["rf-suicidal-thoughts"], ["crisis"]),
    (["rf-stroke", "rf-headache-injury"], ["999"]),
]


@pytest.mark.parametrize(("ticked", "advice"), COMBINATIONS)
def test_every_advice_that_applies_is_shown_most_urgent_first(ticked, advice):
    t = topic("headache")
    raised = q.triggered_red_flags({link_id: True for link_id in ticked}, t)
    shown = q.advice_list(raised)
    assert [a.code for a in shown] == advice
    for item in shown:
        assert item.body.startswith(q.ADVICE[item.code].body), item  # the generic advice first
        assert item.title == q.ADVICE[item.code].title
    assert [label for a in shown for label, _ in a.calls].count("Call 999") <= 1  # a number is offered once
    if "crisis" in advice:
        crisis = shown[-1]
        assert "116 123" in crisis.body and "option 2" in crisis.body
        assert ("Call Samaritans on 116 123", "tel:116123") in crisis.calls


def test_a_flag_message_follows_the_generic_advice_and_is_worded_for_the_person():
    t = topic("contraception")
    ec = flag_in(t, "rf-emergency-contraception")
    cannot_wait = flag_in(t, "rf-cannot-wait")
    [shown] = q.advice_list([ec, cannot_wait])
    assert shown.body.startswith(q.ADVICE["111"].body) and "emergency contraception" in shown.body
    [edna] = q.advice_list([ec], q.Wording("other-adult", "Edna"))
    assert (
        edna.body.startswith("Edna needs medical help today") and "Edna may need emergency contraception" in edna.body
    )


@pytest.mark.parametrize(
    ("code", "self_start", "child_start"),
    [
        (
            "999",
            "Your answers suggest you may need emergency help.",
            "Your answers suggest Lily may need emergency help. Call 999 now, or take Lily to A&E.",
        ),
        ("111", "You need medical help today", "Lily needs medical help today"),
        ("crisis", "If you feel you might act", "If Lily might act on thoughts of ending their life"),
    ],
)
def test_the_advice_is_worded_for_the_person_the_request_is_about(code, self_start, child_start):
    flag = q.RedFlag("rf-x", "Do you?", code)
    [own] = q.advice_list([flag])
    [lily] = q.advice_list([flag], q.Wording("child", "Lily"))
    assert own.body.startswith(self_start)
    assert lily.body.startswith(child_start) and "you may" not in lily.body and "your request" not in lily.body


def test_every_flag_message_has_the_wording_for_everyone_the_flag_is_asked_about():
    for t in q.load_all().values():
        for flag in t.red_flags:
            if not flag.message:
                continue
            for code in wordings_needed_for(flag, t.audience):
                said = flag.message_for(q.Wording(code, "Lily"))
                assert "Lily" in said and not YOU.search(said.replace("Do not wait", "")), (
                    t.id,
                    flag.link_id,
                    code,
                    said,
                )


# ---------------------------------------------------------------------------------------------
# The emergency screen's pages
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("topic_id", sorted(t.id for t in q.load_all().values() if t.red_flags))
@pytest.mark.parametrize("age", [0, 2, 4, 30, 72, 130, 180, 192, 480, 660])
def test_every_page_has_at_most_five_questions_and_every_question_is_on_one_page(topic_id, age):
    t = topic(topic_id)
    child = age < q.CHILD_UNDER_MONTHS
    if (t.audience == "child" and not child) or (t.audience == "adult" and child):
        return
    flags = q.red_flags_for(t, is_child=child, age_months=age)
    pages = q.red_flag_pages(t, flags, is_child=child)
    on_pages = [f.link_id for page in pages for f in page]
    assert sorted(on_pages) == sorted(f.link_id for f in flags)
    assert all(1 <= len(page) <= q.MAX_FLAGS_PER_PAGE for page in pages)
    if child and t.kind == "medical":
        assert pages[0][0].group == q.CHILD_GROUP  # a child's own questions come first


def test_every_red_flag_is_asked_of_someone():
    """Reachability: each flag of each topic is on a page at some age the topic is for."""
    for t in q.load_all().values():
        asked = set()
        for age in range(0, 1200, 1):
            child = age < q.CHILD_UNDER_MONTHS
            if (t.audience == "child" and not child) or (t.audience == "adult" and child):
                continue
            asked |= {
                f.link_id
                for p in q.red_flag_pages(t, q.red_flags_for(t, is_child=child, age_months=age), is_child=child)
                for f in p
            }
        askable = {f.link_id for f in t.red_flags if flag_window(f, t.audience)[0] < flag_window(f, t.audience)[1]}
        assert asked == askable, (t.id, askable - asked)
        assert askable >= {f.link_id for f in t.red_flags if f.source == t.id}  # a topic's own: every one


# ---------------------------------------------------------------------------------------------
# The validator: every flag well-formed and askable
# ---------------------------------------------------------------------------------------------


def _shared_with(change) -> list[str]:
    shared = copy.deepcopy(SHARED)
    change(shared)
    return q.validate_shared(shared)


def _flag(shared: dict, link_id: str) -> dict:
    return next(f for f in shared["general"] + shared["child"] if f["linkId"] == link_id)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda s: _flag(s, "rf-rash").update(advice="112"), ("rf-rash", "advice must be one of")),
        (lambda s: _flag(s, "rf-suicide").update(also=["999"]), ("rf-suicide", "also must name other advice")),
        (lambda s: _flag(s, "rf-suicide").update(also=["samaritans"]), ("rf-suicide", "also must name other advice")),
        (lambda s: _flag(s, "rf-rash").update(group="lungs"), ("rf-rash", "group 'lungs'")),
        (lambda s: _flag(s, "rf-rash").pop("group"), ("rf-rash", "group ''")),
        (lambda s: _flag(s, "rf-child-fontanelle").update(minAgeMonths=200), ("rf-child-fontanelle", "unreachable")),
        (lambda s: _flag(s, "rf-rash").update(minAgeMonths=30, maxAgeMonths=30), ("rf-rash", "unreachable")),
        (lambda s: _flag(s, "rf-rash").update(maxAgeMonths="soon"), ("rf-rash", "maxAgeMonths")),
        (lambda s: _flag(s, "rf-breathing-fast").update(maxAgeMonths=100), ("rf-breathing-fast", "unreachable")),
        (
            lambda s: _flag(s, "rf-cannot-wait").update(message="Call 111 if you feel worse."),
            ("rf-cannot-wait message", "no child wording"),
        ),
        (lambda s: s["general"].append(copy.deepcopy(s["general"][0])), ("rf-chest-pain", "used twice")),
        (lambda s: s.update(groupOrder=["heart-lungs", "brain"]), ("groupOrder",)),
        (lambda s: _flag(s, "rf-child-light").update(group="body"), ("rf-child-light", "child list sets no group")),
    ],
)
def test_validate_shared_catches(change, words):
    problems = _shared_with(change)
    assert any(all(w in p for w in words) for p in problems), problems


def test_a_child_only_flag_needs_only_the_child_wording_and_an_adult_only_one_the_other():
    assert q.validate_shared(SHARED) == []
    assert wordings_needed_for(red_flag_from(_flag(SHARED, "rf-breathing-fast"), "shared")) == ["other-adult"]
    baby = replace(red_flag_from(_flag(SHARED, "rf-child-fontanelle"), "shared"), audience="child")
    assert wordings_needed_for(baby) == ["child"]
    assert wordings_needed_for(red_flag_from(_flag(SHARED, "rf-rash"), "shared")) == ["child", "other-adult"]


def test_validate_catches_a_topic_red_flag_that_can_never_be_asked():
    data = json.loads((q.QUESTIONNAIRE_DIR / "child-fever.json").read_text(encoding="utf-8"))
    rules = json.loads((q.QUESTIONNAIRE_DIR / "child-fever.rules.json").read_text(encoding="utf-8"))
    rules["redFlags"][0]["minAgeMonths"] = 300  # a child-only topic: no one is 25
    rules["redFlags"][0]["group"] = "heart-lungs"
    problems = q.validate(q.topic_from_dict(data, rules=rules, shared=SHARED))
    assert any("rf-fever-3-to-6-months" in p and "unreachable" in p for p in problems), problems
    assert any("rf-fever-3-to-6-months" in p and "topic's page" in p for p in problems), problems


def test_validate_catches_an_age_rule_that_matches_no_one():
    data = json.loads((q.QUESTIONNAIRE_DIR / "child-fever.json").read_text(encoding="utf-8"))
    rules = json.loads((q.QUESTIONNAIRE_DIR / "child-fever.rules.json").read_text(encoding="utf-8"))
    rules["triage"]["rules"].append({"when": [{"ageAtLeastYears": 65}], "urgency": "routine", "team": "gp"})
    problems = q.validate(q.topic_from_dict(data, rules=rules, shared=SHARED))
    assert any("age condition matches no one" in p for p in problems), problems


# ---------------------------------------------------------------------------------------------
# Triage rules that close the review's "urgent GP or 111" and "see a GP" gaps
# ---------------------------------------------------------------------------------------------


def answered(t: q.Topic, overrides: dict) -> dict:
    """Every question answered with its quietest answer (no, first option, lowest number), then
    the overrides."""
    answers: dict = {}
    for item in t.questions:
        if item.type == "boolean":
            answers[item.link_id] = False
        elif item.type == "choice":
            answers[item.link_id] = item.options[0].code
        elif item.type == "integer":
            answers[item.link_id] = item.min if item.min is not None else 0
        elif item.type in ("string", "text"):
            answers[item.link_id] = "words"
    return answers | overrides


QUIET = {  # answers that meet no rule, so each row below is about its own answers
    "abdominal-pain": {"where": "upper", "duration": "under-2-days"},
    "back-pain": {"daily-life": "a-little"},
    "cough-and-cold": {"duration": "under-1-week", "trend": "better"},
    "diarrhoea-and-vomiting": {"which": "diarrhoea", "duration": "under-2-days", "blood-in-poo": False},
    "headache": {"duration": "under-1-week", "painkiller-days": "none"},
    "joint-or-muscle-pain": {"where": "knee"},
    "new-lump": {"where": "skin", "duration": "under-2-weeks", "size": "same"},
    "skin-problem": {"problem": "rash", "where": "body"},
    "sore-throat": {"duration": "under-1-week"},
    "urinary-symptoms": {"pregnant": "no", "duration": "under-2-days"},
    "child-fever": {"temperature": "under-38", "duration": "under-1-day"},
}

RULES = [
    ("abdominal-pain", {"worse-quickly": True}, ADULT, "urgent_today", "much worse quickly"),
    ("abdominal-pain", {"swallowing": True}, ADULT, "within_two_days", "swallowing"),
    ("back-pain", {"fever-or-weight-loss": True}, ADULT, "urgent_today", "High temperature or weight loss"),
    ("back-pain", {"serious-signs": True}, ADULT, "urgent_today", "night pain"),
    ("back-pain", {"cancer-history": True}, ADULT, "urgent_today", "history of cancer"),
    ("back-pain", {"risk-factors": True}, ADULT, "urgent_today", "Osteoporosis"),
    ("child-fever", {"not-coming-down": True}, CHILD_6, "urgent_today", "not coming down"),
    ("child-fever", {"other-signs": True}, CHILD_6, "urgent_today", "rigors"),
    ("child-fever", {"breathing-faster": True}, CHILD_6, "urgent_today", "nostrils flaring"),
    ("cough-and-cold", {"very-unwell": True}, ADULT, "urgent_today", "very unwell"),
    ("cough-and-cold", {"trend": "worse"}, ADULT, "within_two_days", "getting worse"),
    ("cough-and-cold", {"chest-hurts": True}, ADULT, "within_two_days", "Chest pain"),
    ("cough-and-cold", {"long-term-condition": True}, ADULT, "within_two_days", "weakened immune system"),
    ("cough-and-cold", {"weight-loss": True}, ADULT, "within_two_days", "weight"),
    ("cough-and-cold", {"neck-glands": True}, ADULT, "within_two_days", "glands"),
    ("diarrhoea-and-vomiting", {}, 6, "urgent_today", "baby under 12 months"),
    ("diarrhoea-and-vomiting", {}, 12, "within_two_days", ""),
    (
        "diarrhoea-and-vomiting",
        {"which": "vomiting", "duration": "2-to-7-days", "keeping-fluids-down": True},
        ADULT,
        "urgent_today",
        "Vomiting for more than 2 days",
    ),
    ("diarrhoea-and-vomiting", {"duration": "over-7-days"}, ADULT, "urgent_today", "more than 7 days"),
    ("headache", {"memory-personality": True}, ADULT, "urgent_today", "personality"),
    ("headache", {"fever": True, "new-or-different": True}, ADULT, "urgent_today", "high temperature"),
    ("headache", {"worse-morning": True}, ADULT, "urgent_today", "coughing, straining"),
    ("joint-or-muscle-pain", {"fever": True}, ADULT, "urgent_today", "septic arthritis"),
    ("joint-or-muscle-pain", {"colour-change": True}, ADULT, "urgent_today", "changed colour"),
    ("joint-or-muscle-pain", {"swelling": True}, ADULT, "urgent_today", "Swelling"),
    ("joint-or-muscle-pain", {"where": "calf-thigh"}, ADULT, "urgent_today", "DVT"),
    ("new-lump", {"where": "collarbone"}, ADULT, "within_two_days", "collarbone"),
    ("new-lump", {"duration": "2-to-6-weeks"}, ADULT, "within_two_days", "2 weeks"),
    ("new-lump", {"painful": True}, ADULT, "within_two_days", "painful"),
    ("new-lump", {"red-hot": True}, ADULT, "within_two_days", "red or hot"),
    ("new-lump", {"grown-back": True}, ADULT, "within_two_days", "grown back"),
    ("skin-problem", {"problem": "shingles"}, ADULT, "urgent_today", "shingles"),
    ("sore-throat", {"fever": True}, ADULT, "within_two_days", "temperature"),
    ("sore-throat", {"frequent": True}, ADULT, "within_two_days", "Frequent"),
    ("urinary-symptoms", {"low-temperature": True}, ADULT, "urgent_today", "below 36"),
    ("urinary-symptoms", {"sick": True}, ADULT, "urgent_today", "being sick"),
    ("urinary-symptoms", {"blood": True}, ADULT, "urgent_today", "Blood in urine"),
    ("urinary-symptoms", {}, 2, "urgent_today", "NICE NG224"),
    ("urinary-symptoms", {}, 120, "within_two_days", "A child"),
    ("urinary-symptoms", {}, 70 * 12, "within_two_days", "older person"),
    ("urinary-symptoms", {}, ADULT, "within_two_days", ""),
]


@pytest.mark.parametrize(("topic_id", "overrides", "age", "urgency", "reason"), RULES, ids=lambda v: str(v))
def test_the_triage_rules_that_close_the_reviews_gaps(topic_id, overrides, age, urgency, reason):
    t = topic(topic_id)
    answers = answered(t, QUIET.get(topic_id, {}) | overrides)
    result = q.triage(t, answers, age_months=age)
    assert result.urgency == urgency, result
    assert reason in result.reason, result.reason
    if not reason:
        assert result.reason == t.default_reason


def test_an_age_rule_needs_the_age():
    t = topic("diarrhoea-and-vomiting")
    answers = answered(t, QUIET["diarrhoea-and-vomiting"])
    assert q.triage(t, answers).urgency == "within_two_days"  # no age: the rule cannot hold
    assert q.triage(t, answers, age_months=11).urgency == "urgent_today"


def test_a_crisis_flag_makes_a_request_urgent_and_says_why_first():
    t = topic("headache")
    answers = answered(t, QUIET["headache"]) | {"rf-suicidal-thoughts": True}
    result = q.triage(t, answers)
    assert (result.urgency, result.red_flags) == ("urgent_today", ("rf-suicidal-thoughts",))
    assert result.reason == "The patient was shown the mental health crisis lines"
    assert result.summary_lines[0].startswith(
        "Crisis lines shown (NHS 111 option 2, Samaritans 116 123, 999 if in danger)"
    )
    # Already urgent for another reason: that reason stays, the crisis line still comes first.
    result = q.triage(t, answers | {"worse-morning": True})
    assert result.urgency == "urgent_today" and "coughing, straining" in result.reason
    assert result.summary_lines[0].startswith("Crisis lines shown")


@pytest.mark.parametrize(
    ("born", "today", "months"),
    [
        ("2025-01-31", "2025-02-28", 0),
        ("2025-01-15", "2025-02-14", 0),
        ("2025-01-15", "2025-02-15", 1),
        ("2024-02-29", "2025-02-28", 11),
        ("2025-01-31", "2025-03-01", 1),
        ("2024-02-29", "2025-03-01", 12),
        ("2010-06-18", "2026-06-17", 191),
        ("2010-06-18", "2026-06-18", 192),
    ],
)
def test_age_in_whole_months(born, today, months):
    from datetime import date

    from anima_pwa.services.requests.subject import age_in_months

    assert age_in_months(date.fromisoformat(born), date.fromisoformat(today)) == months


def test_a_childs_fever_request_ends_with_a_four_hour_safety_net():
    """NICE NG143 amber features need a same-day assessment; Healthier Together: if 4 hours pass
    without speaking to the practice or 111, check again for the red features."""
    said = q.safety_net(topic("child-fever"), q.Wording("child", "Lily"))
    assert "within 4 hours" in said and "check Lily again" in said and "Call 999" in said
    assert q.safety_net(topic("headache"), q.Wording("child", "Lily")) == ""
    data = json.loads((q.QUESTIONNAIRE_DIR / "child-fever.json").read_text(encoding="utf-8"))
    rules = json.loads((q.QUESTIONNAIRE_DIR / "child-fever.rules.json").read_text(encoding="utf-8"))
    rules["safetyNet"]["extension"] = []
    problems = q.validate(q.topic_from_dict(data, rules=rules, shared=SHARED))
    assert any(p.startswith("safetyNet: no child wording") for p in problems), problems
