"""Privacy policy, terms of use and accessibility statement: short, plain pages."""

from __future__ import annotations

import reflex as rx

from anima_pwa.components.layout import page


def privacy() -> rx.Component:
    return page(
        rx.el.h1("Privacy policy"),
        rx.el.p(
            "Your GP practice is the data controller for the information you send through Anima. "
            "Anima processes it only so your practice can care for you."
        ),
        rx.el.ul(
            rx.el.li("Your information is stored in the UK and is not transferred outside the UK."),
            rx.el.li("It is not shared with third parties or used for advertising."),
            rx.el.li("Emails and text messages never contain details of your health: sign in to read them."),
        ),
        rx.el.p("To ask about your information, contact your GP practice."),
    )


def terms() -> rx.Component:
    return page(
        rx.el.h1("Terms of use"),
        rx.el.ul(
            rx.el.li("Anima is not for emergencies. In an emergency call 999; for urgent help use NHS 111."),
            rx.el.li("Each account belongs to one person with their own email address."),
            rx.el.li("You may only add dependants you care for and who are registered at your practice."),
            rx.el.li("Your practice decides what happens with each request; Anima does not make diagnoses."),
        ),
    )


def accessibility() -> rx.Component:
    return page(
        rx.el.h1("Accessibility statement"),
        rx.el.p(
            "Anima aims to meet the Web Content Accessibility Guidelines (WCAG) 2.2 at level AA. "
            "You should be able to use it with a keyboard alone, with a screen reader, and with text "
            "enlarged to 200% on a small phone."
        ),
        rx.el.p("If something doesn't work for you, tell your GP practice so they can let us know."),
    )
