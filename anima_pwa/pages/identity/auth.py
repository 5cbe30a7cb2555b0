"""Sign-up, email confirmation, sign-in and password reset, worded as the patient guide words them."""

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
    secondary_button,
    text_field,
)
from anima_pwa.components.layout import page
from anima_pwa.services.nhs_login import accounts as nhs_login_accounts
from anima_pwa.settings import settings
from anima_pwa.state.identity.auth import (
    LoginState,
    PasswordResetState,
    SetPasswordState,
    SignUpState,
    VerifyEmailState,
)
from anima_pwa.state.identity.nhs_login import NhsLoginState

PASSWORD_HINT = (
    "Use at least 8 characters, with upper case letters, lower case letters and numbers. Avoid common passwords."
)


def nhs_login_button() -> rx.Component:
    """NHS login comes first and is at least as prominent as any other way in (NHS login's rule)."""
    if settings.nhs_login is None:
        return rx.fragment()
    return rx.el.section(
        rx.el.h2("Use NHS login"),
        rx.el.p("If you use the NHS App, you can use the same details to sign in to Anima."),
        rx.el.button(
            "Continue with NHS login",
            type="button",
            class_name="button button--nhs-login",
            on_click=NhsLoginState.start(nhs_login_accounts.SIGN_IN),
        ),
        class_name="section",
    )


def emergency_inset() -> rx.Component:
    return rx.el.div(
        rx.el.p(
            rx.el.strong("Anima is not for emergencies. "),
            "If you need help now, call 999, or use NHS 111 for urgent help.",
        ),
        class_name="inset",
    )


def index() -> rx.Component:
    return page(
        rx.el.h1("Contact your GP practice online"),
        rx.el.p(
            "Use Anima to send medical and admin requests to your GP practice and read their replies.",
            class_name="lede",
        ),
        nhs_login_button(),
        rx.el.section(
            rx.el.h2("Create an account with your email"),
            form_error(SignUpState.errors),
            error_summary(SignUpState.summary),
            rx.el.form(
                email_field(
                    SignUpState.errors,
                    value=SignUpState.email,
                    on_change=SignUpState.set_email,
                    hint="Each account needs its own email address. We will email you a link to create your password.",
                ),
                primary_button("Continue with Email"),
                on_submit=SignUpState.continue_with_email,
                no_validate=True,
            ),
            class_name="section",
        ),
        rx.el.section(
            rx.el.h2("Already have an account?"),
            rx.el.a("Login", href=routes.LOGIN, class_name="button button--secondary", role="button"),
            rx.el.p(rx.el.a("Forgot your password", href=routes.FORGOT_PASSWORD, class_name="link--red")),
            class_name="section",
        ),
        emergency_inset(),
    )


def check_email() -> rx.Component:
    return page(
        rx.el.h1("Check your email"),
        form_error(SignUpState.errors),
        rx.el.p(
            "We have sent a link to ",
            rx.el.strong(SignUpState.email),
            ". Follow the link to confirm your email address and create your password. It expires in 24 hours.",
        ),
        rx.el.p("If you don't receive an email within 5 minutes, check your spam or junk folders."),
        rx.cond(
            SignUpState.resent,
            rx.el.div(rx.el.p("We have sent you another email."), class_name="panel panel--success", role="status"),
            secondary_button("Send the email again", on_click=SignUpState.resend),
        ),
        rx.el.p(rx.el.a("Return to login page", href=routes.LOGIN)),
    )


def verify_email() -> rx.Component:
    """The page a sign-up link opens: the password is chosen here, by whoever reads the inbox."""
    state = VerifyEmailState
    return_button = rx.el.a("Return to login page", href=routes.LOGIN, class_name="button", role="button")
    return page(
        rx.match(
            state.status,
            (
                "choose_password",
                rx.fragment(
                    rx.el.h1("Create a password"),
                    error_summary(state.summary),
                    form_error(state.errors),
                    rx.el.p("You are creating an Anima account for ", rx.el.strong(state.email), "."),
                    rx.el.form(
                        password_field(
                            "password",
                            "Create a password",
                            state.errors,
                            hint=PASSWORD_HINT,
                            autocomplete="new-password",
                        ),
                        primary_button("Create account"),
                        on_submit=state.create_account,
                        no_validate=True,
                    ),
                ),
            ),
            (
                "confirmed",
                rx.fragment(
                    rx.el.div(
                        rx.el.h1("Your registration is confirmed", class_name="panel__title"),
                        rx.el.p("Your account for ", rx.el.strong(state.email), " has been created."),
                        class_name="panel panel--confirmation",
                    ),
                    rx.el.p("Sign in with your email address and password to finish setting up your account."),
                    return_button,
                ),
            ),
            (
                "already",
                rx.fragment(
                    rx.el.h1("Your email address is already confirmed"),
                    rx.el.p(
                        "This email address already has an account. Sign in with your email address and "
                        "password, or use 'Forgot your password' if you don't know it."
                    ),
                    return_button,
                ),
            ),
            (
                "expired",
                rx.fragment(
                    rx.el.h1("This link has expired"),
                    form_error(state.errors),
                    rx.el.p("Links in confirmation emails work for 24 hours."),
                    rx.cond(
                        state.sent_again,
                        rx.el.div(
                            rx.el.p("We have sent you a new link. Check your email."),
                            class_name="panel panel--success",
                            role="status",
                        ),
                        secondary_button("Send a new link", on_click=state.send_new_link),
                    ),
                ),
            ),
            (
                "used",
                rx.fragment(
                    rx.el.h1("This link can no longer be used"),
                    rx.el.p(
                        "Each email replaces the ones before it. If you asked for more than one email, "
                        "use the link in the newest one, or create your account again."
                    ),
                    rx.el.a("Create an account", href=routes.INDEX, class_name="button", role="button"),
                ),
            ),
            (
                "unknown",
                rx.fragment(
                    rx.el.h1("This link is not valid"),
                    rx.el.p("Check that you opened the whole link from the email, or create your account again."),
                    rx.el.a("Create an account", href=routes.INDEX, class_name="button", role="button"),
                ),
            ),
            rx.el.p("Checking your link…", role="status"),
        ),
    )


def login() -> rx.Component:
    return page(
        rx.el.h1("Login"),
        rx.cond(
            LoginState.notice != "",
            rx.el.div(rx.el.p(LoginState.notice), class_name="panel panel--info", role="status"),
        ),
        form_error(LoginState.errors),
        error_summary(LoginState.summary),
        nhs_login_button(),
        rx.el.h2("Login with your email") if settings.nhs_login else rx.fragment(),
        rx.el.form(
            email_field(LoginState.errors, autocomplete="username", default_value=LoginState.email),
            password_field("password", "Password", LoginState.errors),
            primary_button("Login"),
            on_submit=LoginState.login,
            no_validate=True,
        ),
        rx.el.p(rx.el.a("Forgot your password", href=routes.FORGOT_PASSWORD, class_name="link--red")),
        rx.el.p(
            "Just signed up? You create your password from the link in the email we sent you. Can't find it? ",
            rx.el.a("Create an account", href=routes.INDEX),
            " again and we will send a new link.",
        ),
    )


def forgot_password() -> rx.Component:
    return page(
        rx.el.h1("Forgot your password"),
        error_summary(PasswordResetState.summary),
        form_error(PasswordResetState.errors),
        rx.el.p("Enter the email address you use for Anima. We will email you a code to reset your password."),
        rx.el.form(
            email_field(PasswordResetState.errors, default_value=PasswordResetState.email),
            primary_button("Send password reset code"),
            on_submit=PasswordResetState.send_code,
            no_validate=True,
        ),
        back=("Back", routes.LOGIN),
    )


def reset_password() -> rx.Component:
    return page(
        rx.el.h1("Reset your password"),
        error_summary(PasswordResetState.summary),
        form_error(PasswordResetState.errors),
        rx.el.p(
            "If ",
            rx.el.strong(PasswordResetState.email),
            " has an Anima account, we have sent a 6-digit code to it. The code expires in 10 minutes.",
        ),
        rx.el.form(
            code_field(
                PasswordResetState.errors,
                label="Verification code",
                hint="The 6 numbers from the email, for example 123456",
                max_length=12,
            ),
            password_field(
                "password", "New password", PasswordResetState.errors, hint=PASSWORD_HINT, autocomplete="new-password"
            ),
            primary_button("Reset password"),
            on_submit=PasswordResetState.reset_password,
            no_validate=True,
        ),
        rx.cond(
            PasswordResetState.code_sent_again,
            rx.el.p("We have sent you a new code. Codes from earlier emails no longer work.", role="status"),
            secondary_button("Send a new code", on_click=PasswordResetState.send_code_again),
        ),
        back=("Back", routes.FORGOT_PASSWORD),
    )


def login_code() -> rx.Component:
    """The second step of signing in when MFA is on."""
    return page(
        rx.el.h1("Enter the code from your authenticator app"),
        error_summary(LoginState.summary),
        form_error(LoginState.errors),
        rx.cond(
            LoginState.backup_code_form,
            rx.el.form(
                text_field(
                    "recovery_code",
                    "Recovery code",
                    LoginState.errors,
                    hint="One of the recovery codes you saved when you set up MFA, like 7KQ2-MX9P-4TDV. Each works once.",
                    autocomplete="off",
                    max_length=20,
                    width="width-20",
                ),
                primary_button("Continue"),
                on_submit=LoginState.submit_code,
                no_validate=True,
            ),
            rx.el.form(
                code_field(
                    LoginState.errors,
                    hint="Open your authenticator app (for example Google Authenticator) and enter the code shown for Anima.",
                ),
                primary_button("Continue"),
                on_submit=LoginState.submit_code,
                no_validate=True,
            ),
        ),
        rx.cond(
            LoginState.backup_code_form,
            rx.el.button(
                "Use a code from your authenticator app",
                type="button",
                class_name="link-button",
                on_click=LoginState.show_recovery_code(False),
            ),
            rx.el.button(
                "Use a recovery code",
                type="button",
                class_name="link-button",
                on_click=LoginState.show_recovery_code(True),
            ),
        ),
        back=("Back", routes.LOGIN),
    )


def nhs_login_callback() -> rx.Component:
    return page(
        rx.cond(
            NhsLoginState.status == "error",
            rx.fragment(
                rx.el.h1("We could not sign you in with NHS login"),
                rx.el.div(rx.el.p(NhsLoginState.error), class_name="panel panel--warning", role="alert"),
                rx.el.button(
                    "Try NHS login again",
                    type="button",
                    class_name="button",
                    on_click=NhsLoginState.start(nhs_login_accounts.SIGN_IN),
                ),
                rx.el.p(rx.el.a("Login with your email address instead", href=routes.LOGIN)),
            ),
            rx.el.p("Signing you in with NHS login…", role="status"),
        ),
    )


def set_password() -> rx.Component:
    state = SetPasswordState
    return page(
        rx.cond(
            state.status == "ok",
            rx.fragment(
                rx.el.h1("Set your password"),
                error_summary(state.summary),
                form_error(state.errors),
                rx.el.p("Your GP practice has created an Anima account for ", rx.el.strong(state.email), "."),
                rx.el.form(
                    password_field(
                        "password", "Create a password", state.errors, hint=PASSWORD_HINT, autocomplete="new-password"
                    ),
                    primary_button("Set password"),
                    on_submit=state.set_password,
                    no_validate=True,
                ),
            ),
            rx.cond(
                state.status == "checking",
                rx.el.p("Checking your link…", role="status"),
                rx.fragment(
                    rx.el.h1("This link can't be used"),
                    rx.el.p(state.problem),
                    rx.el.a("Forgot your password", href=routes.FORGOT_PASSWORD, class_name="link--red"),
                ),
            ),
        ),
    )
