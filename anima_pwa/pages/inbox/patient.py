""" "Your requests", "In progress" and one request's page, phone first. The words follow the user
guide: "go to the 'In progress' section. Look for requests that have a red 'Respond' button"."""

from __future__ import annotations

import reflex as rx

from anima_pwa import routes
from anima_pwa.components.fields import (
    error_message,
    error_summary,
    form_error,
    link_button,
    primary_button,
    text_area_field,
)
from anima_pwa.components.layout import page
from anima_pwa.pages.appointments.patient import appointments_sections
from anima_pwa.services.platform import text_limits
from anima_pwa.state.inbox.patient import (
    PHOTO_UPLOAD_ID,
    InProgressState,
    RequestViewState,
    YourRequestsState,
)

S = RequestViewState


def _respond(r) -> rx.Component:  # noqa: ANN001 - a row Var
    return rx.cond(
        r["respond"] == "yes",
        rx.el.a(
            "Respond",
            rx.el.span(" to your practice about ", r["title"], " for ", r["for"], class_name="visually-hidden"),
            href=r["href"] + "#reply",
            class_name="button button--warning request-list__respond",
            role="button",
        ),
    )


def _request_item(r) -> rx.Component:  # noqa: ANN001 - a row Var
    return rx.el.li(
        rx.el.h2(rx.el.a(r["title"], href=r["href"]), class_name="nav-list__title"),
        rx.el.p(r["kind"], " for ", r["for"], " · sent ", r["submitted"]),
        rx.el.p(
            rx.el.span(
                r["status"],
                class_name=rx.cond(
                    r["respond"] == "yes",
                    "tag tag--red",
                    rx.cond(r["outcome"] != "", "tag tag--green", "tag tag--grey"),
                ),
            ),
            " Reference ",
            r["reference"],
        ),
        rx.cond(r["outcome"] != "", rx.el.p(r["outcome"])),
        _respond(r),
        class_name="nav-list__item",
    )


def your_requests() -> rx.Component:
    s = YourRequestsState
    return page(
        rx.el.h1("Your requests"),
        rx.el.p(
            "Every request you have sent, for you and the people you look after. Requests your practice is "
            "still dealing with are also in ",
            rx.el.a("In progress", href=routes.IN_PROGRESS),
            ".",
        ),
        rx.el.a("Create Request", href=routes.REQUEST_NEW + "?new=1", class_name="button", role="button"),
        rx.cond(
            s.rows.length() > 0,
            rx.el.ul(rx.foreach(s.rows, _request_item), class_name="nav-list"),
            rx.el.p("You have not sent any requests yet."),
        ),
        back=("Back to home", routes.HOME),
    )


def in_progress() -> rx.Component:
    s = InProgressState
    return page(
        rx.el.h1("In progress"),
        appointments_sections(s.invites, s.appointments),
        rx.el.h2("Requests"),
        rx.el.p(
            "Requests your practice is dealing with. If your practice has sent you a message that needs an "
            "answer, the request has a red Respond button."
        ),
        rx.cond(
            s.rows.length() > 0,
            rx.el.ul(rx.foreach(s.rows, _request_item), class_name="nav-list"),
            rx.el.p("You have no requests in progress."),
        ),
        rx.el.p(rx.el.a("Your requests", href=routes.YOUR_REQUESTS), " (all of them, with completed ones)"),
        back=("Back to home", routes.HOME),
    )


def _message(m) -> rx.Component:  # noqa: ANN001 - a message Var
    return rx.el.li(
        rx.el.p(rx.el.strong(m["author"]), rx.el.span(" · ", m["sent"], class_name="hint thread__when")),
        rx.el.p(m["body"], class_name="thread__body"),
        rx.cond(m["asks"] == "yes", rx.el.p("Your practice asked for a reply to this message.", class_name="hint")),
        rx.cond(
            S.photos.contains(m["id"]),
            rx.el.div(
                rx.foreach(
                    S.photos[m["id"]].to(list[str]),
                    lambda url: rx.el.a(
                        rx.el.img(src=url, alt="Photo sent with this reply", class_name="thread__photo"),
                        href=url,
                        target="_blank",
                        rel="noopener",
                    ),
                ),
                class_name="thread__photos",
            ),
        ),
        class_name=rx.cond(m["kind"] == "patient", "thread__item thread__item--patient", "thread__item"),
    )


def _photo_field() -> rx.Component:
    limit_mb = "10MB"
    return rx.el.div(
        rx.el.p("Add a photo", class_name="label", id="photo-label"),
        rx.el.div(
            f"Your practice has asked for a photo. Use a JPG, PNG or HEIC photo smaller than {limit_mb}. "
            "You can send a photo without writing anything.",
            id="photo-hint",
            class_name="hint",
        ),
        error_message("photo", S.errors),
        rx.cond(
            S.photo_added,
            rx.el.p(
                rx.el.span("Photo added", class_name="tag tag--green"),
                " ",
                link_button("Remove photo", on_click=S.remove_photo),
                role="status",
            ),
            rx.upload.root(  # unstyled: the NHS secondary button, no drop area
                rx.el.span("Choose a photo", class_name="button button--secondary", id="photo-choose"),
                id=PHOTO_UPLOAD_ID,
                multiple=False,
                max_files=1,
                max_size=10 * 1024 * 1024,
                no_drag=True,
                on_drop=S.add_photo,
                on_drop_rejected=S.photo_rejected,
                aria_labelledby="photo-label",
                aria_describedby="photo-hint",
                class_name="photo-upload",
            ),
        ),
        class_name=rx.cond(S.errors.contains("photo"), "form-group form-group--error", "form-group"),
    )


def _reply_form() -> rx.Component:
    return rx.el.section(
        rx.el.h2("Reply to your practice", id="reply"),
        rx.el.div(rx.el.p(S.asked), class_name="inset"),
        rx.el.form(
            text_area_field(
                "message",
                "Your reply",
                S.errors,
                limit=text_limits.MESSAGE.limit,
            ),
            rx.cond(S.wants_photo, _photo_field()),
            primary_button("Send reply"),
            on_submit=S.send_reply,
            no_validate=True,
            key=S.form_key,
        ),
        class_name="section",
    )


def _outcome() -> rx.Component:
    return rx.cond(
        S.outcome_heading != "",
        rx.el.section(
            rx.el.h2(S.outcome_heading, class_name="panel__title"),
            rx.foreach(S.outcome_paragraphs, lambda p: rx.el.p(p)),
            rx.cond(
                S.outcome_rows.length() > 0,
                rx.el.dl(
                    rx.foreach(
                        S.outcome_rows,
                        lambda row: rx.el.div(rx.el.dt(row[0]), rx.el.dd(row[1]), class_name="summary-list__row"),
                    ),
                    class_name="summary-list",
                ),
            ),
            rx.cond(
                S.outcome_links.length() > 0,
                rx.el.ul(
                    rx.foreach(S.outcome_links, lambda link: rx.el.li(rx.el.a(link[0], href=link[1]))),
                    class_name="link-list outcome__links",
                ),
            ),
            rx.cond(
                S.needs_decision,
                rx.el.div(
                    rx.el.button(
                        "Approve prescription", type="button", class_name="button", on_click=S.decide("approved")
                    ),
                    rx.el.button(
                        "Decline prescription",
                        type="button",
                        class_name="button button--secondary",
                        on_click=S.decide("declined"),
                    ),
                    class_name="button-group",
                ),
            ),
            class_name="panel panel--info",
            id="outcome",
        ),
    )


def request_view() -> rx.Component:
    return page(
        rx.cond(
            S.found,
            rx.fragment(
                rx.el.span("For ", S.request["for"], class_name="caption"),
                rx.el.h1(S.request["title"]),
                rx.cond(
                    S.reply_advice.contains("code"),
                    rx.el.div(
                        rx.el.h2(S.reply_advice["title"], class_name="panel__title"),
                        rx.el.p(S.reply_advice["body"]),
                        rx.el.p("Your reply has been sent, but your practice may not read it straight away."),
                        rx.el.div(
                            rx.foreach(
                                S.reply_advice_calls,
                                lambda c: rx.el.a(
                                    c[0], href=c[1], class_name="button button--emergency", role="button"
                                ),
                            ),
                            class_name="button-group",
                        ),
                        class_name="panel panel--emergency",
                        role="alert",
                        id="reply-advice",
                    ),
                ),
                rx.cond(S.notice != "", rx.el.div(rx.el.p(S.notice), class_name="panel panel--success", role="status")),
                error_summary(S.summary),
                form_error(S.errors),
                rx.el.dl(
                    rx.el.div(rx.el.dt("Status"), rx.el.dd(S.request["status"]), class_name="summary-list__row"),
                    rx.el.div(rx.el.dt("Sent"), rx.el.dd(S.request["submitted"]), class_name="summary-list__row"),
                    rx.el.div(rx.el.dt("Reference"), rx.el.dd(S.request["reference"]), class_name="summary-list__row"),
                    class_name="summary-list",
                ),
                rx.el.p(S.request["hint"]),
                _outcome(),
                appointments_sections(S.appointment_invites, S.appointments),
                rx.el.section(
                    rx.el.h2("Messages"),
                    rx.cond(
                        S.messages.length() > 0,
                        rx.el.ol(rx.foreach(S.messages, _message), class_name="thread"),
                        rx.el.p("There are no messages about this request yet."),
                    ),
                    class_name="section",
                ),
                rx.cond(S.awaiting, _reply_form()),
                rx.el.section(
                    rx.el.h2("What you told your practice"),
                    rx.el.dl(
                        rx.foreach(
                            S.answers,
                            lambda a: rx.el.div(rx.el.dt(a[0]), rx.el.dd(a[1]), class_name="summary-list__row"),
                        ),
                        class_name="summary-list",
                    ),
                    class_name="section",
                ),
            ),
            rx.cond(
                S.not_found != "",
                rx.fragment(rx.el.h1("Request not found"), rx.el.p(S.not_found)),
                rx.el.p("Loading…", role="status"),
            ),
        ),
        back=("Back to your requests", routes.YOUR_REQUESTS),
    )
