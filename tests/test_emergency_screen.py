"""The emergency screen and red-flag answers in a real request (services.requests.screening, on SQLite and
PostgreSQL): short pages that each need "None of these" when nothing applies; a 999 sign ends the
request at once and a 111 sign after the last page, with every advice shown most urgent first;
the crisis lines (thoughts of suicide, PHQ-9 question 9, crisis words typed) are shown and the
request still reaches the practice, urgent; every signpost is recorded once for the practice's
"Signposted today" list.
"""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from anima_pwa.models import EmergencySignpost, Request
from anima_pwa.services import questionnaires
from anima_pwa.services.inbox import request_view
from anima_pwa.services.requests import drafts, phone, questions, screening, signposts, submission
from tests.factories import audit_events, count, make_staff
from tests.request_world import World, default_answer, pass_screen, screen, start, to_check

pytestmark = pytest.mark.usefixtures("clock")  # the request tests' ticking clock (tests/request_world.py)


def page_ids(w: World, draft: Request) -> list[str]:
    step = questions.current_step(w.db, draft)
    assert step.kind == "red_flags"
    return [f.link_id for f in screening.red_flag_pages(w.db, draft)[step.number - 1]]


def test_a_page_needs_its_signs_or_none_of_these_and_never_both(world: World) -> None:
    draft = start(world, "headache")
    first = page_ids(world, draft)
    before = draft.answers
    for ticked, none, error in [
        ([], False, screening.NOTHING_CHOSEN),  # pressing Continue is never read as "no"
        (["not-a-flag"], False, screening.NOTHING_CHOSEN),
        ([first[0]], True, screening.NONE_AND_FLAGS),
        (first, True, screening.NONE_AND_FLAGS),
    ]:
        assert screening.screen_red_flags(
            world.db, world.me, draft, ticked, none_of_these=none
        ) == screening.ScreenOutcome.refused(error)
        assert draft.answers == before and questions.current_step(world.db, draft).number == 1  # nothing saved
    assert count(world.db, EmergencySignpost) == 0
    assert screening.screen_red_flags(world.db, world.me, draft, [], none_of_these=True) == screening.ScreenOutcome()
    assert questions.current_step(world.db, draft).number == 2


def test_none_of_these_is_never_recorded_for_a_page_that_was_not_shown(world: World) -> None:
    """HAZ-101: the screen sends the signs it showed; when the draft has moved on to another page
    (another tab answered page 1 meanwhile) "None of these" from the old page is refused, nothing is
    saved, and the signs of the draft's page stay unanswered until they are shown and answered."""
    draft = start(world, "headache")
    first = page_ids(world, draft)
    assert screening.screen_red_flags(world.db, world.me, draft, [], none_of_these=True, shown=first).ok
    second = page_ids(world, draft)
    assert second != first
    before = draft.answers
    stale = screening.screen_red_flags(world.db, world.me, draft, [], none_of_these=True, shown=first)
    assert stale == screening.ScreenOutcome.refused(screening.PAGE_CHANGED)
    assert draft.answers == before and page_ids(world, draft) == second
    assert screening.screen_red_flags(world.db, world.me, draft, [second[0]], shown=second).error == ""


def test_a_999_sign_ends_the_request_on_its_page(world: World) -> None:
    draft = start(world, "headache")
    pages = len(screening.red_flag_pages(world.db, draft))
    outcome = screening.screen_red_flags(world.db, world.me, draft, ["rf-chest-pain"])
    assert outcome.ends and [a.code for a in outcome.advice] == ["999"] and pages > 1
    assert count(world.db, Request) == 0


def test_a_111_sign_asks_the_remaining_pages_then_shows_every_advice(world: World) -> None:
    """A 999 sign may still come after a 111 one: the 111 tick does not end the screen at once."""
    draft = start(world, "headache")
    outcome = screen(world, draft, ["rf-cannot-wait", "rf-headache-red-eye"])  # 111 on page 4, 999 on page 6
    assert outcome.ends and [a.code for a in outcome.advice] == ["999", "111"]
    assert outcome.advice[0].title == "Call 999 now" and outcome.advice[1].title == "Call 111 now"
    row = world.db.exec(select(EmergencySignpost)).one()
    assert (row.advice, json.loads(row.advices), row.source) == ("999", ["999", "111"], "emergency_screen")
    assert set(json.loads(row.flags)) == {"rf-cannot-wait", "rf-headache-red-eye"}

    draft = start(world, "headache")
    outcome = screen(world, draft, ["rf-cannot-wait"])
    assert outcome.ends and [a.code for a in outcome.advice] == ["111"]


def test_the_advice_names_the_child_it_is_about(world: World) -> None:
    draft = start(world, "cough-and-cold", patient=world.leo)
    outcome = screen(world, draft, ["rf-child-dehydrated"])
    [advice] = outcome.advice
    assert advice.body.startswith("Leo needs medical help today") and "If Leo gets worse, call 999" in advice.body


def test_thoughts_of_suicide_show_the_crisis_lines_and_the_request_goes_on_urgent(world: World) -> None:
    draft = start(world, "headache")
    outcome = screen(world, draft, ["rf-suicidal-thoughts"])
    assert not outcome.ends and [a.code for a in outcome.advice] == ["crisis"]
    assert "116 123" in outcome.advice[0].body and questions.current_step(world.db, draft).kind == "question"
    row = world.db.exec(select(EmergencySignpost)).one()
    assert (row.advice, row.source, json.loads(row.flags)) == ("crisis", "emergency_screen", ["rf-suicidal-thoughts"])
    # Back to the emergency screen, to the page with that question, and through it again: the
    # advice is shown again but not recorded twice.
    questions.back(world.db, draft)
    while "rf-suicidal-thoughts" not in page_ids(world, draft):
        questions.back(world.db, draft)
    again = screen(world, draft, ["rf-suicidal-thoughts"])
    assert [a.code for a in again.advice] == ["crisis"] and not again.ends
    assert count(world.db, EmergencySignpost) == 1
    to_check(world, draft)
    assert submission.submit(world.db, world.me, draft).ok
    assert (draft.status, draft.urgency) == ("submitted", "urgent_today")
    assert draft.triage_summary.startswith("Crisis lines shown")


def test_phq9_question_9_shows_the_crisis_numbers_and_still_sends_the_request_urgent_for_staff(world: World) -> None:
    """NICE NG225 (self-harm): the crisis numbers now, and the request still reaches the practice,
    marked urgent; the triage rule for item 9, never reachable before, decides."""
    receptionist = make_staff(world.db, world.practice, "receptionist")
    for number, item9 in enumerate(["1", "2", "3"], 1):
        draft = start(world, "feeling-low-or-anxious")
        pass_screen(world, draft)
        while (step := questions.current_step(world.db, draft)).link_id != "phq9-9":
            item = questionnaires.get(draft.topic).item(step.link_id)
            assert (
                questions.answer(world.db, world.me, draft, step.link_id, default_answer(item))
                == questions.AnswerOutcome()
            )
        outcome = questions.answer(world.db, world.me, draft, "phq9-9", item9)
        assert outcome.error == "" and not outcome.ends
        [crisis] = outcome.advice
        assert crisis.code == "crisis" and crisis.title == "Get help now"
        for words in ("999", "option 2", "Samaritans", "116 123"):
            assert words in crisis.body
        assert [label for label, _ in crisis.calls] == ["Call 999", "Call 111, option 2", "Call Samaritans on 116 123"]
        assert questions.current_step(world.db, draft).link_id == "current-support"  # the request goes on
        row = world.db.exec(select(EmergencySignpost).order_by(EmergencySignpost.id.desc())).first()  # type: ignore[union-attr]
        assert (row.advice, row.source, json.loads(row.flags)) == ("crisis", "answer", ["phq9-9"])
        to_check(world, draft, {"phq9-9": item9})
        sent = submission.submit(world.db, world.me, draft)
        assert sent.ok and draft.status == "submitted"
        detail = request_view.request_view(world.db, receptionist, draft.id)
        assert (detail.urgency, detail.suggested_team) == ("urgent_today", "Mental health")
        assert (
            detail.summary[0].text.startswith("Crisis lines shown")
            and detail.summary[0].alarm
            and "PHQ-9 item 9" in draft.triage_summary
        )
        [today] = [r for r in signposts.todays_signposts(world.db, receptionist) if r.id == row.id]
        assert (today.advice, today.where) == (["Crisis lines"], "PHQ-9 question 9")
        assert count(world.db, EmergencySignpost) == number  # once per request, not per change of answer
        draft.status = "resolved"  # one open medical request per patient: make room for the next
        world.db.add(draft)
        world.db.flush()


def test_emergency_words_typed_in_a_request_show_the_advice_and_make_it_urgent(world: World) -> None:
    draft = start(world, "something-else-medical")
    pass_screen(world, draft)
    outcome = questions.answer(
        world.db, world.me, draft, "description", "I have had crushing chest pain since this morning"
    )
    assert not outcome.ends and [a.code for a in outcome.advice] == ["999"]
    assert questions.current_step(world.db, draft).link_id == "duration"  # they may carry on
    row = world.db.exec(select(EmergencySignpost)).one()
    assert (row.source, row.advice, json.loads(row.flags)) == ("free_text", "999", ["description"])
    assert "chest" not in row.flags + row.filled_in_by  # never the words typed
    # The same words again (Back, Continue): not shown or recorded twice.
    questions.go_to(world.db, draft, "description")
    assert (
        questions.answer(
            world.db, world.me, draft, "description", "I have had crushing chest pain since this morning"
        ).advice
        == ()
    )
    assert count(world.db, EmergencySignpost) == 1
    to_check(world, draft, {"description": "I have had crushing chest pain since this morning"})
    assert submission.submit(world.db, world.me, draft).ok
    assert draft.urgency == "urgent_today"
    assert draft.triage_summary.startswith("Emergency words in the patient's own words: they were shown 999 advice")


def test_emergency_words_in_anything_else_show_the_advice_and_make_it_urgent(world: World) -> None:
    draft = start(world, "cough-and-cold")
    to_check(world, draft)
    questions.go_to(world.db, draft, "anything_else")
    words = "Also I took too many of my tablets last night"
    outcome = questions.save_anything_else(world.db, draft, words, identity=world.me)
    assert outcome.error == "" and not outcome.ends and [a.code for a in outcome.advice] == ["999"]
    assert draft.free_text == words  # kept, and the request goes on
    row = world.db.exec(select(EmergencySignpost)).one()
    assert (row.source, row.advice, json.loads(row.flags)) == ("free_text", "999", ["anything_else"])
    assert "tablets" not in row.flags + row.filled_in_by  # never the words typed
    questions.go_to(world.db, draft, "anything_else")  # the same words again: shown and recorded once
    assert questions.save_anything_else(world.db, draft, words, identity=world.me).advice == ()
    assert count(world.db, EmergencySignpost) == 1
    assert submission.submit(world.db, world.me, draft).ok
    assert draft.urgency == "urgent_today"
    assert draft.triage_summary.startswith("Emergency words in the patient's own words: they were shown 999 advice")


def test_emergency_words_taken_out_of_anything_else_no_longer_make_it_urgent(world: World) -> None:
    draft = start(world, "cough-and-cold")
    to_check(world, draft)
    questions.go_to(world.db, draft, "anything_else")
    questions.save_anything_else(world.db, draft, "I want to end it all", identity=world.me)
    questions.go_to(world.db, draft, "anything_else")
    assert (
        questions.save_anything_else(world.db, draft, "A cough for a week", identity=world.me)
        == questions.AnswerOutcome()
    )
    assert submission.submit(world.db, world.me, draft).ok
    assert not draft.triage_summary.startswith("Emergency words")


def test_ordinary_words_typed_show_nothing(world: World) -> None:
    draft = start(world, "something-else-medical")
    pass_screen(world, draft)
    assert (
        questions.answer(world.db, world.me, draft, "description", "A rash on my arm for a week")
        == questions.AnswerOutcome()
    )
    assert count(world.db, EmergencySignpost) == 0


def test_a_phone_request_records_the_member_of_staff_who_took_it(world: World) -> None:
    receptionist = make_staff(world.db, world.practice, "receptionist", name="Sam Reception")
    started = phone.staff_start_draft(
        world.db, receptionist, patient_id=world.leo.id, kind="medical", topic_id="cough-and-cold"
    )
    draft = drafts.staff_draft_for(world.db, receptionist)
    assert started.ok and draft is not None
    assert "rf-child-floppy" in page_ids(world, draft)  # a child's own questions come first
    outcome = screening.screen_red_flags(world.db, None, draft, ["rf-child-floppy"])
    assert outcome.ends and outcome.advice[0].code == "999"
    row = world.db.exec(select(EmergencySignpost)).one()
    assert (row.account_id, row.filled_in_by) == (None, "Sam Reception (practice staff, by phone)")
    [event] = audit_events(world.db, "emergency_signposted")
    assert (event.actor_kind, event.actor_account_id) == ("staff", receptionist.account_id)


def test_a_childs_fever_request_says_to_check_again_within_four_hours(world: World) -> None:
    draft = to_check(world, start(world, "child-fever", patient=world.leo))
    sent = submission.submit(world.db, world.me, draft)
    assert sent.ok and "check Leo again" in sent.safety_net and "within 4 hours" in sent.safety_net
    other = submission.submit(
        world.db,
        world.other,
        to_check(world, start(world, "headache", patient=world.sam, identity=world.other), identity=world.other),
    )
    assert other.ok and other.safety_net == ""


def test_a_sign_ticked_on_the_last_page_shown_again_still_counts(world: World) -> None:
    """However the draft came to have every page answered without the screen being done (an
    interrupted save), the page shown is the last one and its ticks are read, never ignored."""
    draft = start(world, "cough-and-cold")
    pages = screening.red_flag_pages(world.db, draft)
    answers = drafts.answers_of(draft)
    answers[screening.SEEN] = [f.link_id for page in pages for f in page]
    drafts.save_answers(world.db, draft, answers)
    assert questions.current_step(world.db, draft) == questions.Step("red_flags", number=len(pages), total=len(pages))
    outcome = screening.screen_red_flags(world.db, world.me, draft, ["rf-cough-blood-lots"])
    assert outcome.ends and outcome.advice[0].code == "999"
