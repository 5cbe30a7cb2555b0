"""The practice's own link `/p/<ODS code>` (services.practice.practice_link and the cookie/404
middleware in anima_pwa/http.py), the other NHS services list, and the links signposting outcomes
carry."""

from __future__ import annotations

import base64
from contextlib import contextmanager

import pytest
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from anima_pwa import cookies, http, routes
from anima_pwa.services.inbox import outcomes
from anima_pwa.services.platform import nhs_services
from anima_pwa.services.practice import practice_link
from tests.factories import make_practice
from tests.test_inbox_contract import signed_off


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/p/A81001", "A81001"),
        ("/p/a81001/", "A81001"),
        ("/p/A81001/poster", "A81001"),
        ("/p/A81001/poster/", "A81001"),
        ("/p/", None),
        ("/p/A8", None),
        ("/p/A81001X99999", None),
        ("/p/A81-01", None),
        ("/p/A81001/other", None),
        ("/p/%27or1=1", None),
        ("/practice", None),
    ],
)
def test_the_code_is_read_from_the_path_strictly(path: str, code: str | None) -> None:
    assert practice_link.ods_from_path(path) == code


def test_only_an_active_practice_is_found(db_session: Session) -> None:
    open_practice = make_practice(db_session, "A81001", "Riverside Surgery")
    make_practice(db_session, "B82002", "Closed Surgery", status="closed")
    assert practice_link.find(db_session, "a81001").id == open_practice.id
    assert practice_link.find(db_session, "B82002") is None
    assert practice_link.find(db_session, "Z99999") is None
    assert practice_link.find(db_session, "") is None
    assert practice_link.find(db_session, None) is None  # type: ignore[arg-type]


def test_staff_see_their_own_practices_link_and_poster(db_session: Session) -> None:
    practice = make_practice(db_session, "A81001")
    assert practice_link.links_of(db_session, practice.id, "https://anima.example/") == (
        "https://anima.example/p/A81001",
        "/p/A81001/poster",
    )
    assert practice_link.links_of(db_session, 999_999, "https://anima.example") == ("", "")


def test_the_link_and_its_qr_code() -> None:
    assert practice_link.link_url("https://anima.example/", "a81001") == "https://anima.example/p/A81001"
    assert practice_link.poster_path("A81001") == "/p/A81001/poster"
    uri = practice_link.qr_data_uri("https://anima.example/p/A81001")
    assert uri.startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(uri.split(",", 1)[1]).decode()
    assert "<svg" in svg and practice_link.QR_TITLE in svg


@pytest.fixture
def link_client(engine, monkeypatch):
    @contextmanager
    def scope():
        with Session(engine, expire_on_commit=False) as session:
            yield session

    monkeypatch.setattr(http, "session_scope", scope)
    with Session(engine) as db:
        make_practice(db, "A81001", "Riverside Surgery")
        make_practice(db, "B82002", "Closed Surgery", status="closed")
        db.commit()

    async def spa(_request):  # stands for Reflex serving its single-page app with 200
        return HTMLResponse("<html><body>app</body></html>")

    inner = Starlette(routes=[Route("/{path:path}", spa)])
    return TestClient(http.practice_link_cookie()(inner))


def test_a_practice_link_leaves_a_cookie_for_sign_up(link_client) -> None:
    response = link_client.get("/p/a81001")
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{cookies.PRACTICE}=A81001;")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie


def test_the_poster_and_other_pages_leave_no_cookie(link_client) -> None:
    assert "set-cookie" not in link_client.get("/p/A81001/poster").headers
    assert "set-cookie" not in link_client.get("/home").headers


@pytest.mark.parametrize("path", ["/p/Z99999", "/p/B82002", "/p/not-a-code!", "/p/Z99999/poster"])
def test_an_unknown_or_closed_practice_is_a_404_without_a_cookie(link_client, path: str) -> None:
    response = link_client.get(path)
    assert response.status_code == 404
    assert "set-cookie" not in response.headers
    assert response.text == "<html><body>app</body></html>"  # the page says "We could not find that practice"


def test_the_cookie_is_read_back_as_the_code() -> None:
    header = cookies.practice_cookie("A81001").split(";", 1)[0]
    assert cookies.read(header, cookies.PRACTICE) == "A81001"


def test_every_nhs_service_links_to_the_nhs_website() -> None:
    keys = [service.key for service in nhs_services.SERVICES]
    assert keys == ["pharmacy", "nhs_111", "urgent_treatment", "dentist", "optician"]
    for service in nhs_services.SERVICES:
        assert service.finder_url.startswith(("https://www.nhs.uk/service-search/", "https://111.nhs.uk/"))
    assert "Pharmacy First" in nhs_services.by_key("pharmacy").points[0]


def test_a_signpost_links_to_the_service_finder_and_the_services_page() -> None:
    view = outcomes.describe(signed_off("signpost", {"service": "dentist"}))
    assert view.links == (
        ("Find a dentist", "https://www.nhs.uk/service-search/find-a-dentist"),
        ("More NHS services near you", routes.SERVICES_NEAR_YOU),
    )
    physio = outcomes.describe(signed_off("signpost", {"service": "physio_self_referral"}))
    assert physio.links == (("More NHS services near you", routes.SERVICES_NEAR_YOU),)
    assert set(outcomes.SIGNPOST_LINKS) <= set(outcomes.SIGNPOST_SERVICES)


def test_self_care_links_to_the_health_a_to_z_and_other_outcomes_link_nothing() -> None:
    view = outcomes.describe(signed_off("self_care", {"advice": "Rest"}))
    assert view.links[0][1] == nhs_services.SELF_CARE_URL
    assert outcomes.describe(signed_off("no_action", {})).links == ()
