"""The patient's appointment screens, phone first (issue 12). The words follow the user guide's "How
to book your appointment" and "How to cancel your appointment": the practice invites, the patient
chooses a day, then a time, and confirms; "Cancel appointment" up to the practice's cut-off."""

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
from anima_pwa.components.layout import page, step_heading
from anima_pwa.services.appointments.booking import CANCEL_REASON
from anima_pwa.state.appointments.patient import AppointmentState, BookAppointmentState

B = BookAppointmentState
A = AppointmentState


def invite_card(v) -> rx.Component:  # noqa: ANN001 - a row Var
    """An invite to book, with its "Book appointment" button (In progress, a request's page)."""
    return rx.el.li(
        rx.el.h3(v["what"], class_name="nav-list__title"),
        rx.el.p("For ", v["for"], " with ", v["with"]),
        rx.el.p("Choose a time ", v["window"], "."),
        rx.el.p(rx.el.strong(v["expires"])),
        rx.el.a(
            "Book appointment",
            rx.el.span(" for ", v["for"], class_name="visually-hidden"),
            href=v["href"],
            class_name="button",
            role="button",
        ),
        class_name="nav-list__item",
    )


def appointment_card(v) -> rx.Component:  # noqa: ANN001 - a row Var
    """A booked appointment, with a link to its page (where it can be cancelled)."""
    return rx.el.li(
        rx.el.h3(v["when"], class_name="nav-list__title"),
        rx.el.p(v["what"], " for ", v["for"], " with ", v["with"]),
        rx.cond(v["where"] != "", rx.el.p(v["where"])),
        rx.cond(v["how"] != "", rx.el.p(v["how"])),
        rx.el.p(
            rx.el.span("Booked", class_name="tag tag--green"),
            " ",
            rx.el.a(
                "View or cancel appointment",
                rx.el.span(" on ", v["when"], class_name="visually-hidden"),
                href=v["href"],
            ),
        ),
        class_name="nav-list__item",
    )


def appointments_sections(invites, appointments, *, heading_level: str = "h2") -> rx.Component:  # noqa: ANN001
    heading = rx.el.h2 if heading_level == "h2" else rx.el.h3
    return rx.fragment(
        rx.cond(
            invites.length() > 0,
            rx.el.section(
                heading("Appointments to book"),
                rx.el.p("Your practice has invited you to book. Choose a day and a time that suit you."),
                rx.el.ul(rx.foreach(invites, invite_card), class_name="nav-list"),
                class_name="section",
                id="invites",
            ),
        ),
        rx.cond(
            appointments.length() > 0,
            rx.el.section(
                heading("Your appointments"),
                rx.el.ul(rx.foreach(appointments, appointment_card), class_name="nav-list"),
                class_name="section",
                id="appointments",
            ),
        ),
    )


def _invite_summary() -> rx.Component:
    return rx.cond(
        B.invite.contains("what"),
        rx.el.div(
            rx.el.p(B.invite["what"], " for ", B.invite["for"], " with ", B.invite["with"]),
            rx.el.p(B.invite["expires"]),
            class_name="inset",
        ),
    )


def _step_heading() -> dict:
    return step_heading(B.step.to(str))


def _choose_day() -> rx.Component:
    return rx.el.section(
        rx.el.h2("Choose a day", id="days", **_step_heading()),
        error_message("day", B.errors),
        rx.cond(
            B.days.length() > 0,
            rx.el.ul(
                rx.foreach(
                    B.days,
                    lambda d: rx.el.li(
                        rx.el.button(
                            rx.el.span(d["label"], class_name="option__name"),
                            rx.el.span(d["free"], " times free", class_name="option__address"),
                            type="button",
                            class_name="option",
                            on_click=B.choose_day(d["day"]),
                        )
                    ),
                ),
                class_name="options",
            ),
            rx.el.div(
                rx.el.p(
                    "There are no free times left for this invitation. Contact your practice to arrange an appointment."
                ),
                class_name="panel panel--warning",
            ),
        ),
    )


def _choose_time() -> rx.Component:
    return rx.el.section(
        rx.el.h2("Choose a time on ", B.day_label, id="times", **_step_heading()),
        error_message("slot", B.errors),
        rx.el.ul(
            rx.foreach(
                B.times,
                lambda t: rx.el.li(
                    rx.el.button(
                        rx.el.span(t["time"], class_name="option__name"),
                        rx.el.span(t["label"], class_name="visually-hidden"),
                        type="button",
                        class_name="option",
                        on_click=B.choose_time(t["id"]),
                    )
                ),
            ),
            class_name="options slot-times",
        ),
        rx.el.p(link_button("Choose another day", on_click=B.change_day)),
    )


def _confirm() -> rx.Component:
    return rx.el.section(
        rx.el.h2("Check your appointment", **_step_heading()),
        rx.el.dl(
            rx.el.div(rx.el.dt("Day"), rx.el.dd(B.day_label), class_name="summary-list__row"),
            rx.el.div(rx.el.dt("Time"), rx.el.dd(B.time_label), class_name="summary-list__row"),
            class_name="summary-list",
        ),
        rx.el.div(
            primary_button("Confirm appointment", type="button", on_click=B.confirm, id="confirm"),
            link_button("Choose another time", on_click=B.change_time),
            class_name="button-group",
        ),
    )


def book_appointment() -> rx.Component:
    return page(
        rx.cond(
            B.found,
            rx.fragment(
                rx.el.h1("Book your appointment"),
                error_summary(B.summary),
                form_error(B.errors),
                _invite_summary(),
                rx.match(
                    B.step,
                    ("time", _choose_time()),
                    ("confirm", _confirm()),
                    _choose_day(),
                ),
            ),
            rx.cond(
                B.refused != "",
                rx.fragment(
                    rx.el.h1("You can't book with this invitation"),
                    rx.el.div(rx.el.p(B.refused), class_name="panel panel--warning", role="alert"),
                    rx.el.p(rx.el.a("Go to In progress", href=routes.IN_PROGRESS)),
                ),
                rx.el.p("Loading…", role="status"),
            ),
        ),
        back=("Back to In progress", routes.IN_PROGRESS),
    )


def _cancel_form() -> rx.Component:
    return rx.el.section(
        rx.el.h2("Cancel appointment", id="cancel"),
        rx.el.p(A.appointment["cancel_until"]),
        rx.el.form(
            text_area_field(
                "reason",
                "Why are you cancelling? (optional)",
                A.errors,
                limit=CANCEL_REASON.limit,
                hint="Your practice will see this. You don't have to give a reason.",
                rows=3,
            ),
            primary_button("Cancel appointment", extra_class="button--warning"),
            on_submit=A.cancel,
            no_validate=True,
            key=A.form_key,
        ),
        class_name="section",
    )


def appointment_view() -> rx.Component:
    a = A.appointment
    return page(
        rx.cond(
            A.found,
            rx.fragment(
                rx.cond(
                    A.booked_now,
                    rx.el.div(
                        rx.el.h1("Your appointment is booked", class_name="panel__title"),
                        rx.el.p("We have also sent you the details, as you chose in your preferences."),
                        class_name="panel panel--confirmation",
                        role="status",
                    ),
                    rx.el.h1(rx.cond(a["cancelled"] == "yes", "Cancelled appointment", "Your appointment")),
                ),
                rx.cond(
                    A.cancelled_now,
                    rx.el.div(
                        rx.el.p("Your appointment has been cancelled. The time is free for someone else."),
                        class_name="panel panel--success",
                        role="status",
                    ),
                ),
                error_summary(A.summary),
                form_error(A.errors),
                rx.el.dl(
                    rx.el.div(rx.el.dt("When"), rx.el.dd(a["when"]), class_name="summary-list__row"),
                    rx.el.div(rx.el.dt("What"), rx.el.dd(a["what"]), class_name="summary-list__row"),
                    rx.el.div(rx.el.dt("For"), rx.el.dd(a["for"]), class_name="summary-list__row"),
                    rx.el.div(rx.el.dt("With"), rx.el.dd(a["with"]), class_name="summary-list__row"),
                    rx.cond(
                        a["where"] != "",
                        rx.el.div(rx.el.dt("Where"), rx.el.dd(a["where"]), class_name="summary-list__row"),
                    ),
                    class_name="summary-list",
                ),
                rx.cond(a["how"] != "", rx.el.p(a["how"])),
                rx.cond(
                    a["cancelled"] == "yes",
                    rx.cond(
                        A.book_again_href != "",
                        rx.el.p(
                            "You can still book another time with your invitation. ",
                            rx.el.a("Book another time", href=A.book_again_href, class_name="button", role="button"),
                        ),
                    ),
                    rx.fragment(
                        rx.el.p(
                            rx.el.a(
                                "Add to calendar",
                                href=a["ics"],
                                class_name="button button--secondary",
                                role="button",
                                download="appointment.ics",
                            )
                        ),
                        rx.cond(
                            a["can_cancel"] == "yes",
                            _cancel_form(),
                            rx.el.div(
                                rx.el.p(
                                    "It is too late to cancel this appointment online. If you can't come, phone "
                                    "your practice."
                                ),
                                class_name="panel panel--info",
                            ),
                        ),
                    ),
                ),
                rx.cond(
                    a["request_href"] != "",
                    rx.el.p(rx.el.a("See the request this appointment is about", href=a["request_href"])),
                ),
            ),
            rx.cond(
                A.not_found != "",
                rx.fragment(rx.el.h1("Appointment not found"), rx.el.p(A.not_found)),
                rx.el.p("Loading…", role="status"),
            ),
        ),
        back=("Back to In progress", routes.IN_PROGRESS),
    )
