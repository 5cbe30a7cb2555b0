"""The base state: which browser is signed in, and helpers every screen's state uses.

The browser keeps only the session token (a SameSite=Strict cookie). Every handler that needs an
identity resolves it again from the database through `_identity()`, so an expired or revoked
session stops working at once, on any worker.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from anima_pwa import routes
from anima_pwa.db import session_scope
from anima_pwa.services import accounts, sessions
from anima_pwa.services.sessions import Identity
from anima_pwa.services.text_limits import received  # noqa: F401  (what a person typed: kept whole)
from anima_pwa.settings import settings


class SessionState(rx.State):
    auth_token: str = rx.Cookie(
        "",
        name="anima_session",
        path="/",
        same_site="strict",
        secure=settings.secure_cookies,
        max_age=int(sessions.ABSOLUTE_TIMEOUT.total_seconds()),
    )
    signed_in: bool = False

    # Backend helpers (underscore: not event handlers, never sent to the browser) -------------

    def _client_ip(self) -> str:
        return self.router.session.client_ip or ""

    def _user_agent(self) -> str:
        return (self.router.headers.user_agent or "")[:255]

    def _identity(self) -> Identity | None:
        with session_scope() as db:
            identity = sessions.resolve(db, self.auth_token)
        self.signed_in = identity is not None
        return identity

    def _to_login(self) -> rx.event.EventSpec:
        """Send a signed-out visitor to sign in, and back here afterwards."""
        self.signed_in = False
        url = self.router.url
        here = url.path + (f"?{url.query}" if url.query else "")
        target = routes.login(here)
        if self.auth_token:
            # The browser had a session that has ended (idle, 12 hours, or a password reset).
            self.auth_token = ""
            target += ("&" if "?" in target else "?") + "expired=1"
        return rx.redirect(target, replace=True)

    def _fail(self, errors: dict[str, str], anchors: dict[str, str] | None = None):
        """Show errors next to their fields and in the summary, and move focus there. Screens that
        call this declare `errors` and `summary` vars."""
        self.errors = errors
        self.summary = summary_of(errors, anchors)
        return focus_error_summary()

    def _signed_in_as(self, token: str) -> None:
        self.auth_token = token
        self.signed_in = True

    # Events ---------------------------------------------------------------------------------

    @rx.event
    def check_signed_in(self):
        """on_load for pages that need a signed-in account."""
        if self._identity() is None:
            return self._to_login()

    @rx.event
    def redirect_if_signed_in(self):
        """on_load for sign-in and sign-up pages: a signed-in person goes to their home page."""
        if self._identity() is not None:
            return rx.redirect(routes.HOME, replace=True)

    @rx.event
    def sign_out(self):
        return self._sign_out_to(routes.LOGIN)

    @rx.event
    def sign_out_of_workspace(self):
        return self._sign_out_to(routes.PRACTICE_LOGIN)

    def _sign_out_to(self, login_page: str):
        with session_scope() as db:
            accounts.sign_out(db, self.auth_token, client_ip=self._client_ip())
        self.auth_token = ""
        self.signed_in = False
        # A fresh page load with a new Reflex token drops every screen's state for this tab,
        # so nothing personal stays in memory on a shared device.
        return [
            rx.remove_cookie("anima_session", {"path": "/"}),
            rx.clear_session_storage(),
            rx.call_script(f"window.location.replace('{login_page}?signed_out=1')"),
        ]


async def in_thread(service, /, **kwargs):
    """Run `service(db, **kwargs)` in its own transaction on a worker thread.

    Reflex runs plain handlers on the event loop, so a slow call (argon2 takes ~100 ms by design)
    would stall every other browser on this worker. Use this for password work.
    """

    def call():
        with session_scope() as db:
            return service(db, **kwargs)

    return await asyncio.to_thread(call)


def clip(value: object, limit: int) -> str:
    """An identifier or code from the client (a record id, a topic id, a kind, a one-time code, a
    token): a string of at most ``limit`` characters, more than any real one has, so a longer one
    simply matches nothing. Never for what a person types: that goes through ``received()``, which
    keeps it whole so an over-long answer is refused with a message, not cut."""
    return str(value if value is not None else "")[:limit]


def summary_of(errors: dict[str, str], anchors: dict[str, str] | None = None) -> list[list[str]]:
    """Error-summary rows ([field id, message]) in the order the errors were found."""
    anchors = anchors or {}
    return [[anchors.get(name, name), message] for name, message in errors.items() if name != accounts.FORM]


def focus_error_summary() -> rx.event.EventSpec:
    """Move focus to the error summary once it has rendered (NHS pattern; helps screen readers)."""
    # The summary may render a moment after this script arrives: try for up to a second.
    return rx.call_script(
        "(function(n){var t=function(){var e=document.getElementById('error-summary');"
        "if(e){e.focus();}else if(n-->0){setTimeout(t,50);}};setTimeout(t,30);})(20)"
    )
