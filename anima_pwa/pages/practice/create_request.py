"""Workspace "Create Request": the care-home guide's parts 1 and 2, step by step."""

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
from anima_pwa.components.workspace import workspace_page
from anima_pwa.services.practice.account_creation import CONFIRM_CONSENT_LABEL, CONFIRM_REGISTERED_LABEL
from anima_pwa.services.practice.account_lookup import NOT_FOUND_MESSAGE
from anima_pwa.state.practice.create_request import CreateRequestState as S


def _text(name: str, label: str, **kwargs) -> rx.Component:
    return text_field(name, label, S.errors, value=S.values[name], on_change=lambda v: S.set_value(name, v), **kwargs)


def _box(name: str, label: str) -> rx.Component:
    return checkbox_field(name, label, S.errors, checked=S.boxes[name], on_change=lambda c: S.set_box(name, c))


def _dependent_picker() -> rx.Component:
    return rx.el.div(
        checkbox_field(
            "as_dependent",
            "Register the patient as a dependent",
            S.errors,
            checked=S.as_dependent,
            on_change=S.set_as_dependent,
        ),
        rx.cond(
            S.as_dependent,
            rx.el.div(
                rx.cond(
                    S.care_home_id > 0,
                    rx.el.div(
                        rx.el.p("Dependent of: ", rx.el.strong(S.care_home_label)),
                        rx.el.p(rx.el.span("Registered at your practice", class_name="tag tag--green")),
                        class_name="panel panel--info",
                    ),
                ),
                text_field(
                    "care_home_query",
                    "Search for the care home",
                    S.errors,
                    value=S.care_home_query,
                    on_change=S.search_care_homes,
                    hint="Its dummy NHS number, like 999-999-1234, or its name",
                    width="width-20",
                ),
                rx.cond(
                    S.errors.contains("register_as_dependent_of"),
                    rx.el.p(S.errors["register_as_dependent_of"], class_name="error-message"),
                ),
                rx.el.ul(
                    rx.foreach(
                        S.care_home_options,
                        lambda o: rx.el.li(
                            rx.el.button(
                                rx.el.span(o["name"], class_name="option__name"),
                                rx.el.span(
                                    o["nhs_number"], " · Registered at ", o["practice"], class_name="option__address"
                                ),
                                type="button",
                                class_name="option",
                                on_click=S.choose_care_home(
                                    o["id"], o["name"].to(str) + " (" + o["nhs_number"].to(str) + ")"
                                ),
                            )
                        ),
                    ),
                    class_name="options",
                ),
                class_name="form-group--nested",
            ),
        ),
        class_name="section",
    )


def _new_patient_form() -> rx.Component:
    return rx.el.div(
        rx.el.button("×", type="button", class_name="dialog__close", aria_label="Close", on_click=S.close),
        rx.el.h2("Create New Patient Account"),
        rx.el.p("NHS number: ", rx.el.strong(S.nhs_query)),
        error_summary(S.summary),
        rx.el.form(
            _dependent_picker(),
            rx.el.div(
                rx.el.div(
                    _text("full_name", "Name", hint="For a care home account, the care home's name"),
                    date_field(
                        "dob",
                        "Date of birth",
                        S.errors,
                        values=S.values,
                        on_change_part=S.set_value,
                        hint="For a care home account, any date over 18 years ago, like 1 1 2000",
                    ),
                    _text("address_line1", "Address"),
                    _text("postcode", "Postcode", max_length=10, width="width-10"),
                ),
                rx.el.div(
                    _text("phone", "Phone", input_type="tel", max_length=20, width="width-20"),
                    _text(
                        "email",
                        "Email",
                        input_type="email",
                        hint="They will use this to sign in. It can't already be used by an Anima account. Leave empty for a resident without email",
                    ),
                    _box("housebound", "Housebound"),
                    _box("care_home_resident", "Care Home Resident"),
                ),
                class_name="two-columns",
            ),
            _box("confirm_registered", CONFIRM_REGISTERED_LABEL),
            _box("confirm_consent", CONFIRM_CONSENT_LABEL),
            primary_button("Create Patient Account"),
            on_submit=lambda _: S.create(),
            no_validate=True,
        ),
        class_name="dialog",
        role="dialog",
        aria_label="Create New Patient Account",
    )


def create_request() -> rx.Component:
    return workspace_page(
        rx.el.h1("Create Request"),
        form_error(S.errors),
        rx.cond(
            S.step == "created",
            rx.el.div(rx.el.p(S.created_message), class_name="panel panel--success", role="status"),
        ),
        rx.el.form(
            text_field(
                "nhs_query",
                "Patient's NHS number",
                S.errors,
                value=S.nhs_query,
                on_change=S.set_nhs_query,
                input_mode="numeric",
                max_length=14,
                width="width-10",
                hint="A real NHS number, or a dummy one like 999-999-1234 for a care home account",
            ),
            primary_button("Search"),
            on_submit=S.search,
            no_validate=True,
            class_name="narrow",
        ),
        rx.match(
            S.step,
            (
                "found",
                rx.el.div(
                    rx.el.h2(S.found["name"]),
                    rx.el.p("Born ", S.found["dob"], ". ", S.found["account"], "."),
                    rx.el.a(
                        "Take a request by phone",
                        href=routes.PRACTICE_PHONE_REQUEST + "?patient=" + S.found["id"].to(str),
                        class_name="button",
                        role="button",
                    ),
                    rx.el.a(
                        "Open patient record",
                        href=routes.PRACTICE_PATIENT + "?id=" + S.found["id"].to(str),
                        class_name="button button--secondary",
                        role="button",
                    ),
                    class_name="section narrow",
                ),
            ),
            (
                "not_found",
                rx.el.div(
                    rx.el.p(NOT_FOUND_MESSAGE, class_name="lede"),
                    secondary_button("Create New Patient Account", on_click=S.open_form),
                    class_name="section narrow",
                ),
            ),
            ("form", _new_patient_form()),
            rx.fragment(),
        ),
    )
