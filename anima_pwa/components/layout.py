"""The page shell: skip link, NHS-blue header, one main column, footer."""

from __future__ import annotations

import reflex as rx

from anima_pwa import routes
from anima_pwa.state.base import SessionState


# After moving between screens inside the app, focus the new screen's content so screen readers
# announce it and keyboard users start from the top (not on the first load: the skip link is first).
FOCUS_MAIN_AFTER_NAVIGATION = rx.call_script(
    "if(window.__animaShown){var m=document.getElementById('maincontent');if(m){m.focus({preventScroll:false});}}"
    "else{window.__animaShown=true;}"
)


def header() -> rx.Component:
    return rx.el.header(
        rx.el.div(
            rx.el.a(
                rx.el.span("Anima", class_name="header__logo"),
                rx.el.span("Online consultation for your GP practice", class_name="header__service"),
                href=rx.cond(SessionState.signed_in, routes.HOME, routes.INDEX),
                class_name="header__link",
                aria_label="Anima home page",
            ),
            rx.cond(
                SessionState.signed_in,
                rx.el.nav(
                    rx.el.a("Settings", href=routes.SETTINGS, class_name="header__nav-link"),
                    rx.el.button(
                        "Sign out",
                        type="button",
                        on_click=SessionState.sign_out,
                        class_name="header__signout",
                    ),
                    class_name="header__nav",
                    aria_label="Your account",
                ),
            ),
            class_name="width-container header__inner",
        ),
        class_name="header",
        role="banner",
    )


def footer() -> rx.Component:
    return rx.el.footer(
        rx.el.div(
            rx.el.ul(
                rx.el.li(rx.el.a("Privacy policy", href=routes.PRIVACY)),
                rx.el.li(rx.el.a("Terms of use", href=routes.TERMS)),
                rx.el.li(rx.el.a("Accessibility", href=routes.ACCESSIBILITY)),
                class_name="footer__list",
            ),
            rx.el.p(
                "In an emergency call 999. For urgent help when your practice is closed, use NHS 111.",
                class_name="footer__emergency",
            ),
            class_name="width-container",
        ),
        class_name="footer",
        role="contentinfo",
    )


def page(*children: rx.Component, back: tuple[str, str] | None = None) -> rx.Component:
    """A whole screen. `back` is (text, href) for a back link above the content."""
    return rx.fragment(
        rx.el.a("Skip to main content", href="#maincontent", class_name="skip-link"),
        header(),
        rx.el.div(
            rx.el.a(back[0], href=back[1], class_name="back-link") if back else rx.fragment(),
            rx.el.main(
                *children,
                id="maincontent",
                class_name="main",
                role="main",
                tab_index=-1,
                on_mount=FOCUS_MAIN_AFTER_NAVIGATION,
                # "true" once this screen's on_load handlers have finished: tests wait for it.
                custom_attrs={"data-ready": rx.cond(rx.State.is_hydrated, "true", "false")},
            ),
            class_name="width-container",
        ),
        footer(),
    )
