"""The session in an HttpOnly cookie set by the server, sign-in throttling with device cookies,
the handoff between them, and the Content-Security-Policy.

- services.identity.devices: device cookies (OWASP's scheme), and accounts.sign_in throttling with them:
  the owner on a known device signs in while the account is under attack from elsewhere;
- services.identity.sessions handoffs: single use, short-lived, the token never stored in clear;
- anima_pwa.cookies: the cookie flags;
- anima_pwa.http: /auth/session, /auth/check and /auth/sign-out over HTTP (Starlette's test
  client), refusing requests another site started; the CSP on pages, with their inline scripts'
  hashes, and never on a 304.
"""

from __future__ import annotations

import base64
import dataclasses
import gzip
import hashlib
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from anima_pwa import cookies, http, routes
from anima_pwa.models import AuditEvent, AuthSession, OneTimeToken, utcnow
from anima_pwa.services.identity import accounts, devices, sessions
from anima_pwa.services.identity.accounts import FORM, WRONG_CREDENTIALS
from anima_pwa.settings import settings
from tests.factories import make_account
from tests.web import factory_for

pytestmark = pytest.mark.usefixtures("cheap_argon2")

PASSWORD = "Kettle-Harbour-42"
WRONG = "Wrong-Ladder-1"
LOCKED = "Too many attempts to sign in. Try again in 15 minutes."


def sign_in(
    db: Session, password: str = PASSWORD, *, device: str = "", ip: str = "198.51.100.1", email: str = "jo@example.com"
):
    return accounts.sign_in(db, email=email, password=password, client_ip=ip, device_cookie=device)


def known_device(login: str = "jo@example.com") -> str:
    """The device cookie a browser holds after signing in to `login` once."""
    return devices.remember("", login)


# --- device cookies ------------------------------------------------------------------------------


def test_a_device_cookie_is_trusted_only_for_its_own_login():
    cookie = known_device("jo@example.com")
    assert devices.trusted_entry(cookie, "jo@example.com") == cookie
    assert devices.trusted_entry(cookie, "JO@Example.com") == cookie  # logins are normalised emails
    assert devices.trusted_entry(cookie, "amy@example.com") is None
    assert devices.trusted_entry(cookie, "") is None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda c: c[:-1] + ("0" if c[-1] != "0" else "1"),  # the signature changed
        lambda c: ("A" if c[0] != "A" else "B") + c[1:],  # the nonce changed
        lambda c: c.split(".")[0],  # no signature
        lambda c: "",
        lambda c: "~~~" + "x" * 5000,
        lambda c: c.replace(".", ";"),
    ],
)
def test_a_forged_or_damaged_device_cookie_is_not_trusted(tamper):
    assert devices.trusted_entry(tamper(known_device()), "jo@example.com") is None


def test_a_device_made_with_another_secret_key_is_not_trusted(monkeypatch):
    cookie = known_device()
    monkeypatch.setattr(devices, "settings", dataclasses.replace(settings, secret_key="another key"))
    assert devices.trusted_entry(cookie, "jo@example.com") is None


def test_one_browser_remembers_several_logins_newest_first_and_at_most_five():
    cookie = ""
    for n in range(7):
        cookie = devices.remember(cookie, f"user{n}@example.com")
    entries = cookie.split("~")
    assert len(entries) == devices.MAX_ENTRIES
    assert devices.trusted_entry(cookie, "user6@example.com") == entries[0]
    assert devices.trusted_entry(cookie, "user2@example.com") is not None
    assert devices.trusted_entry(cookie, "user1@example.com") is None  # the oldest went
    again = devices.remember(cookie, "user4@example.com")  # signing in again replaces its entry
    assert len(again.split("~")) == devices.MAX_ENTRIES
    assert devices.trusted_entry(again, "user4@example.com") == again.split("~")[0]
    assert devices.trusted_entry(again, "user2@example.com") is not None


# --- throttling -------------------------------------------------------------------------------


def test_the_owner_on_a_known_device_signs_in_while_the_account_is_under_attack(db_session):
    make_account(db_session, "jo@example.com", password=PASSWORD)
    owner = known_device()
    for n in range(12):  # guesses from many addresses, none with a device cookie
        sign_in(db_session, WRONG, ip=f"203.0.113.{n}")
    # Unknown devices are refused, even with the right password: the guessing is stopped...
    refused = sign_in(db_session, PASSWORD, ip="203.0.113.99")
    assert refused.errors == {FORM: LOCKED} and refused.session_token is None
    # ...but the owner's own browser still gets in.
    outcome = sign_in(db_session, PASSWORD, device=owner, ip="203.0.113.99")
    assert outcome.ok and outcome.session_token
    # And the owner's success doesn't lift the lock on unknown devices.
    assert sign_in(db_session, PASSWORD, ip="203.0.113.100").errors == {FORM: LOCKED}


def test_guessing_from_one_known_device_locks_out_that_device_only(db_session):
    make_account(db_session, "jo@example.com", password=PASSWORD)
    stolen = known_device()
    owner = known_device()  # another browser of the owner's, signed in separately
    for _ in range(accounts.SIGN_IN_PER_DEVICE.max_hits):
        assert sign_in(db_session, WRONG, device=stolen).errors == {FORM: WRONG_CREDENTIALS}
    assert sign_in(db_session, PASSWORD, device=stolen).errors == {FORM: LOCKED}
    assert sign_in(db_session, PASSWORD, device=owner).ok
    assert sign_in(db_session, PASSWORD).ok  # unknown devices were never counted


def test_a_known_device_cookie_for_another_account_counts_as_unknown(db_session):
    make_account(db_session, "jo@example.com", password=PASSWORD)
    someone_else = known_device("amy@example.com")
    for _ in range(5):
        sign_in(db_session, WRONG, device=someone_else)
    assert sign_in(db_session, PASSWORD, device=someone_else).errors == {FORM: LOCKED}
    assert sign_in(db_session, PASSWORD, device=known_device()).ok


def test_a_known_devices_failures_do_not_count_against_its_network_address(db_session):
    make_account(db_session, "jo@example.com", password=PASSWORD)
    make_account(db_session, "amy@example.com", password=PASSWORD)
    device = known_device()
    ip = "198.51.100.7"
    for _ in range(accounts.SIGN_IN_PER_DEVICE.max_hits - 1):
        sign_in(db_session, WRONG, device=device, ip=ip)
    limit = accounts.SIGN_IN_PER_CLIENT.max_hits
    for n in range(limit - 1):  # one short of the address's limit, from unknown devices
        sign_in(db_session, WRONG, ip=ip, email=f"guess{n}@example.com")
    assert sign_in(db_session, PASSWORD, ip=ip, email="amy@example.com").ok  # the device's 4 didn't count
    sign_in(db_session, WRONG, ip=ip, email="guess-last@example.com")
    assert sign_in(db_session, PASSWORD, ip=ip, email="amy@example.com").errors == {FORM: LOCKED}
    assert sign_in(db_session, PASSWORD, device=device, ip=ip).ok  # a known device isn't held by it


def test_success_on_a_known_device_clears_its_count(db_session):
    make_account(db_session, "jo@example.com", password=PASSWORD)
    device = known_device()
    for _ in range(2):
        for _ in range(accounts.SIGN_IN_PER_DEVICE.max_hits - 1):
            sign_in(db_session, WRONG, device=device)
        assert sign_in(db_session, PASSWORD, device=device).ok


# --- handoffs -----------------------------------------------------------------------------------


def signed_in_token(db: Session) -> str:
    make_account(db, "jo@example.com", password=PASSWORD)
    outcome = sign_in(db)
    assert outcome.session_token
    return outcome.session_token


def test_a_handoff_gives_its_session_once(db_session):
    token = signed_in_token(db_session)
    handoff = sessions.issue_handoff(db_session, token)
    assert handoff and handoff != token
    redeemed = sessions.redeem_handoff(db_session, handoff)
    assert redeemed is not None and redeemed[0] == token and redeemed[1].email == "jo@example.com"
    assert sessions.redeem_handoff(db_session, handoff) is None
    assert sessions.redeem_handoff(db_session, "not-a-handoff") is None
    assert sessions.redeem_handoff(db_session, "") is None


def test_the_token_is_never_stored_in_clear_and_forgotten_once_used(db_session):
    token = signed_in_token(db_session)
    handoff = sessions.issue_handoff(db_session, token)
    row = db_session.exec(select(OneTimeToken).where(OneTimeToken.purpose == sessions.HANDOFF)).one()[0]
    assert token not in row.payload and handoff not in row.payload and handoff not in row.secret_hash
    sessions.redeem_handoff(db_session, handoff)
    assert row.payload == "{}"


def test_a_handoff_lasts_a_minute(db_session):
    token = signed_in_token(db_session)
    handoff = sessions.issue_handoff(db_session, token)
    later = utcnow() + sessions.HANDOFF_LIFETIME + timedelta(seconds=1)
    assert sessions.redeem_handoff(db_session, handoff, now=later) is None


def test_a_handoff_for_a_session_that_ended_meanwhile_gives_nothing(db_session):
    token = signed_in_token(db_session)
    handoff = sessions.issue_handoff(db_session, token)
    sessions.end(db_session, token)
    assert sessions.redeem_handoff(db_session, handoff) is None
    assert sessions.issue_handoff(db_session, token) is None
    assert sessions.issue_handoff(db_session, "") is None


def test_a_handoff_made_under_another_secret_key_gives_nothing(db_session, monkeypatch):
    from anima_pwa.services.platform import crypto

    token = signed_in_token(db_session)
    handoff = sessions.issue_handoff(db_session, token)
    monkeypatch.setattr(crypto, "settings", dataclasses.replace(settings, secret_key="another key"))
    assert sessions.redeem_handoff(db_session, handoff) is None


def test_a_look_without_touching_leaves_the_idle_clock_alone(db_session):
    token = signed_in_token(db_session)
    row = db_session.get(AuthSession, hashlib.sha256(token.encode()).hexdigest())
    row.last_seen_at = utcnow() - timedelta(minutes=10)
    before = row.last_seen_at
    assert sessions.resolve(db_session, token, touch=False) is not None
    assert row.last_seen_at == before
    assert sessions.resolve(db_session, token) is not None
    assert row.last_seen_at > before


# --- cookie flags -------------------------------------------------------------------------------


def test_the_session_cookie_is_httponly_strict_and_lasts_twelve_hours():
    header = cookies.set_cookie(cookies.SESSION, "abc")
    parts = [part.strip() for part in header.split(";")]
    assert parts[0] == f"{cookies.SESSION}=abc"
    assert {"HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"} <= set(parts)
    assert not any(part.lower().startswith("domain") for part in parts)


def test_over_https_cookies_are_secure_and_host_prefixed(monkeypatch):
    assert cookies.names(secure=True) == ("__Host-anima_session", "__Host-anima_device")
    assert cookies.names(secure=False) == ("anima_session", "anima_device")
    monkeypatch.setattr(cookies, "settings", dataclasses.replace(settings, base_url="https://anima.example.nhs.uk"))
    for name in cookies.names(secure=True):
        parts = [part.strip() for part in cookies.set_cookie(name, "v").split(";")]
        assert {"Secure", "HttpOnly", "SameSite=Strict", "Path=/"} <= set(parts)
    assert "Secure" in cookies.clear("__Host-anima_session")


def test_the_device_cookie_lasts_180_days_and_clearing_expires_at_once():
    assert "Max-Age=15552000" in cookies.set_cookie(cookies.DEVICE, "x")
    assert "Max-Age=0" in cookies.clear(cookies.SESSION)


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("anima_session=abc", "abc"),
        ("a=1; anima_session=abc; b=2", "abc"),
        ('anima_session="abc"', "abc"),
        ("anima_session_old=zzz; anima_session=abc", "abc"),
        ("", ""),
        (None, ""),
        ("garbage;;==;", ""),
    ],
)
def test_reading_a_cookie_header(header, value):
    assert cookies.read(header, "anima_session") == value


# --- the HTTP endpoints ------------------------------------------------------------------------

SAME_SITE = {"sec-fetch-site": "same-origin"}


@pytest.fixture
def web(engine, monkeypatch) -> TestClient:
    """The app's own HTTP routes on the test database."""

    monkeypatch.setattr(http, "session_scope", factory_for(engine))
    monkeypatch.setattr(
        http, "settings", dataclasses.replace(settings, base_url="http://localhost:3000", trusted_proxy_hops=0)
    )
    return TestClient(http.static_routes(), base_url="http://localhost:3000", follow_redirects=False)


def new_handoff(engine, *, kind: str = "patient", email: str = "jo@example.com") -> tuple[str, str]:
    with Session(engine, expire_on_commit=False) as db:
        account = make_account(db, email, password=PASSWORD, kind=kind)
        # (Staff sign in with MFA; what is tested here is the endpoint, so the session is made directly.)
        token = sessions.start(db, account, method="password+mfa" if kind == "staff" else "password")
        handoff = sessions.issue_handoff(db, token)
        db.commit()
    return token, handoff


def set_cookies(response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.get_list("set-cookie")}


def test_auth_session_sets_the_httponly_cookies_and_goes_on(web, engine):
    token, handoff = new_handoff(engine)
    response = web.get(routes.auth_session(handoff, "/requests?x=1"), headers=SAME_SITE)
    assert response.status_code == 303 and response.headers["location"] == "/requests?x=1"
    assert response.headers["cache-control"] == "no-store"
    jar = set_cookies(response)
    assert jar[cookies.SESSION].startswith(f"{cookies.SESSION}={token};")
    assert "HttpOnly" in jar[cookies.SESSION] and "SameSite=Strict" in jar[cookies.SESSION]
    device = jar[cookies.DEVICE].split(";")[0].split("=", 1)[1]
    assert devices.trusted_entry(device, "jo@example.com") and "HttpOnly" in jar[cookies.DEVICE]
    # The same link again (the Back button): no session, off to sign in.
    again = web.get(routes.auth_session(handoff, "/requests"), headers=SAME_SITE)
    assert again.status_code == 303 and again.headers["location"].startswith(routes.LOGIN)
    assert cookies.SESSION not in set_cookies(again)


@pytest.mark.parametrize(
    "headers",
    [
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
        {"sec-fetch-site": "none"},  # typed or pasted: a link someone sent
        {"referer": "https://evil.example/page"},
        {"origin": "https://evil.example"},
        {},
    ],
)
def test_auth_session_refuses_a_request_another_site_started(web, engine, headers):
    _, handoff = new_handoff(engine)
    response = web.get(routes.auth_session(handoff, "/home"), headers=headers)
    assert response.status_code == 403 and not response.headers.get_list("set-cookie")
    # ...and the handoff is still unused for the page that made it.
    assert web.get(routes.auth_session(handoff, "/home"), headers=SAME_SITE).status_code == 303


def test_older_browsers_are_judged_by_their_referer(web, engine):
    _, handoff = new_handoff(engine)
    response = web.get(routes.auth_session(handoff, "/home"), headers={"referer": "http://localhost:3000/login"})
    assert response.status_code == 303 and cookies.SESSION in set_cookies(response)


@pytest.mark.parametrize(
    ("kind", "next_path", "landing"),
    [
        ("patient", "/home", "/home"),
        ("patient", "//evil.example/x", routes.HOME),
        ("patient", "https://evil.example/", routes.HOME),
        ("patient", "/practice/requests", routes.HOME),
        ("patient", "/login", routes.HOME),
        ("staff", "/practice/requests?id=3", "/practice/requests?id=3"),
        ("staff", "/home", routes.PRACTICE),
        ("staff", "/practice/login", routes.PRACTICE),
        ("staff", "/practice//evil.example", routes.PRACTICE),
    ],
)
def test_where_a_new_session_lands(web, engine, kind, next_path, landing):
    _, handoff = new_handoff(engine, kind=kind)
    response = web.get(routes.auth_session(handoff, next_path), headers=SAME_SITE)
    assert response.headers["location"] == landing


def test_auth_check_goes_back_while_signed_in_and_clears_an_ended_session(web, engine):
    token, _ = new_handoff(engine)
    web.cookies.set(cookies.SESSION, token)
    alive = web.get(routes.auth_check("/requests"), headers=SAME_SITE)
    assert alive.status_code == 303 and alive.headers["location"] == "/requests"
    assert not alive.headers.get_list("set-cookie")
    with Session(engine) as db:
        row = db.get(AuthSession, hashlib.sha256(token.encode()).hexdigest())
        seen = row.last_seen_at
        row.last_seen_at = utcnow() - sessions.IDLE_TIMEOUT - timedelta(seconds=5)
        db.add(row)
        db.commit()
    assert seen is not None
    ended = web.get(routes.auth_check("/requests"), headers=SAME_SITE)
    location = urlsplit(ended.headers["location"])
    assert location.path == routes.LOGIN and parse_qs(location.query) == {"next": ["/requests"], "expired": ["1"]}
    assert (
        set_cookies(ended)[cookies.SESSION].startswith(f"{cookies.SESSION}=;")
        and "Max-Age=0" in ended.headers["set-cookie"]
    )


def test_auth_check_sends_staff_to_the_workspace_sign_in(web, engine):
    web.cookies.set(cookies.SESSION, "no-such-session")
    response = web.get(routes.auth_check("/practice/requests"), headers=SAME_SITE)
    location = urlsplit(response.headers["location"])
    assert location.path == routes.PRACTICE_LOGIN
    assert parse_qs(location.query) == {"next": ["/practice/requests"], "expired": ["1"]}


def test_auth_check_without_a_cookie_just_goes_to_sign_in(web):
    response = web.get(routes.auth_check("/home"), headers=SAME_SITE)
    assert response.headers["location"] == routes.LOGIN and not response.headers.get_list("set-cookie")


def test_a_look_from_auth_check_does_not_keep_an_idle_session_alive(web, engine):
    token, _ = new_handoff(engine)
    with Session(engine) as db:
        row = db.get(AuthSession, hashlib.sha256(token.encode()).hexdigest())
        row.last_seen_at = utcnow() - timedelta(minutes=20)
        db.add(row)
        db.commit()
    web.cookies.set(cookies.SESSION, token)
    web.get(routes.auth_check("/home"), headers=SAME_SITE)
    with Session(engine) as db:
        row = db.get(AuthSession, hashlib.sha256(token.encode()).hexdigest())
        assert utcnow() - row.last_seen_at >= timedelta(minutes=19)


def test_sign_out_ends_the_session_and_clears_the_cookie(web, engine):
    token, _ = new_handoff(engine)
    web.cookies.set(cookies.SESSION, token)
    response = web.post(routes.AUTH_SIGN_OUT, headers={"origin": "http://localhost:3000"})
    assert response.status_code == 303 and response.headers["location"] == routes.LOGIN + "?signed_out=1"
    assert "Max-Age=0" in set_cookies(response)[cookies.SESSION]
    with Session(engine) as db:
        assert sessions.resolve(db, token) is None
        assert db.exec(select(AuditEvent).where(AuditEvent.action == "sign_out")).first() is not None


def test_staff_sign_out_goes_to_the_workspace_sign_in(web, engine):
    token, _ = new_handoff(engine, kind="staff", email="ann@example.org")
    web.cookies.set(cookies.SESSION, token)
    response = web.post(routes.AUTH_SIGN_OUT, headers=SAME_SITE)
    assert response.headers["location"] == routes.PRACTICE_LOGIN + "?signed_out=1"
    # An ended staff session still signs out to the workspace from a workspace page.
    response = web.post(routes.AUTH_SIGN_OUT + "?from=practice", headers=SAME_SITE)
    assert response.headers["location"] == routes.PRACTICE_LOGIN + "?signed_out=1"


def test_sign_out_from_another_site_is_refused(web, engine):
    token, _ = new_handoff(engine)
    web.cookies.set(cookies.SESSION, token)
    response = web.post(routes.AUTH_SIGN_OUT, headers={"origin": "https://evil.example"})
    assert response.status_code == 403
    with Session(engine) as db:
        assert sessions.resolve(db, token) is not None
    assert web.get(routes.AUTH_SIGN_OUT).status_code == 405


# --- Content-Security-Policy -------------------------------------------------------------------

PAGE = (
    b"<!doctype html><html><head><script>window.a=1;</script>"
    b'<script type="module" async="">import "/assets/x.js";</script>'
    b'<script src="/anima.js" defer></script></head><body><script>window.a=1;</script></body></html>'
)


def sha(script: bytes) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"


def directives(policy: str) -> dict[str, str]:
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else "" for part in policy.split("; ")}


def test_every_inline_script_is_hashed_once_and_external_ones_not():
    assert http.inline_script_hashes(PAGE) == [sha(b"window.a=1;"), sha(b'import "/assets/x.js";')]


def test_the_policy_forbids_what_the_issue_names():
    policy = directives(
        http.content_security_policy(
            dataclasses.replace(settings, base_url="https://anima.example.nhs.uk"), ["'sha256-x'"]
        )
    )
    assert policy["script-src"] == "'self' 'sha256-x'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["object-src"] == "'none'" and policy["base-uri"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert policy["connect-src"] == "'self' wss://anima.example.nhs.uk"
    assert policy["default-src"] == "'self'" and policy["form-action"] == "'self'"
    assert "unsafe-eval" not in ";".join(policy.values())


def app_serving(response: Response) -> TestClient:
    async def endpoint(_request):
        return response

    inner = Starlette(routes=[Route("/{path:path}", endpoint)])
    return TestClient(http.security_headers(dataclasses.replace(settings, base_url="http://localhost:3000"))(inner))


def test_a_page_gets_a_policy_with_its_own_scripts_hashes():
    response = app_serving(HTMLResponse(PAGE)).get("/home")
    policy = directives(response.headers["content-security-policy"])
    module = sha(b'import "/assets/x.js";')
    assert policy["script-src"] == f"'self' {sha(b'window.a=1;')} {module}"
    assert response.content == PAGE
    assert response.headers["x-frame-options"] == "DENY"


def test_a_gzipped_page_is_read_for_its_scripts_and_sent_unchanged():
    body = gzip.compress(PAGE)
    response = Response(body, media_type="text/html", headers={"content-encoding": "gzip"})
    client = app_serving(response)
    got = client.get("/home", headers={"accept-encoding": "gzip"})
    assert sha(b"window.a=1;") in got.headers["content-security-policy"]
    assert got.content == PAGE  # the client undid the gzip: the bytes went through untouched


def test_other_responses_get_the_policy_without_hashes_and_a_304_none():
    plain = app_serving(Response(b"{}", media_type="application/json")).get("/x")
    assert directives(plain.headers["content-security-policy"])["script-src"] == "'self'"
    not_modified = app_serving(Response(status_code=304, headers={"etag": '"1"'})).get("/home")
    assert "content-security-policy" not in not_modified.headers
    assert not_modified.headers["x-content-type-options"] == "nosniff"


def test_no_cookie_is_ever_set_for_scripts_to_read(web, engine):
    _, handoff = new_handoff(engine)
    response = web.get(routes.auth_session(handoff, "/home"), headers=SAME_SITE)
    assert response.headers.get_list("set-cookie")
    assert all("HttpOnly" in header for header in response.headers.get_list("set-cookie"))
