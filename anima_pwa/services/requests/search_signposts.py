"""Recording that the topic search showed someone emergency advice.

The emergency screen records every red flag that stops a request (``screening``); the
topic search records its advice the same way (an ``EmergencySignpost`` row with topic
``"search"`` and an ``emergency_signposted`` audit event), so staff can follow up on both. What is
recorded: who the request was for, the advice given (999, 111 or crisis) and which rules fired
(e.g. ``["overdose"]``); never the words typed.

It is recorded only when the person acted with the advice on screen (pressed Enter on the search,
tapped a call button, or chose a topic anyway), at most once per advice per visit to the topic page
(the State keeps which), never for each debounced keystroke: half-typed words ("can't breathe"
on the way to "can't breathe through my nose") would otherwise flood the list with advice nobody
was really given.
"""

from __future__ import annotations

from sqlmodel import Session

from anima_pwa.models import Patient, id_of
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.patients import dependants
from anima_pwa.services.practice import permissions
from anima_pwa.services.practice.permissions import record_id
from anima_pwa.services.questionnaires.emergencies import SearchAdvice
from anima_pwa.services.requests import signposts

SEARCH_TOPIC = "search"  # EmergencySignpost.topic for advice from the topic search
MAX_PER_VISIT = 5  # a page that asks for more is not a person reading advice


def _record(
    session: Session,
    patient: Patient,
    advice: SearchAdvice,
    *,
    actor_account_id: int | None,
    actor_kind: str,
    account_id: int | None,
    staff_id: int | None = None,
) -> None:
    reasons = [r[:40] for r in advice.reasons[:10]]
    codes = [advice.code] + (
        ["crisis"] if advice.code != "crisis" and any(c[1] == "tel:116123" for c in advice.calls) else []
    )
    signposts.record(
        session,
        patient_id=id_of(patient),
        practice_id=patient.practice_id,
        topic=SEARCH_TOPIC,
        source="search",
        flags=reasons,
        reasons=reasons,
        advices=codes,
        account_id=account_id,
        staff_id=staff_id,
        actor_account_id=actor_account_id,
        actor_kind=actor_kind,
    )


def record(session: Session, identity: Identity, *, patient_id: object, advice: SearchAdvice) -> bool:
    """A patient (or their parent or carer) was shown ``advice`` for someone they may request for.
    False, and nothing recorded, when that someone is not theirs."""
    key = record_id(patient_id)
    if key is None or not dependants.can_act_for(session, identity, key):
        return False
    patient = session.get(Patient, key)
    if patient is None:
        return False
    _record(
        session,
        patient,
        advice,
        actor_account_id=identity.account_id,
        actor_kind="patient",
        account_id=identity.account_id,
    )
    return True


def record_for_staff(session: Session, staff, *, patient_id: object, advice: SearchAdvice) -> None:
    """A receptionist taking a request by phone was shown ``advice`` (and can read it out).
    Raises PermissionDenied for a patient of another practice."""
    staff = permissions.require(staff, permissions.Action.TAKE_PHONE_REQUEST)
    patient = permissions.require_patient(session, staff, permissions.Action.TAKE_PHONE_REQUEST, patient_id)
    _record(
        session,
        patient,
        advice,
        actor_account_id=staff.account_id,
        actor_kind="staff",
        account_id=None,
        staff_id=staff.staff_id,
    )
