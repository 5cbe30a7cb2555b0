"""The practice workspace: staff sign-in (MFA mandatory), MFA enrolment through the emailed link,
and the base every staff screen uses.

Staff reach patient data only through `permissions.staff_context`, which requires a staff account
whose session was signed in with MFA. A member of staff without MFA can't sign in at all: they set
MFA up through the single-use link emailed to them (`services.practice.staff`).
"""

from __future__ import annotations

import reflex as rx

from anima_pwa import cookies, routes
from anima_pwa.db import session_scope
from anima_pwa.services.identity import accounts
from anima_pwa.services.practice import permissions, staff
from anima_pwa.services.practice.permissions import Action, StaffContext
from anima_pwa.state.base import SessionState, clip, in_thread, received, records_guarded, requires


def staff_required(action: Action | None = None):
    """The guard for workspace handlers: "a member of staff signed in with MFA, who may do
    `action`, required" (any member of staff, when no action is given). The handler gets their
    `StaffContext`; anyone else goes to the staff sign-in page, and a member of staff without the
    permission sees the refusal (`requires` in state.base). The services check the permission
    again, and the practice of every id."""
    return requires(lambda state: state._staff_for(action))


class PracticeState(SessionState):
    """Base of every workspace screen: who is signed in (the header shows them), and the
    staff-only guard."""

    staff_name: str = ""
    staff_role: str = ""
    practice_name: str = ""

    def _staff(self) -> StaffContext | None:
        """The member of staff this session belongs to, signed in with MFA and still active; or
        None. Fills the header's name, role and practice, so it shows on any screen loaded
        directly."""
        identity = self._identity()
        with session_scope() as db:
            staff = permissions.staff_context(db, identity)
        if staff is not None:
            self.staff_name, self.staff_role = staff.display_name, staff.role.capitalize()
            self.practice_name = staff.practice_name
        return staff

    def _staff_for(self, action: Action | None) -> StaffContext | None:
        """`_staff()`, refused (PermissionDenied) when they may not do `action`."""
        staff = self._staff()
        if staff is not None and action is not None:
            permissions.require(staff, action)
        return staff

    def _to_login(self):
        """A browser signed in, but not as a member of staff with MFA (a patient, or staff no
        longer active), goes straight to the staff sign-in page: /auth/check would find its
        session alive and send it back here. A session that has ended goes the usual way."""
        if self._identity() is not None:
            self.signed_in = False
            return rx.redirect(routes.practice_login(self._here()), replace=True)
        return super()._to_login()

    @rx.event
    @staff_required()
    def check_staff(self, staff: StaffContext):
        """on_load for workspace screens that show nothing until a staff member is known."""
        return None


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
        self._next = (
            target if target.startswith(routes.PRACTICE + "/") or target == routes.PRACTICE else routes.PRACTICE
        )
        self.notice = (
            "You have signed out."
            if "signed_out" in params
            else "Multi-factor authentication is set up. Sign in with your password and a code from your app."
            if "enrolled" in params
            else ""
        )
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
        # Staff always sign in with a code: without MFA the service refuses (use the emailed link).
        return self._fail(outcome.errors or {accounts.FORM: accounts.STAFF_NEEDS_MFA})

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


class StaffEnrolState(SessionState):
    """The page the emailed enrolment link opens: scan the QR code, then the staff password and a
    first code switch MFA on; the recovery codes are shown once. Nobody is signed in by it."""

    status: str = "checking"  # checking | ok | save_codes | expired | used | unknown | done
    email: str = ""
    practice_name: str = ""
    problem: str = ""
    qr_data_uri: str = ""
    setup_key_text: str = ""
    codes_to_save: list[str] = []
    errors: dict[str, str] = {}
    summary: list[list[str]] = []
    _secret: str = ""

    def _show_setup(self, setup) -> None:
        self.qr_data_uri, self.setup_key_text = (setup.qr_data_uri, setup.secret_grouped) if setup else ("", "")

    @rx.event
    @records_guarded
    def load(self):
        if self.status == "save_codes":
            return None  # a reload while the recovery codes are shown keeps them on screen
        self._secret = clip(self.router.url.query_parameters.get("token", ""), 200)
        self.errors, self.summary, self.codes_to_save = {}, [], []
        with session_scope() as db:
            found = staff.open_enrolment(db, secret=self._secret)
        self.status, self.email, self.practice_name, self.problem = (
            found.status,
            found.email,
            found.practice_name,
            found.message,
        )
        self._show_setup(found.setup)

    @rx.event
    async def finish(self, form_data: dict):
        outcome = await in_thread(
            staff.complete_enrolment,
            secret=self._secret,
            password=str(form_data.get("password", ""))[:1000],
            code=clip(form_data.get("code", ""), 20),
            client_ip=self._client_ip(),
        )
        if outcome.status in staff.LINK_PROBLEMS:
            self.status, self.problem = outcome.status, staff.LINK_PROBLEMS[outcome.status]
            self._show_setup(None)
            self.errors, self.summary = {}, []
            return None
        if not outcome.enrolled:
            if outcome.setup is not None:
                self._show_setup(outcome.setup)
            return self._fail(outcome.errors)
        self._secret = ""
        self._show_setup(None)
        self.status, self.codes_to_save, self.errors, self.summary = "save_codes", outcome.recovery_codes, {}, []
        return None

    @rx.event
    def codes_saved(self):
        self.codes_to_save, self.status = [], "checking"
        return rx.redirect(f"{routes.PRACTICE_LOGIN}?enrolled=1", replace=True)
