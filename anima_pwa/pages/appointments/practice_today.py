"""Workspace "Appointments": the day's list per clinician or site, and booking, moving and
cancelling for a patient on the phone."""

from __future__ import annotations

import reflex as rx

from anima_pwa import routes
from anima_pwa.components.fields import (
    error_message,
    link_button,
    primary_button,
    secondary_button,
    select_field,
    text_field,
)
from anima_pwa.components.screen import page_error, redrawn_form, screen_messages
from anima_pwa.components.workspace import workspace_page
from anima_pwa.services.appointments.staff_booking import STAFF_CANCEL_REASON
from anima_pwa.state.appointments.practice_today import PracticeTodayState

S = PracticeTodayState


def _picker() -> rx.Component:
    return rx.el.form(
        rx.el.div(
            text_field("day", "Date", S.errors, input_type="date", default_value=S.day, width="width-10"),
            select_field(
                "book", "Clinician or team", S.errors, S.book_choices, blank="Everyone", default=S.book_choice
            ),
            select_field(
                "site",
                "Site",
                S.errors,
                blank="Every site",
                options=rx.foreach(S.site_choices, lambda c: rx.el.option(c, value=c)),
                default=S.site_choice,
            ),
            primary_button("Show the list", id="show-list"),
            class_name="filters",
        ),
        on_submit=S.show,
        key="picker-" + S.drawn.to_string() + S.day,
        no_validate=True,
    )


def _actions(r) -> rx.Component:
    label = r["time"].to(str) + " with " + r["book"].to(str)
    return rx.cond(
        S.mode == "move",
        rx.cond(
            r["open"] == "yes",
            link_button(
                "Move here",
                on_click=S.move_to(r["slot"]),
                aria_label="Move the appointment to " + label,
            ),
        ),
        rx.fragment(
            rx.cond(
                r["open"] == "yes",
                link_button(
                    "Book",
                    on_click=S.start_booking(r["slot"]),
                    aria_label="Book " + label,
                ),
            ),
            rx.cond(
                r["live"] == "yes",
                rx.fragment(
                    link_button(
                        "Move",
                        on_click=S.start_move(r["slot"]),
                        aria_label="Move " + r["patient"].to(str) + "'s appointment at " + label,
                    ),
                    " ",
                    link_button(
                        "Cancel",
                        on_click=S.start_cancel(r["slot"]),
                        aria_label="Cancel " + r["patient"].to(str) + "'s appointment at " + label,
                    ),
                ),
            ),
        ),
    )


def _list() -> rx.Component:
    return rx.cond(
        S.rows.length() > 0,
        rx.el.div(
            rx.el.table(
                rx.el.thead(
                    rx.el.tr(
                        *[
                            rx.el.th(h, scope="col")
                            for h in ("Time", "With", "Site", "Kind", "Status", "Patient", "Born", "Action")
                        ]
                    )
                ),
                rx.el.tbody(
                    rx.foreach(
                        S.rows,
                        lambda r: rx.el.tr(
                            rx.el.td(r["time"], "–", r["ends"]),
                            rx.el.td(r["book"]),
                            rx.el.td(r["site"]),
                            rx.el.td(r["kind"]),
                            rx.el.td(r["status_label"]),
                            rx.el.td(rx.cond(r["patient_href"] != "", rx.el.a(r["patient"], href=r["patient_href"]))),
                            rx.el.td(r["born"]),
                            rx.el.td(_actions(r)),
                            id="slot-" + r["slot"].to(str),
                        ),
                    )
                ),
                class_name="table",
                id="day-list",
            ),
            class_name="table-scroll",
            tab_index=0,
            role="region",
            aria_label="Appointments on the day",
        ),
        rx.el.p("No appointment slots on this day."),
    )


def _booking_panel() -> rx.Component:
    return rx.el.section(
        rx.el.h2("Book ", S.chosen, id="booking-title"),
        error_message("slot", S.errors),
        redrawn_form(
            S,
            "search",
            text_field(
                "query",
                "Find the patient",
                S.errors,
                default_value=S.query,
                hint="Name, NHS number, date of birth (DD/MM/YYYY) or email address",
            ),
            primary_button("Search"),
            on_submit=S.search,
        ),
        rx.cond(
            S.found.length() > 0,
            rx.el.table(
                rx.el.thead(
                    rx.el.tr(*[rx.el.th(h, scope="col") for h in ("Name", "Born", "NHS number", "Postcode", "")])
                ),
                rx.el.tbody(
                    rx.foreach(
                        S.found,
                        lambda p: rx.el.tr(
                            rx.el.td(p["name"]),
                            rx.el.td(p["born"]),
                            rx.el.td(p["nhs"]),
                            rx.el.td(p["postcode"]),
                            rx.el.td(
                                rx.el.button(
                                    "Book for this patient",
                                    type="button",
                                    class_name="button button--secondary",
                                    on_click=S.book_for(p["id"]),
                                    aria_label="Book for " + p["name"].to(str) + ", born " + p["born"].to(str),
                                )
                            ),
                        ),
                    )
                ),
                class_name="table",
            ),
            rx.cond(S.searched, rx.el.p("No patients found at your practice.")),
        ),
        secondary_button("Stop booking", on_click=S.stop),
        class_name="section panel",
        role="region",
        aria_labelledby="booking-title",
    )


def _move_panel() -> rx.Component:
    return rx.el.section(
        rx.el.h2("Move ", S.chosen, id="move-title"),
        error_message("slot", S.errors),
        rx.el.p("Choose Move here beside a free time. To move to another day, change the date above."),
        secondary_button("Stop moving", on_click=S.stop),
        class_name="section panel",
        role="region",
        aria_labelledby="move-title",
    )


def _cancel_panel() -> rx.Component:
    return rx.el.section(
        rx.el.h2("Cancel ", S.chosen, id="cancel-title"),
        redrawn_form(
            S,
            "cancel",
            text_field(
                "cancel_reason",
                "Why is the appointment cancelled?",
                S.errors,
                limit=STAFF_CANCEL_REASON.limit,
                hint="Kept with the appointment. The patient is told it is cancelled, never the reason.",
            ),
            primary_button("Cancel appointment"),
            secondary_button("Keep the appointment", on_click=S.stop),
            on_submit=S.cancel,
        ),
        class_name="section panel",
        role="region",
        aria_labelledby="cancel-title",
    )


def practice_today() -> rx.Component:
    return workspace_page(
        rx.el.h1("Appointments"),
        page_error(S),
        rx.cond(
            S.heading != "",
            rx.fragment(
                screen_messages(S),
                _picker(),
                rx.el.h2(S.heading, id="day-heading"),
                rx.el.p(S.counts),
                rx.match(
                    S.mode,
                    ("book", _booking_panel()),
                    ("move", _move_panel()),
                    ("cancel", _cancel_panel()),
                    rx.fragment(),
                ),
                _list(),
                rx.el.p(rx.el.a("Appointment books", href=routes.PRACTICE_BOOKS)),
            ),
        ),
    )
