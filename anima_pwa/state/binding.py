"""A tab's server-side state belongs to the sign-in session that built it.

Reflex keeps each tab's state on the server under a token the browser makes up (with
`Math.random()`, kept in sessionStorage) and sends the whole of it to whoever connects with that
token. That token is not a secret we can rely on, so this middleware ties the state to the
session cookie the websocket was opened with: before every event it compares the cookie's session
(a hash of its token, "" for none) with the one the state was built under, and if they differ
(someone else's session, none at all, or a new sign-in) the whole state is reset to its defaults
before anything is read or sent. A hydrate under another session therefore starts clean.

It also forgets `navigate_to` on every page load, so a full page load asked for once is never
asked for again, and the last page's "could not reach our records" (state.base).
"""

from __future__ import annotations

import hashlib

import reflex as rx
from reflex.state import BaseState

from anima_pwa import cookies
from anima_pwa.state.base import SessionState

_PAGE_LOAD_EVENTS = ("hydrate_and_load", "hydrate")


def session_key(cookie_header: str | None) -> str:
    """What a tab's state is bound to: the session id (SHA-256 of the cookie's token), or ""."""
    token = cookies.read(cookie_header, cookies.SESSION)
    return hashlib.sha256(token.encode()).hexdigest() if token and len(token) <= 100 else ""


def _all_state_classes(cls: type[BaseState]) -> list[type[BaseState]]:
    out: list[type[BaseState]] = []
    stack = list(cls.get_substates())
    while stack:
        sub = stack.pop()
        out.append(sub)
        stack.extend(sub.get_substates())
    return out


class SessionBinding(rx.Middleware):
    async def preprocess(self, app, state, event):
        root = state._get_root_state()
        headers = (root.router_data or {}).get("headers") or {}
        current = session_key(headers.get("cookie", ""))
        bound = await root.get_state(SessionState)
        if bound._bound_session is not None and bound._bound_session != current:
            # Load every substate first, so none is left holding the other session's data.
            for cls in _all_state_classes(type(root)):
                await root.get_state(cls)
            root.reset()
        bound._bound_session = current
        if event.name.rsplit(".", 1)[-1] in _PAGE_LOAD_EVENTS:
            bound.navigate_to = ""
            # A new page starts without the last page's "could not reach our records".
            bound.records_unreachable = bound.load_failed = False
        return None
