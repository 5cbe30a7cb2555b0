"""Nothing is cut silently: every free-text limit, exactly at it and one over, in the one check and
in each service that uses it; a 20,000-character paste refused with its message and kept whole,
never truncated, by the function the screens' state takes text through (``received``) and by the
services; and the words of the live count."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from anima_pwa.models import PracticeSettings, Request
from anima_pwa.services import questionnaires
from anima_pwa.services.platform import clock, text_limits
from anima_pwa.services.platform.text_limits import LIMITS, TRANSPORT_CAP, count, count_message, received
from anima_pwa.services.practice import core_hours, verifications
from anima_pwa.services.practice.permissions import ADMIN, RECEPTIONIST
from anima_pwa.services.requests import drafts, practice_settings, questions, request_settings, screening
from tests.factories import identity_of, make_patient, make_practice, make_staff, self_account

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=LONDON)  # Tuesday 1 December 2026, inside core hours
PASTE = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 400)[:20_000]
ALL_DAY = {kind: {day: ["00:00", "23:59"] for day in request_settings.DAYS} for kind in request_settings.KINDS}


def over_by(limit: int, label: str, extra: int) -> str:
    s = "" if extra == 1 else "s"
    return f"{label} must be {limit:,} characters or fewer. You have {extra:,} character{s} too many."


# --- the one check ---------------------------------------------------------------------------------


@pytest.mark.parametrize("field", LIMITS, ids=[f.key for f in LIMITS])
def test_every_limit_at_the_limit_one_over_and_a_paste(field: text_limits.FieldLimit) -> None:
    assert text_limits.check("x" * field.limit, field.limit, field.label) is None
    assert text_limits.check("x" * (field.limit + 1), field.limit, field.label) == over_by(field.limit, field.label, 1)
    assert text_limits.check(PASTE, field.limit, field.label) == over_by(field.limit, field.label, 20_000 - field.limit)
    assert field.limit * 50 <= TRANSPORT_CAP  # the cap is far above every field's limit


@pytest.mark.parametrize(
    "text, counted",
    [
        ("", 0),
        ("   ", 0),
        ("  hello  ", 5),
        ("line one\r\nline two", 17),  # CRLF from a browser is one line break, as the count shows it
        ("a\rb", 3),
        ("e\u0301", 1),  # "é" typed as e + combining accent counts once (NFC)
        ("\U0001f600", 1),  # an emoji is one character
        (None, 0),
    ],
)
def test_count_is_what_the_person_sees(text: str | None, counted: int) -> None:
    assert count(text) == counted


@pytest.mark.parametrize(
    "text, limit, words",
    [
        ("", 2000, "You have 2,000 characters remaining"),
        ("x" * 1988, 2000, "You have 12 characters remaining"),
        ("x" * 1999, 2000, "You have 1 character remaining"),
        ("x" * 2000, 2000, "You have 0 characters remaining"),
        ("x" * 2001, 2000, "You have 1 character too many"),
        ("x" * 2020, 2000, "You have 20 characters too many"),
        (PASTE, 2000, "You have 18,000 characters too many"),
    ],
)
def test_count_message_in_the_nhs_words(text: str, limit: int, words: str) -> None:
    assert count_message(text, limit) == words


@pytest.mark.parametrize(
    "value, kept",
    [
        (PASTE, PASTE),  # a 20,000-character paste: whole
        ("  spaces kept as typed \r\n", "  spaces kept as typed \r\n"),
        (None, ""),
        (42, "42"),
        ("x" * (TRANSPORT_CAP + 5), "x" * TRANSPORT_CAP),  # above the documented transport cap
    ],
)
def test_received_keeps_what_was_typed(value: object, kept: str) -> None:
    assert received(value) == kept


def test_the_state_takes_typed_text_through_received_and_never_through_clip() -> None:
    """The screens' state modules keep typed text whole: ``clip`` (which shortens) is only for
    identifiers, and the wizard's answer and "anything else" go through ``received``."""
    from pathlib import Path

    wizard = (Path(__file__).parent.parent / "anima_pwa" / "state" / "requests" / "wizard.py").read_text()
    assert "raw = received(raw)" in wizard
    assert 'text = received(form_data.get("free_text", ""))' in wizard
    assert "clip(raw" not in wizard and 'clip(form_data.get("free_text"' not in wizard


# --- each service that takes free text -------------------------------------------------------------


def test_every_string_and_text_question_at_its_limit_and_one_over() -> None:
    checked = 0

    def items(nodes):
        for node in nodes:
            yield node
            yield from items(node.children)

    for topic in questionnaires.load_all().values():
        for item in items(topic.questions):
            if item.type not in ("string", "text"):
                continue
            limit = questionnaires.answer_limit(item)
            assert limit <= text_limits.QUESTION_ANSWER.limit
            assert questionnaires.check_answer(item, "x" * limit) == ("x" * limit, None), (topic.id, item.link_id)
            assert questionnaires.check_answer(item, "x" * (limit + 1)) == (None, over_by(limit, "Your answer", 1))
            value, error = questionnaires.check_answer(item, PASTE)
            assert value is None and error == over_by(limit, "Your answer", 20_000 - limit)
            checked += 1
    assert checked >= 10


@pytest.fixture
def patient_draft(db_session: Session, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(clock, "utcnow", lambda: NOW.astimezone(ZoneInfo("UTC")))
    practice = make_practice(db_session, "C81001")
    db_session.add(PracticeSettings(practice_id=practice.id, hours=json.dumps(ALL_DAY)))
    zoe = make_patient(db_session, practice, "Zoe Smith", email="zoe@example.com")
    me = identity_of(self_account(db_session, zoe))
    started = drafts.start_draft(db_session, me, patient_id=zoe.id, kind="admin", topic_id="fit-note")
    assert started.ok, started.error
    draft = drafts.draft_for(db_session, me, started.draft_id)
    assert draft is not None
    return me, draft


def _snapshot(draft: Request) -> tuple:
    return (draft.answers, draft.current_item, draft.free_text, draft.updated_at, draft.status)


def test_a_pasted_answer_is_refused_whole_and_the_draft_left_as_it_was(db_session: Session, patient_draft) -> None:
    me, draft = patient_draft
    screened = screening.screen_red_flags(db_session, me, draft, [])  # an admin topic: no signs to ask
    assert (screened.error, screened.advice, screened.ends) == ("", (), False)
    step = questions.current_step(db_session, draft)
    questions.go_to(db_session, draft, "reason")
    before = _snapshot(draft)
    outcome = questions.answer(db_session, me, draft, "reason", received(PASTE))
    assert outcome.error == over_by(2000, "Your answer", 18_000)
    assert _snapshot(draft) == before and "reason" not in drafts.answers_of(draft)
    assert step.kind == "question"
    # Shortened by the person to exactly the limit, it is kept whole.
    assert questions.answer(db_session, me, draft, "reason", PASTE[:2000]).error == ""
    assert drafts.answers_of(draft)["reason"] == PASTE[:2000].strip()


@pytest.mark.parametrize(
    "text, error",
    [
        ("x" * 2000, None),
        ("x" * 2001, over_by(2000, "Anything else", 1)),
        (PASTE, over_by(2000, "Anything else", 18_000)),
    ],
)
def test_anything_else_at_the_limit_one_over_and_a_paste(db_session: Session, patient_draft, text: str, error) -> None:
    _me, draft = patient_draft
    draft.current_item = "anything_else"
    before = _snapshot(draft)
    assert (questions.save_anything_else(db_session, draft, received(text)).error or None) == error
    if error:
        assert _snapshot(draft) == before  # nothing half-saved, and nothing shortened
    else:
        assert draft.free_text == text


@pytest.fixture
def admin(db_session: Session):
    practice = make_practice(db_session, "C81002")
    return make_staff(db_session, practice, ADMIN)


@pytest.mark.parametrize(
    "field, key, limit, extra_form",
    [
        (text_limits.TURNED_OFF_MESSAGE, "turned_off_message", 500, {"turned_off": True}),
        (text_limits.IMPORTANT_UPDATES, "important_updates", 1000, {}),
    ],
)
def test_practice_settings_texts_at_the_limit_one_over_and_a_paste(
    db_session: Session, admin, field, key: str, limit: int, extra_form: dict
) -> None:
    why = "Staff training"
    before = request_settings.settings_for(db_session, admin.practice_id)
    for text, error in [
        (PASTE, over_by(limit, field.label, 20_000 - limit)),
        ("y" * (limit + 1), over_by(limit, field.label, 1)),
    ]:
        assert practice_settings.update_settings(
            db_session, admin, {key: text, **extra_form}, why=why, now=NOW
        ).errors == {key: error}
        assert request_settings.settings_for(db_session, admin.practice_id) == before
    assert (
        practice_settings.update_settings(db_session, admin, {key: "y" * limit, **extra_form}, why=why, now=NOW).errors
        == {}
    )
    assert getattr(request_settings.settings_for(db_session, admin.practice_id), key) == "y" * limit


def test_important_updates_keep_their_line_breaks(db_session: Session, admin) -> None:
    text = "Flu clinics on Saturdays in October.\r\n\r\nThe car park is closed for resurfacing."
    assert practice_settings.update_settings(db_session, admin, {"important_updates": text}, now=NOW).errors == {}
    assert request_settings.settings_for(db_session, admin.practice_id).important_updates == text.replace("\r\n", "\n")


def test_closed_day_reason_and_core_hours_why_at_the_limit_one_over_and_a_paste(db_session: Session, admin) -> None:
    weekend = date(2026, 12, 5)  # a Saturday: no core hours, so no "why" needed
    reason = text_limits.CLOSED_DAY_REASON
    assert practice_settings.add_closed_day(db_session, admin, weekend, PASTE, now=NOW).message == over_by(
        200, reason.label, 19_800
    )
    assert practice_settings.add_closed_day(db_session, admin, weekend, "r" * 201, now=NOW).message == over_by(
        200, reason.label, 1
    )
    assert request_settings.closed_days(db_session, admin.practice_id, from_day=NOW.date()) == []
    assert practice_settings.add_closed_day(db_session, admin, weekend, "r" * 200, now=NOW).ok

    weekday = date(2026, 12, 9)  # a Wednesday: closes core hours, so "why" is needed
    why = text_limits.CORE_HOURS_WHY
    assert practice_settings.add_closed_day(
        db_session, admin, weekday, "Training", why=PASTE, now=NOW
    ).message == over_by(500, why.label, 19_500)
    assert practice_settings.add_closed_day(
        db_session, admin, weekday, "Training", why="w" * 501, now=NOW
    ).message == over_by(500, why.label, 1)
    assert len(request_settings.closed_days(db_session, admin.practice_id, from_day=NOW.date())) == 1
    assert practice_settings.add_closed_day(db_session, admin, weekday, "Training", why="w" * 500, now=NOW).ok
    [entry] = core_hours.log(db_session, admin)
    assert entry.why == "w" * 500


def test_a_rejection_reason_at_the_limit_one_over_and_a_paste(db_session: Session) -> None:
    practice = make_practice(db_session, "C81003")
    receptionist = make_staff(db_session, practice, RECEPTIONIST)
    label = text_limits.REJECTION_REASON.label
    for text, error in [(PASTE, over_by(300, label, 19_700)), ("r" * 301, over_by(300, label, 1))]:
        pending = make_patient(db_session, practice, "Pat Pending", status="pending", email=f"p{len(text)}@example.com")
        assert verifications.reject_patient(db_session, receptionist, pending.id, reason=text).message == error
        assert pending.verification_status == "pending"
    pending = make_patient(db_session, practice, "Pat Pending", status="pending", email="ok@example.com")
    assert verifications.reject_patient(db_session, receptionist, pending.id, reason="r" * 300).ok
    assert pending.verification_status == "rejected"


def test_no_service_shortens_what_it_keeps(db_session: Session, admin) -> None:
    """At exactly each limit, what is saved is what was sent: nothing anywhere slices it."""
    text = "Z" * text_limits.TURNED_OFF_MESSAGE.limit
    assert (
        practice_settings.update_settings(
            db_session, admin, {"turned_off": True, "turned_off_message": text}, why="Closed for a power cut", now=NOW
        ).errors
        == {}
    )
    assert request_settings.settings_for(db_session, admin.practice_id).turned_off_message == text
