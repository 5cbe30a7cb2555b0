"""Help pages open to anyone: other NHS services near you (self-help, pharmacy and Pharmacy First,
NHS 111 online, urgent treatment centres, dentists, opticians) and "Add Anima to your home screen"."""

from __future__ import annotations

import reflex as rx

from anima_pwa.components.layout import page
from anima_pwa.services.platform import nhs_services


def _service(service: nhs_services.NhsService) -> rx.Component:
    section_id = nhs_services.anchor(service.key)
    return rx.el.section(
        rx.el.h2(service.title, id=section_id),
        rx.el.p(service.summary),
        *[rx.el.p(point) for point in service.points],
        rx.el.p(rx.el.a(service.finder_text, href=service.finder_url, class_name="link--external")),
        class_name="section",
        aria_labelledby=section_id,
    )


def services_near_you() -> rx.Component:
    return page(
        rx.el.h1("Other NHS services that can help"),
        rx.el.p(
            "You can get help for many health problems without waiting for your GP practice. "
            "These NHS services may be quicker and closer to you.",
            class_name="lede",
        ),
        rx.el.div(
            rx.el.p(
                rx.el.strong("In an emergency call 999. "),
                "For urgent help when you're not sure what to do, use ",
                rx.el.a("NHS 111 online", href=nhs_services.NHS_111_ONLINE),
                " or call ",
                rx.el.a("111", href="tel:111"),
                ".",
            ),
            class_name="inset",
        ),
        rx.el.section(
            rx.el.h2("Looking after yourself", id="self-care"),
            rx.el.p(
                "Many common problems, such as colds, coughs, sore throats and minor aches, get better on "
                "their own with rest, fluids and medicines you can buy from a pharmacy or supermarket."
            ),
            rx.el.p(
                rx.el.a(
                    "Check your symptoms in the Health A to Z on the NHS website",
                    href=nhs_services.SELF_CARE_URL,
                    class_name="link--external",
                )
            ),
            class_name="section",
            aria_labelledby="self-care",
        ),
        *[_service(service) for service in nhs_services.SERVICES],
        rx.el.p(
            "The links above open the NHS website, where you can search by postcode or town.",
            class_name="hint",
        ),
    )


def install_help() -> rx.Component:
    return page(
        rx.el.h1("Add Anima to your home screen"),
        rx.el.p(
            "There is no Anima app to download from an app store. You can add Anima to your phone's home "
            "screen instead: it then opens like an app, full screen, with its own icon.",
            class_name="lede",
        ),
        # Shown by assets/anima.js only when the browser offers to install (beforeinstallprompt).
        rx.el.div(
            rx.el.p("Your browser can add Anima for you."),
            rx.el.button(
                "Add Anima to this device",
                type="button",
                class_name="button",
                custom_attrs={"data-install": "true"},
            ),
            id="install-offer",
            hidden=True,
            class_name="panel panel--info",
        ),
        rx.el.section(
            rx.el.h2("iPhone or iPad (Safari)", id="iphone"),
            rx.el.ol(
                rx.el.li("Open Anima in Safari and sign in."),
                rx.el.li(
                    "Tap the Share button (a square with an arrow pointing up) at the bottom or top of the screen."
                ),
                rx.el.li("Scroll down and tap ", rx.el.strong("Add to Home Screen"), "."),
                rx.el.li("Check the name says Anima, then tap ", rx.el.strong("Add"), "."),
                class_name="steps",
            ),
            rx.el.p(
                "To get notifications on an iPhone, open Anima from its home screen icon, then turn them on in "
                "Your preferences (iOS 16.4 or later).",
                class_name="hint",
            ),
            class_name="section",
            aria_labelledby="iphone",
        ),
        rx.el.section(
            rx.el.h2("Android (Chrome)", id="android"),
            rx.el.ol(
                rx.el.li("Open Anima in Chrome."),
                rx.el.li("Tap the menu button (three dots) at the top right of the screen."),
                rx.el.li(
                    "Tap ",
                    rx.el.strong("Add to Home screen"),
                    " or ",
                    rx.el.strong("Install app"),
                    ".",
                ),
                rx.el.li("Tap ", rx.el.strong("Add"), " or ", rx.el.strong("Install"), " to confirm."),
                class_name="steps",
            ),
            class_name="section",
            aria_labelledby="android",
        ),
        rx.el.p(
            "Anima on your home screen is the same as Anima in your browser: you sign in the same way and "
            "see the same requests. Remove it like any other app."
        ),
    )
