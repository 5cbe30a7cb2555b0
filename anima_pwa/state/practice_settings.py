"""Workspace practice settings: online-request hours, limits, closed days and the off switch."""

from __future__ import annotations

from datetime import date

import reflex as rx

from anima_pwa.db import session_scope
from anima_pwa.services import capacity
from anima_pwa.services.permissions import Action, PermissionDenied, record_id
from anima_pwa.state.base import clip
from anima_pwa.state.practice import PracticeState

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

    def _refresh(self, staff) -> None:
        with session_scope() as db:
            view = capacity.settings_for(db, staff.practice_id)
            days = capacity.closed_days(db, staff.practice_id, from_day=date.today())
        form = view.form()
        self.values = {k: str(v) for k, v in form.items() if k not in BOOLEAN_FIELDS}
        self.flags = {k: bool(form[k]) for k in BOOLEAN_FIELDS}
        self.closed = [{"id": str(d.id), "label": d.label, "reason": d.reason} for d in days]
        self.can_edit = staff.can(Action.MANAGE_PRACTICE_SETTINGS)
        self.loaded += 1

    @rx.event
    def load(self):
        staff, redirect = self._staff_or_redirect()
        if redirect is not None:
            return redirect
        self.errors, self.summary, self.saved = {}, [], False
        self._refresh(staff)

    @rx.event
    def set_value(self, name: str, value: str):
        if name in self.values:
            self.values[name] = clip(value, 500)
            self.saved = False

    @rx.event
    def set_flag(self, name: str, checked: bool):
        if name in BOOLEAN_FIELDS:
            self.flags[name] = bool(checked)
            self.saved = False

    @rx.event
    def save(self):
        staff, redirect = self._staff_or_redirect()
        if redirect is not None:
            return redirect
        form: dict[str, object] = {**self.values, **self.flags}
        try:
            with session_scope() as db:
                errors = capacity.update_settings(db, staff, form)
        except PermissionDenied as denied:
            errors = {"form": denied.message}
        if errors:
            return self._fail(errors)
        self.errors, self.summary, self.saved = {}, [], True
        self._refresh(staff)

    @rx.event
    def set_new_closed_day(self, value: str):
        self.new_closed_day = clip(value, 10)

    @rx.event
    def set_new_closed_reason(self, value: str):
        self.new_closed_reason = clip(value, 200)

    @rx.event
    def add_closed_day(self):
        staff, redirect = self._staff_or_redirect()
        if redirect is not None:
            return redirect
        try:
            day = date.fromisoformat(self.new_closed_day)
        except ValueError:
            self.errors = {"closed_day": "Enter a date, like 2026-12-25"}
            return
        try:
            with session_scope() as db:
                problem = capacity.add_closed_day(db, staff, day, self.new_closed_reason)
        except PermissionDenied as denied:
            problem = denied.message
        if problem:
            self.errors = {"closed_day": problem}
            return
        self.errors, self.new_closed_day, self.new_closed_reason = {}, "", ""
        self._refresh(staff)

    @rx.event
    def remove_closed_day(self, closed_id: str):
        staff, redirect = self._staff_or_redirect()
        if redirect is not None:
            return redirect
        try:
            with session_scope() as db:
                problem = capacity.remove_closed_day(db, staff, record_id(closed_id) or -1)
        except PermissionDenied as denied:
            problem = denied.message
        if problem:
            self.errors = {"closed_day": problem}
            return
        self._refresh(staff)
