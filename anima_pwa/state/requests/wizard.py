""" "Create Request": who for -> medical or admin -> topic -> emergency screen -> one question per
page -> anything else -> preferences -> check your answers -> sent.

The draft lives in the database (`services.requests.flow`); this state only mirrors the current page,
so a reload, a dropped connection or signing in again carries on where the person was. A tab acts
only on the draft it shows (`_draft_id`), through `drafts.open_draft`: when that draft
has gone (started again, sent or ended in another tab or device, or expired) the tab says so and
shows the sent request, the newer draft or the start, and never raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import reflex as rx

from anima_pwa import routes
from anima_pwa.db import session_scope
from anima_pwa.services import questionnaires
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.patients import dependants
from anima_pwa.services.practice.permissions import Action, StaffContext
from anima_pwa.services.questionnaires import emergencies, topic_search
from anima_pwa.services.requests import (
    drafts,
    phone,
    questions,
    request_settings,
    screening,
    search_signposts,
    starting,
    subject,
    submission,
)
from anima_pwa.state.base import SessionState, clip, received, requires
from anima_pwa.state.practice.workspace import PracticeState

KIND_LABELS = {"medical": "Medical request", "admin": "Admin request"}

# The wizard's guard: the handler gets who acts (`_actor()`: the patient's identity, or the member
# of staff taking a phone request); anyone else goes to sign in (`_to_login()` of the wizard's base
# state); a refusal from a service is shown as the form's error.
acting = requires(lambda state: state._actor())


class RequestWizardMixin(rx.State, mixin=True):
    """The wizard, once: its display vars and every handler the two pages share. Reflex copies
    a mixin's handlers onto each state that uses it, so each page's buttons call its own state.

    Each wizard supplies only what differs: the methods under "What each wizard supplies"
    below (who acts, how it finds its draft, its first page); `load`, `choose_kind` and
    `choose_topic`, which ask different services; and, from its base state (SessionState or
    PracticeState), where to go when signed out (`_to_login`).
    """

    step: str = (
        "loading"  # who | type | topic | red_flags | question | anything_else | preferences | check | advice | done
    )
    subjects: list[dict[str, str]] = []
    patient_id: str = ""
    patient_label: str = ""
    kind: str = ""
    routine_message: str = ""
    topic_query: str = ""
    topic_results: list[dict[str, str]] = []  # id, title, other_kind ("An admin request" or "")
    search_advice: dict[str, str] = {}  # code, title, body: emergency advice for what was typed
    search_calls: list[dict[str, str]] = []  # label, href
    _search_recorded: list[str] = []  # advice already recorded on this visit to the topic page
    topic_list: list[dict[str, str]] = []
    free_text_allowed: bool = False
    topic_title: str = ""
    # Who the questions are about: "Questions about Lily Rahman", and the name the pages use.
    about: str = ""
    subject_first_name: str = ""
    for_someone_else: bool = False
    red_flag_intro: str = ""  # "These questions are about Lily. Answer for Lily, not for yourself."
    red_flag_items: list[dict[str, str]] = []  # this page of the emergency screen
    red_flag_page: str = ""  # "2" (of red_flag_total): the emergency screen in short pages
    red_flag_total: str = ""
    question: dict[str, str] = {}
    options: list[dict[str, str]] = []
    saved_answer: str = ""
    free_text: str = ""
    appointment: str = ""
    contact: str = ""
    appointment_options: list[list[str]] = [[k, v] for k, v in questions.APPOINTMENT_PREFERENCES.items()]
    contact_options: list[list[str]] = [[k, v] for k, v in questions.CONTACT_PREFERENCES.items()]
    check_rows: list[dict[str, str]] = []
    advices: list[dict[str, str]] = []  # code, title, body: every advice that applies, most urgent first
    advice_calls: list[dict[str, str]] = []  # code (of its advice), label, href
    advice_ends: bool = True  # 999/111: the request has ended; the crisis lines alone: it goes on
    reference: str = ""
    safety_net: str = ""  # after sending: what to watch for (a child's fever: check again in 4 hours)
    can_override: bool = False  # the practice's phone version only
    _override: bool = False  # the phone version: the limits are overridden for this request (audited)
    # The practice is closed or a limit is reached: an information panel, not an error.
    closed_title: str = ""
    closed_explanation: str = ""
    practice_phone: str = ""
    closed_reasons: list[str] = []  # staff: every reason that applies
    closed_all_kinds: bool = False  # turned off or a closed day: the other kind is closed too
    _child: bool = False  # the request is for someone under 16: child topics only
    _draft_id: int = 0  # the draft this tab shows and acts on
    notice: str = ""  # what happened to a draft that went while this tab showed it
    errors: dict[str, str] = {}
    summary: list[list[str]] = []

    # What each wizard supplies ----------------------------------------------------------------

    def _actor(self):
        """Who acts, from the server-side session (None: signed out)."""
        raise NotImplementedError

    if TYPE_CHECKING:
        # From the base state (SessionState): declared for the type-checker only, so the base's
        # own `_fail` is the one that runs.
        def _fail(self, errors: Mapping[str, str], anchors: Mapping[str, str] | None = None) -> Any: ...

    def _identity_for_services(self, actor):
        """The identity the request services record as acting on a draft."""
        raise NotImplementedError

    def _open_draft(self, db, actor, draft_id: int) -> drafts.DraftCheck:
        """The draft this tab shows, if it is still this actor's open draft."""
        raise NotImplementedError

    def _restart(self, db, actor, draft_id: int) -> drafts.DraftCheck:
        """ "Start again": delete the draft this tab shows, if it is still theirs."""
        raise NotImplementedError

    def _may_resume(self, draft) -> bool:
        """Whether a newer draft started elsewhere may open in this tab."""
        raise NotImplementedError

    def _record_advice(self, db, actor, advice: emergencies.SearchAdvice) -> None:
        """Record emergency advice the topic search showed."""
        raise NotImplementedError

    def _override_by(self, actor):
        """Who overrides the practice's limits on sending (None: nobody)."""
        raise NotImplementedError

    def _show_start(self, db, actor) -> None:
        """The wizard's first page."""
        raise NotImplementedError

    def _finished(self) -> str:
        """Where "finish" goes after a request is sent or ended."""
        raise NotImplementedError

    # Helpers ------------------------------------------------------------------------------------

    def _show_draft(self, db, draft) -> None:
        """Mirror the draft's current page into the display vars."""
        topic = questionnaires.get(draft.topic)
        self._draft_id = draft.id or 0
        self.topic_title = topic.title if topic else ""
        self.kind = draft.kind
        self.errors, self.summary, self.notice = {}, [], ""
        wording = subject.wording_for(db, draft)
        self.for_someone_else = wording.code != "self"
        self.subject_first_name = wording.name if self.for_someone_else else ""
        self.about = "Questions about " + (subject.subject_name(db, draft) if self.for_someone_else else "you")
        step = questions.current_step(db, draft)
        self.step = step.kind
        if step.kind == "red_flags":
            self.red_flag_intro = questionnaires.shared_intro(wording)
            pages = screening.red_flag_pages(db, draft)
            page = pages[step.number - 1] if 0 < step.number <= len(pages) else ()
            self.red_flag_items = [{"id": f.link_id, "text": f.text} for f in page]
            self.red_flag_page, self.red_flag_total = str(step.number), str(step.total)
        elif step.kind == "question" and topic is not None:
            item = next(i for i in topic.questions if i.link_id == step.link_id)
            answers = drafts.answers_of(draft)
            self.question = {
                "id": item.link_id,
                "text": item.text_for(wording),
                "type": item.type,
                "hint": item.hint_for(wording),
                "number": str(step.number),
                "total": str(step.total),
                "unit": item.unit,
                # Free-text answers: the limit the character count shows (and the service checks).
                "limit": str(questionnaires.answer_limit(item)) if item.type in ("string", "text") else "",
                "limit_text": f"{questionnaires.answer_limit(item):,}",
            }
            self.options = [{"code": o.code, "display": o.display_for(wording)} for o in item.options]
            value = answers.get(item.link_id)
            self.saved_answer = (
                ("yes" if value else "no") if isinstance(value, bool) else ("" if value is None else str(value))
            )
        elif step.kind == "anything_else":
            self.free_text = draft.free_text
        elif step.kind == "preferences":
            self.appointment, self.contact = draft.appointment_preference, draft.contact_preference
        elif step.kind == "check":
            self.check_rows = [
                {
                    "id": r.link_id,
                    "question": r.question,
                    "answer": r.answer,
                    "topic": "yes" if r.topic_question else "",
                }
                for r in questions.check_rows(db, draft)
            ]

    def _with_draft(self, actor, action):
        """Run `action(db, identity, draft)` on the draft this tab shows: (True, its result). If
        that draft has gone, (False, None) with the page changed to say what happened."""
        with session_scope() as db:
            check = self._open_draft(db, actor, self._draft_id)
            if not check.ok:
                self._draft_gone(db, actor, check)
                return False, None
            return True, action(db, self._identity_for_services(actor), check.draft)

    def _draft_gone(self, db, actor, check: drafts.DraftCheck) -> None:
        """Show what became of the tab's draft: the reference of a request sent meanwhile, the
        newer draft started elsewhere, or the start of a new request; with the message."""
        self._draft_id = 0
        self.errors, self.summary = {}, []
        if check.problem == drafts.DRAFT_SENT:
            self.reference, self.step = check.reference, "done"
            self.notice = check.message
            return
        newer = check.newer
        if newer is not None and self._may_resume(newer):
            self._show_draft(db, newer)
            self.notice = f"{check.message} {drafts.NEWER_OPENED}"
            return
        self._show_start(db, actor)
        self.notice = f"{check.message} {drafts.START_AGAIN}"

    def _clear_for_start(self) -> None:
        """What both first pages forget: the draft, the kind and topic, who it is about."""
        self._draft_id = 0
        self.errors, self.summary, self.notice, self.kind, self.topic_title = {}, [], "", "", ""
        self.can_override, self._override = False, False
        self.about, self.subject_first_name, self.for_someone_else, self.red_flag_intro = "", "", False, ""
        self._clear_search()

    def _show_topics(self, kind: str) -> None:
        """Medical or admin is chosen: the topic page, with this kind's topics for the person's age."""
        self.topic_list = [
            {"id": t.id, "title": t.title} for t in questionnaires.all_topics(kind, is_child=self._child)
        ]
        self.step, self.errors, self.summary = "topic", {}, []
        self._clear_search()

    def _chosen_topic_id(self, actor, topic_id: str) -> str:
        """The topic a button sent ("free_text": this kind's own-words topic); emergency advice on
        screen when a topic is chosen anyway is recorded first."""
        if topic_id == "free_text":
            topic = questionnaires.free_text_topic(self.kind)
            topic_id = topic.id if topic else ""
        if self.search_advice:
            self._record_search_advice(actor)
        return clip(topic_id, 60)

    # Starting again ---------------------------------------------------------------------------------

    @rx.event
    @acting
    def start_again(self, actor):
        with session_scope() as db:
            check = self._restart(db, actor, self._draft_id)
            self._show_start(db, actor)
        if check.problem == drafts.DRAFT_SENT:
            self.notice = check.message  # the one being started again had been sent meanwhile

    # The topic search ---------------------------------------------------------------------------------

    def _clear_search(self) -> None:
        self.topic_query, self.topic_results, self.search_advice, self.search_calls = "", [], {}, []
        self._search_recorded = []

    def _show_closed(self, checked) -> None:
        self.step, self.errors, self.summary = "closed", {}, []
        self.closed_title, self.closed_explanation = checked.title, checked.explanation
        self.practice_phone, self.closed_reasons = checked.practice_phone, list(checked.staff_reasons)
        self.closed_all_kinds = checked.reason in ("turned_off", "closed_day")

    @rx.event
    def choose_another_kind(self):
        """From the information panel: back to "medical or admin" (the other kind may be open)."""
        self.step, self.errors, self.summary, self.can_override = "type", {}, [], False

    @rx.event
    def search_topics(self, query: str):
        """Each debounced keystroke: emergency advice first (if the words describe one), then the
        topics. Nothing is recorded here (see ``search_signposts``)."""
        self._search_topics(query)

    def _search_topics(self, query: str) -> None:
        self.topic_query = clip(query, 100)
        found = topic_search.search(self.topic_query, kind=self.kind or None, is_child=self._child)
        self.topic_results = [
            {
                "id": m.topic.id,
                "title": m.topic.title,
                "other_kind": ""
                if m.topic.kind == self.kind
                else ("An admin request" if m.topic.kind == "admin" else "A medical request"),
            }
            for m in found.matches
        ]
        advice = found.advice
        self.search_advice = {"code": advice.code, "title": advice.title, "body": advice.body} if advice else {}
        self.search_calls = [{"label": label, "href": href} for label, href in advice.calls] if advice else []

    def _advice_to_record(self) -> emergencies.SearchAdvice | None:
        """The advice on screen now, worked out again from the query (never taken from the
        browser), if not yet recorded on this visit."""
        if self.step != "topic" or len(self._search_recorded) >= search_signposts.MAX_PER_VISIT:
            return None
        advice = emergencies.emergency_advice(self.topic_query)
        if advice is None:
            return None
        key = advice.code + ":" + ",".join(advice.reasons)
        if key in self._search_recorded:
            return None
        self._search_recorded = [*self._search_recorded, key]
        return advice

    def _record_search_advice(self, actor) -> None:
        advice = self._advice_to_record()
        if advice is None:
            return
        with session_scope() as db:
            self._record_advice(db, actor, advice)

    @rx.event
    @acting
    def submit_search(self, actor, form_data: dict):
        """Enter in the search box: the same search, and advice on screen is recorded."""
        self._search_topics(str(form_data.get("topic_search", self.topic_query)))
        self._record_search_advice(actor)

    @rx.event
    @acting
    def record_search_advice(self, actor):
        """A call button in the search's advice was tapped."""
        self._record_search_advice(actor)

    # The emergency screen and the questions --------------------------------------------------------

    def _show_advice(self, advice, *, ends: bool) -> None:
        """Every advice that applies, most urgent first, each with its call buttons."""
        self.step, self.advice_ends, self.errors, self.summary = "advice", ends, {}, []
        self.advices = [{"code": a.code, "title": a.title, "body": a.body} for a in advice]
        self.advice_calls = [{"code": a.code, "label": label, "href": href} for a in advice for label, href in a.calls]

    @rx.event
    @acting
    def screen(self, actor, form_data: dict):
        ticked = [
            key.removeprefix("flag_")
            for key, value in list(form_data.items())[:60]
            if str(key).startswith("flag_") and value
        ]
        none_of_these = bool(form_data.get("none_of_these"))
        # The signs on the page that was answered, as the page itself sent them (not this tab's idea
        # of it, which a dropped connection can leave behind).
        shown = [clip(link_id, 60) for link_id in received(form_data.get("page", "")).split(",")[:20] if link_id]

        def act(db, identity, draft):
            outcome = screening.screen_red_flags(
                db, identity, draft, ticked[:50], none_of_these=none_of_these, shown=shown
            )
            if outcome.error == screening.PAGE_CHANGED or (not outcome.error and not outcome.ends):
                self._show_draft(db, draft)
            return outcome

        ok, outcome = self._with_draft(actor, act)
        if not ok:
            return None
        if outcome.error == screening.PAGE_CHANGED:
            self.notice = outcome.error
            return None
        if outcome.error:
            first = self.red_flag_items[0]["id"] if self.red_flag_items else ""
            return self._fail({"flags": outcome.error}, {"flags": "flag_" + first} if first else None)
        if outcome.advice:
            self._show_advice(outcome.advice, ends=outcome.ends)
        return None

    @rx.event
    @acting
    def carry_on(self, actor):
        """After the crisis lines (the request goes on): back to where the draft is."""
        self._with_draft(actor, lambda db, identity, draft: self._show_draft(db, draft))

    @rx.event
    @acting
    def answer(self, actor, form_data: dict):
        link_id = clip(self.question.get("id", ""), 60)
        if clip(received(form_data.get("question", "")), 60) != link_id:
            # The answer came from a page showing another question than this tab's state is on (a
            # dropped connection lost a step): never file it under a question the person wasn't
            # looking at (HAZ-101). Show the draft's question again, to be answered.
            shown, _ = self._with_draft(actor, lambda db, identity, draft: self._show_draft(db, draft))
            if shown:
                self.notice = screening.PAGE_CHANGED
            return None
        raw = form_data.get("answer")
        if raw is None and self.question.get("type") == "date":
            raw = "-".join(clip(form_data.get(p, ""), 4) for p in ("answer_year", "answer_month", "answer_day")).strip(
                "-"
            )
        raw = received(raw)  # whole: an over-long answer is refused with its message, never cut
        if self.question.get("type") == "boolean":
            raw = {"yes": True, "no": False}.get(raw, raw)

        def act(db, identity, draft):
            outcome = questions.answer(db, identity, draft, link_id, raw)
            if not outcome.error and not outcome.ends:
                self._show_draft(db, draft)
            return outcome

        ok, outcome = self._with_draft(actor, act)
        if not ok:
            return None
        if outcome.advice:
            self._show_advice(outcome.advice, ends=outcome.ends)
        elif outcome.error:
            self.saved_answer = str(raw) if not isinstance(raw, bool) else ("yes" if raw else "no")
            return self._fail({"answer": outcome.error})
        return None

    @rx.event
    @acting
    def back(self, actor):
        def act(db, identity, draft):
            questions.back(db, draft)
            self._show_draft(db, draft)

        self._with_draft(actor, act)

    @rx.event
    @acting
    def change(self, actor, link_id: str):
        def act(db, identity, draft):
            questions.go_to(db, draft, clip(link_id, 60))
            self._show_draft(db, draft)

        self._with_draft(actor, act)

    @rx.event
    @acting
    def save_anything_else(self, actor, form_data: dict):
        text = received(form_data.get("free_text", ""))

        def act(db, identity, draft):
            outcome = questions.save_anything_else(db, draft, text, identity=identity)
            if not outcome.error:
                self._show_draft(db, draft)
            return outcome

        ok, outcome = self._with_draft(actor, act)
        if not ok:
            return None
        if outcome.error:
            self.free_text = text
            return self._fail({"free_text": outcome.error})
        if outcome.advice:
            self._show_advice(outcome.advice, ends=False)
        return None

    @rx.event
    @acting
    def save_preferences(self, actor, form_data: dict):
        appointment = clip(form_data.get("appointment", ""), 20)
        contact = clip(form_data.get("contact", ""), 20)

        def act(db, identity, draft):
            result = questions.save_preferences(db, draft, appointment=appointment, contact=contact)
            if result.ok:
                self._show_draft(db, draft)
            return result.errors

        ok, errors = self._with_draft(actor, act)
        if ok and errors:
            self.appointment, self.contact = appointment, contact
            return self._fail(errors)
        return None

    @rx.event
    @acting
    def send(self, actor):
        override = self._override_by(actor)

        def act(db, identity, draft):
            outcome = submission.submit(db, identity, draft, override=override)
            if not outcome.ok:
                self._show_draft(db, draft)  # e.g. moved back to a question that still needs an answer
            return outcome

        ok, outcome = self._with_draft(actor, act)
        if ok and not outcome.ok:
            return self._fail({"form": outcome.error})
        if ok:
            self._draft_id = 0
            self.reference, self.step, self.safety_net = outcome.reference, "done", outcome.safety_net
        if self.step == "done":
            self._override = False  # sent, from this tab or another: the override is used up
        return None

    @rx.event
    def finish(self):
        """After "done" or "advice": on to what comes next (the next request, or the list)."""
        self.step = "loading"
        return rx.redirect(self._finished())


class RequestWizardState(RequestWizardMixin, SessionState):
    """The patient's wizard: for themselves or someone they may request for."""

    def _actor(self) -> Identity | None:
        return self._identity()

    def _identity_for_services(self, identity: Identity) -> Identity:
        return identity

    def _open_draft(self, db, identity: Identity, draft_id: int) -> drafts.DraftCheck:
        return drafts.open_draft(db, identity, draft_id)

    def _restart(self, db, identity: Identity, draft_id: int) -> drafts.DraftCheck:
        return starting.start_again(db, identity, draft_id)

    def _may_resume(self, draft) -> bool:
        return True

    def _record_advice(self, db, identity: Identity, advice: emergencies.SearchAdvice) -> None:
        search_signposts.record(db, identity, patient_id=self.patient_id, advice=advice)

    def _override_by(self, identity: Identity) -> None:
        return None  # only the practice overrides its limits

    def _finished(self) -> str:
        return routes.YOUR_REQUESTS if self.reference else routes.HOME

    def _show_start(self, db, identity: Identity) -> None:
        """The first page: who the request is for."""
        subjects = dependants.request_subjects(db, identity)
        self.subjects = [
            {"id": str(s.patient_id), "label": s.label, "ready": "yes" if s.can_request else "", "why_not": s.why_not}
            for s in subjects
        ]
        self._clear_for_start()
        self.step, self.patient_id = "who", ""

    @rx.event
    @acting
    def load(self, identity: Identity):
        if self.step in ("advice", "done") and "new" not in self.router.url.query_parameters:
            return None  # the end of a request (999 advice, or the reference): still shown after a reload
        with session_scope() as db:
            draft = drafts.draft_for(db, identity)
            if draft is not None:
                self._show_draft(db, draft)
            else:
                self._show_start(db, identity)
        # "?new=1" starts afresh once; a later reload must not wipe a 999 screen or a reference.
        return self._plain_url()

    def _plain_url(self):
        """Drop "?new=1" (or any query) from the address, so a reload doesn't act on it again."""
        return rx.redirect(routes.REQUEST_NEW, replace=True) if self.router.url.query else None

    @rx.event
    def choose_who(self, form_data: dict):
        chosen = clip(form_data.get("who", ""), 20)
        match = next((s for s in self.subjects if s["id"] == chosen and s["ready"] == "yes"), None)
        if match is None:
            return self._fail({"who": "Choose who the request is for"})
        self.patient_id, self.patient_label = match["id"], match["label"]
        self.step, self.errors, self.summary = "type", {}, []
        return None

    @rx.event
    @acting
    def choose_kind(self, identity: Identity, form_data: dict):
        kind = clip(form_data.get("kind", ""), 10)
        if kind not in request_settings.KINDS:
            return self._fail({"kind": "Choose a medical or an admin request"})
        with session_scope() as db:
            checked = drafts.check_start(db, identity, patient_id=self.patient_id, kind=kind)
            if checked.ok:
                self.free_text_allowed = starting.free_text_allowed(db, identity, self.patient_id)
                self._child = subject.patient_is_child(db, identity, self.patient_id)
        if not checked.ok:
            if checked.title:
                # One of the four reasons the guide lists, before any questions are asked: what to
                # do now, in an information panel (not an error: there is nothing to correct).
                self.kind = kind
                return self._show_closed(checked)
            return self._fail({"form": checked.error})
        self.kind, self.routine_message = kind, checked.routine_message
        self._show_topics(kind)
        return None

    @rx.event
    @acting
    def choose_topic(self, identity: Identity, topic_id: str):
        topic_id = self._chosen_topic_id(identity, topic_id)
        chosen = questionnaires.get(topic_id)
        kind = chosen.kind if chosen is not None and chosen.kind in request_settings.KINDS else self.kind
        with session_scope() as db:
            # A topic of the other kind (offered by the search) makes the request that kind, with
            # that kind's hours and limits checked again by start_draft.
            started = drafts.start_draft(db, identity, patient_id=self.patient_id, kind=kind, topic_id=topic_id)
            if started.ok:
                draft = drafts.draft_for(db, identity, started.draft_id)
                if draft is not None:
                    self._show_draft(db, draft)
        if not started.ok:
            return self._fail({"form": started.error})
        return None


class StaffRequestWizardState(RequestWizardMixin, PracticeState):
    """The practice's version: a receptionist takes a request by phone for a patient of the
    practice, with the same questions, and may override hours and limits (audited at submission).
    A workspace screen: the header shows who is signed in, whichever page the tab opened first."""

    def _actor(self) -> StaffContext | None:
        return self._staff_for(Action.TAKE_PHONE_REQUEST)

    def _identity_for_services(self, staff: StaffContext) -> None:
        return None  # the draft records the member of staff filling it in

    def _open_draft(self, db, staff: StaffContext, draft_id: int) -> drafts.DraftCheck:
        return drafts.open_staff_draft(db, staff, draft_id)

    def _restart(self, db, staff: StaffContext, draft_id: int) -> drafts.DraftCheck:
        return starting.staff_start_again(db, staff, draft_id)

    def _may_resume(self, draft) -> bool:
        return str(draft.patient_id) == self.patient_id  # never another patient's draft in this tab

    def _record_advice(self, db, staff: StaffContext, advice: emergencies.SearchAdvice) -> None:
        search_signposts.record_for_staff(db, staff, patient_id=self.patient_id, advice=advice)

    def _override_by(self, staff: StaffContext) -> StaffContext | None:
        return staff if self._override else None

    def _finished(self) -> str:
        return routes.PRACTICE_REQUESTS

    def _show_start(self, db, staff: StaffContext) -> None:
        """The first page for this tab's patient: medical or admin."""
        self._clear_for_start()
        self.step = "type"

    @rx.event
    @acting
    def load(self, staff: StaffContext):
        params = self.router.url.query_parameters
        # Nothing of a draft until the patient is known to be one of this practice's.
        self._draft_id, self.step, self.notice = 0, "loading", ""
        with session_scope() as db:
            draft = drafts.staff_draft_for(db, staff)
            resume = draft is not None and "patient" not in params
            self.patient_label = phone.staff_patient_name(
                db,
                staff,
                draft.patient_id if resume else params.get("patient", ""),  # type: ignore[union-attr]
            )
            if resume:
                self.patient_id = str(draft.patient_id)  # type: ignore[union-attr]
                self._show_draft(db, draft)
                return None
            self.patient_id = clip(params.get("patient", ""), 12)
            self._show_start(db, staff)
        self.reference = ""
        return None

    @rx.event
    @acting
    def choose_kind(self, staff: StaffContext, form_data: dict):
        kind = clip(form_data.get("kind", ""), 10)
        wants_override = bool(form_data.get("override"))
        with session_scope() as db:
            checked, can_override = phone.staff_check_start(db, staff, patient_id=self.patient_id, kind=kind)
            if checked.ok or (can_override and wants_override):
                self._child = phone.staff_patient_is_child(db, staff, self.patient_id)
        self.kind = kind
        if not checked.ok and not (can_override and wants_override):
            if not checked.title:
                return self._fail({"form": checked.error})
            # Every reason that applies, in staff words; the override where all of them allow it.
            self._show_closed(checked)
            self.can_override = can_override
            if can_override and form_data.get("overriding"):
                return self._fail(
                    {"override": "Tick the box to override the limits, or choose another kind of request"}
                )
            return None
        self._override, self.can_override = not checked.ok, False
        self.routine_message = checked.routine_message
        self.free_text_allowed = True
        self._show_topics(kind)
        return None

    @rx.event
    @acting
    def choose_topic(self, staff: StaffContext, topic_id: str):
        topic_id = self._chosen_topic_id(staff, topic_id)
        chosen = questionnaires.get(topic_id)
        kind = self.kind
        if chosen is not None and chosen.kind != self.kind and chosen.kind in request_settings.KINDS:
            # The search offered the other kind: its hours and limits must allow it (an
            # override given for the first kind does not carry over).
            with session_scope() as db:
                checked, _can_override = phone.staff_check_start(
                    db, staff, patient_id=self.patient_id, kind=chosen.kind
                )
            if not checked.ok:
                return self._fail({"form": checked.error})
            kind, self._override = chosen.kind, False
        with session_scope() as db:
            started = phone.staff_start_draft(db, staff, patient_id=self.patient_id, kind=kind, topic_id=topic_id)
            if started.ok:
                draft = drafts.staff_draft_for(db, staff)
                if draft is not None:
                    self._show_draft(db, draft)
        if not started.ok:
            return self._fail({"form": started.error})
        return None
