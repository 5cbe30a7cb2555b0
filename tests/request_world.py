"""The world the request tests share (a practice open all day, Zoe who holds her son Leo, and Sam)
and the steps of a request, for tests/test_request_flow.py and the modules that build on it.

A pytest plugin (tests/conftest.py lists it): the fixtures ``world`` and ``clock`` are found by
name; a module that wants the clock pinned for every test says
``pytestmark = pytest.mark.usefixtures("clock")``. Capacity reads the clock, so
``platform.clock.utcnow`` is pinned to a ticking clock on a Wednesday at noon in London.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from anima_pwa.models import CapacityCounter, Patient, Practice, PracticeSettings, Request
from anima_pwa.services import questionnaires
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.platform import clock as platform_clock
from anima_pwa.services.requests import capacity, questions, request_settings, screening, submission
from anima_pwa.services.requests import drafts as draft_service
from tests.factories import identity_of, link, make_patient, make_practice, self_account, valid_nhs_number

LONDON = ZoneInfo("Europe/London")
START = datetime(2025, 6, 18, 12, 0, tzinfo=LONDON).astimezone(UTC)  # Wednesday 18 June 2025, noon
TODAY = date(2025, 6, 18)
REFERENCE = re.compile(rf"AN-[{capacity.REFERENCE_ALPHABET}]{{6}}")
ALL_DAY = {kind: {day: ["00:00", "23:59"] for day in request_settings.DAYS} for kind in request_settings.KINDS}
CHOOSE_WHO = "Choose who the request is for."
CHOOSE_TOPIC = "Choose a topic from the list."


class Clock:
    """capacity's clock: starts at START and moves on a second each time it is read, so requests
    sent one after another have different submission times."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    ticking = Clock()
    monkeypatch.setattr(platform_clock, "utcnow", ticking)
    return ticking


@dataclass
class World:
    db: Session
    practice: Practice
    me: Identity  # Zoe (adult, verified), who holds her son Leo (born 2020)
    zoe: Patient
    leo: Patient
    other: Identity  # Sam, another account at the same practice
    sam: Patient

    def settings(self, **fields) -> None:
        row = self.db.get(PracticeSettings, self.practice.id)
        for name, value in fields.items():
            setattr(row, name, value)
        self.db.add(row)
        self.db.flush()


@pytest.fixture
def world(db_session: Session) -> World:
    practice = make_practice(db_session, "C81001")
    db_session.add(PracticeSettings(practice_id=practice.id, hours=json.dumps(ALL_DAY)))
    zoe = make_patient(
        db_session, practice, "Zoe Smith", email="zoe@example.com", nhs_number=valid_nhs_number("943476591")
    )
    leo = make_patient(
        db_session, practice, "Leo Smith", dob=date(2020, 5, 9), nhs_number=valid_nhs_number("943476592")
    )
    sam = make_patient(
        db_session, practice, "Sam Jones", email="sam@example.com", nhs_number=valid_nhs_number("943476593")
    )
    link(db_session, self_account(db_session, zoe), leo, "dependant")
    return World(db_session, practice, identity_for(db_session, zoe), zoe, leo, identity_for(db_session, sam), sam)


def identity_for(db: Session, patient: Patient) -> Identity:
    return identity_of(self_account(db, patient))


# --- helpers ----------------------------------------------------------------------------------------


def drafts(db: Session) -> list[Request]:
    db.flush()
    return list(db.exec(select(Request).where(Request.status == "draft")).all())


def start(w: World, topic: str, *, patient: Patient | None = None, identity: Identity | None = None) -> Request:
    topic_obj = questionnaires.get(topic)
    assert topic_obj is not None
    patient = patient or w.zoe
    outcome = draft_service.start_draft(
        w.db, identity or w.me, patient_id=patient.id, kind=topic_obj.kind, topic_id=topic
    )
    assert outcome.ok, outcome.error
    draft = draft_service.draft_for(w.db, identity or w.me, outcome.draft_id)
    assert draft is not None
    return draft


def default_answer(item: questionnaires.Item) -> object:
    if item.type == "boolean":
        return False
    if item.type == "choice":
        return item.options[0].code
    if item.type == "integer":
        return item.min if item.min is not None else 1
    if item.type == "date":
        return platform_clock.today().isoformat()  # "today" by the app's (pinned) clock
    return "Some words"


def pass_screen(w: World, draft: Request, *, identity: Identity | None = None) -> None:
    """Answer "None of these" on every page of the emergency screen."""
    while questions.current_step(w.db, draft).kind == "red_flags":
        assert (
            screening.screen_red_flags(w.db, identity or w.me, draft, [], none_of_these=True)
            == screening.ScreenOutcome()
        )


def screen(w: World, draft: Request, ticked: list[str], *, identity: Identity | None = None) -> screening.ScreenOutcome:
    """Go through the emergency screen ticking these flags on whichever page each is on ("None of
    these" on a page without one), until advice is shown or the questions begin."""
    outcome = screening.ScreenOutcome()
    while (step := questions.current_step(w.db, draft)).kind == "red_flags":
        page = {f.link_id for f in screening.red_flag_pages(w.db, draft)[step.number - 1]}
        mine = [t for t in ticked if t in page]
        outcome = screening.screen_red_flags(w.db, identity or w.me, draft, mine, none_of_these=not mine)
        assert not outcome.error, outcome
        if outcome.advice:
            return outcome
    return outcome


def clean(answers: dict) -> dict:
    """The answers without the emergency screen's bookkeeping."""
    return {k: v for k, v in answers.items() if k != screening.SEEN}


def answer_questions(
    w: World, draft: Request, overrides: dict | None = None, *, identity: Identity | None = None
) -> list[str]:
    """Pass the emergency screen (no ticks) and answer every question as it comes; the linkIds asked."""
    overrides = overrides or {}
    topic = questionnaires.get(draft.topic)
    asked = []
    for _ in range(60):
        step = questions.current_step(w.db, draft)
        if step.kind == "red_flags":
            pass_screen(w, draft, identity=identity)
            continue
        if step.kind != "question":
            return asked
        item = topic.item(step.link_id)
        asked.append(step.link_id)
        outcome = questions.answer(
            w.db, identity or w.me, draft, step.link_id, overrides.get(step.link_id, default_answer(item))
        )
        assert outcome == questions.AnswerOutcome(), (step.link_id, outcome)
    raise AssertionError("the questions never ended")


def to_check(w: World, draft: Request, overrides: dict | None = None, *, identity: Identity | None = None) -> Request:
    answer_questions(w, draft, overrides, identity=identity)
    assert questions.save_anything_else(w.db, draft, "It started after my holiday.").error == ""
    appointment = "phone" if draft.kind == "medical" else ""
    assert questions.save_preferences(w.db, draft, appointment=appointment, contact="text").errors == {}
    assert questions.current_step(w.db, draft).kind == "check"
    return draft


def send(w: World, topic: str, *, patient: Patient | None = None, identity: Identity | None = None) -> Request:
    draft = to_check(w, start(w, topic, patient=patient, identity=identity), identity=identity)
    outcome = submission.submit(w.db, identity or w.me, draft)
    assert outcome.ok, outcome.error
    return draft


def counter(db: Session) -> int:
    db.flush()
    return db.exec(select(CapacityCounter.submitted).where(CapacityCounter.day == TODAY)).first() or 0


def snapshot(draft: Request) -> tuple:
    return (draft.answers, draft.current_item, draft.free_text, draft.updated_at, draft.status, draft.reference)


def fresh(engine: Engine, draft_id: int) -> Request:
    """The row as another process (another worker, after signing in again) reads it."""
    with Session(engine) as other:
        row = other.get(Request, draft_id)
        assert row is not None
        other.expunge(row)
        return row
