"""Event round trip and the 8 a.m. rush: signed-in patients driving the "Create Request" wizard over
the websocket, as their browsers do (bench/reflex_client.py), against the running app (bench/live.py).

The trivial handler both compare against is `RequestWizardState.choose_who` sent with an empty form:
a handler of the same state the wizard uses, that touches no database (it checks the choice
against the `subjects` var already in the state and, with none chosen, sets the "Choose who the
request is for" error: `errors`, `summary`, `attempt`), so it always answers with one delta. It
goes through everything every event goes through (the socket, the event queue, the state store's
load and save, the app's session-binding middleware, the delta), and nothing else: the framework's
floor for this page. No handler was added for the benchmark.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import secrets
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import aiohttp

from bench.common import Result, percentile
from bench.live import LiveApp, live_app, make_patients, make_practice
from bench.reflex_client import Tab

ROUNDTRIP_RATIO = 1.5  # each step's p95 at most 1.5x the trivial handler's p95 (issue 14)
RUSH_RATIO = 2.0  # submit p95 at most 2x the trivial handler's p95, same tabs, same run (issue 14)
PATH = "/request/"
LIMIT_WORDS = ("limit of online requests", "Online requests are full")


def _names() -> tuple[str, str]:
    from anima_pwa.state.base import SessionState
    from anima_pwa.state.requests.wizard import RequestWizardState

    return RequestWizardState.get_full_name(), SessionState.get_full_name()


def _cookie(app: LiveApp, token: str) -> dict[str, str]:
    from anima_pwa import cookies

    return {cookies.names(app.url.startswith("https://"))[0]: token}


class WizardTab:
    """One patient's tab on /request, stepping through the wizard."""

    def __init__(self, tab: Tab, wizard: str) -> None:
        self.tab, self.wizard = tab, wizard
        self.times: dict[str, list[float]] = defaultdict(list)

    def var(self, name: str, default=None):
        return self.tab.get(self.wizard, name, default)

    @property
    def step(self) -> str:
        return self.var("step", "")

    async def open(self, timeout: float = 120) -> None:
        start = time.perf_counter()
        await self.tab.connect(timeout=timeout)
        await self.tab.wait_for(lambda: self.tab.hydrated and self.step not in ("", "loading"), timeout=timeout)
        self.times["open (hydrate + on_load)"].append(time.perf_counter() - start)

    async def event(self, label: str, handler: str, payload: dict | None = None, timeout: float = 120) -> None:
        self.times[label].append(await self.tab.call(f"{self.wizard}.{handler}", payload, timeout=timeout))

    async def trivial(self, timeout: float = 120) -> None:
        attempt = self.tab.get(self.tab_session, "attempt", 0)
        took = await self.tab.call(
            f"{self.wizard}.choose_who",
            {"form_data": {}},
            until=lambda: self.tab.get(self.tab_session, "attempt", 0) != attempt,
            timeout=timeout,
        )
        self.times["trivial"].append(took)

    tab_session = ""  # the SessionState path (attempt lives there); set by the caller

    def _answer(self) -> dict:
        question = self.var("question", {}) or {}
        kind = question.get("type", "")
        if kind == "boolean":
            return {"answer": "no"}
        if kind == "choice":
            options = self.var("options", []) or []
            return {"answer": options[0]["code"] if options else ""}
        if kind == "date":
            return {"answer": (date.today() - timedelta(days=7)).isoformat()}
        if kind in ("integer", "decimal", "quantity"):
            return {"answer": "3"}
        if kind == "display":
            return {}
        return {"answer": "It started a few days ago and is slowly getting better."}

    async def walk(self, *, trivial_each_step: bool, send: bool = True, timeout: float = 120) -> str:
        """who -> kind (medical) -> topic -> the emergency screen ("None of these" on each page) ->
        every question -> anything else -> preferences -> check -> send. Returns how it ended:
        "sent", "refused" (the practice's limit), or "error: ..." (anything else)."""

        async def maybe_trivial() -> None:
            if trivial_each_step:
                await self.trivial(timeout)

        if self.step != "who":
            return f"error: opened at step {self.step!r}, not 'who'"
        subjects = self.var("subjects", []) or []
        if not subjects:
            return "error: nobody to choose on the 'who' page"
        await maybe_trivial()
        await self.event("who", "choose_who", {"form_data": {"who": subjects[0]["id"]}}, timeout)
        await maybe_trivial()
        await self.event("kind (medical)", "choose_kind", {"form_data": {"kind": "medical"}}, timeout)
        if self.step == "closed":
            return "refused" if any(w in (self.var("closed_title", "") or "") for w in LIMIT_WORDS) else "error: closed"
        topics = self.var("topic_list", []) or []
        if self.step != "topic" or not topics:
            return f"error: after kind, step {self.step!r} ({self.var('errors')})"
        await maybe_trivial()
        await self.event("topic", "choose_topic", {"topic_id": topics[0]["id"]}, timeout)
        for _ in range(80):
            step = self.step
            errors = self.var("errors", {}) or {}
            if errors:
                message = " ".join(str(v) for v in errors.values())
                if any(w in message for w in LIMIT_WORDS):
                    return "refused"
                return f"error: at {step!r}: {message[:200]}"
            if step == "check":
                break
            await maybe_trivial()
            if step == "red_flags":
                await self.event("emergency screen page", "screen", {"form_data": {"none_of_these": "on"}}, timeout)
            elif step == "question":
                await self.event("question", "answer", {"form_data": self._answer()}, timeout)
            elif step == "anything_else":
                await self.event("anything else", "save_anything_else", {"form_data": {"free_text": ""}}, timeout)
            elif step == "preferences":
                form = {"appointment": "none", "contact": "email"}
                await self.event("preferences", "save_preferences", {"form_data": form}, timeout)
            elif step == "closed":
                title = self.var("closed_title", "") or ""
                return "refused" if any(w in title for w in LIMIT_WORDS) else f"error: closed: {title}"
            else:
                return f"error: unexpected step {step!r} ({self.var('advices')})"
        else:
            return "error: the wizard never reached 'check'"
        if not send:
            return "checked"
        await maybe_trivial()
        await self.event("send", "send", None, timeout)
        if self.step == "done" and self.var("reference"):
            return "sent"
        errors = self.var("errors", {}) or {}
        message = " ".join(str(v) for v in errors.values())
        if any(w in message for w in LIMIT_WORDS):
            return "refused"
        return f"error: after send, step {self.step!r}: {message[:200]}"


def _row(
    name: str,
    setup: str,
    samples: list[float],
    baseline: list[float] | None,
    ratio: float | None,
    note: str = "",
) -> Result:
    """A latency row; with a baseline (the trivial handler's samples), its p95 judged against
    ``ratio`` x the baseline's p95, and the p50 ratio shown beside it."""
    ms = [s * 1000 for s in samples]
    p95 = percentile(ms, 95)
    baseline_p95 = percentile([b * 1000 for b in baseline], 95) if baseline else None
    baseline_p50 = statistics.median([b * 1000 for b in baseline]) if baseline else None
    extra = {"p99_ms": percentile(ms, 99), "max_ms": max(ms)}
    passed = None
    target = ""
    if ratio is not None and baseline_p95:
        extra["p95_over_trivial"] = p95 / baseline_p95
        passed = p95 <= ratio * baseline_p95
        target = f"p95 <= {ratio:g}x trivial"
        extra["p50_over_trivial"] = statistics.median(ms) / baseline_p50 if baseline_p50 else None
        note = (note + "; " if note else "") + f"p95 = {p95 / baseline_p95:.2f}x trivial p95"
        if baseline_p50:
            note += f", p50 = {statistics.median(ms) / baseline_p50:.2f}x trivial p50"
        note += f", p99 {extra['p99_ms']:.1f} ms"
    return Result(name, setup, "ms", runs=len(ms), median=statistics.median(ms), p95=p95, target=target,
                  passed=passed, note=note, extra=extra)  # fmt: skip


# Event round trip ---------------------------------------------------------------------------------


def roundtrip(*, rounds: int | None = None) -> list[Result]:
    """One signed-in patient steps through the whole wizard ``rounds`` times (sending each
    request), with the trivial handler sent before every step: p50/p95 of each kind of step beside
    the trivial handler's, in the same run."""
    rounds = rounds or int(os.environ.get("BENCH_ROUNDS", "20"))
    with live_app() as app:
        return asyncio.run(_roundtrip(app, rounds))


async def _roundtrip(app: LiveApp, rounds: int) -> list[Result]:
    wizard, session_state = _names()
    ods = f"R{secrets.token_hex(2).upper()}"
    practice_id = make_practice(app.engine, ods, daily_limit=None, per_patient=100_000)
    ((_, token),) = make_patients(app.engine, practice_id, 1, f"rt-{ods.lower()}-")
    times: dict[str, list[float]] = defaultdict(list)
    outcomes = []
    async with aiohttp.ClientSession() as http:
        for number in range(rounds + 2):  # the first two rounds warm up (not timed)
            tab = WizardTab(Tab(app.url, PATH, cookies=_cookie(app, token), forwarded_for="203.0.113.7",
                                http_session=http), wizard)  # fmt: skip
            tab.tab_session = session_state
            await tab.open()
            outcome = await tab.walk(trivial_each_step=True)
            await tab.tab.close()
            outcomes.append(outcome)
            if outcome != "sent":
                raise RuntimeError(f"round {number}: the wizard ended with {outcome}")
            if number >= 2:
                for label, samples in tab.times.items():
                    times[label].extend(samples)
    trivial = times.pop("trivial")
    setup = f"app, {app.engine.dialect.name}"
    note = f"{app.setup}; {rounds} whole wizards by one patient, the trivial event before every step"
    rows = [_row("round trip: trivial (choose_who, empty form)", setup, trivial, None, None, note)]
    for label in ("open (hydrate + on_load)", "who", "kind (medical)", "topic", "emergency screen page", "question",
                  "anything else", "preferences", "send"):  # fmt: skip
        if label in times:
            ratio = None if label.startswith("open") else ROUNDTRIP_RATIO
            rows.append(_row(f"round trip: {label}", setup, times[label], trivial, ratio))
    return rows


# The rush ----------------------------------------------------------------------------------------


@dataclass
class RushOutcome:
    outcome: str = ""
    errors_shown: int = 0  # Reflex's "An error occurred" toasts this tab received
    ended: str = ""  # how the walk itself ended ("sent", "refused", "error: ..."), before the toasts
    send_s: float | None = None
    trivial: list[float] = field(default_factory=list)


def rush(*, patients: int | None = None, limit: int | None = None, window: float | None = None) -> list[Result]:
    """``patients`` signed-in patients (default 1,000) each open the wizard at a random moment in the
    ``window`` seconds (default 60) after the practice opens, walk it and send, against one practice
    with a daily limit of ``limit`` (default 300). Each tab also sends the trivial handler before
    every step, so the trivial figures are under the same load."""
    patients = patients or int(os.environ.get("BENCH_PATIENTS", "1000"))
    limit = limit if limit is not None else int(os.environ.get("BENCH_LIMIT", "300"))
    window = window if window is not None else float(os.environ.get("BENCH_WINDOW", "60"))
    with live_app() as app:
        return asyncio.run(_rush(app, patients, limit, window))


async def _rush(app: LiveApp, patients: int, limit: int, window: float) -> list[Result]:
    from sqlalchemy import text

    wizard, session_state = _names()
    ods = f"U{secrets.token_hex(2).upper()}"
    practice_id = make_practice(app.engine, ods, daily_limit=limit, per_patient=1)
    t0 = time.perf_counter()
    people = make_patients(app.engine, practice_id, patients, f"rush-{ods.lower()}-")
    print(f"    {patients} patients with sessions made in {time.perf_counter() - t0:.1f} s", flush=True)
    rng = random.Random(f"anima-rush-{patients}")
    arrivals = sorted(rng.uniform(0, window) for _ in people)
    results: list[RushOutcome] = [RushOutcome() for _ in people]
    connector = aiohttp.TCPConnector(limit=0)

    async with aiohttp.ClientSession(connector=connector) as http:
        started = time.perf_counter()
        cpu_started = time.process_time()

        async def one(index: int) -> None:
            await asyncio.sleep(arrivals[index])
            result = results[index]
            _, token = people[index]
            tab = WizardTab(
                Tab(app.url, PATH, cookies=_cookie(app, token), forwarded_for=f"198.51.{index // 250}.{index % 250 + 1}",
                    http_session=http),
                wizard,
            )  # fmt: skip
            tab.tab_session = session_state
            try:
                await tab.open(timeout=180)
                result.outcome = await tab.walk(trivial_each_step=True, timeout=180)
            except Exception as exc:  # noqa: BLE001 - every failure is counted and shown
                result.outcome = f"error: {type(exc).__name__}: {exc}"[:300]
            finally:
                sends = tab.times.get("send", [])
                result.send_s = sends[0] if sends else None
                result.trivial = tab.times.get("trivial", [])
                result.errors_shown = tab.tab.errors_shown
                result.ended = result.outcome
                if result.errors_shown and result.outcome in ("sent", "refused"):
                    result.outcome = f"error: shown 'An error occurred' ({result.outcome} in the end)"
                with contextlib.suppress(Exception):
                    await tab.tab.close()

        await asyncio.gather(*(one(i) for i in range(len(people))))
        elapsed = time.perf_counter() - started
        client_cpu = time.process_time() - cpu_started

    with app.engine.connect() as connection:
        arrived = connection.execute(
            text("SELECT patient_id, reference FROM request WHERE practice_id = :p AND status <> 'draft'"),
            {"p": practice_id},
        ).all()
    # Accepted / refused: how the tab's walk ended (it showed the reference, or the limit message),
    # even if the tab was also shown an error toast on the way (those are counted as errors too).
    accepted = sum(1 for r in results if r.ended == "sent")
    refused = sum(1 for r in results if r.ended == "refused")
    toasted = sum(1 for r in results if r.errors_shown)
    errors = [r.outcome for r in results if r.outcome not in ("sent", "refused")]
    per_patient: dict[int, int] = defaultdict(int)
    for patient_id, _ in arrived:
        per_patient[patient_id] += 1
    doubled = sum(n - 1 for n in per_patient.values() if n > 1)
    told_sent = {people[i][0] for i, r in enumerate(results) if r.ended == "sent"}
    lost = len(told_sent - set(per_patient))  # told "sent", but no request in the database
    unannounced = len(set(per_patient) - told_sent)  # in the database, but the tab never showed it sent
    sends = [r.send_s for r in results if r.send_s is not None]
    trivial = [t for r in results for t in r.trivial]
    setup = f"app, {app.engine.dialect.name}"
    counts_ok = accepted == min(limit, patients) and not errors and lost == 0 and doubled == 0 and unannounced == 0
    error_kinds: dict[str, int] = defaultdict(int)
    for e in errors:
        error_kinds[e[:120]] += 1
    summary = Result(
        "rush: outcomes",
        setup,
        "count",
        runs=patients,
        value=float(accepted),
        target=f"accepted = {min(limit, patients)}, 0 errors, 0 lost, 0 doubled",
        passed=counts_ok,
        note=(
            f"{app.setup}; {patients} patients over {window:g} s, daily limit {limit}: accepted {accepted}, "
            f"refused with the limit message {refused}, errors {len(errors)} (of which shown Reflex's 'An error "
            f"occurred' {toasted}), lost {lost}, doubled {doubled}, "
            f"in the database but not shown as sent {unannounced}; requests in the database {len(arrived)}; "
            f"whole run {elapsed:.0f} s; this client's own CPU {client_cpu:.0f} s ({client_cpu / elapsed:.0%} of a core)"
        ),
        extra={
            "accepted": accepted,
            "refused": refused,
            "errors": len(errors),
            "lost": lost,
            "doubled": doubled,
            "unannounced": unannounced,
            "in_database": len(arrived),
            "elapsed_s": elapsed,
            "error_kinds": dict(error_kinds),
        },  # fmt: skip
    )
    rows = [summary]
    if trivial:
        rows.append(_row("rush: trivial (same tabs)", setup, trivial, None, None,
                         note=f"p99 {percentile([t * 1000 for t in trivial], 99):.0f} ms"))  # fmt: skip
    if sends:
        rows.append(_row("rush: send (submit)", setup, sends, trivial, RUSH_RATIO))
    return rows
