"""A request wizard open in two tabs (or on two devices): when the draft a tab shows has gone (started
again, replaced, ended by a red flag, sent, or expired), every handler says so and shows somewhere
sensible; none raises, and nothing is saved into the wrong draft.

First the one service check every handler goes through (`requests.open_draft` and
`open_staff_draft`), then every wizard handler, patient's and practice's, on State objects driven
directly against the test database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from anima_pwa.models import Request, utcnow
from anima_pwa.services.requests import drafts, phone, screening, submission
from anima_pwa.state.requests import wizard as request_wizard
from anima_pwa.state.requests.wizard import RequestWizardState, StaffRequestWizardState
from tests.factories import make_patient, make_staff, valid_nhs_number
from tests.request_world import World, start, to_check
from tests.web import factory_for

pytestmark = pytest.mark.usefixtures("clock")  # the request tests' ticking clock (tests/request_world.py)

GONE = f"{drafts.GONE_MESSAGE} {drafts.START_AGAIN}"
EXPIRED = f"{drafts.EXPIRED_MESSAGE} {drafts.START_AGAIN}"
NEWER = f"{drafts.GONE_MESSAGE} {drafts.NEWER_OPENED}"


def age(db: Session, draft: Request, days: int = 8) -> None:
    db.exec(
        text("UPDATE request SET updated_at = :t WHERE id = :i").bindparams(
            t=utcnow() - timedelta(days=days), i=draft.id
        )
    )
    db.expire_all()


# --- the service check ------------------------------------------------------------------------


def test_the_draft_a_tab_shows_is_handed_over_while_it_is_open(world: World) -> None:
    draft = start(world, "something-else-medical")
    check = drafts.open_draft(world.db, world.me, draft.id)
    assert check.ok and check.draft.id == draft.id and check.problem == ""
    assert drafts.open_draft(world.db, world.me, str(draft.id)).ok  # an id from the browser


WHAT_HAPPENED: dict[str, Callable[[World, Request], None]] = {
    "started again in another tab": lambda w, d: w.db.delete(d),
    "ended by a red flag in another tab": lambda w, d: screening.screen_red_flags(
        w.db, w.me, d, [screening.red_flags(w.db, d)[0].link_id]
    ),
    "replaced by a new request on another device": lambda w, d: start(w, "back-pain"),
    "left for more than 7 days": lambda w, d: age(w.db, d),
}


@pytest.mark.parametrize("what", WHAT_HAPPENED)
def test_a_draft_that_has_gone_says_what_happened(world: World, what: str) -> None:
    draft = start(world, "something-else-medical")
    draft_id = draft.id
    WHAT_HAPPENED[what](world, draft)
    check = drafts.open_draft(world.db, world.me, draft_id)
    assert not check.ok and check.draft is None and check.reference == ""
    if what == "left for more than 7 days":
        assert (check.problem, check.message) == (drafts.DRAFT_EXPIRED, drafts.EXPIRED_MESSAGE)
        assert world.db.get(Request, draft_id) is None  # nobody can carry on with it: its answers go
    else:
        assert (check.problem, check.message) == (drafts.DRAFT_GONE, drafts.GONE_MESSAGE)
    newer = world.db.exec(select(Request).where(Request.status == "draft")).first()
    assert (check.newer.id if check.newer else None) == (newer.id if newer else None)


def test_a_draft_sent_from_another_tab_gives_its_reference(world: World) -> None:
    draft = to_check(world, start(world, "something-else-medical"))
    assert submission.submit(world.db, world.me, draft).ok
    check = drafts.open_draft(world.db, world.me, draft.id)
    assert (check.ok, check.problem, check.reference) == (False, drafts.DRAFT_SENT, draft.reference)
    assert check.message == f"{drafts.SENT_MESSAGE} Its reference number is {draft.reference}."


@pytest.mark.parametrize("draft_id", [None, 0, -1, "", "abc", "1 OR 1=1", 10**12, True, [1], {"id": 1}])
def test_ids_that_are_not_a_draft_of_this_account_are_gone(world: World, draft_id) -> None:
    start(world, "something-else-medical")
    check = drafts.open_draft(world.db, world.me, draft_id)
    assert (check.ok, check.problem, check.reference) == (False, drafts.DRAFT_GONE, "")


def test_another_accounts_draft_or_request_is_gone_and_tells_nothing(world: World) -> None:
    sams = to_check(
        world, start(world, "something-else-medical", patient=world.sam, identity=world.other), identity=world.other
    )
    assert drafts.open_draft(world.db, world.me, sams.id).problem == drafts.DRAFT_GONE
    assert submission.submit(world.db, world.other, sams).ok
    refused = drafts.open_draft(world.db, world.me, sams.id)
    assert (refused.problem, refused.reference) == (drafts.DRAFT_GONE, "")  # not its reference
    assert drafts.open_draft(world.db, world.other, sams.id).reference == sams.reference


def test_the_staff_check_is_per_member_of_staff_and_practice(world: World) -> None:
    from tests.factories import make_practice

    reception = make_staff(world.db, world.practice, "receptionist")
    colleague = make_staff(world.db, world.practice, "admin")
    elsewhere = make_staff(world.db, make_practice(world.db, "C81002"), "receptionist")
    started = phone.staff_start_draft(
        world.db, reception, patient_id=world.zoe.id, kind="medical", topic_id="something-else-medical"
    )
    assert drafts.open_staff_draft(world.db, reception, started.draft_id).ok
    for other in (colleague, elsewhere, None):
        assert drafts.open_staff_draft(world.db, other, started.draft_id).problem == drafts.DRAFT_GONE
    patient_draft = start(world, "back-pain")
    assert drafts.open_staff_draft(world.db, reception, patient_draft.id).problem == drafts.DRAFT_GONE
    assert drafts.open_draft(world.db, world.me, started.draft_id).problem == drafts.DRAFT_GONE  # and the other way


# --- every handler, in two tabs ---------------------------------------------------------------


@pytest.fixture
def tabs(world: World, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """The wizard states run against the test database, signed in as Zoe (patient) and as a
    receptionist of her practice (the phone version)."""

    world.receptionist = make_staff(world.db, world.practice, "receptionist")  # type: ignore[attr-defined]
    world.db.commit()
    monkeypatch.setattr(request_wizard, "session_scope", factory_for(engine))
    monkeypatch.setattr(RequestWizardState, "_identity", lambda self: world.me)
    monkeypatch.setattr(StaffRequestWizardState, "_staff", lambda self: world.receptionist)
    yield world
    world.db.rollback()


def handler(state, name: str, *args):
    """Call an event handler the way Reflex does: the function the State registered under that name."""
    return type(state).event_handlers[name].fn(state, *args)


def patient_tab(w: World) -> RequestWizardState:
    tab = RequestWizardState(_reflex_internal_init=True)
    handler(tab, "load")
    return tab


def staff_tab(w: World) -> StaffRequestWizardState:
    tab = StaffRequestWizardState(_reflex_internal_init=True)
    tab.patient_id, tab.patient_label = str(w.zoe.id), w.zoe.full_name
    handler(tab, "load")
    return tab


HANDLERS = [
    ("screen", ({},)),
    ("answer", ({"answer": "no"},)),
    ("back", ()),
    ("change", ("anything_else",)),
    ("save_anything_else", ({"free_text": "Typed in the other tab"},)),
    ("save_preferences", ({"appointment": "phone", "contact": "text"},)),
    ("send", ()),
]


def _drafts(w: World) -> list[Request]:
    w.db.expire_all()
    return list(w.db.exec(select(Request).where(Request.status == "draft").order_by(Request.id)).all())


def _patient_draft_at_check(w: World) -> Request:
    draft = to_check(w, start(w, "something-else-medical"))
    w.db.commit()
    return draft


def _staff_draft_at_check(w: World, patient=None) -> Request:
    patient = patient or w.zoe
    started = phone.staff_start_draft(
        w.db, w.receptionist, patient_id=patient.id, kind="medical", topic_id="something-else-medical"
    )
    draft = w.db.get(Request, started.draft_id)
    to_check(w, draft, identity=None)
    w.db.commit()
    return draft


@pytest.mark.parametrize(("name", "args"), HANDLERS + [("start_again", ())])
@pytest.mark.parametrize("who", ["patient", "staff"])
def test_start_again_in_one_tab_then_any_step_in_the_other(tabs: World, who: str, name: str, args: tuple) -> None:
    make_tab = patient_tab if who == "patient" else staff_tab
    (_patient_draft_at_check if who == "patient" else _staff_draft_at_check)(tabs)
    one, other = make_tab(tabs), make_tab(tabs)
    assert one.step == other.step == "check"
    handler(one, "start_again")
    assert one.step == ("who" if who == "patient" else "type") and _drafts(tabs) == []

    handler(other, name, *args)  # must not raise
    assert other.step == ("who" if who == "patient" else "type")
    assert other.notice == ("" if name == "start_again" else GONE)
    assert other.errors == {} and _drafts(tabs) == []  # nothing saved anywhere
    if who == "staff":
        assert other.patient_id == str(tabs.zoe.id)  # still taking the same patient's request


@pytest.mark.parametrize(("name", "args"), HANDLERS)
@pytest.mark.parametrize("who", ["patient", "staff"])
def test_send_in_one_tab_then_any_step_in_the_other_shows_the_reference(
    tabs: World, who: str, name: str, args: tuple
) -> None:
    make_tab = patient_tab if who == "patient" else staff_tab
    (_patient_draft_at_check if who == "patient" else _staff_draft_at_check)(tabs)
    one, other = make_tab(tabs), make_tab(tabs)
    handler(one, "send")
    assert one.step == "done" and one.reference.startswith("AN-")

    handler(other, name, *args)
    assert (other.step, other.reference) == ("done", one.reference)
    assert other.notice == f"{drafts.SENT_MESSAGE} Its reference number is {one.reference}."
    tabs.db.expire_all()
    assert tabs.db.exec(select(Request)).all()[0].free_text != "Typed in the other tab"
    assert len(tabs.db.exec(select(Request)).all()) == 1 and _drafts(tabs) == []


@pytest.mark.parametrize("who", ["patient", "staff"])
def test_start_again_after_the_other_tab_sent_it_says_so(tabs: World, who: str) -> None:
    make_tab = patient_tab if who == "patient" else staff_tab
    (_patient_draft_at_check if who == "patient" else _staff_draft_at_check)(tabs)
    one, other = make_tab(tabs), make_tab(tabs)
    handler(one, "send")
    handler(other, "start_again")
    assert other.step == ("who" if who == "patient" else "type")
    assert other.notice.startswith(drafts.SENT_MESSAGE) and one.reference in other.notice


@pytest.mark.parametrize(("name", "args"), HANDLERS)
@pytest.mark.parametrize("who", ["patient", "staff"])
def test_a_newer_draft_started_elsewhere_is_opened_and_left_as_it_was(
    tabs: World, who: str, name: str, args: tuple
) -> None:
    make_tab = patient_tab if who == "patient" else staff_tab
    (_patient_draft_at_check if who == "patient" else _staff_draft_at_check)(tabs)
    old = make_tab(tabs)
    if who == "patient":
        newer = start(tabs, "back-pain")  # the other device: one draft per account, so the old one goes
    else:
        started = phone.staff_start_draft(
            tabs.db, tabs.receptionist, patient_id=tabs.zoe.id, kind="medical", topic_id="back-pain"
        )
        newer = tabs.db.get(Request, started.draft_id)
    tabs.db.commit()
    before = (newer.answers, newer.current_item, newer.free_text, newer.contact_preference)

    handler(old, name, *args)
    assert old.notice == NEWER and old.topic_title == "Back pain" and old.step == "red_flags"
    (still,) = _drafts(tabs)
    assert still.id == newer.id
    assert (still.answers, still.current_item, still.free_text, still.contact_preference) == before


def test_the_phone_wizard_never_opens_another_patients_draft(tabs: World) -> None:
    _staff_draft_at_check(tabs)
    tab = staff_tab(tabs)
    other_patient = make_patient(tabs.db, tabs.practice, "Ray Other", nhs_number=valid_nhs_number("943476595"))
    phone.staff_start_draft(
        tabs.db, tabs.receptionist, patient_id=other_patient.id, kind="medical", topic_id="back-pain"
    )
    tabs.db.commit()
    handler(tab, "answer", {"answer": "no"})
    assert (tab.step, tab.notice, tab.patient_id) == ("type", GONE, str(tabs.zoe.id))


@pytest.mark.parametrize(("name", "args"), HANDLERS)
@pytest.mark.parametrize("who", ["patient", "staff"])
def test_a_draft_left_for_more_than_7_days(tabs: World, who: str, name: str, args: tuple) -> None:
    make_tab = patient_tab if who == "patient" else staff_tab
    draft = (_patient_draft_at_check if who == "patient" else _staff_draft_at_check)(tabs)
    tab = make_tab(tabs)
    age(tabs.db, draft)
    tabs.db.commit()
    handler(tab, name, *args)
    assert tab.notice == EXPIRED and tab.step == ("who" if who == "patient" else "type")
    assert tabs.db.exec(select(Request)).all() == []


@pytest.mark.parametrize("who", ["patient", "staff"])
def test_a_red_flag_in_one_tab_then_send_in_the_other(tabs: World, who: str) -> None:
    make_tab = patient_tab if who == "patient" else staff_tab
    (_patient_draft_at_check if who == "patient" else _staff_draft_at_check)(tabs)
    one, other = make_tab(tabs), make_tab(tabs)
    handler(one, "change", "anything_else")
    handler(one, "start_again")
    # The other tab's request is gone; starting again there is still possible.
    handler(other, "send")
    assert other.notice == GONE
    assert tabs.db.exec(select(Request)).all() == []


def test_the_open_draft_still_works_in_both_tabs(tabs: World) -> None:
    """The check lets through a draft that is still there: two tabs on one draft both carry on."""
    _patient_draft_at_check(tabs)
    one, other = patient_tab(tabs), patient_tab(tabs)
    handler(one, "change", "anything_else")
    assert one.step == "anything_else" and one.notice == ""
    handler(other, "save_anything_else", {"free_text": "From the other tab"})
    assert other.step == "check" and other.notice == ""
    handler(other, "send")
    assert other.step == "done" and other.reference.startswith("AN-")


def test_an_answer_from_a_page_showing_another_question_is_not_filed_under_this_one(tabs: World) -> None:
    """HAZ-101: the page sends the question it showed; when this tab's state is on another question
    (a dropped connection lost a step), the answer is saved under neither: the draft's question is
    shown again with the reason."""
    draft = start(tabs, "cough-and-cold")
    screening.screen_red_flags(tabs.db, tabs.me, draft, [], none_of_these=True)
    while questions_step(tabs, draft) == "red_flags":
        screening.screen_red_flags(tabs.db, tabs.me, draft, [], none_of_these=True)
    tabs.db.commit()
    tab = patient_tab(tabs)
    assert tab.step == "question"
    current = tab.question["id"]
    before = dict(drafts.answers_of(tabs.db.get(Request, draft.id)))
    handler(tab, "answer", {"answer": "no", "question": "not-the-question-on-screen"})
    tabs.db.expire_all()
    assert drafts.answers_of(tabs.db.get(Request, draft.id)) == before  # nothing saved
    assert (tab.step, tab.question["id"], tab.notice) == ("question", current, screening.PAGE_CHANGED)
    options = tab.options
    handler(tab, "answer", {"answer": options[0]["code"], "question": current})
    tabs.db.expire_all()
    assert current in drafts.answers_of(tabs.db.get(Request, draft.id)) and tab.notice == ""


def questions_step(w: World, draft: Request) -> str:
    from anima_pwa.services.requests import questions

    return questions.current_step(w.db, draft).kind
