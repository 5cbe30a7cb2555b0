"""The practice's own link `/p/<ODS code>` (Practice Details, open to anyone) and its printable
poster with a QR code of the link (for the waiting room)."""

from __future__ import annotations

import reflex as rx

from anima_pwa import routes
from anima_pwa.components.layout import page
from anima_pwa.pages.patients.registration import practice_details_panel
from anima_pwa.state.base import SessionState
from anima_pwa.state.practice.practice_link import PracticeLinkState as S


def _not_found() -> rx.Component:
    return rx.fragment(
        rx.el.h1("We could not find that practice"),
        rx.el.p("Check the link you were given. It may have been typed wrongly, or the practice may have closed."),
        rx.el.p(
            "You can still ",
            rx.el.a("create an account or sign in", href=routes.INDEX),
            " and choose your practice, or contact your GP practice for their Anima link.",
        ),
    )


def practice_link() -> rx.Component:
    return page(
        rx.cond(
            S.found,
            rx.fragment(
                rx.el.h1(S.practice_name),
                rx.el.p(
                    "Use Anima to send medical and admin requests to ",
                    S.practice_name,
                    " and read their replies. You do not need to download an app.",
                    class_name="lede",
                ),
                rx.cond(
                    SessionState.signed_in,
                    rx.el.a("Go to your home page", href=routes.HOME, class_name="button"),
                    rx.fragment(
                        rx.el.a("Create an account", href=routes.INDEX, class_name="button"),
                        rx.el.p(
                            "Your account will be with ",
                            S.practice_name,
                            ". Already have an account? ",
                            rx.el.a("Login", href=routes.LOGIN),
                        ),
                    ),
                ),
                practice_details_panel(S),
                rx.el.h2("Help"),
                rx.el.ul(
                    rx.el.li(rx.el.a("Find other NHS services near you", href=routes.SERVICES_NEAR_YOU)),
                    rx.el.li(rx.el.a("Add Anima to your home screen", href=routes.INSTALL_HELP)),
                    rx.el.li(rx.el.a("Print a poster of this page's link", href=S.poster_href)),
                    class_name="link-list",
                ),
            ),
            rx.cond(rx.State.is_hydrated, _not_found()),
        )
    )


def practice_poster() -> rx.Component:
    return page(
        rx.cond(
            S.found,
            rx.el.div(
                rx.el.p(S.practice_name, class_name="poster__practice"),
                rx.el.h1("Contact us online with Anima"),
                rx.el.p(
                    "Send medical and admin requests to the practice from your phone and read our replies. "
                    "You do not need to download an app.",
                    class_name="lede",
                ),
                rx.el.img(
                    src=S.qr_code,
                    alt="QR code for " + S.link,
                    class_name="poster__qr",
                    width="280",
                    height="280",
                ),
                rx.el.p("Scan the code with your phone's camera, or go to:"),
                rx.el.p(rx.el.strong(S.link), class_name="poster__link"),
                rx.el.p(
                    "In an emergency call 999. For urgent help when the practice is closed, use NHS 111.",
                    class_name="poster__emergency",
                ),
                rx.el.button(
                    "Print this poster",
                    type="button",
                    class_name="button no-print",
                    custom_attrs={"data-print": "true"},
                ),
                class_name="poster",
            ),
            rx.cond(rx.State.is_hydrated, _not_found()),
        ),
    )
