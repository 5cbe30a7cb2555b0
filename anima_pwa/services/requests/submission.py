"""Sending a request: the last checks, triage for staff, the atomic capacity check, and what is
kept with the request.

``submit`` checks every question is answered and the account may still ask for the person (a
draft can be days old), triages the answers (for staff, never shown to the patient as a
diagnosis), and reserves a place under the practice's lock (``capacity.reserve_and_submit``): a
refusal leaves the draft exactly as it was. Emergency words the person typed and sent anyway make
the request urgent for staff. Kept with the request: who filled it in (``filled_in_by``), the
wording the questions were shown in, and the answers as a FHIR R4 QuestionnaireResponse.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlmodel import Session

from anima_pwa.models import URGENCY_RANKS, Patient, Request
from anima_pwa.services import questionnaires
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.patients import registration
from anima_pwa.services.platform import audit
from anima_pwa.services.platform.clock import utcnow
from anima_pwa.services.platform.results import Result
from anima_pwa.services.requests import capacity
from anima_pwa.services.requests.drafts import answers_of, save_answers
from anima_pwa.services.requests.questions import ANYTHING_ELSE, current_step
from anima_pwa.services.requests.screening import FREE_TEXT_ADVICE
from anima_pwa.services.requests.subject import draft_age_months, relationship_of, subject_for, wording_for

RELATIONSHIP_LABELS = {
    "self": "the patient",
    "dependant": "account holder, who holds {patient} as a dependant",
    "care_home": "care home, for its resident {patient}",
}


def _filler(session: Session, draft: Request) -> tuple[str, str]:
    """Who filled the request in and in what role: the account holder and how they hold the
    patient, or the member of staff who took it by phone."""
    from anima_pwa.models import StaffMember

    patient = session.get(Patient, draft.patient_id)
    patient_name = patient.full_name if patient else "the patient"
    if draft.created_by_staff_id is not None:
        staff = session.get(StaffMember, draft.created_by_staff_id)
        return (staff.display_name if staff else "A member of staff"), "practice staff, by phone"
    relationship = relationship_of(session, draft.account_id, draft.patient_id)
    holder = registration.self_patient(session, draft.account_id) if draft.account_id else None
    name = holder.full_name if holder else "The account holder"
    return name, RELATIONSHIP_LABELS.get(relationship or "", "account holder").format(patient=patient_name)


def filled_in_by(session: Session, draft: Request) -> str:
    """For staff: "Zoe Smith (account holder, who holds Leo Smith as a dependant)"."""
    name, how = _filler(session, draft)
    return f"{name} ({how})"[:300]


@dataclass(frozen=True)
class SubmitOutcome(Result):
    reference: str = ""
    safety_net: str = ""  # what to watch for now, worded for the person (a child's fever: check again in 4 hours)

    @property
    def error(self) -> str:
        """The message to show ("" when it worked)."""
        return self.message


def submit(session: Session, identity: Identity | None, draft: Request, *, override=None) -> SubmitOutcome:
    """Triage (for staff, never shown to the patient as a diagnosis) and the atomic capacity check."""
    topic = questionnaires.get(draft.topic)
    if topic is None:
        return SubmitOutcome.refused("This topic is no longer available. Start a new request.")
    if current_step(session, draft).kind != "check":
        return SubmitOutcome.refused("Answer every question before you send your request.")
    answers = answers_of(draft)
    missing = questionnaires.missing_answers(topic, answers)
    if missing:  # reached "check" past a required question (a Change link, a later answer): go back to it
        save_answers(session, draft, answers, current_item=missing[0].link_id)
        return SubmitOutcome.refused("Answer every question before you send your request.")
    if identity is not None:  # the draft may be days old: the account must still be able to ask for them
        subject = subject_for(session, identity, draft.patient_id)
        if subject is None or not subject.can_request:
            return SubmitOutcome.refused(subject.why_not if subject else "Choose who the request is for.")
    wording = wording_for(session, draft)
    result = questionnaires.triage(
        topic, answers, free_text=draft.free_text, wording=wording, age_months=draft_age_months(session, draft)
    )
    refusal = capacity.reserve_and_submit(session, request=draft, override=override)
    if refusal:
        return SubmitOutcome.refused(refusal)  # and the draft is left exactly as it was
    urgency, lines = result.urgency, list(result.summary_lines)
    still_asked = set(questionnaires.clean_answers(topic, answers)) | ({ANYTHING_ELSE} if draft.free_text else set())
    typed = {k: v for k, v in (answers.get(FREE_TEXT_ADVICE) or {}).items() if k in still_asked}
    if typed:
        # Emergency words in the patient's own words: they were shown the advice and carried on.
        urgency = questionnaires.more_urgent(urgency, "urgent_today")
        advised = ", ".join(
            sorted({"the crisis lines" if code == "crisis" else f"{code} advice" for code in typed.values()})
        )
        lines.insert(
            0, f"Emergency words in the patient's own words: they were shown {advised} and sent the request anyway"
        )
    draft.subject, draft.urgency, draft.team = result.subject[:200], urgency, result.team
    draft.urgency_rank = URGENCY_RANKS.get(urgency, URGENCY_RANKS["routine"])  # the queue's order, in SQL
    draft.triage_summary = "\n".join(lines)
    draft.subject_wording, draft.filled_in_by = wording.code, filled_in_by(session, draft)
    draft.questionnaire_response = json.dumps(_response(session, draft, topic, answers, wording))
    session.add(draft)
    session.flush()
    audit.record(
        session,
        action="request_submitted",
        actor_account_id=_actor_account(session, identity, draft),
        actor_kind="patient" if identity else "staff",
        patient_id=draft.patient_id,
        practice_id=draft.practice_id,
        detail={"kind": draft.kind, "topic": draft.topic, "overridden": draft.limits_overridden},
    )
    return SubmitOutcome(reference=draft.reference or "", safety_net=questionnaires.safety_net(topic, wording))


def _actor_account(session: Session, identity: Identity | None, draft: Request) -> int | None:
    """Who sent it: the signed-in account, or on a phone request the member of staff who took it
    (with or without an override of the limits)."""
    if identity is not None:
        return identity.account_id
    from anima_pwa.models import StaffMember

    staff = session.get(StaffMember, draft.created_by_staff_id) if draft.created_by_staff_id else None
    return staff.account_id if staff else None


def _response(session: Session, draft: Request, topic, answers: dict, wording) -> dict:
    """The answers as the FHIR R4 QuestionnaireResponse kept with the request."""
    patient = session.get(Patient, draft.patient_id)
    by = _filler(session, draft)[0]
    moment = (draft.submitted_at or utcnow()).isoformat(timespec="seconds")
    return questionnaires.questionnaire_response(
        topic,
        answers,
        authored=moment,
        subject_reference=f"Patient/{draft.patient_id}",
        subject_display=patient.full_name if patient else None,
        wording=wording,
        author=by,
        source=by if draft.created_by_staff_id is None else None,  # on the phone: the caller, unrecorded
    )
