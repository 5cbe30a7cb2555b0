""" "Create Request" (one question per page), phone first. "Your requests" is pages/inbox/patient.py."""

from __future__ import annotations

import reflex as rx

from anima_pwa import routes
from anima_pwa.components.fields import (
    character_count,
    counted,
    error_message,
    error_summary,
    form_error,
    primary_button,
    text_area_field,
)
from anima_pwa.components.layout import page, step_heading
from anima_pwa.components.workspace import workspace_page
from anima_pwa.services.platform import text_limits
from anima_pwa.state.requests.wizard import RequestWizardState as W
from anima_pwa.state.requests.wizard import StaffRequestWizardState


def _wizard(W, *, staff: bool = False) -> rx.Component:  # noqa: N803 - W is a State class
    """The whole wizard for a State class: the patient's, or the practice's phone version (whose
    handlers act for a patient of the practice and may override limits)."""

    def _radio(
        name: str, value: rx.Var | str, label: rx.Var | str, *, checked, disabled=False, hint=None
    ) -> rx.Component:
        option_id = name + "-" + (value.to(str) if isinstance(value, rx.Var) else value)
        return rx.el.div(
            rx.el.input(
                type="radio",
                id=option_id,
                name=name,
                value=value,
                default_checked=checked,
                disabled=disabled,
                class_name="radio-input",
            ),
            rx.el.label(label, html_for=option_id, class_name="radio-label"),
            rx.cond(hint is not None, rx.el.p(hint, class_name="hint radio-hint"))
            if hint is not None
            else rx.fragment(),
            class_name="radio",
        )

    def _fieldset(name: str, legend, *children, hint: str | None = None) -> rx.Component:
        return rx.el.div(
            rx.el.fieldset(
                rx.el.legend(legend, class_name="legend legend--page"),
                rx.el.div(hint, class_name="hint") if hint else rx.fragment(),
                error_message(name, W.errors),
                *children,
            ),
            class_name=rx.cond(W.errors.contains(name), "form-group form-group--error", "form-group"),
        )

    def _who() -> rx.Component:
        return rx.el.form(
            _fieldset(
                "who",
                "Who is this request for?",
                rx.foreach(
                    W.subjects,
                    lambda s: _radio(
                        "who",
                        s["id"],
                        s["label"],
                        checked=False,
                        disabled=s["ready"] != "yes",
                        hint=rx.cond(s["ready"] == "yes", "", s["why_not"]),
                    ),
                ),
            ),
            rx.el.p(rx.el.a("Add a child or someone you care for", href=routes.ADD_DEPENDANT)),
            primary_button("Continue"),
            on_submit=W.choose_who,
            no_validate=True,
        )

    def _kind() -> rx.Component:
        return rx.el.form(
            _fieldset(
                "kind",
                rx.cond(
                    W.patient_label == "You",
                    "What kind of request is it?",
                    rx.fragment("What kind of request is it for ", W.patient_label, "?"),
                ),
                _radio(
                    "kind",
                    "medical",
                    "Medical request",
                    checked=False,
                    hint="A new or ongoing health problem, or a question about your health or medicines",
                ),
                _radio(
                    "kind",
                    "admin",
                    "Admin request",
                    checked=False,
                    hint="A fit note, test results, a letter or form, a referral, or updating your details",
                ),
            ),
            rx.el.div(
                rx.el.p(rx.el.strong("Repeat prescriptions: "), "order these through the NHS App, not here."),
                class_name="inset",
            ),
            primary_button("Continue"),
            on_submit=W.choose_kind,
            no_validate=True,
        )

    def _topic_button(t: rx.Var) -> rx.Component:
        return rx.el.li(
            rx.el.button(
                t["title"],
                rx.cond(t["other_kind"] != "", rx.el.span(t["other_kind"], class_name="option__kind")),
                type="button",
                class_name="option",
                on_click=W.choose_topic(t["id"]),
            ),
        )

    def _call_button(c: rx.Var) -> rx.Component:
        return rx.el.a(
            c["label"],
            href=c["href"],
            class_name="button button--emergency",
            role="button",
            on_click=W.record_search_advice,
        )

    def _search_advice() -> rx.Component:
        """Emergency advice for what was typed, above any topic. The region is always there and is
        an alert, so a screen reader announces the advice as soon as it appears."""
        return rx.el.div(
            rx.cond(
                W.search_advice.contains("code"),
                rx.el.div(
                    rx.el.h2(W.search_advice["title"], class_name="panel__title"),
                    rx.el.p(W.search_advice["body"]),
                    rx.el.div(rx.foreach(W.search_calls, _call_button), class_name="button-group"),
                    rx.el.p(
                        rx.cond(
                            W.search_advice["code"] == "crisis",
                            "You can also ask your practice for support: choose a topic below.",
                            "If this is not an emergency, you can carry on and choose a topic below.",
                        )
                    ),
                    class_name="panel panel--emergency",
                    id="search-advice",
                ),
            ),
            role="alert",
        )

    def _topic() -> rx.Component:
        return rx.fragment(
            rx.cond(
                W.routine_message != "",
                rx.el.div(rx.el.p(W.routine_message), class_name="panel panel--warning", role="status"),
            ),
            rx.el.div(
                rx.el.label(
                    "Search for what your request is about", html_for="topic_search", class_name="label legend--page"
                ),
                rx.el.div("For example: cough, water infection, sick note", class_name="hint"),
                rx.el.form(
                    rx.debounce_input(
                        rx.el.input(
                            id="topic_search",
                            name="topic_search",
                            type="search",
                            value=W.topic_query,
                            on_change=W.search_topics,
                            class_name="input",
                            auto_complete="off",
                            max_length=100,
                            enter_key_hint="search",
                        ),
                        debounce_timeout=250,
                    ),
                    on_submit=W.submit_search,
                    role="search",
                    no_validate=True,
                ),
                _search_advice(),
                rx.el.div(
                    rx.cond(
                        W.topic_results.length() > 0,
                        rx.el.span(
                            W.topic_results.length().to_string() + " topics found", class_name="visually-hidden"
                        ),
                    ),
                    aria_live="polite",
                ),
                rx.el.ul(rx.foreach(W.topic_results, _topic_button), class_name="options"),
                class_name="form-group",
            ),
            rx.el.p(
                rx.el.strong("Chest pain, difficulty breathing or signs of a stroke? "),
                rx.el.a("Call 999 now", href="tel:999"),
                class_name="inset",
            ),
            rx.el.details(
                rx.el.summary("See all topics"),
                rx.el.ul(rx.foreach(W.topic_list, _topic_button), class_name="options"),
                class_name="details",
            ),
            rx.cond(
                W.free_text_allowed,
                rx.el.p(
                    "Nothing fits? ",
                    rx.el.button(
                        "Describe it in your own words",
                        type="button",
                        class_name="link-button",
                        on_click=W.choose_topic("free_text"),
                    ),
                ),
            ),
        )

    def _red_flags() -> rx.Component:
        """The emergency screen, a short page at a time (the NHS checkbox pattern with an
        exclusive "None of these" that must be chosen when nothing applies)."""
        return rx.el.form(
            # Answering for someone else: say so before any box (Lily's answers, not the parent's).
            rx.cond(
                W.for_someone_else,
                rx.el.div(rx.el.p(rx.el.strong(W.red_flag_intro)), class_name="inset", id="answer-for-them"),
            ),
            rx.el.p(
                "Emergency questions ",
                W.red_flag_page,
                " of ",
                W.red_flag_total,
                class_name="progress",
                id="red-flag-progress",
            ),
            _fieldset(
                "flags",
                rx.cond(
                    W.for_someone_else,
                    rx.fragment("Do any of these apply to ", W.subject_first_name, " now, or in the last 24 hours?"),
                    "Do any of these apply to you now, or in the last 24 hours?",
                ),
                rx.foreach(
                    W.red_flag_items,
                    lambda f: rx.el.div(
                        rx.el.input(
                            type="checkbox",
                            id="flag_" + f["id"].to(str),
                            name="flag_" + f["id"].to(str),
                            class_name="checkbox-input",
                        ),
                        rx.el.label(f["text"], html_for="flag_" + f["id"].to(str), class_name="checkbox-label"),
                        class_name="checkbox checkbox--list",
                    ),
                ),
                rx.el.div("or", class_name="checkboxes__divider"),
                rx.el.div(
                    rx.el.input(type="checkbox", id="none_of_these", name="none_of_these", class_name="checkbox-input"),
                    rx.el.label("None of these", html_for="none_of_these", class_name="checkbox-label"),
                    class_name="checkbox checkbox--list",
                ),
                hint="Select all that apply.",
            ),
            # Which signs this page showed, so an answer is never recorded against another page.
            rx.el.input(type="hidden", name="page", value=W.red_flag_items.foreach(lambda f: f["id"]).join(",")),
            primary_button("Continue"),
            on_submit=W.screen,
            no_validate=True,
            key="red-flags-" + W.red_flag_page,  # a fresh set of boxes on every page
        )

    def _counted_by(field_id: str) -> rx.Var:
        return rx.cond(
            W.errors.contains("answer"),
            f"{field_id}-count-limit {field_id}-count answer-error",
            f"{field_id}-count-limit {field_id}-count",
        )

    def _question_input() -> rx.Component:
        q = W.question
        return rx.match(
            q["type"],
            (
                "boolean",
                rx.fragment(
                    _radio("answer", "yes", "Yes", checked=W.saved_answer == "yes"),
                    _radio("answer", "no", "No", checked=W.saved_answer == "no"),
                ),
            ),
            (
                "choice",
                rx.foreach(
                    W.options, lambda o: _radio("answer", o["code"], o["display"], checked=W.saved_answer == o["code"])
                ),
            ),
            ("display", rx.fragment()),
            (
                "text",
                # Not id="answer": Reflex replaces a form field's value with the ref of the control whose id
                # has that name, even when that control is in a branch that isn't shown (it is then null).
                rx.fragment(
                    rx.el.textarea(
                        id="answer-text",
                        name="answer",
                        default_value=W.saved_answer,
                        rows=5,
                        class_name=rx.cond(
                            W.errors.contains("answer"), "input input--error textarea", "input textarea"
                        ),
                        aria_labelledby="question-legend",
                        aria_describedby=_counted_by("answer-text"),
                        **counted("answer-text", q["limit"]),
                    ),
                    character_count("answer-text", q["limit"], q["limit_text"]),
                ),
            ),
            (
                "string",
                rx.fragment(
                    rx.el.input(
                        id="answer-string",
                        name="answer",
                        default_value=W.saved_answer,
                        type="text",
                        aria_labelledby="question-legend",
                        aria_describedby=_counted_by("answer-string"),
                        class_name=rx.cond(W.errors.contains("answer"), "input input--error", "input"),
                        **counted("answer-string", q["limit"]),
                    ),
                    character_count("answer-string", q["limit"], q["limit_text"]),
                ),
            ),
            rx.el.input(
                id="answer-field",
                name="answer",
                default_value=W.saved_answer,
                type=rx.cond(q["type"] == "date", "date", "text"),
                input_mode=rx.cond(q["type"] == "integer", "numeric", "text"),
                max_length=200,
                aria_labelledby="question-legend",
                class_name=rx.cond(W.errors.contains("answer"), "input input--error width-20", "input width-20"),
            ),
        )

    def _question() -> rx.Component:
        q = W.question
        return rx.el.form(
            rx.el.p("Question ", q["number"], " of ", q["total"], class_name="progress", aria_live="polite"),
            rx.el.div(
                rx.el.fieldset(
                    rx.el.legend(q["text"], class_name="legend legend--page", id="question-legend"),
                    rx.cond(q["hint"] != "", rx.el.div(q["hint"], class_name="hint")),
                    error_message("answer", W.errors),
                    _question_input(),
                    rx.cond(q["unit"] != "", rx.el.span(q["unit"], class_name="hint")),
                ),
                class_name=rx.cond(W.errors.contains("answer"), "form-group form-group--error", "form-group"),
            ),
            # Which question this page showed, so the answer is never filed under another one.
            rx.el.input(type="hidden", name="question", value=q["id"]),
            primary_button("Continue"),
            on_submit=W.answer,
            no_validate=True,
            key=q["id"],
        )

    def _anything_else() -> rx.Component:
        return rx.el.form(
            text_area_field(
                "free_text",
                "Is there anything else you want to tell us? (optional)",
                W.errors,
                limit=text_limits.ANYTHING_ELSE.limit,
                default_value=W.free_text,
                rows=6,
                label_class="label legend--page",
                hint="Please only add details about this request. If you have another problem, send it as a separate request or call the surgery.",
            ),
            primary_button("Continue"),
            on_submit=W.save_anything_else,
            no_validate=True,
            key="anything_else",
        )

    def _preferences() -> rx.Component:
        return rx.el.form(
            rx.cond(
                W.kind == "medical",
                _fieldset(
                    "appointment",
                    rx.cond(
                        W.for_someone_else,
                        rx.fragment("If ", W.subject_first_name, " needs an appointment, how would you prefer it?"),
                        "If you need an appointment, how would you prefer it?",
                    ),
                    rx.foreach(
                        W.appointment_options,
                        lambda o: _radio("appointment", o[0], o[1], checked=W.appointment == o[0]),
                    ),
                    hint="Your practice decides what is best for you, but will take this into account.",
                ),
            ),
            _fieldset(
                "contact",
                "How should your practice contact you about this request?",
                rx.foreach(W.contact_options, lambda o: _radio("contact", o[0], o[1], checked=W.contact == o[0])),
            ),
            primary_button("Continue"),
            on_submit=W.save_preferences,
            no_validate=True,
            key="preferences",
        )

    def _check() -> rx.Component:
        return rx.fragment(
            rx.el.h2("Check your answers"),
            rx.el.dl(
                rx.foreach(
                    W.check_rows,
                    lambda r: rx.el.div(
                        rx.el.dt(r["question"], custom_attrs={"data-topic-question": r["topic"]}),
                        rx.el.dd(r["answer"]),
                        rx.el.dd(
                            rx.el.button(
                                "Change",
                                type="button",
                                class_name="link-button",
                                on_click=W.change(r["id"]),
                                aria_label="Change " + r["question"].to(str),
                            ),
                            class_name="summary-list__actions",
                        ),
                        class_name="summary-list__row",
                    ),
                ),
                class_name="summary-list",
            ),
            rx.el.p("By sending this request you confirm the answers are correct to the best of your knowledge."),
            primary_button("Send request", type="button", on_click=W.send),
        )

    def _step_heading() -> dict:
        # Each question and each page of the emergency screen is a step of its own.
        return step_heading(W.step + ":" + W.red_flag_page + ":" + W.question["number"].to(str))

    def _advice_block(a: rx.Var, index: rx.Var) -> rx.Component:
        return rx.el.div(
            rx.cond(
                index == 0,
                rx.el.h1(a["title"], class_name="panel__title", **_step_heading()),
                rx.el.h2(a["title"], class_name="panel__title"),
            ),
            rx.el.p(a["body"]),
            rx.el.div(
                rx.foreach(
                    W.advice_calls,
                    lambda c: rx.cond(
                        c["code"] == a["code"],
                        rx.el.a(c["label"], href=c["href"], class_name="button button--emergency", role="button"),
                    ),
                ),
                class_name="button-group",
            ),
            class_name="panel panel--emergency",
            custom_attrs={"data-advice": a["code"]},
        )

    def _advice() -> rx.Component:
        """Every advice that applies, most urgent first (999, then 111, then the crisis lines)."""
        return rx.el.div(
            rx.foreach(W.advices, _advice_block),
            rx.cond(
                W.advice_ends,
                rx.fragment(
                    rx.el.p(rx.el.strong("Your request has not been sent to your practice.")),
                    rx.el.button("Start a new request", type="button", class_name="link-button", on_click=W.finish),
                ),
                rx.fragment(
                    rx.el.p(
                        "You can carry on with your request. When you send it, your practice will see that it is urgent."
                    ),
                    primary_button("Continue with the request", type="button", on_click=W.carry_on),
                ),
            ),
            role="alert",
            id="advice",
        )

    def _done() -> rx.Component:
        return rx.fragment(
            rx.el.div(
                rx.el.h1("Request sent", class_name="panel__title", **_step_heading()),
                rx.el.p("Your reference number is"),
                rx.el.p(rx.el.strong(W.reference, class_name="reference")),
                class_name="panel panel--confirmation",
            ),
            rx.el.h2("What happens next"),
            rx.el.p(
                "A member of your practice team will review your request. You don't need to do anything until you hear from them. "
                "We will email or text you when they reply: sign in and look for the red Respond button under In progress."
            ),
            rx.cond(W.safety_net != "", rx.el.div(rx.el.p(W.safety_net), class_name="inset", id="safety-net")),
            rx.el.p(
                rx.el.strong("If you get worse, or need help sooner, "),
                "call the surgery or NHS 111. In an emergency call 999.",
            ),
            rx.el.button(
                "See the practice's requests" if staff else "See your requests",
                type="button",
                class_name="button",
                on_click=W.finish,
            ),
        )

    def _step_in(*steps: str) -> rx.Var:
        return rx.Var.create(list(steps)).contains(W.step)

    def _override_box() -> rx.Component:
        """Phone requests only: the limits the practice set can be overridden, which is audited."""
        return rx.cond(
            W.can_override,
            rx.el.form(
                rx.el.div(
                    error_message("override", W.errors),
                    rx.el.div(
                        rx.el.input(type="checkbox", id="override", name="override", class_name="checkbox-input"),
                        rx.el.label(
                            "Override the limits for this request (the patient called the practice)",
                            html_for="override",
                            class_name="checkbox-label",
                        ),
                        class_name="checkbox",
                    ),
                    class_name=rx.cond(W.errors.contains("override"), "form-group form-group--error", "form-group"),
                ),
                rx.el.input(type="hidden", name="kind", value=W.kind),
                rx.el.input(type="hidden", name="overriding", value="yes"),
                primary_button("Continue with the override"),
                on_submit=W.choose_kind,
                no_validate=True,
            ),
            rx.el.p("A request can't be created now for the reasons above."),
        )

    def _closed() -> rx.Component:
        """Closed, out of hours or a limit reached: information and what to do now, not an error
        (there is nothing to correct, so no form invites a retry)."""
        if staff:
            body = rx.fragment(
                rx.el.h2("The practice's online hours or limits apply", class_name="panel__title", id="closed-title"),
                rx.el.p("This request for ", W.patient_label, " is outside them:"),
                rx.el.ul(rx.foreach(W.closed_reasons, lambda r: rx.el.li(r)), class_name="panel__actions"),
                _override_box(),
            )
        else:
            body = rx.fragment(
                rx.el.h2(W.closed_title, class_name="panel__title", id="closed-title"),
                rx.el.p(W.closed_explanation),
                rx.el.h3("What you can do now"),
                rx.el.ul(
                    rx.el.li(
                        rx.cond(
                            W.practice_phone != "",
                            rx.fragment(
                                "If you need help today, call the surgery on ",
                                rx.el.a(W.practice_phone, href="tel:" + W.practice_phone.to(str)),
                                ".",
                            ),
                            rx.fragment("If you need help today, call the surgery."),
                        )
                    ),
                    rx.el.li(
                        "For urgent help, use NHS 111 online at ",
                        rx.el.a("111.nhs.uk", href="https://111.nhs.uk"),
                        " or call ",
                        rx.el.a("111", href="tel:111"),
                        ".",
                    ),
                    rx.el.li(
                        "A pharmacist, optician or dentist may be able to help: ",
                        rx.el.a("find NHS services near you", href=routes.SERVICES_NEAR_YOU),
                        ".",
                    ),
                    rx.el.li(rx.el.strong("In an emergency, call "), rx.el.a(rx.el.strong("999"), href="tel:999"), "."),
                    class_name="panel__actions",
                ),
            )
        return rx.fragment(
            rx.el.section(body, class_name="panel panel--info", aria_labelledby="closed-title"),
            rx.cond(
                ~W.closed_all_kinds,
                rx.el.p(
                    rx.el.button(
                        "Choose another kind of request",
                        type="button",
                        class_name="link-button",
                        on_click=W.choose_another_kind,
                    ),
                ),
            ),
            rx.el.p(
                rx.el.a(
                    "Back to the dashboard" if staff else "Back to home", href=routes.PRACTICE if staff else routes.HOME
                )
            ),
        )

    def request_wizard_content() -> rx.Component:
        show_back = _step_in("question", "anything_else", "preferences", "check") | (
            (W.step == "red_flags") & (W.red_flag_page != "1") & (W.red_flag_page != "")
        )
        return rx.fragment(
            rx.cond(staff, rx.el.p("Taking a request by phone for ", rx.el.strong(W.patient_label), class_name="lede"))
            if staff
            else rx.fragment(),
            rx.cond(
                show_back, rx.el.button("Back", type="button", class_name="link-button back-link", on_click=W.back)
            ),
            rx.cond(
                _step_in("red_flags", "question", "anything_else", "preferences", "check") & (W.about != ""),
                rx.el.span(W.about, class_name="caption", id="questions-about"),
            ),
            rx.cond(
                ~_step_in("advice", "done"),
                rx.el.h1(
                    rx.cond(W.topic_title != "", W.topic_title, "Create Request"),
                    class_name="page-title",
                    **_step_heading(),
                ),
            ),
            rx.cond(
                W.notice != "",
                rx.el.div(rx.el.p(W.notice), class_name="panel panel--warning", role="alert", id="wizard-notice"),
            ),
            error_summary(W.summary),
            form_error(W.errors),
            rx.match(
                W.step,
                *([] if staff else [("who", _who())]),  # the practice's version starts with the patient known
                ("type", _kind()),
                ("closed", _closed()),
                ("topic", _topic()),
                ("red_flags", _red_flags()),
                ("question", _question()),
                ("anything_else", _anything_else()),
                ("preferences", _preferences()),
                ("check", _check()),
                ("advice", _advice()),
                ("done", _done()),
                rx.el.p("Loading…", role="status"),
            ),
            rx.cond(
                _step_in("red_flags", "question", "anything_else", "preferences", "check"),
                rx.el.p(rx.el.button("Start again", type="button", class_name="link-button", on_click=W.start_again)),
            ),
        )

    return request_wizard_content()


def request_wizard() -> rx.Component:
    return page(_wizard(W))


def staff_request_wizard() -> rx.Component:
    return workspace_page(rx.el.div(_wizard(StaffRequestWizardState, staff=True), class_name="narrow"))
