"""Driving a screen's State directly against the test database, without a browser, as the tests
of the workspace and patient screens do: a tab opened on a URL, a handler run as the browser would
call it, and who acts set on the server side (the session the screens read)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from reflex.istate.data import ReflexURL, URLData
from sqlalchemy.engine import Engine
from sqlmodel import Session

from anima_pwa import db
from anima_pwa.models import Account
from anima_pwa.state.base import SessionState
from tests.factories import identity_of


def opened(state_class, path: str):  # noqa: ANN001, ANN201
    """A new tab of ``state_class`` on ``path`` (its query parameters as the browser sends them)."""
    tab = state_class(_reflex_internal_init=True)
    tab.rx_router_url = URLData.from_url(ReflexURL(f"http://localhost:3000{path}"))
    return tab


def run(tab, name: str, *args):  # noqa: ANN001, ANN201
    """Call the handler ``name`` with ``args`` (an async one to its end); what it returns."""
    result = tab.event_handlers[name].fn(tab, *args)
    return asyncio.run(result) if asyncio.iscoroutine(result) else result


def acting_as(engine: Engine, monkeypatch: pytest.MonkeyPatch, first: Any = None) -> Callable[[Any], None]:
    """Screens read ``engine``; who acts is ``first`` until the returned function is called with
    another identity (or None: signed out)."""
    monkeypatch.setattr(db, "engine", lambda: engine)
    who: list = [first]
    monkeypatch.setattr(SessionState, "_identity", lambda self: who[0])
    return lambda identity: who.__setitem__(0, identity)


def staff_acting(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Callable[[Any], None]:
    """As `acting_as`, for the workspace: the returned ``as_staff(member)`` signs that member of
    staff in (password and MFA)."""
    signed_in = acting_as(engine, monkeypatch)

    def as_staff(staff) -> None:  # noqa: ANN001
        with Session(engine) as session:
            signed_in(identity_of(session.get(Account, staff.account_id), method="password+mfa"))

    return as_staff
