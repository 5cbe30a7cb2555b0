"""The session cookie, the Content-Security-Policy, a page left idle, and a tab's state that
belongs only to the session that built it, in real Chromium.

Every journey in this suite also fails on any CSP violation (e2e/conftest.py Watch)."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import text

from anima_pwa.models import utcnow
from e2e.conftest import close_context, open_context
from e2e.journeys import registered_patient, settled

PAGES = [
    "/",
    "/login",
    "/forgot-password",
    "/privacy",
    "/practice/login",
    "/home",
    "/settings",
    "/request",
    "/requests",
]


def directives(policy: str) -> dict[str, str]:
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in policy.split("; ")}


def test_the_session_is_an_httponly_cookie_and_every_page_has_a_csp(phone, shot, mailbox, db, app):
    email, person = registered_patient(phone, mailbox, shot, db, "cookie")

    cookies = {cookie["name"]: cookie for cookie in phone.context.cookies()}
    session = cookies["anima_session"]
    assert session["httpOnly"] and session["sameSite"] == "Strict" and session["path"] == "/"
    assert cookies["anima_device"]["httpOnly"] and cookies["anima_device"]["sameSite"] == "Strict"
    assert "anima_session" not in phone.evaluate("document.cookie")  # no script can read it
    assert "anima_device" not in phone.evaluate("document.cookie")

    for path in PAGES:
        response = phone.goto(path)
        assert response is not None and response.ok, path
        policy = directives(response.headers["content-security-policy"])
        assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"], path
        assert policy["object-src"] == "'none'" and policy["base-uri"] == "'none'", path
        assert policy["frame-ancestors"] == "'none'", path
        assert policy["connect-src"] == f"'self' {app.url.replace('http://', 'ws://')}", path
        settled(phone)
    shot("after-every-page")  # the Watch fails the test on any violation these pages reported


def test_a_page_left_idle_clears_itself_and_goes_to_sign_in(browser, app, mailbox, db):
    context = open_context(browser, app)
    page = context.new_page()
    page.clock.install()  # the page's timers and clock, moved on by the test
    from e2e.conftest import Shots

    shot = Shots(page, "idle-page")
    email, person = registered_patient(page, mailbox, shot, db, "idlepage")
    page.goto("/home")
    settled(page)
    expect(page.get_by_text(person.full_name, exact=False).first).to_be_visible()

    with db.begin() as connection:  # nobody has used this session for 31 minutes
        connection.execute(
            text(
                "UPDATE auth_session SET last_seen_at = :t WHERE account_id = "
                "(SELECT id FROM account WHERE email_normalized = :e)"
            ),
            {"t": utcnow() - timedelta(minutes=31), "e": email.lower()},
        )
    page.clock.fast_forward("30:30")  # the page sits untouched past the idle limit

    expect(page.get_by_role("heading", name="Login", exact=True)).to_be_visible()
    expect(page.get_by_text("For your security you have been signed out")).to_be_visible()
    expect(page.get_by_text(person.full_name, exact=False)).to_have_count(0)
    assert "anima_session" not in {cookie["name"] for cookie in context.cookies()}
    shot("signed-out-by-itself")
    close_context(context)


def test_a_page_left_idle_while_another_tab_is_in_use_stays_signed_in(browser, app, mailbox, db):
    context = open_context(browser, app)
    page = context.new_page()
    page.clock.install()
    from e2e.conftest import Shots

    email, person = registered_patient(page, mailbox, Shots(page, "idle-other-tab"), db, "idletabs")
    page.goto("/home")
    settled(page)
    page.clock.fast_forward("30:30")  # this tab is idle, but the session was used a moment ago
    expect(page.get_by_role("heading", name="Login", exact=True)).to_have_count(0)
    settled(page)
    expect(page.get_by_text(person.full_name, exact=False).first).to_be_visible()
    close_context(context)


def test_a_tabs_state_is_never_sent_to_another_session(phone, browser, app, mailbox, db, shot):
    email, person = registered_patient(phone, mailbox, shot, db, "tabstate")
    phone.goto("/home")
    settled(phone)
    expect(phone.get_by_text(person.full_name, exact=False).first).to_be_visible()
    token = phone.evaluate("window.sessionStorage.getItem('token')")
    assert token
    phone.goto("about:blank")  # the owner's tab disconnects (Reflex gives a live tab's token to no one else)

    # Someone else's browser, without the session cookie, picks up the same tab token.
    other = open_context(browser, app)
    other.add_init_script(f"try {{ window.sessionStorage.setItem('token', {token!r}); }} catch (e) {{}}")
    thief = other.new_page()
    received: list[str] = []
    thief.on("websocket", lambda ws: ws.on("framereceived", lambda frame: received.append(str(frame))))
    thief.goto("/home")
    expect(thief.get_by_role("heading", name="Login", exact=True)).to_be_visible()
    settled(thief)
    assert received, "the test saw no websocket traffic"
    assert not [frame for frame in received if person.family in frame], "the other session was sent this tab's data"
    close_context(other)

    # The owner's tab carries on; its state is rebuilt for its own session.
    phone.goto("/home")
    settled(phone)
    expect(phone.get_by_text(person.full_name, exact=False).first).to_be_visible()
