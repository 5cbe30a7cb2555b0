"""Requests from a patient's first tap to submission, and the patient's list of them.

A request is a draft from the moment a topic is chosen; every answer is saved at once, so a
reload, a dropped connection or signing in again resumes it. Every question is worded for the
person the request is for (``wording_for``): the account holder themself, a child under 16, or
another adult they hold (a relative, a care-home resident); on a phone request, the child or
other-adult wording a receptionist reads out about the patient by name. Capacity (hours, closed days, limits)
is checked when the wizard starts and enforced atomically at submission (`capacity`).

The emergency screen comes before a medical topic's questions: its red flags in short pages, each
with a "None of these" answer that must be chosen when nothing applies (`screen_red_flags`). A 999
flag ends the request at once; a 111 flag ends it after the last page (a 999 sign may still come);
either way nothing is sent, every advice that applies is shown most urgent first, and the signpost
is recorded for the practice's "Signposted today" list (`signposts`). The crisis lines (thoughts of
suicide on the screen, PHQ-9 question 9 answered above "Not at all", crisis words typed into a
request) are shown and the request goes on: it reaches the practice marked urgent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from anima_pwa.models import Patient, Practice, Request, utcnow
from anima_pwa.services.requests import capacity, signposts
from anima_pwa.services.requests.subject import (
    draft_age_months,
    is_child,
    is_under_16,
    patient_for,
    subject_for,
    wording_for,
)
from anima_pwa.services.questionnaires import core as questionnaires
from anima_pwa.services.practice.permissions import record_id
from anima_pwa.services.identity.sessions import Identity

KINDS = ("medical", "admin")
DRAFT_LIFETIME = timedelta(days=7)


@dataclass(frozen=True)
class StartOutcome:
    error: str = ""
    draft_id: int | None = None
    routine_only: bool = False
    routine_message: str = ""
    # The practice is closed or a limit is reached (``capacity.REASONS``): information for a panel,
    # not an error. ``title`` and ``explanation`` for the patient (with the practice's phone number
    # for "what you can do now"); ``staff_reasons``: every reason that applies, in staff words.
    reason: str = ""
    title: str = ""
    explanation: str = ""
    practice_phone: str = ""
    staff_reasons: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.error


def check_start(session: Session, identity: Identity, *, patient_id: object, kind: str) -> StartOutcome:
    """Before any questions: may this person send this kind of request now? (Nothing is saved.)"""
    if kind not in KINDS:
        return StartOutcome(error="Choose a medical or an admin request.")
    patient = patient_for(session, identity, patient_id)
    if patient is None:
        return StartOutcome(error="Choose who the request is for.")
    subject = subject_for(session, identity, patient.id)  # type: ignore[arg-type]
    if subject is None or not subject.can_request:
        return StartOutcome(error=subject.why_not if subject else "Choose who the request is for.")
    available = capacity.availability(
        session, practice_id=patient.practice_id, kind=kind, patient_id=patient.id, account_id=identity.account_id
    )
    if not available.open:
        return closed_outcome(session, patient, available)
    return StartOutcome(routine_only=available.routine_only, routine_message=available.message if available.routine_only else "")


def closed_outcome(session: Session, patient: Patient, available: capacity.Availability) -> StartOutcome:
    """Online requests are closed or full for this patient: the panel's words (``StartOutcome``)."""
    practice = session.get(Practice, patient.practice_id)
    return StartOutcome(
        error=available.message,
        reason=available.reason or "",
        title=available.title,
        explanation=available.explanation,
        practice_phone=practice.phone if practice else "",
        staff_reasons=available.staff_reasons,
    )


def start_draft(session: Session, identity: Identity, *, patient_id: object, kind: str, topic_id: str) -> StartOutcome:
    """The topic is chosen: make the draft (replacing this account's other drafts)."""
    checked = check_start(session, identity, patient_id=patient_id, kind=kind)
    if not checked.ok:
        return checked
    topic = questionnaires.get(topic_id)
    if topic is None or topic.kind != kind:
        return StartOutcome(error="Choose a topic from the list.")
    patient = patient_for(session, identity, patient_id)
    assert patient is not None
    child = is_under_16(patient)
    if (topic.audience == "child" and not child) or (topic.audience == "adult" and child):
        return StartOutcome(error="This topic isn't for " + ("children" if child else "adults") + ". Choose another topic.")
    if topic.free_text and not capacity.settings_for(session, patient.practice_id).free_text_enabled:
        return StartOutcome(error="Your practice has asked that requests use one of the topics in the list.")
    for old in session.exec(
        select(Request).where(Request.account_id == identity.account_id, Request.status == "draft")
    ).all():
        session.delete(old)
    now = utcnow()
    draft = Request(
        patient_id=patient.id,  # type: ignore[arg-type]
        account_id=identity.account_id,
        practice_id=patient.practice_id,
        kind=kind,
        topic=topic.id,
        status="draft",
        current_item="",
        created_at=now,
        updated_at=now,
    )
    session.add(draft)
    session.flush()
    return StartOutcome(draft_id=draft.id, routine_only=checked.routine_only, routine_message=checked.routine_message)


def draft_for(session: Session, identity: Identity, draft_id: object = None) -> Request | None:
    """This account's draft (a given one, or its newest), if still fresh."""
    query = select(Request).where(Request.account_id == identity.account_id, Request.status == "draft")
    if draft_id is not None:
        key = record_id(draft_id)
        if key is None:
            return None
        query = query.where(Request.id == key)
    draft = session.exec(query.order_by(col(Request.updated_at).desc())).first()
    if draft is None or utcnow() - draft.updated_at > DRAFT_LIFETIME:
        return None
    return draft


# The one check every step of the wizard goes through -----------------------------------------
#
# A tab shows one draft, but the draft can go while the tab is open: "Start again" or a new request
# in another tab or on another device (an account has one draft at a time), a red flag there,
# sending it there, or seven days passing. Every handler that acts on a draft first asks
# `open_draft` (or `open_staff_draft`) for the draft the tab is showing, by id, and gets either
# the draft, held until the transaction ends, or what became of it, with a message to show.

DRAFT_SENT = "sent"
DRAFT_GONE = "gone"
DRAFT_EXPIRED = "expired"

SENT_MESSAGE = "This request has already been sent to your practice, from another tab or device."
GONE_MESSAGE = (
    "The request you were filling in is no longer open: it was started again or ended in another "
    "tab or on another device. Nothing was sent to your practice."
)
EXPIRED_MESSAGE = (
    "The request you were filling in was not finished within 7 days, so it has been closed. "
    "Nothing was sent to your practice."
)
NEWER_OPENED = "We have opened the request you started there instead."
START_AGAIN = "You can start a new request below."


@dataclass(frozen=True)
class DraftCheck:
    """The draft a tab acts on (``draft``, held until the transaction ends), or what became of
    it: ``problem`` (sent, gone or expired) with the ``message`` to show, the ``reference`` of a
    request sent meanwhile, and the account's (or staff member's) ``newer`` draft, if any."""

    draft: Request | None = None
    problem: str = ""
    message: str = ""
    reference: str = ""
    newer: Request | None = None

    @property
    def ok(self) -> bool:
        return self.draft is not None


def _held(session: Session, draft_id: object, *owner) -> Request | None:
    """The request with this id and owner, locked until the transaction ends: a row lock on
    PostgreSQL, the database's write lock on SQLite (the no-op UPDATE is the transaction's first
    write). Two tabs, devices or workers acting on one draft then go one after the other, and a
    draft deleted or sent by the other is seen as such, never half-updated."""
    key = record_id(draft_id)
    if key is None:
        return None
    where = (col(Request.id) == key, *owner)
    session.execute(
        update(Request).where(*where).values(updated_at=Request.updated_at).execution_options(synchronize_session=False)
    )
    return session.exec(select(Request).where(*where).execution_options(populate_existing=True)).first()


def _checked(session: Session, request: Request | None, newer) -> DraftCheck:
    if request is not None and request.status != "draft":
        reference = request.reference or ""
        message = SENT_MESSAGE + (f" Its reference number is {reference}." if reference else "")
        return DraftCheck(problem=DRAFT_SENT, message=message, reference=reference)
    if request is not None and utcnow() - request.updated_at > DRAFT_LIFETIME:
        session.delete(request)  # nobody can carry on with it: don't keep its answers
        session.flush()
        return DraftCheck(problem=DRAFT_EXPIRED, message=EXPIRED_MESSAGE, newer=newer())
    if request is None:
        return DraftCheck(problem=DRAFT_GONE, message=GONE_MESSAGE, newer=newer())
    return DraftCheck(draft=request)


def open_draft(session: Session, identity: Identity, draft_id: object) -> DraftCheck:
    """The patient's wizard: the draft with this id, if it is still this account's open draft."""
    request = _held(session, draft_id, col(Request.account_id) == identity.account_id, col(Request.created_by_staff_id).is_(None))
    return _checked(session, request, lambda: draft_for(session, identity))


def open_staff_draft(session: Session, staff, draft_id: object) -> DraftCheck:
    """The practice's phone wizard: the draft with this id, if this member of staff is still
    filling it in at their practice."""
    if staff is None:
        return DraftCheck(problem=DRAFT_GONE, message=GONE_MESSAGE)
    request = _held(
        session, draft_id, col(Request.created_by_staff_id) == staff.staff_id, col(Request.practice_id) == staff.practice_id
    )
    return _checked(session, request, lambda: staff_draft_for(session, staff))


def answers_of(draft: Request) -> dict:
    return json.loads(draft.answers or "{}")


def save_answers(session: Session, draft: Request, answers: dict, *, current_item: str | None = None) -> None:
    draft.answers = json.dumps(answers)
    if current_item is not None:
        draft.current_item = current_item
    draft.updated_at = utcnow()
    session.add(draft)
    session.flush()


def red_flags(session: Session, draft: Request) -> list:
    """The emergency questions for this draft, worded for the person it is about and for their
    age (a bulging soft spot for a baby, pregnancy from 10)."""
    topic = questionnaires.get(draft.topic)
    if topic is None:
        return []
    return questionnaires.red_flags_for(
        topic, is_child=is_child(session, draft), wording=wording_for(session, draft), age_months=draft_age_months(session, draft)
    )


def red_flag_pages(session: Session, draft: Request) -> list[tuple]:
    topic = questionnaires.get(draft.topic)
    if topic is None:
        return []
    return questionnaires.red_flag_pages(topic, red_flags(session, draft), is_child=is_child(session, draft))


SEEN = "_rf_seen"  # the red flags already answered (ticked or not), page by page
CHECKED = "_red_flags_checked"  # the emergency screen is done
SHOWN = "_advice_shown"  # crisis advice already recorded for this draft (flag linkIds, free-text items)
FREE_TEXT_ADVICE = "_free_text_advice"  # linkId -> advice code, for emergency words typed in an answer
NONE_AND_FLAGS = "Select the ones that apply, or select 'None of these', not both"
NOTHING_CHOSEN = "Select the ones that apply, or select 'None of these'"


def current_page(session: Session, draft: Request, answers: dict) -> tuple[int, list[tuple]]:
    """(index of the page to answer, the pages); index == len(pages) when all are answered."""
    pages = red_flag_pages(session, draft)
    seen = set(answers.get(SEEN) or [])
    index = next((n for n, page in enumerate(pages) if any(f.link_id not in seen for f in page)), len(pages))
    return index, pages


@dataclass(frozen=True)
class ScreenOutcome:
    """After a page of the emergency screen: an error to show, or the advice to show (``ends``:
    the request has ended), or neither (the next page, or the questions)."""

    error: str = ""
    advice: tuple[questionnaires.Advice, ...] = ()
    ends: bool = False


def _ticked_flags(flags: list, answers: dict) -> list:
    return [f for f in flags if answers.get(f.link_id) is True]


def screen_red_flags(
    session: Session, identity: Identity | None, draft: Request, ticked: list[str], *, none_of_these: bool = False
) -> ScreenOutcome:
    """One page of the emergency screen. The person ticks the signs that apply or "None of these"
    (one or the other: nothing, or both, is an error and nothing is saved). A 999 sign ends the
    request at once; after the last page a 111 sign ends it; either way every advice that applies
    is shown, most urgent first, nothing is sent and the signpost is recorded. Crisis signs alone
    show the crisis lines after the last page and the questions go on."""
    answers = answers_of(draft)
    index, pages = current_page(session, draft, answers)
    if not pages:
        answers[CHECKED] = True
        save_answers(session, draft, answers)
        return ScreenOutcome()
    index = min(index, len(pages) - 1)  # every page answered but the screen not done: the last one, as shown
    page = pages[index]
    chosen = [f for f in page if f.link_id in set(ticked)]
    if chosen and none_of_these:
        return ScreenOutcome(error=NONE_AND_FLAGS)
    if not chosen and not none_of_these:
        return ScreenOutcome(error=NOTHING_CHOSEN)
    for flag in page:
        if flag in chosen:
            answers[flag.link_id] = True
        else:
            answers.pop(flag.link_id, None)
    answers[SEEN] = list(dict.fromkeys([*(answers.get(SEEN) or []), *(f.link_id for f in page)]))
    every = [f for p in pages for f in p]
    raised = _ticked_flags(every, answers)
    last = index == len(pages) - 1
    wording = wording_for(session, draft)
    if any(f.advice == "999" for f in chosen) or (last and questionnaires.ends_request(raised)):
        advice = questionnaires.advice_list(raised, wording)
        end_with_signpost(session, identity, draft, [f.link_id for f in raised], [a.code for a in advice], "emergency_screen")
        return ScreenOutcome(advice=tuple(advice), ends=True)
    if not last:
        save_answers(session, draft, answers)
        return ScreenOutcome()
    answers[CHECKED] = True
    crisis = [f for f in raised if "crisis" in (f.advice, *f.also)]
    if crisis:
        record_once(session, identity, draft, answers, crisis, "emergency_screen")
        save_answers(session, draft, answers)
        return ScreenOutcome(advice=tuple(questionnaires.advice_list(crisis, wording)))
    save_answers(session, draft, answers)
    return ScreenOutcome()


def _staff_id(draft: Request) -> int | None:
    return draft.created_by_staff_id


def _record(session: Session, identity: Identity | None, draft: Request, flags: list[str], advices: list[str], source: str) -> None:
    actor = identity.account_id if identity else None
    if identity is None and draft.created_by_staff_id is not None:  # a phone request: the member of staff acted
        from anima_pwa.models import StaffMember

        staff = session.get(StaffMember, draft.created_by_staff_id)
        actor = staff.account_id if staff else None
    signposts.record(
        session,
        patient_id=draft.patient_id,
        practice_id=draft.practice_id,
        topic=draft.topic,
        source=source,
        flags=flags,
        advices=advices,
        account_id=identity.account_id if identity else draft.account_id,
        staff_id=_staff_id(draft),
        actor_account_id=actor,
        actor_kind="patient" if identity else "staff" if draft.created_by_staff_id else "system",
    )


def record_once(session: Session, identity: Identity | None, draft: Request, answers: dict, flags: list, source: str) -> None:
    """Record crisis advice the first time this draft shows it for these flags (going back and
    forth does not make a second row)."""
    shown = list(answers.get(SHOWN) or [])
    new = [f.link_id for f in flags if f.link_id not in shown]
    if new:
        _record(session, identity, draft, new, ["crisis"], source)
        answers[SHOWN] = shown + new


def end_with_signpost(
    session: Session, identity: Identity | None, draft: Request, flags: list[str], advices: list[str], source: str
) -> None:
    """999 or 111: record the signpost and delete the draft; nothing reaches the practice's queue."""
    _record(session, identity, draft, flags, advices, source)
    session.delete(draft)
    session.flush()


def _typed_emergency(value: object) -> questionnaires.Advice | None:
    """Emergency words in something typed ("chest pain since this morning"): the topic search's
    advice for them, as a piece of advice to show."""
    from anima_pwa.services.questionnaires import search as topic_search

    found = topic_search.emergency_advice(value) if isinstance(value, str) else None
    return questionnaires.Advice(found.code, found.title, found.body, found.calls) if found else None


def screen_typed(
    session: Session, identity: Identity | None, draft: Request, answers: dict, key: str, value: object
) -> tuple[questionnaires.Advice, ...]:
    """Emergency words in what the person typed (a text answer, "anything else"): the advice to
    show, once per advice for that box (recorded then), kept in `answers` so the request is sent
    urgent for staff."""
    typed = _typed_emergency(value)
    free = dict(answers.get(FREE_TEXT_ADVICE) or {})
    shown: tuple[questionnaires.Advice, ...] = ()
    if typed is None:
        free.pop(key, None)
    elif free.get(key) != typed.code:
        free[key] = typed.code
        _record(session, identity, draft, [key], [typed.code], "free_text")
        shown = (typed,)
    answers[FREE_TEXT_ADVICE] = free
    return shown


def unanswer_page(session: Session, draft: Request, answers: dict, index: int) -> None:
    """Show page ``index`` of the emergency screen again, to be answered afresh."""
    pages = red_flag_pages(session, draft)
    if not 0 <= index < len(pages):
        return
    page = {f.link_id for f in pages[index]}
    answers[SEEN] = [link_id for link_id in answers.get(SEEN) or [] if link_id not in page]
    for link_id in page:
        answers.pop(link_id, None)


def staff_draft_for(session: Session, staff) -> Request | None:
    """The draft this member of staff is filling in on the phone, if any."""
    if staff is None:
        return None
    draft = session.exec(
        select(Request)
        .where(Request.created_by_staff_id == staff.staff_id, Request.status == "draft")
        .order_by(col(Request.updated_at).desc())
    ).first()
    if draft is None or draft.practice_id != staff.practice_id or utcnow() - draft.updated_at > DRAFT_LIFETIME:
        return None
    return draft
