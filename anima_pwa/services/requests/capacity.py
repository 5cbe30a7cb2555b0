"""Sending a request to its practice if there is room: ``reserve_and_submit``.

It locks the practice's ``CapacityCounter`` row for today and checks every rule (``rules``) again
under that lock, so two patients racing for the last place of the day give exactly one request
(ARCHITECTURE.md section 9: a row lock, not a Python check followed by a write). The wizard's
earlier ``rules.availability`` only reads, so it can be out of date a moment later.

A receptionist taking a request by phone may go past hours and limits (recorded on the request and
in the audit trail), never past online requests turned off or a closed day.

Nothing here commits: the caller owns the transaction, and after ``reserve_and_submit`` it should
commit (or roll back) promptly, because the counter row stays locked until then.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from anima_pwa.models import CapacityCounter, Patient, Request
from anima_pwa.services.platform import audit, clock
from anima_pwa.services.practice.permissions import ADMIN, RECEPTIONIST, PermissionDenied, StaffContext
from anima_pwa.services.requests.request_settings import KINDS, settings_for
from anima_pwa.services.requests.rules import OVERRIDABLE, assess

__all__ = ["ALREADY_SENT", "REFERENCE_ALPHABET", "STAFF_TURNED_OFF", "reserve_and_submit"]

ALREADY_SENT = "This request has already been sent to the practice."
STAFF_TURNED_OFF = (
    "Online requests are turned off at the practice, so a request can't be created now. An admin "
    "can turn them back on in the practice settings."
)

# Reference numbers: "AN-" and 6 characters that can't be mistaken for each other when read out
# on the phone (no 0/O, 1/I/L, 5/S, 8/B, 2/Z).
REFERENCE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
REFERENCE_PREFIX = "AN-"
_REFERENCE_LENGTH = 6


def _lock_counter(session: Session, practice_id: int, day: date) -> CapacityCounter:
    """Today's counter row for the practice, created if missing and locked until the caller's
    transaction ends: the one point every submission to the practice passes through in turn.

    PostgreSQL: INSERT ... ON CONFLICT DO NOTHING, then SELECT ... FOR UPDATE (read committed, so
    what is counted after the lock includes everything committed before it).
    SQLite: the same insert and an UPDATE of the row, writes that take the database's write lock
    before anything is counted (pysqlite begins the transaction at the first write, so the counts
    that follow read the latest data).
    """
    dialect = session.get_bind().dialect.name
    values = {"practice_id": practice_id, "day": day, "submitted": 0}
    where = (col(CapacityCounter.practice_id) == practice_id, col(CapacityCounter.day) == day)
    if dialect == "postgresql":
        session.exec(
            postgresql.insert(CapacityCounter)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["practice_id", "day"])
        )
    elif dialect == "sqlite":
        session.exec(
            sqlite.insert(CapacityCounter)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["practice_id", "day"])
        )
        session.exec(update(CapacityCounter).where(*where).values(submitted=CapacityCounter.submitted))
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise RuntimeError(f"capacity counters are not supported on {dialect}")
    counter = session.exec(
        select(CapacityCounter).where(*where).with_for_update().execution_options(populate_existing=True)
    ).one()
    return counter


def _new_reference(session: Session) -> str:
    for _ in range(20):
        reference = REFERENCE_PREFIX + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(_REFERENCE_LENGTH))
        if session.exec(select(Request.id).where(Request.reference == reference)).first() is None:
            return reference
    raise RuntimeError("could not find an unused request reference")  # pragma: no cover


def _override_staff(override: StaffContext, request: Request, patient: Patient) -> StaffContext:
    if not isinstance(override, StaffContext) or override.role not in (RECEPTIONIST, ADMIN):
        raise PermissionDenied()
    if request.practice_id != override.practice_id or patient.practice_id != override.practice_id:
        raise PermissionDenied("We could not find that patient at your practice.")
    return override


def reserve_and_submit(
    session: Session,
    *,
    request: Request,
    now: datetime | None = None,
    override: StaffContext | None = None,
) -> str | None:
    """Send a draft request to its practice, if there is room: None when sent (status
    "submitted", ``submitted_at``, a reference like "AN-7K3QCM", and one more on today's counter),
    else the message for the first reason it can't be, and the request is left as it was.

    Runs in the caller's transaction and locks the practice's counter row for today until the
    caller commits or rolls back, so concurrent submissions are checked one after another.

    ``override``: a receptionist (or admin) of the patient's practice taking the request by phone
    ("Create Request"). Hours and the daily, active and per-patient limits don't apply; any that
    were exceeded are put on the request (``limits_overridden``) and in the audit trail
    ("limits_overridden"). A practice that has turned online requests off, or a closed day, still
    refuses (with a message for staff). Other staff raise PermissionDenied.
    """
    if request.kind not in KINDS:
        raise ValueError(f"request kind must be one of {', '.join(KINDS)}")
    if request.status != "draft":
        return ALREADY_SENT
    patient = session.get(Patient, request.patient_id)
    if patient is None or patient.practice_id != request.practice_id:
        raise ValueError("the request's patient is not registered at the request's practice")
    staff = _override_staff(override, request, patient) if override is not None else None
    now_utc = clock.as_utc(now)
    local = clock.to_london(now_utc)

    counter = _lock_counter(session, request.practice_id, local.date())
    if request.id is not None:  # the same draft sent twice (two tabs, a double click)
        with session.no_autoflush:
            stored = session.exec(select(Request.status).where(Request.id == request.id)).first()
        if stored is not None and stored != "draft":
            return ALREADY_SENT
    settings = settings_for(session, request.practice_id)
    found = assess(
        session,
        settings,
        kind=request.kind,
        practice_id=request.practice_id,
        patient=patient,
        account_id=request.account_id,
        local=local,
        submitted_today=counter.submitted,
        exclude_request_id=request.id,
    )
    exceeded: list[str] = []
    if staff is None:
        if found:
            return found[0].message
    else:
        reasons = {refusal.reason for refusal in found}
        if "turned_off" in reasons:
            return STAFF_TURNED_OFF
        if "closed_day" in reasons:
            return (
                "Online requests are closed at the practice today, so a request can't be created now. "
                "An admin can remove the closed day in the practice settings."
            )
        exceeded = [refusal.reason for refusal in found if refusal.reason in OVERRIDABLE]

    counter.submitted += 1
    session.add(counter)
    request.status = "submitted"
    request.submitted_at = now_utc
    request.updated_at = now_utc
    request.reference = _new_reference(session)
    if staff is not None:
        request.created_by_staff_id = request.created_by_staff_id or staff.staff_id
        request.limits_overridden = bool(exceeded)
    session.add(request)
    session.flush()
    if staff is not None and exceeded:
        audit.record_staff(
            session,
            staff,
            "limits_overridden",
            patient_id=request.patient_id,
            detail={"request_id": request.id, "kind": request.kind, "limits": exceeded},
        )
    return None
