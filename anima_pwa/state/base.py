"""The base state: which browser is signed in, and helpers every screen's state uses.

The browser keeps only the session token, in an HttpOnly cookie that the server sets
(anima_pwa.http) and that no script can read; the websocket's handshake carries it, and handlers
read it from there. Every handler that needs an identity resolves it again from the database
through `_identity()`, so an expired or revoked session stops working at once, on any worker.

Handlers say who they need with a guard (`requires`): `@sign_in_required` here, `@staff_required(...)`
in state.practice.workspace. The guard resolves who acts from the server-side session, hands
them to the handler, sends anyone else to sign in, and shows a `PermissionDenied` from a service
as the screen's one refusal (`_denied`).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Callable, Mapping
from typing import Any, Concatenate, ParamSpec, TypeVar

import reflex as rx
from reflex_base.event import EventSpec

from anima_pwa import cookies, db, routes
from anima_pwa.db import session_scope
from anima_pwa.services.identity import accounts, sessions
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.platform.text_limits import received  # noqa: F401  (what a person typed: kept whole)
from anima_pwa.services.practice.permissions import PermissionDenied

IDLE_SECONDS = int(sessions.IDLE_TIMEOUT.total_seconds())

log = logging.getLogger(__name__)

# What a person sees when the database does not answer (db.unreachable): an event's work could not
# be done (announced at once, the form left as it was), or a page could not load its data (instead
# of an empty list that would say there is nothing).
RECORDS_UNREACHABLE = (
    "Sorry, we could not reach our records just now. Please try again in a moment. Nothing you typed has been lost."
)
LOAD_FAILED = "We could not load this page just now. Try again in a moment."


# Guards --------------------------------------------------------------------------------------------


_S = TypeVar("_S")
_W = TypeVar("_W")
_P = ParamSpec("_P")
_R = TypeVar("_R")


def requires(
    find: Callable[[Any], _W | None],
) -> Callable[[Callable[Concatenate[_S, _W, _P], _R]], Callable[Concatenate[_S, _P], _R]]:
    """A guard for an event handler: it runs only for whoever `find(state)` finds from the
    server-side session (never from anything the browser sends), and gets them as its first
    argument after `self`.

    - Nobody found: the handler does not run; the browser goes to sign in (`state._to_login()`).
    - A `PermissionDenied` raised by `find` or anywhere in the handler (the services check every
      permission and the ownership of every id): the screen shows it (`state._denied(message)`).
    - The database did not answer (`db.unreachable`), in `find` or in the handler: nobody is sent
      to sign in (the session could not be checked, which is not "signed out"), and the page says
      so (`state._records_unreachable()`): a page's on_load shows "could not load" with Try again
      instead of its content, any other event the message that nothing typed was lost.

    The browser sees the handler without that argument: Reflex reads an event handler's
    parameters (the names the browser sends, and their types) from its signature, and the
    signature given here leaves it out.
    """

    def decorate(handler: Callable[Concatenate[_S, _W, _P], _R]) -> Callable[Concatenate[_S, _P], _R]:
        signature = inspect.signature(handler)
        parameters = list(signature.parameters.values())
        if len(parameters) < 2:
            raise TypeError(f"{handler.__qualname__} must take who acts after self")
        injected = parameters[1].name

        if inspect.iscoroutinefunction(handler):

            async def guarded_async(self, *args, **kwargs):
                loading = self._starting_event()
                try:
                    who = find(self)
                    if who is None:
                        return self._to_login()
                    return await handler(self, who, *args, **kwargs)
                except PermissionDenied as denied:
                    return self._denied(denied.message)
                except Exception as error:
                    if not db.unreachable(error):
                        raise
                    return self._records_unreachable(error, loading=loading)

            guarded: Callable[..., Any] = guarded_async
        else:

            def guarded_sync(self, *args, **kwargs):
                loading = self._starting_event()
                try:
                    who = find(self)
                    if who is None:
                        return self._to_login()
                    return handler(self, who, *args, **kwargs)
                except PermissionDenied as denied:
                    return self._denied(denied.message)
                except Exception as error:
                    if not db.unreachable(error):
                        raise
                    return self._records_unreachable(error, loading=loading)

            guarded = guarded_sync
        functools.update_wrapper(guarded, handler)
        guarded.__signature__ = signature.replace(parameters=[parameters[0], *parameters[2:]])  # type: ignore[attr-defined]
        guarded.__annotations__ = {k: v for k, v in handler.__annotations__.items() if k != injected}
        return guarded

    return decorate


def records_guarded(handler: Callable[..., _R]) -> Callable[..., _R]:
    """For a handler that needs nobody signed in but reads the database (the on_load of sign-in,
    link and public pages): the database not answering is shown as `requires` shows it ("could not
    load" with Try again for a page loading, else the message), never as Reflex's error."""
    if inspect.iscoroutinefunction(handler):

        async def guarded_async(self, *args, **kwargs):
            loading = self._starting_event()
            try:
                return await handler(self, *args, **kwargs)
            except Exception as error:
                if not db.unreachable(error):
                    raise
                return self._records_unreachable(error, loading=loading)

        return functools.wraps(handler)(guarded_async)  # type: ignore[return-value]

    def guarded_sync(self, *args, **kwargs):
        loading = self._starting_event()
        try:
            return handler(self, *args, **kwargs)
        except Exception as error:
            if not db.unreachable(error):
                raise
            return self._records_unreachable(error, loading=loading)

    return functools.wraps(handler)(guarded_sync)


# "A signed-in account required": the handler gets the `Identity` (patients; staff too, where a
# screen is for any account, like Login settings).
sign_in_required = requires(lambda state: state._identity())


class SessionState(rx.State):
    signed_in: bool = False
    # A same-origin path the browser loads in full (assets/anima.js follows it): how a sign-in
    # reaches the endpoint that sets the HttpOnly cookie. Cleared on every page load.
    navigate_to: str = ""
    # Counts failed submits, so the browser moves focus to the error summary each time.
    attempt: int = 0
    # The database did not answer (`requires`, `backend_exception_handler`): the last event's work
    # could not be done (a message announced at once), or this page's data could not be loaded (its
    # content is replaced by "could not load" and Try again, never by an empty list). Both are
    # forgotten on the next page load and by the next event that reaches the database.
    records_unreachable: bool = False
    load_failed: bool = False
    # Which session (a hash of the cookie's token, "" for none) this tab's state was built for;
    # state.binding starts the tab clean when another session, or none, picks it up.
    _bound_session: str | None = None

    # Backend helpers (underscore: not event handlers, never sent to the browser) -------------

    def _client_ip(self) -> str:
        return self.router.session.client_ip or ""

    def _user_agent(self) -> str:
        return (self.router.headers.user_agent or "")[:255]

    def _cookie(self, name: str) -> str:
        return cookies.read(self.router.headers.cookie, name)

    def _session_token(self) -> str:
        return self._cookie(cookies.SESSION)

    def _identity(self) -> Identity | None:
        token = self._session_token()
        identity = None
        if token:
            with session_scope() as db:
                identity = sessions.resolve(db, token)
        self.signed_in = identity is not None
        return identity

    def _starting_event(self) -> bool:
        """Before a guarded handler: forget the last failure's message. True while the page's
        on_load handlers run (Reflex sets `is_hydrated` only after them)."""
        self.records_unreachable = False
        loading = not self.is_hydrated
        if loading:
            self.load_failed = False
        return loading

    def _records_unreachable(self, error: BaseException, *, loading: bool) -> None:
        """The database did not answer. A page loading shows "could not load" (never an empty
        state); any other event shows the message and changes nothing on the screen, so the form
        keeps what was typed. Whoever has a session cookie keeps the signed-in header: their
        session could not be checked, which is not the same as having none."""
        log.warning("database unreachable in %s: %s", type(self).__name__, error)
        if self._session_token():
            self.signed_in = True
        if loading:
            self.load_failed = True
        else:
            self.records_unreachable = True

    def _here(self) -> str:
        url = self.router.url
        return url.path + (f"?{url.query}" if url.query else "")

    def _to_login(self) -> EventSpec | None:
        """Send a signed-out visitor to sign in, and back here afterwards. A browser whose session
        has ended (idle, 12 hours, a password reset) goes through /auth/check, which clears the
        cookie and says why."""
        self.signed_in = False
        here = self._here()
        if self._session_token():
            self._load_page(routes.auth_check(here))
            return None
        page = routes.practice_login(here) if routes.is_workspace(here) else routes.login(here)
        return rx.redirect(page, replace=True)

    def _load_page(self, path: str) -> None:
        """A full page load of a same-origin path (not a move inside the app)."""
        self.navigate_to = path

    def _fail(self, errors: Mapping[str, str], anchors: Mapping[str, str] | None = None):
        """Show errors next to their fields and in the summary, and move focus there. Screens that
        call this declare `errors` and `summary` vars."""
        self.errors = dict(errors)
        self.summary = summary_of(errors, anchors)
        self._focus_error_summary()

    def _focus_error_summary(self) -> None:
        self.attempt += 1

    def _denied(self, message: str):
        """How this screen shows a refusal (a `PermissionDenied` from a service, caught by the
        guard): the form's error. Screens without `errors` and `summary` vars say otherwise."""
        return self._fail({accounts.FORM: message})

    def _signed_in_as(self, token: str, next_path: str) -> None:
        """Hand a new session to the browser: a full page load through /auth/session, which sets
        the HttpOnly cookie and goes on to `next_path`."""
        with session_scope() as db:
            handoff = sessions.issue_handoff(db, token)
        if handoff is None:  # pragma: no cover - the session was made a moment ago
            return
        self.signed_in = True
        self._load_page(routes.auth_session(handoff, next_path))

    # Events ---------------------------------------------------------------------------------

    @rx.event
    @sign_in_required
    def check_signed_in(self, identity: Identity):
        """on_load for pages that need a signed-in account."""
        return None

    @rx.event
    def try_again(self):
        """ "Try again" after a page could not load: load it again, in full."""
        self._load_page(self._here())

    @rx.event
    def show_records_unreachable(self):
        """An event outside the guards failed because the database did not answer
        (`backend_exception_handler`): say so, as a guarded one would."""
        self.records_unreachable = True

    @rx.event
    @records_guarded
    def redirect_if_signed_in(self):
        """on_load for sign-in and sign-up pages: a signed-in person goes to their home page."""
        if self._identity() is not None:
            return rx.redirect(routes.HOME, replace=True)


def backend_exception_handler(exception: Exception) -> EventSpec | None:
    """The app's handler for an exception no guard caught (`rx.App(backend_exception_handler=)`):
    the database not answering is said in the app's words (`show_records_unreachable`), never
    as Reflex's "An error occurred. Contact the website administrator."; anything else is
    Reflex's default (logged with its traceback)."""
    if db.unreachable(exception):
        log.warning("database unreachable: %s", exception)
        # The handler's EventSpec (mypy reads `rx.event` as its namespace, not as the handler).
        show: Any = SessionState.show_records_unreachable
        return show()
    from reflex.app import default_backend_exception_handler

    return default_backend_exception_handler(exception)


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


def summary_of(errors: Mapping[str, str], anchors: Mapping[str, str] | None = None) -> list[list[str]]:
    """Error-summary rows ([field id, message]) in the order the errors were found."""
    anchors = anchors or {}
    return [[anchors.get(name, name), message] for name, message in errors.items() if name != accounts.FORM]
