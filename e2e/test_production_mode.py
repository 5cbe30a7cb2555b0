"""Production mode survives a restart: PostgreSQL, Redis and 2 worker processes; the app server is
stopped under a signed-in patient part-way through a request and started again, and the open tab
carries on where it was (issue 14). The same for the one-worker default, whose tab state is in
memory and so lost: the tab rebuilds its page from the database.

The test starts its own app (the conftest's helpers, its own port and frontend folder, the session's
database, its own Redis database) so that it can stop and start it without touching the app the
other journeys share."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import text

from e2e.conftest import (
    ROOT,
    App,
    Shots,
    app_env,
    build_lock_path,
    close_context,
    flush_redis,
    open_context,
    prepare_database,
    redis_url_for_worker,
    start_app,
)
from e2e.journeys import answer_emergency_screen, registered_patient, settled
from tests.servers import free_port, stop

pytestmark = pytest.mark.skipif(
    not (os.environ.get("ANIMA_TEST_REDIS_URL") and os.environ.get("ANIMA_TEST_POSTGRES_URL")),
    reason="production mode needs ANIMA_TEST_POSTGRES_URL and ANIMA_TEST_REDIS_URL (.ci/run sets both)",
)


class Restartable:
    """An app server that the test can stop and start again on the same port, database and Redis."""

    def __init__(self, env: dict[str, str], port: int, log_path: Path, lock_path: Path) -> None:
        self.env, self.port, self.log_path, self.lock_path = env, port, log_path, lock_path
        self.app: App | None = None
        self.mode = "redis" if env.get("REFLEX_REDIS_URL") else "memory"

    def start(self) -> App:
        self.app = start_app(self.env, self.port, self.log_path, self.lock_path)
        return self.app

    def stop(self) -> None:
        if self.app is not None:
            stop(self.app.process)
            self.app = None


@pytest.fixture(params=["redis", "memory"])
def server(request, tmp_path_factory, database_url, mailbox, nhs_login_emulator) -> Iterator[Restartable]:
    """ "redis": production mode, tab state in Redis, 2 worker processes. "memory": the one-worker
    default (no Redis), whose tab state is lost with the process: the page must rebuild itself from
    the database (docs/ARCHITECTURE.md section 7)."""
    port = free_port()
    instance = tmp_path_factory.mktemp("restartable")
    env = app_env(
        database_url=database_url, instance=instance, port=port, mailbox=mailbox, nhs_login_emulator=nhs_login_emulator
    )
    # Its own Redis database (the shared app's number + 8) and its own frontend folder, so it never
    # meets the app the other journeys share.
    shared = redis_url_for_worker()
    assert shared is not None
    base, _, number = shared.rpartition("/")
    env["REFLEX_REDIS_URL"] = f"{base}/{int(number) + 8}"
    env["GRANIAN_WORKERS"] = "2"
    env["REFLEX_WEB_WORKDIR"] = str(ROOT / f".web-restart-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}")
    env["ANIMA_NHS_LOGIN_REDIRECT_URI"] = f"http://localhost:{port}/nhs-login/callback"
    flush_redis(env["REFLEX_REDIS_URL"])
    if request.param == "memory":
        del env["REFLEX_REDIS_URL"], env["GRANIAN_WORKERS"]
    prepare_database(env)
    restartable = Restartable(env, port, instance / "app.log", build_lock_path(tmp_path_factory))
    restartable.start()
    try:
        yield restartable
    finally:
        restartable.stop()


def _start_cough_request(page: Page) -> None:
    page.goto("/request?new=1")
    settled(page)
    page.get_by_label("You", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Medical request").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Search for what your request is about").fill("cough")
    page.get_by_role("button", name="Cough and cold").click()
    answer_emergency_screen(page)
    expect(page.get_by_text("Question 1 of")).to_be_visible()


def _rehydrations(page: Page) -> list[str]:
    """Filled in as the page's websocket receives a finished hydrate (after a reconnect)."""
    seen: list[str] = []

    def opened(socket) -> None:
        socket.on(
            "framereceived",
            lambda frame: seen.append("hydrated") if '"is_hydrated_rx_state_":true' in str(frame) else None,
        )

    page.on("websocket", opened)
    return seen


def _requests_sent(db, email: str) -> int:
    with db.connect() as connection:
        return connection.execute(
            text(
                "SELECT count(*) FROM request JOIN account ON account.id = request.account_id "
                "WHERE account.email_normalized = :e AND request.status <> 'draft'"
            ),
            {"e": email.lower()},
        ).scalar_one()


def test_a_restart_mid_request_keeps_the_patient_signed_in_with_their_answers(
    browser, server, open_every_day, mailbox, db, request
) -> None:
    """(`open_every_day` after `server`, which migrates the database when this file runs alone.)"""
    assert server.app is not None
    context = open_context(browser, server.app)
    page = context.new_page()
    shot = Shots(page, request.node.name)
    try:
        email, _ = registered_patient(page, mailbox, shot, db, "restart")
        _start_cough_request(page)
        page.locator("input[type=radio][name=answer]").first.check()
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_text("Question 2 of")).to_be_visible()
        shot("before-restart")

        # The app server goes away and comes back (a deployment, a crash and restart).
        rebuilt = _rehydrations(page)
        server.stop()
        server.start()
        if server.mode == "memory":
            # The tab's state went with the process. The tab reconnects by itself and its page is
            # rebuilt from the database (Reflex re-runs the page's on_load); an event sent in the
            # moment of reconnecting can reach the new, empty state first and do nothing (the
            # patient presses again), so wait for the rebuild as a person would see it.
            for _ in range(300):
                if rebuilt:
                    break
                page.wait_for_timeout(100)  # Playwright delivers websocket frames while waiting
            assert rebuilt, "the tab did not reconnect and rebuild its page within 30 s"

        # The same tab, never reloaded: its next event reconnects (to whichever worker), and the
        # page goes on from the same question with the answer given before the restart.
        page.get_by_role("button", name="Back", exact=True).click()
        expect(page.get_by_text("Question 1 of")).to_be_visible(timeout=30_000)
        expect(page.locator("input[type=radio][name=answer]").first).to_be_checked()
        shot("after-restart")
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_text("Question 2 of")).to_be_visible()

        # Still signed in: the rest of the request and Send work.
        from e2e.test_requests import answer_until_anything_else

        answer_until_anything_else(page, shot)
        page.get_by_role("button", name="Continue").click()
        page.get_by_label("A phone call").check()
        page.get_by_label("Text message to my mobile").check()
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
        page.get_by_role("button", name="Send request").click()
        expect(page.get_by_role("heading", name="Request sent")).to_be_visible()
        shot("sent")
        assert _requests_sent(db, email) == 1
    finally:
        try:
            shot("last")
        except Exception:  # noqa: BLE001 - a closed page has nothing to show
            pass
        close_context(context)
