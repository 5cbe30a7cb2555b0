"""Workspace: "Signposted today". Only the advice given, never the red flags behind it."""

from __future__ import annotations

import reflex as rx

from anima_pwa.components.screen import page_error
from anima_pwa.components.workspace import workspace_page
from anima_pwa.state.requests.practice_signposts import PracticeSignpostsState


def _follow_up(r: rx.Var) -> rx.Component:
    return rx.cond(
        r["followed_up"] != "",
        rx.el.span("Followed up by ", r["followed_up"]),
        rx.el.button(
            "Mark as followed up",
            type="button",
            class_name="button button--secondary",
            on_click=PracticeSignpostsState.mark_followed_up(r["id"]),
            aria_label="Mark " + r["patient"].to(str) + " as followed up",
        ),
    )


def practice_signposts() -> rx.Component:
    s = PracticeSignpostsState
    return workspace_page(
        rx.el.h1("Signposted today"),
        rx.el.p(
            "Patients of this practice who were told today to call 999 or 111, or shown the mental health crisis "
            "lines. A 999 or 111 signpost sends no request to the practice: check the person got help, then mark "
            "them followed up. Only the advice given is shown here."
        ),
        page_error(s),
        rx.cond(
            s.rows.length() > 0,
            rx.el.table(
                rx.el.thead(
                    rx.el.tr(
                        *[
                            rx.el.th(h, scope="col")
                            for h in ("Time", "Patient", "Filled in by", "Advice given", "Where", "Follow-up")
                        ]
                    )
                ),
                rx.el.tbody(
                    rx.foreach(
                        s.rows,
                        lambda r: rx.el.tr(
                            rx.el.td(r["time"]),
                            rx.el.td(rx.el.a(r["patient"], href=r["patient_href"])),
                            rx.el.td(r["filled_in_by"]),
                            rx.el.td(rx.el.span(r["advice"], class_name="tag tag--red")),
                            rx.el.td(r["where"]),
                            rx.el.td(_follow_up(r)),
                            custom_attrs={"data-signpost": r["id"]},
                        ),
                    )
                ),
                class_name="table",
            ),
            rx.el.p("No one has been signposted today."),
        ),
    )
