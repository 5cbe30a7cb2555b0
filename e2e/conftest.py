"""End-to-end fixtures: a real SMTP server, the app run as `make run` runs it, and Chromium.

- The SMTP server is aiosmtpd on a free port; the app delivers its outbox to it over SMTP.
- The app is `reflex run --env prod --single-port` (the production build) against a fresh
  database: PostgreSQL when ANIMA_TEST_POSTGRES_URL is set (CI sets it), otherwise SQLite. With
  ANIMA_TEST_REDIS_URL set (CI sets it too) it runs in production mode: tab state in Redis (each
  xdist worker its own database number, emptied first) and 2 worker processes.
  Demo data (practices and registers) is loaded with the admin CLI; demo mode is off, so there is
  no demo mailbox: links are read from the emails the SMTP server received.
- Patients use a 390x844 phone viewport. Each step's screenshot goes to e2e/artifacts/.
"""

from __future__ import annotations

import email
import email.policy
import fcntl
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from sqlalchemy import create_engine, text

from tests.servers import free_port, stop, wait_until_up

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "e2e" / "artifacts"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def client_address() -> str:
    """A documentation-range address (RFC 5737) standing for one test's browser."""
    return f"203.0.113.{random.randint(1, 254)}"


# SMTP ------------------------------------------------------------------------------------------


@dataclass
class Mailbox:
    """Every message the test SMTP server received, parsed."""

    messages: list[email.message.EmailMessage] = field(default_factory=list)
    condition: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.condition:
            self.messages.append(message)  # type: ignore[arg-type]
            self.condition.notify_all()
        return "250 OK"

    def wait_for(self, to: str, subject: str, *, timeout: float = 30.0, after: int = 0) -> email.message.EmailMessage:
        """The first message to `to` whose subject contains `subject` (skipping the first `after`)."""
        deadline = time.monotonic() + timeout
        with self.condition:
            while True:
                found = [
                    m
                    for m in self.messages
                    if m["To"] and to.lower() in m["To"].lower() and subject.lower() in (m["Subject"] or "").lower()
                ]
                if len(found) > after:
                    return found[after]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no email to {to} about {subject!r} within {timeout}s")
                self.condition.wait(remaining)

    def count(self, to: str, subject: str) -> int:
        with self.condition:
            return sum(
                1
                for m in self.messages
                if m["To"] and to.lower() in m["To"].lower() and subject.lower() in (m["Subject"] or "").lower()
            )


def body_of(message: email.message.EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]


def link_in(message: email.message.EmailMessage) -> str:
    match = re.search(r"https?://\S+", body_of(message))
    assert match, "no link in the email"
    return match.group(0)


def code_in(message: email.message.EmailMessage) -> str:
    match = re.search(r"\b(\d{6})\b", body_of(message))
    assert match, "no 6-digit code in the email"
    return match.group(1)


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port  # type: ignore[attr-defined]
    yield box
    controller.stop()


# Database --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    server = os.environ.get("ANIMA_TEST_POSTGRES_URL")
    if not server:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'e2e.db'}"
        return
    name = f"anima_e2e_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    base = server.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def db(database_url):
    """An engine on the app's database, for test set-up (e.g. making a link old) and checks."""
    from anima_pwa.db import make_engine

    engine = make_engine(database_url)
    yield engine
    engine.dispose()


# The app ---------------------------------------------------------------------------------------


@dataclass
class App:
    url: str
    process: subprocess.Popen
    log_path: Path


@dataclass
class Emulator:
    url: str
    client_id: str
    key_file: Path
    process: subprocess.Popen


def _exclusive_lock(path: Path) -> IO[str]:
    """Wait for, and hold until the returned file is closed, a lock shared by every xdist worker."""
    handle = path.open("a")
    fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


@pytest.fixture(scope="session")
def app_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def nhs_login_emulator(tmp_path_factory, app_port) -> Iterator[Emulator]:
    """The local NHS login emulator, as `make run` starts it in demo mode."""
    port = free_port()
    folder = tmp_path_factory.mktemp("nhs_login")
    key_file = folder / "client_key.pem"
    url = f"http://localhost:{port}"
    log_path = folder / "emulator.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "anima_pwa.nhs_login_emulator",
                "--port",
                str(port),
                "--issuer",
                url,
                "--client-id",
                "anima-e2e",
                "--client-key-file",
                str(key_file),
                "--redirect-uri",
                f"http://localhost:{app_port}/nhs-login/callback",
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_up(url, process, log_path, path="/healthz", timeout=60)
        yield Emulator(url=url, client_id="anima-e2e", key_file=key_file, process=process)
    finally:
        stop(process)


def _secret_key() -> str:
    from anima_pwa.settings import settings

    return settings.secret_key


def _vapid_key(instance: Path) -> Path:
    from anima_pwa.services.platform.notifications import push

    path = instance / "vapid_private_key.pem"
    push.ensure_key(path)
    return path


def redis_url_for_worker() -> str | None:
    """ANIMA_TEST_REDIS_URL with this xdist worker's own database number (gw0 -> 1, gw1 -> 2, ...;
    1 without xdist), or None when it is not set."""
    server = os.environ.get("ANIMA_TEST_REDIS_URL", "").strip()
    if not server:
        return None
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    number = int(worker[2:]) + 1 if worker.startswith("gw") and worker[2:].isdigit() else 1
    scheme, _, rest = server.partition("://")
    host = rest.split("/", 1)[0]
    return f"{scheme}://{host}/{number}"


def flush_redis(url: str) -> None:
    """Empty one Redis database: tab states left by an earlier run must not meet this run's app."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


def app_env(
    *, database_url: str, instance: Path, port: int, mailbox: Mailbox, nhs_login_emulator: Emulator
) -> dict[str, str]:
    """The environment the app runs with in the e2e suite (as `make run` runs it, demo mode off).
    With ANIMA_TEST_REDIS_URL: Redis (this worker's own database) and 2 worker processes."""
    env = {
        **os.environ,
        "REFLEX_DB_URL": database_url,
        "ANIMA_INSTANCE_DIR": str(instance),
        "ANIMA_PORT": str(port),
        "ANIMA_BASE_URL": f"http://localhost:{port}",
        "ANIMA_SMTP_URL": f"smtp://127.0.0.1:{mailbox.port}",  # type: ignore[attr-defined]
        "ANIMA_EMAIL_FROM": "Anima <no-reply@anima.test>",
        # The same key as this test process, so a link made here by a service (e.g. a new member of
        # staff's MFA enrolment link, made as the admin CLI makes it) works in the app.
        "ANIMA_SECRET_KEY": _secret_key(),
        "ANIMA_OUTBOX_POLL_SECONDS": "0.3",
        # Web push on (e2e/test_push.py): the VAPID key the app signs with.
        "ANIMA_VAPID_PRIVATE_KEY_FILE": str(_vapid_key(instance)),
        # Each test's browser is a different client (its own X-Forwarded-For), as real patients
        # are: otherwise the per-client limits on sign-up would stop a long suite part-way.
        "ANIMA_TRUSTED_PROXY_HOPS": "1",
        "ANIMA_NHS_LOGIN_ISSUER": nhs_login_emulator.url,
        "ANIMA_NHS_LOGIN_CLIENT_ID": nhs_login_emulator.client_id,
        "ANIMA_NHS_LOGIN_PRIVATE_KEY_FILE": str(nhs_login_emulator.key_file),
        "ANIMA_NHS_LOGIN_VTR": '["P9.Cp.Cd","P9.Cp.Ck","P9.Cm"]',
        "ANIMA_NHS_LOGIN_REDIRECT_URI": f"http://localhost:{port}/nhs-login/callback",
        "PATH": f"{ROOT / '.tools' / 'node_modules' / '.bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "REFLEX_USE_SYSTEM_BUN": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        "REFLEX_HTTP_CLIENT_BIND_ADDRESS": "0.0.0.0",
    }
    env.pop("ANIMA_DEMO", None)
    env.pop("REFLEX_REDIS_URL", None)
    env.pop("GRANIAN_WORKERS", None)
    redis_url = redis_url_for_worker()
    # The shared app runs every journey in production mode only when asked: in CI's load on two
    # cores a few journeys' pages intermittently waited over 5 s for their first update in that mode
    # (README "Not built yet"); e2e/test_production_mode.py always runs on Redis with 2 workers.
    if redis_url and os.environ.get("ANIMA_TEST_JOURNEYS_IN_PRODUCTION_MODE") == "1":
        # Production mode: tab state in Redis, two worker processes (each with its own websockets
        # and its own copy of the background tasks).
        env["REFLEX_REDIS_URL"] = redis_url
        env["GRANIAN_WORKERS"] = "2"
    # Under pytest-xdist (`make test` runs the journeys on two workers) each worker's app builds its
    # frontend in its own folder, so two builds never write the same `.web`.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker and worker != "gw0":
        env["REFLEX_WEB_WORKDIR"] = str(ROOT / f".web-{worker}")
    return env


def prepare_database(env: dict[str, str], *, cwd: Path = ROOT, demo: bool = True) -> None:
    """Migrate the app's database and load the demo practices (with `demo`), as `make run` does."""
    for command in (["migrate"], ["seed-demo"]) if demo else (["migrate"],):
        subprocess.run(
            [sys.executable, "-m", "anima_pwa.admin", *command], cwd=cwd, env=env, check=True, capture_output=True
        )


def start_app(env: dict[str, str], port: int, log_path: Path, lock_path: Path, *, cwd: Path = ROOT) -> App:
    """`reflex run --env prod --single-port` on ``port`` in ``cwd`` (the project, or a copy of it),
    built and answering /ping.

    Every worker's build reads and writes the one `reflex.lock/` folder of the project (Reflex
    copies its lockfiles into the build folder, installs with --frozen-lockfile, then copies them
    back): two builds at once can read a half-written lockfile and stop with "The persisted
    lockfile is out of sync". So the workers build one at a time (``lock_path``, shared by every
    xdist worker); on two cores that costs little, since two builds at once share the same CPUs.
    The lock is held until the app answers /ping."""
    reflex = str(Path(sys.executable).parent / "reflex")
    build_lock = _exclusive_lock(lock_path)
    with log_path.open("a") as log:
        process = subprocess.Popen(
            [
                reflex,
                "run",
                "--env",
                "prod",
                "--single-port",
                "--frontend-port",
                str(port),
                "--backend-port",
                str(port),
            ],
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://localhost:{port}"
    try:
        wait_until_up(url, process, log_path)
    except BaseException:
        stop(process)
        raise
    finally:
        build_lock.close()
    return App(url=url, process=process, log_path=log_path)


def build_lock_path(tmp_path_factory) -> Path:
    return tmp_path_factory.getbasetemp().parent / "app-build.lock"


@pytest.fixture(scope="session")
def app(tmp_path_factory, database_url, mailbox, nhs_login_emulator, app_port) -> Iterator[App]:
    instance = tmp_path_factory.mktemp("instance")
    env = app_env(
        database_url=database_url,
        instance=instance,
        port=app_port,
        mailbox=mailbox,
        nhs_login_emulator=nhs_login_emulator,
    )
    if env.get("REFLEX_REDIS_URL"):
        flush_redis(env["REFLEX_REDIS_URL"])
    prepare_database(env)
    started = start_app(env, app_port, instance / "app.log", build_lock_path(tmp_path_factory))
    try:
        yield started
    finally:
        stop(started.process)


# The browser -----------------------------------------------------------------------------------


def _chromium() -> str | None:
    for candidate in (
        os.environ.get("ANIMA_CHROMIUM"),
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        shutil.which("chromium"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None  # Playwright's own browser (a laptop that ran `playwright install chromium`)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Shots:
    """Numbered screenshots of one test's steps, under e2e/artifacts/<test name>/."""

    def __init__(self, page: Page, name: str):
        self.page = page
        self.folder = ARTIFACTS / name
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def __call__(self, step: str) -> None:
        self.count += 1
        self.page.screenshot(path=str(self.folder / f"{self.count:02d}-{step}.png"), full_page=True)


class Watch:
    """JavaScript errors and Content-Security-Policy violations on every page of a browser context
    (Chromium reports each violation on the console: "Refused to ... Content Security Policy")."""

    def __init__(self, context: BrowserContext):
        self.errors: list[str] = []
        self.csp: list[str] = []
        context.on("page", self._attach)
        for page in context.pages:
            self._attach(page)

    def _attach(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", self._console)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.csp.append(message.text)

    def check(self) -> None:
        assert not self.errors, f"JavaScript errors on the page: {self.errors}"
        assert not self.csp, f"Content-Security-Policy violations: {self.csp}"


def open_context(browser: Browser, app: App, *, phone: bool = True) -> BrowserContext:
    """A new browser (its own cookies and address), phone-sized or desktop; `context.watch` records
    JavaScript errors and CSP violations: call `context.watch.check()` before closing it."""
    size = dict(viewport=PHONE, is_mobile=True, has_touch=True) if phone else dict(viewport=DESKTOP)
    context = browser.new_context(
        **size,
        device_scale_factor=1,
        base_url=app.url,
        locale="en-GB",
        extra_http_headers={"X-Forwarded-For": client_address()},
    )
    context.set_default_timeout(15_000)
    context.watch = Watch(context)  # type: ignore[attr-defined]
    return context


def close_context(context: BrowserContext) -> None:
    """Close a context from open_context, failing on any JavaScript error or CSP violation it saw."""
    watch: Watch = context.watch  # type: ignore[attr-defined]
    context.close()
    watch.check()


@pytest.fixture
def phone(browser, app, request) -> Iterator[Page]:
    context = open_context(browser, app)
    page = context.new_page()
    page.shots = Shots(page, request.node.name)  # type: ignore[attr-defined]
    yield page
    try:  # the last screen, whatever happened: the first thing to look at when a test fails
        page.shots("last")  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - a closed page has nothing to show
        pass
    close_context(context)


@pytest.fixture
def shot(phone) -> Shots:
    return phone.shots  # type: ignore[attr-defined]


@pytest.fixture
def desk(browser, app, request, mailbox):
    context = open_context(browser, app, phone=False)
    page = context.new_page()
    page.shots = Shots(page, request.node.name + "-desk")  # type: ignore[attr-defined]
    page.mailbox = mailbox  # type: ignore[attr-defined]  (staff read their MFA set-up link from it)
    yield page
    try:
        page.shots("last")  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - a closed page has nothing to show
        pass
    close_context(context)


@pytest.fixture
def open_every_day(db):
    """Requests are open all day, every day, unless a test says otherwise (the clock is real)."""
    from e2e.journeys import practice_settings

    practice_settings(db)
    yield
    practice_settings(db)
