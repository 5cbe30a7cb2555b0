"""Workspace "Create Request": find a patient by NHS number, or create their account (people,
care homes, and residents registered as dependents of a care home). Requests themselves come
with the request wizards; closing with X creates nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import reflex as rx

from anima_pwa.db import session_scope
from anima_pwa.services.practice import account_creation, account_lookup
from anima_pwa.services.practice.permissions import Action, StaffContext, record_id
from anima_pwa.settings import settings
from anima_pwa.state.base import clip, received
from anima_pwa.state.practice.workspace import PracticeState, staff_required

TEXT_FIELDS = ("full_name", "dob_day", "dob_month", "dob_year", "address_line1", "postcode", "phone", "email")
BOXES = ("housebound", "care_home_resident", "confirm_registered", "confirm_consent")
ANCHORS = {"dob": "dob_day", "register_as_dependent_of": "care_home_query"}


class CreateRequestState(PracticeState):
    step: str = "search"  # search | found | not_found | form | created
    nhs_query: str = ""
    found: dict[str, str] = {}
    values: dict[str, str] = {name: "" for name in TEXT_FIELDS}
    boxes: dict[str, bool] = {name: False for name in BOXES}
    as_dependent: bool = False
    care_home_query: str = ""
    care_home_options: list[dict[str, str]] = []
    care_home_id: int = 0
    care_home_label: str = ""
    created_message: str = ""
    errors: dict[str, str] = {}
    summary: list[list[str]] = []

    def _fail(self, errors: Mapping[str, str], anchors: Mapping[str, str] | None = None):
        return super()._fail(errors, anchors or ANCHORS)

    def _clear(self) -> None:
        self.step, self.found, self.created_message = "search", {}, ""
        self.values = {name: "" for name in TEXT_FIELDS}
        self.boxes = {name: False for name in BOXES}
        self.as_dependent, self.care_home_query, self.care_home_options = False, "", []
        self.care_home_id, self.care_home_label = 0, ""
        self.errors, self.summary = {}, []

    @rx.event
    @staff_required()
    def load(self, staff: StaffContext):
        self._clear()
        self.nhs_query = ""

    @rx.event
    def set_nhs_query(self, value: str):
        self.nhs_query = clip(value, 20)

    @rx.event
    @staff_required(Action.CREATE_PATIENT_ACCOUNT)
    def search(self, staff: StaffContext, _form: dict):
        self._clear()
        with session_scope() as db:
            result = account_lookup.find_by_nhs_number(db, staff, self.nhs_query, client_ip=self._client_ip())
        if not result.ok:
            return self._fail({"nhs_query": result.message})
        if result.patient is None:
            self.step = "not_found"
            return
        patient = result.patient
        self.found = {
            "id": str(patient.id),
            "name": patient.full_name,
            "dob": patient.date_of_birth,
            "account": "This patient has an Anima account"
            if patient.has_account
            else "This patient has no Anima account of their own",
            "care_home": "yes" if patient.is_care_home else "",
        }
        self.step = "found"

    @rx.event
    def open_form(self):
        self.step, self.errors, self.summary = "form", {}, []

    @rx.event
    def close(self):
        """The X: nothing is created."""
        self._clear()

    @rx.event
    def set_value(self, name: str, value: str):
        if name in TEXT_FIELDS:
            self.values[name] = received(value)

    @rx.event
    def set_box(self, name: str, checked: bool):
        if name in BOXES:
            self.boxes[name] = bool(checked)

    @rx.event
    def set_as_dependent(self, checked: bool):
        self.as_dependent = bool(checked)
        if not checked:
            self.care_home_id, self.care_home_label, self.care_home_options = 0, "", []

    @rx.event
    @staff_required(Action.CREATE_PATIENT_ACCOUNT)
    def search_care_homes(self, staff: StaffContext, query: str):
        self.care_home_query = clip(query, 40)
        with session_scope() as db:
            options = account_lookup.care_home_options(db, staff, self.care_home_query, client_ip=self._client_ip())
        self.care_home_options = [
            {"id": str(o.patient_id), "name": o.name, "nhs_number": o.nhs_number, "practice": o.practice_name}
            for o in options
        ]

    @rx.event
    def choose_care_home(self, patient_id: str, label: str):
        self.care_home_id = record_id(patient_id) or 0
        self.care_home_label = clip(label, 200)
        self.care_home_options = []

    @rx.event
    @staff_required(Action.CREATE_PATIENT_ACCOUNT)
    def create(self, staff: StaffContext):
        typed: dict[str, Any] = {name: self.values.get(name, "") for name in TEXT_FIELDS}
        ticked: dict[str, Any] = {name: bool(self.boxes.get(name)) for name in BOXES}
        form = account_creation.NewPatientForm(
            nhs_number=self.nhs_query,
            **typed,
            **ticked,
            register_as_dependent_of=(self.care_home_id or -1) if self.as_dependent else None,
        )
        with session_scope() as db:
            outcome = account_creation.create_patient_account(
                db, staff, form, base_url=settings.base_url, client_ip=self._client_ip()
            )
        if not outcome.ok:
            return self._fail(outcome.errors)
        email = self.values.get("email", "").strip()
        name = self.values.get("full_name", "").strip()
        self._clear()
        self.step = "created"
        self.created_message = f"The account for {name} has been created." + (
            f" We have emailed {email} a link to set a password." if email else ""
        )
