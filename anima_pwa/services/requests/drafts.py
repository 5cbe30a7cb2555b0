"""A request is a draft from the moment a topic is chosen: starting one, resuming it, and the
check every step makes that the draft a tab shows is still open.

Who a request can be for, and whether it can be sent now, is checked before any question
(``check_start``: the account may act for the person, and the practice's hours, closed days
and limits, ``rules.availability``); nothing is saved until a topic is chosen (``start_draft``, one
draft per account). Every answer is saved at once (``save_answers``), so a reload, a dropped
connection or signing in again resumes it (``draft_for``) for 7 days. A receptionist's phone
request is a draft of theirs (``staff_draft_for``; starting it is in ``phone``).

What comes next is in the other modules of this package: ``screening`` (the emergency screen),
``questions`` (the questions and the pages after them), ``submission`` (sending it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from anima_pwa.models import Patient, Practice, Request, id_of
from anima_pwa.services import questionnaires
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.platform.clock import utcnow
from anima_pwa.services.platform.results import FORM, Result
from anima_pwa.services.practice.permissions import record_id
from anima_pwa.services.requests import request_settings, rules
from anima_pwa.services.requests.request_settings import KINDS
from anima_pwa.services.requests.subject import is_under_16, patient_for, subject_for

DRAFT_LIFETIME = timedelta(days=7)


@dataclass(frozen=True)
class StartOutcome(Result):
    draft_id: int | None = None
    routine_only: bool = False
    routine_message: str = ""
    # The practice is closed or a limit is reached (``rules.REASONS``): information for a panel,
    # not an error. ``title`` and ``explanation`` for the patient (with the practice's phone number
    # for "what you can do now"); ``staff_reasons``: every reason that applies, in staff words.
    reason: str = ""
    title: str = ""
    explanation: str = ""
    practice_phone: str = ""
    staff_reasons: tuple[str, ...] = ()

    @property
    def error(self) -> str:
        """The message to show ("" when it worked)."""
        return self.message


def check_start(session: Session, identity: Identity, *, patient_id: object, kind: str) -> StartOutcome:
    """Before any questions: may this person send this kind of request now? (Nothing is saved.)"""
    if kind not in KINDS:
        return StartOutcome.refused("Choose a medical or an admin request.")
    patient = patient_for(session, identity, patient_id)
    if patient is None:
        return StartOutcome.refused("Choose who the request is for.")
    subject = subject_for(session, identity, id_of(patient))
    if subject is None or not subject.can_request:
        return StartOutcome.refused(subject.why_not if subject else "Choose who the request is for.")
    available = rules.availability(
        session, practice_id=patient.practice_id, kind=kind, patient_id=patient.id, account_id=identity.account_id
    )
    if not available.open:
        return closed_outcome(session, patient, available)
    return StartOutcome(
        routine_only=available.routine_only, routine_message=available.message if available.routine_only else ""
    )


def closed_outcome(session: Session, patient: Patient, available: rules.Availability) -> StartOutcome:
    """Online requests are closed or full for this patient: the panel's words (``StartOutcome``)."""
    practice = session.get(Practice, patient.practice_id)
    return StartOutcome(
        errors={FORM: available.message},
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
        return StartOutcome.refused("Choose a topic from the list.")
    patient = patient_for(session, identity, patient_id)
    assert patient is not None
    child = is_under_16(patient)
    if (topic.audience == "child" and not child) or (topic.audience == "adult" and child):
        return StartOutcome.refused(
            "This topic isn't for " + ("children" if child else "adults") + ". Choose another topic."
        )
    if topic.free_text and not request_settings.settings_for(session, patient.practice_id).free_text_enabled:
        return StartOutcome.refused("Your practice has asked that requests use one of the topics in the list.")
    for old in session.exec(
        select(Request).where(Request.account_id == identity.account_id, Request.status == "draft")
    ).all():
        session.delete(old)
    now = utcnow()
    draft = Request(
        patient_id=id_of(patient),
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
class DraftCheck(Result):
    """The draft a tab acts on (``draft``, held until the transaction ends), or what became of
    it: ``problem`` (sent, gone or expired) with the ``message`` to show (the form's error), the
    ``reference`` of a request sent meanwhile, and the account's (or staff member's) ``newer``
    draft, if any."""

    draft: Request | None = None
    problem: str = ""
    reference: str = ""
    newer: Request | None = None


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
        return DraftCheck(problem=DRAFT_SENT, errors={FORM: message}, reference=reference)
    if request is not None and utcnow() - request.updated_at > DRAFT_LIFETIME:
        session.delete(request)  # nobody can carry on with it: don't keep its answers
        session.flush()
        return DraftCheck(problem=DRAFT_EXPIRED, errors={FORM: EXPIRED_MESSAGE}, newer=newer())
    if request is None:
        return DraftCheck(problem=DRAFT_GONE, errors={FORM: GONE_MESSAGE}, newer=newer())
    return DraftCheck(draft=request)


def open_draft(session: Session, identity: Identity, draft_id: object) -> DraftCheck:
    """The patient's wizard: the draft with this id, if it is still this account's open draft."""
    request = _held(
        session, draft_id, col(Request.account_id) == identity.account_id, col(Request.created_by_staff_id).is_(None)
    )
    return _checked(session, request, lambda: draft_for(session, identity))


def open_staff_draft(session: Session, staff, draft_id: object) -> DraftCheck:
    """The practice's phone wizard: the draft with this id, if this member of staff is still
    filling it in at their practice."""
    if staff is None:
        return DraftCheck(problem=DRAFT_GONE, errors={FORM: GONE_MESSAGE})
    request = _held(
        session,
        draft_id,
        col(Request.created_by_staff_id) == staff.staff_id,
        col(Request.practice_id) == staff.practice_id,
    )
    return _checked(session, request, lambda: staff_draft_for(session, staff))


def answers_of(draft: Request) -> dict:
    """The draft's answers so far (linkId -> answer, and the screen's own keys)."""
    return json.loads(draft.answers or "{}")


def save_answers(session: Session, draft: Request, answers: dict, *, current_item: str | None = None) -> None:
    """Save the answers at once (and where the wizard is, if given): the draft is fresh again."""
    draft.answers = json.dumps(answers)
    if current_item is not None:
        draft.current_item = current_item
    draft.updated_at = utcnow()
    session.add(draft)
    session.flush()
