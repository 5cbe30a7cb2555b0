"""Who was told to call 999 or 111, or shown the crisis lines, and the practice's list of them.

Every time the app gives someone emergency advice it writes an ``EmergencySignpost`` row and an
``emergency_signposted`` audit event (``record``): the emergency screen before a medical topic's
questions (999 and 111 end the request; the crisis lines let it go on), an answer that is itself
a red flag (PHQ-9 question 9), emergency words typed into a request, and the topic search
(``search_signposts``).

A 999 or 111 signpost sends nothing to the practice, so without a list no one there would know.
"Signposted today" (``todays_signposts``) gives a practice's own staff today's rows (the UK day)
for its patients: the time, the patient (with a link to their record), who it was for and who
filled it in, the advice given and where. No clinical detail: never the flags or words that
raised it. Each viewing is audited, and a member of staff marks a row "followed up" (who and
when, audited) once someone has checked the person got help.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlmodel import Session, col, select

from anima_pwa.models import AccountPatient, EmergencySignpost, Patient, StaffMember, id_of
from anima_pwa.services.platform import audit, clock
from anima_pwa.services.platform.clock import utcnow
from anima_pwa.services.practice import permissions
from anima_pwa.services.practice.permissions import Action, PermissionDenied, record_id

SOURCES = {
    "emergency_screen": "Emergency questions",
    "answer": "An answer to a question",
    "free_text": "Words typed in the request",
    "search": "Topic search",
}
ADVICE_LABELS = {"999": "999", "111": "111", "crisis": "Crisis lines"}
NOT_FOUND = "We could not find that signpost at your practice."
RELATIONSHIP_LABELS = {
    "self": "the patient",
    "dependant": "account holder, who holds {patient} as a dependant",
    "care_home": "care home, for its resident {patient}",
}


def filled_in_by(session: Session, *, patient: Patient, account_id: int | None, staff_id: int | None) -> str:
    """Who filled it in: "Zoe Smith (account holder, who holds Leo Smith as a dependant)", or the
    member of staff taking a request by phone."""
    if staff_id is not None:
        staff = session.get(StaffMember, staff_id)
        return f"{staff.display_name if staff else 'A member of staff'} (practice staff, by phone)"[:300]
    if account_id is None:
        return ""
    from anima_pwa.services.patients import registration

    relationship = session.exec(
        select(AccountPatient.relationship).where(
            AccountPatient.account_id == account_id, AccountPatient.patient_id == patient.id
        )
    ).first()
    holder = registration.self_patient(session, account_id)
    name = holder.full_name if holder else "The account holder"
    how = RELATIONSHIP_LABELS.get(relationship or "", "account holder").format(patient=patient.full_name)
    return f"{name} ({how})"[:300]


def record(
    session: Session,
    *,
    patient_id: int,
    practice_id: int,
    topic: str,
    source: str,
    flags: list[str],
    advices: list[str],
    account_id: int | None,
    staff_id: int | None = None,
    actor_account_id: int | None = None,
    actor_kind: str = "patient",
    reasons: list[str] | None = None,
) -> EmergencySignpost:
    """Write the signpost row and its audit event. ``advices`` are the codes shown, most urgent
    first; ``flags`` the red flags (or search rules) behind them, kept for the audit trail and
    never shown on the practice's list (``reasons``: the search rules that fired, for its audit
    event; never the words typed)."""
    assert source in SOURCES and advices, (source, advices)
    patient = session.get(Patient, patient_id)
    row = EmergencySignpost(
        account_id=account_id,
        patient_id=patient_id,
        practice_id=practice_id,
        topic=topic[:60],
        flags=json.dumps([str(f)[:60] for f in flags[:50]]),
        advice=advices[0],
        advices=json.dumps(advices),
        source=source,
        filled_in_by=filled_in_by(session, patient=patient, account_id=account_id, staff_id=staff_id)
        if patient
        else "",
    )
    session.add(row)
    audit.record(
        session,
        action="emergency_signposted",
        actor_account_id=actor_account_id,
        actor_kind=actor_kind,
        patient_id=patient_id,
        practice_id=practice_id,
        detail={
            "topic": topic[:60],
            "advice": advices[0],
            "advices": advices,
            "source": source,
            **({"reasons": reasons} if reasons is not None else {}),
        },
    )
    session.flush()
    return row


@dataclass(frozen=True)
class SignpostRow:
    """One line of "Signposted today": nothing clinical beyond the advice given."""

    id: int
    time: str  # "14:05", UK time
    patient_id: int
    patient_name: str
    filled_in_by: str
    advice: list[str]  # ["999", "Crisis lines"], most urgent first
    where: str
    followed_up: str  # "" or "Sam Reception at 14:32"


def _today_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Today in the UK, as [start, end) in UTC (a day may be 23 or 25 hours long)."""
    day = clock.today(now)
    start = datetime.combine(day, time(0), tzinfo=clock.LONDON)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=clock.LONDON)
    return start.astimezone(UTC), end.astimezone(UTC)


def _uk_time(moment: datetime) -> str:
    return clock.to_london(moment).strftime("%H:%M")


def _where(row: EmergencySignpost) -> str:
    if row.source == "answer":
        flags = json.loads(row.flags or "[]")
        if any(str(f).startswith("phq9-") for f in flags):
            return "PHQ-9 question 9"
    return SOURCES.get(row.source) or ("Topic search" if row.topic == "search" else "Emergency questions")


def _row(session: Session, row: EmergencySignpost, patient: Patient) -> SignpostRow:
    try:
        codes = [c for c in json.loads(row.advices or "[]") if c in ADVICE_LABELS] or [row.advice]
    except ValueError:
        codes = [row.advice]
    followed = ""
    if row.followed_up_at is not None:
        staff = session.get(StaffMember, row.followed_up_by_staff_id) if row.followed_up_by_staff_id else None
        followed = f"{staff.display_name if staff else 'A member of staff'} at {_uk_time(row.followed_up_at)}"
    return SignpostRow(
        id=id_of(row),
        time=_uk_time(row.at),
        patient_id=id_of(patient),
        patient_name=patient.full_name,
        filled_in_by=row.filled_in_by,
        advice=[ADVICE_LABELS.get(c, c) for c in codes],
        where=_where(row),
        followed_up=followed,
    )


def todays_signposts(session: Session, staff, *, now: datetime | None = None, limit: int = 200) -> list[SignpostRow]:
    """Today's signposts (UK day) for this member of staff's practice, newest first. Audited."""
    staff = permissions.require(staff, Action.VIEW_SIGNPOSTS)
    start, end = _today_bounds(now or utcnow())
    found = session.exec(
        select(EmergencySignpost, Patient)
        .join(Patient, col(Patient.id) == EmergencySignpost.patient_id)
        .where(
            EmergencySignpost.practice_id == staff.practice_id,
            Patient.practice_id == staff.practice_id,
            col(EmergencySignpost.at) >= start,
            col(EmergencySignpost.at) < end,
        )
        .order_by(col(EmergencySignpost.at).desc(), col(EmergencySignpost.id).desc())
        .limit(limit)
    ).all()
    audit.record_staff(session, staff, "signposted_list_viewed", detail={"results": len(found)})
    return [_row(session, row, patient) for row, patient in found]


def mark_followed_up(session: Session, staff, signpost_id: object, *, now: datetime | None = None) -> SignpostRow:
    """Someone at the practice has followed this person up: who and when are kept (the first
    mark stands). A signpost of another practice, or any id that is not one, is refused the same
    way. Audited."""
    staff = permissions.require(staff, Action.FOLLOW_UP_SIGNPOSTS)
    key = record_id(signpost_id)
    row = session.get(EmergencySignpost, key) if key else None
    patient = session.get(Patient, row.patient_id) if row is not None and row.patient_id else None
    if (
        row is None
        or patient is None
        or row.practice_id != staff.practice_id
        or patient.practice_id != staff.practice_id
    ):
        raise PermissionDenied(NOT_FOUND)
    if row.followed_up_at is None:
        row.followed_up_at = now or utcnow()
        row.followed_up_by_staff_id = staff.staff_id
        session.add(row)
        audit.record_staff(session, staff, "signpost_followed_up", patient_id=patient.id, detail={"signpost": row.id})
        session.flush()
    return _row(session, row, patient)
