"""The benchmark's browser-less websocket client (bench/reflex_client.py), without a server: how it
merges deltas, when a round trip ends, and what it counts as an error shown to the patient; and the
first-load benchmark's reading of a page's HTML. The client's real proof is `python -m bench
roundtrip` / `rush` against the running app (bench/README.md)."""

from __future__ import annotations

import asyncio

from bench.firstload import _Assets
from bench.reflex_client import ROOT_STATE, Tab

WIZARD = f"{ROOT_STATE}.wizard"


def _tab() -> Tab:
    return Tab("http://localhost:1", "/request/", cookies={"anima_session": "t"})


def test_deltas_merge_per_substate_and_vars_read_without_the_suffix():
    tab = _tab()

    async def run():
        await tab._on_update({"delta": {WIZARD: {"step_rx_state_": "who", "errors_rx_state_": {}}}, "events": []})
        await tab._on_update({"delta": {WIZARD: {"step_rx_state_": "type"}}, "events": []})
        await tab._on_update({"delta": {ROOT_STATE: {"is_hydrated_rx_state_": True}}, "events": []})

    asyncio.run(run())
    assert tab.get(WIZARD, "step") == "type"
    assert tab.get(WIZARD, "errors") == {}
    assert tab.hydrated
    assert (tab.updates, tab.deltas) == (3, 3)


def test_a_round_trip_ends_at_the_next_delta_not_at_an_update_without_one():
    tab = _tab()
    sent = []

    async def fake_send(name, payload=None):
        sent.append((name, payload))

        async def answer():
            await asyncio.sleep(0.01)
            # A late error toast from an earlier event: no delta, so not this event's answer.
            await tab._on_update({"delta": {}, "events": [{"name": "_call_function", "payload": "An error occurred."}]})
            assert not done.is_set()
            await asyncio.sleep(0.01)
            await tab._on_update({"delta": {WIZARD: {"step_rx_state_": "type"}}, "events": []})

        asyncio.get_running_loop().create_task(answer())

    tab.send = fake_send  # type: ignore[method-assign]
    done = asyncio.Event()

    async def run():
        took = await tab.call(f"{WIZARD}.choose_who", {"form_data": {"who": "1"}}, timeout=5)
        done.set()
        return took

    took = asyncio.run(run())
    assert sent == [(f"{WIZARD}.choose_who", {"form_data": {"who": "1"}})]
    assert tab.get(WIZARD, "step") == "type"
    assert took >= 0.02
    assert tab.errors_shown == 1


def test_call_with_a_condition_waits_until_it_holds():
    tab = _tab()

    async def fake_send(name, payload=None):
        async def answer():
            for attempt in (0, 0, 1):
                await asyncio.sleep(0.005)
                await tab._on_update({"delta": {WIZARD: {"attempt_rx_state_": attempt}}, "events": []})

        asyncio.get_running_loop().create_task(answer())

    tab.send = fake_send  # type: ignore[method-assign]

    async def run():
        await tab.call("x", until=lambda: tab.get(WIZARD, "attempt") == 1, timeout=5)

    asyncio.run(run())
    assert tab.deltas == 3


def test_a_silent_server_times_out():
    tab = _tab()

    async def fake_send(name, payload=None):
        return None

    tab.send = fake_send  # type: ignore[method-assign]

    async def run():
        await tab.call("x", timeout=0.05)

    try:
        asyncio.run(run())
    except TimeoutError:
        return
    raise AssertionError("a round trip with no answer must time out")


def test_first_load_reads_scripts_stylesheets_and_modulepreloads_from_the_html():
    parser = _Assets()
    parser.feed(
        '<html><head><link rel="stylesheet" href="/assets/a.css"><link rel="modulepreload" href="/assets/m.js">'
        '<link rel="manifest" href="/manifest.webmanifest"><link rel="icon" href="/favicon.ico">'
        '<script type="module" src="/assets/entry.js"></script><script>inline()</script></head></html>'
    )
    assert parser.css == ["/assets/a.css"]
    assert parser.js == ["/assets/m.js", "/assets/entry.js"]
