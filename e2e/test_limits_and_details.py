"""Issue 9, items 4 to 7, as a person sees them on a phone (and an admin at a desk): an over-long
paste refused with its message and kept; a closed practice explained in an information panel that
names 111 (not a red error box); the dashboard's Practice Details showing the hours and the
important update a practice admin saved, after the admin was warned about core hours and gave a
reason that the core hours log shows."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from e2e.journeys import practice_settings, registered_patient, settled
from e2e.test_practice import new_staff, staff_sign_in_first_time
from e2e.test_requests import answer_until_anything_else, start_request

PASTE = ("My cough started three weeks ago and keeps me awake at night. " * 400)[:20_000]
NARROW = {"width": 320, "height": 844}


@pytest.fixture(autouse=True)
def open_every_day(db):
    """Requests open all day, every day, unless a test says otherwise (the clock is real)."""
    practice_settings(db)
    yield
    practice_settings(db)


def narrow_shot(page: Page, shot, name: str) -> None:
    """The same screen 320 pixels wide (the smallest phones), then back to 390."""
    page.set_viewport_size(NARROW)
    shot(name + "-320")
    page.set_viewport_size({"width": 390, "height": 844})


def test_an_over_long_paste_is_refused_beside_the_field_and_kept(phone, shot, mailbox, db):
    registered_patient(phone, mailbox, shot, db, "paste")
    start_request(phone, kind="Admin request")
    phone.get_by_label("Search for what your request is about").fill("letter")
    phone.get_by_role("button", name="Letter or form").first.click()
    answer_until_anything_else(phone, shot)

    box = phone.get_by_label("Is there anything else you want to tell us? (optional)")
    expect(phone.locator("#free_text-count-limit")).to_have_text("You can enter up to 2,000 characters")
    box.fill(PASTE)
    # The live count, as the person types (or pastes), before anything is sent.
    expect(phone.locator("#free_text-count")).to_have_text("You have 18,000 characters too many")
    shot("pasted-count")
    phone.get_by_role("button", name="Continue").click()

    message = "Anything else must be 2,000 characters or fewer. You have 18,000 characters too many."
    expect(phone.locator("#free_text-error")).to_contain_text(message)
    expect(phone.get_by_role("link", name=message)).to_be_visible()  # and in the summary, linking to the field
    expect(box).to_have_value(PASTE)  # all 20,000 characters, for the person to shorten
    assert len(box.input_value()) == 20_000
    expect(box).to_have_attribute("aria-invalid", "true")
    shot("refused-and-kept")
    narrow_shot(phone, shot, "refused-and-kept")

    # Shortened to exactly the limit, it is taken whole.
    box.fill(PASTE[:2000])
    expect(phone.locator("#free_text-count")).to_have_text("You have 0 characters remaining")
    phone.get_by_role("button", name="Continue").click()
    expect(phone.get_by_label("Email")).to_be_visible()
    with db.connect() as connection:
        from sqlalchemy import text

        saved = connection.execute(
            text("SELECT free_text FROM request WHERE status = 'draft' ORDER BY id DESC")
        ).first()
    assert saved is not None and saved.free_text == PASTE[:2000].strip()


def test_a_closed_practice_is_an_information_panel_naming_111(phone, shot, mailbox, db):
    registered_patient(phone, mailbox, shot, db, "closedpanel")
    practice_settings(db, turned_off=True, turned_off_message="We are closed for staff training until 2pm")
    start_request(phone)

    panel = phone.locator("section.panel--info")
    expect(panel.get_by_role("heading", name="Online requests are turned off")).to_be_visible()
    expect(panel).to_contain_text("We are closed for staff training until 2pm.")
    expect(panel.get_by_role("link", name="111", exact=True)).to_have_attribute("href", "tel:111")
    expect(panel.get_by_role("link", name="111.nhs.uk")).to_be_visible()
    expect(panel.get_by_role("link", name="999")).to_have_attribute("href", "tel:999")
    expect(panel).to_contain_text("call the surgery on")
    # Not an error: no red "There is a problem" box, nothing announced as an alert, no form to retry.
    # (The outage region, #records-unreachable, is on every page, empty unless the database is down.)
    expect(phone.locator("[role=alert]:not(#records-unreachable)")).to_have_count(0)
    expect(phone.locator("#records-unreachable")).to_be_empty()
    expect(phone.locator(".error-summary")).to_have_count(0)
    expect(phone.get_by_text("There is a problem")).to_have_count(0)
    expect(phone.get_by_role("button", name="Continue")).to_have_count(0)
    expect(phone.locator(".progress")).to_have_count(0)
    shot("closed-panel")
    narrow_shot(phone, shot, "closed-panel")


def test_practice_details_show_the_hours_and_the_update_an_admin_saved(desk, phone, mailbox, db):  # noqa: F811
    shot = desk.shots
    email, password = new_staff(db, role="admin")
    staff_sign_in_first_time(desk, email, password, shot)
    desk.get_by_role("link", name="Practice settings").first.click()
    expect(desk.get_by_role("heading", name="Practice settings")).to_be_visible()
    settled(desk)
    update = "Flu clinics every Saturday morning in October. Please book by phone."
    desk.get_by_label("Important updates for patients (optional)").fill(update)
    expect(desk.locator("#important_updates-count")).to_have_text(f"You have {1000 - len(update)} characters remaining")
    desk.get_by_label("Wednesday: medical requests close at").fill("13:00")
    desk.get_by_role("button", name="Save settings").click()

    # Warned in plain words (not an error), and asked why; the practice stays in control.
    warning = desk.get_by_role("region", name="These changes close online requests inside core hours")
    expect(warning).to_contain_text("Medical requests on Wednesdays close at 13:00, not 18:30.")
    expect(desk.locator(".error-summary")).to_have_count(0)
    shot("core-hours-warning")
    desk.get_by_role("button", name="Save with this reason").click()
    expect(desk.locator("#core_hours_why-error")).to_contain_text(
        "Say why you are closing online requests inside core hours"
    )
    desk.get_by_label("Why are you making this change?").fill("Wednesday afternoons are for the flu clinic")
    desk.get_by_role("button", name="Save with this reason").click()
    expect(desk.get_by_text("Your settings have been saved.")).to_be_visible()
    shot("saved")

    desk.get_by_role("link", name="Core hours log").click()
    expect(desk.get_by_role("heading", name="Core hours log")).to_be_visible()
    expect(desk.get_by_role("cell", name="Wednesday afternoons are for the flu clinic")).to_be_visible()
    expect(desk.get_by_text("Medical requests on Wednesdays close at 13:00, not 18:30.")).to_be_visible()
    expect(desk.get_by_role("cell", name="Sam Admin (admin)")).to_be_visible()
    shot("core-hours-log")

    # The patient's dashboard.
    registered_patient(phone, mailbox, phone.shots, db, "details")  # type: ignore[attr-defined]
    details = phone.get_by_role("region", name="Practice Details")
    expect(details.get_by_role("heading", name="Important updates")).to_be_visible()
    expect(details.get_by_text(update)).to_be_visible()
    wednesday = details.get_by_role("row", name="Wednesday")
    expect(wednesday.get_by_role("cell").nth(0)).to_have_text("00:00 to 13:00")
    expect(wednesday.get_by_role("cell").nth(1)).to_have_text("00:00 to 23:59")
    expect(details.get_by_role("row", name="Saturday").get_by_role("cell").nth(0)).to_have_text("00:00 to 23:59")
    details.scroll_into_view_if_needed()
    phone.shots("practice-details")  # type: ignore[attr-defined]
    narrow_shot(phone, phone.shots, "practice-details")  # type: ignore[attr-defined]
