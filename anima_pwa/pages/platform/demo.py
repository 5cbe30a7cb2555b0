"""The demo mailbox: the outbox as a local user sees it, so they can follow emailed links.

Registered only when ANIMA_DEMO=1 (`make run`); the state checks again on every load.
"""

from __future__ import annotations

import reflex as rx

from anima_pwa.components.layout import page
from anima_pwa.state.platform.demo import MailboxState


def _message(message: rx.Var) -> rx.Component:
    return rx.el.article(
        rx.el.h2(message["subject"], class_name="mail__subject"),
        rx.el.p("To: ", message["to"], " · ", message["created_at"], class_name="mail__meta"),
        rx.el.pre(message["body"], class_name="mail__body"),
        rx.foreach(
            message["links"].to(list[str]),
            lambda link: rx.el.p(rx.el.a("Open link", href=link, class_name="button button--secondary")),
        ),
        class_name="mail",
    )


def mailbox() -> rx.Component:
    return page(
        rx.el.h1("Demo mailbox"),
        rx.el.div(
            rx.el.p(
                "This page exists only in demo mode. It shows every email Anima has written, newest first, "
                "so you can follow the links without a real mail server."
            ),
            class_name="inset",
        ),
        rx.el.button("Refresh", type="button", class_name="button button--secondary", on_click=MailboxState.load),
        rx.cond(
            MailboxState.messages.length() > 0,
            rx.foreach(MailboxState.messages, _message),
            rx.el.p("No emails yet."),
        ),
    )
