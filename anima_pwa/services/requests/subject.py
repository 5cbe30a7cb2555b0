"""Who a request is about, and so how its questions are worded.

- May this account act for the patient (``patient_for``), and may it send them a request now
  (``subject_for``: "who is this request for?" with each person's ``why_not``)?
- A child under 16 by the UK date (``is_under_16``, ``is_child``), and a baby's age in whole months
  (``age_in_months``) for the questions that depend on it.
- How the account holds the patient (``relationship_of``) and the wording that follows
  (``wording_for``): the account holder's own ("Do you..."), a child's or another adult's by first
  name ("Does Lily..."); on a phone request, the child or other-adult wording a receptionist reads
  out about the patient by name.
"""

from __future__ import annotations

from sqlmodel import Session, select

from anima_pwa.models import AccountPatient, Patient, Request, id_of
from anima_pwa.services import questionnaires
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.patients import dependants
from anima_pwa.services.platform import clock
from anima_pwa.services.platform.clock import utcnow
from anima_pwa.services.platform.validation import age_on
from anima_pwa.services.practice.permissions import record_id

CHILD_UNDER = 16


def patient_for(session: Session, identity: Identity, patient_id: object) -> Patient | None:
    key = record_id(patient_id)
    if key is None or not dependants.can_act_for(session, identity, key):
        return None
    return session.get(Patient, key)


def subject_for(session: Session, identity: Identity, patient_id: int) -> dependants.Subject | None:
    return next((s for s in dependants.request_subjects(session, identity) if s.patient_id == patient_id), None)


def is_under_16(patient: Patient) -> bool:
    today = clock.today(utcnow())  # birthdays turn over at UK midnight
    return age_on(patient.date_of_birth, today) < CHILD_UNDER


def is_child(session: Session, draft: Request) -> bool:
    patient = session.get(Patient, draft.patient_id)
    return patient is not None and is_under_16(patient)


def patient_is_child(session: Session, identity: Identity, patient_id: object) -> bool:
    """For the topic list: which topics suit the person the request is for."""
    patient = patient_for(session, identity, patient_id)
    return patient is not None and is_under_16(patient)


def relationship_of(session: Session, account_id: int | None, patient_id: int) -> str | None:
    """How this account holds the patient: self | dependant | care_home (None: it does not, or
    no account: the practice's phone request)."""
    if account_id is None:
        return None
    return session.exec(
        select(AccountPatient.relationship).where(
            AccountPatient.account_id == account_id, AccountPatient.patient_id == patient_id
        )
    ).first()


def wording_for(session: Session, draft: Request) -> questionnaires.Wording:
    """Who the questions of this draft are about, and so how each is worded: the account
    holder's own ("Do you..."), a child under 16 by the UK date ("Does Lily..."), or another adult
    the account holds, care-home residents included ("Does Edna..."). A phone request is asked
    by a receptionist, who is not the patient and may be speaking to the patient or a carer: it
    uses the child or other-adult wording with the patient's name, which is right for either."""
    patient = session.get(Patient, draft.patient_id)
    if patient is None:
        return questionnaires.Wording()
    is_self = relationship_of(session, draft.account_id, id_of(patient)) == "self"
    code = questionnaires.wording_code(is_self=is_self, is_child=is_under_16(patient))
    return questionnaires.Wording(code, questionnaires.first_name(patient.full_name, patient.preferred_name))


def subject_name(session: Session, draft: Request) -> str:
    """The full name of the person the request is for ("Questions about Lily Rahman")."""
    patient = session.get(Patient, draft.patient_id)
    return patient.full_name if patient else ""


def age_in_months(born, today) -> int:
    """Whole months of age on ``today``: a month is counted on the day of the month the person
    was born, or the 1st of the next month when this month has no such day (as UK law counts a
    29 February birthday). A baby is never older here than on the calendar, so an under-3-months
    question keeps being asked until they really are 3 months."""
    months = (today.year - born.year) * 12 + today.month - born.month
    if today.day < born.day:
        months -= 1
    return max(months, 0)


def _age_months(patient: Patient) -> int:
    return age_in_months(patient.date_of_birth, clock.today(utcnow()))


def draft_age_months(session: Session, draft: Request) -> int | None:
    patient = session.get(Patient, draft.patient_id)
    return _age_months(patient) if patient else None
