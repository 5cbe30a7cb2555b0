"""Issue 3 journeys: MFA with an authenticator app, recovery codes, settings, email change."""

from __future__ import annotations

import time

import pyotp
from playwright.sync_api import expect

from e2e.conftest import link_in
from e2e.journeys import PASSWORD, login, new_email, signed_in_new_account, switch_on_mfa


def _code_for_next_step(key: str) -> str:
    """The code for the next 30 s step: accepted (one step of drift) and never a replay of the
    code used a moment ago, so the test never has to wait for the clock."""
    return pyotp.TOTP(key).at(time.time() + 30)


def test_switch_on_mfa_then_sign_in_with_a_code_and_with_a_recovery_code(phone, shot, mailbox):
    email = signed_in_new_account(phone, mailbox, shot, "mfa")
    key, codes = switch_on_mfa(phone, shot)

    # Next sign-in needs the code after the password.
    phone.get_by_role("button", name="Sign out").click()
    expect(phone.get_by_text("You have signed out.")).to_be_visible()
    login(phone, email, PASSWORD)
    expect(phone.get_by_role("heading", name="Enter the code from your authenticator app")).to_be_visible()
    shot("enter-code")
    phone.get_by_label("6-digit code").fill("12345")
    phone.get_by_role("button", name="Continue").click()
    expect(phone.locator("#code-error")).to_contain_text("6 numbers")
    next_code = _code_for_next_step(key)
    phone.get_by_label("6-digit code").fill(next_code)
    expect(phone.get_by_label("6-digit code")).to_have_value(next_code)
    phone.get_by_role("button", name="Continue").click()
    expect(phone.get_by_role("heading", name="Your details")).to_be_visible()

    # A recovery code works once in place of the app.
    phone.get_by_role("button", name="Sign out").click()
    login(phone, email, PASSWORD)
    phone.get_by_role("button", name="Use a recovery code").click()
    phone.get_by_label("Recovery code").fill(codes[0].lower())
    shot("recovery-code")
    phone.get_by_role("button", name="Continue").click()
    expect(phone.get_by_role("heading", name="Your details")).to_be_visible()
    phone.goto("/settings/mfa")
    expect(phone.get_by_text("Recovery codes left: 9")).to_be_visible()

    phone.get_by_role("button", name="Sign out").click()
    login(phone, email, PASSWORD)
    phone.get_by_role("button", name="Use a recovery code").click()
    phone.get_by_label("Recovery code").fill(codes[0])
    phone.get_by_role("button", name="Continue").click()
    expect(phone.locator("#recovery_code-error")).to_contain_text("already been used")
    shot("recovery-code-reused")


def test_change_email_address_by_following_a_link_sent_to_the_new_one(phone, shot, mailbox):
    email = signed_in_new_account(phone, mailbox, shot, "move")
    newer = new_email("moved")
    phone.goto("/settings/login")
    expect(phone.get_by_role("heading", name="Login settings", exact=True)).to_be_visible()
    expect(phone.get_by_role("heading", name="Update your email address")).to_be_visible()
    phone.get_by_label("New email address").fill("not-an-email")
    phone.get_by_role("button", name="Confirm new email").click()
    expect(phone.locator("#new_email-error")).to_contain_text("correct format")
    phone.get_by_label("New email address").fill(newer)
    phone.get_by_role("button", name="Confirm new email").click()
    expect(phone.get_by_text("Your email address changes when you follow it")).to_be_visible()
    shot("link-sent")

    phone.goto(link_in(mailbox.wait_for(newer, "Confirm your new email address")))
    expect(phone.get_by_role("heading", name="Your email address has been changed")).to_be_visible()
    shot("email-changed")
    notice = mailbox.wait_for(email, "email address has been changed")
    assert newer not in notice.get_content()  # the old address sees only a masked new one

    phone.get_by_role("button", name="Sign out").click()
    login(phone, email, PASSWORD)
    expect(phone.get_by_text("The email address or password is not correct")).to_be_visible()
    login(phone, newer, PASSWORD)
    expect(phone.get_by_role("heading", name="Your details")).to_be_visible()


def test_change_password_needs_the_current_one(phone, shot, mailbox):
    email = signed_in_new_account(phone, mailbox, shot, "pwchange")
    phone.goto("/settings/login")
    phone.get_by_label("Current password").fill("Wrong-Password-1")
    phone.get_by_label("New password").fill("Another-Lantern-9")
    phone.get_by_role("button", name="Change password").click()
    expect(phone.locator("#current_password-error")).to_contain_text("not correct")
    phone.get_by_label("Current password").fill(PASSWORD)
    phone.get_by_label("New password").fill("Another-Lantern-9")
    phone.get_by_role("button", name="Change password").click()
    expect(phone.get_by_text("Your password has been changed")).to_be_visible()
    shot("password-changed")
    mailbox.wait_for(email, "password has been changed")


def test_your_preferences_are_checked_and_saved(phone, shot, mailbox, db):
    from e2e.journeys import agree_and_create, fill_details, person_on_register

    person = person_on_register(db, given="Nadia")
    signed_in_new_account(phone, mailbox, shot, "prefs")
    fill_details(phone, person)
    agree_and_create(phone)
    expect(phone.get_by_role("heading", name="You're all set up")).to_be_visible()

    phone.get_by_role("link", name="Settings").click()
    phone.get_by_role("link", name="Your preferences").click()
    expect(phone.get_by_role("heading", name="Your preferences")).to_be_visible()
    expect(phone.get_by_label("Mobile phone number")).to_have_value("07700 900123")
    phone.get_by_label("Mobile phone number").fill("01632 960000")
    phone.get_by_label("Preferred name (optional)").fill("Naddy")
    phone.get_by_label("I'm staying here temporarily (less than 3 months)").check()
    phone.get_by_role("button", name="Save Changes").click()
    expect(phone.locator("#phone-error")).to_contain_text("mobile")
    shot("preferences-error")
    phone.get_by_label("Mobile phone number").fill("07700 900777")
    phone.get_by_role("button", name="Save Changes").click()
    expect(phone.get_by_text("Your changes have been saved.")).to_be_visible()
    shot("preferences-saved")
    phone.reload()
    expect(phone.get_by_label("Preferred name (optional)")).to_have_value("Naddy")
    expect(phone.get_by_label("Mobile phone number")).to_have_value("07700 900777")
    expect(phone.get_by_label("I'm staying here temporarily (less than 3 months)")).to_be_checked()
