"""Helper C, issue 11: on "Your preferences" a person chooses how they are told about messages from
their practice (email, text message or both, never neither)."""

from __future__ import annotations

from playwright.sync_api import expect

from e2e.journeys import signed_in_new_account


def test_how_we_tell_you_is_chosen_and_kept(phone, shot, mailbox, db):
    from e2e.journeys import agree_and_create, fill_details, person_on_register

    person = person_on_register(db, given="Nadia")
    signed_in_new_account(phone, mailbox, shot, "notify-prefs")
    fill_details(phone, person)
    agree_and_create(phone)
    expect(phone.get_by_role("heading", name="You're all set up")).to_be_visible()

    phone.get_by_role("link", name="Settings").click()
    phone.get_by_role("link", name="Your preferences").click()
    expect(phone.get_by_role("group", name="How we tell you about messages from your practice")).to_be_visible()
    expect(phone.get_by_label("By email")).to_be_checked()
    expect(phone.get_by_label("By text message")).to_be_checked()

    phone.get_by_label("I live here permanently").check()
    phone.get_by_label("By email").uncheck()
    phone.get_by_label("By text message").uncheck()
    phone.get_by_role("button", name="Save Changes").click()
    expect(phone.locator("#notify-error")).to_contain_text("by email, by text message or both")
    shot("notify-none-refused")

    phone.get_by_label("By text message").check()
    phone.get_by_role("button", name="Save Changes").click()
    expect(phone.get_by_text("Your changes have been saved.")).to_be_visible()
    phone.reload()
    expect(phone.get_by_label("By text message")).to_be_checked()
    expect(phone.get_by_label("By email")).not_to_be_checked()
    shot("notify-text-only")
