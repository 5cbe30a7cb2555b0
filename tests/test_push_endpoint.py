"""`POST|DELETE /push/subscription` (anima_pwa/http.py): this browser's push subscription, for the
session cookie's account only, from this site's own pages only."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from anima_pwa import cookies, http
from anima_pwa.models import Account, PushSubscription
from anima_pwa.services.identity import sessions
from tests.factories import make_account
from tests.test_push import Browser

SAME_SITE = {"Sec-Fetch-Site": "same-origin"}


@pytest.fixture
def web(engine, monkeypatch):
    @contextmanager
    def scope():
        with Session(engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    monkeypatch.setattr(http, "session_scope", scope)
    with Session(engine, expire_on_commit=False) as db:
        tokens = {}
        for name in ("mum", "dad"):
            account = make_account(db, f"{name}@example.com")
            tokens[name] = sessions.start(db, db.get(Account, account.id), method="password")
            tokens[name + "_id"] = account.id
        db.commit()
    return TestClient(http.static_routes(), base_url="http://localhost:3000"), tokens, scope


def call(client: TestClient, method: str, token: str | None, body: dict, headers: dict | None = None):
    client.cookies.clear()
    if token:
        client.cookies.set(cookies.SESSION, token)
    return client.request(
        method, "/push/subscription", json=body, headers=headers if headers is not None else SAME_SITE
    )


def rows(scope) -> list[tuple[int, str]]:
    with scope() as db:
        return [(r.account_id, r.endpoint) for r in db.exec(select(PushSubscription)).all()]


def test_turn_on_check_and_turn_off(web) -> None:
    client, tokens, scope = web
    browser = Browser("https://push.example.net/abc")
    response = call(client, "POST", tokens["mum"], {"subscription": browser.subscription()})
    assert response.status_code == 200 and response.json() == {"on": True}
    assert response.headers["cache-control"] == "no-store"
    assert rows(scope) == [(tokens["mum_id"], browser.endpoint)]
    assert call(client, "POST", tokens["mum"], {"check": True, "endpoint": browser.endpoint}).json() == {"on": True}
    # Dad on the same browser: not his, so it is dropped.
    assert call(client, "POST", tokens["dad"], {"check": True, "endpoint": browser.endpoint}).json() == {"on": False}
    assert rows(scope) == []
    call(client, "POST", tokens["mum"], {"subscription": browser.subscription()})
    # Dad can't turn off Mum's device by sending its endpoint.
    assert call(client, "DELETE", tokens["dad"], {"endpoint": browser.endpoint}).json() == {"on": False}
    assert rows(scope) == [(tokens["mum_id"], browser.endpoint)]
    assert call(client, "DELETE", tokens["mum"], {"endpoint": browser.endpoint}).status_code == 200
    assert rows(scope) == []


def test_signing_out_turns_the_device_off(web) -> None:
    client, tokens, scope = web
    call(client, "POST", tokens["mum"], {"subscription": Browser("https://push.example.net/x").subscription()})
    client.cookies.set(cookies.SESSION, tokens["mum"])
    assert client.post("/auth/sign-out", headers=SAME_SITE, follow_redirects=False).status_code == 303
    assert rows(scope) == []


@pytest.mark.parametrize(
    ("token", "headers", "body", "status"),
    [
        (None, SAME_SITE, {"subscription": {}}, 401),
        ("stale", SAME_SITE, {"subscription": {}}, 401),
        ("mum", {"Sec-Fetch-Site": "cross-site"}, {"subscription": {}}, 403),
        ("mum", SAME_SITE, {"subscription": {"endpoint": "https://x.example/1"}}, 400),
        ("mum", SAME_SITE, {"subscription": {"endpoint": "x" * 5000}}, 413),
    ],
)
def test_refusals(web, token, headers, body, status) -> None:
    client, tokens, scope = web
    response = call(client, "POST", tokens.get(token, token), body, headers)
    assert response.status_code == status
    assert rows(scope) == []


def test_json_only(web) -> None:
    client, tokens, _ = web
    client.cookies.set(cookies.SESSION, tokens["mum"])
    response = client.post(
        "/push/subscription", content=b"endpoint=x", headers={**SAME_SITE, "Content-Type": "text/plain"}
    )
    assert response.status_code == 415
