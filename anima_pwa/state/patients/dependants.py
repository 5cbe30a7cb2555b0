"""Settings -> "Dependants & children": the people this account can send requests for."""

from __future__ import annotations

import reflex as rx

from anima_pwa import routes
from anima_pwa.db import session_scope
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.patients import dependants
from anima_pwa.services.practice.permissions import record_id
from anima_pwa.state.base import SessionState, clip, received, sign_in_required

FIELDS = ("full_name", "dob_day", "dob_month", "dob_year", "nhs_number", "postcode")
ANCHORS = {"dob": "dob_day"}


class DependantsState(SessionState):
    rows: list[dict[str, str]] = []
    notice: str = ""
    confirm_remove: str = ""  # link id whose removal is being confirmed
    errors: dict[str, str] = {}
    summary: list[list[str]] = []

    @rx.event
    @sign_in_required
    def load(self, identity: Identity):
        self.errors, self.summary, self.confirm_remove = {}, [], ""
        params = self.router.url.query_parameters
        self.notice = {
            "added": "They have been added to your account.",
            "pending": "They have been added. Your practice will check their details before you can send requests for them.",
            "approval": "They have been added. Because they are 16 or over, your practice must approve this before you can send requests for them.",
            "link": (
                "Your practice must approve this before you can send requests for them or see their requests. "
                "We'll email you when they have decided."
            ),
        }.get(params.get("done", ""), "")
        self._refresh(identity)

    def _refresh(self, identity) -> None:
        with session_scope() as db:
            found = dependants.list_dependants(db, identity)
        self.rows = [
            {
                "link_id": str(row.link_id),
                "name": row.full_name,
                "dob": row.date_of_birth,
                "can_request": "yes" if row.can_make_requests else "",
                "why_not": row.why_not,
                "others_asking": "yes" if row.others_asking else "",
            }
            for row in found
        ]

    @rx.event
    def ask_to_remove(self, link_id: str):
        self.confirm_remove = clip(link_id, 20)

    @rx.event
    def cancel_remove(self):
        self.confirm_remove = ""

    @rx.event
    @sign_in_required
    def remove(self, identity: Identity, link_id: str):
        with session_scope() as db:
            link = record_id(link_id) or -1  # ids arrive from the browser as text
            result = dependants.remove_dependant(db, identity, link, client_ip=self._client_ip())
        self.confirm_remove = ""
        if not result.ok:
            self.errors = dict(result.errors)
            return self._focus_error_summary()
        self.notice = "They have been removed from your account."
        self._refresh(identity)


class AddDependantState(SessionState):
    values: dict[str, str] = {name: "" for name in FIELDS}
    registered_here: bool = False
    errors: dict[str, str] = {}
    summary: list[list[str]] = []

    @rx.event
    @sign_in_required
    def load(self, identity: Identity):
        self.errors, self.summary = {}, []

    @rx.event
    def set_value(self, name: str, value: str):
        if name in FIELDS:
            self.values[name] = received(value)

    @rx.event
    def set_registered_here(self, checked: bool):
        self.registered_here = bool(checked)

    @rx.event
    @sign_in_required
    def submit(self, identity: Identity):
        form = dependants.DependantForm(
            **{name: self.values.get(name, "") for name in FIELDS}, registered_here=self.registered_here
        )
        # Committed even when there are errors: the service counts NHS-number look-ups (a limit
        # against guessing) and writes nothing else on error.
        with session_scope() as db:
            outcome = dependants.add_dependant(db, identity, form, client_ip=self._client_ip())
        if not outcome.ok:
            return self._fail(outcome.errors, ANCHORS)
        self.values = {name: "" for name in FIELDS}
        self.registered_here = False
        self.errors, self.summary = {}, []
        done = (
            "approval"
            if outcome.approval_status == "pending" and outcome.approval_reason == dependants.AGE_16_PLUS
            else "link"
            if outcome.approval_status == "pending"
            else "pending"
            if outcome.status != "verified"
            else "added"
        )
        return rx.redirect(f"{routes.DEPENDANTS}?done={done}")
