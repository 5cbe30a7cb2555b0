"""Workspace "Appointment books": the practice's books, a new book, and one book's weekly pattern,
days off and "Generate slots for the next N weeks"."""

from __future__ import annotations

import reflex as rx

from anima_pwa import routes
from anima_pwa.components.fields import (
    link_button,
    primary_button,
    select_field,
    text_field,
)
from anima_pwa.components.screen import page_error, redrawn_form, screen_messages
from anima_pwa.components.workspace import workspace_page
from anima_pwa.services.appointments import rota
from anima_pwa.state.appointments.practice_books import AppointmentBooksState, AppointmentBookState

L = AppointmentBooksState
B = AppointmentBookState


def _books_table() -> rx.Component:
    return rx.cond(
        L.rows.length() > 0,
        rx.el.div(
            rx.el.table(
                rx.el.thead(
                    rx.el.tr(
                        *[
                            rx.el.th(h, scope="col")
                            for h in (
                                "Book",
                                "Clinician or team",
                                "Site",
                                "Weekly pattern",
                                "Free slots",
                                "Slots until",
                            )
                        ]
                    )
                ),
                rx.el.tbody(
                    rx.foreach(
                        L.rows,
                        lambda r: rx.el.tr(
                            rx.el.td(rx.el.a(r["name"], href=r["href"])),
                            rx.el.td(r["owner"]),
                            rx.el.td(r["site"]),
                            rx.el.td(r["pattern"]),
                            rx.el.td(r["free"]),
                            rx.el.td(r["last"]),
                        ),
                    )
                ),
                class_name="table",
            ),
            class_name="table-scroll",
            tab_index=0,
            role="region",
            aria_label="Appointment books",
        ),
        rx.el.p("Your practice has no appointment books yet."),
    )


def _create_form() -> rx.Component:
    return rx.cond(
        L.can_manage,
        rx.el.section(
            rx.el.h2("Create an appointment book"),
            rx.el.p("A book is one clinician's diary, or a team's (for example the nurses), at a site."),
            redrawn_form(
                L,
                "create",
                text_field(
                    "name",
                    "Name",
                    L.errors,
                    limit=rota.NAME.limit,
                    hint="What staff and patients read, for example Dr Amir Khan or Practice nurses",
                ),
                select_field(
                    "staff_id",
                    "Clinician (for a clinician's book)",
                    L.errors,
                    L.clinicians,
                    blank="Not a clinician's book",
                ),
                text_field(
                    "team",
                    "Team (for a team's book)",
                    L.errors,
                    limit=rota.TEAM.limit,
                    hint="For example nurses or hca. Choose a clinician or enter a team, not both.",
                ),
                text_field("site_name", "Site (optional)", L.errors, limit=rota.SITE_NAME.limit),
                text_field(
                    "site_address",
                    "Site address (optional)",
                    L.errors,
                    limit=rota.SITE_ADDRESS.limit,
                    hint="Patients are told it for face-to-face appointments",
                ),
                primary_button("Create book"),
                on_submit=L.create_book,
            ),
            class_name="section",
        ),
        rx.el.div(rx.el.p("Only a practice admin can set up appointment books."), class_name="panel panel--info"),
    )


def appointment_books() -> rx.Component:
    return workspace_page(
        rx.el.h1("Appointment books"),
        page_error(L),
        rx.cond(
            L.error == "",
            rx.fragment(
                screen_messages(L),
                rx.el.p(rx.el.a("Today's appointments", href=routes.PRACTICE_APPOINTMENTS)),
                _books_table(),
                _create_form(),
            ),
        ),
    )


def _pattern() -> rx.Component:
    return rx.el.section(
        rx.el.h2("Weekly pattern"),
        rx.cond(
            B.sessions.length() > 0,
            rx.el.ul(
                rx.foreach(
                    B.sessions,
                    lambda s: rx.el.li(
                        s["text"],
                        " ",
                        rx.cond(
                            B.can_manage,
                            link_button(
                                "Remove",
                                on_click=B.remove_session(s["id"]),
                                aria_label="Remove " + s["text"].to(str),
                            ),
                        ),
                    ),
                ),
                class_name="list",
            ),
            rx.el.p("No sessions yet: add the first one below."),
        ),
        rx.cond(
            B.can_manage,
            redrawn_form(
                B,
                "session",
                rx.el.h3("Add a session"),
                select_field("weekday", "Day", B.errors, B.weekday_choices, blank="Choose a day"),
                text_field("start", "Starts at", B.errors, max_length=5, width="width-4", hint="UK time, like 09:00"),
                text_field("end", "Ends at", B.errors, max_length=5, width="width-4", hint="Like 12:00"),
                text_field(
                    "slot_minutes",
                    "Slot length in minutes",
                    B.errors,
                    max_length=3,
                    width="width-4",
                    input_mode="numeric",
                    hint="From 5 to 120",
                ),
                select_field("kind", "Kind of appointment", B.errors, B.kind_choices, blank="Choose a kind"),
                primary_button("Add session"),
                on_submit=B.add_session,
            ),
        ),
        class_name="section",
    )


def _days_off() -> rx.Component:
    return rx.el.section(
        rx.el.h2("Days off"),
        rx.el.p("Leave and training: no slots are made on these days. Bank holidays are skipped without one."),
        rx.cond(
            B.days_off.length() > 0,
            rx.el.ul(rx.foreach(B.days_off, lambda d: rx.el.li(d)), class_name="list"),
            rx.el.p("No days off to come."),
        ),
        rx.cond(
            B.booked_on_days_off.length() > 0,
            rx.el.div(
                rx.el.h3("Appointments booked on days off", id="clashes-title"),
                rx.el.p(
                    "These patients are still booked. Move or cancel each one on the ",
                    rx.el.a("Appointments", href=routes.PRACTICE_APPOINTMENTS),
                    " list (the patient is told).",
                ),
                rx.el.ul(rx.foreach(B.booked_on_days_off, lambda d: rx.el.li(d)), class_name="list"),
                class_name="panel panel--warning",
                role="region",
                aria_labelledby="clashes-title",
                id="booked-on-days-off",
            ),
        ),
        rx.cond(
            B.can_manage,
            redrawn_form(
                B,
                "off",
                rx.el.h3("Add days off"),
                text_field("first_day", "First day", B.errors, input_type="date", width="width-10"),
                text_field(
                    "last_day",
                    "Last day (optional)",
                    B.errors,
                    input_type="date",
                    width="width-10",
                    hint="Leave empty for one day",
                ),
                text_field(
                    "reason", "Reason (optional)", B.errors, limit=rota.REASON.limit, hint="For example: Annual leave"
                ),
                primary_button("Add days off"),
                on_submit=B.add_days_off,
            ),
        ),
        class_name="section",
    )


def _generate() -> rx.Component:
    return rx.cond(
        B.can_manage,
        rx.el.section(
            rx.el.h2("Generate slots"),
            rx.el.p(
                "Makes the slots from today for the weeks you choose from the weekly pattern, skipping bank holidays "
                "and days off. Slots already made stay as they are, so you can run it again after a change."
            ),
            redrawn_form(
                B,
                "generate",
                text_field(
                    "weeks",
                    "Generate slots for the next N weeks",
                    B.errors,
                    default_value=str(rota.DEFAULT_WEEKS),
                    max_length=2,
                    width="width-2",
                    input_mode="numeric",
                    hint=f"From 1 to {rota.MAX_WEEKS}",
                ),
                primary_button("Generate slots"),
                on_submit=B.generate,
            ),
            class_name="section",
        ),
    )


def appointment_book() -> rx.Component:
    b = B.book
    return workspace_page(
        page_error(B),
        rx.cond(
            b.contains("name"),
            rx.fragment(
                rx.el.h1(b["name"]),
                screen_messages(B),
                rx.el.dl(
                    *[
                        rx.el.div(rx.el.dt(label), rx.el.dd(b[key]), class_name="summary-list__row")
                        for label, key in (
                            ("Clinician or team", "owner"),
                            ("Site", "site"),
                            ("Free slots to come", "free"),
                            ("Slots made until", "last"),
                        )
                    ],
                    class_name="summary-list",
                ),
                _pattern(),
                _days_off(),
                _generate(),
            ),
        ),
        back=("Back to appointment books", routes.PRACTICE_BOOKS),
    )
