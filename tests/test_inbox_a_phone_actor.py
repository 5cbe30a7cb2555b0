"""A request taken by phone records the member of staff: every audit row of it (a red flag, the
submission with or without an override of the limits) has them as the actor, and the request has
``created_by_staff_id``."""

from __future__ import annotations

import pytest

from anima_pwa.services import questionnaires
from anima_pwa.services.requests import phone, questions, screening, submission
from anima_pwa.services.requests.drafts import open_staff_draft
from tests.factories import audit_events, make_staff
from tests.request_world import World, default_answer

pytestmark = pytest.mark.usefixtures("clock")


def _staff_draft(world: World, staff, topic: str = "back-pain"):  # noqa: ANN001, ANN202
    started = phone.staff_start_draft(world.db, staff, patient_id=world.zoe.id, kind="medical", topic_id=topic)
    assert started.ok, started.error
    return open_staff_draft(world.db, staff, started.draft_id).draft


def _fill_in(world: World, draft) -> None:  # noqa: ANN001
    topic = questionnaires.get(draft.topic)
    for _ in range(60):
        step = questions.current_step(world.db, draft)
        if step.kind == "red_flags":
            assert not screening.screen_red_flags(world.db, None, draft, [], none_of_these=True).error
        elif step.kind == "question":
            item = topic.item(step.link_id)
            assert questions.answer(world.db, None, draft, step.link_id, default_answer(item)).error == ""
        else:
            break
    assert questions.save_preferences(world.db, draft, appointment="phone", contact="text").ok
    assert questions.current_step(world.db, draft).kind == "check"


@pytest.mark.parametrize("override", [False, True])
def test_the_submission_names_the_member_of_staff(world: World, override: bool) -> None:
    reception = make_staff(world.db, world.practice, "receptionist")
    draft = _staff_draft(world, reception)
    _fill_in(world, draft)
    outcome = submission.submit(world.db, None, draft, override=reception if override else None)
    assert outcome.ok, outcome.error
    assert draft.created_by_staff_id == reception.staff_id
    (event,) = audit_events(world.db, "request_submitted")
    assert (event.actor_account_id, event.actor_kind, event.patient_id) == (
        reception.account_id,
        "staff",
        world.zoe.id,
    )


def test_a_red_flag_on_the_phone_names_the_member_of_staff(world: World) -> None:
    reception = make_staff(world.db, world.practice, "receptionist")
    draft = _staff_draft(world, reception)
    flag = next(f for page in screening.red_flag_pages(world.db, draft) for f in page if f.advice == "999")
    while (step := questions.current_step(world.db, draft)).kind == "red_flags":
        page = {f.link_id for f in screening.red_flag_pages(world.db, draft)[step.number - 1]}
        ticked = [flag.link_id] if flag.link_id in page else []
        outcome = screening.screen_red_flags(world.db, None, draft, ticked, none_of_these=not ticked)
        if outcome.ends:
            break
    events = audit_events(world.db)
    assert events and all(e.actor_account_id == reception.account_id and e.actor_kind == "staff" for e in events)
    assert "emergency_signposted" in [e.action for e in events]
