"""Booking and cancelling with an invite: the free days and times an invite may book, the booking
itself, the patient's appointments, and cancelling up to the practice's cut-off.

Two patients choosing the same slot at the same moment: `book` marks the slot booked with one
conditional UPDATE (``WHERE status = 'free'``). PostgreSQL makes the second UPDATE wait for the
first transaction and then finds the slot no longer free; SQLite gives the write lock to one
transaction at a time (pysqlite begins the transaction at the first write, so nothing read before
it is stale). The loser changes nothing and is asked to choose again. The partial unique index on
``appointment.slot_id`` (live bookings) is the database's last word if anything else books a slot.

The same invite in two tabs: the invite is taken with a conditional UPDATE (``WHERE status =
'open'``) before the slot, so only one booking uses it; a slot lost after that gives the invite
back in the same transaction, so nothing is half-booked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, select

from anima_pwa.models import Appointment, AppointmentBook, AppointmentInvite, Patient, PracticeSettings, Slot, id_of
from anima_pwa.services.appointments import invites, notices, slot_claims
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.inbox import access
from anima_pwa.services.inbox.outcomes import APPOINTMENT_KINDS
from anima_pwa.services.platform import audit, clock, idempotency, text_limits
from anima_pwa.services.platform.results import FORM, Result
from anima_pwa.services.practice import permissions

__all__ = [
    "CANCEL_REASON",
    "DEFAULT_CUTOFF_MINUTES",
    "SLOT_TAKEN",
    "AppointmentView",
    "BookingResult",
    "DayChoice",
    "TimeChoice",
    "appointment_for_account",
    "appointments_for",
    "book",
    "cancel",
    "describe",
    "free_days",
    "free_times",
    "view_for_account",
]

DEFAULT_CUTOFF_MINUTES = 120
LEAD_MINUTES = 10  # a slot starting sooner than this can't be booked online
CANCEL_REASON = text_limits.FieldLimit("cancel_reason", "Your reason", 500)

SLOT_TAKEN = "Sorry, someone else has just booked that time. Choose another time."
SLOT_GONE = "That time is no longer available. Choose another time."
NO_DAY = "Choose a day"
NO_TIME = "Choose a time"
NOT_FOUND = "We could not find that appointment. Check you are signed in to the right account."
ALREADY_CANCELLED = "This appointment has already been cancelled."
PAST = "This appointment has already taken place."


@dataclass(frozen=True)
class DayChoice:
    day: str  # ISO date
    label: str  # "Tuesday 1 December"
    free: int


@dataclass(frozen=True)
class TimeChoice:
    slot_id: int
    time: str  # "09:00"
    label: str  # "09:00 with Dr Amir Khan"


@dataclass(frozen=True, kw_only=True)
class BookingResult(Result):
    appointment_id: int | None = None


@dataclass(frozen=True)
class AppointmentView:
    id: int
    patient_name: str
    what: str  # "a telephone appointment"
    kind: str
    when: str  # "Monday 30 March 2026 at 09:00"
    day: str
    time: str
    with_whom: str
    where: str  # the site and address, "" for telephone and video
    how: str  # "The practice will phone you at this time." for telephone
    cancelled: bool
    can_cancel: bool
    cancel_until: str  # "You can cancel online until Monday 30 March, 07:00."
    request_id: int | None
    invite_id: int | None
    start_utc: datetime = field(repr=False, default=datetime.min.replace(tzinfo=UTC))
    end_utc: datetime = field(repr=False, default=datetime.min.replace(tzinfo=UTC))
    practice_id: int = 0
    site_name: str = ""


def _window_bounds(invite: AppointmentInvite, now: datetime | None) -> tuple[datetime, datetime]:
    start = datetime.combine(invite.window_start, time(0), tzinfo=clock.LONDON).astimezone(UTC)
    end = datetime.combine(invite.window_end + timedelta(days=1), time(0), tzinfo=clock.LONDON).astimezone(UTC)
    return max(start, clock.as_utc(now) + timedelta(minutes=LEAD_MINUTES)), end


def _book_ids(session: Session, invite: AppointmentInvite) -> list[int]:
    if invite.book_id is not None:
        book = session.get(AppointmentBook, invite.book_id)
        return [id_of(book)] if book is not None and book.active else []
    return list(
        map(
            id_of,
            session.exec(
                select(AppointmentBook).where(
                    AppointmentBook.practice_id == invite.practice_id,
                    AppointmentBook.team == invite.team,
                    AppointmentBook.active == True,  # noqa: E712
                )
            ).all(),
        )
    )


def _free_slots(session: Session, invite: AppointmentInvite, now: datetime | None, *, day: date | None = None):
    start, end = _window_bounds(invite, now)
    if day is not None:
        day_start = datetime.combine(day, time(0), tzinfo=clock.LONDON).astimezone(UTC)
        day_end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=clock.LONDON).astimezone(UTC)
        start, end = max(start, day_start), min(end, day_end)
    books = _book_ids(session, invite)
    if not books or start >= end:
        return []
    return session.exec(
        select(Slot, AppointmentBook)
        .join(AppointmentBook, AppointmentBook.id == Slot.book_id)  # type: ignore[arg-type]
        .where(
            col(Slot.book_id).in_(books),
            Slot.practice_id == invite.practice_id,
            Slot.kind == invite.kind,
            Slot.status == "free",
            col(Slot.start_utc) >= start,
            col(Slot.start_utc) < end,
        )
        .order_by(col(Slot.start_utc), col(Slot.id))
    ).all()


def free_days(
    session: Session, identity: Identity | None, invite_id: object, now: datetime | None = None
) -> tuple[list[DayChoice], Result]:
    """The days within the invite's window that have a free slot of its kind (UK dates)."""
    invite, checked = invites.check_for_account(session, identity, invite_id, now)
    if not checked.ok or invite is None:
        return [], checked
    counts: dict[date, int] = {}
    for slot, _book in _free_slots(session, invite, now):
        local = clock.to_london(slot.start_utc).date()
        counts[local] = counts.get(local, 0) + 1
    return [DayChoice(d.isoformat(), invites.long_day(d), n) for d, n in sorted(counts.items())], checked


def free_times(
    session: Session, identity: Identity | None, invite_id: object, day: object, now: datetime | None = None
) -> tuple[list[TimeChoice], Result]:
    """The free times on `day` (an ISO date) for the invite, earliest first."""
    invite, checked = invites.check_for_account(session, identity, invite_id, now)
    if not checked.ok or invite is None:
        return [], checked
    try:
        wanted = date.fromisoformat(day) if isinstance(day, str) else None
    except ValueError:
        wanted = None
    if wanted is None:
        return [], Result(errors={"day": NO_DAY})
    choices = []
    for slot, book in _free_slots(session, invite, now, day=wanted):
        at = f"{clock.to_london(slot.start_utc):%H:%M}"
        choices.append(TimeChoice(slot.id, at, f"{at} with {book.name}"))
    return choices, Result()


def _cutoff_minutes(session: Session, practice_id: int) -> int:
    settings = session.get(PracticeSettings, practice_id)
    return settings.cancel_cutoff_minutes if settings is not None else DEFAULT_CUTOFF_MINUTES


def describe(
    session: Session,
    appointment: Appointment,
    now: datetime | None = None,
    *,
    patient_name: str = "",
    cutoff_minutes: int | None = None,
) -> AppointmentView:
    """An appointment in words: when (UK time), where or how, with whom, and whether it can still
    be cancelled online. (Its slot, book and invite are read by primary key, so a list that has
    loaded them already sends no query for them: `appointments_for`.)"""
    slot = session.get(Slot, appointment.slot_id)
    assert slot is not None  # the foreign key
    book = session.get(AppointmentBook, slot.book_id)
    local = clock.to_london(slot.start_utc)
    if cutoff_minutes is None:
        cutoff_minutes = _cutoff_minutes(session, appointment.practice_id)
    cutoff = slot.start_utc - timedelta(minutes=cutoff_minutes)
    cancelled = appointment.cancelled_at is not None
    invite = session.get(AppointmentInvite, appointment.invite_id) if appointment.invite_id else None
    where, how = notices.where_and_how(slot.kind, book)
    cut_local = clock.to_london(cutoff)
    return AppointmentView(
        id=appointment.id,  # type: ignore[arg-type]
        patient_name=patient_name,
        what=APPOINTMENT_KINDS.get(slot.kind, "an appointment"),
        kind=slot.kind,
        when=f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M}",
        day=f"{local:%A} {local.day} {local:%B %Y}",
        time=f"{local:%H:%M}",
        with_whom=book.name if book else "",
        where=where,
        how=how,
        cancelled=cancelled,
        can_cancel=not cancelled and clock.as_utc(now) < cutoff,
        cancel_until=f"You can cancel online until {cut_local:%A} {cut_local.day} {cut_local:%B}, {cut_local:%H:%M}.",
        request_id=invite.request_id if invite else None,
        invite_id=appointment.invite_id,
        start_utc=slot.start_utc,
        end_utc=slot.end_utc,
        practice_id=appointment.practice_id,
        site_name=book.site_name if book else "",
    )


def book(
    session: Session,
    identity: Identity | None,
    invite_id: object,
    slot_id: object,
    now: datetime | None = None,
    *,
    key: object = "",
) -> BookingResult:
    """Book `slot_id` with the invite, for the invite's patient. Refusals (another account's invite,
    expired or used, the slot not one this invite may book, the slot taken meanwhile) change nothing.
    On success: the invite is used, the slot booked, the booking audited, and the confirmation
    queued by email and SMS to everyone who acts for the patient. ``key``: the confirm screen's
    idempotency key (services.platform.idempotency): confirmed again with the same key (a retry
    after a dropped connection), the first booking is the answer, not a refusal or a second one."""
    first = idempotency.claim(session, key, BOOKING)
    if first is not None:
        found = session.get(Appointment, first)
        # (Cancelled since, and the invite opened again: this is a new booking.)
        live = found if found is not None and found.cancelled_at is None else None
        if live is not None and invites.invite_for_account(session, identity, live.invite_id) is not None:
            return BookingResult(appointment_id=first)
    outcome = _book(session, identity, invite_id, slot_id, now)
    if outcome.ok:
        idempotency.settle(session, key, BOOKING, outcome.appointment_id)
    else:
        idempotency.release(session, key, BOOKING)
    return outcome


BOOKING = "booking"


def _book(
    session: Session, identity: Identity | None, invite_id: object, slot_id: object, now: datetime | None
) -> BookingResult:
    invite, checked = invites.check_for_account(session, identity, invite_id, now)
    if not checked.ok or invite is None:
        return BookingResult(errors=checked.errors)
    key = permissions.record_id(slot_id)
    if key is None:
        return BookingResult(errors={"slot": NO_TIME})
    allowed = {slot.id for slot, _book in _free_slots(session, invite, now, day=None)}
    slot = session.get(Slot, key)
    if slot is None or key not in allowed:
        taken = slot is not None and slot.status == "booked" and slot.kind == invite.kind
        return BookingResult(errors={"slot": SLOT_TAKEN if taken else SLOT_GONE})
    moment = clock.as_utc(now)
    if not slot_claims.take_invite(session, invite.id, moment):
        session.refresh(invite)
        return BookingResult(errors={FORM: invites.invite_problem(invite, now) or invites.USED})
    if not slot_claims.claim_slot(session, key):
        # Someone else's booking won: give the invite back (in this transaction, which holds it).
        slot_claims.give_back_invite(session, invite.id)
        session.refresh(invite)
        return BookingResult(errors={"slot": SLOT_TAKEN})
    appointment = Appointment(
        slot_id=key,
        invite_id=invite.id,
        patient_id=invite.patient_id,
        practice_id=invite.practice_id,
        booked_by_account_id=identity.account_id if identity else None,
        booked_at=moment,
    )
    session.add(appointment)
    session.flush()
    session.refresh(slot)
    session.refresh(invite)
    audit.record_patient(
        session,
        identity,
        "appointment_booked",
        patient_id=invite.patient_id,
        practice_id=invite.practice_id,
        detail={"appointment_id": appointment.id, "invite_id": invite.id, "slot_id": key},
    )
    notices.tell(session, "appointment_booked", describe(session, appointment, now), invite.patient_id, push_too=False)
    return BookingResult(appointment_id=appointment.id)


def appointment_for_account(session: Session, identity: Identity | None, appointment_id: object) -> Appointment | None:
    """The appointment if it is for someone this account acts for; None otherwise (whatever the reason)."""
    key = permissions.record_id(appointment_id)
    appointment = session.get(Appointment, key) if key else None
    if appointment is None or appointment.patient_id not in access.acting_patient_ids(session, identity):
        return None
    return appointment


def appointments_for(
    session: Session, identity: Identity | None, now: datetime | None = None, *, request_id: int | None = None
) -> list[AppointmentView]:
    """The account's upcoming appointments (not cancelled, not over), soonest first; only those
    booked with an invite from `request_id` when it is given."""
    patient_ids = access.acting_patient_ids(session, identity)
    if not patient_ids:
        return []
    # The slots and books come in the same query, the invites in one more and each practice's
    # cut-off once, so `describe` finds them all in the session: no query per appointment.
    query = (
        select(Appointment, Patient, Slot, AppointmentBook)
        .join(Slot, Slot.id == Appointment.slot_id)  # type: ignore[arg-type]
        .join(AppointmentBook, AppointmentBook.id == Slot.book_id)  # type: ignore[arg-type]
        .join(Patient, Patient.id == Appointment.patient_id)  # type: ignore[arg-type]
        .where(
            col(Appointment.patient_id).in_(patient_ids),
            col(Appointment.cancelled_at).is_(None),
            col(Slot.end_utc) > clock.as_utc(now),
        )
        .order_by(col(Slot.start_utc))
    )
    if request_id is not None:
        query = query.join(AppointmentInvite, AppointmentInvite.id == Appointment.invite_id).where(  # type: ignore[arg-type]
            AppointmentInvite.request_id == request_id
        )
    found = session.exec(query).all()
    invite_ids = {a.invite_id for a, *_ in found if a.invite_id is not None}
    # Held here while the views are made: the session keeps loaded rows only while something does.
    loaded = (
        session.exec(select(AppointmentInvite).where(col(AppointmentInvite.id).in_(invite_ids))).all()
        if invite_ids
        else []
    )
    cutoffs = {practice_id: _cutoff_minutes(session, practice_id) for practice_id in {a.practice_id for a, *_ in found}}
    views = [
        describe(session, a, now, patient_name=p.full_name, cutoff_minutes=cutoffs[a.practice_id])
        for a, p, _slot, _book in found
    ]
    del loaded
    return views


def cancel(
    session: Session,
    identity: Identity | None,
    appointment_id: object,
    reason: object = "",
    now: datetime | None = None,
) -> Result:
    """Cancel the account's appointment up to the practice's cut-off (default 2 hours before), with
    an optional reason. The slot is free again at once, and the invite can be used again while it is
    still valid. The patient's holders are told (no reason, nothing clinical)."""
    appointment = appointment_for_account(session, identity, appointment_id)
    if appointment is None:
        return Result(errors={FORM: NOT_FOUND})
    why = text_limits.typed(reason)
    problem = text_limits.check(why, CANCEL_REASON.limit, CANCEL_REASON.label) if why else ""
    if problem:
        return Result(errors={"reason": problem})
    view = describe(session, appointment, now)
    if view.cancelled:
        return Result(errors={FORM: ALREADY_CANCELLED})
    if view.end_utc <= clock.as_utc(now):
        return Result(errors={FORM: PAST})
    if not view.can_cancel:
        return Result(
            errors={FORM: "It is too late to cancel this appointment online. Phone your practice to cancel it."}
        )
    moment = clock.as_utc(now)
    by_account_id = identity.account_id if identity else None
    if not slot_claims.mark_cancelled(session, appointment.id, moment, why, by_account_id=by_account_id):
        return Result(errors={FORM: ALREADY_CANCELLED})
    slot_claims.free_slot(session, appointment.slot_id)
    slot_claims.reopen_invite(session, appointment.invite_id, moment)
    session.refresh(appointment)
    audit.record_patient(
        session,
        identity,
        "appointment_cancelled",
        patient_id=appointment.patient_id,
        practice_id=appointment.practice_id,
        detail={"appointment_id": appointment.id, "slot_id": appointment.slot_id, "with_reason": bool(why)},
    )
    notices.tell(session, "appointment_cancelled", view, appointment.patient_id, push_too=False)
    return Result()


def view_for_account(
    session: Session, identity: Identity | None, appointment_id: object, now: datetime | None = None
) -> tuple[AppointmentView | None, bool]:
    """(the appointment in words if this account acts for its patient, else None; whether its
    invite can book again now: after a cancellation, while the invite is valid)."""
    appointment = appointment_for_account(session, identity, appointment_id)
    if appointment is None:
        return None, False
    patient = session.get(Patient, appointment.patient_id)
    view = describe(session, appointment, now, patient_name=patient.full_name if patient else "")
    invite = session.get(AppointmentInvite, appointment.invite_id) if appointment.invite_id else None
    again = bool(view.cancelled and invite is not None and not invites.invite_problem(invite, now))
    return view, again
