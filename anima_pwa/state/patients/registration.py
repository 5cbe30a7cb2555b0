"""The details form after first sign-in, and the signed-in home page.

Everything typed into the details form is held in `values` as it is typed, so a reload or a
dropped connection keeps it (the tab's state survives both); it is checked only on submit.
"""

from __future__ import annotations

import reflex as rx
from sqlalchemy.exc import IntegrityError

from anima_pwa import cookies, routes
from anima_pwa.db import session_scope
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.inbox import patient_view
from anima_pwa.services.nhs_login import accounts as nhs_login_accounts
from anima_pwa.services.patients import dependants, registration
from anima_pwa.services.practice import practice_details, practice_link, practices
from anima_pwa.services.practice.permissions import record_id
from anima_pwa.state.base import SessionState, clip, received, sign_in_required

TEXT_FIELDS = ("full_name", "dob_day", "dob_month", "dob_year", "postcode", "mobile", "nhs_number")
# Where the error summary sends focus for each error.
ANCHORS = {"dob": "dob_day", "practice": "practice_search"}


class RegisterState(SessionState):
    values: dict[str, str] = {name: "" for name in TEXT_FIELDS}
    over_18: bool = False
    terms: bool = False
    practice_query: str = ""
    practice_options: list[dict[str, str]] = []
    practice_id: int = 0
    practice_name: str = ""
    practice_postcode: str = ""
    errors: dict[str, str] = {}
    summary: list[list[str]] = []

    # Filled when the person came through NHS login: shown, not asked for again.
    from_nhs_login: bool = False
    nhs_full_name: str = ""
    nhs_date_of_birth: str = ""

    @rx.event
    @sign_in_required
    def load(self, identity: Identity):
        with session_scope() as db:
            if registration.self_patient(db, identity.account_id) is not None:
                return rx.redirect(routes.HOME, replace=True)
            nhs = nhs_login_accounts.pending_details(db, identity.account_id)
            # Came through the practice's own link (/p/<ODS code>): that practice, if it still is one.
            linked = practice_link.find(db, self._cookie(cookies.PRACTICE)) if not self.practice_id else None
        if linked is not None and not (nhs is not None and nhs.practice_id):
            self.practice_id = linked.id or 0
            self.practice_name = self.practice_query = linked.name
            self.practice_postcode = linked.postcode
        self.from_nhs_login = nhs is not None
        if nhs is None:
            return
        self.nhs_full_name = nhs.full_name
        self.nhs_date_of_birth = nhs.date_of_birth.strftime("%-d %B %Y")
        if nhs.practice_id and not self.practice_id:
            self.practice_id = nhs.practice_id
            self.practice_name = self.practice_query = nhs.practice_name
            self.practice_postcode = nhs.practice_postcode
        if nhs.mobile and not self.values.get("mobile"):
            self.values["mobile"] = nhs.mobile

    @rx.event
    def set_value(self, name: str, value: str):
        if name in TEXT_FIELDS:
            self.values[name] = received(value)

    @rx.event
    def set_box(self, name: str, checked: bool):
        if name == "over_18":
            self.over_18 = bool(checked)
        elif name == "terms":
            self.terms = bool(checked)

    @rx.event
    def search_practice(self, query: str):
        self.practice_query = clip(query, 100)
        if self.practice_id and self.practice_query != self.practice_name:
            self.practice_id, self.practice_name, self.practice_postcode = 0, "", ""
        with session_scope() as db:
            found = practices.search_practices(db, self.practice_query)
        self.practice_options = [
            {"id": str(p.id), "name": p.name, "postcode": p.postcode, "address": p.address} for p in found
        ]

    @rx.event
    def choose_practice(self, practice_id: str):
        with session_scope() as db:
            key = record_id(practice_id)
            practice = practices.get_active_practice(db, key) if key else None
        if practice is None:
            return
        self.practice_id = practice.id or 0
        self.practice_name = practice.name
        self.practice_postcode = practice.postcode
        self.practice_query = practice.name
        self.practice_options = []
        self.errors = {k: v for k, v in self.errors.items() if k != "practice"}

    @rx.event
    @sign_in_required
    def submit(self, identity: Identity):
        form = registration.DetailsForm(
            **{name: self.values.get(name, "") for name in TEXT_FIELDS},
            practice_id=self.practice_id or None,
            over_18=self.over_18,
            terms=self.terms,
        )
        try:
            with session_scope() as db:
                # What NHS login said is read again here, server-side: never from the browser.
                nhs = nhs_login_accounts.pending_details(db, identity.account_id)
                trusted = nhs.trusted() if nhs else None
                outcome = registration.register_self(db, identity, form, client_ip=self._client_ip(), trusted=trusted)
                if outcome.ok and nhs is not None:
                    nhs_login_accounts.forget_details(db, identity.account_id)
                if not outcome.ok:
                    db.rollback()
        except IntegrityError:
            # Two submissions at once, or the NHS number taken between check and save.
            outcome = registration.RegistrationOutcome(
                errors={"form": "Your details could not be saved. Check them and try again."}
            )
        if not outcome.ok:
            if "form" in outcome.errors and self._already_registered(identity.account_id):
                return rx.redirect(routes.HOME, replace=True)
            return self._fail(outcome.errors, ANCHORS)
        self._clear_form()
        return rx.redirect(routes.HOME)

    def _clear_form(self) -> None:
        self.values = {name: "" for name in TEXT_FIELDS}
        self.over_18 = self.terms = False
        self.practice_query, self.practice_options = "", []
        self.practice_id, self.practice_name, self.practice_postcode = 0, "", ""
        self.errors, self.summary = {}, []
        self.from_nhs_login, self.nhs_full_name, self.nhs_date_of_birth = False, "", ""

    def _already_registered(self, account_id: int) -> bool:
        with session_scope() as db:
            return registration.self_patient(db, account_id) is not None


class HomeState(SessionState):
    full_name: str = ""
    status: str = ""
    practice_name: str = ""
    practice_phone: str = ""
    rejection_reason: str = ""
    # "Who is this request for?": the account holder and everyone the account holds.
    people: list[dict[str, str]] = []
    # Practice Details: online-request hours, closed days ahead, important updates.
    practice_hours: list[dict[str, str]] = []
    practice_closed_days: list[dict[str, str]] = []
    practice_updates: str = ""
    practice_turned_off: str = ""  # the practice's message while online requests are turned off
    replies_waiting: int = 0  # requests whose practice message waits for a reply ("In progress")

    @rx.event
    @sign_in_required
    def load(self, identity: Identity):
        if identity.kind == "staff":
            return rx.redirect(routes.PRACTICE, replace=True)
        with session_scope() as db:
            holder = registration.summary(db, identity)
            subjects = dependants.request_subjects(db, identity)
            details = practice_details.for_account(db, identity)
            self.replies_waiting = patient_view.needing_reply(db, identity)
        self._show_practice_details(details)
        self.people = [
            {"name": s.label, "ready": "yes" if s.can_request else "", "why_not": s.why_not} for s in subjects
        ]
        if not holder.status:
            return rx.redirect(routes.REGISTER_DETAILS, replace=True)
        self.full_name = holder.full_name
        self.status = holder.status
        self.practice_name = holder.practice_name
        self.practice_phone = holder.practice_phone
        self.rejection_reason = holder.rejection_reason

    def _show_practice_details(self, details) -> None:
        if details is None:
            self.practice_hours, self.practice_closed_days, self.practice_updates, self.practice_turned_off = (
                [],
                [],
                "",
                "",
            )
            return
        self.practice_hours = [{"day": r.day, "medical": r.medical, "admin": r.admin} for r in details.hours]
        self.practice_closed_days = [{"day": day, "reason": reason} for day, reason in details.closed_days]
        self.practice_updates = details.important_updates
        self.practice_turned_off = (
            (details.turned_off_message or "Online requests are turned off at the moment.")
            if details.turned_off
            else ""
        )
