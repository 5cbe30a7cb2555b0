"""The page shell: skip link, NHS-blue header, one main column, footer."""

from __future__ import annotations

import reflex as rx

from anima_pwa import routes
from anima_pwa.state.base import IDLE_SECONDS, LOAD_FAILED, RECORDS_UNREACHABLE, SessionState

# Browser behaviour (focus after moving between screens, the error summary, Show password, full
# page loads, the idle sign-out) lives in assets/anima.js, driven by the data attributes below:
# the Content-Security-Policy allows no inline script or eval.


def sign_out_button(*, workspace: bool = False) -> rx.Component:
    """ "Sign out": a plain HTML form POST (Reflex's own forms stop the browser submitting), so the
    server ends the session and clears its HttpOnly cookie."""
    action = routes.AUTH_SIGN_OUT + ("?from=practice" if workspace else "")
    return rx.html(
        f'<form method="post" action="{action}" class="header__signout-form">'
        '<button type="submit" class="header__signout">Sign out</button></form>',
        class_name="header__signout-wrap",
    )


def session_markers() -> rx.Component:
    """Hidden markers assets/anima.js acts on: a full page load asked for by the server, and the
    idle limit while signed in (a page left that long clears itself and goes to sign in)."""
    return rx.fragment(
        rx.cond(
            SessionState.navigate_to != "",
            rx.el.div(hidden=True, custom_attrs={"data-navigate": SessionState.navigate_to}),
        ),
        rx.cond(
            SessionState.signed_in,
            rx.el.div(hidden=True, custom_attrs={"data-idle-seconds": str(IDLE_SECONDS)}),
        ),
    )


def records_unreachable() -> rx.Component:
    """ "Sorry, we could not reach our records just now...": an alert region that is always on the
    page (so a screen reader announces the words when they appear), kept in view at the top of
    the screen while it shows."""
    return rx.el.div(
        rx.cond(SessionState.records_unreachable, rx.el.p(RECORDS_UNREACHABLE)),
        role="alert",
        id="records-unreachable",
        class_name=rx.cond(SessionState.records_unreachable, "outage-message", "outage-message--empty"),
    )


def load_failed() -> rx.Component:
    """Instead of a page whose data could not be loaded: never its empty state."""
    return rx.el.div(
        rx.el.h1("Sorry, there is a problem"),
        rx.el.p(LOAD_FAILED),
        rx.el.button("Try again", type="button", class_name="button", on_click=SessionState.try_again),
        class_name="load-failed",
        id="load-failed",
        role="alert",
    )


def main(*children: rx.Component, **props) -> rx.Component:
    """The screen's <main>: focused after moving between screens (anima.js), and `data-ready`
    once its on_load handlers have finished (the e2e tests wait for it). When the database did
    not answer (state.base), the message at the top, or, for a page that could not load its
    data, "could not load" with Try again instead of the page."""
    return rx.el.main(
        records_unreachable(),
        rx.cond(SessionState.load_failed, load_failed(), rx.fragment(*children)),
        session_markers(),
        id="maincontent",
        role="main",
        tab_index=-1,
        custom_attrs={"data-ready": rx.cond(rx.State.is_hydrated, "true", "false")},
        **props,
    )


def step_heading(key: rx.Var) -> dict:
    """Props for a multi-step screen's heading: it takes the focus when ``key`` (naming the step)
    changes (anima.js, [data-step-focus]), so a keyboard or screen-reader user starts each new step
    at its top, as a new page would (WCAG 2.4.3), not wherever a button that has gone left them."""
    return {"tab_index": -1, "custom_attrs": {"data-step-focus": key}}


def header() -> rx.Component:
    return rx.el.header(
        rx.el.div(
            rx.el.a(
                rx.el.span("Anima", class_name="header__logo"),
                rx.el.span("Online consultation for your GP practice", class_name="header__service"),
                href=rx.cond(SessionState.signed_in, routes.HOME, routes.INDEX),
                # Named by its visible words (WCAG 2.5.3 Label in Name): no aria-label.
                class_name="header__link",
            ),
            rx.cond(
                SessionState.signed_in,
                rx.el.nav(
                    rx.el.a("Settings", href=routes.SETTINGS, class_name="header__nav-link"),
                    sign_out_button(),
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
                rx.el.li(rx.el.a("NHS services near you", href=routes.SERVICES_NEAR_YOU)),
                rx.el.li(rx.el.a("Add to home screen", href=routes.INSTALL_HELP)),
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
            main(*children, class_name="main"),
            class_name="width-container",
        ),
        footer(),
    )
