"""Settings, in the guide's words: "Login settings", "Your preferences", "Multi-factor authentication"."""

from __future__ import annotations

import reflex as rx

from anima_pwa import routes
from anima_pwa.components.fields import (
    code_field,
    error_message,
    error_summary,
    field_wrapper,
    form_error,
    password_field,
    primary_button,
    secondary_button,
    text_field,
)
from anima_pwa.components.layout import page
from anima_pwa.components.mfa import authenticator_key
from anima_pwa.services.nhs_login import accounts as nhs_login_accounts
from anima_pwa.state.identity.nhs_login import NhsLoginState
from anima_pwa.state.identity.settings import (
    ConfirmEmailChangeState,
    LoginSettingsState,
    MfaSettingsState,
    PreferencesState,
)

PASSWORD_HINT = "Use at least 8 characters, with upper case letters, lower case letters and numbers."


def notice(text: rx.Var) -> rx.Component:
    return rx.cond(text != "", rx.el.div(rx.el.p(text), class_name="panel panel--success", role="status"))


def settings_index() -> rx.Component:
    def item(title: str, href: str, description: str) -> rx.Component:
        return rx.el.li(
            rx.el.h2(rx.el.a(title, href=href), class_name="nav-list__title"),
            rx.el.p(description),
            class_name="nav-list__item",
        )

    return page(
        rx.el.h1("Settings"),
        rx.el.ul(
            item("Login settings", routes.SETTINGS_LOGIN, "Your email address, password and NHS login."),
            item(
                "Your preferences",
                routes.SETTINGS_PREFERENCES,
                "Your phone number, preferred name and residence status.",
            ),
            item(
                "Multi-factor authentication", routes.SETTINGS_MFA, "Use an authenticator app as well as your password."
            ),
            item("Dependants & children", routes.DEPENDANTS, "Children and other people you send requests for."),
            class_name="nav-list",
        ),
        back=("Back to home", routes.HOME),
    )


def login_settings() -> rx.Component:
    state = LoginSettingsState
    return page(
        rx.el.h1("Login settings"),
        notice(state.notice),
        error_summary(state.summary),
        form_error(state.errors),
        rx.el.section(
            rx.el.h2("Update your email address"),
            rx.el.p("Your email address is ", rx.el.strong(state.email), "."),
            rx.cond(
                state.email_link_sent_to != "",
                rx.el.div(
                    rx.el.p(
                        "We have sent a link to ",
                        rx.el.strong(state.email_link_sent_to),
                        ". Your email address changes when you follow it. The link expires in 24 hours.",
                    ),
                    class_name="panel panel--success",
                    role="status",
                ),
            ),
            rx.el.form(
                text_field(
                    "new_email",
                    "New email address",
                    state.errors,
                    value=state.new_email,
                    on_change=state.set_new_email,
                    input_type="email",
                    autocomplete="email",
                ),
                primary_button("Confirm new email", extra_class="button--caps"),
                on_submit=lambda _: state.confirm_new_email(),
                no_validate=True,
            ),
            class_name="section",
        ),
        rx.cond(
            state.email_sign_in,
            rx.el.section(
                rx.el.h2("Change your password"),
                rx.cond(
                    state.change_saved,
                    rx.el.div(
                        rx.el.p("Your password has been changed. You have been signed out on other devices."),
                        class_name="panel panel--success",
                        role="status",
                    ),
                ),
                rx.el.form(
                    password_field("current_password", "Current password", state.errors),
                    password_field(
                        "new_password", "New password", state.errors, hint=PASSWORD_HINT, autocomplete="new-password"
                    ),
                    primary_button("Change password"),
                    on_submit=state.change_password,
                    no_validate=True,
                    id="password-form",
                    key=state.form_key,
                ),
                class_name="section",
            ),
        ),
        rx.cond(
            state.nhs_login_available,
            rx.el.section(
                rx.el.h2("NHS login"),
                rx.cond(
                    state.nhs_login_connected,
                    rx.el.p("Your account is connected to NHS login. You can sign in with it."),
                    rx.fragment(
                        rx.el.p("Connect NHS login to sign in with the details you use for the NHS App."),
                        secondary_button("Connect NHS login", on_click=NhsLoginState.start(nhs_login_accounts.CONNECT)),
                    ),
                ),
                class_name="section",
            ),
        ),
        back=("Back to settings", routes.SETTINGS),
    )


def confirm_email_change() -> rx.Component:
    state = ConfirmEmailChangeState
    return page(
        rx.match(
            state.status,
            (
                "changed",
                rx.fragment(
                    rx.el.div(
                        rx.el.h1("Your email address has been changed", class_name="panel__title"),
                        rx.el.p("Use ", rx.el.strong(state.email), " to sign in from now on."),
                        class_name="panel panel--confirmation",
                    ),
                    rx.el.a("Go to your account", href=routes.HOME, class_name="button", role="button"),
                ),
            ),
            (
                "expired",
                rx.fragment(rx.el.h1("This link has expired"), rx.el.p("Ask for a new one in Login settings.")),
            ),
            (
                "used",
                rx.fragment(rx.el.h1("This link has already been used"), rx.el.p("Each link works once.")),
            ),
            (
                "taken",
                rx.fragment(
                    rx.el.h1("We could not change your email address"),
                    rx.el.p("Another Anima account now uses that address. Choose a different one in Login settings."),
                ),
            ),
            ("unknown", rx.fragment(rx.el.h1("This link is not valid"), rx.el.p("Check you opened the whole link."))),
            rx.el.p("Checking your link…", role="status"),
        ),
    )


def preferences() -> rx.Component:
    state = PreferencesState

    def residence_option(option: rx.Var) -> rx.Component:
        option_id = "residence_status-" + option[0].to(str)
        return rx.el.div(
            rx.el.input(
                type="radio",
                id=option_id,
                name="residence_status",
                value=option[0],
                # Uncontrolled (a choice shows at once); remounted when the saved value is loaded.
                default_checked=state.residence_status == option[0],
                key=option_id + "-" + state.loaded.to_string(),
                on_change=lambda _: state.set_field("residence_status", option[0]),
                class_name="radio-input",
            ),
            rx.el.label(option[1], html_for=option_id, class_name="radio-label"),
            class_name="radio",
        )

    def notify_box(channel: str, label: str, checked: rx.Var) -> rx.Component:
        box_id = f"notify-{channel}"
        return rx.el.div(
            rx.el.input(
                type="checkbox",
                id=box_id,
                name=box_id,
                # Uncontrolled (a tick shows at once); remounted when the saved value is loaded.
                default_checked=checked,
                key=box_id + "-" + state.loaded.to_string(),
                on_change=lambda value: state.set_notify(channel, value),
                class_name="checkbox-input",
                aria_describedby=rx.cond(state.errors.contains("notify"), "notify-error", ""),
            ),
            rx.el.label(label, html_for=box_id, class_name="checkbox-label"),
            class_name="checkbox",
        )

    return page(
        rx.el.h1("Your preferences"),
        rx.cond(
            state.saved,
            rx.el.div(rx.el.p("Your changes have been saved."), class_name="panel panel--success", role="status"),
        ),
        error_summary(state.summary),
        form_error(state.errors),
        rx.el.form(
            text_field(
                "phone",
                "Mobile phone number",
                state.errors,
                value=state.phone,
                on_change=lambda v: state.set_field("phone", v),
                input_type="tel",
                autocomplete="tel",
                max_length=20,
                width="width-20",
                hint="Your practice uses this to tell you when they reply",
            ),
            text_field(
                "preferred_name",
                "Preferred name (optional)",
                state.errors,
                value=state.preferred_name,
                on_change=lambda v: state.set_field("preferred_name", v),
                autocomplete="nickname",
                hint="What you would like your practice to call you",
            ),
            field_wrapper(
                "residence_status",
                state.errors,
                rx.el.fieldset(
                    rx.el.legend("Residence status", class_name="legend"),
                    error_message("residence_status", state.errors),
                    rx.foreach(state.residence_options, residence_option),
                ),
            ),
            field_wrapper(
                "notify",
                state.errors,
                rx.el.fieldset(
                    rx.el.legend("How we tell you about messages from your practice", class_name="legend"),
                    rx.el.div(
                        "We never say what the message is about: you log in to read it. "
                        "Text messages go to the mobile phone number above.",
                        class_name="hint",
                    ),
                    error_message("notify", state.errors),
                    notify_box("email", "By email", state.notify_by_email),
                    notify_box("sms", "By text message", state.notify_by_sms),
                ),
            ),
            primary_button("Save Changes"),
            on_submit=lambda _: state.save(),
            no_validate=True,
        ),
        push_settings(),
        back=("Back to settings", routes.SETTINGS),
    )


def push_settings() -> rx.Component:
    """ "Notifications on this device": run by assets/anima.js (the browser subscribes itself, so
    nothing about it passes through this page's state). Its status and button start empty and
    hidden; the script fills them in."""
    return rx.el.section(
        rx.el.h2("Notifications on this device", id="push-heading"),
        rx.el.p(
            "Get a notification on this phone, tablet or computer when your practice sends you a message. "
            "It only says “You have a new message from your practice”: never what it is about."
        ),
        rx.el.p(id="push-status", role="status", class_name="push-status"),
        rx.el.button(type="button", id="push-toggle", hidden=True, class_name="button button--secondary"),
        rx.el.p(
            "Signing out on this device turns its notifications off. ",
            rx.el.a("Add Anima to your home screen", href=routes.INSTALL_HELP),
            " to get them like an app.",
            class_name="hint",
        ),
        id="push-settings",
        class_name="section",
        aria_labelledby="push-heading",
    )


def mfa_settings() -> rx.Component:
    state = MfaSettingsState
    app_code = code_field(state.errors, hint="The code your authenticator app shows for Anima")
    codes = rx.el.div(
        rx.el.h2("Save your recovery codes"),
        rx.el.p(
            "If you lose your phone, you can sign in with one of these codes instead. Each works once. "
            "Keep them somewhere safe: we will not show them again."
        ),
        rx.el.ol(rx.foreach(state.codes_to_save, lambda c: rx.el.li(rx.el.code(c))), class_name="recovery-codes"),
        primary_button("I have saved my recovery codes", type="button", on_click=state.codes_saved),
        class_name="section",
    )
    scan = rx.el.div(
        rx.el.h2("Set up your authenticator app"),
        rx.el.ol(
            rx.el.li("Open an authenticator app on your phone, for example Google Authenticator."),
            rx.el.li("Add an account and scan this QR code."),
            class_name="steps",
        ),
        authenticator_key(state.qr_data_uri, state.setup_key_text),
        rx.el.form(app_code, primary_button("Turn on MFA"), on_submit=state.confirm_setup, no_validate=True),
        class_name="section",
    )
    status = rx.cond(
        state.enabled,
        rx.fragment(
            rx.el.div(
                rx.el.p(rx.el.strong("Multi-factor authentication is on. ")),
                rx.el.p("When you sign in with your password you also enter a code from your authenticator app."),
                rx.el.p("Recovery codes left: ", state.codes_left.to_string()),
                class_name="panel panel--info",
            ),
            secondary_button("Get new recovery codes", on_click=state.new_recovery_codes),
            rx.el.section(
                rx.el.h2("Turn off multi-factor authentication"),
                rx.el.form(
                    password_field("password", "Your password", state.errors),
                    app_code,
                    primary_button("Turn off MFA"),
                    on_submit=state.turn_off,
                    no_validate=True,
                    id="mfa-off-form",
                    key=state.form_key,
                ),
                class_name="section",
            ),
        ),
        rx.fragment(
            rx.el.p(
                "Add an extra layer of security: as well as your password, you enter a code from an "
                "authenticator app on your phone when you sign in."
            ),
            primary_button("Set up an authenticator app", type="button", on_click=state.begin_setup),
        ),
    )
    return page(
        rx.el.h1("Multi-factor authentication"),
        notice(state.notice),
        error_summary(state.summary),
        form_error(state.errors),
        rx.match(state.step, ("scan", scan), ("save_codes", codes), status),
        back=("Back to settings", routes.SETTINGS),
    )
