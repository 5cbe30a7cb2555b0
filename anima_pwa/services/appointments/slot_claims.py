"""The conditional UPDATEs that claim and release slots and invites, shared by the patient's
booking (`booking`) and the practice's (`staff_booking`).

Each claim is one ``UPDATE … WHERE status = <expected>``: of two transactions racing for the same
row exactly one sees rowcount 1 and wins; the loser changes nothing. The give-backs undo a claim
made earlier in the same transaction (which still holds the row, so nobody else has seen it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col

from anima_pwa.models import Appointment, AppointmentInvite, Slot

__all__ = ["claim_slot", "free_slot", "give_back_invite", "mark_cancelled", "reopen_invite", "take_invite"]


def take_invite(session: Session, invite_id: int | None, moment: datetime) -> bool:
    """Mark the invite used if it is still open: True for the one transaction that does."""
    used = session.exec(
        update(AppointmentInvite)
        .where(col(AppointmentInvite.id) == invite_id, col(AppointmentInvite.status) == "open")
        .values(status="used", used_at=moment)
    )
    return used.rowcount == 1


def give_back_invite(session: Session, invite_id: int | None) -> None:
    """Undo `take_invite` in the same transaction."""
    session.exec(
        update(AppointmentInvite).where(col(AppointmentInvite.id) == invite_id).values(status="open", used_at=None)
    )


def reopen_invite(session: Session, invite_id: int | None, moment: datetime) -> None:
    """After a cancellation: the invite the appointment was booked with can book again while it is valid."""
    if invite_id is None:
        return
    session.exec(
        update(AppointmentInvite)
        .where(
            col(AppointmentInvite.id) == invite_id,
            col(AppointmentInvite.status) == "used",
            col(AppointmentInvite.expires_at) > moment,
        )
        .values(status="open", used_at=None)
    )


def claim_slot(session: Session, slot_id: int | None) -> bool:
    """Mark the slot booked if it is still free: True for the one transaction that does."""
    taken = session.exec(
        update(Slot).where(col(Slot.id) == slot_id, col(Slot.status) == "free").values(status="booked")
    )
    return taken.rowcount == 1


def free_slot(session: Session, slot_id: int | None) -> None:
    """A booked slot is free again."""
    session.exec(update(Slot).where(col(Slot.id) == slot_id, col(Slot.status) == "booked").values(status="free"))


def mark_cancelled(
    session: Session,
    appointment_id: int | None,
    moment: datetime,
    reason: str,
    *,
    by_account_id: int | None = None,
    by_staff_id: int | None = None,
) -> bool:
    """Cancel the appointment if it is still live: True for the one transaction that does."""
    done = session.exec(
        update(Appointment)
        .where(col(Appointment.id) == appointment_id, col(Appointment.cancelled_at).is_(None))
        .values(
            cancelled_at=moment,
            cancel_reason=reason,
            cancelled_by_account_id=by_account_id,
            cancelled_by_staff_id=by_staff_id,
        )
    )
    return done.rowcount == 1
