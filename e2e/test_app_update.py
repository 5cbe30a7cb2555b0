"""Issue 13: a new version of the app replaces the old one on the next launch, by itself.

Build, load, rebuild, relaunch, for real: a copy of the project is built and served, a phone opens
it (the service worker installs and caches the shell); the copy is changed (a page's heading and
the stylesheet, as a release would), rebuilt and served again on the same address; the phone is
"relaunched" (every page closed, a new one opened, as tapping the home-screen icon does). The new
build's page must show at once (pages come from the network first, never a stale shell), and the
new build's service worker must have replaced the old one and deleted its cache, with nobody
pressing anything.

The copy reuses this worker's frontend build folder (its node_modules), so each build is Reflex's
compile and Vite's build, not a fresh install."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from playwright.sync_api import Page, expect

from e2e.conftest import ROOT, app_env, prepare_database, start_app
from tests.servers import free_port, stop

OLD_HEADING = "Contact your GP practice online"
NEW_HEADING = "Contact your GP practice online, now faster"
COPIED = ("anima_pwa", "assets", "alembic", "alembic.ini", "rxconfig.py", "reflex.lock")


def _copy_project(to: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, to / name, ignore=ignore)
        else:
            shutil.copy2(source, to / name)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    built = ROOT / (f".web-{worker}" if worker and worker != "gw0" else ".web")
    if (built / "node_modules").is_dir():
        shutil.copytree(built, to / ".web", symlinks=True)


def _worker_state(page: Page) -> dict:
    """The active service worker's script and the caches it keeps, once one controls the page."""
    return page.evaluate(
        """() => navigator.serviceWorker.ready.then((r) => caches.keys().then((keys) =>
             ({script: r.active && r.active.scriptURL, caches: keys.sort(),
               controlled: !!navigator.serviceWorker.controller})))"""
    )


def _served_version(url: str) -> str:
    import re
    import urllib.request

    with urllib.request.urlopen(f"{url}/sw.js", timeout=5) as response:
        match = re.search(r'const VERSION = "([^"]+)";', response.read().decode())
    assert match
    return match.group(1)


def _wait_for(page: Page, predicate, what: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    state = _worker_state(page)
    while not predicate(state):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: still {state}")
        page.wait_for_timeout(250)
        state = _worker_state(page)
    return state


def test_a_new_build_replaces_the_old_one_on_the_next_launch(browser, tmp_path, mailbox, nhs_login_emulator) -> None:
    project = tmp_path / "project"
    project.mkdir()
    _copy_project(project)
    port = free_port()
    url = f"http://localhost:{port}"
    instance = tmp_path / "instance"
    instance.mkdir()
    env = app_env(
        port=port,
        database_url=f"sqlite:///{tmp_path / 'update.db'}",
        instance=instance,
        mailbox=mailbox,
        nhs_login_emulator=nhs_login_emulator,
    )
    env["REFLEX_WEB_WORKDIR"] = str(project / ".web")
    for production_only in ("REFLEX_REDIS_URL", "GRANIAN_WORKERS"):  # one worker, its own tab states
        env.pop(production_only, None)
    prepare_database(env, cwd=project, demo=False)
    lock = tmp_path / "build.lock"  # its own copy of reflex.lock/: no need to wait for the others

    # Build 1, loaded on a phone: its worker installs and caches the shell.
    server = start_app(env, port, tmp_path / "app-1.log", lock, cwd=project).process
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, base_url=url)
    try:
        page = context.new_page()
        page.goto("/")
        expect(page.get_by_role("heading", name=OLD_HEADING, exact=True)).to_be_visible()
        first_version = _served_version(url)
        first = _wait_for(page, lambda s: s["controlled"] and s["caches"] == [first_version], "the first worker")
        page.close()
    finally:
        stop(server)

    # A release: a page and the stylesheet change; build 2 on the same address.
    page_file = project / "anima_pwa" / "pages" / "identity" / "auth.py"
    source = page_file.read_text(encoding="utf-8")
    assert f'rx.el.h1("{OLD_HEADING}")' in source
    page_file.write_text(source.replace(f'rx.el.h1("{OLD_HEADING}")', f'rx.el.h1("{NEW_HEADING}")'), encoding="utf-8")
    css = project / "assets" / "anima.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n:root { --release: 2; }\n", encoding="utf-8")
    server = start_app(env, port, tmp_path / "app-2.log", lock, cwd=project).process
    try:
        second_version = _served_version(url)
        assert second_version != first_version

        # Relaunch: the new page at once, and the new worker in charge with only its own cache.
        page = context.new_page()
        page.goto("/")
        expect(page.get_by_role("heading", name=NEW_HEADING, exact=True)).to_be_visible()
        assert page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--release').trim()") == "2"
        second = _wait_for(page, lambda s: s["controlled"] and s["caches"] == [second_version], "the new worker")
        assert second["script"] == first["script"]  # the same /sw.js, a new worker behind it
        page.reload()
        expect(page.get_by_role("heading", name=NEW_HEADING, exact=True)).to_be_visible()
    finally:
        context.close()
        stop(server)


def test_the_app_is_installable_and_offline_it_says_to_call_999(phone: Page, app, shot) -> None:
    """Chromium's own installability check (manifest, icons, a service worker with a fetch handler)
    finds nothing missing; with no network a page is the offline page, which names 999."""
    phone.goto("/")
    phone.evaluate("() => navigator.serviceWorker.ready")
    cdp = phone.context.new_cdp_session(phone)
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # Playwright's browser contexts are incognito profiles, which never install anything: that one
    # is about the test's browser, not the app.
    assert [e for e in errors if e["errorId"] != "in-incognito"] == [], errors
    manifest = cdp.send("Page.getAppManifest")
    assert not manifest.get("errors"), manifest.get("errors")
    cdp.detach()
    phone.wait_for_function("() => !!navigator.serviceWorker.controller")
    phone.context.set_offline(True)
    try:
        phone.goto("/requests")
        expect(phone.get_by_role("heading", name="You are offline")).to_be_visible()
        expect(phone.get_by_text("In an emergency call 999.")).to_be_visible()
        shot("offline")
    finally:
        phone.context.set_offline(False)
