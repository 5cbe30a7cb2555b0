"""Workspace: the practice's open requests, most urgent first, and one request's triage summary."""

from __future__ import annotations

import reflex as rx

from anima_pwa.db import session_scope
from anima_pwa.services.practice.permissions import Action, StaffContext
from anima_pwa.services.requests import lists
from anima_pwa.state.practice.workspace import PracticeState, staff_required


def _row(r) -> dict[str, str]:
    return {
        "id": str(r.id),
        "reference": r.reference,
        "patient": r.patient_name,
        "subject": r.subject,
        "urgency": r.urgency,
        "urgency_label": r.urgency_label,
        "team": r.team,
        "status": r.status_label,
        "submitted": r.submitted,
        "by_phone": "By phone" if r.by_phone else "",
    }


class PracticeRequestsState(PracticeState):
    rows: list[dict[str, str]] = []
    error: str = ""

    def _denied(self, message: str) -> None:
        self.rows, self.error = [], message

    @rx.event
    @staff_required(Action.VIEW_REQUESTS)
    def load(self, staff: StaffContext):
        with session_scope() as db:
            self.rows = [_row(r) for r in lists.practice_requests(db, staff)]
        self.error = ""


class PracticeRequestState(PracticeState):
    request: dict[str, str] = {}
    summary_lines: list[str] = []
    error: str = ""

    def _denied(self, message: str) -> None:
        self.request, self.summary_lines, self.error = {}, [], message

    @rx.event
    @staff_required(Action.VIEW_REQUESTS)
    def load(self, staff: StaffContext):
        with session_scope() as db:
            detail = lists.practice_request_detail(db, staff, self.router.url.query_parameters.get("id", ""))
        self.error = ""
        self.request = {
            **_row(detail.row),
            "free_text": detail.free_text or "Nothing",
            "appointment": detail.appointment,
            "contact": detail.contact,
            "overridden": "Limits were overridden by the practice" if detail.overridden else "",
            "filled_in_by": detail.filled_in_by or "Not recorded",
            "worded_for": detail.worded_for or "Not recorded",
        }
        self.summary_lines = detail.summary_lines
