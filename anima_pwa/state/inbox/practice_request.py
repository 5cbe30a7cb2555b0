"""Workspace: one request, and what staff do with it (assign, take it myself, status, message,
sign off). Forms are uncontrolled and read on submit, so what was typed stays on an error; after a
success the form is drawn afresh. The request's id comes from the URL at load and stays on the
server; every service checks it again, with the staff member's practice and permissions."""

from __future__ import annotations

import reflex as rx

from anima_pwa import routes
from anima_pwa.db import session_scope
from anima_pwa.services import questionnaires
from anima_pwa.services.appointments import invites, request_invites
from anima_pwa.services.inbox import outcomes, request_view, sign_off, staff_actions
from anima_pwa.services.platform import idempotency
from anima_pwa.services.practice.permissions import Action, StaffContext, record_id
from anima_pwa.state.base import clip, received
from anima_pwa.state.practice.screen import WorkspaceScreen
from anima_pwa.state.practice.workspace import PracticeState, staff_required

DETAIL_FIELDS = ("appointment_kind", "book_id", "window_days", "expires_in_days", "medicine", "instructions",
                 "service", "service_details", "advice", "reason", "note")  # fmt: skip


# create_invite's field names -> the invite form's (the sign-off form has its own appointment_kind).
INVITE_FIELDS = {
    "appointment_kind": "invite_kind",
    "book": "invite_with",
    "window_start": "invite_window",
    "window_end": "invite_window",
    "expires": "invite_expires",
}

# The patient side's photo endpoint (it checks who may see each photo).
ATTACHMENT_URL = routes.ATTACHMENT


def _ticked(value: object) -> bool:
    """A checkbox in a submitted form: Reflex sends a control with an id as its checked state
    (True), plain FormData sends "on"."""
    return value is True or value == "on"


def _yes(value: bool) -> str:
    return "yes" if value else ""


class PracticeRequestState(WorkspaceScreen, PracticeState):
    request: dict[str, str] = {}
    summary_lines: list[dict[str, str]] = []  # {"text", "alarm"}
    holders: list[str] = []
    others: list[dict[str, str]] = []
    messages: list[dict[str, str]] = []
    photos: list[dict[str, str]] = []  # {"message", "src", "alt"}
    outcome_lines: list[str] = []
    delivery_problems: list[str] = []  # notices to the patient's holders that could not be delivered
    history: list[dict[str, str]] = []
    team_choices: list[dict[str, str]] = [{"value": k, "label": v} for k, v in questionnaires.TEAMS.items()]
    staff_choices: list[dict[str, str]] = []
    book_choices: list[dict[str, str]] = []  # who an invitation to book is with
    status_choices: list[dict[str, str]] = []
    outcome_choices: list[dict[str, str]] = [{"value": k, "label": v} for k, v in outcomes.OUTCOME_LABELS.items()]
    appointment_choices: list[dict[str, str]] = [
        {"value": k, "label": v} for k, v in outcomes.APPOINTMENT_KINDS.items()
    ]
    service_choices: list[dict[str, str]] = [{"value": k, "label": v[0]} for k, v in outcomes.SIGNPOST_SERVICES.items()]
    chosen_outcome: str = ""
    # "Invite to book" at any time (issue 12): who the invitation can be with, and those made already.
    may_invite: bool = False
    invite_targets: list[dict[str, str]] = []
    invite_lines: list[dict[str, str]] = []
    _request_id: int = 0
    # The message form's idempotency key: the same until a message is shown as sent, so a retry
    # after a dropped connection never sends it twice (services.platform.idempotency).
    _message_key: str = ""
    _patient_id: int = 0

    def _shown(self) -> bool:
        return bool(self.request)

    def _show(self, db, staff: StaffContext) -> None:
        v = request_view.request_view(db, staff, self._request_id)
        self._patient_id = v.patient_id
        self.may_invite = staff.can(Action.BOOK_APPOINTMENTS)
        if self.may_invite:
            self.invite_targets = [{"value": k, "label": n} for k, n in request_invites.invite_targets(db, staff)]
            self.invite_lines = [
                {"text": line.text, "state": line.state}
                for line in request_invites.invite_lines(db, staff, self._request_id)
            ]
        self.request = {
            "id": str(v.id),
            "reference": v.reference,
            "kind": v.kind.capitalize(),
            "subject": v.subject or "(no subject)",
            "urgency": v.urgency,
            "urgency_label": v.urgency_label,
            "suggested_team": v.suggested_team,
            "assigned_team": v.assigned_team,
            "assigned_staff": str(v.assigned_staff_id or ""),
            "assigned_to": v.assigned_to,
            "status": v.status,
            "status_label": v.status_label,
            "submitted": v.submitted,
            "waited": v.waited,
            "by_phone": _yes(v.by_phone),
            "overridden": "Limits were overridden by the practice" if v.overridden else "",
            "filled_in_by": v.filled_in_by or "Not recorded",
            "worded_for": v.worded_for or "Not recorded",
            "appointment": v.appointment or "Not given",
            "contact": v.contact or "Not given",
            "free_text": v.free_text or "Nothing",
            "patient_name": v.patient_name,
            "patient_born": v.patient_born,
            "nhs_number": v.nhs_number,
            "phone": v.phone or "Not given",
            "patient_href": f"{routes.PRACTICE_PATIENT}?id={v.patient_id}",
            "outcome_heading": v.outcome_heading,
            "signed_off": v.signed_off,
            "record_state": v.record_state,
            "record_text": v.record_text,
            "is_open": _yes(v.is_open),
            "may_assign": _yes(v.may_assign),
            "may_change_status": _yes(v.may_change_status),
            "may_message": _yes(v.may_message),
            "may_sign_off": _yes(v.may_sign_off),
        }
        self.summary_lines = [{"text": line.text, "alarm": _yes(line.alarm)} for line in v.summary]
        self.holders = v.holders
        self.others = [
            {
                "href": f"{routes.PRACTICE_REQUEST}?id={o.id}",
                "subject": o.subject or "(no subject)",
                "reference": o.reference,
                "status": o.status_label,
                "submitted": o.submitted,
            }
            for o in v.other_requests
        ]
        self.messages = [
            {
                "id": str(m.id),
                "kind": m.author_kind,
                "author": m.author,
                "body": m.body,
                "sent": m.sent,
                "asks": "Needs a reply, with a photo" if m.wants_photo else ("Needs a reply" if m.needs_reply else ""),
            }
            for m in v.messages
        ]
        self.photos = [
            {
                "message": str(m.id),
                "src": f"{ATTACHMENT_URL}{a}",
                "alt": f"Photo {n} sent by {m.author} on {m.sent}",
            }
            for m in v.messages
            for n, a in enumerate(m.attachment_ids, 1)
        ]
        self.outcome_lines = v.outcome_lines
        self.delivery_problems = v.delivery_problems
        self.history = [{"at": h.at, "action": h.action, "actor": h.actor, "detail": h.detail} for h in v.history]
        self.staff_choices = [{"value": str(i), "label": n} for i, n in v.staff_choices]
        self.book_choices = [{"value": str(i), "label": n} for i, n in invites.book_choices(db, staff)]
        self.status_choices = [{"value": k, "label": label} for k, label in v.status_choices]

    def _done(self, db, staff: StaffContext, notice: str) -> None:
        self._show(db, staff)
        self._succeeded(notice)

    def _refused(self, db, staff: StaffContext, errors):
        """Errors next to their fields; an error about the whole request (signed off by someone
        else meanwhile) also shows the request as it is now. What was typed stays in the form."""
        if "form" in errors:
            self._show(db, staff)
        return self._refuse(errors)

    @rx.event
    @staff_required(Action.VIEW_REQUESTS)
    def load(self, staff: StaffContext):
        # Nothing of another request is shown while this one loads, or if it can't be.
        self.request = {}
        self._fresh()
        self.chosen_outcome = ""
        self._request_id = record_id(self.router.url.query_parameters.get("id", "")) or 0
        with session_scope() as db:
            self._show(db, staff)
        self.drawn += 1

    @rx.event
    @staff_required(Action.ASSIGN_REQUESTS)
    def assign(self, staff: StaffContext, form_data: dict):
        team, member = clip(form_data.get("team", ""), 40), clip(form_data.get("staff_id", ""), 12)
        with session_scope() as db:
            result = staff_actions.assign(db, staff, self._request_id, team=team, staff_id=member)
            if result.ok:
                self._done(db, staff, "The request has been assigned.")
                return None
            return self._refused(db, staff, result.errors)

    @rx.event
    @staff_required(Action.ASSIGN_REQUESTS)
    def take_it_myself(self, staff: StaffContext):
        with session_scope() as db:
            result = staff_actions.take_it_myself(db, staff, self._request_id)
            if result.ok:
                self._done(db, staff, "You have taken this request.")
                return None
            return self._refused(db, staff, result.errors)

    @rx.event
    @staff_required(Action.CHANGE_REQUEST_STATUS)
    def change_status(self, staff: StaffContext, form_data: dict):
        with session_scope() as db:
            result = staff_actions.change_status(db, staff, self._request_id, clip(form_data.get("status", ""), 20))
            if result.ok:
                self._done(db, staff, "The status has been changed.")
                return None
            return self._refused(db, staff, result.errors)

    @rx.event
    @staff_required(Action.MESSAGE_PATIENTS)
    def send_message(self, staff: StaffContext, form_data: dict):
        self._message_key = self._message_key or idempotency.new_key()
        with session_scope() as db:
            result = staff_actions.send_message(
                db,
                staff,
                self._request_id,
                received(form_data.get("message", "")),
                needs_reply=_ticked(form_data.get("needs_reply")),
                wants_photo=_ticked(form_data.get("wants_photo")),
                key=f"{self._request_id}.{self._message_key}",
            )
            if result.ok:
                self._done(db, staff, "Your message has been sent. The patient has been told there is a message.")
                self._message_key = idempotency.new_key()  # the next message is a new one
                return None
            return self._refused(db, staff, result.errors)

    @rx.event
    def choose_outcome(self, value: str):
        self.chosen_outcome = clip(value, 20) if value in outcomes.OUTCOME_LABELS else ""

    @rx.event
    @staff_required(Action.SIGN_OFF_REQUESTS)
    def sign_off(self, staff: StaffContext, form_data: dict):
        outcome = clip(form_data.get("outcome", ""), 20)
        detail = {name: received(form_data.get(name, "")) for name in DETAIL_FIELDS if name in form_data}
        with session_scope() as db:
            result = sign_off.sign_off(db, staff, self._request_id, outcome, detail)
            if result.ok:
                self._done(db, staff, "The request has been signed off. The patient has been told.")
                self.chosen_outcome = ""
                return None
            return self._refused(db, staff, result.errors)

    @rx.event
    @staff_required(Action.BOOK_APPOINTMENTS)
    def invite_to_book(self, staff: StaffContext, form_data: dict):
        """Invite to book from the request page at any time: one invitation for the request's
        patient (`invites.create_invite` checks the request, the patient and the book or team)."""
        with session_scope() as db:
            result = request_invites.invite_from_request(
                db,
                staff,
                self._request_id,
                appointment_kind=clip(form_data.get("invite_kind", ""), 20),
                target=clip(form_data.get("invite_with", ""), 60),
                window_days=clip(form_data.get("invite_window", ""), 4),
                expires_in_days=clip(form_data.get("invite_expires", ""), 4),
            )
            if result.ok:
                self._done(
                    db,
                    staff,
                    "The invitation to book has been sent. The patient sees it in In progress and has been told.",
                )
                return None
            errors = {INVITE_FIELDS.get(k, k): v for k, v in result.errors.items()}
            return self._refused(db, staff, errors)
