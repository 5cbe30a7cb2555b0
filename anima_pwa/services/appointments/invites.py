"""Invites to book: the practice invites a patient (at sign-off, "Invite to book an appointment",
or from a request page) to book one appointment of a kind, with a clinician's book or a team's,
within a window of days; the invite expires (7 days unless staff say otherwise) and is used once
(a cancelled booking gives it back while it is still valid).

`create_invite` is one call in the caller's transaction (the sign-off's), so an invite exists
exactly when the sign-off is saved. What the patient's account sees: `open_invites_for` (the
invites of the people it acts for, through `inbox.access`), and `invite_for_account`, the one
check every patient-side booking step makes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from anima_pwa.models import Appointment, AppointmentBook, AppointmentInvite, Patient, Request, id_of
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.inbox import access
from anima_pwa.services.inbox.outcomes import APPOINTMENT_KINDS
from anima_pwa.services.platform import audit, clock
from anima_pwa.services.platform.results import FORM, Result
from anima_pwa.services.practice import permissions
from anima_pwa.services.practice.permissions import Action, StaffContext

__all__ = [
    "DEFAULT_EXPIRY_DAYS",
    "DEFAULT_WINDOW_DAYS",
    "EXPIRED",
    "NOT_YOURS",
    "USED",
    "InviteResult",
    "InviteView",
    "create_invite",
    "invite_for_account",
    "invite_from_outcome",
    "invite_problem",
    "open_invites_for",
    "book_choices",
    "window_label",
]

DEFAULT_EXPIRY_DAYS = 7
DEFAULT_WINDOW_DAYS = 14
MAX_WINDOW_DAYS = 90
MAX_EXPIRY_DAYS = 60

NOT_YOURS = "We could not find that invitation. Check you are signed in to the right account."
EXPIRED = "This invitation to book has expired. Contact your practice if you still need an appointment."
USED = "You have already booked an appointment with this invitation. It is in In progress."
WITHDRAWN = "Your practice has withdrawn this invitation. Contact your practice if you still need an appointment."


@dataclass(frozen=True, kw_only=True)
class InviteResult(Result):
    id: int | None = None


@dataclass(frozen=True)
class InviteView:
    """An open invite as the patient's account reads it."""

    id: int
    patient_name: str
    what: str  # "a telephone appointment"
    with_whom: str  # "Dr Amir Khan" or "the nurse team"
    window: str  # "between Tuesday 1 December and Monday 14 December"
    expires: str  # "Book by Monday 7 December, 17:00"
    request_id: int | None


def _day(value: object) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def create_invite(
    session: Session,
    staff: StaffContext | None,
    *,
    patient_id: object,
    appointment_kind: object,
    request_id: object = None,
    book_id: object = None,
    team: object = "",
    window_start: object = None,
    window_end: object = None,
    window_days: object = None,
    expires_in_days: object = DEFAULT_EXPIRY_DAYS,
    now: datetime | None = None,
) -> InviteResult:
    """Invite the patient (at the staff member's practice) to book one appointment of
    `appointment_kind` (a key of `outcomes.APPOINTMENT_KINDS`) with a book of the practice or any
    book of a team, between `window_start` (default today) and `window_end` (default
    `window_days`, 14, later), expiring after `expires_in_days` (default 7). Field errors use the
    sign-off form's names (`appointment_kind`, `book`, `window_end`, `expires`); nothing is saved
    when there are any. PermissionDenied for a patient or request not at the practice."""
    staff = permissions.require(staff, Action.BOOK_APPOINTMENTS)
    patient = permissions.require_patient(session, staff, Action.BOOK_APPOINTMENTS, patient_id)
    request: Request | None = None
    if request_id not in (None, ""):
        key = permissions.record_id(request_id)
        request = session.get(Request, key) if key else None
        if request is None or request.practice_id != staff.practice_id or request.patient_id != patient.id:
            raise permissions.PermissionDenied("We could not find that request at your practice.")
    errors: dict[str, str] = {}
    if appointment_kind not in APPOINTMENT_KINDS:
        errors["appointment_kind"] = "Choose the kind of appointment"
    book: AppointmentBook | None = None
    team_name = team.strip() if isinstance(team, str) else ""
    if book_id not in (None, ""):
        key = permissions.record_id(book_id)
        book = session.get(AppointmentBook, key) if key else None
        if book is None or book.practice_id != staff.practice_id or not book.active:
            errors["book"] = "Choose a clinician or team at your practice"
            book = None
        team_name = ""
    elif team_name:
        known = session.exec(
            select(AppointmentBook.id).where(
                AppointmentBook.practice_id == staff.practice_id,
                AppointmentBook.team == team_name,
                AppointmentBook.active == True,  # noqa: E712
            )
        ).first()
        if known is None:
            errors["book"] = "Choose a clinician or team at your practice"
    else:
        errors["book"] = "Choose a clinician or team"
    today = clock.today(now)
    first = _day(window_start) if window_start not in (None, "") else today
    days = _int(window_days) if window_days not in (None, "") else DEFAULT_WINDOW_DAYS
    if first is None:
        errors["window_start"] = "Enter the first day the patient can book, like 2027-03-29"
    elif first < today:
        errors["window_start"] = "The first day can't be in the past"
    last = _day(window_end) if window_end not in (None, "") else None
    if window_end not in (None, "") and last is None:
        errors["window_end"] = "Enter the last day the patient can book, like 2027-04-09"
    if last is None and first is not None and "window_end" not in errors:
        if days is None or not 1 <= days <= MAX_WINDOW_DAYS:
            errors["window_end"] = f"The window must be between 1 and {MAX_WINDOW_DAYS} days"
        else:
            last = first + timedelta(days=days - 1)
    if first is not None and last is not None and "window_end" not in errors:
        if last < first:
            errors["window_end"] = "The last day must be on or after the first day"
        elif (last - today).days > MAX_WINDOW_DAYS:
            errors["window_end"] = f"The last day must be within {MAX_WINDOW_DAYS} days"
    expiry_days = _int(expires_in_days)
    if expiry_days is None or not 1 <= expiry_days <= MAX_EXPIRY_DAYS:
        errors["expires"] = f"The invitation must last between 1 and {MAX_EXPIRY_DAYS} days"
    if errors:
        return InviteResult(errors=errors)
    invite = AppointmentInvite(
        request_id=request.id if request else None,
        patient_id=patient.id,  # type: ignore[arg-type]
        practice_id=staff.practice_id,
        kind=str(appointment_kind),
        book_id=book.id if book else None,
        team=team_name,
        window_start=first,  # type: ignore[arg-type]
        window_end=last,  # type: ignore[arg-type]
        expires_at=clock.as_utc(now) + timedelta(days=expiry_days),  # type: ignore[arg-type]
        created_by_staff_id=staff.staff_id,
    )
    session.add(invite)
    session.flush()
    audit.record_staff(
        session,
        staff,
        "appointment_invite_created",
        patient_id=patient.id,
        detail={"invite_id": invite.id, "request_id": invite.request_id, "kind": invite.kind},
    )
    return InviteResult(id=invite.id)


def invite_problem(invite: AppointmentInvite, now: datetime | None = None) -> str:
    """Why this invite can't be used to book now ("" if it can)."""
    if invite.status == "withdrawn":
        return WITHDRAWN
    if invite.status == "used":
        return USED
    if clock.as_utc(invite.expires_at) <= clock.as_utc(now) or invite.window_end < clock.today(now):
        return EXPIRED
    return ""


def invite_for_account(session: Session, identity: Identity | None, invite_id: object) -> AppointmentInvite | None:
    """The invite if it is for someone this account acts for (`inbox.access`); None otherwise,
    whatever the reason (another account's, a nonsense id), so nothing says whether it exists."""
    key = permissions.record_id(invite_id)
    invite = session.get(AppointmentInvite, key) if key else None
    if invite is None or invite.patient_id not in access.acting_patient_ids(session, identity):
        return None
    return invite


def check_for_account(
    session: Session, identity: Identity | None, invite_id: object, now: datetime | None = None
) -> tuple[AppointmentInvite | None, Result]:
    """The invite and an empty result when this account may book with it now; else a result with
    the reason (`NOT_YOURS`, `EXPIRED`, `USED`, withdrawn)."""
    invite = invite_for_account(session, identity, invite_id)
    if invite is None:
        return None, Result(errors={FORM: NOT_YOURS})
    problem = invite_problem(invite, now)
    return invite, Result(errors={FORM: problem} if problem else {})


def book_choices(session: Session, staff: StaffContext | None) -> list[tuple[int, str]]:
    """The practice's active books, as staff choose who an invitation is with: (id, "Dr Amir Khan,
    Riverside Surgery")."""
    staff = permissions.require(staff, Action.BOOK_APPOINTMENTS)
    books = session.exec(
        select(AppointmentBook)
        .where(AppointmentBook.practice_id == staff.practice_id, AppointmentBook.active == True)  # noqa: E712
        .order_by(col(AppointmentBook.name))
    ).all()
    return [(id_of(b), ", ".join(part for part in (b.name, b.site_name) if part)) for b in books]


def with_whom(session: Session, invite: AppointmentInvite, books: dict[int, AppointmentBook] | None = None) -> str:
    """The book's name, "the nurse team", or "your practice". ``books``: those a list has read."""
    if invite.book_id is not None:
        book = books.get(invite.book_id) if books is not None else session.get(AppointmentBook, invite.book_id)
        return book.name if book else ""
    return f"the {invite.team} team" if invite.team else "your practice"


def long_day(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


def window_label(invite: AppointmentInvite) -> str:
    if invite.window_start == invite.window_end:
        return f"on {long_day(invite.window_start)}"
    return f"between {long_day(invite.window_start)} and {long_day(invite.window_end)}"


def open_invites_for(session: Session, identity: Identity | None, now: datetime | None = None) -> list[InviteView]:
    """The invites the account may book with now (for itself and the people it acts for): open,
    not expired, the window not over. Oldest first (the one expiring soonest first)."""
    patient_ids = access.acting_patient_ids(session, identity)
    if not patient_ids:
        return []
    found = session.exec(
        select(AppointmentInvite, Patient)
        .join(Patient, Patient.id == AppointmentInvite.patient_id)  # type: ignore[arg-type]
        .where(
            col(AppointmentInvite.patient_id).in_(patient_ids),
            AppointmentInvite.status == "open",
            col(AppointmentInvite.expires_at) > clock.as_utc(now),
            col(AppointmentInvite.window_end) >= clock.today(now),
        )
        .order_by(col(AppointmentInvite.expires_at), col(AppointmentInvite.id))
    ).all()
    book_ids = {invite.book_id for invite, _patient in found if invite.book_id is not None}
    books = (
        {id_of(b): b for b in session.exec(select(AppointmentBook).where(col(AppointmentBook.id).in_(book_ids))).all()}
        if book_ids
        else {}
    )  # every invite's book in one query, not one each
    views = []
    for invite, patient in found:
        expires = clock.to_london(invite.expires_at)
        views.append(
            InviteView(
                id=invite.id,  # type: ignore[arg-type]
                patient_name=patient.full_name,
                what=APPOINTMENT_KINDS.get(invite.kind, "an appointment"),
                with_whom=with_whom(session, invite, books),
                window=window_label(invite),
                expires=f"Book by {long_day(expires.date())}, {expires:%H:%M}",
                request_id=invite.request_id,
            )
        )
    return views


def live_appointment_for(session: Session, invite_id: int) -> Appointment | None:
    return session.exec(
        select(Appointment).where(Appointment.invite_id == invite_id, col(Appointment.cancelled_at).is_(None))
    ).first()


def invite_from_outcome(
    session: Session, staff: StaffContext | None, request: Request, detail: dict, now: datetime | None = None
) -> InviteResult:
    """The sign-off's "Invite to book" as one call in its transaction: the invite for the request's
    patient from the outcome's details (`appointment_kind`, and `book_id` or `team`, optional
    `window_start`/`window_end` or `window_days`, `expires_in_days`). Field errors as
    `create_invite`'s, for the sign-off form to show beside its fields."""
    return create_invite(
        session,
        staff,
        patient_id=request.patient_id,
        request_id=request.id,
        appointment_kind=detail.get("appointment_kind"),
        book_id=detail.get("book_id"),
        team=detail.get("team", ""),
        window_start=detail.get("window_start"),
        window_end=detail.get("window_end"),
        window_days=detail.get("window_days"),
        expires_in_days=detail.get("expires_in_days") or DEFAULT_EXPIRY_DAYS,
        now=now,
    )
