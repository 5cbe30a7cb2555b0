""" "Continue with NHS login" through the local emulator (RS512, private_key_jwt, vtr/vot)."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import text

from e2e.journeys import PASSWORD, login, signed_in_new_account


def test_continue_with_nhs_login_to_a_verified_patient(phone, shot, db):
    phone.goto("/")
    buttons = phone.get_by_role("button")
    # NHS login comes first, before any other way in.
    expect(buttons.first).to_have_text("Continue with NHS login")
    shot("landing")
    phone.get_by_role("button", name="Continue with NHS login").click()
    expect(phone.get_by_role("heading", name="NHS login (local emulator)")).to_be_visible()
    shot("emulator")
    phone.get_by_role("button", name="Continue as Grace Bennett").click()

    expect(phone.get_by_role("heading", name="Your details")).to_be_visible()
    expect(phone.get_by_role("heading", name="From NHS login")).to_be_visible()
    expect(phone.get_by_text("Grace Bennett")).to_be_visible()
    expect(phone.get_by_text("30 January 1964")).to_be_visible()
    # The traced NHS number is never shown back.
    assert "978 215 6302" not in phone.content() and "9782156302" not in phone.content()
    expect(phone.get_by_label("NHS number (if known)")).to_have_count(0)
    expect(phone.get_by_label("GP practice")).to_have_value("Orchard Lane Medical Centre")
    shot("details-from-nhs-login")

    phone.get_by_label("Postcode", exact=True).fill("MB2 7GB")
    phone.get_by_label("I confirm I am over 18").check()
    phone.get_by_label("I agree to Anima's privacy policy and terms of use").check()
    phone.get_by_role("button", name="Create Account").click()
    expect(phone.get_by_role("heading", name="You're all set up")).to_be_visible()
    shot("verified")

    with db.connect() as connection:
        row = connection.execute(
            text(
                "SELECT a.nhs_login_sub, a.password_hash, p.verification_status, p.nhs_number FROM account a "
                "JOIN account_patient ap ON ap.account_id = a.id JOIN patient p ON p.id = ap.patient_id "
                "WHERE p.full_name = 'Grace Bennett'"
            )
        ).one()
    assert row.nhs_login_sub and row.password_hash is None
    assert row.verification_status == "verified" and row.nhs_number == "9782156302"

    # Signing in again with NHS login goes straight home.
    phone.get_by_role("button", name="Sign out").click()
    phone.get_by_role("button", name="Continue with NHS login").click()
    phone.get_by_role("button", name="Continue as Grace Bennett").click()
    expect(phone.get_by_role("heading", name="You're all set up")).to_be_visible()


def test_a_failed_check_ends_at_a_clear_page_and_signs_nobody_in(phone, shot, db):
    with db.connect() as connection:
        before = connection.execute(text("SELECT count(*) FROM account")).scalar_one()
    phone.goto("/login")
    phone.get_by_role("button", name="Continue with NHS login").click()
    phone.locator("#problem").select_option("wrong_nonce")
    phone.get_by_role("button", name="Continue as Samuel Price").click()
    expect(phone.get_by_role("heading", name="We could not sign you in with NHS login")).to_be_visible()
    shot("failed")
    expect(phone.get_by_role("button", name="Sign out")).to_have_count(0)
    with db.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM account")).scalar_one() == before

    # The same callback URL can't be used again (state is single-use).
    phone.reload()
    expect(phone.get_by_role("heading", name="We could not sign you in with NHS login")).to_be_visible()
    expect(phone.get_by_text("expired or was already used")).to_be_visible()


def test_connect_nhs_login_from_login_settings(phone, shot, mailbox, db):
    email = signed_in_new_account(phone, mailbox, shot, "connect")
    phone.goto("/settings/login")
    expect(phone.get_by_role("heading", name="NHS login")).to_be_visible()
    phone.get_by_role("button", name="Connect NHS login").click()
    phone.get_by_role("button", name="Continue as Robert Hughes").click()
    expect(phone.get_by_text("Your account is now connected to NHS login.")).to_be_visible()
    shot("connected")

    # Now NHS login signs in to this same account (found by NHS login's sub, not by email).
    phone.get_by_role("button", name="Sign out").click()
    phone.get_by_role("button", name="Continue with NHS login").click()
    phone.get_by_role("button", name="Continue as Robert Hughes").click()
    expect(phone.get_by_role("heading", name="Your details")).to_be_visible()
    with db.connect() as connection:
        accounts = connection.execute(
            text("SELECT email_normalized FROM account WHERE nhs_login_sub IS NOT NULL AND email_normalized = :e"),
            {"e": email.lower()},
        ).all()
    assert len(accounts) == 1
    phone.get_by_role("button", name="Sign out").click()
    login(phone, email, PASSWORD)
    expect(phone.get_by_role("heading", name="Your details")).to_be_visible()
