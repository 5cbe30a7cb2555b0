"""Workspace "Practice settings": when online requests are open, and how many are allowed."""

from __future__ import annotations

import reflex as rx

from anima_pwa import routes
from anima_pwa.components.fields import (
    checkbox_field,
    error_summary,
    form_error,
    primary_button,
    secondary_button,
    text_area_field,
    text_field,
)
from anima_pwa.components.tables import text_table
from anima_pwa.components.workspace import workspace_page
from anima_pwa.services.platform import text_limits
from anima_pwa.services.practice import core_hours
from anima_pwa.state.practice.practice_settings import CoreHoursLogState
from anima_pwa.state.practice.practice_settings import PracticeSettingsState as S

DAY_NAMES = (
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
)


def _time_input(name: str, label: str) -> rx.Component:
    return rx.el.td(
        rx.debounce_input(
            rx.el.input(
                id=name,
                value=S.values[name],
                on_change=lambda v: S.set_value(name, v),
                class_name=rx.cond(S.errors.contains(name), "input input--error width-4", "input width-4"),
                aria_label=label,
                max_length=5,
                placeholder="closed",
                read_only=~S.can_edit,
            ),
            debounce_timeout=250,
        ),
        rx.cond(S.errors.contains(name), rx.el.p(S.errors[name], class_name="error-message", id=f"{name}-error")),
    )


def _field(name: str, label: str, **kwargs) -> rx.Component:
    return text_field(name, label, S.errors, value=S.values[name], on_change=lambda v: S.set_value(name, v), **kwargs)


def practice_settings() -> rx.Component:
    hours = rx.el.table(
        rx.el.thead(
            rx.el.tr(
                rx.el.th("Day", scope="col"),
                rx.el.th("Medical opens", scope="col"),
                rx.el.th("Medical closes", scope="col"),
                rx.el.th("Admin opens", scope="col"),
                rx.el.th("Admin closes", scope="col"),
            )
        ),
        rx.el.tbody(
            *[
                rx.el.tr(
                    rx.el.th(name, scope="row"),
                    _time_input(f"medical_{day}_open", f"{name}: medical requests open at"),
                    _time_input(f"medical_{day}_close", f"{name}: medical requests close at"),
                    _time_input(f"admin_{day}_open", f"{name}: admin requests open at"),
                    _time_input(f"admin_{day}_close", f"{name}: admin requests close at"),
                )
                for day, name in DAY_NAMES
            ]
        ),
        class_name="table",
    )
    return workspace_page(
        rx.el.h1("Practice settings"),
        rx.cond(
            S.saved,
            rx.el.div(rx.el.p("Your settings have been saved."), class_name="panel panel--success", role="status"),
        ),
        rx.cond(
            ~S.can_edit,
            rx.el.div(rx.el.p("Only a practice admin can change these settings."), class_name="panel panel--info"),
        ),
        error_summary(S.summary),
        form_error(S.errors),
        rx.cond(
            S.own_link != "",
            rx.el.section(
                rx.el.h2("Your practice's own link"),
                rx.el.p(
                    "Give patients this link (on your website, in text messages). It opens Anima with your "
                    "practice chosen, and shows your practice details to anyone."
                ),
                rx.el.p(rx.el.a(S.own_link, href=S.own_link, class_name="practice-link__url")),
                rx.el.p(rx.el.a("Print a poster of the link for your waiting room", href=S.poster_href)),
                class_name="section",
            ),
        ),
        rx.el.form(
            rx.el.section(
                rx.el.h2("Online request hours"),
                rx.el.p("24-hour times, like 08:00. Leave both times empty to close that day.", class_name="hint"),
                hours,
                _field(
                    "routine_only_after",
                    "Routine requests only after (optional)",
                    max_length=5,
                    width="width-4",
                    hint="After this time patients are told to call the surgery or 111 if it's urgent",
                ),
                class_name="section",
            ),
            rx.el.section(
                rx.el.h2("Limits"),
                rx.el.div(
                    _field(
                        "daily_limit",
                        "Requests per day (optional)",
                        input_mode="numeric",
                        max_length=5,
                        width="width-4",
                    ),
                    _field(
                        "active_limit",
                        "Open requests at once (optional)",
                        input_mode="numeric",
                        max_length=5,
                        width="width-4",
                    ),
                    _field(
                        "per_patient_medical",
                        "Open medical requests per patient",
                        input_mode="numeric",
                        max_length=1,
                        width="width-2",
                    ),
                    _field(
                        "per_patient_admin",
                        "Open admin requests per patient",
                        input_mode="numeric",
                        max_length=1,
                        width="width-2",
                    ),
                    class_name="two-columns",
                ),
                _field(
                    "auto_close_days",
                    "Close a request waiting on the patient's reply after this many days",
                    input_mode="numeric",
                    max_length=2,
                    width="width-2",
                    hint="From 1 to 90. The patient is told the request was closed and can send a new one.",
                ),
                _field(
                    "cancel_cutoff_hours",
                    "Patients can cancel an appointment online until this many hours before it",
                    input_mode="numeric",
                    max_length=2,
                    width="width-2",
                    hint="From 0 to 48. After that, they are asked to phone the practice.",
                ),
                class_name="section",
            ),
            rx.el.section(
                rx.el.h2("Switches"),
                checkbox_field(
                    "free_text_enabled",
                    "Let patients send a request in their own words when no topic fits",
                    S.errors,
                    checked=S.flags["free_text_enabled"],
                    on_change=lambda c: S.set_flag("free_text_enabled", c),
                ),
                checkbox_field(
                    "turned_off",
                    "Turn off online requests",
                    S.errors,
                    checked=S.flags["turned_off"],
                    on_change=lambda c: S.set_flag("turned_off", c),
                ),
                _field(
                    "turned_off_message",
                    "Message to patients while turned off",
                    limit=text_limits.TURNED_OFF_MESSAGE.limit,
                    hint="For example: We are closed for staff training until 2pm. For urgent help call NHS 111.",
                ),
                class_name="section",
            ),
            rx.el.section(
                rx.el.h2("Important updates"),
                text_area_field(
                    "important_updates",
                    "Important updates for patients (optional)",
                    S.errors,
                    limit=text_limits.IMPORTANT_UPDATES.limit,
                    value=S.values["important_updates"],
                    on_change=lambda v: S.set_value("important_updates", v),
                    read_only=~S.can_edit,
                    rows=5,
                    hint="Patients see this under Practice Details on their dashboard. For example: flu clinics, "
                    "a new phone number, the car park closed. Not for anything urgent.",
                ),
                class_name="section",
            ),
            _core_hours_warning(),
            rx.cond(S.can_edit & (S.core_hours_warnings.length() == 0), primary_button("Save settings")),
            on_submit=lambda _: S.save(),
            no_validate=True,
            key=S.loaded.to_string(),
        ),
        rx.el.section(
            rx.el.h2("Closed days"),
            rx.el.p("Bank holidays and training days: no online requests all day."),
            rx.el.ul(
                rx.foreach(
                    S.closed,
                    lambda d: rx.el.li(
                        rx.el.strong(d["label"]),
                        " ",
                        d["reason"],
                        " ",
                        rx.cond(
                            S.can_edit,
                            rx.el.button(
                                "Remove",
                                type="button",
                                class_name="link-button",
                                on_click=S.remove_closed_day(d["id"]),
                                aria_label="Remove closed day " + d["label"].to(str),
                            ),
                        ),
                    ),
                )
            ),
            rx.cond(
                S.can_edit,
                rx.el.div(
                    text_field(
                        "closed_day",
                        "Date",
                        S.errors,
                        value=S.new_closed_day,
                        on_change=S.set_new_closed_day,
                        input_type="date",
                        width="width-10",
                    ),
                    text_field(
                        "closed_reason",
                        "Reason (optional)",
                        S.errors,
                        value=S.new_closed_reason,
                        on_change=S.set_new_closed_reason,
                        limit=text_limits.CLOSED_DAY_REASON.limit,
                        hint="For example: Bank holiday. Patients see it.",
                    ),
                    rx.cond(
                        S.closed_day_warning != "",
                        rx.el.div(
                            rx.el.h3("This closes online requests inside core hours", id="closed-day-core-hours"),
                            rx.el.p(S.closed_day_warning),
                            rx.el.p(core_hours.RULE_WORDS),
                            text_area_field(
                                "closed_day_why",
                                "Why are you closing online requests that day?",
                                S.errors,
                                limit=text_limits.CORE_HOURS_WHY.limit,
                                value=S.closed_day_why,
                                on_change=S.set_closed_day_why,
                                rows=3,
                                hint="Your name, the date and your reason are recorded in the core hours log.",
                            ),
                            class_name="core-hours",
                            role="region",
                            aria_labelledby="closed-day-core-hours",
                        ),
                    ),
                    rx.el.button(
                        rx.cond(S.closed_day_warning != "", "Add closed day with this reason", "Add closed day"),
                        type="button",
                        class_name="button button--secondary",
                        on_click=S.add_closed_day,
                    ),
                ),
            ),
            class_name="section",
        ),
        rx.cond(
            S.can_read_log,
            rx.el.p(
                rx.el.a(
                    "Core hours log: who closed online requests inside core hours, and why",
                    href=routes.PRACTICE_CORE_HOURS_LOG,
                )
            ),
        ),
    )


def _core_hours_warning() -> rx.Component:
    """Information for the admin, not an error: what the change would close, the rule, and a
    reason to record. The practice stays in control: it can still save."""
    return rx.cond(
        S.core_hours_warnings.length() > 0,
        rx.el.div(
            rx.el.h2("These changes close online requests inside core hours", id="core-hours-title"),
            rx.el.ul(rx.foreach(S.core_hours_warnings, lambda w: rx.el.li(w))),
            rx.el.p(core_hours.RULE_WORDS),
            rx.el.p(
                "You can still save them. Tell us why: your name, the time and your reason are recorded in the core hours log."
            ),
            text_area_field(
                "core_hours_why",
                "Why are you making this change?",
                S.errors,
                limit=text_limits.CORE_HOURS_WHY.limit,
                value=S.core_hours_why,
                on_change=S.set_core_hours_why,
                rows=3,
            ),
            primary_button("Save with this reason"),
            secondary_button("Cancel", on_click=S.cancel_core_hours),
            class_name="core-hours",
            role="region",
            aria_labelledby="core-hours-title",
        ),
    )


def core_hours_log() -> rx.Component:
    s = CoreHoursLogState
    return workspace_page(
        rx.el.h1("Core hours log"),
        rx.el.p(
            "Changes that close online requests inside core hours (Monday to Friday, 08:00 to 18:30, not bank "
            "holidays), who made them and why. Newest first."
        ),
        rx.cond(s.error != "", rx.el.div(rx.el.p(s.error), class_name="panel panel--info")),
        rx.cond(
            s.rows.length() > 0,
            text_table(
                s.rows,
                [("When", "at"), ("Who", "who"), ("Where", "change"), ("What", "what"), ("Why", "why")],
                name="Core hours log",
            ),
            rx.cond(s.error == "", rx.el.p("Nothing has closed online requests inside core hours.")),
        ),
        back=("Back to Practice settings", routes.PRACTICE_SETTINGS),
    )
