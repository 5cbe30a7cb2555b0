""" "Continue with NHS login" and "Connect NHS login": start the flow, finish it at the callback.

The flow's state and nonce are kept in the database; this tab keeps only a binding to its own
flow (backend-only), so a callback URL opened in another browser is refused.
"""

from __future__ import annotations

import asyncio
import logging
from functools import lru_cache

import reflex as rx

from anima_pwa import routes
from anima_pwa.db import session_scope
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.nhs_login import accounts as nhs_login_accounts
from anima_pwa.services.nhs_login import client as nhs_login
from anima_pwa.settings import settings
from anima_pwa.state.base import SessionState, clip, records_guarded, sign_in_required

log = logging.getLogger(__name__)

START_AGAIN = "This sign-in has expired or was already used. Start again."


@lru_cache(maxsize=1)
def _client() -> nhs_login.NhsLoginClient:
    if settings.nhs_login is None:
        raise nhs_login.NhsLoginError("config", "NHS login is not available on this service.")
    return nhs_login.NhsLoginClient(settings.nhs_login)


class NhsLoginState(SessionState):
    status: str = "working"  # working | error
    error: str = ""
    _binding: str = ""

    @rx.event
    async def start(self, mode: str):
        """The button: off to NHS login. `mode` is "sign_in" or "connect" (signed-in owner only)."""
        if settings.nhs_login is None:
            return None
        if mode == nhs_login_accounts.CONNECT:
            return await self._connect()
        if mode != nhs_login_accounts.SIGN_IN:
            return None
        return await self._begin(mode, None)

    @sign_in_required
    async def _connect(self, identity: Identity):
        """ "Connect NHS login": only the signed-in owner connects their own account."""
        return await self._begin(nhs_login_accounts.CONNECT, identity.account_id)

    async def _begin(self, mode: str, account_id: int | None):
        try:
            client = _client()
            state, nonce = client.new_state_and_nonce()
            url = await asyncio.to_thread(client.authorization_url, state=state, nonce=nonce)
        except nhs_login.NhsLoginError as error:
            self.status, self.error = "error", error.message
            return rx.redirect(routes.NHS_LOGIN_CALLBACK)
        with session_scope() as db:
            flow = nhs_login_accounts.begin(db, mode=mode, account_id=account_id, state=state, nonce=nonce)
        self._binding = flow.tab_binding
        return rx.redirect(url)

    @rx.event
    @records_guarded
    async def finish(self):
        """on_load of the callback page."""
        params = self.router.url.query_parameters
        if not params.get("state") and self.status == "error":
            return  # start() failed and sent us here to say so
        self.status, self.error = "working", ""
        state = clip(params.get("state", ""), 200)
        binding, self._binding = self._binding, ""
        with session_scope() as db:
            flow = nhs_login_accounts.take_flow(db, state=state, binding=binding)
        if flow is None:
            return self._show_problem(START_AGAIN)
        if params.get("error"):
            reason = "denied" if params.get("error") == "access_denied" else "provider"
            log.info("NHS login returned error %s", clip(params.get("error"), 100))
            return self._show_problem(
                "You did not finish signing in with NHS login."
                if reason == "denied"
                else "NHS login could not sign you in. Try again later, or use your email address."
            )
        try:
            nhs = await asyncio.to_thread(
                _client().complete,
                code=clip(params.get("code", ""), 2000),
                returned_state=state,
                expected_state=state,
                nonce=flow.nonce,
            )
        except nhs_login.NhsLoginError as error:
            log.warning("NHS login failed: %s", error.reason)
            return self._show_problem(error.message)

        if flow.mode == nhs_login_accounts.CONNECT:
            identity = self._identity()
            if identity is None or identity.account_id != flow.account_id:
                return self._show_problem(START_AGAIN)
            with session_scope() as db:
                result = nhs_login_accounts.connect(db, identity, nhs, client_ip=self._client_ip())
            if not result.ok:
                return self._show_problem(result.message)
            return rx.redirect(f"{routes.SETTINGS_LOGIN}?connected=1", replace=True)

        with session_scope() as db:
            outcome = nhs_login_accounts.sign_in_or_register(
                db, nhs, client_ip=self._client_ip(), user_agent=self._user_agent()
            )
        if not outcome.ok or outcome.session_token is None:
            return self._show_problem(outcome.message)
        self._signed_in_as(outcome.session_token, routes.REGISTER_DETAILS if outcome.needs_details else routes.HOME)

    def _show_problem(self, message: str):
        self.status, self.error = "error", message
