"""PostgreSQL stops answering while a patient types (issue 14, "Fault tolerance"): the patient sees
the app's own "could not reach our records" message, announced and fitting a 320 px phone, with
the answer still in its box; a second tab's "Your requests" says it could not load (never "You
have not sent any requests yet") and keeps the header's Sign out; once the database is back, one
more Continue saves the answer and Try again shows the page as before.

The outage is PostgreSQL refusing this database's connections (`ALLOW_CONNECTIONS false`) with
every open one ended, as a restart or a failover does. SQLite has no such switch short of locking
its file, which makes every event wait out the 30 s busy timeout on the server's one event loop:
the test runs when ANIMA_TEST_POSTGRES_URL is set (CI sets it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from anima_pwa.state.base import LOAD_FAILED, RECORDS_UNREACHABLE
from e2e.journeys import at_320, no_sideways_scroll, registered_patient, settled

SERVER = os.environ.get("ANIMA_TEST_POSTGRES_URL", "").strip()

pytestmark = [
    pytest.mark.usefixtures("open_every_day"),
    pytest.mark.skipif(
        not SERVER,
        reason="needs PostgreSQL (ANIMA_TEST_POSTGRES_URL): SQLite can only be made unreachable by a lock "
        "that stalls the server's event loop for its 30 s busy timeout",
    ),
]

REACTS_GENERIC = "An error occurred"


@contextmanager
def database_stopped(database_url: str) -> Iterator[None]:
    """The app's database refuses new connections and loses its open ones, until the block ends."""
    name = database_url.rsplit("/", 1)[1]
    admin = create_engine(SERVER.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"), {"name": name}
            )
        yield
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()


def test_the_database_stops_mid_wizard_and_nothing_is_lost(phone, shot, mailbox, db, database_url):
    registered_patient(phone, mailbox, shot, db, "outage")
    phone.goto("/request?new=1")
    settled(phone)
    phone.get_by_label("You", exact=True).check()
    phone.get_by_role("button", name="Continue").click()
    phone.get_by_label("Admin request").check()
    phone.get_by_role("button", name="Continue").click()
    phone.get_by_text("See all topics").click()
    phone.get_by_text("Describe it in your own words").click()
    answer = phone.locator("[name=answer]")
    expect(answer).to_be_visible()
    typed = "A letter for my employer about my hours"
    answer.fill(typed)
    progress = phone.locator(".progress").inner_text()

    with database_stopped(database_url):
        phone.get_by_role("button", name="Continue").click()
        alert = phone.locator("#records-unreachable")
        expect(alert).to_have_text(RECORDS_UNREACHABLE)
        expect(alert).to_have_attribute("role", "alert")
        expect(phone.get_by_text(REACTS_GENERIC)).to_have_count(0)
        expect(answer).to_have_value(typed)  # nothing typed was lost
        expect(phone.locator(".progress")).to_have_text(progress)
        no_sideways_scroll(phone)
        shot("answer-while-the-database-is-down")
        at_320(phone, shot, "answer-while-the-database-is-down")

        second = phone.context.new_page()
        second.goto("/requests")
        settled(second)
        expect(second.get_by_text(LOAD_FAILED)).to_be_visible()
        expect(second.get_by_text("You have not sent any requests yet")).to_have_count(0)
        expect(second.get_by_role("button", name="Sign out")).to_be_visible()  # still signed in
        expect(second.get_by_role("link", name="Settings")).to_be_visible()
        expect(second.get_by_text(REACTS_GENERIC)).to_have_count(0)
        second.screenshot(path=str(shot.folder / "your-requests-while-the-database-is-down.png"), full_page=True)
        second.set_viewport_size({"width": 320, "height": 700})
        no_sideways_scroll(second)
        second.screenshot(path=str(shot.folder / "your-requests-while-the-database-is-down-320.png"), full_page=True)
        second.set_viewport_size({"width": 390, "height": 844})

    # The database is back: Try again shows the real page, and one more Continue saves the answer.
    second.get_by_role("button", name="Try again").click()
    expect(second.get_by_role("heading", name="Your requests")).to_be_visible()
    expect(second.get_by_text("You have not sent any requests yet")).to_be_visible()  # true: none sent
    expect(second.get_by_role("button", name="Sign out")).to_be_visible()
    second.close()

    phone.get_by_role("button", name="Continue").click()
    expect(phone.locator(".progress")).not_to_have_text(progress)
    expect(phone.locator("#records-unreachable")).to_have_text("")
    shot("the-database-is-back")
    with db.connect() as connection:
        answers = connection.execute(text("SELECT answers FROM request WHERE status = 'draft'")).scalars().all()
    assert any(typed in str(a) for a in answers)
