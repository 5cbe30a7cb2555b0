"""A browser-less client of Reflex 0.10.1's websocket protocol: one `Tab` is what one browser tab
sends and receives, without the page.

What a browser tab does, and this does the same (read from reflex_base's `.templates/web/utils/state.js`,
the compiled `.web/utils/context.jsx` and `reflex/app.py`'s `EventNamespace`):

- It opens a Socket.IO connection (Engine.IO 4, websocket transport) at `/_event`, with the tab's
  token in the query string (`?token=<uuid>`, made up by the tab and kept in sessionStorage) and the
  browser's cookies in the handshake: the server copies the handshake's headers into every event's
  `router_data.headers`, which is where the app reads its HttpOnly session cookie.
- The CONNECT packet's `auth` carries the first event, `reflex___state____state.hydrate_and_load`
  with the page's `router_data` (`pathname`, `asPath`, `query`): the server answers with the whole
  state as a delta and then runs the page's `on_load` handlers itself (`on_load_internal`).
- Each user action is one `event` message: `{"name": "<state path>.<handler>", "payload": {<argument
  name>: value}, "router_data": {...}}`; a form's `on_submit` sends `{"form_data": {field: value}}`.
- The server answers with `event` messages `{"delta": {<state path>: {<var>_rx_state_: value}},
  "events": [...]}`. Reflex 0.10 sends no "final" marker (StateUpdate.final is deprecated): a
  handler that changes nothing sends nothing, and one that changes vars sends one delta when it
  returns (then, separately, any frontend events it returned, such as `_redirect`). So a round trip
  here is: send, then wait for the first update after it that satisfies a condition (by default,
  any delta); `Tab.call` measures exactly that.

Events the server returns for the frontend (`_redirect`, `_call_function`, ...) are recorded, not
acted on (there is no page). Backend events a handler returns are run by the server itself.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import aiohttp
import socketio

ROOT_STATE = "reflex___state____state"
SUFFIX = "_rx_state_"
HYDRATE = f"{ROOT_STATE}.hydrate_and_load"
NAMESPACE = "/_event"  # the browser's io("ws://host/_event", {path: "/_event"}): path and namespace


def state_name(cls: type) -> str:
    """The full state path the frontend uses for a State class (e.g. `reflex___state____state.anima_pwa___...`)."""
    return cls.get_full_name()  # type: ignore[attr-defined]


class ProtocolError(RuntimeError):
    """The server answered in a way a browser tab would also have shown as broken."""


class Tab:
    """One browser tab on one page: connect, send events, keep the merged state from the deltas."""

    def __init__(
        self,
        base_url: str,
        path: str,
        *,
        cookies: dict[str, str] | None = None,
        forwarded_for: str = "",
        http_session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.path = path
        self.token = str(uuid.uuid4())
        self.cookies = cookies or {}
        self.forwarded_for = forwarded_for
        self.state: dict[str, dict[str, Any]] = {}
        self.frontend_events: list[dict] = []
        self.updates = 0  # every `event` message received
        self.deltas = 0  # those that carried a delta (a handler's answer)
        self.errors_shown = 0  # Reflex's backend-error toast ("An error occurred. ...") sent to this tab
        self._changed = asyncio.Event()
        self._disconnected = False
        kwargs: dict[str, Any] = {"reconnection": False}
        if http_session is not None:
            kwargs["http_session"] = http_session
        self.sio = socketio.AsyncClient(**kwargs)
        self.sio.on("event", self._on_update, namespace=NAMESPACE)
        self.sio.on("disconnect", self._on_disconnect, namespace=NAMESPACE)

    # The protocol ------------------------------------------------------------------------------

    def router_data(self) -> dict[str, Any]:
        return {"pathname": self.path, "asPath": self.path, "query": {}}

    async def connect(self, *, timeout: float = 60.0) -> None:
        """Open the websocket with the boot (hydrate) event, as a page load does."""
        headers = {"Origin": self.base_url, "User-Agent": "anima-bench/1 (reflex_client)"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.forwarded_for:
            headers["X-Forwarded-For"] = self.forwarded_for
        auth = {"event": {"name": HYDRATE, "payload": {}, "router_data": self.router_data()}}
        await self.sio.connect(
            f"{self.base_url}?{urlencode({'token': self.token})}",
            headers=headers,
            transports=["websocket"],
            socketio_path="/_event",
            namespaces=[NAMESPACE],
            auth=auth,
            wait_timeout=timeout,
        )

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()

    async def _on_update(self, update: dict) -> None:
        delta = update.get("delta") or {}
        for substate, changes in delta.items():
            self.state.setdefault(substate, {}).update(changes)
        events = update.get("events") or []
        self.frontend_events.extend(events)
        self.errors_shown += sum(1 for e in events if "an error occurred" in str(e).lower())
        self.deltas += 1 if delta else 0
        self.updates += 1
        self._changed.set()

    async def _on_disconnect(self, *args: Any) -> None:
        self._disconnected = True
        self._changed.set()

    async def send(self, name: str, payload: dict | None = None) -> None:
        await self.sio.emit(
            "event", {"name": name, "payload": payload or {}, "router_data": self.router_data()}, namespace=NAMESPACE
        )

    # Waiting -----------------------------------------------------------------------------------

    async def wait_for(self, condition: Callable[[], bool], *, timeout: float = 60.0) -> None:
        """Until `condition()` holds on the merged state (checked after every update)."""
        deadline = time.monotonic() + timeout
        while not condition():
            if self._disconnected:
                raise ProtocolError("the server closed the websocket")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no matching update within {timeout:g} s")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                continue

    async def call(
        self,
        name: str,
        payload: dict | None = None,
        *,
        until: Callable[[], bool] | None = None,
        timeout: float = 60.0,
    ) -> float:
        """Send one event and wait for its answer; returns the round trip in seconds.

        Without `until`, the answer is the next update that carries a delta (a handler that changes
        a var sends exactly one delta when it returns; an update without one, such as a late error
        toast from an earlier event, is not it). With it, the first delta after sending that makes
        it true."""
        seen = self.deltas
        start = time.perf_counter()
        await self.send(name, payload)
        await self.wait_for(
            (lambda: self.deltas > seen and until()) if until is not None else (lambda: self.deltas > seen),
            timeout=timeout,
        )
        return time.perf_counter() - start

    # Reading the state -------------------------------------------------------------------------

    def get(self, state: str, var: str, default: Any = None) -> Any:
        return self.state.get(state, {}).get(var + SUFFIX, default)

    @property
    def hydrated(self) -> bool:
        return bool(self.get(ROOT_STATE, "is_hydrated"))
