"""Workspace "Patient Management": Patient Search, a patient's record (edit, remove email, audit
trail) and the verification queue. Every handler asks the services, which check the permission
table and the practice for each id the browser sends."""

from __future__ import annotations

from typing import Any

import reflex as rx

from anima_pwa.db import session_scope
from anima_pwa.services.practice import audit_trail, holders, patient_records, patient_search, verifications
from anima_pwa.services.practice.permissions import Action, StaffContext, record_id
from anima_pwa.state.base import clip, received, summary_of
from anima_pwa.state.practice.workspace import PracticeState, staff_required

EDIT_FIELDS = ("full_name", "dob_day", "dob_month", "dob_year", "postcode", "address_line1", "phone")
STATUS_TAGS = {"verified": "Verified", "pending": "Waiting for verification", "rejected": "Not verified"}
LINKS = {"self": "Their own account", "dependant": "Holds them as a dependant", "care_home": "Care home"}
APPROVALS = {"not_needed": "Not needed", "pending": "Waiting", "approved": "Approved", "rejected": "Declined"}
ACCOUNT_STATUSES = {"active": "Active", "disabled": "Closed", "removed": "Email removed"}


class PatientSearchState(PracticeState):
    query: str = ""
    rows: list[dict[str, str]] = []
    searched: bool = False
    error: str = ""

    def _denied(self, message: str) -> None:
        self.error, self.rows = message, []

    @rx.event
    @staff_required()
    def load(self, staff: StaffContext):
        self.error = ""

    @rx.event
    def set_query(self, value: str):
        self.query = clip(value, 100)

    @rx.event
    @staff_required(Action.SEARCH_PATIENTS)
    def search(self, staff: StaffContext, _form: dict):
        with session_scope() as db:
            found = patient_search.search_patients(db, staff, self.query)
        self.error, self.searched = "", True
        self.rows = [
            {
                "id": str(r.id),
                "name": r.full_name,
                "dob": r.date_of_birth,
                "nhs_number": r.nhs_number,
                "postcode": r.postcode,
                "status": STATUS_TAGS.get(r.verification_status, r.verification_status),
                "status_key": r.verification_status,
                "email": r.email or "No email",
                "care_home": "Care home" if r.is_care_home else "",
            }
            for r in found
        ]


class PatientRecordState(PracticeState):
    patient_id: int = 0
    detail: dict[str, str] = {}
    linked: list[dict[str, str]] = []
    dependants: list[dict[str, str]] = []
    held_by: list[dict[str, str]] = []
    can_view_audit: bool = False
    can_remove_email: bool = False
    can_remove_holder: bool = False
    confirm_remove_holder: str = ""  # the link id whose removal is being confirmed
    editing: bool = False
    values: dict[str, str] = {name: "" for name in EDIT_FIELDS}
    housebound: bool = False
    care_home_resident: bool = False
    confirm_no_email: bool = False
    notice: str = ""
    errors: dict[str, str] = {}
    summary: list[list[str]] = []

    def _refresh(self, staff) -> None:
        with session_scope() as db:
            record = patient_records.patient_detail(db, staff, self.patient_id)
        self.detail = {
            "name": record.full_name,
            "preferred_name": record.preferred_name,
            "dob": record.date_of_birth_display,
            "age": str(record.age),
            "nhs_number": record.nhs_number,
            "postcode": record.postcode,
            "address": record.address_line1,
            "phone": record.phone or "Not given",
            "email": record.email,
            "status": STATUS_TAGS.get(record.verification_status, record.verification_status),
            "status_key": record.verification_status,
            "note": record.verification_note,
            "flags": ", ".join(
                label
                for flag, label in (
                    (record.is_care_home, "Care home account"),
                    (record.care_home_resident, "Care home resident"),
                    (record.housebound, "Housebound"),
                )
                if flag
            ),
            "elsewhere": str(record.dependants_elsewhere) if record.dependants_elsewhere else "",
        }
        self.linked = [
            {
                "email": a.email,
                "relationship": LINKS.get(a.relationship, a.relationship),
                "approval": APPROVALS.get(a.approval_status, a.approval_status),
                "status": ACCOUNT_STATUSES.get(a.status, a.status),
            }
            for a in record.linked_accounts
        ]
        self.dependants = [
            {
                "id": str(d.patient_id),
                "name": d.full_name,
                "dob": d.date_of_birth,
                "relationship": LINKS.get(d.relationship, d.relationship),
            }
            for d in record.dependants
        ]
        self.held_by = [
            {
                "link_id": str(h.link_id),
                "name": h.name or ("Care home" if h.is_care_home else "Account holder"),
                "email": h.email,
                "relationship": LINKS.get(h.relationship, h.relationship),
                "approval": ""
                if h.approval_status == "not_needed"
                else APPROVALS.get(h.approval_status, h.approval_status),
                "approval_key": h.approval_status,
            }
            for h in record.held_by
        ]
        self.values = {
            "full_name": record.full_name,
            "dob_day": str(record.date_of_birth.day),
            "dob_month": str(record.date_of_birth.month),
            "dob_year": str(record.date_of_birth.year),
            "postcode": record.postcode,
            "address_line1": record.address_line1,
            "phone": record.phone,
        }
        self.housebound, self.care_home_resident = record.housebound, record.care_home_resident
        self.can_view_audit = staff.can(Action.VIEW_AUDIT_TRAIL)
        self.can_remove_email = staff.can(Action.REMOVE_PATIENT_EMAIL) and bool(record.email)
        self.can_remove_holder = staff.can(Action.REMOVE_HOLDER)

    @rx.event
    @staff_required(Action.VIEW_PATIENT)
    def load(self, staff: StaffContext):
        raw = self.router.url.query_parameters.get("id", "")
        self.patient_id = record_id(raw) or 0
        self.editing, self.notice, self.errors, self.summary, self.confirm_no_email = False, "", {}, [], False
        self.confirm_remove_holder = ""
        self.detail = {}  # nothing of another patient while this one is refused
        self._refresh(staff)

    @rx.event
    def start_editing(self):
        self.editing, self.errors, self.summary = True, {}, []

    @rx.event
    def stop_editing(self):
        self.editing, self.errors, self.summary = False, {}, []

    @rx.event
    def set_value(self, name: str, value: str):
        if name in EDIT_FIELDS:
            self.values[name] = received(value)

    @rx.event
    def set_flag(self, name: str, checked: bool):
        if name == "housebound":
            self.housebound = bool(checked)
        elif name == "care_home_resident":
            self.care_home_resident = bool(checked)
        elif name == "confirm_no_email":
            self.confirm_no_email = bool(checked)

    @rx.event
    @staff_required(Action.EDIT_PATIENT)
    def save(self, staff: StaffContext):
        typed: dict[str, Any] = {name: self.values.get(name, "") for name in EDIT_FIELDS}
        with session_scope() as db:
            result = patient_records.update_patient(
                db,
                staff,
                self.patient_id,
                **typed,
                housebound=self.housebound,
                care_home_resident=self.care_home_resident,
            )
        if not result.ok:
            self.errors, self.summary = dict(result.errors), summary_of(result.errors, {"dob": "dob_day"})
            return self._focus_error_summary()
        self.editing, self.notice = False, "The patient's details have been saved."
        self._refresh(staff)

    @rx.event
    @staff_required(Action.REMOVE_PATIENT_EMAIL)
    def remove_email(self, staff: StaffContext):
        with session_scope() as db:
            result = patient_records.remove_patient_email(
                db, staff, self.patient_id, confirmed_no_email=self.confirm_no_email
            )
        if not result.ok:
            self.errors, self.summary = dict(result.errors), summary_of(result.errors)
            return self._focus_error_summary()
        self.confirm_no_email, self.notice = (
            False,
            "The email address has been removed. This patient has no email address.",
        )
        self._refresh(staff)

    @rx.event
    def ask_remove_holder(self, link_id: str):
        self.confirm_remove_holder = clip(link_id, 12)

    @rx.event
    def cancel_remove_holder(self):
        self.confirm_remove_holder = ""

    @rx.event
    @staff_required(Action.REMOVE_HOLDER)
    def remove_holder(self, staff: StaffContext, link_id: str):
        self.confirm_remove_holder = ""
        with session_scope() as db:
            # The service checks the link is a holder of a patient at this member's practice.
            holders.remove_holder(db, staff, record_id(link_id) or -1)
        self.errors, self.notice = (
            {},
            "They have been removed from this patient and emailed. The patient stays with anyone else who holds them.",
        )
        self._refresh(staff)


class AuditTrailState(PracticeState):
    patient_id: int = 0
    rows: list[dict[str, str]] = []
    error: str = ""

    def _denied(self, message: str) -> None:
        self.rows, self.error = [], message

    @rx.event
    @staff_required(Action.VIEW_AUDIT_TRAIL)
    def load(self, staff: StaffContext):
        raw = self.router.url.query_parameters.get("id", "")
        self.patient_id = record_id(raw) or 0
        with session_scope() as db:
            found = audit_trail.audit_trail(db, staff, self.patient_id)
        self.error = ""
        self.rows = [{"at": r.at, "action": r.action, "actor": r.actor, "detail": r.detail} for r in found]


KINDS = {
    "age_16_plus": "Dependant aged 16 or over",
    "second_holder": "Second holder",
    "existing_record": "New holder",
    "own_account": "Holder for someone with their own account",
}


class VerificationsState(PracticeState):
    rows: list[dict[str, str]] = []
    # What each row is weighed against (other records with its NHS number, who holds them now),
    # matched to rows by "key"; "id" is a record at this practice staff can open, or "".
    others: list[dict[str, str]] = []
    rejecting: str = ""  # "<kind>:<id>" whose reason box is open
    reason: str = ""
    notice: str = ""
    errors: dict[str, str] = {}

    def _refresh(self, staff) -> None:
        with session_scope() as db:
            items = verifications.verification_queue(db, staff)
        key = lambda i: f"{i.kind}:{i.link_id if i.kind == 'dependant' else i.patient_id}"  # noqa: E731
        self.others = [
            {"key": key(i), "text": o.text, "id": str(o.patient_id) if o.patient_id else ""}
            for i in items
            for o in i.others
        ]
        self.rows = [
            {
                "key": key(i),
                "kind": "Registration" if i.kind == "registration" else KINDS.get(i.approval_reason, "Dependant"),
                "name": i.full_name,
                "dob": i.date_of_birth,
                "nhs_number": i.nhs_number,
                "postcode": i.postcode,
                "reason": i.reason,
                "submitted": i.submitted,
                "by": i.requested_by,
                "by_label": "From: " if i.kind == "registration" else "Asked by: ",
            }
            for i in items
        ]

    def _denied(self, message: str) -> None:
        self.errors = {"form": message}

    @rx.event
    @staff_required(Action.VERIFY_PATIENT)
    def load(self, staff: StaffContext):
        self.rejecting, self.reason, self.notice, self.errors = "", "", "", {}
        self.rows = []  # nothing from before while the queue is refused
        self._refresh(staff)

    @rx.event
    @staff_required(Action.VERIFY_PATIENT)
    def approve(self, staff: StaffContext, key: str):
        kind, _, raw = clip(key, 40).partition(":")
        target = record_id(raw) or -1
        with session_scope() as db:
            if kind == "registration":
                verifications.verify_patient(db, staff, target)
            else:
                verifications.approve_dependant(db, staff, target)
        self.notice, self.errors = "Done. The account holder has been emailed.", {}
        self._refresh(staff)

    @rx.event
    def open_reject(self, key: str):
        self.rejecting, self.reason, self.errors = clip(key, 40), "", {}

    @rx.event
    def set_reason(self, value: str):
        self.reason = received(value)

    @rx.event
    @staff_required(Action.VERIFY_PATIENT)
    def reject(self, staff: StaffContext):
        kind, _, raw = self.rejecting.partition(":")
        target = record_id(raw) or -1
        with session_scope() as db:
            result = (
                verifications.reject_patient(db, staff, target, reason=self.reason)
                if kind == "registration"
                else verifications.decline_dependant(db, staff, target, reason=self.reason)
            )
        if not result.ok:
            self.errors = dict(result.errors)
            return
        self.rejecting, self.reason = "", ""
        self.notice, self.errors = "Done. The account holder has been emailed and can see your reason.", {}
        self._refresh(staff)
