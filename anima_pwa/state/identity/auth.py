"""Sign-up, email confirmation, sign-in and password reset screens. Thin: the rules are in
`anima_pwa.services.identity.accounts`; these classes hold what the screens show.

Passwords and codes arrive in a form submission and are never kept in state.
"""

from __future__ import annotations

import reflex as rx

from anima_pwa import cookies, routes
from anima_pwa.db import session_scope
from anima_pwa.services.identity import accounts, password_reset, password_setup
from anima_pwa.settings import settings
from anima_pwa.state.base import SessionState, clip, in_thread, received, records_guarded


class SignUpState(SessionState):
    """ "Continue with Email" -> "Check your email". The password is chosen later, on the page the
    emailed link opens (VerifyEmailState), so only whoever reads that inbox can set it."""

    email: str = ""
    errors: dict[str, str] = {}
    summary: list[list[str]] = []
    resent: bool = False

    @rx.event
    def set_email(self, value: str):
        self.email = received(value)

    @rx.event
    def continue_with_email(self, form_data: dict):
        self.email = received(form_data.get("email", self.email))
        with session_scope() as db:
            outcome = accounts.start_sign_up(
                db, email=self.email, client_ip=self._client_ip(), base_url=settings.base_url
            )
        if not outcome.ok:
            return self._fail(outcome.errors)
        self.email = outcome.email
        self.errors, self.summary, self.resent = {}, [], False
        return rx.redirect(routes.CHECK_EMAIL)

    @rx.event
    def load_check_email(self):
        if not self.email:  # nothing was sent from this tab: start at the beginning
            return rx.redirect(routes.INDEX, replace=True)

    @rx.event
    def resend(self):
        with session_scope() as db:
            outcome = accounts.resend_verification(
                db, email=self.email, client_ip=self._client_ip(), base_url=settings.base_url
            )
        if not outcome.ok:
            return self._fail(outcome.errors)
        self.errors, self.summary, self.resent = {}, [], True


class VerifyEmailState(SessionState):
    """The page a sign-up link opens: "Create a password" -> "Create account" -> "Your
    registration is confirmed". Opening (or reloading) the page doesn't use the link; only a
    password the rules accept does."""

    status: str = "checking"  # checking | choose_password | confirmed | already | expired | used | unknown
    email: str = ""
    errors: dict[str, str] = {}
    summary: list[list[str]] = []
    sent_again: bool = False
    _secret: str = ""

    @rx.event
    @records_guarded
    def load(self):
        self.status, self.errors, self.summary, self.sent_again = "checking", {}, [], False
        self._secret = clip(self.router.url.query_parameters.get("token", ""), 200)
        with session_scope() as db:
            result = accounts.check_sign_up_link(db, secret=self._secret)
        self.status, self.email = result.status, result.email

    @rx.event
    async def create_account(self, form_data: dict):
        result = await in_thread(
            accounts.complete_sign_up,
            secret=self._secret,
            password=str(form_data.get("password", ""))[:1000],
            client_ip=self._client_ip(),
        )
        self.status, self.email = result.status, result.email
        if result.errors:
            return self._fail(result.errors)
        self.errors, self.summary = {}, []

    @rx.event
    def send_new_link(self):
        with session_scope() as db:
            outcome = accounts.resend_for_expired_link(
                db, secret=self._secret, client_ip=self._client_ip(), base_url=settings.base_url
            )
        if not outcome.ok:
            self.errors = dict(outcome.errors)
            return self._focus_error_summary()
        self.sent_again = True


NOTICES = {
    "signed_out": "You have signed out.",
    "reset": "Your password has been reset. Sign in with your new password.",
    "expired": "For your security you have been signed out. Sign in again to continue.",
    "password_set": "Your password has been set. Sign in with your email address and password.",
}


class LoginState(SessionState):
    errors: dict[str, str] = {}
    summary: list[list[str]] = []
    notice: str = ""
    email: str = ""
    backup_code_form: bool = False
    _next: str = routes.HOME
    _mfa_challenge: str = ""

    @rx.event
    @records_guarded
    def load(self):
        params = self.router.url.query_parameters
        self._next = routes.safe_next(params.get("next"))
        self.notice = next((text for key, text in NOTICES.items() if key in params), "")
        if "next" in params and not self.notice:
            self.notice = "Sign in to continue."
        self.errors, self.summary = {}, []
        if self._identity() is not None:
            return rx.redirect(self._next, replace=True)

    @rx.event
    async def login(self, form_data: dict):
        self.email = received(form_data.get("email", ""))
        outcome = await in_thread(
            accounts.sign_in,
            email=self.email,
            password=str(form_data.get("password", ""))[:1000],
            client_ip=self._client_ip(),
            user_agent=self._user_agent(),
            device_cookie=self._cookie(cookies.DEVICE),
        )
        if outcome.ok and outcome.mfa_challenge:
            self._mfa_challenge = outcome.mfa_challenge
            self.errors, self.summary, self.backup_code_form = {}, [], False
            return rx.redirect(routes.LOGIN_MFA)
        if not outcome.ok or outcome.session_token is None:
            return self._fail(outcome.errors)
        self.errors, self.summary, self.notice = {}, [], ""
        self._signed_in_as(outcome.session_token, self._next)

    # The second step: a code from the authenticator app, or a recovery code ------------------

    @rx.event
    def load_code(self):
        self.errors, self.summary = {}, []
        if not self._mfa_challenge:
            return rx.redirect(routes.LOGIN, replace=True)

    @rx.event
    def show_recovery_code(self, show: bool):
        self.backup_code_form = bool(show)
        self.errors, self.summary = {}, []

    @rx.event
    async def submit_code(self, form_data: dict):
        outcome = await in_thread(
            accounts.complete_mfa_sign_in,
            challenge=self._mfa_challenge,
            code="" if self.backup_code_form else clip(form_data.get("code", ""), 20),
            recovery_code=clip(form_data.get("recovery_code", ""), 40) if self.backup_code_form else "",
            client_ip=self._client_ip(),
            user_agent=self._user_agent(),
        )
        if accounts.FORM in outcome.errors and outcome.errors[accounts.FORM] == accounts.MFA_EXPIRED:
            self._mfa_challenge = ""
        if not outcome.ok or outcome.session_token is None:
            return self._fail(outcome.errors)
        self._mfa_challenge = ""
        self.errors, self.summary, self.notice, self.backup_code_form = {}, [], "", False
        self._signed_in_as(outcome.session_token, self._next)


class PasswordResetState(SessionState):
    """ "Forgot your password" -> "Send password reset code" -> code and new password."""

    email: str = ""
    errors: dict[str, str] = {}
    summary: list[list[str]] = []
    code_sent_again: bool = False

    @rx.event
    def load_forgot(self):
        self.errors, self.summary = {}, []

    @rx.event
    def load_reset(self):
        self.errors, self.summary, self.code_sent_again = {}, [], False
        if not self.email:
            return rx.redirect(routes.FORGOT_PASSWORD, replace=True)

    @rx.event
    def send_code(self, form_data: dict):
        self.email = received(form_data.get("email", ""))
        with session_scope() as db:
            outcome = password_reset.request_password_reset(db, email=self.email, client_ip=self._client_ip())
        if not outcome.ok:
            return self._fail(outcome.errors)
        self.errors, self.summary = {}, []
        return rx.redirect(routes.RESET_PASSWORD)

    @rx.event
    def send_code_again(self):
        with session_scope() as db:
            outcome = password_reset.request_password_reset(db, email=self.email, client_ip=self._client_ip())
        if not outcome.ok:
            return self._fail(outcome.errors)
        self.errors, self.summary, self.code_sent_again = {}, [], True

    @rx.event
    async def reset_password(self, form_data: dict):
        outcome = await in_thread(
            password_reset.reset_password,
            email=self.email,
            code=clip(form_data.get("code", ""), 20),
            new_password=str(form_data.get("password", ""))[:1000],
            client_ip=self._client_ip(),
            base_url=settings.base_url,
        )
        if not outcome.ok:
            return self._fail(outcome.errors)
        self.errors, self.summary = {}, []
        return rx.redirect(f"{routes.LOGIN}?reset=1", replace=True)


class SetPasswordState(SessionState):
    """The link a practice-created account's holder is emailed: choose a password."""

    status: str = "checking"  # checking | ok | expired | used | unknown
    email: str = ""
    problem: str = ""
    errors: dict[str, str] = {}
    summary: list[list[str]] = []
    _secret: str = ""

    @rx.event
    @records_guarded
    def load(self):
        self._secret = clip(self.router.url.query_parameters.get("token", ""), 200)
        self.errors, self.summary = {}, []
        with session_scope() as db:
            found = password_setup.peek_set_password(db, self._secret)
        self.status, self.email, self.problem = found.status, found.email, found.message

    @rx.event
    async def set_password(self, form_data: dict):
        outcome = await in_thread(
            password_setup.set_password,
            secret=self._secret,
            new_password=str(form_data.get("password", ""))[:1000],
            client_ip=self._client_ip(),
        )
        if not outcome.ok:
            return self._fail(outcome.errors)
        self._secret = ""
        return rx.redirect(f"{routes.LOGIN}?password_set=1", replace=True)
