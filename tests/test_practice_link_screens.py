"""The practice's own link on real screens: `/p/<ODS code>` shows an active practice's details to
anyone, and the details form preselects the practice the link's cookie names (checked again)."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from anima_pwa import cookies
from anima_pwa.state.patients.registration import RegisterState
from anima_pwa.state.practice.practice_link import PracticeLinkState
from tests.factories import identity_of, make_account, make_practice
from tests.test_state_guards import opened, screens  # noqa: F401  (the fixture)


def test_the_link_shows_an_active_practice_to_anyone(screens, db_session: Session) -> None:  # noqa: F811
    make_practice(db_session, "A81001", "Riverside Surgery", phone="01632 960001")
    make_practice(db_session, "B82002", "Closed Surgery", status="closed")
    db_session.commit()
    screens(None)
    tab = opened(PracticeLinkState, "/p/a81001")
    tab.event_handlers["load"].fn(tab)
    assert tab.found and tab.practice_name == "Riverside Surgery" and tab.practice_phone == "01632 960001"
    assert tab.link.endswith("/p/A81001") and tab.poster_href == "/p/A81001/poster"
    assert len(tab.practice_hours) == 7 and tab.qr_code == ""
    poster = opened(PracticeLinkState, "/p/A81001/poster")
    poster.event_handlers["load"].fn(poster)
    assert poster.qr_code.startswith("data:image/svg+xml;base64,")
    for path in ("/p/B82002", "/p/Z99999", "/p/..%2F"):
        tab.rx_router_url = opened(PracticeLinkState, path).rx_router_url
        tab.event_handlers["load"].fn(tab)
        assert not tab.found and tab.practice_name == "" and tab.practice_hours == []


@pytest.mark.parametrize(("cookie", "chosen"), [("A81001", "Riverside Surgery"), ("B82002", ""), ("", ""), ("x;y", "")])
def test_sign_up_preselects_the_linked_practice(screens, db_session: Session, monkeypatch, cookie, chosen) -> None:  # noqa: F811
    make_practice(db_session, "A81001", "Riverside Surgery", postcode="MB1 2RH")
    make_practice(db_session, "B82002", "Closed Surgery", status="closed")
    account = make_account(db_session, "new@example.com")
    db_session.commit()
    screens(identity_of(account))
    monkeypatch.setattr(RegisterState, "_cookie", lambda self, name: cookie if name == cookies.PRACTICE else "")
    tab = opened(RegisterState, "/register")
    tab.event_handlers["load"].fn(tab)
    assert tab.practice_name == chosen
    assert (tab.practice_id > 0) == bool(chosen)
    assert tab.practice_postcode == ("MB1 2RH" if chosen else "")
