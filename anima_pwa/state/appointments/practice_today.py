"""Workspace "Appointments": the day's list per clinician (book) or site, and booking, moving and
cancelling for a patient on the phone. What is being done (book this slot, move this appointment,
cancel that one) is kept on the server by id; every id the browser sends is checked again by the
services against the staff member's practice, and a slot taken meanwhile is refused with a message."""

from __future__ import annotations

import reflex as rx

from anima_pwa import routes
from anima_pwa.db import session_scope
from anima_pwa.services.appointments import books, staff_booking, today_list
from anima_pwa.services.practice import patient_search
from anima_pwa.services.practice.permissions import Action, StaffContext, record_id
from anima_pwa.state.base import clip, received
from anima_pwa.state.practice.screen import WorkspaceScreen
from anima_pwa.state.practice.workspace import PracticeState, staff_required

CHOSEN_GONE = "That time is no longer on the list. Choose another time."


class PracticeTodayState(WorkspaceScreen, PracticeState):
    day: str = ""  # ISO date in the date picker
    heading: str = ""
    book_choice: str = ""  # a book's id, or ""
    site_choice: str = ""
    book_choices: list[dict[str, str]] = []
    site_choices: list[str] = []
    rows: list[dict[str, str]] = []
    counts: str = ""
    # What is under way: booking a free slot, moving or cancelling an appointment.
    mode: str = ""  # "" | book | move | cancel
    chosen: str = ""  # "09:15 with Dr Amir Khan" or "Zoe Smith at 09:15 with Dr Amir Khan"
    query: str = ""
    found: list[dict[str, str]] = []
    searched: bool = False
    _slot_id: int = 0
    _appointment_id: int = 0
    _chosen_once: bool = False

    def _shown(self) -> bool:
        return bool(self.heading)

    def _show(self, staff: StaffContext) -> None:
        day = today_list.parse_day(self.day)
        with session_scope() as db:
            self.book_choices = [{"value": str(v.id), "label": v.name} for v in books.book_views(db, staff)]
            self.site_choices = today_list.sites(db, staff)
            if self.book_choice and self.book_choice not in {c["value"] for c in self.book_choices}:
                self.book_choice = ""
            if self.site_choice not in self.site_choices:
                self.site_choice = ""
            listed = today_list.day_list(
                db, staff, day, book_id=self.book_choice or None, site=None if self.book_choice else self.site_choice
            )
        self.day, self.heading = day.isoformat(), listed.heading
        self.counts = f"{listed.booked} booked, {listed.free} free"
        self.rows = [
            {
                "slot": str(r.slot_id),
                "time": r.time,
                "ends": r.ends,
                "book": r.book,
                "site": r.site,
                "kind": r.kind,
                "status": r.status,
                "status_label": r.status_label,
                "appointment": str(r.appointment_id or ""),
                "patient": r.patient_name,
                "patient_href": routes.practice_patient(r.patient_id) if r.patient_id else "",
                "born": r.patient_born,
                "open": "yes" if r.status == "free" and not r.past else "",
                "live": "yes" if r.status == "booked" and not r.past else "",
            }
            for r in listed.rows
        ]

    def _stop(self) -> None:
        self.mode, self.chosen, self.query, self.found, self.searched = "", "", "", [], False
        self._slot_id, self._appointment_id = 0, 0

    def _done(self, staff: StaffContext, notice: str) -> None:
        self._stop()
        self._show(staff)
        self._succeeded(notice)

    def _refused(self, staff: StaffContext, errors: dict[str, str]):
        self._show(staff)
        return self._refuse(errors, {"slot": "day-list"})

    def _row(self, slot_id: str) -> dict[str, str] | None:
        return next((r for r in self.rows if r["slot"] == slot_id), None)

    @rx.event
    @staff_required(Action.BOOK_APPOINTMENTS)
    def load(self, staff: StaffContext):
        self.heading = ""
        self._fresh()
        self.day = clip(self.router.url.query_parameters.get("day", ""), 10)
        self._stop()
        if not self._chosen_once:
            # A clinician opens on their own book; everyone else on the whole practice.
            with session_scope() as db:
                own = [v.id for v in books.book_views(db, staff) if v.clinician_id == staff.staff_id]
            self.book_choice, self._chosen_once = (str(own[0]) if own else ""), True
        self._show(staff)
        self.drawn += 1

    @rx.event
    @staff_required(Action.BOOK_APPOINTMENTS)
    def show(self, staff: StaffContext, form_data: dict):
        """The date picker and the clinician or site choice. A move under way carries on to the
        new day (moving to another day); booking or cancelling a slot of the old day stops."""
        self.day = clip(form_data.get("day", ""), 10)
        self.book_choice = clip(form_data.get("book", ""), 12)
        self.site_choice = clip(form_data.get("site", ""), 120)
        if self.mode != "move":
            self._stop()
        self.errors, self.summary, self.notice = {}, [], ""
        self._show(staff)

    @rx.event
    def stop(self):
        self._stop()
        self.errors, self.summary = {}, []

    @rx.event
    @staff_required(Action.BOOK_APPOINTMENTS)
    def start_booking(self, staff: StaffContext, slot_id: str):
        row = self._row(clip(slot_id, 12))
        if row is None or row["open"] != "yes":
            return self._refused(staff, {"form": CHOSEN_GONE})
        self._stop()
        self.mode, self._slot_id = "book", record_id(row["slot"]) or 0
        self.chosen = f"{row['time']} with {row['book']}"
        self.errors, self.summary, self.notice = {}, [], ""
        return None

    @rx.event
    @staff_required(Action.SEARCH_PATIENTS)
    def search(self, staff: StaffContext, form_data: dict):
        if self.mode != "book":
            return None
        self.query = clip(form_data.get("query", ""), 100)
        if len(self.query.strip()) < patient_search.MIN_QUERY_LENGTH:
            self.found, self.searched = [], False
            return self._fail({"query": "Enter a name, NHS number, date of birth or email address"})
        with session_scope() as db:
            found = patient_search.search_patients(db, staff, self.query, limit=20)
        self.searched, self.errors, self.summary = True, {}, []
        self.found = [
            {"id": str(r.id), "name": r.full_name, "born": r.date_of_birth, "nhs": r.nhs_number, "postcode": r.postcode}
            for r in found
        ]
        return None

    @rx.event
    @staff_required(Action.BOOK_APPOINTMENTS)
    def book_for(self, staff: StaffContext, patient_id: str):
        if self.mode != "book" or not self._slot_id:
            return None
        with session_scope() as db:
            result = staff_booking.book_for_patient(db, staff, self._slot_id, clip(patient_id, 12))
        if not result.ok:
            return self._refused(staff, dict(result.errors))
        name = next((p["name"] for p in self.found if p["id"] == clip(patient_id, 12)), "The patient")
        self._done(staff, f"{name} is booked for {self.chosen}. They have been told by email or text message.")
        return None

    @rx.event
    @staff_required(Action.BOOK_APPOINTMENTS)
    def start_move(self, staff: StaffContext, slot_id: str):
        row = self._row(clip(slot_id, 12))
        if row is None or row["live"] != "yes":
            return self._refused(staff, {"form": "That appointment is no longer on the list."})
        self._stop()
        self.mode, self._appointment_id = "move", record_id(row["appointment"]) or 0
        self.chosen = f"{row['patient']} at {row['time']} on {self.heading} with {row['book']}"
        self.errors, self.summary, self.notice = {}, [], ""
        return None

    @rx.event
    @staff_required(Action.BOOK_APPOINTMENTS)
    def move_to(self, staff: StaffContext, slot_id: str):
        if self.mode != "move" or not self._appointment_id:
            return None
        row = self._row(clip(slot_id, 12))
        with session_scope() as db:
            result = staff_booking.move(db, staff, self._appointment_id, clip(slot_id, 12))
        if not result.ok:
            return self._refused(staff, dict(result.errors))
        where = f" to {row['time']} on {self.heading} with {row['book']}" if row else ""
        self._done(staff, f"The appointment has been moved{where}. The patient has been told.")
        return None

    @rx.event
    @staff_required(Action.BOOK_APPOINTMENTS)
    def start_cancel(self, staff: StaffContext, slot_id: str):
        row = self._row(clip(slot_id, 12))
        if row is None or row["live"] != "yes":
            return self._refused(staff, {"form": "That appointment is no longer on the list."})
        self._stop()
        self.mode, self._appointment_id = "cancel", record_id(row["appointment"]) or 0
        self.chosen = f"{row['patient']} at {row['time']} on {self.heading} with {row['book']}"
        self.errors, self.summary, self.notice = {}, [], ""
        self.drawn += 1
        return None

    @rx.event
    @staff_required(Action.BOOK_APPOINTMENTS)
    def cancel(self, staff: StaffContext, form_data: dict):
        if self.mode != "cancel" or not self._appointment_id:
            return None
        with session_scope() as db:
            result = staff_booking.cancel_for_patient(
                db, staff, self._appointment_id, received(form_data.get("cancel_reason", ""))
            )
        if not result.ok:
            if "form" in result.errors:
                self._stop()
            return self._refused(staff, dict(result.errors))
        self._done(staff, "The appointment has been cancelled and the time is free again. The patient has been told.")
        return None
