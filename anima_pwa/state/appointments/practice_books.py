"""Workspace "Appointment books": the practice's books, creating one, and one book's weekly
pattern, days off and "Generate slots for the next N weeks". Forms are uncontrolled and read on
submit (what was typed stays on an error); a success redraws them empty. Reading needs
BOOK_APPOINTMENTS, every change MANAGE_APPOINTMENT_BOOKS (practice admins); the services check
both again, and the practice of every id."""

from __future__ import annotations

import reflex as rx

from anima_pwa import routes
from anima_pwa.db import session_scope
from anima_pwa.services.appointments import books, rota
from anima_pwa.services.practice.permissions import Action, StaffContext, record_id
from anima_pwa.state.base import clip, received
from anima_pwa.state.practice.screen import WorkspaceScreen
from anima_pwa.state.practice.workspace import PracticeState, staff_required

KIND_CHOICES = [{"value": k, "label": v} for k, v in books.KIND_LABELS.items()]
WEEKDAY_CHOICES = [{"value": str(i), "label": name} for i, name in enumerate(rota.WEEKDAYS)]


def _book_row(view: books.BookView) -> dict[str, str]:
    return {
        "id": str(view.id),
        "name": view.name,
        "owner": view.owner,
        "site": view.site or "No site given",
        "pattern": "; ".join(s.text for s in view.sessions) or "No weekly pattern yet",
        "free": str(view.free_slots),
        "last": view.last_slot or "No slots yet",
        "href": f"{routes.PRACTICE_BOOK}?id={view.id}",
    }


class AppointmentBooksState(WorkspaceScreen, PracticeState):
    """The list of books and the form to create one."""

    rows: list[dict[str, str]] = []
    clinicians: list[dict[str, str]] = []
    can_manage: bool = False

    def _shown(self) -> bool:
        return bool(self.rows) or self.can_manage

    def _show(self, staff: StaffContext) -> None:
        self.can_manage = staff.can(Action.MANAGE_APPOINTMENT_BOOKS)
        with session_scope() as db:
            self.rows = [_book_row(v) for v in books.book_views(db, staff)]
            choices = books.clinician_choices(db, staff) if self.can_manage else []
        self.clinicians = [{"value": str(i), "label": n} for i, n in choices]

    @rx.event
    @staff_required(Action.BOOK_APPOINTMENTS)
    def load(self, staff: StaffContext):
        self.rows = []
        self._fresh()
        self._show(staff)
        self.drawn += 1

    @rx.event
    @staff_required(Action.MANAGE_APPOINTMENT_BOOKS)
    def create_book(self, staff: StaffContext, form_data: dict):
        with session_scope() as db:
            result = rota.create_book(
                db,
                staff,
                name=received(form_data.get("name", "")),
                staff_id=clip(form_data.get("staff_id", ""), 12),
                team=received(form_data.get("team", "")),
                site_name=received(form_data.get("site_name", "")),
                site_address=received(form_data.get("site_address", "")),
            )
        if not result.ok:
            return self._refuse(result.errors)
        self.errors, self.summary = {}, []
        return rx.redirect(f"{routes.PRACTICE_BOOK}?id={result.id}&created=1")


class AppointmentBookState(WorkspaceScreen, PracticeState):
    """One book: its weekly pattern, days off, and generating its slots."""

    book: dict[str, str] = {}
    sessions: list[dict[str, str]] = []
    days_off: list[str] = []
    booked_on_days_off: list[str] = []  # appointments still booked on days off: to move or cancel
    can_manage: bool = False
    weekday_choices: list[dict[str, str]] = WEEKDAY_CHOICES
    kind_choices: list[dict[str, str]] = KIND_CHOICES
    _book_id: int = 0

    def _shown(self) -> bool:
        return bool(self.book)

    def _show(self, staff: StaffContext) -> None:
        self.can_manage = staff.can(Action.MANAGE_APPOINTMENT_BOOKS)
        with session_scope() as db:
            found = [v for v in books.book_views(db, staff) if v.id == self._book_id]
            clashes = books.booked_on_days_off(db, staff, self._book_id) if found else []
        if not found:
            self.book, self.sessions, self.days_off = {}, [], []
            self.error = "We could not find that appointment book at your practice."
            return
        view = found[0]
        self.book = _book_row(view)
        self.sessions = [{"id": str(s.id), "text": s.text} for s in view.sessions]
        self.days_off = [d.text for d in view.days_off]
        self.booked_on_days_off = clashes

    def _done(self, staff: StaffContext, notice: str) -> None:
        self._show(staff)
        self._succeeded(notice)

    @rx.event
    @staff_required(Action.BOOK_APPOINTMENTS)
    def load(self, staff: StaffContext):
        self.book = {}
        self._fresh()
        params = self.router.url.query_parameters
        self.notice = (
            "The appointment book has been created. Now add its weekly pattern." if "created" in params else ""
        )
        self._book_id = record_id(params.get("id", "")) or 0
        self._show(staff)
        self.drawn += 1

    @rx.event
    @staff_required(Action.MANAGE_APPOINTMENT_BOOKS)
    def add_session(self, staff: StaffContext, form_data: dict):
        with session_scope() as db:
            result = rota.add_session(
                db,
                staff,
                self._book_id,
                weekday=clip(form_data.get("weekday", ""), 12),
                start=clip(form_data.get("start", ""), 20),
                end=clip(form_data.get("end", ""), 20),
                slot_minutes=clip(form_data.get("slot_minutes", ""), 12),
                kind=clip(form_data.get("kind", ""), 20),
            )
        if not result.ok:
            return self._refuse(result.errors)
        self._done(staff, "The session has been added to the weekly pattern. Generate slots to make its times.")
        return None

    @rx.event
    @staff_required(Action.MANAGE_APPOINTMENT_BOOKS)
    def remove_session(self, staff: StaffContext, session_id: str):
        with session_scope() as db:
            result = books.remove_session(db, staff, self._book_id, clip(session_id, 12))
        if not result.ok:
            self._show(staff)
            return self._refuse(result.errors)
        self._done(staff, "The session has been taken out of the weekly pattern. Slots already made stay.")
        return None

    @rx.event
    @staff_required(Action.MANAGE_APPOINTMENT_BOOKS)
    def add_days_off(self, staff: StaffContext, form_data: dict):
        with session_scope() as db:
            result = rota.add_exception(
                db,
                staff,
                self._book_id,
                first_day=clip(form_data.get("first_day", ""), 20),
                last_day=clip(form_data.get("last_day", ""), 20),
                reason=received(form_data.get("reason", "")),
            )
        if not result.ok:
            return self._refuse(result.errors)
        self._done(staff, "The days off have been added. Free slots on those days are no longer available.")
        return None

    @rx.event
    @staff_required(Action.MANAGE_APPOINTMENT_BOOKS)
    def generate(self, staff: StaffContext, form_data: dict):
        with session_scope() as db:
            result = books.generate_for_book(db, staff, self._book_id, clip(form_data.get("weeks", ""), 12))
        if not result.ok:
            return self._refuse(result.errors)
        made = "1 new slot" if result.created == 1 else f"{result.created} new slots"
        days = "1 day was" if result.skipped == 1 else f"{result.skipped} days were"
        skipped = f" {days} skipped (bank holidays and days off)." if result.skipped else ""
        self._done(staff, f"{made} made.{skipped}")
        return None
