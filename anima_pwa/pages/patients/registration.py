"""The details form (guide steps 6 to 8) and the signed-in home page (step 9)."""

from __future__ import annotations

import reflex as rx

from anima_pwa import routes
from anima_pwa.components.fields import (
    checkbox_field,
    date_field,
    error_message,
    error_summary,
    field_wrapper,
    form_error,
    primary_button,
    text_field,
)
from anima_pwa.components.layout import page
from anima_pwa.state.patients.registration import HomeState, RegisterState


def _text(name: str, label: str, **kwargs) -> rx.Component:
    return text_field(
        name,
        label,
        RegisterState.errors,
        value=RegisterState.values[name],
        on_change=lambda v: RegisterState.set_value(name, v),
        **kwargs,
    )


def practice_picker() -> rx.Component:
    """Type part of the practice's name, then choose it; its postcode fills in by itself."""
    errors = RegisterState.errors
    return field_wrapper(
        "practice",
        errors,
        rx.el.label("GP practice", html_for="practice_search", class_name="label"),
        rx.el.div(
            "Start typing the name of your practice, then choose it from the list.",
            id="practice-hint",
            class_name="hint",
        ),
        error_message("practice", errors),
        rx.debounce_input(
            rx.el.input(
                id="practice_search",
                name="practice_search",
                type="text",
                auto_complete="off",
                max_length=100,
                value=RegisterState.practice_query,
                on_change=RegisterState.search_practice,
                class_name=rx.cond(errors.contains("practice"), "input input--error", "input"),
                aria_describedby=rx.cond(errors.contains("practice"), "practice-hint practice-error", "practice-hint"),
                aria_invalid=rx.cond(errors.contains("practice"), "true", "false"),
                aria_controls="practice-options",
            ),
            debounce_timeout=250,
        ),
        rx.el.div(
            rx.cond(
                RegisterState.practice_options.length() > 0,
                rx.el.span(
                    RegisterState.practice_options.length().to_string() + " practices found",
                    class_name="visually-hidden",
                ),
            ),
            aria_live="polite",
        ),
        rx.el.ul(
            rx.foreach(
                RegisterState.practice_options,
                lambda option: rx.el.li(
                    rx.el.button(
                        rx.el.span(option["name"], class_name="option__name"),
                        rx.el.span(option["address"], class_name="option__address"),
                        type="button",
                        class_name="option",
                        on_click=RegisterState.choose_practice(option["id"]),
                    )
                ),
            ),
            id="practice-options",
            class_name="options",
        ),
        rx.cond(
            RegisterState.practice_id > 0,
            rx.el.div(
                rx.el.label("Practice postcode", html_for="practice_postcode", class_name="label"),
                rx.el.input(
                    id="practice_postcode",
                    value=RegisterState.practice_postcode,
                    read_only=True,
                    class_name="input input--readonly width-10",
                ),
                class_name="form-group form-group--nested",
            ),
        ),
    )


def register_details() -> rx.Component:
    return page(
        rx.el.h1("Your details"),
        error_summary(RegisterState.summary),
        form_error(RegisterState.errors),
        rx.el.p("These details are sent to your GP practice so they can check who you are."),
        rx.el.form(
            rx.cond(
                RegisterState.from_nhs_login,
                rx.el.div(
                    rx.el.h2("From NHS login", class_name="summary-list__title"),
                    rx.el.dl(
                        rx.el.div(
                            rx.el.dt("Name"), rx.el.dd(RegisterState.nhs_full_name), class_name="summary-list__row"
                        ),
                        rx.el.div(
                            rx.el.dt("Date of birth"),
                            rx.el.dd(RegisterState.nhs_date_of_birth),
                            class_name="summary-list__row",
                        ),
                        rx.el.div(
                            rx.el.dt("NHS number"), rx.el.dd("Shared by NHS login"), class_name="summary-list__row"
                        ),
                        class_name="summary-list",
                    ),
                    rx.el.p("If these are wrong, contact your GP practice.", class_name="hint"),
                    class_name="section",
                ),
                rx.fragment(
                    _text("full_name", "Full name", autocomplete="name", hint="As your GP practice knows it"),
                    date_field(
                        "dob",
                        "Date of birth",
                        RegisterState.errors,
                        values=RegisterState.values,
                        on_change_part=RegisterState.set_value,
                        hint="For example, 15 3 1984",
                    ),
                ),
            ),
            _text("postcode", "Postcode", autocomplete="postal-code", max_length=10, width="width-10"),
            _text(
                "mobile",
                "Mobile phone number",
                input_type="tel",
                autocomplete="tel",
                max_length=20,
                width="width-20",
                hint="Your practice uses this to tell you when they reply",
            ),
            rx.cond(
                RegisterState.from_nhs_login,
                rx.fragment(),
                _text(
                    "nhs_number",
                    "NHS number (if known)",
                    input_mode="numeric",
                    max_length=12,
                    width="width-10",
                    hint="A 10 digit number, like 485 777 3456. You can find it on letters from the NHS or in the NHS App",
                ),
            ),
            practice_picker(),
            checkbox_field(
                "over_18",
                "I confirm I am over 18",
                RegisterState.errors,
                checked=RegisterState.over_18,
                on_change=lambda checked: RegisterState.set_box("over_18", checked),
            ),
            checkbox_field(
                "terms",
                rx.fragment(
                    "I agree to Anima's ",
                    rx.el.a("privacy policy", href=routes.PRIVACY, target="_blank"),
                    " and ",
                    rx.el.a("terms of use", href=routes.TERMS, target="_blank"),
                ),
                RegisterState.errors,
                checked=RegisterState.terms,
                on_change=lambda checked: RegisterState.set_box("terms", checked),
            ),
            primary_button("Create Account"),
            on_submit=RegisterState.submit,
            no_validate=True,
        ),
    )


def practice_details_panel(h=HomeState, *, heading: str = "Practice Details") -> rx.Component:
    """The patient guide's "Practice Details": when online requests are open, the closed days
    ahead and the practice's important updates. `h` is a state with the same `practice_*` vars
    (the home page's, or the practice's own link's)."""
    return rx.el.section(
        rx.el.h2(heading, id="practice-details"),
        rx.el.p(rx.el.strong(h.practice_name)),
        rx.cond(
            h.practice_phone != "",
            rx.el.p("Phone: ", rx.el.a(h.practice_phone, href="tel:" + h.practice_phone.to(str))),
        ),
        rx.cond(
            h.practice_updates != "",
            rx.el.div(
                rx.el.h3("Important updates"),
                rx.el.p(h.practice_updates, class_name="practice-details__updates"),
                class_name="panel panel--info",
            ),
        ),
        rx.cond(
            h.practice_turned_off != "",
            rx.el.div(
                rx.el.h3("Online requests are turned off"),
                rx.el.p(h.practice_turned_off),
                rx.el.p("For urgent help use NHS 111. In an emergency call 999."),
                class_name="panel panel--warning",
            ),
        ),
        rx.el.h3("Online request hours"),
        rx.el.table(
            rx.el.thead(
                rx.el.tr(rx.el.th("Day", scope="col"), rx.el.th("Medical", scope="col"), rx.el.th("Admin", scope="col"))
            ),
            rx.el.tbody(
                rx.foreach(
                    h.practice_hours,
                    lambda r: rx.el.tr(
                        rx.el.th(r["day"], scope="row"),
                        rx.el.td(r["medical"]),
                        rx.el.td(r["admin"]),
                    ),
                )
            ),
            class_name="table practice-details__hours",
        ),
        rx.el.h3("Closed days ahead"),
        rx.cond(
            h.practice_closed_days.length() > 0,
            rx.el.ul(
                rx.foreach(
                    h.practice_closed_days,
                    lambda d: rx.el.li(
                        rx.el.strong(d["day"]),
                        rx.cond(d["reason"] != "", rx.fragment(": ", d["reason"])),
                    ),
                )
            ),
            rx.el.p("None planned."),
        ),
        rx.el.p(
            "Outside these hours you can call the surgery, or use NHS 111 for urgent help. In an emergency call 999.",
            class_name="hint",
        ),
        class_name="section",
        aria_labelledby="practice-details",
    )


def home() -> rx.Component:
    return page(
        rx.el.h1("Hello ", HomeState.full_name),
        rx.match(
            HomeState.status,
            (
                "verified",
                rx.el.div(
                    rx.el.h2("You're all set up", class_name="panel__title"),
                    rx.el.p("Your account has been verified by ", HomeState.practice_name, "."),
                    class_name="panel panel--confirmation",
                    role="status",
                ),
            ),
            (
                "pending",
                rx.el.div(
                    rx.el.h2("Your account couldn't be verified yet", class_name="panel__title"),
                    rx.el.p(
                        "Your details didn't exactly match your practice's records. This can happen if you have "
                        "changed your name or address, or a detail was typed differently."
                    ),
                    rx.el.p(
                        HomeState.practice_name,
                        " has been sent your registration and will verify your account when they can. "
                        "Please don't contact them about this: they have been notified.",
                    ),
                    class_name="panel panel--warning",
                    role="status",
                ),
            ),
            (
                "rejected",
                rx.el.div(
                    rx.el.h2("Your practice couldn't verify your account", class_name="panel__title"),
                    rx.el.p(HomeState.rejection_reason),
                    rx.el.p("Contact ", HomeState.practice_name, " on ", HomeState.practice_phone, "."),
                    class_name="panel panel--warning",
                    role="status",
                ),
            ),
            rx.el.p("Loading your account…", role="status"),
        ),
        rx.cond(
            HomeState.replies_waiting > 0,
            rx.el.div(
                rx.el.h2("Your practice needs your reply", class_name="panel__title"),
                rx.el.p(
                    rx.cond(
                        HomeState.replies_waiting == 1,
                        "You have a message from your practice that needs a reply.",
                        "You have messages from your practice that need a reply.",
                    )
                ),
                rx.el.a("Respond", href=routes.IN_PROGRESS, class_name="button button--warning", role="button"),
                class_name="panel panel--warning",
                role="status",
            ),
        ),
        rx.el.div(
            rx.el.a("Create Request", href=routes.REQUEST_NEW + "?new=1", class_name="button", role="button"),
            rx.el.p(rx.el.a("In progress", href=routes.IN_PROGRESS), " (messages from your practice)"),
            rx.el.p(rx.el.a("Your requests", href=routes.YOUR_REQUESTS)),
        ),
        rx.el.section(
            rx.el.h2("People on your account"),
            rx.el.ul(
                rx.foreach(
                    HomeState.people,
                    lambda person: rx.el.li(
                        rx.el.strong(person["name"]),
                        " ",
                        rx.cond(
                            person["ready"] == "yes",
                            rx.el.span("Ready", class_name="tag tag--green"),
                            rx.el.span(person["why_not"], class_name="tag tag--yellow"),
                        ),
                        class_name="people__item",
                    ),
                ),
                class_name="people",
            ),
            rx.el.a("Dependants & children", href=routes.DEPENDANTS),
            class_name="section",
        ),
        practice_details_panel(),
        rx.el.div(
            rx.el.p(
                rx.el.strong("In an emergency call 999. "),
                "Requests to your practice may not be seen straight away.",
            ),
            class_name="inset",
        ),
    )
