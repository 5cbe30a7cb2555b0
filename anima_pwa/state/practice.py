"""The practice workspace: staff sign-in (MFA mandatory), and the base every staff screen uses.

Staff reach patient data only through `permissions.staff_context`, which requires a staff account
whose session was signed in with MFA. A member of staff without MFA is sent to set it up first.
"""

from __future__ import annotations

import reflex as rx

from anima_pwa import cookies, routes
from anima_pwa.db import session_scope
from anima_pwa.services import accounts, permissions, sessions
from anima_pwa.services.permissions import StaffContext
from anima_pwa.state.base import SessionState, clip, in_thread, received
from anima_pwa.state.settings import MfaSettingsState


class PracticeState(SessionState):
    """Base of every workspace screen: who is signed in, and the staff-only guard."""

    staff_name: str = ""
    staff_role: str = ""
    practice_name: str = ""

    def _staff(self) -> StaffContext | None:
        identity = self._identity()
        with session_scope() as db:
            staff = permissions.staff_context(db, identity)
        if staff is not None:
            self.staff_name, self.staff_role = staff.display_name, staff.role.capitalize()
            self.practice_name = staff.practice_name
        return staff

    def _staff_or_redirect(self):
        """(staff, None) for a staff member signed in with MFA; else (None, where to go)."""
        identity = self._identity()
        if identity is None or identity.kind != "staff":
            return None, self._to_login()
        staff = self._staff()
        if staff is None:
            # Staff without MFA (or with a password-only session) go to set it up first.
            return None, rx.redirect(routes.PRACTICE_SETUP_MFA, replace=True)
        return staff, None

    @rx.event
    def check_staff(self):
        """on_load for workspace screens that show nothing until a staff member is known."""
        _staff, redirect = self._staff_or_redirect()
        return redirect


class StaffLoginState(SessionState):
    errors: dict[str, str] = {}
    summary: list[list[str]] = []
    notice: str = ""
    _challenge: str = ""
    _next: str = routes.PRACTICE

    @rx.event
    def load(self):
        params = self.router.url.query_parameters
        target = params.get("next", "")
        self._next = target if target.startswith(routes.PRACTICE + "/") or target == routes.PRACTICE else routes.PRACTICE
        self.notice = "You have signed out." if "signed_out" in params else ""
        self.errors, self.summary = {}, []

    @rx.event
    async def login(self, form_data: dict):
        outcome = await in_thread(
            accounts.sign_in,
            email=received(form_data.get("email", "")),
            password=str(form_data.get("password", ""))[:1000],
            client_ip=self._client_ip(),
            user_agent=self._user_agent(),
            kind="staff",
            device_cookie=self._cookie(cookies.DEVICE),
        )
        if outcome.ok and outcome.mfa_challenge:
            self._challenge = outcome.mfa_challenge
            self.errors, self.summary = {}, []
            return rx.redirect(routes.PRACTICE_LOGIN_CODE)
        if not outcome.ok or outcome.session_token is None:
            return self._fail(outcome.errors)
        # Right password, no MFA yet: the session can do nothing until MFA is set up.
        self._signed_in_as(outcome.session_token, routes.PRACTICE_SETUP_MFA)

    @rx.event
    def load_code(self):
        self.errors, self.summary = {}, []
        if not self._challenge:
            return rx.redirect(routes.PRACTICE_LOGIN, replace=True)

    @rx.event
    async def submit_code(self, form_data: dict):
        outcome = await in_thread(
            accounts.complete_mfa_sign_in,
            challenge=self._challenge,
            code=clip(form_data.get("code", ""), 20),
            recovery_code=clip(form_data.get("recovery_code", ""), 40),
            client_ip=self._client_ip(),
            user_agent=self._user_agent(),
        )
        if not outcome.ok or outcome.session_token is None:
            if outcome.errors.get(accounts.FORM) == accounts.MFA_EXPIRED:
                self._challenge = ""
            return self._fail(outcome.errors)
        self._challenge = ""
        self._signed_in_as(outcome.session_token, self._next)


class StaffMfaSetupState(MfaSettingsState):
    """First sign-in of a member of staff: MFA must be set up before anything else."""

    def _to_login(self) -> rx.event.EventSpec:
        self.signed_in = False
        return rx.redirect(routes.PRACTICE_LOGIN, replace=True)

    @rx.event
    def load_staff_setup(self):
        identity = self._identity()
        if identity is None or identity.kind != "staff":
            return self._to_login()
        if identity.method == "password+mfa":
            return rx.redirect(routes.PRACTICE, replace=True)
        with session_scope() as db:
            login = accounts.login_summary(db, identity)
        if login is None or login.mfa_enabled:
            # MFA is on already (set up elsewhere): sign in properly, with a code.
            return self._to_login()
        self.errors, self.summary, self.notice = {}, [], ""
        self._forget_secrets()
        return self._begin_setup()

    @rx.event
    def confirm_staff_setup(self, form_data: dict):
        identity = self._identity()
        if identity is None or identity.kind != "staff":
            return self._to_login()
        event = self._confirm_setup(form_data)
        if event is not None:
            return event
        # The code just entered proves the authenticator: this session now counts as MFA.
        with session_scope() as db:
            sessions.upgrade_method(db, identity, "password+mfa")

    @rx.event
    def finish_staff_setup(self):
        self._forget_secrets()
        return rx.redirect(routes.PRACTICE)
