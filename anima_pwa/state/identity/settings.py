"""Settings: Login settings, Your preferences, Multi-factor authentication, and the link that
confirms a new email address. Every handler re-reads the signed-in account; the rules live in
`services.identity.account_settings`, `mfa`, `mfa_setup` and `recovery_codes`."""

from __future__ import annotations

import asyncio

import reflex as rx

from anima_pwa.db import session_scope
from anima_pwa.services.identity import account_settings, accounts, mfa, mfa_setup, recovery_codes
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.settings import settings
from anima_pwa.state.base import SessionState, clip, in_thread, received, records_guarded, sign_in_required, summary_of


class LoginSettingsState(SessionState):
    form_key: int = 0  # changed to empty a form's boxes after a success
    email: str = ""
    email_sign_in: bool = False  # the account has a password (not NHS login only)
    nhs_login_connected: bool = False
    nhs_login_available: bool = settings.nhs_login is not None
    new_email: str = ""
    email_link_sent_to: str = ""
    change_saved: bool = False
    notice: str = ""
    errors: dict[str, str] = {}
    summary: list[list[str]] = []

    def _refresh(self, identity: Identity) -> bool:
        with session_scope() as db:
            login = accounts.login_summary(db, identity)
        if login is None:
            return False
        self.email, self.email_sign_in, self.nhs_login_connected = (
            login.email,
            login.has_password,
            login.nhs_login_connected,
        )
        return True

    @rx.event
    @sign_in_required
    def load(self, identity: Identity):
        self.errors, self.summary, self.email_link_sent_to, self.change_saved = {}, [], "", False
        params = self.router.url.query_parameters
        self.notice = (
            "Your account is now connected to NHS login."
            if "connected" in params
            else "Your email address has been changed."
            if "email_changed" in params
            else ""
        )
        if not self._refresh(identity):
            return self._to_login()
        return None

    @rx.event
    def set_new_email(self, value: str):
        self.new_email = received(value)

    @rx.event
    @sign_in_required
    def confirm_new_email(self, identity: Identity):
        with session_scope() as db:
            outcome = account_settings.request_email_change(
                db, identity, new_email=self.new_email, client_ip=self._client_ip(), base_url=settings.base_url
            )
        if not outcome.ok:
            return self._fail(outcome.errors)
        self.errors, self.summary = {}, []
        self.email_link_sent_to, self.new_email = self.new_email.strip(), ""

    @rx.event
    @sign_in_required
    async def change_password(self, identity: Identity, form_data: dict):
        outcome = await in_thread(
            account_settings.change_password,
            identity=identity,
            current_password=str(form_data.get("current_password", ""))[:1000],
            new_password=str(form_data.get("new_password", ""))[:1000],
            client_ip=self._client_ip(),
            base_url=settings.base_url,
        )
        if not outcome.ok:
            return self._fail(outcome.errors)
        self.errors, self.summary, self.change_saved = {}, [], True
        self.form_key += 1  # a new key empties the form's password boxes


class ConfirmEmailChangeState(SessionState):
    status: str = "checking"  # checking | changed | expired | used | unknown | taken
    email: str = ""

    @rx.event
    @records_guarded
    def load(self):
        self.status = "checking"
        secret = clip(self.router.url.query_parameters.get("token", ""), 200)
        with session_scope() as db:
            result = account_settings.confirm_email_change(db, secret=secret, client_ip=self._client_ip())
        self.status, self.email = result.status, result.email if result.status == "changed" else ""


class PreferencesState(SessionState):
    phone: str = ""
    preferred_name: str = ""
    residence_status: str = ""
    has_details: bool = True
    notify_by_email: bool = True
    notify_by_sms: bool = True
    saved: bool = False
    errors: dict[str, str] = {}
    summary: list[list[str]] = []
    residence_options: list[list[str]] = [[key, text] for key, text in account_settings.RESIDENCE_STATUSES.items()]
    loaded: int = 0  # changes on each load, so uncontrolled radios show what was loaded

    @rx.event
    @sign_in_required
    def load(self, identity: Identity):
        with session_scope() as db:
            preferences = account_settings.load_preferences(db, identity)
        self.phone, self.preferred_name = preferences.phone, preferences.preferred_name
        self.residence_status, self.has_details = preferences.residence_status, preferences.has_details
        self.notify_by_email, self.notify_by_sms = preferences.notify_by_email, preferences.notify_by_sms
        self.errors, self.summary, self.saved = {}, [], False
        self.loaded += 1

    @rx.event
    def set_notify(self, channel: str, checked: bool):
        if channel == "email":
            self.notify_by_email = checked is True
        elif channel == "sms":
            self.notify_by_sms = checked is True
        self.saved = False

    @rx.event
    def set_field(self, name: str, value: str):
        if name == "phone":
            self.phone = received(value)
        elif name == "preferred_name":
            self.preferred_name = received(value)
        elif name == "residence_status":
            self.residence_status = clip(value, 20)
        self.saved = False

    @rx.event
    @sign_in_required
    def save(self, identity: Identity):
        with session_scope() as db:
            outcome = account_settings.save_preferences(
                db,
                identity,
                phone=self.phone,
                preferred_name=self.preferred_name,
                residence_status=self.residence_status,
                notify_by_email=self.notify_by_email,
                notify_by_sms=self.notify_by_sms,
            )
            preferences = account_settings.load_preferences(db, identity) if outcome.ok else None
        if not outcome.ok or preferences is None:
            self.errors = dict(outcome.errors)
            self.summary = summary_of(
                outcome.errors, {"residence_status": "residence_status-permanent", "notify": "notify-email"}
            )
            self.saved = False
            return self._focus_error_summary()
        self.phone, self.preferred_name, self.residence_status = (
            preferences.phone,
            preferences.preferred_name,
            preferences.residence_status,
        )
        self.notify_by_email, self.notify_by_sms = preferences.notify_by_email, preferences.notify_by_sms
        self.errors, self.summary, self.saved = {}, [], True


class MfaSettingsState(SessionState):
    """The authenticator app. The key and the recovery codes are shown once, then forgotten here."""

    form_key: int = 0  # changed to empty a form's boxes after a success

    enabled: bool = False
    codes_left: int = 0
    step: str = "status"  # status | scan | save_codes
    qr_data_uri: str = ""
    setup_key_text: str = ""
    codes_to_save: list[str] = []
    errors: dict[str, str] = {}
    summary: list[list[str]] = []
    notice: str = ""

    def _account_then(self, identity: Identity, action):
        """`action(db, account)` on the signed-in account: (its result, None); (None, where to go)
        when the account has gone."""
        with session_scope() as db:
            account = accounts.account_for(db, identity)
            if account is None:
                return None, self._to_login()
            return action(db, account), None

    def _forget_secrets(self) -> None:
        self.qr_data_uri, self.setup_key_text, self.codes_to_save = "", "", []

    def _status(self, identity: Identity):
        """The status page afresh: whether MFA is on and how many recovery codes are left."""
        self.errors, self.summary, self.notice, self.step = {}, [], "", "status"
        self._forget_secrets()
        status, redirect = self._account_then(
            identity, lambda db, account: (mfa.is_enabled(account), recovery_codes.recovery_codes_left(db, account))
        )
        if redirect is not None:
            return redirect
        self.enabled, self.codes_left = status
        return None

    # `_status` for whoever is signed in (handlers call it; Reflex's typing of `@rx.event` hides
    # a handler's own signature from the type-checker when another handler calls it).
    _reload = sign_in_required(_status)

    @rx.event
    @sign_in_required
    def load(self, identity: Identity):
        return self._status(identity)

    @rx.event
    @sign_in_required
    def begin_setup(self, identity: Identity):
        """Show a new key as a QR code and as text."""

        def start(db, account):
            if mfa.is_enabled(account):
                return None
            return mfa_setup.start_setup(db, account)

        setup, redirect = self._account_then(identity, start)
        if redirect is not None:
            return redirect
        if setup is None:
            return self._status(identity)
        self.qr_data_uri, self.setup_key_text = setup.qr_data_uri, setup.secret_grouped
        self.step, self.errors, self.summary = "scan", {}, []
        return None

    @rx.event
    @sign_in_required
    def confirm_setup(self, identity: Identity, form_data: dict):
        """Check the first code; on success switch MFA on and show the recovery codes once.
        Returns an event (redirect or focus) or None on success."""
        code = clip(form_data.get("code", ""), 20)
        result, redirect = self._account_then(
            identity, lambda db, account: mfa_setup.confirm_setup(db, account, code, client_ip=self._client_ip())
        )
        if redirect is not None:
            return redirect
        if not result.ok:
            return self._fail(result.errors)
        self._forget_secrets()
        self.codes_to_save, self.step, self.enabled = result.recovery_codes, "save_codes", True
        self.errors, self.summary = {}, []
        return None

    @rx.event
    @sign_in_required
    def new_recovery_codes(self, identity: Identity):
        def regenerate(db, account):
            return (
                recovery_codes.regenerate_recovery_codes(db, account, client_ip=self._client_ip())
                if mfa.is_enabled(account)
                else []
            )

        codes, redirect = self._account_then(identity, regenerate)
        if redirect is not None:
            return redirect
        if codes:
            self.codes_to_save, self.step = codes, "save_codes"

    @rx.event
    def codes_saved(self):
        self._forget_secrets()
        return self._reload()

    @rx.event
    @sign_in_required
    async def turn_off(self, identity: Identity, form_data: dict):
        password = str(form_data.get("password", ""))[:1000]
        code = clip(form_data.get("code", ""), 20)

        def disable(db, account):
            return mfa.disable(db, account, password=password, code=code, client_ip=self._client_ip())

        # Checking the password (argon2) takes ~100 ms: not on the event loop.
        result, redirect = await asyncio.to_thread(self._account_then, identity, disable)
        if redirect is not None:
            return redirect
        if not result.ok:
            return self._fail(result.errors)
        self.enabled, self.codes_left, self.step = False, 0, "status"
        self.notice = "Multi-factor authentication is off. You sign in with your password only."
        self.errors, self.summary = {}, []
        self.form_key += 1  # a new key empties the form's password and code boxes
