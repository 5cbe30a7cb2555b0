"""Practice workspace screens (desktop first). Staff sign in separately from patients."""

from __future__ import annotations

import reflex as rx

from anima_pwa import routes
from anima_pwa.components.fields import (
    code_field,
    email_field,
    error_summary,
    form_error,
    password_field,
    primary_button,
    text_field,
)
from anima_pwa.components.mfa import authenticator_key
from anima_pwa.components.workspace import workspace_page
from anima_pwa.state.practice.workspace import PracticeState, StaffEnrolState, StaffLoginState


def staff_login() -> rx.Component:
    state = StaffLoginState
    return workspace_page(
        rx.el.div(
            rx.el.h1("Sign in to the practice workspace"),
            rx.cond(
                state.notice != "", rx.el.div(rx.el.p(state.notice), class_name="panel panel--info", role="status")
            ),
            form_error(state.errors),
            error_summary(state.summary),
            rx.el.form(
                email_field(state.errors, autocomplete="username"),
                password_field("password", "Password", state.errors),
                primary_button("Sign in"),
                on_submit=state.login,
                no_validate=True,
            ),
            rx.el.p("Patients: ", rx.el.a("sign in to Anima here", href=routes.LOGIN), "."),
            class_name="narrow",
        ),
        signed_in=False,
    )


def staff_login_code() -> rx.Component:
    state = StaffLoginState
    return workspace_page(
        rx.el.div(
            rx.el.h1("Enter the code from your authenticator app"),
            form_error(state.errors),
            error_summary(state.summary),
            rx.el.form(
                code_field(state.errors),
                text_field(
                    "recovery_code",
                    "Or a recovery code",
                    state.errors,
                    hint="Only if you don't have your authenticator app",
                    max_length=20,
                    width="width-20",
                ),
                primary_button("Continue"),
                on_submit=state.submit_code,
                no_validate=True,
            ),
            class_name="narrow",
        ),
        signed_in=False,
        back=("Back", routes.PRACTICE_LOGIN),
    )


def staff_enrol() -> rx.Component:
    """The page the emailed enrolment link opens: MFA is set up here, never at a first sign-in."""
    state = StaffEnrolState
    scan = rx.fragment(
        rx.el.p(
            "Practice staff must use multi-factor authentication before they can sign in to the workspace. "
            "Set it up now for ",
            rx.el.strong(state.email),
            " at ",
            state.practice_name,
            " with an authenticator app on your phone.",
        ),
        rx.el.ol(
            rx.el.li("Open an authenticator app, for example Google Authenticator."),
            rx.el.li("Add an account and scan this QR code."),
            rx.el.li("Enter your password and the 6-digit code the app shows."),
            class_name="steps",
        ),
        authenticator_key(state.qr_data_uri, state.setup_key_text),
        rx.el.form(
            rx.el.input(type="hidden", name="username", autocomplete="username", default_value=state.email),
            password_field(
                "password",
                "Password",
                state.errors,
                hint="The password your practice admin gave you",
                autocomplete="current-password",
            ),
            code_field(state.errors),
            primary_button("Turn on MFA"),
            on_submit=state.finish,
            no_validate=True,
        ),
    )
    codes = rx.fragment(
        rx.el.div(
            rx.el.h2("Multi-factor authentication is on", class_name="panel__title"),
            rx.el.p("From now on you sign in with your password and a code from your app."),
            class_name="panel panel--confirmation",
        ),
        rx.el.h2("Save your recovery codes"),
        rx.el.p("If you lose your phone, each of these codes signs you in once. We will not show them again."),
        rx.el.ol(rx.foreach(state.codes_to_save, lambda c: rx.el.li(rx.el.code(c))), class_name="recovery-codes"),
        primary_button("I have saved my recovery codes", type="button", on_click=state.codes_saved),
    )
    problem = rx.fragment(
        rx.el.div(rx.el.p(state.problem), class_name="panel panel--warning", role="alert"),
        rx.el.p(rx.el.a("Sign in to the practice workspace", href=routes.PRACTICE_LOGIN)),
    )
    return workspace_page(
        rx.el.div(
            rx.el.h1("Set up multi-factor authentication"),
            form_error(state.errors),
            error_summary(state.summary),
            rx.match(
                state.status,
                ("ok", scan),
                ("save_codes", codes),
                ("checking", rx.el.p("Checking your link…", role="status")),
                problem,
            ),
            class_name="narrow",
        ),
        signed_in=False,
    )


def dashboard() -> rx.Component:
    def card(title: str, href: str, text: str) -> rx.Component:
        return rx.el.li(
            rx.el.h2(rx.el.a(title, href=href), class_name="nav-list__title"),
            rx.el.p(text),
            class_name="nav-list__item",
        )

    return workspace_page(
        rx.el.h1("Dashboard"),
        rx.el.p("Signed in as ", rx.el.strong(PracticeState.staff_name), " at ", PracticeState.practice_name, "."),
        rx.el.ul(
            card(
                "Create Request",
                routes.PRACTICE_CREATE_REQUEST,
                "Find a patient by NHS number, or create a patient or care-home account.",
            ),
            card(
                "Patient Management",
                routes.PRACTICE_PATIENTS,
                "Patient Search: by name, date of birth, NHS number or email.",
            ),
            card(
                "Verifications",
                routes.PRACTICE_VERIFICATIONS,
                "Registrations and dependants waiting for the practice to check them.",
            ),
            class_name="nav-list two-columns",
        ),
    )
