"""The patient's side of the inbox: "Your requests", "In progress" and one request's page. Thin:
each handler finds who is signed in (`@sign_in_required`), calls one service in
`services/inbox/`, and keeps small display dicts. Every id the browser sends is checked by the
service against the signed-in account (`inbox.access`)."""

from __future__ import annotations

import reflex as rx

from anima_pwa import routes
from anima_pwa.db import session_scope
from anima_pwa.services.appointments import booking as appointment_booking
from anima_pwa.services.appointments import invites as appointment_invites
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.inbox import access, attachments, decisions, patient_view, replies
from anima_pwa.services.inbox.patient_view import KIND_LABELS, RequestRow
from anima_pwa.services.platform import idempotency
from anima_pwa.services.platform.results import FORM
from anima_pwa.settings import settings
from anima_pwa.state.appointments.patient import appointment_row, invite_row
from anima_pwa.state.base import SessionState, clip, sign_in_required

PHOTO_UPLOAD_ID = "reply-photo"


def _row(r: RequestRow) -> dict[str, str]:
    return {
        "id": str(r.id),
        "href": f"{routes.REQUEST_VIEW}?id={r.id}",
        "reference": r.reference,
        "title": r.title,
        "kind": KIND_LABELS.get(r.kind, r.kind),
        "for": r.patient_name,
        "status": r.status_label,
        "status_key": r.status,
        "submitted": r.submitted,
        "respond": "yes" if r.needs_reply else "",
        "outcome": r.outcome_heading,
    }


class YourRequestsState(SessionState):
    """ "Your requests": every request of the account and the people it acts for."""

    rows: list[dict[str, str]] = []

    @rx.event
    @sign_in_required
    def load(self, identity: Identity):
        with session_scope() as db:
            found = patient_view.your_requests(db, identity)
        self.rows = [_row(r) for r in found]


class InProgressState(SessionState):
    """ "In progress": invites to book an appointment ("Book appointment"), the appointments
    booked, and the open requests, those waiting for a reply first with "Respond"."""

    rows: list[dict[str, str]] = []
    invites: list[dict[str, str]] = []
    appointments: list[dict[str, str]] = []

    @rx.event
    @sign_in_required
    def load(self, identity: Identity):
        with session_scope() as db:
            found = patient_view.in_progress(db, identity)
            open_invites = appointment_invites.open_invites_for(db, identity)
            booked = appointment_booking.appointments_for(db, identity)
        self.rows = [_row(r) for r in found]
        self.invites = [invite_row(v) for v in open_invites]
        self.appointments = [appointment_row(v) for v in booked]


class RequestViewState(SessionState):
    """One request: its answers, the thread, the outcome, the reply form and the prescription decision."""

    request_id: str = ""
    found: bool = False
    not_found: str = ""
    request: dict[str, str] = {}
    answers: list[list[str]] = []
    messages: list[dict[str, str]] = []
    photos: dict[str, list[str]] = {}  # message id -> the photo URLs sent with it
    awaiting: bool = False
    wants_photo: bool = False
    asked: str = ""  # the practice's message waiting for the reply
    outcome_heading: str = ""
    outcome_paragraphs: list[str] = []
    outcome_rows: list[list[str]] = []
    outcome_links: list[list[str]] = []  # [text, href]: other NHS services (signposting, self-care)
    needs_decision: bool = False
    appointment_invites: list[dict[str, str]] = []  # this request's invites still to book
    appointments: list[dict[str, str]] = []  # and its appointments booked
    photo_added: bool = False
    notice: str = ""  # "Your reply has been sent."
    # Emergency words in the reply just sent: the advice (code, title, body) and its call buttons.
    reply_advice: dict[str, str] = {}
    reply_advice_calls: list[list[str]] = []  # [label, tel: link]
    form_key: int = 0  # a new number after a sent reply empties the form
    errors: dict[str, str] = {}
    summary: list[list[str]] = []
    _held_photo: str = ""
    # The reply form's idempotency key: the same until a reply is shown as sent, so a retry after a
    # dropped connection gives the first reply back instead of a second (services.platform.idempotency).
    _reply_key: str = ""

    def _show(self, identity: Identity) -> None:
        with session_scope() as db:
            page = patient_view.request_page(db, identity, self.request_id)
        row = page.row
        self.found, self.not_found = True, ""
        self.request = _row(row) | {"hint": page.status_hint, "open": "yes" if row.is_open else ""}
        self.answers = [[a.question, a.answer] for a in page.answers]
        self.messages = [
            {
                "id": str(m.id),
                "author": m.author,
                "kind": m.author_kind,
                "body": m.body,
                "sent": m.sent,
                "asks": "yes" if m.needs_reply else "",
            }
            for m in page.messages
        ]
        self.photos = {
            str(m.id): [f"{routes.ATTACHMENT}{a}" for a in m.attachment_ids] for m in page.messages if m.attachment_ids
        }
        self.awaiting = page.awaiting is not None
        self.wants_photo = bool(page.awaiting and page.awaiting.wants_photo)
        self.asked = page.awaiting.body if page.awaiting else ""
        outcome = page.outcome
        self.outcome_heading = outcome.heading if outcome else ""
        self.outcome_paragraphs = list(outcome.paragraphs) if outcome else []
        self.outcome_rows = [[label, value] for label, value in outcome.details] if outcome else []
        self.outcome_links = [[text, href] for text, href in outcome.links] if outcome else []
        self.needs_decision = bool(outcome and outcome.needs_decision)
        with session_scope() as db:
            self.appointment_invites = [
                invite_row(v) for v in appointment_invites.open_invites_for(db, identity) if v.request_id == row.id
            ]
            self.appointments = [
                appointment_row(v) for v in appointment_booking.appointments_for(db, identity, request_id=row.id)
            ]

    def _clear(self) -> None:
        self.found = False
        self.request, self.answers, self.messages, self.photos = {}, [], [], {}
        self.awaiting = self.wants_photo = self.needs_decision = self.photo_added = False
        self.asked = self.outcome_heading = self.notice = ""
        self.outcome_paragraphs, self.outcome_rows = [], []
        self.appointment_invites, self.appointments = [], []
        self.errors, self.summary = {}, []
        self.reply_advice, self.reply_advice_calls = {}, []

    def _drop_photo(self) -> None:
        if self._held_photo:
            attachments.release(self._held_photo)
        self._held_photo = ""
        self.photo_added = False

    def _denied(self, message: str):
        """A request that isn't theirs (or no longer is): nothing of it stays on the screen."""
        self._drop_photo()
        self._clear()
        self.not_found = message
        return None

    @rx.event
    @sign_in_required
    def load(self, identity: Identity):
        wanted = clip(self.router.url.query_parameters.get("id", ""), 12)
        if wanted != self.request_id:
            self._drop_photo()
        self._clear()
        self.request_id = wanted
        self._show(identity)

    @rx.event
    @sign_in_required
    async def add_photo(self, identity: Identity, files: list[rx.UploadFile]):
        """The photo chosen for the reply: checked at once (the reply box keeps what was typed)."""
        self._drop_photo()
        self.errors = {k: v for k, v in self.errors.items() if k != "photo"}
        with session_scope() as db:
            access.request_for_account(db, identity, self.request_id)  # still theirs
        if not files:
            return self._fail(self.errors | {"photo": "Select a photo"}, {"photo": "photo-choose"})
        limit = settings.attachment_max_bytes
        file = files[0]
        if file.size is not None and file.size > limit:
            return self._fail(self.errors | {"photo": attachments.too_large(limit)}, {"photo": "photo-choose"})
        data = await file.read(limit + 1)
        token, problem = attachments.hold(data)
        if problem:
            return self._fail(self.errors | {"photo": problem}, {"photo": "photo-choose"})
        self._held_photo, self.photo_added = token, True
        self.summary = [row for row in self.summary if row[0] != "photo-choose"]
        return None

    @rx.event
    def photo_rejected(self, rejections: list[dict]):
        """The browser refused the file before sending it (larger than the limit)."""
        self._fail(
            self.errors | {"photo": attachments.too_large(settings.attachment_max_bytes)}, {"photo": "photo-choose"}
        )

    @rx.event
    def remove_photo(self):
        self._drop_photo()

    @rx.event
    @sign_in_required
    def send_reply(self, identity: Identity, form: dict):
        photo = attachments.held(self._held_photo) if self._held_photo else None
        if self._held_photo and photo is None:
            self._drop_photo()
            return self._fail({"photo": "Select the photo again"}, {"photo": "photo-choose"})
        self._reply_key = self._reply_key or idempotency.new_key()
        with session_scope() as db:
            outcome = replies.reply(
                db,
                identity,
                self.request_id,
                form.get("message", ""),
                photo,
                key=f"{self.request_id}.{self._reply_key}",
            )
        if not outcome.ok:
            return self._fail(dict(outcome.errors), {"photo": "photo-choose"})
        self._drop_photo()
        self._show(identity)
        self.errors, self.summary = {}, []
        self.notice = "Your reply has been sent to your practice."
        advice = outcome.advice
        self.reply_advice = {"code": advice.code, "title": advice.title, "body": advice.body} if advice else {}
        self.reply_advice_calls = [[label, href] for label, href in advice.calls] if advice else []
        self.form_key += 1
        self._reply_key = idempotency.new_key()  # the next reply is a new one
        return None

    @rx.event
    @sign_in_required
    def decide(self, identity: Identity, decision: str):
        with session_scope() as db:
            result = decisions.decide(db, identity, self.request_id, clip(decision, 10))
        self._show(identity)
        if not result.ok:
            return self._fail({FORM: result.message})
        self.errors, self.summary = {}, []
        self.notice = (
            "You approved the prescription. Your practice will issue it."
            if decision == "approved"
            else "You declined the prescription. Your practice has been told."
        )
        return None
