"""The start of a request in either wizard (`services.requests.starting`): "Start again", and
whether the practice lets a request be described in the patient's own words. The wizards' states
ask these instead of reading models or deleting drafts themselves."""

from __future__ import annotations

import pytest
from sqlmodel import select

from anima_pwa.models import Request
from anima_pwa.services.practice.permissions import PermissionDenied
from anima_pwa.services.requests import drafts, phone, starting
from tests.factories import make_patient, make_practice, make_staff, valid_nhs_number
from tests.request_world import World, send, start

pytestmark = pytest.mark.usefixtures("clock")  # the request tests' ticking clock (tests/request_world.py)


def _drafts(w: World) -> list[Request]:
    return list(w.db.exec(select(Request).where(Request.status == "draft")).all())


def _phone_draft(w: World, staff, patient=None) -> Request:
    started = phone.staff_start_draft(
        w.db, staff, patient_id=(patient or w.zoe).id, kind="medical", topic_id="back-pain"
    )
    assert started.ok, started.error
    return w.db.get(Request, started.draft_id)


# --- start again: the patient's wizard ----------------------------------------------------------


def test_start_again_deletes_the_draft_this_tab_shows(world: World) -> None:
    draft = start(world, "back-pain")
    check = starting.start_again(world.db, world.me, draft.id)
    assert check.ok and check.problem == ""
    assert _drafts(world) == []


def test_start_again_leaves_another_accounts_draft_alone(world: World) -> None:
    sams = start(world, "back-pain", patient=world.sam, identity=world.other)
    check = starting.start_again(world.db, world.me, sams.id)
    assert (check.ok, check.problem) == (False, drafts.DRAFT_GONE)
    assert [d.id for d in _drafts(world)] == [sams.id]


@pytest.mark.parametrize("draft_id", [None, 0, -1, "", "abc", "1 OR 1=1", 10**12, True])
def test_start_again_with_an_id_that_is_no_draft_deletes_nothing(world: World, draft_id) -> None:
    draft = start(world, "back-pain")
    assert starting.start_again(world.db, world.me, draft_id).problem == drafts.DRAFT_GONE
    assert [d.id for d in _drafts(world)] == [draft.id]


def test_start_again_after_it_was_sent_keeps_the_request_and_gives_its_reference(world: World) -> None:
    sent = send(world, "something-else-medical")
    check = starting.start_again(world.db, world.me, sent.id)
    assert (check.problem, check.reference) == (drafts.DRAFT_SENT, sent.reference)
    assert world.db.get(Request, sent.id).status == "submitted"


# --- start again: a request by phone --------------------------------------------------------------


def test_staff_start_again_deletes_their_own_phone_draft(world: World) -> None:
    reception = make_staff(world.db, world.practice, "receptionist")
    draft = _phone_draft(world, reception)
    assert starting.staff_start_again(world.db, reception, draft.id).ok
    assert _drafts(world) == []


def test_staff_start_again_never_deletes_a_colleagues_or_a_patients_draft(world: World) -> None:
    reception = make_staff(world.db, world.practice, "receptionist")
    colleague = make_staff(world.db, world.practice, "admin")
    elsewhere = make_staff(world.db, make_practice(world.db, "C81009"), "admin")
    theirs = _phone_draft(world, colleague)
    patients = start(world, "something-else-medical", patient=world.sam, identity=world.other)
    for who, draft in ((reception, theirs), (elsewhere, theirs), (reception, patients)):
        assert starting.staff_start_again(world.db, who, draft.id).problem == drafts.DRAFT_GONE
    assert {d.id for d in _drafts(world)} == {theirs.id, patients.id}


@pytest.mark.parametrize("role", ["clinician", None])
def test_only_staff_who_take_phone_requests_start_one_again(world: World, role) -> None:
    reception = make_staff(world.db, world.practice, "receptionist")
    draft = _phone_draft(world, reception)
    who = make_staff(world.db, world.practice, role) if role else None
    with pytest.raises(PermissionDenied):
        starting.staff_start_again(world.db, who, draft.id)
    assert [d.id for d in _drafts(world)] == [draft.id]


# --- own words ---------------------------------------------------------------------------------


@pytest.mark.parametrize("enabled", [True, False])
def test_own_words_follow_the_practices_setting(world: World, enabled: bool) -> None:
    world.settings(free_text_enabled=enabled)
    assert starting.free_text_allowed(world.db, world.me, world.zoe.id) is enabled
    assert (
        starting.free_text_allowed(world.db, world.me, str(world.leo.id)) is enabled
    )  # her son, as the browser sends it


def test_own_words_are_never_offered_for_someone_not_yours(world: World) -> None:
    world.settings(free_text_enabled=True)
    stranger = make_patient(world.db, world.practice, "Ray Other", nhs_number=valid_nhs_number("943476594"))
    for patient_id in (world.sam.id, stranger.id, None, "", "abc", -1, 10**12):
        assert starting.free_text_allowed(world.db, world.me, patient_id) is False
