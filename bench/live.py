"""The running app, for the benchmarks that drive it from outside (bench/wizard.py, bench/firstload.py).

Either the app at ``BENCH_URL`` (any mode: one worker on SQLite, or production mode on PostgreSQL +
Redis + several workers), whose database the benchmark also needs, at ``BENCH_DB_URL`` (to create
its practice, patients and sign-in sessions, and to count what arrived); or, without BENCH_URL, an
app started here as the e2e suite starts it (``reflex run --env prod --single-port``, which builds
the frontend first: 1-3 minutes) on a fresh, migrated SQLite database in a temporary folder, with
an SMTP sink so the outbox has somewhere to send.

Patients are signed in as the browser is after its sign-in: ``sessions.start`` makes the session
row and the token, and the tab sends it as the ``anima_session`` cookie in the websocket handshake,
which is all the browser sends (the password step itself, argon2id, is the sign-in benchmark's).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import insert, text
from sqlalchemy.engine import Engine

from tests.servers import free_port, stop, wait_until_up

ROOT = Path(__file__).resolve().parent.parent
ALL_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass
class LiveApp:
    url: str
    engine: Engine
    setup: str  # what ran: "started here: 1 worker, SQLite" or "BENCH_URL=..."
    log_path: Path | None = None


def bench_env(port: int, database_url: str, instance: Path, smtp_port: int | None) -> dict[str, str]:
    """The environment the app runs in here: e2e/conftest.py's `app_environment`, minus the NHS
    login emulator and web push (nothing here uses them)."""
    env = {
        **os.environ,
        "REFLEX_DB_URL": database_url,
        "ANIMA_INSTANCE_DIR": str(instance),
        "ANIMA_PORT": str(port),
        "ANIMA_BASE_URL": f"http://localhost:{port}",
        "ANIMA_EMAIL_FROM": "Anima <no-reply@anima.test>",
        # Each simulated patient is its own client (its own X-Forwarded-For), as real patients are.
        "ANIMA_TRUSTED_PROXY_HOPS": "1",
        "PATH": f"{ROOT / '.tools' / 'node_modules' / '.bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "REFLEX_USE_SYSTEM_BUN": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        "REFLEX_HTTP_CLIENT_BIND_ADDRESS": "0.0.0.0",
    }
    if smtp_port:
        env["ANIMA_SMTP_URL"] = f"smtp://127.0.0.1:{smtp_port}"
    for name in ("ANIMA_DEMO", "REFLEX_REDIS_URL", "BENCH_URL", "BENCH_DB_URL"):
        env.pop(name, None)
    return env


class _SmtpSink:
    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook  # noqa: N802
        return "250 OK"


@contextlib.contextmanager
def live_app(*, need_database: bool = True) -> Iterator[LiveApp]:
    """The app to drive: BENCH_URL's, or one started here (and stopped afterwards)."""
    from anima_pwa.db import make_engine

    url = os.environ.get("BENCH_URL", "").strip().rstrip("/")
    if url:
        db_url = os.environ.get("BENCH_DB_URL", "").strip() or ("" if need_database else "sqlite://")
        if not db_url:
            raise RuntimeError("BENCH_URL needs BENCH_DB_URL: the benchmark makes its patients in the app's database")
        engine = make_engine(db_url)
        try:
            wait_until_up(url, None, None, timeout=30)
            setup = f"BENCH_URL={url}" + (f", database {engine.dialect.name}" if need_database else "")
            yield LiveApp(url=url, engine=engine, setup=setup)
        finally:
            engine.dispose()
        return

    from aiosmtpd.controller import Controller

    production = os.environ.get("BENCH_PRODUCTION", "").strip() not in ("", "0")
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="anima-bench-live-")))
        instance = folder / "instance"
        instance.mkdir()
        extra: dict[str, str] = {}
        if production:
            # PostgreSQL + Redis + several workers, on this machine's servers (the names CI sets).
            from bench.common import database

            redis_url = os.environ.get("ANIMA_TEST_REDIS_URL", "").strip()
            if not redis_url or not os.environ.get("ANIMA_TEST_POSTGRES_URL"):
                raise RuntimeError("BENCH_PRODUCTION needs ANIMA_TEST_POSTGRES_URL and ANIMA_TEST_REDIS_URL")
            engine = stack.enter_context(database("postgresql"))  # a throwaway database, migrated, dropped after
            db_url = engine.url.render_as_string(hide_password=False)
            # Its own Redis database number, so the benchmark's tabs never meet another app's keys.
            redis_db = os.environ.get("BENCH_REDIS_DB", "11")
            extra["REFLEX_REDIS_URL"] = urlsplit(redis_url)._replace(path=f"/{redis_db}").geturl()
            workers = os.environ.get("BENCH_WORKERS", "2")
            extra["GRANIAN_WORKERS"] = workers
            setup = f"started here: reflex run --env prod, {workers} workers, PostgreSQL + Redis (db {redis_db})"
        else:
            from bench.common import _migrate

            db_url = f"sqlite:///{folder / 'live.db'}"
            engine = make_engine(db_url)
            stack.callback(engine.dispose)
            _migrate(engine)
            setup = "started here: reflex run --env prod --single-port, 1 worker, SQLite, default state store"
        smtp = Controller(_SmtpSink(), hostname="127.0.0.1", port=free_port())
        smtp.start()
        stack.callback(smtp.stop)
        port = free_port()
        log_path = folder / "app.log"
        env = {**bench_env(port, db_url, instance, smtp.port), **extra}
        reflex = str(Path(sys.executable).parent / "reflex")
        command = [reflex, "run", "--env", "prod", "--single-port", "--frontend-port", str(port)]
        command += ["--backend-port", str(port)]
        print(f"    starting the app on port {port} (reflex run --env prod; the build takes 1-3 min) ...", flush=True)
        with log_path.open("w") as log:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        stack.callback(_keep_log, log_path)
        stack.callback(stop, process)
        wait_until_up(f"http://localhost:{port}", process, log_path, timeout=400)
        setup += f" ({_children(process.pid)} server processes under reflex)"
        yield LiveApp(url=f"http://localhost:{port}", engine=engine, setup=setup, log_path=log_path)


def _children(pid: int) -> int:
    """How many processes the server runs under `reflex run` (Granian's workers): evidence, in the
    results, of how many workers served the run."""
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False)
    return len(out.stdout.split())


def _keep_log(log_path: Path) -> None:
    """The app's log outlives the temporary folder: bench/results/last-app.log (git-ignored)."""
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    with contextlib.suppress(OSError):
        (results / "last-app.log").write_text(log_path.read_text(errors="replace"))


# Data --------------------------------------------------------------------------------------------


def make_practice(engine: Engine, ods: str, *, daily_limit: int | None, per_patient: int) -> int:
    """A practice open for online requests all day, every day, with these limits (as the admin's
    settings page saves them; same columns as e2e/journeys.py's practice_settings)."""
    hours = json.dumps({kind: {day: ["00:00", "23:59"] for day in ALL_DAYS} for kind in ("medical", "admin")})
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO practice (ods_code, name, address_line1, address_line2, address_line3, town, county, "
                 "postcode, phone, status, commissioner, network, created_at, updated_at) VALUES (:o, :n, '', '', '', "
                 "'BENCHTOWN', '', 'MB1 1AA', '01632 960000', 'active', '', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
            {"o": ods, "n": f"BENCH RUSH PRACTICE {ods}"},
        )  # fmt: skip
        practice_id = connection.execute(text("SELECT id FROM practice WHERE ods_code = :o"), {"o": ods}).scalar_one()
        connection.execute(
            text(
                "INSERT INTO practice_settings (practice_id, hours, turned_off, turned_off_message, routine_only_after, "
                "daily_limit, active_limit, per_patient_medical, per_patient_admin, free_text_enabled, updated_at) "
                "VALUES (:p, :hours, false, '', '', :daily, NULL, :pp, :pp, true, CURRENT_TIMESTAMP)"
            ),
            {"p": practice_id, "hours": hours, "daily": daily_limit, "pp": per_patient},
        )
    return practice_id


def make_patients(engine: Engine, practice_id: int, count: int, prefix: str) -> list[tuple[int, str]]:
    """``count`` verified patients of the practice, each with an account (no password: nobody signs
    in with one here) and a sign-in session; returns (patient id, session token) pairs."""
    from sqlmodel import Session, select

    from anima_pwa.models import Account, AccountPatient, Patient
    from anima_pwa.models.base import utcnow
    from anima_pwa.services.identity import sessions

    now = utcnow()
    with Session(engine) as db:
        connection = db.connection()
        connection.execute(
            insert(Account.__table__),  # type: ignore[attr-defined]
            [
                dict(email=f"{prefix}{i}@example.org", email_normalized=f"{prefix}{i}@example.org", kind="patient",
                     status="active", email_verified_at=now, password_changed_at=now, notify_by_email=True,
                     notify_by_sms=False, created_at=now, updated_at=now)
                for i in range(count)
            ],
        )  # fmt: skip
        accounts = db.exec(
            select(Account).where(Account.email.startswith(prefix)).order_by(Account.id)  # type: ignore[union-attr]
        ).all()
        connection.execute(
            insert(Patient.__table__),  # type: ignore[attr-defined]
            [
                dict(full_name=f"Bench Patient {prefix}{i}", date_of_birth=date(1960 + i % 40, 1 + i % 12, 1 + i % 28),
                     postcode="MB1 1AA", practice_id=practice_id, verification_status="verified", verified_at=now,
                     created_at=now, updated_at=now)
                for i in range(count)
            ],
        )  # fmt: skip
        patient_ids = db.exec(
            select(Patient.id)
            .where(Patient.practice_id == practice_id, Patient.full_name.startswith(f"Bench Patient {prefix}"))  # type: ignore[attr-defined]
            .order_by(Patient.id)  # type: ignore[arg-type]
        ).all()
        connection.execute(
            insert(AccountPatient.__table__),  # type: ignore[attr-defined]
            [
                dict(account_id=a.id, patient_id=p, relationship="self", approval_status="not_needed",
                     approval_note="", approval_reason="", created_at=now)
                for a, p in zip(accounts, patient_ids, strict=True)
            ],
        )  # fmt: skip
        tokens = [sessions.start(db, a, ip="203.0.113.9", user_agent="anima-bench") for a in accounts]
        db.commit()
    return list(zip(patient_ids, tokens, strict=True))  # type: ignore[arg-type]


def session_cookie(token: str) -> dict[str, str]:
    from anima_pwa import cookies

    return {cookies.SESSION: token}
