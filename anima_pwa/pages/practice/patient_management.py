"""Workspace "Patient Management" -> "Patient Search", a patient's record, verifications, audit."""

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
    text_area_field,
    text_field,
)
from anima_pwa.components.screen import page_error
from anima_pwa.components.tables import table, text_table
from anima_pwa.components.workspace import workspace_page
from anima_pwa.services.platform import text_limits
from anima_pwa.state.practice.patient_management import (
    AuditTrailState,
    PatientRecordState,
    PatientSearchState,
    VerificationsState,
)


def status_tag(key: rx.Var, text: rx.Var) -> rx.Component:
    return rx.el.span(
        text,
        class_name=rx.match(key, ("verified", "tag tag--green"), ("pending", "tag tag--yellow"), "tag tag--red"),
    )


def patient_search() -> rx.Component:
    s = PatientSearchState
    return workspace_page(
        rx.el.h1("Patient Management"),
        rx.el.h2("Patient Search"),
        page_error(s),
        rx.el.form(
            text_field(
                "query",
                "Name, date of birth, NHS number or email",
                rx.Var.create({}),
                value=s.query,
                on_change=s.set_query,
                max_length=100,
                width="width-20",
                hint="For example: Harper, 14/03/1985, 973 146 2856 or name@example.com",
            ),
            primary_button("Search"),
            on_submit=s.search,
            no_validate=True,
            class_name="narrow",
        ),
        rx.cond(
            s.rows.length() > 0,
            table(
                ["Name", "Date of birth", "NHS number", "Postcode", "Email", "Status"],
                rx.el.tbody(
                    rx.foreach(
                        s.rows,
                        lambda r: rx.el.tr(
                            rx.el.td(
                                rx.el.a(r["name"], href=routes.PRACTICE_PATIENT + "?id=" + r["id"].to(str)),
                                rx.cond(
                                    r["care_home"] != "",
                                    rx.el.span(" ", rx.el.span(r["care_home"], class_name="tag tag--grey")),
                                ),
                            ),
                            rx.el.td(r["dob"]),
                            rx.el.td(r["nhs_number"]),
                            rx.el.td(r["postcode"]),
                            rx.el.td(r["email"]),
                            rx.el.td(status_tag(r["status_key"], r["status"])),
                        ),
                    )
                ),
                name="Patients found",
            ),
            rx.cond(s.searched, rx.el.p("No patients at your practice match that search.")),
        ),
    )


def _summary_row(label: str, value) -> rx.Component:
    return rx.el.div(rx.el.dt(label), rx.el.dd(value), class_name="summary-list__row")


def _edit_form() -> rx.Component:
    s = PatientRecordState

    def text(name: str, label: str, **kwargs):
        return text_field(
            name, label, s.errors, value=s.values[name], on_change=lambda v: s.set_value(name, v), **kwargs
        )

    return rx.el.form(
        error_summary(s.summary),
        rx.el.div(
            rx.el.div(
                text("full_name", "Name"),
                date_field("dob", "Date of birth", s.errors, values=s.values, on_change_part=s.set_value),
                text("address_line1", "Address"),
            ),
            rx.el.div(
                text("postcode", "Postcode", max_length=10, width="width-10"),
                text(
                    "phone", "Phone", input_type="tel", max_length=20, width="width-20", hint="A UK mobile or landline"
                ),
                checkbox_field(
                    "housebound",
                    "Housebound",
                    s.errors,
                    checked=s.housebound,
                    on_change=lambda c: s.set_flag("housebound", c),
                ),
                checkbox_field(
                    "care_home_resident",
                    "Care Home Resident",
                    s.errors,
                    checked=s.care_home_resident,
                    on_change=lambda c: s.set_flag("care_home_resident", c),
                ),
            ),
            class_name="two-columns",
        ),
        primary_button("Save details"),
        secondary_button("Cancel", on_click=s.stop_editing),
        on_submit=lambda _: s.save(),
        no_validate=True,
        class_name="section",
    )


def _holder(h: rx.Var) -> rx.Component:
    """Someone who holds this patient, with "Remove" (and a confirmation) for staff who may."""
    s = PatientRecordState
    return rx.el.li(
        h["name"],
        " (",
        h["email"],
        ") · ",
        h["relationship"],
        rx.cond(
            h["approval"] != "",
            rx.fragment(
                " · ",
                rx.el.span(
                    h["approval"],
                    class_name=rx.match(
                        h["approval_key"],
                        ("approved", "tag tag--green"),
                        ("pending", "tag tag--yellow"),
                        "tag tag--red",
                    ),
                ),
            ),
        ),
        rx.cond(
            s.can_remove_holder,
            rx.cond(
                s.confirm_remove_holder == h["link_id"],
                rx.el.div(
                    rx.el.p(
                        "Remove ",
                        rx.el.strong(h["name"]),
                        " from this patient? They will no longer be able to send "
                        "requests for this patient or see their requests, and will be emailed. Anyone else who holds "
                        "the patient keeps them.",
                    ),
                    rx.el.button(
                        "Yes, remove them",
                        type="button",
                        class_name="button button--warning",
                        on_click=s.remove_holder(h["link_id"]),
                    ),
                    secondary_button("Cancel", on_click=s.cancel_remove_holder),
                    class_name="panel panel--warning",
                ),
                rx.fragment(
                    " ",
                    rx.el.button(
                        "Remove",
                        type="button",
                        class_name="link-button",
                        on_click=s.ask_remove_holder(h["link_id"]),
                        aria_label="Remove " + h["name"].to(str) + " from this patient",
                    ),
                ),
            ),
        ),
    )


def patient_record() -> rx.Component:
    s = PatientRecordState
    d = s.detail
    return workspace_page(
        form_error(s.errors),
        rx.cond(
            d.contains("name"),
            rx.fragment(
                rx.el.h1(d["name"]),
                rx.cond(s.notice != "", rx.el.div(rx.el.p(s.notice), class_name="panel panel--success", role="status")),
                rx.el.p(status_tag(d["status_key"], d["status"]), " ", d["note"]),
                rx.cond(
                    s.editing,
                    _edit_form(),
                    rx.el.div(
                        rx.el.dl(
                            _summary_row("Date of birth", d["dob"] + " (age " + d["age"] + ")"),
                            _summary_row("NHS number", d["nhs_number"]),
                            _summary_row("Address", d["address"]),
                            _summary_row("Postcode", d["postcode"]),
                            _summary_row("Phone", d["phone"]),
                            _summary_row(
                                "Email", rx.cond(d["email"] != "", d["email"], "This patient has no email address")
                            ),
                            _summary_row("Preferred name", d["preferred_name"]),
                            _summary_row("Notes", d["flags"]),
                            class_name="summary-list",
                        ),
                        secondary_button("Edit details", on_click=s.start_editing),
                        class_name="section",
                    ),
                ),
                rx.el.div(
                    rx.el.section(
                        rx.el.h2("Linked accounts"),
                        rx.cond(
                            s.linked.length() > 0,
                            text_table(
                                s.linked,
                                [
                                    ("Email", "email"),
                                    ("Link", "relationship"),
                                    ("Approval", "approval"),
                                    ("Account", "status"),
                                ],
                                name="Linked accounts",
                            ),
                            rx.el.p("No account holds this patient."),
                        ),
                        rx.cond(
                            s.held_by.length() > 0,
                            rx.fragment(
                                rx.el.h3("Held by"),
                                rx.el.ul(rx.foreach(s.held_by, _holder), class_name="holders"),
                            ),
                        ),
                        class_name="section",
                    ),
                    rx.el.section(
                        rx.el.h2("Dependants"),
                        rx.cond(
                            s.dependants.length() > 0,
                            rx.el.ul(
                                rx.foreach(
                                    s.dependants,
                                    lambda p: rx.el.li(
                                        rx.el.a(p["name"], href=routes.PRACTICE_PATIENT + "?id=" + p["id"].to(str)),
                                        ", born ",
                                        p["dob"],
                                        " · ",
                                        p["relationship"],
                                    ),
                                )
                            ),
                            rx.el.p("None at this practice."),
                        ),
                        rx.cond(d["elsewhere"] != "", rx.el.p(d["elsewhere"], " more registered at another practice.")),
                        class_name="section",
                    ),
                    class_name="two-columns",
                ),
                rx.cond(
                    s.can_remove_email,
                    rx.el.section(
                        rx.el.h2("Remove email address"),
                        rx.el.p(
                            "Removing the email stops this patient signing in with it and frees the address for "
                            "another account (for example a care home). People they hold are not changed."
                        ),
                        checkbox_field(
                            "confirm_no_email",
                            "This patient has no email address",
                            s.errors,
                            checked=s.confirm_no_email,
                            on_change=lambda c: s.set_flag("confirm_no_email", c),
                        ),
                        rx.el.button(
                            "Remove email", type="button", class_name="button button--warning", on_click=s.remove_email
                        ),
                        class_name="section",
                    ),
                ),
                rx.cond(
                    s.can_view_audit,
                    rx.el.p(
                        rx.el.a("View audit trail", href=routes.PRACTICE_AUDIT + "?id=" + s.patient_id.to_string())
                    ),
                ),
            ),
        ),
        back=("Back to Patient Search", routes.PRACTICE_PATIENTS),
    )


def audit_trail() -> rx.Component:
    s = AuditTrailState
    return workspace_page(
        rx.el.h1("Audit trail"),
        page_error(s),
        text_table(
            s.rows, [("When", "at"), ("What", "action"), ("Who", "actor"), ("Detail", "detail")], name="Audit trail"
        ),
        back=("Back to the patient", routes.PRACTICE_PATIENT + "?id=" + s.patient_id.to_string()),
    )


def verifications() -> rx.Component:
    s = VerificationsState

    def other(o: rx.Var, key: rx.Var) -> rx.Component:
        return rx.cond(
            o["key"] == key,
            rx.el.li(
                rx.cond(
                    o["id"] != "",
                    rx.el.a(o["text"], href=routes.PRACTICE_PATIENT + "?id=" + o["id"].to(str)),
                    o["text"],
                )
            ),
        )

    def row(r: rx.Var) -> rx.Component:
        return rx.el.tr(
            rx.el.td(rx.el.strong(r["name"]), rx.el.br(), r["kind"]),
            rx.el.td(r["dob"]),
            rx.el.td(r["nhs_number"]),
            rx.el.td(r["postcode"]),
            rx.el.td(
                r["reason"],
                rx.cond(r["by"] != "", rx.el.p(rx.el.strong(r["by_label"]), r["by"], class_name="queue-by")),
                rx.el.ul(rx.foreach(s.others, lambda o: other(o, r["key"])), class_name="queue-others"),
            ),
            rx.el.td(r["submitted"]),
            rx.el.td(
                rx.cond(
                    s.rejecting == r["key"],
                    rx.el.div(
                        text_area_field(
                            "reason",
                            "Reason the patient will see",
                            s.errors,
                            limit=text_limits.REJECTION_REASON.limit,
                            value=s.reason,
                            on_change=s.set_reason,
                            rows=3,
                        ),
                        rx.el.button("Confirm", type="button", class_name="button button--warning", on_click=s.reject),
                    ),
                    rx.fragment(
                        rx.el.button(
                            rx.cond(r["kind"] == "Registration", "Verify", "Approve"),
                            type="button",
                            class_name="button",
                            on_click=s.approve(r["key"]),
                            aria_label=rx.cond(r["kind"] == "Registration", "Verify ", "Approve ") + r["name"].to(str),
                        ),
                        rx.el.button(
                            rx.cond(r["kind"] == "Registration", "Reject", "Decline"),
                            type="button",
                            class_name="button button--secondary",
                            on_click=s.open_reject(r["key"]),
                            aria_label=rx.cond(r["kind"] == "Registration", "Reject ", "Decline ") + r["name"].to(str),
                        ),
                    ),
                ),
            ),
        )

    return workspace_page(
        rx.el.h1("Verifications"),
        rx.el.p(
            "Registrations and dependants that didn't match your register automatically, and people asking to hold "
            "a patient: dependants aged 16 or over, and anyone asking to hold someone Anima already knows. Each is "
            "shown with the other records that have its NHS number, or with who holds the patient now."
        ),
        rx.cond(s.notice != "", rx.el.div(rx.el.p(s.notice), class_name="panel panel--success", role="status")),
        form_error(s.errors),
        rx.cond(
            s.rows.length() > 0,
            table(
                ["Patient", "Date of birth", "NHS number", "Postcode", "Why", "Submitted", ""],
                rx.el.tbody(rx.foreach(s.rows, row)),
                name="Waiting for verification",
            ),
            rx.el.p("Nothing is waiting for verification."),
        ),
    )
