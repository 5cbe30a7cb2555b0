"""Workspace: requests with their triage (a subject, an urgency and a suggested team). Triage
decides nothing clinical: it orders the list and suggests who might look first."""

from __future__ import annotations

import reflex as rx

from anima_pwa import routes
from anima_pwa.components.workspace import workspace_page
from anima_pwa.state.requests.practice_requests import PracticeRequestsState, PracticeRequestState


def urgency_tag(key, label) -> rx.Component:
    return rx.el.span(
        label,
        class_name=rx.match(
            key,
            ("emergency_signposted", "tag tag--red"),
            ("urgent_today", "tag tag--red"),
            ("within_two_days", "tag tag--yellow"),
            "tag tag--grey",
        ),
    )


def practice_requests() -> rx.Component:
    s = PracticeRequestsState
    return workspace_page(
        rx.el.h1("Requests"),
        rx.el.p(
            "Open requests, most urgent first. The urgency and team are suggestions from the answers, not decisions."
        ),
        rx.cond(s.error != "", rx.el.div(rx.el.p(s.error), class_name="error-summary", role="alert")),
        rx.cond(
            s.rows.length() > 0,
            rx.el.table(
                rx.el.thead(
                    rx.el.tr(
                        *[
                            rx.el.th(h, scope="col")
                            for h in ("Urgency", "Subject", "Patient", "Team", "Sent", "Reference")
                        ]
                    )
                ),
                rx.el.tbody(
                    rx.foreach(
                        s.rows,
                        lambda r: rx.el.tr(
                            rx.el.td(urgency_tag(r["urgency"], r["urgency_label"])),
                            rx.el.td(
                                rx.el.a(r["subject"], href=routes.PRACTICE_REQUEST + "?id=" + r["id"].to(str)),
                                rx.cond(
                                    r["by_phone"] != "",
                                    rx.el.span(" ", rx.el.span(r["by_phone"], class_name="tag tag--grey")),
                                ),
                            ),
                            rx.el.td(r["patient"]),
                            rx.el.td(r["team"]),
                            rx.el.td(r["submitted"]),
                            rx.el.td(r["reference"]),
                        ),
                    )
                ),
                class_name="table",
            ),
            rx.el.p("There are no open requests."),
        ),
    )


def practice_request() -> rx.Component:
    s = PracticeRequestState
    r = s.request
    return workspace_page(
        rx.cond(s.error != "", rx.el.div(rx.el.p(s.error), class_name="error-summary", role="alert")),
        rx.cond(
            r.contains("subject"),
            rx.fragment(
                rx.el.h1(r["subject"]),
                rx.el.p(
                    urgency_tag(r["urgency"], r["urgency_label"]), " Suggested team: ", r["team"], " · ", r["reference"]
                ),
                rx.cond(r["overridden"] != "", rx.el.p(rx.el.span(r["overridden"], class_name="tag tag--yellow"))),
                rx.el.dl(
                    rx.el.div(rx.el.dt("Patient"), rx.el.dd(r["patient"]), class_name="summary-list__row"),
                    rx.el.div(rx.el.dt("Filled in by"), rx.el.dd(r["filled_in_by"]), class_name="summary-list__row"),
                    rx.el.div(
                        rx.el.dt("Questions worded for"), rx.el.dd(r["worded_for"]), class_name="summary-list__row"
                    ),
                    rx.el.div(rx.el.dt("Sent"), rx.el.dd(r["submitted"]), class_name="summary-list__row"),
                    rx.el.div(rx.el.dt("Status"), rx.el.dd(r["status"]), class_name="summary-list__row"),
                    rx.el.div(
                        rx.el.dt("Appointment preference"), rx.el.dd(r["appointment"]), class_name="summary-list__row"
                    ),
                    rx.el.div(rx.el.dt("Contact preference"), rx.el.dd(r["contact"]), class_name="summary-list__row"),
                    class_name="summary-list section",
                ),
                rx.el.section(
                    rx.el.h2("Answers"),
                    rx.el.ul(rx.foreach(s.summary_lines, lambda line: rx.el.li(line))),
                    rx.el.h3("Anything else"),
                    rx.el.p(r["free_text"]),
                    class_name="section",
                ),
            ),
        ),
        back=("Back to requests", routes.PRACTICE_REQUESTS),
    )
