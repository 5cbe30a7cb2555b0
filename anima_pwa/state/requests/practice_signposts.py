"""Workspace: "Signposted today", the practice's patients who were told to call 999 or 111, or
shown the crisis lines, today; a member of staff marks each one followed up."""

from __future__ import annotations

import reflex as rx

from anima_pwa import routes
from anima_pwa.db import session_scope
from anima_pwa.services.practice.permissions import Action, StaffContext
from anima_pwa.services.requests import signposts
from anima_pwa.state.base import clip
from anima_pwa.state.practice.workspace import PracticeState, staff_required


def _row(r: signposts.SignpostRow) -> dict[str, str]:
    return {
        "id": str(r.id),
        "time": r.time,
        "patient": r.patient_name,
        "patient_href": routes.practice_patient(r.patient_id),
        "filled_in_by": r.filled_in_by or "Not recorded",
        "advice": ", ".join(r.advice),
        "where": r.where,
        "followed_up": r.followed_up,
    }


class PracticeSignpostsState(PracticeState):
    rows: list[dict[str, str]] = []
    error: str = ""

    def _denied(self, message: str) -> None:
        self.error = message

    @rx.event
    @staff_required(Action.VIEW_SIGNPOSTS)
    def load(self, staff: StaffContext):
        self.rows = []  # nothing from before while the list is refused
        with session_scope() as db:
            self.rows = [_row(r) for r in signposts.todays_signposts(db, staff)]
        self.error = ""

    @rx.event
    @staff_required(Action.FOLLOW_UP_SIGNPOSTS)
    def mark_followed_up(self, staff: StaffContext, signpost_id: str):
        with session_scope() as db:
            marked = _row(signposts.mark_followed_up(db, staff, clip(signpost_id, 12)))
        self.error = ""
        self.rows = [marked if row["id"] == marked["id"] else row for row in self.rows]
