"""The patient guide's "Email Account Login", steps 1 to 9, in Chromium on a phone-sized screen."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import text

from e2e.conftest import close_context, code_in, link_in, open_context
from e2e.journeys import (
    PASSWORD,
    agree_and_create,
    confirmed_account,
    continue_with_email,
    create_account,
    fill_details,
    follow_sign_up_link,
    login,
    new_email,
    person_on_register,
    settled,
    signed_in_new_account,
)


def test_register_with_email_to_a_verified_signed_in_patient(phone, shot, mailbox, db):
    person = person_on_register(db)
    email = new_email("harriet")

    continue_with_email(phone, email, shot)  # step 1
    expect(phone.get_by_text(email)).to_be_visible()
    shot("check-your-email")

    message = mailbox.wait_for(email, "Confirm your email address")
    assert message["From"] == "Anima <no-reply@anima.test>"
    phone.goto(link_in(message))  # the link opens "Create a password": whoever reads the inbox chooses it
    expect(phone.get_by_role("heading", name="Create a password")).to_be_visible()
    expect(phone.get_by_text(email)).to_be_visible()
    create_account(phone, PASSWORD, shot)  # steps 2-3
    expect(phone.get_by_role("heading", name="Your registration is confirmed")).to_be_visible()  # step 4
    shot("registration-confirmed")

    phone.get_by_role("button", name="Return to login page").click()  # step 5
    expect(phone.get_by_role("heading", name="Login", exact=True)).to_be_visible()
    login(phone, email, PASSWORD)
    expect(phone.get_by_role("heading", name="Your details")).to_be_visible()  # step 6
    shot("details-form")

    fill_details(phone, person)  # steps 6-7
    shot("details-filled")
    agree_and_create(phone)  # step 8

    expect(phone.get_by_role("heading", name="You're all set up")).to_be_visible()  # step 9
    expect(phone.get_by_text("Riverside Health Centre").first).to_be_visible()
    shot("all-set-up")

    # The session survives a reload; signing out ends it.
    phone.reload()
    expect(phone.get_by_role("heading", name="You're all set up")).to_be_visible()
    phone.get_by_role("button", name="Sign out").click()
    expect(phone.get_by_text("You have signed out.")).to_be_visible()
    phone.goto("/home")
    expect(phone.get_by_role("heading", name="Login", exact=True)).to_be_visible()
    shot("signed-out")


def test_weak_password_is_refused_at_the_field_and_the_link_keeps_working(phone, shot, mailbox, db):
    email = new_email("weak")
    continue_with_email(phone, email, shot)

    # Before a password is chosen, sign-in answers as for any address, with a pointer to the email.
    phone.goto("/login")
    login(phone, email, PASSWORD)
    expect(phone.get_by_text("The email address or password is not correct")).to_be_visible()
    expect(phone.get_by_text("You create your password from the link in the email we sent you")).to_be_visible()
    shot("sign-in-before-password")

    follow_sign_up_link(phone, mailbox, email)
    create_account(phone, "password", shot)
    expect(phone.locator("#password-error")).to_contain_text("upper case")
    expect(phone.get_by_role("heading", name="There is a problem")).to_be_visible()
    shot("too-simple")

    create_account(phone, "Password1", shot)
    expect(phone.locator("#password-error")).to_contain_text("too common")
    shot("too-common")
    with db.connect() as connection:  # nothing half-made
        assert (
            connection.execute(
                text("SELECT count(*) FROM account WHERE email_normalized = :e"), {"e": email.lower()}
            ).scalar_one()
            == 0
        )

    # A reload keeps the person's place: the link still opens "Create a password".
    phone.reload()
    expect(phone.get_by_role("heading", name="Create a password")).to_be_visible()
    settled(phone)
    create_account(phone, PASSWORD, shot)
    expect(phone.get_by_role("heading", name="Your registration is confirmed")).to_be_visible()
    shot("confirmed-after-errors")


def test_malformed_email_gets_a_message_next_to_the_field(phone, shot):
    phone.goto("/")
    phone.get_by_label("Email address").fill("jo@@example")
    phone.get_by_role("button", name="Continue with Email").click()
    expect(phone.locator("#email-error")).to_contain_text("correct format")
    expect(phone.get_by_label("Email address")).to_have_value("jo@@example")
    shot("bad-email")


def test_wrong_password_is_refused_then_rate_limited(phone, shot, mailbox):
    email = confirmed_account(phone, mailbox, shot, "wrongpw")

    phone.goto("/login")
    login(phone, email, "Not-the-Password-1")
    expect(phone.get_by_text("The email address or password is not correct")).to_be_visible()
    expect(phone.get_by_label("Email address")).to_have_value(email)
    shot("wrong-password")
    for _ in range(4):
        login(phone, email, "Not-the-Password-1")
    login(phone, email, PASSWORD)  # right password, but the account is locked for a while
    expect(phone.get_by_text("Too many attempts to sign in")).to_be_visible()
    shot("rate-limited")


def test_expired_and_reused_links_say_so(phone, shot, mailbox, db):
    email = new_email("expired")
    continue_with_email(phone, email, shot)
    first = link_in(mailbox.wait_for(email, "Confirm your email address"))
    with db.begin() as connection:  # make the link 25 hours old
        connection.execute(
            text("UPDATE one_time_token SET expires_at = :t WHERE email_normalized = :e"),
            {"t": _hours_ago(1), "e": email.lower()},
        )
    phone.goto(first)
    expect(phone.get_by_role("heading", name="This link has expired")).to_be_visible()
    shot("expired")
    phone.get_by_role("button", name="Send a new link").click()
    expect(phone.get_by_text("We have sent you a new link")).to_be_visible()

    second = link_in(mailbox.wait_for(email, "Confirm your email address", after=1))
    follow_sign_up_link(phone, mailbox, email, after=1)
    create_account(phone, PASSWORD, shot)
    expect(phone.get_by_role("heading", name="Your registration is confirmed")).to_be_visible()
    phone.goto(second)
    expect(phone.get_by_role("heading", name="Your email address is already confirmed")).to_be_visible()
    shot("reused")


def test_details_that_do_not_match_the_register_wait_for_the_practice(phone, shot, mailbox, db):
    signed_in_new_account(phone, mailbox, shot, "nomatch")

    # Bad input first: every field says what is wrong, and what was typed stays.
    phone.get_by_label("Full name").fill("Zed 4 Nobody")
    phone.get_by_label("Day").fill("30")
    phone.get_by_label("Month").fill("2")
    phone.get_by_label("Year").fill("1990")
    phone.get_by_label("Postcode", exact=True).fill("NOT A CODE")
    phone.get_by_label("Mobile phone number").fill("01632 960001")
    phone.get_by_label("NHS number (if known)").fill("123 456 7890")
    phone.get_by_role("button", name="Create Account").click()
    expect(phone.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(phone.locator("#dob-error")).to_contain_text("real date")
    expect(phone.locator("#postcode-error")).to_contain_text("real postcode")
    expect(phone.locator("#mobile-error")).to_contain_text("mobile")
    expect(phone.locator("#nhs_number-error")).to_contain_text("valid NHS number")
    expect(phone.locator("#practice-error")).to_be_visible()
    expect(phone.locator("#over_18-error")).to_be_visible()
    expect(phone.get_by_label("Full name")).to_have_value("Zed 4 Nobody")
    shot("every-field-wrong")

    # A reload keeps what was typed.
    phone.reload()
    expect(phone.get_by_label("Postcode", exact=True)).to_have_value("NOT A CODE")

    # An under-18 date of birth.
    phone.get_by_label("Year").fill(str(_this_year() - 10))
    phone.get_by_label("Day").fill("1")
    phone.get_by_role("button", name="Create Account").click()
    expect(phone.locator("#dob-error")).to_contain_text("18 or over")

    # Now real details that are not on the register.
    phone.get_by_label("Full name").fill("Quentin Nomatch")
    phone.get_by_label("Day").fill("2")
    phone.get_by_label("Month").fill("7")
    phone.get_by_label("Year").fill("1971")
    phone.get_by_label("Postcode", exact=True).fill("mb1 2rh")
    phone.get_by_label("Mobile phone number").fill("07700 900456")
    phone.get_by_label("NHS number (if known)").fill("")
    phone.get_by_label("GP practice").fill("Riverside")
    phone.get_by_role("button", name="Riverside Health Centre").click()
    agree_and_create(phone)
    expect(phone.get_by_role("heading", name="Your account couldn't be verified yet")).to_be_visible()
    expect(phone.get_by_text("they have been notified")).to_be_visible()
    shot("pending-verification")
    mailbox.wait_for("riverside", "needs manual verification")

    with db.connect() as connection:
        status = connection.execute(
            text("SELECT verification_status FROM patient WHERE full_name = 'Quentin Nomatch'")
        ).scalar_one()
    assert status == "pending"


def test_forgot_password_resets_with_a_code_and_signs_out_elsewhere(phone, browser, app, shot, mailbox):
    email = signed_in_new_account(phone, mailbox, shot, "reset")

    # A second device signed in as the same person, signed out by the reset.
    other = open_context(browser, app).new_page()
    other.goto("/login")
    login(other, email, PASSWORD)
    expect(other.get_by_role("heading", name="Your details")).to_be_visible()

    phone.get_by_role("button", name="Sign out").click()
    expect(phone.get_by_text("You have signed out.")).to_be_visible()
    phone.get_by_role("link", name="Forgot your password").click()
    expect(phone.get_by_role("heading", name="Forgot your password")).to_be_visible()
    phone.get_by_label("Email address").fill(email)
    phone.get_by_role("button", name="Send password reset code").click()
    expect(phone.get_by_role("heading", name="Reset your password")).to_be_visible()
    shot("enter-code")

    code = code_in(mailbox.wait_for(email, "password reset code"))
    wrong = "000000" if code != "000000" else "111111"
    phone.get_by_label("Verification code").fill(wrong)
    phone.get_by_label("New password").fill("Brand-New-Lantern-7")
    phone.get_by_role("button", name="Reset password").click()
    expect(phone.locator("#code-error")).to_contain_text("4 tries left")
    expect(phone.locator("#error-summary")).to_be_focused()  # NHS pattern: focus moves to the summary
    shot("wrong-code")
    phone.get_by_label("Verification code").fill(code)
    phone.get_by_label("New password").fill("Brand-New-Lantern-7")
    phone.get_by_role("button", name="Reset password").click()
    expect(phone.get_by_text("Your password has been reset")).to_be_visible()
    shot("password-reset")
    mailbox.wait_for(email, "password has been changed")

    login(phone, email, PASSWORD)
    expect(phone.get_by_text("The email address or password is not correct")).to_be_visible()
    login(phone, email, "Brand-New-Lantern-7")
    expect(phone.get_by_role("heading", name="Your details")).to_be_visible()

    other.reload()
    expect(other.get_by_role("heading", name="Login", exact=True)).to_be_visible()
    close_context(other.context)


def test_unknown_email_gets_the_same_reset_answer(phone, shot, mailbox):
    email = new_email("nobody")
    phone.goto("/forgot-password")
    phone.get_by_label("Email address").fill(email)
    phone.get_by_role("button", name="Send password reset code").click()
    expect(phone.get_by_role("heading", name="Reset your password")).to_be_visible()
    assert mailbox.count(email, "password reset code") == 0


def test_protected_page_sends_a_visitor_to_sign_in_and_back(phone, shot, mailbox):
    email = confirmed_account(phone, mailbox, shot, "returning")

    phone.goto("/register")
    expect(phone.get_by_role("heading", name="Login", exact=True)).to_be_visible()
    assert "next=/register" in phone.url
    expect(phone.get_by_text("Sign in to continue.")).to_be_visible()
    shot("sign-in-to-continue")
    login(phone, email, PASSWORD)
    expect(phone.get_by_role("heading", name="Your details")).to_be_visible()
    assert phone.url.rstrip("/").endswith("/register")

    # An address on another site is never followed after sign-in.
    phone.get_by_role("button", name="Sign out").click()
    expect(phone.get_by_text("You have signed out.")).to_be_visible()
    phone.goto("/login?next=//evil.example/steal")
    login(phone, email, PASSWORD)
    expect(phone.get_by_role("heading", name="Your details")).to_be_visible()
    assert "evil.example" not in phone.url


def test_keyboard_only_sign_up_start(phone, shot):
    """Tab to the email box, type, press Enter: the form works without a pointer."""
    phone.goto("/")
    expect(phone.get_by_role("heading", name="Create an account")).to_be_visible()
    phone.keyboard.press("Tab")
    expect(phone.get_by_role("link", name="Skip to main content")).to_be_focused()
    email_box = phone.get_by_label("Email address")
    for _ in range(6):
        if email_box.evaluate("e => e === document.activeElement"):
            break
        phone.keyboard.press("Tab")
    expect(email_box).to_be_focused()
    phone.keyboard.type("keyboard.user@example.com")
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("heading", name="Check your email")).to_be_visible()
    shot("keyboard")


def _hours_ago(hours: int):
    from anima_pwa.models import utcnow

    return utcnow() - timedelta(hours=hours)


def _this_year() -> int:
    from anima_pwa.models import utcnow

    return utcnow().year


def test_a_session_idle_for_30_minutes_ends(phone, shot, mailbox, db):
    email = signed_in_new_account(phone, mailbox, shot, "idle")

    with db.begin() as connection:  # nobody has used this session for 31 minutes
        connection.execute(
            text(
                "UPDATE auth_session SET last_seen_at = :t WHERE account_id = "
                "(SELECT id FROM account WHERE email_normalized = :e)"
            ),
            {"t": _minutes_ago(31), "e": email.lower()},
        )
    phone.reload()
    expect(phone.get_by_role("heading", name="Login", exact=True)).to_be_visible()
    expect(phone.get_by_text("For your security you have been signed out")).to_be_visible()
    shot("signed-out-when-idle")


def _minutes_ago(minutes: int):
    from anima_pwa.models import utcnow

    return utcnow() - timedelta(minutes=minutes)
