"""The patient's appointment screens (issue 12): booking with an invite (choose a day, then a time,
then confirm) and one appointment's page (Add to calendar, Cancel appointment). Thin: each handler
finds who is signed in (`@sign_in_required`) and calls one service in `services/appointments/`,
which checks every id the browser sends against the signed-in account."""

from __future__ import annotations

import reflex as rx

from anima_pwa import routes
from anima_pwa.db import session_scope
from anima_pwa.services.appointments import booking, invites
from anima_pwa.services.appointments.booking import AppointmentView
from anima_pwa.services.appointments.invites import InviteView
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.platform import idempotency
from anima_pwa.services.platform.results import FORM
from anima_pwa.state.base import SessionState, clip, sign_in_required


def invite_row(v: InviteView) -> dict[str, str]:
    return {
        "id": str(v.id),
        "href": f"{routes.APPOINTMENT_BOOK}?invite={v.id}",
        "what": v.what[:1].upper() + v.what[1:],
        "with": v.with_whom,
        "for": v.patient_name,
        "window": v.window,
        "expires": v.expires,
    }


def appointment_row(v: AppointmentView) -> dict[str, str]:
    return {
        "id": str(v.id),
        "href": f"{routes.APPOINTMENT_VIEW}?id={v.id}",
        "ics": f"{routes.APPOINTMENT_ICS}{v.id}",
        "what": v.what[:1].upper() + v.what[1:],
        "when": v.when,
        "with": v.with_whom,
        "where": v.where,
        "how": v.how,
        "for": v.patient_name,
        "cancelled": "yes" if v.cancelled else "",
        "can_cancel": "yes" if v.can_cancel else "",
        "cancel_until": v.cancel_until,
        "request_href": f"{routes.REQUEST_VIEW}?id={v.request_id}" if v.request_id else "",
    }


class BookAppointmentState(SessionState):
    """Booking with an invite: a day, then a time, then confirm. Nothing is booked until confirm."""

    invite_id: str = ""
    found: bool = False
    refused: str = ""  # the invite can't be used (not theirs, expired, used): the whole page says why
    invite: dict[str, str] = {}
    step: str = "day"  # day | time | confirm
    days: list[dict[str, str]] = []
    day: str = ""
    day_label: str = ""
    times: list[dict[str, str]] = []
    slot_id: str = ""
    time_label: str = ""
    errors: dict[str, str] = {}
    summary: list[list[str]] = []
    _booking_key: str = ""  # with the invite's id: one booking per invite, however often confirmed

    def _reset_page(self) -> None:
        self.found, self.refused, self.invite = False, "", {}
        self.step, self.days, self.day, self.day_label = "day", [], "", ""
        self.times, self.slot_id, self.time_label = [], "", ""
        self.errors, self.summary = {}, []

    def _load_days(self, identity: Identity) -> bool:
        with session_scope() as db:
            listed = {v.id: v for v in invites.open_invites_for(db, identity)}
            days, checked = booking.free_days(db, identity, self.invite_id, None)
        if not checked.ok:
            self.found, self.refused = False, checked.message
            return False
        view = listed.get(int(self.invite_id)) if self.invite_id.isdigit() else None
        self.found = True
        self.invite = invite_row(view) if view else {}
        self.days = [{"day": d.day, "label": d.label, "free": str(d.free)} for d in days]
        return True

    def _denied(self, message: str):
        self._reset_page()
        self.refused = message
        return None

    @rx.event
    @sign_in_required
    def load(self, identity: Identity):
        self._reset_page()
        self.invite_id = clip(self.router.url.query_parameters.get("invite", ""), 12)
        self._load_days(identity)

    @rx.event
    @sign_in_required
    def choose_day(self, identity: Identity, day: str):
        day = clip(day, 10)
        with session_scope() as db:
            times, checked = booking.free_times(db, identity, self.invite_id, day, None)
        if not checked.ok:
            if FORM in checked.errors:
                return self._denied(checked.message)
            return self._fail(dict(checked.errors), {"day": "days"})
        label = next((d["label"] for d in self.days if d["day"] == day), day)
        self.day, self.day_label, self.step = day, label, "time"
        self.times = [{"id": str(t.slot_id), "time": t.time, "label": t.label} for t in times]
        self.slot_id, self.time_label, self.errors, self.summary = "", "", {}, []
        if not times:
            self._fail({"slot": "There are no times left on this day. Choose another day."}, {"slot": "times"})
        return None

    @rx.event
    def choose_time(self, slot_id: str):
        chosen = next((t for t in self.times if t["id"] == clip(slot_id, 12)), None)
        if chosen is None:
            return self._fail({"slot": booking.NO_TIME}, {"slot": "times"})
        self.slot_id, self.time_label, self.step = chosen["id"], chosen["label"], "confirm"
        self.errors, self.summary = {}, []
        return None

    @rx.event
    def change_day(self):
        self.step, self.times, self.slot_id, self.errors, self.summary = "day", [], "", {}, []

    @rx.event
    def change_time(self):
        self.step, self.slot_id, self.errors, self.summary = "time", "", {}, []

    @rx.event
    @sign_in_required
    def confirm(self, identity: Identity):
        # One key per tab, with the invite: a retry after a dropped connection gives the first
        # booking back, never a second or a refusal (services.platform.idempotency).
        self._booking_key = self._booking_key or idempotency.new_key()
        with session_scope() as db:
            done = booking.book(db, identity, self.invite_id, self.slot_id, key=f"{self.invite_id}.{self._booking_key}")
        if done.ok:
            return rx.redirect(f"{routes.APPOINTMENT_VIEW}?id={done.appointment_id}&booked=1")
        if FORM in done.errors:  # the invite itself can't be used any more
            return self._denied(done.message)
        # The time went meanwhile: back to the times of that day, freshly read, with the reason.
        message = done.errors.get("slot", booking.SLOT_TAKEN)
        self._load_days(identity)
        with session_scope() as db:
            times, _ = booking.free_times(db, identity, self.invite_id, self.day, None)
        self.times = [{"id": str(t.slot_id), "time": t.time, "label": t.label} for t in times]
        self.step, self.slot_id = "time", ""
        return self._fail({"slot": message}, {"slot": "times"})


class AppointmentState(SessionState):
    """One appointment: the booking's details, Add to calendar, and Cancel appointment."""

    appointment_id: str = ""
    found: bool = False
    not_found: str = ""
    appointment: dict[str, str] = {}
    booked_now: bool = False  # arrived from confirming: "Your appointment is booked"
    cancelled_now: bool = False
    book_again_href: str = ""
    form_key: int = 0
    errors: dict[str, str] = {}
    summary: list[list[str]] = []

    def _show(self, identity: Identity) -> None:
        with session_scope() as db:
            view, again = booking.view_for_account(db, identity, self.appointment_id)
        if view is None:
            self.found, self.appointment, self.not_found = False, {}, booking.NOT_FOUND
            return
        self.found, self.not_found = True, ""
        self.appointment = appointment_row(view)
        self.book_again_href = f"{routes.APPOINTMENT_BOOK}?invite={view.invite_id}" if again else ""

    def _denied(self, message: str):
        self.found, self.appointment, self.not_found = False, {}, message
        return None

    @rx.event
    @sign_in_required
    def load(self, identity: Identity):
        query = self.router.url.query_parameters
        self.appointment_id = clip(query.get("id", ""), 12)
        self.booked_now = query.get("booked", "") == "1"
        self.cancelled_now, self.errors, self.summary = False, {}, []
        self._show(identity)

    @rx.event
    @sign_in_required
    def cancel(self, identity: Identity, form: dict):
        with session_scope() as db:
            done = booking.cancel(db, identity, self.appointment_id, form.get("reason", ""))
        if not done.ok:
            self._show(identity)
            return self._fail(dict(done.errors), {"reason": "reason"})
        self._show(identity)
        self.booked_now, self.cancelled_now, self.errors, self.summary = False, True, {}, []
        self.form_key += 1
        return None
