"""Setting up an authenticator app: the QR code and the key to type instead."""

from __future__ import annotations

import reflex as rx


def authenticator_key(qr_data_uri: rx.Var, setup_key_text: rx.Var) -> rx.Component:
    """The new key as a QR code to scan and as text to type in (``#setup-key``)."""
    return rx.fragment(
        rx.el.img(
            src=qr_data_uri,
            alt="QR code for your authenticator app",
            class_name="qr-code",
            width="220",
            height="220",
        ),
        rx.el.p("If you can't scan the code, type this key into the app instead:"),
        rx.el.p(rx.el.code(setup_key_text, id="setup-key"), class_name="setup-key"),
    )
