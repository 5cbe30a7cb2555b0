"""Settings -> "Dependants & children" and "Add new dependant", in the patient guide's words."""

from __future__ import annotations

import reflex as rx

from anima_pwa import routes
from anima_pwa.components.fields import (
    checkbox_field,
    date_field,
    error_summary,
    form_error,
    primary_button,
    secondary_button,
    text_field,
)
from anima_pwa.components.layout import page
from anima_pwa.state.patients.dependants import AddDependantState, DependantsState


def _row(row: rx.Var) -> rx.Component:
    state = DependantsState
    return rx.el.li(
        rx.el.h2(row["name"], class_name="nav-list__title"),
        rx.el.p("Born ", row["dob"]),
        rx.cond(
            row["can_request"] == "yes",
            rx.el.p(rx.el.span("Ready", class_name="tag tag--green"), " You can send requests for them."),
            rx.el.p(rx.el.span("Waiting", class_name="tag tag--yellow"), " ", row["why_not"]),
        ),
        rx.cond(
            row["others_asking"] == "yes",
            rx.el.div(
                rx.el.p(
                    rx.el.strong("Someone else has asked to be linked to them. "),
                    "Your practice will check before agreeing. If you don't know about this or are worried by it, "
                    "contact your practice.",
                ),
                class_name="panel panel--info",
            ),
        ),
        rx.cond(
            state.confirm_remove == row["link_id"],
            rx.el.div(
                rx.el.p(
                    "Remove ", rx.el.strong(row["name"]), " from your account? Their practice record is not changed."
                ),
                rx.el.button(
                    "Yes, remove them",
                    type="button",
                    class_name="button button--warning",
                    on_click=state.remove(row["link_id"]),
                ),
                secondary_button("Keep them", on_click=state.cancel_remove),
                class_name="panel panel--warning",
            ),
            rx.el.button(
                "Remove",
                type="button",
                class_name="link-button",
                on_click=state.ask_to_remove(row["link_id"]),
                aria_label="Remove " + row["name"].to(str),
            ),
        ),
        class_name="nav-list__item",
    )


def dependants_list() -> rx.Component:
    state = DependantsState
    return page(
        rx.el.h1("Dependants & children"),
        rx.cond(state.notice != "", rx.el.div(rx.el.p(state.notice), class_name="panel panel--success", role="status")),
        form_error(state.errors),
        rx.el.p(
            "You can add people registered at the same GP practice as you, such as children or an elderly "
            "relative, and send requests for them. Emails and messages about them come to you."
        ),
        rx.el.a("Add new dependant", href=routes.ADD_DEPENDANT, class_name="button", role="button"),
        rx.cond(
            state.rows.length() > 0,
            rx.el.ul(rx.foreach(state.rows, _row), class_name="nav-list"),
            rx.el.p("You have not added anyone yet."),
        ),
        back=("Back to settings", routes.SETTINGS),
    )


def _text(name: str, label: str, **kwargs) -> rx.Component:
    return text_field(
        name,
        label,
        AddDependantState.errors,
        value=AddDependantState.values[name],
        on_change=lambda v: AddDependantState.set_value(name, v),
        **kwargs,
    )


def add_dependant() -> rx.Component:
    state = AddDependantState
    return page(
        rx.el.h1("Add new dependant"),
        error_summary(state.summary),
        form_error(state.errors),
        rx.el.p("They must be registered at the same GP practice as you, and must not have their own Anima account."),
        rx.el.form(
            _text("full_name", "Their full name", autocomplete="off"),
            date_field(
                "dob",
                "Their date of birth",
                state.errors,
                values=state.values,
                on_change_part=state.set_value,
                hint="For example, 9 5 2019",
            ),
            _text(
                "nhs_number",
                "Their NHS number",
                input_mode="numeric",
                max_length=12,
                width="width-10",
                hint="A 10 digit number, like 485 777 3456. It is on letters from the NHS, or in the child's red book",
            ),
            _text(
                "postcode",
                "Their postcode (if different to yours)",
                autocomplete="off",
                max_length=10,
                width="width-10",
                hint="Leave this empty if they live with you",
            ),
            checkbox_field(
                "registered_here",
                "I confirm they are registered at my GP practice",
                state.errors,
                checked=state.registered_here,
                on_change=state.set_registered_here,
            ),
            primary_button("Add dependant"),
            on_submit=lambda _: state.submit(),
            no_validate=True,
        ),
        back=("Back", routes.DEPENDANTS),
    )
