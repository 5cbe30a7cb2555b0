"""The patient's request wizard (services.requests) from "who is it for" to the reference number:
capacity checked before any question, one draft per account that survives signing in again, the
emergency screen, answers saved as they are given (with branching and red-flag answers), the pages
after the questions, submission (triage, reference, limits checked again) and "Your requests".

Capacity reads the clock, so ``platform.clock.utcnow`` is pinned to a ticking clock on a Wednesday at noon
in London, and the practice takes requests 00:00-23:59 every day unless a test is about hours.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from anima_pwa.models import (
    AccountPatient,
    CapacityCounter,
    ClosedDay,
    EmergencySignpost,
    Patient,
    Request,
    utcnow,
)
from anima_pwa.services import questionnaires
from anima_pwa.services.inbox import patient_view
from anima_pwa.services.patients import dependants
from anima_pwa.services.platform import clock as platform_clock
from anima_pwa.services.requests import (
    capacity,
    questions,
    rules,
    screening,
    subject,
    submission,
)
from anima_pwa.services.requests import drafts as draft_service
from tests.factories import (
    audit_events,
    count,
    identity_of,
    link,
    make_account,
    make_patient,
    self_account,
    valid_nhs_number,
)
from tests.request_world import (
    ALL_DAY,
    CHOOSE_TOPIC,
    CHOOSE_WHO,
    REFERENCE,
    TODAY,
    World,
    answer_questions,
    clean,
    counter,
    default_answer,
    drafts,
    fresh,
    pass_screen,
    screen,
    send,
    snapshot,
    start,
    to_check,
)

# The shared world and steps: tests/request_world.py (world and clock are fixtures from there).
pytestmark = pytest.mark.usefixtures("clock")


# --- check_start ----------------------------------------------------------------------------------


def test_check_start_refuses_an_unknown_kind(world: World) -> None:
    for kind in ["", "urgent", "MEDICAL", " medical", "medical ", None, 1, ["medical"]]:
        refused = draft_service.StartOutcome.refused("Choose a medical or an admin request.")
        assert draft_service.check_start(world.db, world.me, patient_id=world.zoe.id, kind=kind) == refused, kind
        assert (
            draft_service.start_draft(world.db, world.me, patient_id=world.zoe.id, kind=kind, topic_id="headache")
            == refused
        )
    assert count(world.db, Request) == 0


def test_check_start_refuses_any_patient_the_account_does_not_hold_the_same_way(world: World) -> None:
    stranger = make_patient(world.db, world.practice, "No Account", nhs_number=valid_nhs_number("943476594"))
    refused = [
        world.sam.id, str(world.sam.id), stranger.id, "1 OR 1=1", f"{world.zoe.id} OR 1=1", True, False, -1, 0,
        -world.zoe.id, None, "", 10**12, 2**31 + world.zoe.id, float(world.zoe.id), [world.zoe.id], {"id": world.zoe.id},
    ]  # fmt: skip
    for patient_id in refused:
        for kind in draft_service.KINDS:
            outcome = draft_service.check_start(world.db, world.me, patient_id=patient_id, kind=kind)
            assert outcome == draft_service.StartOutcome.refused(CHOOSE_WHO), patient_id
            started = draft_service.start_draft(
                world.db, world.me, patient_id=patient_id, kind=kind, topic_id="fit-note"
            )
            assert started == draft_service.StartOutcome.refused(CHOOSE_WHO), patient_id
    # Sam's own id works for Sam, and a string id from the browser works for its holder.
    assert draft_service.check_start(world.db, world.other, patient_id=world.sam.id, kind="medical").ok
    assert draft_service.check_start(world.db, world.me, patient_id=str(world.leo.id), kind="medical").ok
    # The same account id acting as staff holds nobody.
    staff = replace(world.me, kind="staff")
    assert draft_service.check_start(world.db, staff, patient_id=world.zoe.id, kind="medical").error == CHOOSE_WHO
    assert count(world.db, Request) == 0


WHY_NOT = [
    ("pending", date(2019, 1, 1), "not_needed", "Waiting for your practice to verify them"),
    ("rejected", date(2019, 1, 1), "not_needed", "Your practice could not verify them"),
    ("verified", date(2005, 1, 1), "pending", "Waiting for your practice to approve adding them (they are 16 or over)"),
    ("verified", date(2005, 1, 1), "rejected", "Your practice did not approve adding them"),
    ("verified", date(2005, 1, 1), "approved", ""),
    ("verified", date(2019, 1, 1), "not_needed", ""),
]


def test_check_start_gives_a_dependants_why_not(world: World) -> None:
    for number, (verification, dob, approval, expected) in enumerate(WHY_NOT):
        person = make_patient(world.db, world.practice, f"Ava Smith{'e' * number}", dob=dob, status=verification)
        link(world.db, self_account(world.db, world.zoe), person, "dependant", approval=approval)
        subject = next(s for s in dependants.request_subjects(world.db, world.me) if s.patient_id == person.id)
        assert subject.why_not == expected
        for kind in draft_service.KINDS:
            outcome = draft_service.check_start(world.db, world.me, patient_id=person.id, kind=kind)
            assert outcome.error == expected, (verification, approval)
            started = draft_service.start_draft(
                world.db, world.me, patient_id=person.id, kind=kind, topic_id=f"something-else-{kind}"
            )
            assert started.error == expected
        mine = [d.patient_id for d in drafts(world.db)]
        assert mine == ([] if expected else [person.id])  # (the admin draft replaced the medical one)
        for draft in drafts(world.db):
            world.db.delete(draft)


def test_check_start_gives_the_holders_own_why_not(world: World) -> None:
    world.zoe.verification_status = "pending"
    world.db.add(world.zoe)
    world.db.flush()
    outcome = draft_service.check_start(world.db, world.me, patient_id=world.zoe.id, kind="medical")
    assert outcome.error == "Waiting for your practice to verify you"


def _turned_off(w: World) -> None:
    w.settings(turned_off=True, turned_off_message="We are moving building")


def _closed_day(w: World) -> None:
    w.db.add(ClosedDay(practice_id=w.practice.id, day=TODAY, reason="Staff training"))


def _outside_hours(w: World) -> None:
    hours = json.loads(json.dumps(ALL_DAY))
    hours["medical"]["wed"] = ["13:00", "14:00"]
    hours["admin"]["wed"] = ["13:00", "14:00"]
    w.settings(hours=json.dumps(hours))


def _daily_limit(w: World) -> None:
    w.settings(daily_limit=3)
    w.db.add(CapacityCounter(practice_id=w.practice.id, day=TODAY, submitted=3))


def _open_request(w: World, patient: Patient, kind: str, status: str = "submitted") -> Request:
    row = Request(
        patient_id=patient.id, practice_id=patient.practice_id, kind=kind, topic=f"something-else-{kind}",
        status=status, submitted_at=utcnow(), reference=None,
    )  # fmt: skip
    w.db.add(row)
    w.db.flush()
    return row


def _active_limit(w: World) -> None:
    w.settings(active_limit=2)
    _open_request(w, w.sam, "medical")
    _open_request(w, w.sam, "admin", status="awaiting_patient")


def _patient_limit(w: World) -> None:
    _open_request(w, w.zoe, "medical")
    _open_request(w, w.zoe, "admin", status="assigned")


CAPACITY_CASES = [
    ("turned_off", _turned_off, "We are moving building."),
    ("closed_day", _closed_day, "Online requests are closed today (Staff training)."),
    ("outside_hours", _outside_hours, "It opens again today at 13:00."),
    ("daily_limit", _daily_limit, "limit of online requests for today"),
    ("active_limit", _active_limit, "as many open requests as it can safely handle"),
    ("patient_limit", _patient_limit, "You already have an open"),
]


@pytest.mark.parametrize(("reason", "arrange", "words"), CAPACITY_CASES, ids=[c[0] for c in CAPACITY_CASES])
def test_each_capacity_reason_is_given_before_any_draft_exists(world: World, reason, arrange, words) -> None:
    arrange(world)
    before = count(world.db, Request)
    for kind in draft_service.KINDS:
        available = rules.availability(
            world.db, practice_id=world.practice.id, kind=kind, patient_id=world.zoe.id, account_id=world.me.account_id
        )
        assert (available.open, available.reason) == (False, reason)
        outcome = draft_service.check_start(world.db, world.me, patient_id=world.zoe.id, kind=kind)
        assert outcome.error == available.message and words in outcome.error
        started = draft_service.start_draft(
            world.db, world.me, patient_id=world.zoe.id, kind=kind, topic_id=f"something-else-{kind}"
        )
        assert started.error == available.message and started.draft_id is None
    assert count(world.db, Request) == before and drafts(world.db) == []


def test_the_patient_limit_is_per_person_and_per_kind(world: World) -> None:
    _open_request(world, world.zoe, "medical")
    assert (
        "You already have an open medical request"
        in draft_service.check_start(world.db, world.me, patient_id=world.zoe.id, kind="medical").error
    )
    assert draft_service.check_start(world.db, world.me, patient_id=world.zoe.id, kind="admin").ok
    assert draft_service.check_start(world.db, world.me, patient_id=world.leo.id, kind="medical").ok
    _open_request(world, world.leo, "medical")
    assert (
        "Leo already has an open medical request"
        in draft_service.check_start(world.db, world.me, patient_id=world.leo.id, kind="medical").error
    )


def test_routine_only_after_the_cut_off_still_starts_with_a_warning(world: World) -> None:
    world.settings(routine_only_after="11:00")
    outcome = draft_service.check_start(world.db, world.me, patient_id=world.zoe.id, kind="medical")
    assert outcome.ok and outcome.routine_only and outcome.routine_message == rules.ROUTINE_ONLY
    started = draft_service.start_draft(
        world.db, world.me, patient_id=world.zoe.id, kind="medical", topic_id="cough-and-cold"
    )
    assert started.ok and started.routine_only and started.routine_message == rules.ROUTINE_ONLY


# --- start_draft ------------------------------------------------------------------------------------


def test_start_draft_makes_one_draft_and_replaces_the_accounts_earlier_one(world: World) -> None:
    first = start(world, "cough-and-cold")
    theirs = start(world, "fit-note", patient=world.sam, identity=world.other)
    assert [d.id for d in drafts(world.db)] == [first.id, theirs.id]
    assert (first.status, first.kind, first.topic, first.patient_id, first.account_id, first.practice_id) == (
        "draft", "medical", "cough-and-cold", world.zoe.id, world.me.account_id, world.practice.id,
    )  # fmt: skip
    second = start(world, "fit-note", patient=world.leo)
    mine = [d for d in drafts(world.db) if d.account_id == world.me.account_id]
    assert [d.id for d in mine] == [second.id] and second.id != first.id
    assert (second.kind, second.patient_id) == ("admin", world.leo.id)
    assert world.db.get(Request, theirs.id).status == "draft"  # the other account's draft is untouched
    # A submitted request is never replaced.
    sent = to_check(world, second)
    assert submission.submit(world.db, world.me, sent).ok
    third = start(world, "headache")
    assert (
        world.db.get(Request, sent.id).status == "submitted"
        and draft_service.draft_for(world.db, world.me).id == third.id
    )


BAD_TOPICS = [
    ("medical", "fit-note"),
    ("admin", "cough-and-cold"),
    ("admin", "something-else-medical"),
    ("medical", "something-else-admin"),
    ("medical", "no-such-topic"),
    ("medical", ""),
    ("medical", None),
    ("medical", 7),
    ("medical", "_red_flags"),
    ("medical", "../questionnaires/headache"),
    ("medical", "Headache"),
]


def test_start_draft_refuses_a_topic_not_in_the_list_for_that_kind(world: World) -> None:
    for kind, topic_id in BAD_TOPICS:
        outcome = draft_service.start_draft(world.db, world.me, patient_id=world.zoe.id, kind=kind, topic_id=topic_id)
        assert outcome == draft_service.StartOutcome.refused(CHOOSE_TOPIC), (kind, topic_id)
    assert count(world.db, Request) == 0


def test_start_draft_refuses_a_bad_topic_without_losing_the_earlier_draft(world: World) -> None:
    earlier = start(world, "headache")
    assert draft_service.start_draft(
        world.db, world.me, patient_id=world.zoe.id, kind="medical", topic_id="fit-note"
    ).error
    assert [d.id for d in drafts(world.db)] == [earlier.id]


def test_the_free_text_topics_follow_the_practice_switch(world: World) -> None:
    for kind in draft_service.KINDS:
        assert draft_service.start_draft(
            world.db, world.me, patient_id=world.zoe.id, kind=kind, topic_id=questionnaires.free_text_topic(kind).id
        ).ok
    world.settings(free_text_enabled=False)
    for kind in draft_service.KINDS:
        outcome = draft_service.start_draft(
            world.db, world.me, patient_id=world.zoe.id, kind=kind, topic_id=questionnaires.free_text_topic(kind).id
        )
        assert outcome.error == "Your practice has asked that requests use one of the topics in the list."
    assert [d.topic for d in drafts(world.db)] == ["something-else-admin"]  # the last allowed one, not replaced
    assert draft_service.start_draft(
        world.db, world.me, patient_id=world.zoe.id, kind="medical", topic_id="headache"
    ).ok


# --- resuming ---------------------------------------------------------------------------------------


def test_signing_in_again_resumes_the_newest_draft_where_it_was(world: World, engine: Engine) -> None:
    draft = start(world, "cough-and-cold")
    pass_screen(world, draft)
    assert questions.answer(world.db, world.me, draft, "duration", "1-to-3-weeks") == questions.AnswerOutcome()
    # An older draft of the same account (left by another worker): the newest one wins.
    world.db.add(
        Request(
            patient_id=world.leo.id, account_id=world.me.account_id, practice_id=world.practice.id, kind="admin",
            topic="fit-note", updated_at=utcnow() - timedelta(days=1), created_at=utcnow() - timedelta(days=1),
        )
    )  # fmt: skip
    world.db.commit()
    with Session(engine) as later:  # a new sign-in: a new session, nothing carried over
        resumed = draft_service.draft_for(later, world.me)
        assert resumed is not None and resumed.id == draft.id
        assert clean(draft_service.answers_of(resumed)) == {"_red_flags_checked": True, "duration": "1-to-3-weeks"}
        assert questions.current_step(later, resumed) == questions.Step("question", "fever", 2, 10)
        assert draft_service.draft_for(later, world.me, str(draft.id)).id == draft.id


def test_a_draft_older_than_seven_days_is_not_resumed(world: World, engine: Engine) -> None:
    draft = start(world, "headache")
    for age, found in [
        (timedelta(days=6, hours=23), True),
        (timedelta(days=7, minutes=1), False),
        (timedelta(days=30), False),
        (timedelta(0), True),
    ]:
        draft.updated_at = utcnow() - age
        world.db.add(draft)
        world.db.commit()
        with Session(engine) as later:
            assert (draft_service.draft_for(later, world.me) is not None) is found, age
            assert (draft_service.draft_for(later, world.me, draft.id) is not None) is found, age


def test_draft_for_never_returns_another_accounts_draft(world: World) -> None:
    theirs = start(world, "headache", patient=world.sam, identity=world.other)
    assert draft_service.draft_for(world.db, world.me) is None
    for key in (theirs.id, str(theirs.id), f"{theirs.id} OR 1=1", True, -1, 0, "", 1.0, [theirs.id]):
        assert draft_service.draft_for(world.db, world.me, key) is None, key
    mine = start(world, "fit-note")
    assert draft_service.draft_for(world.db, world.me).id == mine.id
    assert draft_service.draft_for(world.db, world.me, theirs.id) is None
    assert draft_service.draft_for(world.db, world.other).id == theirs.id
    # A sent request is not a draft.
    to_check(world, mine)
    assert submission.submit(world.db, world.me, mine).ok
    assert (
        draft_service.draft_for(world.db, world.me) is None
        and draft_service.draft_for(world.db, world.me, mine.id) is None
    )


# --- the emergency screen -----------------------------------------------------------------------------


def test_none_of_these_on_every_page_lets_the_questions_begin(world: World, engine: Engine) -> None:
    draft = start(world, "cough-and-cold")
    pages = screening.red_flag_pages(world.db, draft)
    assert questions.current_step(world.db, draft) == questions.Step("red_flags", number=1, total=len(pages))
    for number in range(1, len(pages) + 1):
        assert questions.current_step(world.db, draft) == questions.Step("red_flags", number=number, total=len(pages))
        outcome = screening.screen_red_flags(
            world.db, world.me, draft, ["not-a-flag", "rf-child-floppy", "duration"], none_of_these=True
        )
        assert outcome == screening.ScreenOutcome()
    world.db.commit()
    saved = fresh(engine, draft.id)
    assert saved.status == "draft" and clean(draft_service.answers_of(saved)) == {"_red_flags_checked": True}
    assert questions.current_step(world.db, saved) == questions.Step("question", "duration", 1, 10)
    assert count(world.db, EmergencySignpost) == 0 and audit_events(world.db, "emergency_signposted") == []


def test_an_admin_topic_without_red_flags_starts_with_its_questions(world: World) -> None:
    draft = start(world, "fit-note")
    assert screening.red_flags(world.db, draft) == []
    assert questions.current_step(world.db, draft) == questions.Step("question", "new-or-extension", 1, 4)


TICKS = [
    ("cough-and-cold", "zoe", ["rf-chest-pain"], ["999"]),
    ("cough-and-cold", "zoe", ["rf-cannot-wait"], ["111"]),
    ("cough-and-cold", "zoe", ["rf-cough-blood"], ["111"]),
    ("cough-and-cold", "zoe", ["rf-cannot-wait", "rf-chest-pain"], ["999"]),  # 999 on page 1 ends it at once
    (
        "cough-and-cold",
        "zoe",
        ["rf-cannot-wait", "rf-cough-blood-lots"],
        ["999", "111"],
    ),  # the 111 page comes first: both
    ("cough-and-cold", "zoe", ["rf-cough-blood", "rf-cannot-wait", "nonsense"], ["111"]),
    ("cough-and-cold", "leo", ["rf-rash"], ["999"]),
    ("cough-and-cold", "leo", ["rf-child-no-urine"], ["111"]),
    ("child-fever", "leo", ["rf-child-dehydrated", "rf-child-floppy"], ["999"]),
    ("child-fever", "leo", ["rf-child-floppy", "rf-child-no-urine"], ["999"]),
    ("headache", "zoe", ["rf-headache-jaw-scalp"], ["111"]),
    ("headache", "zoe", ["rf-suicide"], ["999", "crisis"]),  # 999, and the crisis lines too
    ("prescription-question", "zoe", ["rf-critical-medicine"], ["111"]),
]


def test_any_999_or_111_tick_ends_the_request_with_every_advice_and_records_it(world: World) -> None:
    for number, (topic, who, ticked, advices) in enumerate(TICKS, 1):
        patient = getattr(world, who)
        draft = start(world, topic, patient=patient)
        draft_id = draft.id
        outcome = screen(world, draft, ticked)
        assert outcome.ends and [a.code for a in outcome.advice] == advices, ticked
        assert outcome.advice[0].title == f"Call {advices[0]} now" and outcome.advice[0].body
        assert world.db.get(Request, draft_id) is None and count(world.db, Request) == 0
        signposts = world.db.exec(select(EmergencySignpost).order_by(EmergencySignpost.id)).all()
        assert len(signposts) == number
        signpost = signposts[-1]
        assert (signpost.account_id, signpost.patient_id, signpost.practice_id, signpost.topic, signpost.advice) == (
            world.me.account_id, patient.id, world.practice.id, topic, advices[0],
        )  # fmt: skip
        assert (json.loads(signpost.advices), signpost.source) == (advices, "emergency_screen")
        recorded = set(json.loads(signpost.flags))  # the ticks asked before the screen ended
        assert recorded and recorded <= set(ticked) - {"nonsense"}
        events = audit_events(world.db, "emergency_signposted")
        assert len(events) == number
        assert (events[-1].actor_account_id, events[-1].actor_kind, events[-1].patient_id, events[-1].practice_id) == (
            world.me.account_id, "patient", patient.id, world.practice.id,
        )  # fmt: skip
        assert json.loads(events[-1].detail) == {
            "topic": topic,
            "advice": advices[0],
            "advices": advices,
            "source": "emergency_screen",
        }
        assert draft_service.draft_for(world.db, world.me) is None


def test_the_child_questions_are_asked_only_for_a_child(world: World) -> None:
    adult = start(world, "cough-and-cold")
    adult_flags = screening.red_flags(world.db, adult)
    assert not any(f.link_id.startswith("rf-child-") for f in adult_flags)
    assert "rf-chest-pain" in [f.link_id for f in adult_flags]
    assert screen(world, adult, ["rf-child-floppy", "rf-child-cold"]) == screening.ScreenOutcome()
    assert count(world.db, EmergencySignpost) == 0

    child = start(world, "cough-and-cold", patient=world.leo)
    child_flags = {f.link_id: f for f in screening.red_flags(world.db, child)}
    assert {"rf-rash", "rf-child-floppy", "rf-chest-pain"} <= set(child_flags)
    assert child_flags["rf-chest-pain"].text == "Does Leo have chest pain that feels heavy, tight or like squeezing?"
    # Sixteen is not a child: the adult questions, worded for another adult.
    world.leo.date_of_birth = date(datetime.now(UTC).year - 16, 1, 1)
    world.db.add(world.leo)
    world.db.flush()
    assert not subject.is_child(world.db, child)
    adult_flags = {f.link_id: f for f in screening.red_flags(world.db, child)}
    assert not any(link_id.startswith("rf-child-") for link_id in adult_flags)
    assert (
        adult_flags["rf-chest-pain"].text.startswith("Does Leo have chest pain")
        and "their arms" in adult_flags["rf-chest-pain"].text
    )


# --- answers ---------------------------------------------------------------------------------------


def test_each_answer_is_saved_at_once(world: World, engine: Engine) -> None:
    draft = start(world, "cough-and-cold")
    pass_screen(world, draft)
    for link_id, raw, stored, following in [
        ("duration", " over-3-weeks ", "over-3-weeks", "fever"),
        ("fever", "yes", True, "breathless"),
        ("breathless", False, False, "chest-hurts"),
    ]:
        assert questions.answer(world.db, world.me, draft, link_id, raw) == questions.AnswerOutcome()
        world.db.commit()
        saved = fresh(engine, draft.id)
        assert draft_service.answers_of(saved)[link_id] == stored
        assert saved.current_item == following
    # Changing an answer overwrites it.
    questions.go_to(world.db, draft, "fever")
    assert questions.answer(world.db, world.me, draft, "fever", "no") == questions.AnswerOutcome()
    world.db.commit()
    assert draft_service.answers_of(fresh(engine, draft.id))["fever"] is False


INVALID = [
    ("cough-and-cold", "duration", "forever", "Select one of the options"),
    ("cough-and-cold", "duration", "", "Select an answer"),
    ("cough-and-cold", "duration", None, "Select an answer"),
    ("cough-and-cold", "duration", {"code": "never"}, "Select one of the options"),
    ("cough-and-cold", "fever", "maybe", "Select yes or no"),
    ("cough-and-cold", "fever", "   ", "Select yes or no"),
    ("cough-and-cold", "not-a-question", "yes", "This question is no longer part of your request."),
    ("cough-and-cold", "rf-chest-pain", True, "This question is no longer part of your request."),
    ("cough-and-cold", "_red_flags_checked", False, "This question is no longer part of your request."),
    ("fit-note", "reason", "x" * 2001, "Your answer must be 2,000 characters or fewer. You have 1 character too many."),
    ("fit-note", "reason", 42, "Enter your answer as text"),
    ("fit-note", "reason", "   ", "Enter your answer"),
    ("fit-note", "off-since", "2999-01-01", "Enter a real date, with a 4-digit year, for example 27 3 2024"),
    ("fit-note", "off-since", "31/02/2024", "Enter a real date, for example 27 3 2024"),
    (
        "update-details",
        "new-phone",
        "0" * 21,
        "Your answer must be 20 characters or fewer. You have 1 character too many.",
    ),
]


def test_an_invalid_answer_leaves_the_draft_as_it_was(world: World, engine: Engine) -> None:
    for topic, link_id, raw, error in INVALID:
        draft = start(world, topic)
        answer_questions(world, draft)
        questions.go_to(world.db, draft, link_id)  # (ignored for a linkId the topic does not have)
        world.db.commit()
        before = snapshot(fresh(engine, draft.id))
        assert snapshot(draft) == before
        assert questions.answer(world.db, world.me, draft, link_id, raw) == questions.AnswerOutcome.refused(error), (
            link_id,
            raw,
        )
        world.db.commit()
        assert snapshot(fresh(engine, draft.id)) == before == snapshot(draft), (link_id, raw)


def test_a_future_date_is_refused_where_the_question_asks_for_the_past(world: World) -> None:
    draft = start(world, "fit-note")
    questions.answer(world.db, world.me, draft, "new-or-extension", "new")
    tomorrow = (platform_clock.today() + timedelta(days=1)).isoformat()
    outcome = questions.answer(world.db, world.me, draft, "off-since", tomorrow)
    assert outcome.error == "The date must be today or in the past"
    assert "off-since" not in draft_service.answers_of(draft) and draft.current_item == "off-since"


BRANCHES = [
    ("fit-note", "new-or-extension", "new", "off-since", 5),
    ("fit-note", "new-or-extension", "extension", "current-ends", 5),
    ("update-details", "what", "address", "new-address", 4),
    ("update-details", "what", "phone", "new-phone", 2),
    ("update-details", "what", "name", "new-name", 2),
    ("update-details", "what", "other", "other-details", 2),
]


def test_branching_decides_the_next_question_and_the_count(world: World) -> None:
    for topic, first, value, following, total in BRANCHES:
        draft = start(world, topic)
        assert questions.current_step(world.db, draft).link_id == first
        assert questions.answer(world.db, world.me, draft, first, value) == questions.AnswerOutcome()
        assert questions.current_step(world.db, draft) == questions.Step("question", following, 2, total), value
        asked = answer_questions(world, draft)
        assert len(asked) == total - 1 and asked[0] == following
        assert questions.current_step(world.db, draft) == questions.Step("anything_else")


def test_changing_a_branch_answer_changes_the_path_and_the_check_page(world: World) -> None:
    draft = to_check(world, start(world, "update-details"), {"what": "phone", "new-phone": "07700 900123"})
    assert [r.link_id for r in questions.check_rows(world.db, draft)] == [
        "what",
        "new-phone",
        "anything_else",
        "preferences",
    ]
    questions.go_to(world.db, draft, "what")
    assert questions.current_step(world.db, draft) == questions.Step("question", "what", 1, 2)
    questions.answer(world.db, world.me, draft, "what", "name")
    assert questions.current_step(world.db, draft) == questions.Step("question", "new-name", 2, 2)
    questions.answer(world.db, world.me, draft, "new-name", "Zoe Brown")
    rows = questions.check_rows(world.db, draft)
    assert [(r.link_id, r.answer) for r in rows[:2]] == [("what", "My name"), ("new-name", "Zoe Brown")]
    assert "new-phone" not in [r.link_id for r in rows]  # the old branch's answer no longer counts


def _phq9_walk(world: World, draft: Request, item9: str) -> questions.AnswerOutcome:
    pass_screen(world, draft)
    while True:
        step = questions.current_step(world.db, draft)
        assert step.kind == "question"
        raw = item9 if step.link_id == "phq9-9" else default_answer(questionnaires.get(draft.topic).item(step.link_id))
        outcome = questions.answer(world.db, world.me, draft, step.link_id, raw)
        if step.link_id == "phq9-9":
            return outcome
        assert outcome == questions.AnswerOutcome()


def test_not_at_all_to_phq9_item_9_carries_on(world: World) -> None:
    draft = start(world, "feeling-low-or-anxious")
    assert _phq9_walk(world, draft, "0") == questions.AnswerOutcome()
    assert questions.current_step(world.db, draft).link_id == "current-support"
    assert count(world.db, EmergencySignpost) == 0


def test_back_and_change_move_through_the_wizard(world: World) -> None:
    draft = start(world, "cough-and-cold")
    pages = len(screening.red_flag_pages(world.db, draft))
    pass_screen(world, draft)
    questions.answer(world.db, world.me, draft, "duration", "under-1-week")
    questions.answer(world.db, world.me, draft, "fever", True)
    assert questions.current_step(world.db, draft) == questions.Step("question", "breathless", 3, 10)
    questions.back(world.db, draft)
    assert questions.current_step(world.db, draft) == questions.Step("question", "fever", 2, 10)
    assert draft_service.answers_of(draft)["fever"] is True  # going back loses nothing
    questions.back(world.db, draft)
    assert questions.current_step(world.db, draft) == questions.Step("question", "duration", 1, 10)
    questions.back(world.db, draft)  # before the first question: the emergency questions' last page again
    assert questions.current_step(world.db, draft) == questions.Step("red_flags", number=pages, total=pages)
    for number in range(pages - 1, 0, -1):  # and back through them, a page at a time
        questions.back(world.db, draft)
        assert questions.current_step(world.db, draft) == questions.Step("red_flags", number=number, total=pages)
    questions.back(world.db, draft)  # nothing before the first page here (the page goes back to the topics)
    assert questions.current_step(world.db, draft) == questions.Step("red_flags", number=1, total=pages)
    assert draft_service.answers_of(draft)["duration"] == "under-1-week"

    to_check(world, draft)
    expected = ["preferences", "anything_else", "asked-pharmacist"]
    for step_kind in expected:
        questions.back(world.db, draft)
        assert questions.current_step(world.db, draft).kind == (
            "question" if step_kind == "asked-pharmacist" else step_kind
        )
    assert questions.current_step(world.db, draft) == questions.Step("question", "asked-pharmacist", 10, 10)

    for target, expected_step in [
        ("duration", questions.Step("question", "duration", 1, 10)),
        ("anything_else", questions.Step("anything_else")),
        ("preferences", questions.Step("preferences")),
    ]:
        questions.go_to(world.db, draft, target)
        assert questions.current_step(world.db, draft) == expected_step
    for ignored in ("check", "rf-chest-pain", "nonsense", "", "_red_flags_checked"):
        questions.go_to(world.db, draft, ignored)
        assert questions.current_step(world.db, draft) == questions.Step("preferences"), ignored


def test_back_from_the_first_question_of_a_topic_without_red_flags_stays_there(world: World) -> None:
    draft = start(world, "fit-note")
    questions.back(world.db, draft)
    assert questions.current_step(world.db, draft) == questions.Step("question", "new-or-extension", 1, 4)


PHQ9 = [f"phq9-{n}" for n in range(1, 9)]
GAD7 = [f"gad7-{n}" for n in range(1, 8)]
END = ["phq9-9", "current-support", "alcohol-drugs"]


def test_progress_counts_the_questions_enabled_by_the_answers_so_far(world: World) -> None:
    """A group's enableWhen (PHQ-9 for low mood, GAD-7 for anxiety) decides which pages come and
    "Question n of m" counts them; before the deciding answer only the unconditional ones count."""
    for concern, asked in [
        ("low", ["main-concern", "duration", *PHQ9, *END]),
        ("anxious", ["main-concern", "duration", *GAD7, *END]),
        ("both", ["main-concern", "duration", *PHQ9, *GAD7, *END]),
        ("not-sure", ["main-concern", "duration", *PHQ9, *GAD7, *END]),
    ]:
        draft = start(world, "feeling-low-or-anxious")
        pass_screen(world, draft)
        seen = []
        while (step := questions.current_step(world.db, draft)).kind == "question":
            seen.append((step.link_id, step.number, step.total))
            item = questionnaires.get(draft.topic).item(step.link_id)
            raw = concern if step.link_id == "main-concern" else default_answer(item)
            assert questions.answer(world.db, world.me, draft, step.link_id, raw) == questions.AnswerOutcome()
        total = len(asked)
        assert seen == [("main-concern", 1, 5)] + [(link_id, n, total) for n, link_id in enumerate(asked[1:], 2)]
        assert questions.current_step(world.db, draft) == questions.Step("anything_else")


# --- anything else and preferences ---------------------------------------------------------------------


def test_anything_else_has_a_length_limit(world: World) -> None:
    limit = questions.FREE_TEXT_LIMIT
    for text, error, stored in [
        ("", None, ""),
        ("   ", None, ""),
        ("  Also my ear hurts.  ", None, "Also my ear hurts."),
        ("x" * limit, None, "x" * limit),
        ("  " + "x" * limit + "\n", None, "x" * limit),
        ("x" * (limit + 1), "Anything else must be 2,000 characters or fewer. You have 1 character too many.", None),
        ("x" * 50_000, "Anything else must be 2,000 characters or fewer. You have 48,000 characters too many.", None),
        (None, None, ""),
    ]:
        draft = start(world, "fit-note")
        answer_questions(world, draft)
        draft.free_text = "before"
        before = snapshot(draft)
        assert (questions.save_anything_else(world.db, draft, text).error or None) == error
        if error:
            assert snapshot(draft) == before and questions.current_step(world.db, draft).kind == "anything_else"
        else:
            assert draft.free_text == stored and questions.current_step(world.db, draft).kind == "preferences"


PREFERENCES = [
    ("headache", "", "text", {"appointment": "Choose how you would prefer to be seen or spoken to"}, None),
    ("headache", "teleport", "text", {"appointment": "Choose how you would prefer to be seen or spoken to"}, None),
    ("headache", "phone", "pigeon", {"contact": "Choose how your practice should contact you"}, None),
    (
        "headache", "", "",
        {"appointment": "Choose how you would prefer to be seen or spoken to", "contact": "Choose how your practice should contact you"},
        None,
    ),
    ("headache", "video", "email", {}, ("video", "email")),
    ("headache", "in_person", "phone", {}, ("in_person", "phone")),
    ("headache", "none", "text", {}, ("none", "text")),
    ("fit-note", "", "email", {}, ("", "email")),
    ("fit-note", "phone", "text", {}, ("", "text")),  # no appointment for an admin request
    ("fit-note", "teleport", "phone", {}, ("", "phone")),
    ("fit-note", "", "", {"contact": "Choose how your practice should contact you"}, None),
]  # fmt: skip


def test_preferences(world: World) -> None:
    """How to be seen is asked for a medical request only; how to be contacted always."""
    for topic, appointment, contact, errors, stored in PREFERENCES:
        draft = start(world, topic)
        answer_questions(world, draft)
        questions.save_anything_else(world.db, draft, "")
        before = snapshot(draft)
        assert questions.save_preferences(world.db, draft, appointment=appointment, contact=contact).errors == errors
        if errors:
            assert snapshot(draft) == before and questions.current_step(world.db, draft).kind == "preferences"
            assert (draft.appointment_preference, draft.contact_preference) == ("", "")
        else:
            assert (draft.appointment_preference, draft.contact_preference) == stored
            assert questions.current_step(world.db, draft).kind == "check"
            rows = {r.question: r.answer for r in questions.check_rows(world.db, draft)}
            assert rows["How we contact you"] == questions.CONTACT_PREFERENCES[stored[1]]
            assert ("How you'd prefer to be seen" in rows) is (draft.kind == "medical")


# --- submitting ------------------------------------------------------------------------------------


def test_submit_is_refused_before_the_check_page(world: World) -> None:
    draft = start(world, "cough-and-cold")
    for advance in (
        lambda: None,
        lambda: pass_screen(world, draft),
        lambda: answer_questions(world, draft),
        lambda: questions.save_anything_else(world.db, draft, ""),
    ):
        advance()
        assert questions.current_step(world.db, draft).kind != "check"
        outcome = submission.submit(world.db, world.me, draft)
        assert outcome == submission.SubmitOutcome.refused("Answer every question before you send your request.")
        assert (draft.status, draft.reference, draft.submitted_at) == ("draft", None, None)
    assert counter(world.db) == 0 and audit_events(world.db, "request_submitted") == []


def test_a_request_cannot_skip_its_required_questions(world: World) -> None:
    """The Change links and answers to later questions must not let a request be sent with
    required questions unanswered."""
    skipping = [
        lambda d: questions.go_to(world.db, d, "preferences"),
        lambda d: questions.go_to(world.db, d, "anything_else"),
        lambda d: questions.answer(world.db, world.me, d, "asked-pharmacist", "no"),
    ]
    for skip in skipping:
        draft = start(world, "cough-and-cold")
        pass_screen(world, draft)
        questions.answer(world.db, world.me, draft, "duration", "under-1-week")
        skip(draft)
        if questions.current_step(world.db, draft).kind == "anything_else":
            questions.save_anything_else(world.db, draft, "")
        if questions.current_step(world.db, draft).kind == "preferences":
            questions.save_preferences(world.db, draft, appointment="phone", contact="text")
        outcome = submission.submit(world.db, world.me, draft)
        assert not outcome.ok and draft.status == "draft" and draft.reference is None
        # The person is taken to the first question still to answer.
        assert questions.current_step(world.db, draft) == questions.Step("question", "fever", 2, 10)
    assert counter(world.db) == 0 and audit_events(world.db, "request_submitted") == []


def test_submit_gives_a_reference_and_fills_triage(world: World, engine: Engine) -> None:
    draft = to_check(world, start(world, "cough-and-cold"), {"breathless": True, "trend": "worse"})
    outcome = submission.submit(world.db, world.me, draft)
    assert outcome.ok and REFERENCE.fullmatch(outcome.reference)
    world.db.commit()
    sent = fresh(engine, draft.id)
    assert (sent.status, sent.reference, sent.urgency, sent.team) == (
        "submitted",
        outcome.reference,
        "urgent_today",
        "gp",
    )
    assert sent.subject == "Cough and cold: Less than 1 week"
    assert sent.submitted_at is not None and "Anything else: It started after my holiday." in sent.triage_summary
    assert counter(world.db) == 1
    (event,) = audit_events(world.db, "request_submitted")
    assert (event.actor_account_id, event.actor_kind, event.patient_id, event.practice_id) == (
        world.me.account_id, "patient", world.zoe.id, world.practice.id,
    )  # fmt: skip
    assert json.loads(event.detail) == {"kind": "medical", "topic": "cough-and-cold", "overridden": False}
    # Sent twice (a double click, a second tab): once only.
    again = submission.submit(world.db, world.me, draft)
    assert again.error == capacity.ALREADY_SENT and draft.reference == outcome.reference
    assert counter(world.db) == 1 and len(audit_events(world.db, "request_submitted")) == 1


def test_references_are_unique(world: World) -> None:
    references = {
        send(world, "headache").reference,
        send(world, "fit-note").reference,
        send(world, "cough-and-cold", patient=world.leo).reference,
        send(world, "test-results", patient=world.leo).reference,
        send(world, "sore-throat", patient=world.sam, identity=world.other).reference,
    }
    assert len(references) == 5 and all(REFERENCE.fullmatch(r) for r in references)
    assert counter(world.db) == 5


def test_every_topic_can_be_answered_and_sent(world: World) -> None:
    """Each topic, answered with its first options, goes through to a triaged request (each for a
    new dependant, so the one-open-request-per-person limit does not get in the way)."""
    world.settings(per_patient_medical=5, per_patient_admin=5)
    for number, topic in enumerate(sorted(questionnaires.load_all().values(), key=lambda t: t.id)):
        dob = date(2021, 1, 1) if topic.audience == "child" else date(1990, 1, 1)
        person = make_patient(world.db, world.practice, f"Person {chr(65 + number)} Smith", dob=dob)
        link(world.db, self_account(world.db, world.zoe), person, "dependant", approval="approved")
        draft = send(world, topic.id, patient=person)
        assert draft.status == "submitted" and REFERENCE.fullmatch(draft.reference), topic.id
        assert draft.urgency in questionnaires.URGENCIES and draft.urgency != "emergency_signposted"
        assert draft.team in questionnaires.TEAMS
        assert draft.subject and len(draft.subject) <= 200 and "{" not in draft.subject, draft.subject
        assert draft.triage_summary
        rows = patient_view.your_requests(world.db, world.me)
        assert (rows[0].id, rows[0].title, rows[0].kind, rows[0].status_label, rows[0].patient_name) == (
            draft.id, topic.title, topic.kind, "Sent to your practice", person.full_name,
        )  # fmt: skip
        assert len(rows) == number + 1


def _daily_limit_reached(w: World) -> None:
    w.settings(daily_limit=1)
    w.db.add(CapacityCounter(practice_id=w.practice.id, day=TODAY, submitted=1))


def _sent_by_the_other_parent(w: World) -> None:
    sams_account = self_account(w.db, w.sam)
    link(w.db, sams_account, w.leo, "dependant")
    send(w, "headache", patient=w.leo, identity=w.other)


def _dependant_removed(w: World) -> None:
    row = w.db.exec(select(AccountPatient).where(AccountPatient.patient_id == w.leo.id)).one()
    assert dependants.remove_dependant(w.db, w.me, row.id).ok


def _verification_revoked(w: World) -> None:
    w.leo.verification_status = "rejected"
    w.db.add(w.leo)


CHANGED_MEANWHILE = [
    ("daily_limit", _daily_limit_reached, "limit of online requests for today"),
    ("active_limit", _active_limit, "as many open requests as it can safely handle"),
    ("turned_off", _turned_off, "We are moving building."),
    ("closed_day", _closed_day, "Online requests are closed today"),
    ("outside_hours", _outside_hours, "It opens again today at 13:00"),
    ("patient_limit", _sent_by_the_other_parent, "Leo already has an open medical request"),
    ("dependant_removed", _dependant_removed, CHOOSE_WHO),
    ("verification_revoked", _verification_revoked, "Your practice could not verify them"),
]


@pytest.mark.parametrize(("name", "change", "words"), CHANGED_MEANWHILE, ids=[c[0] for c in CHANGED_MEANWHILE])
def test_submit_checks_again_what_changed_while_the_questions_were_answered(world: World, name, change, words) -> None:
    draft = to_check(world, start(world, "cough-and-cold", patient=world.leo))
    change(world)
    world.db.flush()
    sent_before, count_before = len(audit_events(world.db, "request_submitted")), counter(world.db)
    before = snapshot(draft) + (draft.subject, draft.urgency, draft.team, draft.triage_summary)
    outcome = submission.submit(world.db, world.me, draft)
    assert not outcome.ok and words in outcome.error and outcome.reference == ""
    assert snapshot(draft) + (draft.subject, draft.urgency, draft.team, draft.triage_summary) == before
    assert draft.status == "draft" and draft.submitted_at is None
    assert counter(world.db) == count_before
    assert len(audit_events(world.db, "request_submitted")) == sent_before


# --- your requests ---------------------------------------------------------------------------------


def test_your_requests_lists_the_account_and_its_dependants_newest_first(world: World) -> None:
    mine = send(world, "headache")
    leos = send(world, "fit-note", patient=world.leo)
    sams = send(world, "sore-throat", patient=world.sam, identity=world.other)
    leos_second = send(world, "cough-and-cold", patient=world.leo)
    start(world, "test-results")  # a draft is not a request yet
    start(world, "letter-or-form", patient=world.sam, identity=world.other)
    rows = patient_view.your_requests(world.db, world.me)
    assert [r.id for r in rows] == [leos_second.id, leos.id, mine.id]
    assert [(r.patient_name, r.title, r.kind, r.status, r.status_label) for r in rows] == [
        ("Leo Smith", "Cough and cold", "medical", "submitted", "Sent to your practice"),
        ("Leo Smith", "Fit note", "admin", "submitted", "Sent to your practice"),
        ("Zoe Smith", "Headache", "medical", "submitted", "Sent to your practice"),
    ]
    assert rows[2].reference == mine.reference and rows[2].submitted == "18 Jun 2025, 12:00"
    assert [r.id for r in patient_view.your_requests(world.db, world.other)] == [sams.id]
    # Every status but draft is listed, with its words.
    for status, label in patient_view.STATUS_LABELS.items():
        mine.status = status
        world.db.add(mine)
        world.db.flush()
        assert next(r for r in patient_view.your_requests(world.db, world.me) if r.id == mine.id).status_label == label


def test_your_requests_shows_a_dependant_held_with_another_parent(world: World) -> None:
    link(world.db, self_account(world.db, world.sam), world.leo, "dependant")
    by_sam = send(world, "fit-note", patient=world.leo, identity=world.other)
    assert [r.id for r in patient_view.your_requests(world.db, world.me)] == [by_sam.id]


def test_your_requests_hides_a_dependant_the_practice_has_not_approved(world: World) -> None:
    """A person of 16 or over held by an approved account: another account whose link the practice
    has not approved yet (or refused) must not see their requests."""
    teen = make_patient(
        world.db, world.practice, "Mo Jones", dob=date(2008, 1, 1), nhs_number=valid_nhs_number("943476595")
    )
    link(world.db, self_account(world.db, world.sam), teen, "dependant", approval="approved")
    theirs = send(world, "feeling-low-or-anxious", patient=teen, identity=world.other)
    zoes_link = link(world.db, self_account(world.db, world.zoe), teen, "dependant", approval="pending")
    for approval, shown in [("pending", False), ("rejected", False), ("approved", True)]:
        zoes_link.approval_status = approval
        world.db.add(zoes_link)
        world.db.flush()
        assert [r.id for r in patient_view.your_requests(world.db, world.other)] == [theirs.id]
        assert [r.id for r in patient_view.your_requests(world.db, world.me)] == ([theirs.id] if shown else []), (
            approval
        )


def test_your_requests_for_an_account_with_nobody(world: World) -> None:
    nobody = identity_of(make_account(world.db, "nobody@example.com"))
    send(world, "headache")
    assert patient_view.your_requests(world.db, nobody) == []


def test_a_change_from_the_check_page_comes_straight_back_to_it(world: World) -> None:
    draft = to_check(world, start(world, "cough-and-cold"))
    first = questions.check_rows(world.db, draft)[0]
    questions.go_to(world.db, draft, first.link_id)
    assert questions.current_step(world.db, draft).link_id == first.link_id
    item = questionnaires.get("cough-and-cold").item(first.link_id)
    assert questions.answer(world.db, world.me, draft, first.link_id, default_answer(item)) == questions.AnswerOutcome()
    assert questions.current_step(world.db, draft).kind == "check"
    # The same for "anything else".
    questions.go_to(world.db, draft, "anything_else")
    assert questions.save_anything_else(world.db, draft, "Changed my mind.") == questions.AnswerOutcome()
    assert questions.current_step(world.db, draft).kind == "check"


@pytest.mark.parametrize(
    "who, topic, allowed",
    [("zoe", "child-fever", False), ("leo", "contraception", False), ("leo", "child-fever", True)],
)
def test_topics_only_for_children_or_only_for_adults_are_refused_for_the_others(
    world: World, who, topic, allowed
) -> None:
    patient = getattr(world, who)
    outcome = draft_service.start_draft(world.db, world.me, patient_id=patient.id, kind="medical", topic_id=topic)
    assert outcome.ok is allowed, outcome.error
