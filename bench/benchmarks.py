"""The benchmarks. Each one builds its own data, calls the real service functions and returns
``Result`` rows; ``python -m bench`` runs them all and prints the table.

Targets live here, next to the code that checks them, and in bench/README.md. A missed target is
reported as MISS; do not loosen a target to make a run pass.
"""

from __future__ import annotations

import asyncio
import dataclasses
import http.client
import os
import random
import socket
import statistics
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from sqlmodel import Session, func, select

from anima_pwa.models import Account, AuthSession, OutboxMessage, Practice, utcnow
from bench.common import Result, backends, database, measure, percentile, session_factory, timing_result
from bench.data import epraccur_csv, register_rows
from bench.inbox import in_progress, practice_queue
from bench.queue_scale import queue_at_scale

# Targets (p95 unless said otherwise)
SESSION_RESOLVE_P95_MS = 2.0  # the target is for SQLite; PostgreSQL rows are information
PRACTICE_SEARCH_P95_MS = 20.0
MATCH_REGISTER_P95_MS = 5.0
SIGN_IN_P95_MS = 250.0
OUTBOX_MIN_PER_SECOND = 50.0
TOPIC_SEARCH_P95_MS = 10.0  # runs on the event loop for each debounced keystroke

PASSWORD = "Bench-Marks-2024"


def _patient_account(session: Session, email: str, password_hash: str = "not-a-hash") -> Account:
    now = utcnow()
    account = Account(
        email=email,
        email_normalized=email.lower(),
        password_hash=password_hash,
        kind="patient",
        email_verified_at=now,
        password_changed_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(account)
    session.flush()
    return account


# 1. Session resolve --------------------------------------------------------------------------------


def session_resolve(backend: str, *, runs: int = 2000, other_sessions: int = 20_000) -> list[Result]:
    """``sessions.resolve`` as ``SessionState._identity`` runs it on every authenticated event: a
    session_scope (begin, resolve, commit) against a table holding ``other_sessions`` others.

    Two rows: the usual event (read only), and the event that also writes ``last_seen_at`` (at
    most once a minute per signed-in browser, ``sessions.TOUCH_AFTER``)."""
    from anima_pwa.services.identity import sessions

    target = SESSION_RESOLVE_P95_MS if backend == "sqlite" else None
    target_note = "" if target else f" (the {SESSION_RESOLVE_P95_MS:g} ms target is for SQLite)"
    with database(backend) as engine:
        scope = session_factory(engine)
        with scope() as s:
            account = _patient_account(s, "resolve@example.org")
            token = sessions.start(s, account)
            now = utcnow()
            filler_accounts = [_patient_account(s, f"filler{i}@example.org") for i in range(200)]
            s.add_all(
                AuthSession(
                    id=f"{i:064x}",
                    account_id=filler_accounts[i % len(filler_accounts)].id,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + sessions.ABSOLUTE_TIMEOUT,
                )
                for i in range(other_sessions)
            )

        def read() -> None:
            with scope() as s:
                if sessions.resolve(s, token) is None:
                    raise AssertionError("the session did not resolve")

        results = [
            timing_result(
                "session resolve (per event, read only)",
                backend,
                measure(read, runs, warmup=20),
                p95_target_ms=target,
                note=f"{other_sessions:,} other sessions in the table" + target_note,
            )
        ]

        # The touch path: every call is 61 s after the previous one, so last_seen_at is written.
        with scope() as s:
            start = utcnow()
            touch_token = sessions.start(s, s.get(Account, account.id), now=start)
        clock = {"now": start}

        def touch() -> None:
            clock["now"] += sessions.TOUCH_AFTER + timedelta(seconds=1)
            with scope() as s:
                if sessions.resolve(s, touch_token, now=clock["now"]) is None:
                    raise AssertionError("the session did not resolve")

        touch_runs = min(runs, 600)  # 600 x 61 s stays inside the 12 h absolute limit
        results.append(
            timing_result(
                "session resolve (event that writes last_seen_at)",
                backend,
                measure(touch, touch_runs, warmup=5),
                p95_target_ms=target,
                note="happens at most once a minute per signed-in browser" + target_note,
            )
        )
        return results


# 2. Practice search -----------------------------------------------------------------------------

# What people type into the practice box, letter by letter, plus codes and misses.
SEARCH_QUERIES = [
    "ki", "kin", "king", "kingm", "kingme", "kingmead", "kingmead surgery",
    "su", "sur", "surgery",  # a word in most names: the widest match, the biggest sort
    "st", "st m", "st mary", "st mary's",
    "health", "health centre", "riverside health",
    "dr", "dr a smith", "o'brien",
    "the", "the oak",
    "wolverton-on", "mill & ash",
    # plus two real ODS codes from the generated file (one typed in lower case), added below
    "zzzz", "qx",  # no match
]  # fmt: skip


def practice_search(backend: str, *, rounds: int = 40, practices: int = 7000) -> list[Result]:
    """``practices.search_practices`` (the sign-up typeahead) over a generated epraccur file of
    ``practices`` GP practices (England has about 6,500) plus 300 other organisations."""
    from anima_pwa.services.practice.practices import import_epraccur, search_practices

    with database(backend) as engine:
        scope = session_factory(engine)
        text = epraccur_csv(practices)
        started = time.perf_counter()
        with scope() as s:
            report = import_epraccur(s, text)
        import_seconds = time.perf_counter() - started
        with scope() as s:
            active = s.exec(select(func.count()).select_from(Practice).where(Practice.status == "active")).one()

            codes = s.exec(select(Practice.ods_code).where(Practice.status == "active").order_by(Practice.id)).all()
        queries = [*SEARCH_QUERIES, codes[len(codes) // 3], codes[2 * len(codes) // 3].lower()]

        per_query: dict[str, list[float]] = {q: [] for q in queries}
        found: dict[str, int] = {}
        with Session(engine) as s:
            for query in queries:  # warm up
                found[query] = len(search_practices(s, query))
            for _ in range(rounds):
                for query in queries:
                    start = time.perf_counter()
                    search_practices(s, query)
                    per_query[query].append(time.perf_counter() - start)
                s.rollback()  # end the read transaction between rounds, as separate events would
        samples = [x for values in per_query.values() for x in values]
        slowest = max(per_query, key=lambda q: percentile(per_query[q], 95))
        slowest_p95 = percentile(per_query[slowest], 95) * 1000
        return [
            timing_result(
                "practice search (typeahead)",
                backend,
                samples,
                p95_target_ms=PRACTICE_SEARCH_P95_MS,
                note=(
                    f"{active:,} active of {report.created:,} practices; {len(queries)} queries; "
                    f"slowest {slowest!r} p95 {slowest_p95:.1f} ms"
                ),
                extra={
                    "per_query_p95_ms": {q: round(percentile(v, 95) * 1000, 3) for q, v in per_query.items()},
                    "results_per_query": found,
                },
            ),
            Result(
                "epraccur import (info)",
                backend,
                "ms",
                runs=1,
                median=import_seconds * 1000,
                p95=import_seconds * 1000,
                note=f"{practices + 300:,} rows, one transaction",
            ),
        ]


# 3. Automatic verification -----------------------------------------------------------------------


def match_register(backend: str, *, runs: int = 1000, register_size: int = 20_000) -> list[Result]:
    """``verification.match_register`` against one practice's register of ``register_size``
    entries (two neighbouring practices hold 2,000 more each), with and without an NHS number."""
    from anima_pwa.services.patients import verification
    from anima_pwa.services.practice.practices import import_epraccur, import_register, register_csv

    with database(backend) as engine:
        scope = session_factory(engine)
        with scope() as s:
            import_epraccur(s, epraccur_csv(3, other_rows=0, closed_share=0.0, seed="verification"))
            practice_ids = [p.id for p in s.exec(select(Practice).order_by(Practice.id))]
        used: set[str] = set()
        rows = register_rows(register_size, outward="MB1", seed="main", used=used)
        started = time.perf_counter()
        with scope() as s:
            report = import_register(s, s.get(Practice, practice_ids[0]), register_csv(rows))
        import_seconds = time.perf_counter() - started
        assert report.created == register_size, report.summary()
        for index, practice_id in enumerate(practice_ids[1:], start=1):
            with scope() as s:
                others = register_rows(2000, outward=f"MB{index + 1}", seed=f"other{index}", used=used)
                import_register(s, s.get(Practice, practice_id), register_csv(others))

        rng = random.Random("anima-bench-match")
        people = rng.sample(rows, min(runs, len(rows)))
        target = practice_ids[0]

        def run(with_nhs: bool) -> tuple[list[float], int]:
            samples = []
            matched = 0
            for i in range(runs + 10):
                person = people[i % len(people)]
                kwargs = dict(
                    practice_id=target,
                    full_name=f"{person['given_names'].split()[0]} {person['family_name']}",
                    date_of_birth=person["date_of_birth"],
                    postcode=person["postcode"],
                    nhs_number=person["nhs_number"] if with_nhs else None,
                )
                start = time.perf_counter()
                with Session(engine) as s:
                    result = verification.match_register(s, **kwargs)
                elapsed = time.perf_counter() - start
                if i >= 10:  # the first ten warm up
                    samples.append(elapsed)
                    matched += result.matched
            return samples, matched

        with_nhs, with_nhs_matched = run(True)
        without_nhs, without_matched = run(False)
        return [
            timing_result(
                "match_register, with NHS number",
                backend,
                with_nhs,
                p95_target_ms=MATCH_REGISTER_P95_MS,
                note=f"{register_size:,} entries at the practice; {with_nhs_matched} of {runs} matched",
            ),
            timing_result(
                "match_register, name + DOB + postcode",
                backend,
                without_nhs,
                p95_target_ms=MATCH_REGISTER_P95_MS,
                note=f"{register_size:,} entries; {without_matched} of {runs} matched"
                + ("" if without_matched == runs else " (the rest share name, DOB and postcode with someone)"),
            ),
            Result(
                "register import (info)",
                backend,
                "ms",
                runs=1,
                median=import_seconds * 1000,
                p95=import_seconds * 1000,
                note=f"{register_size:,} rows, one transaction",
            ),
        ]


# 4. Sign-in ---------------------------------------------------------------------------------------


def sign_in(backend: str, *, runs: int = 30) -> list[Result]:
    """``accounts.sign_in`` success path in one transaction, as LoginState runs it: rate-limit
    checks, account lookup, argon2id verify, session row, audit row, commit."""
    from anima_pwa.services.identity import accounts, passwords

    with database(backend) as engine:
        scope = session_factory(engine)
        with scope() as s:
            _patient_account(s, "signin@example.org", passwords.hash_password(PASSWORD))

        def once() -> None:
            with scope() as s:
                outcome = accounts.sign_in(s, email="signin@example.org", password=PASSWORD, client_ip="192.0.2.10")
            if not outcome.ok:
                raise AssertionError(outcome.errors)

        samples = measure(once, runs, warmup=2)
        hash_samples = measure(lambda: passwords.hash_password(PASSWORD), 10, warmup=1)
        return [
            timing_result(
                "sign-in (success path)",
                backend,
                samples,
                p95_target_ms=SIGN_IN_P95_MS,
                note=f"argon2id hash alone: median {statistics.median(hash_samples) * 1000:.0f} ms",
            )
        ]


# 5. Outbox delivery -------------------------------------------------------------------------------


class _CountingHandler:
    def __init__(self) -> None:
        self.received = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd hook
        with self.lock:
            self.received += 1
        return "250 OK"


def _enqueue(scope: Callable, count: int, offset: int = 0) -> None:
    from anima_pwa.services.platform import notifications

    with scope() as s:
        for i in range(count):
            notifications.enqueue_email(
                s, to=f"patient{offset + i}@example.org", template="password_reset_code", code=f"{i % 1_000_000:06d}"
            )


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files in ``folder``."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def _outbox_over_tls(backend: str, scope: Callable, count: int, offset: int) -> Result:
    """``deliver_due`` to a local aiosmtpd server that requires STARTTLS, as real mail servers do:
    what each new connection costs (a TLS handshake) shows here, as it would against a provider."""
    import ssl
    import tempfile

    from aiosmtpd.controller import Controller

    from anima_pwa.services.platform import notifications

    with tempfile.TemporaryDirectory() as folder:
        cert, key = _self_signed(Path(folder))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        handler = _CountingHandler()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        controller = Controller(
            handler,
            hostname="127.0.0.1",
            port=port,
            server_hostname="smtp.bench",
            tls_context=context,
            require_starttls=True,
        )
        controller.start()
        try:
            transport = notifications.SmtpTransport.from_url(f"smtp://127.0.0.1:{port}?starttls=1&cafile={cert}")
            _enqueue(scope, count, offset=offset)
            sent = 0
            started = time.perf_counter()
            while True:
                report = notifications.deliver_due(scope, transport, sender="Anima <no-reply@anima.test>")
                if report.retried or report.failed:
                    raise AssertionError(f"delivery failed: {report}")
                if report.sent == 0:
                    break
                sent += report.sent
            elapsed = time.perf_counter() - started
        finally:
            controller.stop()
    if sent != count or handler.received < count:
        raise AssertionError(f"sent {sent}, server received {handler.received}, expected {count}")
    rate = sent / elapsed
    return Result(
        "outbox deliver_due over STARTTLS",
        backend,
        "msg/s",
        runs=sent,
        value=rate,
        target=f"> {OUTBOX_MIN_PER_SECOND:g} msg/s",
        passed=rate > OUTBOX_MIN_PER_SECOND,
        note=f"{count} messages, batches of 20, to a local server requiring STARTTLS",
    )


def outbox(backend: str, *, messages: int = 600, app_loop_messages: int = 100, tls_messages: int = 200) -> list[Result]:
    """``notifications.deliver_due`` to a local aiosmtpd server: messages per second.

    Also over STARTTLS (what a connection costs against a real server), and ``run_sender`` as the app runs it (one ``deliver_due`` of at most 20 messages per
    ANIMA_OUTBOX_POLL_SECONDS, default 2 s, per worker), to show the rate patients actually get."""
    from aiosmtpd.controller import Controller

    from anima_pwa import settings as settings_module
    from anima_pwa.services.platform import notifications

    handler = _CountingHandler()
    with socket.socket() as probe:  # a free port (aiosmtpd cannot be given port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        transport = notifications.SmtpTransport.from_url(f"smtp://127.0.0.1:{port}")
        with database(backend) as engine:
            scope = session_factory(engine)
            _enqueue(scope, messages)
            per_message: list[float] = []
            sent = 0
            started = time.perf_counter()
            while True:
                t0 = time.perf_counter()
                report = notifications.deliver_due(scope, transport, sender="Anima <no-reply@anima.test>")
                if report.sent == 0:
                    break
                per_message.append((time.perf_counter() - t0) / report.sent)
                sent += report.sent
                if report.retried or report.failed:
                    raise AssertionError(f"delivery failed: {report}")
            elapsed = time.perf_counter() - started
            if sent != messages or handler.received < messages:
                raise AssertionError(f"sent {sent}, server received {handler.received}, expected {messages}")
            rate = sent / elapsed
            ms = [x * 1000 for x in per_message]
            results = [
                Result(
                    "outbox deliver_due throughput",
                    backend,
                    "msg/s",
                    runs=sent,
                    median=statistics.median(ms),
                    p95=percentile(ms, 95),
                    value=rate,
                    target=f"> {OUTBOX_MIN_PER_SECOND:g} msg/s",
                    passed=rate > OUTBOX_MIN_PER_SECOND,
                    note=f"{sent} messages, batches of 20; median/p95 are ms per message",
                )
            ]

            # The same queue drained by run_sender with the app's settings.
            _enqueue(scope, app_loop_messages, offset=messages)
            real = settings_module.settings
            settings_module.settings = dataclasses.replace(real, smtp_url=f"smtp://127.0.0.1:{port}")
            try:
                poll = settings_module.settings.outbox_poll_seconds

                async def drain() -> float:
                    stop = asyncio.Event()
                    t0 = time.perf_counter()
                    task = asyncio.create_task(notifications.run_sender(stop, session_factory=scope))
                    while True:
                        with scope() as s:
                            left = s.exec(
                                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")
                            ).one()
                        if left == 0:
                            break
                        await asyncio.sleep(0.05)
                    took = time.perf_counter() - t0
                    stop.set()
                    await task
                    return took

                took = asyncio.run(drain())
            finally:
                settings_module.settings = real
            app_rate = app_loop_messages / took
            results.append(
                Result(
                    "outbox as the app sends (run_sender, 1 worker)",
                    backend,
                    "msg/s",
                    runs=app_loop_messages,
                    value=app_rate,
                    target=f"> {OUTBOX_MIN_PER_SECOND:g} msg/s",
                    passed=app_rate > OUTBOX_MIN_PER_SECOND,
                    note=f"{app_loop_messages} messages; batch 20 every {poll:g} s (ANIMA_OUTBOX_POLL_SECONDS)",
                )
            )
            results.append(_outbox_over_tls(backend, scope, tls_messages, messages + app_loop_messages))
            return results
    finally:
        controller.stop()


# 6. HTTP -------------------------------------------------------------------------------------------


def http_ttfb(_backend: str = "http", *, runs: int = 100) -> list[Result]:
    """Time to first byte of ``/`` from a running production server at BENCH_URL."""
    url = os.environ.get("BENCH_URL", "").strip()
    if not url:
        return [
            Result(
                "HTTP time to first byte of /",
                "http",
                "ms",
                note="skipped: BENCH_URL is not set (start `make run`, then BENCH_URL=http://localhost:3000 make bench)",
            )
        ]
    parts = urlsplit(url)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    host, port = parts.hostname, parts.port

    def once(samples: list[float] | None) -> None:
        connection = connection_class(host, port, timeout=10)
        try:
            start = time.perf_counter()
            connection.request("GET", "/", headers={"Accept": "text/html"})
            response = connection.getresponse()  # returns once the status line and headers are in
            response.read(1)
            if samples is not None:
                samples.append(time.perf_counter() - start)
            response.read()
            if response.status != 200:
                raise AssertionError(f"GET / answered {response.status}")
        finally:
            connection.close()

    for _ in range(5):
        once(None)
    samples: list[float] = []
    for _ in range(runs):
        once(samples)
    return [timing_result("HTTP time to first byte of /", "http", samples, note=f"{url}, new connection each time")]


# Topic search ---------------------------------------------------------------------------------------


def topic_search(*, rounds: int = 2) -> list[Result]:
    """``topic_search.search`` (emergency advice and topics) as the topic page calls it on each
    debounced keystroke: every phrase of the test sets typed letter by letter, as the request's kind
    and age say. The baseline row, measured in the same run on the same queries, is the topic list
    the page already builds (``questionnaires.all_topics``): what the search costs on top of that."""
    import json
    from pathlib import Path

    from anima_pwa.services import questionnaires
    from anima_pwa.services.questionnaires import topic_search as search

    data = Path(__file__).resolve().parent.parent / "tests" / "data"
    cases = []
    for name in ("search_phrases.json", "search_phrases_holdout.json"):
        phrases = json.loads((data / name).read_text(encoding="utf-8"))
        cases += [(c["q"], c["kind"], c["child"]) for c in phrases["topics"]]
        cases += [(c["q"], "medical", False) for c in phrases["emergency"]]
    queries = [(text[:end], kind, child) for text, kind, child in cases for end in range(3, len(text) + 1)]
    for text, kind, child in cases:  # warm up: the index is built once per process
        search.search(text, kind=kind, is_child=child)
    samples: list[float] = []
    baseline: list[float] = []
    for _ in range(rounds):
        for text, kind, child in queries:
            start = time.perf_counter()
            search.search(text, kind=kind, is_child=child)
            samples.append(time.perf_counter() - start)
            start = time.perf_counter()
            questionnaires.all_topics(kind, is_child=child)
            baseline.append(time.perf_counter() - start)
    return [
        timing_result(
            "topic search (letter by letter)",
            "-",
            samples,
            p95_target_ms=TOPIC_SEARCH_P95_MS,
            note=f"{len(queries):,} prefixes of {len(cases)} phrases, {rounds} rounds; emergency advice and topics",
        ),
        timing_result(
            "topic list (baseline, same run)", "-", baseline, note="questionnaires.all_topics for the same requests"
        ),
    ]


# Registry ----------------------------------------------------------------------------------------

DATABASE_BENCHMARKS: dict[str, Callable[..., list[Result]]] = {
    "session": session_resolve,
    "search": practice_search,
    "verification": match_register,
    "sign-in": sign_in,
    "outbox": outbox,
    "queue": practice_queue,
    "in-progress": in_progress,
    "queue-scale": queue_at_scale,
}
OTHER_BENCHMARKS: dict[str, Callable[..., list[Result]]] = {"topics": topic_search, "http": http_ttfb}


def _live(name: str) -> Callable[..., list[Result]]:
    """The benchmarks that drive the running app (bench/live.py), imported when run."""

    def run(**kwargs) -> list[Result]:
        if name == "firstload":
            from bench.firstload import firstload

            return firstload(**kwargs)
        from bench import wizard

        return getattr(wizard, name)(**kwargs)

    return run


# Run only when named: each starts the app (a 1-3 minute build) unless BENCH_URL is set.
LIVE_BENCHMARKS: dict[str, Callable[..., list[Result]]] = {n: _live(n) for n in ("roundtrip", "rush", "firstload")}

__all__ = ["DATABASE_BENCHMARKS", "LIVE_BENCHMARKS", "OTHER_BENCHMARKS", "backends"]
