"""The practice workspace shell: desktop-first, the same NHS look, a navigation bar for staff."""

from __future__ import annotations

import reflex as rx

from anima_pwa import routes
from anima_pwa.components.layout import main, sign_out_button
from anima_pwa.state.practice.workspace import PracticeState


def _nav_link(text: str, href: str) -> rx.Component:
    return rx.el.li(rx.el.a(text, href=href, class_name="workspace-nav__link"))


def workspace_header(signed_in: bool = True) -> rx.Component:
    return rx.el.header(
        rx.el.div(
            rx.el.a(
                rx.el.span("Anima", class_name="header__logo"),
                rx.el.span("Practice workspace", class_name="header__service header__service--always"),
                href=routes.PRACTICE,
                # Named by its visible words (WCAG 2.5.3 Label in Name): no aria-label.
                class_name="header__link",
            ),
            rx.cond(
                # Signed in, even when the database could not say as whom just now (state.base).
                (PracticeState.staff_name != "") | PracticeState.signed_in,
                rx.el.div(
                    rx.el.span(
                        PracticeState.staff_name,
                        " · ",
                        PracticeState.staff_role,
                        " · ",
                        PracticeState.practice_name,
                        class_name="workspace-user",
                    ),
                    sign_out_button(workspace=True),
                    class_name="header__nav",
                ),
            )
            if signed_in
            else rx.fragment(),
            class_name="workspace-container header__inner",
        ),
        rx.cond(
            PracticeState.staff_name != "",
            rx.el.nav(
                rx.el.ul(
                    _nav_link("Dashboard", routes.PRACTICE),
                    _nav_link("Requests", routes.PRACTICE_REQUESTS),
                    _nav_link("Appointments", routes.PRACTICE_APPOINTMENTS),
                    _nav_link("Signposted today", routes.PRACTICE_SIGNPOSTED),
                    _nav_link("Create Request", routes.PRACTICE_CREATE_REQUEST),
                    _nav_link("Patient Management", routes.PRACTICE_PATIENTS),
                    _nav_link("Verifications", routes.PRACTICE_VERIFICATIONS),
                    _nav_link("Practice settings", routes.PRACTICE_SETTINGS),
                    class_name="workspace-nav__list workspace-container",
                ),
                class_name="workspace-nav",
                aria_label="Workspace",
            ),
        )
        if signed_in
        else rx.fragment(),
        class_name="header",
        role="banner",
    )


def workspace_page(
    *children: rx.Component, signed_in: bool = True, back: tuple[str, str] | None = None
) -> rx.Component:
    return rx.fragment(
        rx.el.a("Skip to main content", href="#maincontent", class_name="skip-link"),
        workspace_header(signed_in),
        rx.el.div(
            rx.el.a(back[0], href=back[1], class_name="back-link") if back else rx.fragment(),
            main(*children, class_name="main"),
            class_name="workspace-container",
        ),
    )
