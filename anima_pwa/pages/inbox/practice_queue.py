"""Workspace: the practice's queue, most urgent first, then oldest first. Triage decides nothing
clinical: it orders the queue and suggests who might look first. Filters are links (kept in the
URL), each with its count; the table scrolls inside its box on a small screen."""

from __future__ import annotations

import reflex as rx

from anima_pwa.components.screen import page_error
from anima_pwa.components.workspace import workspace_page
from anima_pwa.state.inbox.practice_queue import PracticeQueueState


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


def _filter(title: str, options, name: str) -> rx.Component:
    return rx.el.nav(
        rx.el.h2(title, class_name="filter__title", id=f"filter-{name}"),
        rx.el.ul(
            rx.foreach(
                options,
                lambda o: rx.el.li(
                    rx.cond(
                        o["current"] == "yes",
                        rx.el.strong(o["label"], " (", o["count"], ")", aria_current="true"),
                        rx.el.a(o["label"], " (", o["count"], ")", href=o["href"]),
                    )
                ),
            ),
            class_name="filter__list",
        ),
        aria_labelledby=f"filter-{name}",
        class_name="filter",
    )


def _pagination() -> rx.Component:
    s = PracticeQueueState
    return rx.cond(
        s.page_count > 1,
        rx.el.nav(
            rx.el.ul(
                rx.cond(s.previous_href != "", rx.el.li(rx.el.a("Previous", href=s.previous_href, rel="prev"))),
                rx.foreach(
                    s.pages,
                    lambda p: rx.el.li(
                        rx.cond(
                            p["current"] == "yes",
                            rx.el.strong(p["number"], aria_current="page"),
                            rx.el.a(p["number"], href=p["href"], aria_label="Page " + p["number"]),
                        )
                    ),
                ),
                rx.cond(s.next_href != "", rx.el.li(rx.el.a("Next", href=s.next_href, rel="next"))),
                class_name="pagination__list",
            ),
            aria_label="Pages of requests",
            class_name="pagination",
        ),
    )


def practice_queue() -> rx.Component:
    s = PracticeQueueState
    return workspace_page(
        rx.el.h1("Requests"),
        rx.el.p(
            "Open requests, most urgent first, then oldest first. The urgency and team are suggestions "
            "from the answers, not decisions."
        ),
        page_error(s),
        rx.el.div(
            _filter("Who has it", s.assignee_options, "assignee"),
            _filter("Status", s.status_options, "status"),
            _filter("Team", s.team_options, "team"),
            _filter("Kind", s.kind_options, "kind"),
            _filter("Replies", s.replied_options, "replied"),
            class_name="filters",
        ),
        rx.cond(s.filtered, rx.el.p(rx.el.a("Clear filters", href=s.clear_href))),
        rx.el.p(
            s.total.to_string(),
            rx.cond(s.total == 1, " matching request", " matching requests"),
            rx.cond(s.page_count > 1, rx.fragment(" · page ", s.page.to_string(), " of ", s.page_count.to_string())),
            id="queue-count",
        ),
        rx.cond(
            s.rows.length() > 0,
            rx.el.div(
                rx.el.table(
                    rx.el.caption("Open requests", class_name="visually-hidden"),
                    rx.el.thead(
                        rx.el.tr(
                            *[
                                rx.el.th(h, scope="col")
                                for h in ("Urgency", "Subject", "Patient", "Team", "Who has it", "Status", "Waited")
                            ]
                        )
                    ),
                    rx.el.tbody(
                        rx.foreach(
                            s.rows,
                            lambda r: rx.el.tr(
                                rx.el.td(urgency_tag(r["urgency"], r["urgency_label"])),
                                rx.el.td(
                                    rx.el.a(r["subject"], href=r["href"]),
                                    rx.el.br(),
                                    rx.el.span(r["kind"], " · ", r["reference"], class_name="hint"),
                                    rx.cond(
                                        r["by_phone"] != "",
                                        rx.el.span(" ", rx.el.span(r["by_phone"], class_name="tag tag--grey")),
                                    ),
                                ),
                                rx.el.td(r["patient"]),
                                rx.el.td(r["team"]),
                                rx.el.td(r["assignee"]),
                                rx.el.td(
                                    r["status"],
                                    rx.cond(
                                        r["replied"] != "",
                                        rx.el.span(rx.el.br(), rx.el.span(r["replied"], class_name="tag tag--blue")),
                                    ),
                                ),
                                rx.el.td(
                                    r["waited"],
                                    rx.cond(
                                        r["no_response"] != "",
                                        rx.el.span(
                                            rx.el.br(),
                                            rx.el.span(r["no_response"], class_name="tag tag--yellow"),
                                        ),
                                    ),
                                ),
                                custom_attrs={"data-request-id": r["id"]},
                            ),
                        )
                    ),
                    class_name="table",
                ),
                class_name="section table-scroll",
                tab_index=0,
                role="region",
                aria_label="Open requests (scrolls sideways on a small screen)",
            ),
            rx.el.p(rx.cond(s.filtered, "No open requests match these filters.", "There are no open requests.")),
        ),
        _pagination(),
    )
