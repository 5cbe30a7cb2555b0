"""The pieces of a workspace screen about one thing (`state.practice.screen.WorkspaceScreen`):
the page's refusal, the messages over its forms, and a form that is drawn afresh after a success."""

from __future__ import annotations

from typing import Any

import reflex as rx

from anima_pwa.components.fields import error_summary, form_error


def page_error(state) -> rx.Component:
    """The thing can't be shown at all (`state.error`)."""
    return rx.cond(state.error != "", rx.el.div(rx.el.p(state.error), class_name="error-summary", role="alert"))


def notice_panel(state) -> rx.Component:
    """What the last change did (`state.notice`)."""
    return rx.cond(
        state.notice != "",
        rx.el.div(rx.el.p(state.notice), class_name="panel panel--confirmation", role="status", id="notice"),
    )


def screen_messages(state) -> rx.Component:
    """Over the forms: the error summary, the whole form's error and the last change's notice."""
    return rx.fragment(error_summary(state.summary), form_error(state.errors), notice_panel(state))


def redrawn_form(state, key: str, *children: rx.Component, **props: Any) -> rx.Component:
    """An uncontrolled form (read on submit, no browser validation) keyed on `state.drawn`: what
    was typed stays on an error and a success draws it empty."""
    return rx.el.form(*children, key=f"{key}-" + state.drawn.to_string(), no_validate=True, **props)
