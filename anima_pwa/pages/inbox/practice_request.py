"""Workspace: one request for staff. The answers (red flags, crisis lines and emergency words
highlighted), urgency and suggested team, the patient and who holds them, their other requests,
the thread, the outcome, the request's history; and the forms to assign it, take it, change its
status, message the patient and sign it off."""

from __future__ import annotations

import reflex as rx

from anima_pwa import routes
from anima_pwa.components.fields import (
    checkbox_field,
    error_message,
    primary_button,
    secondary_button,
    select_field,
    text_area_field,
    text_field,
)
from anima_pwa.components.screen import page_error, redrawn_form, screen_messages
from anima_pwa.components.workspace import workspace_page
from anima_pwa.pages.inbox.practice_queue import urgency_tag
from anima_pwa.services.platform import text_limits
from anima_pwa.state.inbox.practice_request import PracticeRequestState

S = PracticeRequestState


def _row(label: str, value) -> rx.Component:
    return rx.el.div(rx.el.dt(label), rx.el.dd(value), class_name="summary-list__row")


def _details() -> rx.Component:
    r = S.request
    return rx.fragment(
        rx.el.h1(r["subject"]),
        rx.el.p(
            urgency_tag(r["urgency"], r["urgency_label"]),
            " ",
            r["kind"],
            " request · Suggested team: ",
            r["suggested_team"],
            " · ",
            r["reference"],
        ),
        rx.cond(r["overridden"] != "", rx.el.p(rx.el.span(r["overridden"], class_name="tag tag--yellow"))),
        rx.el.dl(
            _row("Status", r["status_label"]),
            _row("Who has it", r["assigned_to"]),
            _row(
                "Sent", rx.fragment(r["submitted"], rx.cond(r["waited"] != "", rx.fragment(" (", r["waited"], " ago)")))
            ),
            _row("Filled in by", r["filled_in_by"]),
            _row("Questions worded for", r["worded_for"]),
            _row("Appointment preference", r["appointment"]),
            _row("Contact preference", r["contact"]),
            class_name="summary-list section",
        ),
        rx.el.section(
            rx.el.h2("Answers"),
            rx.el.ul(
                rx.foreach(
                    S.summary_lines,
                    lambda line: rx.el.li(
                        line["text"], class_name=rx.cond(line["alarm"] == "yes", "summary-line--alarm", "")
                    ),
                )
            ),
            rx.el.h3("Anything else"),
            rx.el.p(r["free_text"], class_name="thread__body"),
            class_name="section",
        ),
        rx.el.section(
            rx.el.h2("Patient"),
            rx.el.dl(
                _row("Name", rx.el.a(r["patient_name"], href=r["patient_href"])),
                _row("Born", r["patient_born"]),
                _row("NHS number", r["nhs_number"]),
                _row("Mobile", r["phone"]),
                rx.cond(
                    S.holders.length() > 0,
                    _row("Held by", rx.el.ul(rx.foreach(S.holders, lambda h: rx.el.li(h)))),
                ),
                class_name="summary-list",
            ),
            rx.cond(
                S.others.length() > 0,
                rx.fragment(
                    rx.el.h3("Their other requests"),
                    rx.el.ul(
                        rx.foreach(
                            S.others,
                            lambda o: rx.el.li(
                                rx.el.a(o["subject"], href=o["href"]),
                                " · ",
                                o["status"],
                                " · ",
                                o["submitted"],
                                " · ",
                                o["reference"],
                            ),
                        )
                    ),
                ),
            ),
            class_name="section",
        ),
    )


def _thread() -> rx.Component:
    return rx.el.section(
        rx.el.h2("Messages"),
        rx.cond(
            S.messages.length() > 0,
            rx.foreach(
                S.messages,
                lambda m: rx.el.article(
                    rx.el.p(rx.el.strong(m["author"]), " · ", m["sent"], class_name="hint"),
                    rx.el.p(m["body"], class_name="thread__body"),
                    rx.cond(m["asks"] != "", rx.el.p(rx.el.span(m["asks"], class_name="tag tag--grey"))),
                    rx.foreach(
                        S.photos,
                        lambda p: rx.cond(
                            p["message"] == m["id"],
                            rx.el.a(rx.el.img(src=p["src"], alt=p["alt"], class_name="thread__photo"), href=p["src"]),
                        ),
                    ),
                    class_name=rx.cond(
                        m["kind"] == "staff", "thread__message thread__message--staff", "thread__message"
                    ),
                ),
            ),
            rx.el.p("No messages yet."),
        ),
        class_name="section",
    )


def _outcome() -> rx.Component:
    r = S.request
    return rx.cond(
        r["outcome_heading"] != "",
        rx.el.section(
            rx.el.h2("Outcome"),
            rx.el.p(r["signed_off"], class_name="hint"),
            rx.el.p(rx.el.strong(r["outcome_heading"])),
            rx.foreach(S.outcome_lines, lambda line: rx.el.p(line, class_name="thread__body")),
            class_name="section inset",
        ),
    )


def _delivery() -> rx.Component:
    """Notices the patient's holders could not be sent, and where the health-record write is: staff
    must know when the patient was not told, or the record not written."""
    r = S.request
    return rx.el.section(
        rx.el.h2("Notices and health record"),
        rx.cond(
            S.delivery_problems.length() > 0,
            rx.el.div(
                rx.el.p(rx.el.strong("Some notices about this request could not be delivered:")),
                rx.el.ul(rx.foreach(S.delivery_problems, lambda line: rx.el.li(line))),
                class_name="panel panel--warning",
                id="delivery-problems",
            ),
            rx.el.p("No problems sending notices about this request."),
        ),
        rx.el.p(
            rx.el.strong("Health record: "),
            r["record_text"],
            id="record-status",
            class_name=rx.cond(r["record_state"] == "failed", "record record--failed", "record"),
        ),
        class_name="section",
    )


def _assign_forms() -> rx.Component:
    r = S.request
    return rx.fragment(
        rx.cond(
            r["may_assign"] == "yes",
            rx.el.section(
                rx.el.h2("Assign"),
                redrawn_form(
                    S,
                    "assign",
                    select_field("team", "Team", S.errors, S.team_choices, blank="No team", default=r["assigned_team"]),
                    select_field(
                        "staff_id",
                        "Member of staff",
                        S.errors,
                        S.staff_choices,
                        blank="Nobody",
                        default=r["assigned_staff"],
                    ),
                    primary_button("Assign"),
                    on_submit=S.assign,
                ),
                secondary_button("Take it myself", on_click=S.take_it_myself, id="take-it-myself"),
                class_name="section",
            ),
        ),
        rx.cond(
            (r["may_change_status"] == "yes") & (S.status_choices.length() > 0),
            rx.el.section(
                rx.el.h2("Status"),
                redrawn_form(
                    S,
                    "status",
                    select_field("status", "Change the status to", S.errors, S.status_choices, blank="Choose a status"),
                    primary_button("Change status"),
                    on_submit=S.change_status,
                ),
                class_name="section",
            ),
        ),
    )


def _message_form() -> rx.Component:
    return rx.cond(
        S.request["may_message"] == "yes",
        rx.el.section(
            rx.el.h2("Message the patient"),
            redrawn_form(
                S,
                "message",
                text_area_field(
                    "message",
                    "Your message",
                    S.errors,
                    limit=text_limits.MESSAGE.limit,
                    hint="The patient and those who act for them are told there is a message, never what it says.",
                    rows=6,
                ),
                checkbox_field("needs_reply", "This message needs a reply", S.errors),
                checkbox_field("wants_photo", "Ask for a photo with the reply", S.errors),
                primary_button("Send message"),
                on_submit=S.send_message,
            ),
            class_name="section",
        ),
    )


def _radio(value, label) -> rx.Component:
    option_id = "outcome-" + value.to(str)
    return rx.el.div(
        rx.el.input(
            type="radio",
            id=option_id,
            name="outcome",
            value=value,
            on_change=lambda _: S.choose_outcome(value),
            class_name="radio-input",
        ),
        rx.el.label(label, html_for=option_id, class_name="radio-label"),
        class_name="radio",
    )


def _outcome_fields() -> rx.Component:
    def short(name: str, label: str) -> rx.Component:
        return text_field(name, label, S.errors, limit=text_limits.OUTCOME_SHORT.limit)

    def long(name: str, label: str) -> rx.Component:
        return text_area_field(name, label, S.errors, limit=text_limits.OUTCOME_TEXT.limit, rows=3)

    return rx.match(
        S.chosen_outcome,
        (
            "invite_to_book",
            rx.fragment(
                select_field("appointment_kind", "What to book", S.errors, S.appointment_choices, blank="Choose"),
                select_field("book_id", "Who with", S.errors, S.book_choices, blank="Choose a clinician or team"),
                text_field(
                    "window_days",
                    "Within how many days (1 to 90)",
                    S.errors,
                    default_value="14",
                    input_mode="numeric",
                    width="input--width-4",
                ),
                text_field(
                    "expires_in_days",
                    "Days the patient has to book (1 to 60)",
                    S.errors,
                    default_value="7",
                    input_mode="numeric",
                    width="input--width-4",
                ),
            ),
        ),
        (
            "prescription",
            rx.fragment(short("medicine", "The medicine"), long("instructions", "How to take it (optional)")),
        ),
        (
            "signpost",
            rx.fragment(
                select_field("service", "Service", S.errors, S.service_choices, blank="Choose a service"),
                long("service_details", "The service's details (optional)"),
            ),
        ),
        ("self_care", long("advice", "The advice")),
        ("closed", long("reason", "The reason")),
        rx.fragment(),
    )


def _sign_off_form() -> rx.Component:
    return rx.cond(
        S.request["may_sign_off"] == "yes",
        rx.el.section(
            rx.el.h2("Sign off"),
            redrawn_form(
                S,
                "sign-off",
                rx.el.div(
                    rx.el.fieldset(
                        rx.el.legend("Outcome", class_name="legend"),
                        error_message("outcome", S.errors),
                        rx.foreach(S.outcome_choices, lambda c: _radio(c["value"], c["label"])),
                        id="outcome",
                    ),
                    class_name=rx.cond(S.errors.contains("outcome"), "form-group form-group--error", "form-group"),
                ),
                _outcome_fields(),
                text_area_field(
                    "note", "A note to the patient (optional)", S.errors, limit=text_limits.OUTCOME_TEXT.limit, rows=3
                ),
                primary_button("Sign off"),
                on_submit=S.sign_off,
            ),
            class_name="section",
        ),
    )


def _invite_form() -> rx.Component:
    """ "Invite to book" at any time (issue 12): the kind (appointments and investigations), a
    clinician's book or a team, the window and the expiry. The invitations already made from this
    request are listed with where each stands."""
    return rx.cond(
        S.may_invite,
        rx.el.section(
            rx.el.h2("Invite to book", id="invite-title"),
            rx.cond(
                S.invite_lines.length() > 0,
                rx.el.ul(
                    rx.foreach(S.invite_lines, lambda i: rx.el.li(i["text"], ": ", rx.el.strong(i["state"]))),
                    class_name="list",
                    id="invites",
                ),
            ),
            redrawn_form(
                S,
                "invite",
                select_field(
                    "invite_kind",
                    "What the patient is invited to book",
                    S.errors,
                    S.appointment_choices,
                    blank="Choose",
                ),
                select_field(
                    "invite_with", "With whom", S.errors, S.invite_targets, blank="Choose a clinician or team"
                ),
                text_field(
                    "invite_window",
                    "Within how many days",
                    S.errors,
                    default_value="14",
                    max_length=2,
                    width="width-2",
                    input_mode="numeric",
                    hint="From today. For example 14 for within the next two weeks.",
                ),
                text_field(
                    "invite_expires",
                    "The invitation expires after (days)",
                    S.errors,
                    default_value="7",
                    max_length=2,
                    width="width-2",
                    input_mode="numeric",
                ),
                primary_button("Send invitation to book"),
                on_submit=S.invite_to_book,
            ),
            class_name="section",
            role="region",
            aria_labelledby="invite-title",
        ),
    )


def _history() -> rx.Component:
    return rx.el.section(
        rx.el.h2("History"),
        rx.cond(
            S.history.length() > 0,
            rx.el.div(
                rx.el.table(
                    rx.el.thead(rx.el.tr(*[rx.el.th(h, scope="col") for h in ("When", "What", "Who", "Detail")])),
                    rx.el.tbody(
                        rx.foreach(
                            S.history,
                            lambda h: rx.el.tr(
                                rx.el.td(h["at"]), rx.el.td(h["action"]), rx.el.td(h["actor"]), rx.el.td(h["detail"])
                            ),
                        )
                    ),
                    class_name="table",
                ),
                class_name="table-scroll",
                tab_index=0,
                role="region",
                aria_label="History of this request",
            ),
            rx.el.p("Nothing yet."),
        ),
        class_name="section",
    )


def practice_request() -> rx.Component:
    return workspace_page(
        page_error(S),
        rx.cond(
            S.request.contains("subject"),
            rx.fragment(
                screen_messages(S),
                _details(),
                _thread(),
                _outcome(),
                _delivery(),
                rx.cond(
                    S.request["is_open"] == "yes",
                    rx.fragment(_assign_forms(), _message_form(), _sign_off_form()),
                ),
                _invite_form(),
                _history(),
            ),
        ),
        back=("Back to requests", routes.PRACTICE_REQUESTS),
    )
