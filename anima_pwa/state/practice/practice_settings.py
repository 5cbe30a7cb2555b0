"""Workspace practice settings: online-request hours, limits, closed days and the off switch."""

from __future__ import annotations

from datetime import date

import reflex as rx

from anima_pwa.db import session_scope
from anima_pwa.services.practice import core_hours, practice_link
from anima_pwa.services.practice.permissions import Action, StaffContext, record_id
from anima_pwa.services.requests import practice_settings, request_settings
from anima_pwa.settings import settings
from anima_pwa.state.base import clip, received
from anima_pwa.state.practice.workspace import PracticeState, staff_required

BOOLEAN_FIELDS = ("turned_off", "free_text_enabled")


class PracticeSettingsState(PracticeState):
    values: dict[str, str] = {}
    flags: dict[str, bool] = {name: False for name in BOOLEAN_FIELDS}
    closed: list[dict[str, str]] = []
    new_closed_day: str = ""
    new_closed_reason: str = ""
    can_edit: bool = False
    saved: bool = False
    errors: dict[str, str] = {}
    summary: list[list[str]] = []
    loaded: int = 0
    # The core-hours rule: what a change would close, in plain words, and the admin's reason.
    core_hours_warnings: list[str] = []
    core_hours_why: str = ""
    closed_day_warning: str = ""
    closed_day_why: str = ""
    can_read_log: bool = False
    # The practice's own link (/p/<ODS code>) to give patients, and its waiting-room poster.
    own_link: str = ""
    poster_href: str = ""

    def _refresh(self, staff) -> None:
        with session_scope() as db:
            view = request_settings.settings_for(db, staff.practice_id)
            days = request_settings.closed_days(db, staff.practice_id)  # from today in England
            self.own_link, self.poster_href = practice_link.links_of(db, staff.practice_id, settings.origin)
        form = view.form()
        self.values = {k: str(v) for k, v in form.items() if k not in BOOLEAN_FIELDS}
        self.flags = {k: bool(form[k]) for k in BOOLEAN_FIELDS}
        self.closed = [{"id": str(d.id), "label": d.label, "reason": d.reason} for d in days]
        self.can_edit = staff.can(Action.MANAGE_PRACTICE_SETTINGS)
        self.can_read_log = staff.can(Action.VIEW_CORE_HOURS_LOG)
        self.loaded += 1

    def _denied(self, message: str):
        self.core_hours_warnings = []
        return self._fail({"form": message})

    @rx.event
    @staff_required()
    def load(self, staff: StaffContext):
        self.errors, self.summary, self.saved = {}, [], False
        self.core_hours_warnings, self.core_hours_why, self.closed_day_warning, self.closed_day_why = [], "", "", ""
        self._refresh(staff)

    @rx.event
    def set_value(self, name: str, value: str):
        if name in self.values:
            self.values[name] = received(value)
            self.saved = False
            self.core_hours_warnings = []  # warned about other values: check again on save

    @rx.event
    def set_flag(self, name: str, checked: bool):
        if name in BOOLEAN_FIELDS:
            self.flags[name] = bool(checked)
            self.saved = False
            self.core_hours_warnings = []

    @rx.event
    def set_core_hours_why(self, value: str):
        self.core_hours_why = received(value)

    @rx.event
    def cancel_core_hours(self):
        self.core_hours_warnings, self.errors, self.summary = [], {}, []

    @rx.event
    @staff_required(Action.MANAGE_PRACTICE_SETTINGS)
    def save(self, staff: StaffContext):
        """Save; a change that would close online requests inside core hours is first explained,
        and saved (and logged) only with the admin's reason."""
        form: dict[str, object] = {**self.values, **self.flags}
        with session_scope() as db:
            closures = practice_settings.core_hours_preview(db, staff, form)
            if closures and not self.core_hours_warnings:
                self.core_hours_warnings = [closure.text for closure in closures]
                self.errors, self.summary, self.saved = {}, [], False
                return None
            result = practice_settings.update_settings(db, staff, form, why=self.core_hours_why)
        if not result.ok:
            if "core_hours_why" not in result.errors:
                self.core_hours_warnings = []
            return self._fail(result.errors)
        self.errors, self.summary, self.saved = {}, [], True
        self.core_hours_warnings, self.core_hours_why = [], ""
        self._refresh(staff)

    @rx.event
    def set_new_closed_day(self, value: str):
        self.new_closed_day = clip(value, 10)
        self.closed_day_warning = ""

    @rx.event
    def set_closed_day_why(self, value: str):
        self.closed_day_why = received(value)

    @rx.event
    def set_new_closed_reason(self, value: str):
        self.new_closed_reason = received(value)

    @rx.event
    @staff_required(Action.MANAGE_PRACTICE_SETTINGS)
    def add_closed_day(self, staff: StaffContext):
        try:
            day = date.fromisoformat(self.new_closed_day)
        except ValueError:
            self.errors = {"closed_day": "Enter a date, like 2026-12-25"}
            return
        closure = core_hours.closed_day_closure(day)
        if closure is not None and not self.closed_day_warning:
            # Inside core hours: say so, and ask why before adding it.
            self.closed_day_warning, self.errors = closure.text, {}
            return
        with session_scope() as db:
            result = practice_settings.add_closed_day(db, staff, day, self.new_closed_reason, why=self.closed_day_why)
        if not result.ok:
            self.errors = dict(result.errors)
            return
        self.errors, self.new_closed_day, self.new_closed_reason = {}, "", ""
        self.closed_day_warning, self.closed_day_why = "", ""
        self._refresh(staff)

    @rx.event
    @staff_required(Action.MANAGE_PRACTICE_SETTINGS)
    def remove_closed_day(self, staff: StaffContext, closed_id: str):
        with session_scope() as db:
            result = practice_settings.remove_closed_day(db, staff, record_id(closed_id) or -1)
        if not result.ok:
            self.errors = dict(result.errors)
            return
        self._refresh(staff)


class CoreHoursLogState(PracticeState):
    """Practice admins: who closed online requests inside core hours, what and why."""

    rows: list[dict[str, str]] = []
    error: str = ""

    def _denied(self, message: str) -> None:
        self.rows, self.error = [], message

    @rx.event
    @staff_required(Action.VIEW_CORE_HOURS_LOG)
    def load(self, staff: StaffContext):
        with session_scope() as db:
            found = core_hours.log(db, staff)
        self.error = ""
        self.rows = [
            {"at": r.at, "who": r.who, "change": r.change, "what": " ".join(r.what), "why": r.why} for r in found
        ]
