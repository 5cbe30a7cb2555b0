"""Issue 13: every patient journey with the keyboard alone: sign up and add a child; sign in with
MFA and send a whole request; answer the practice; book an appointment.

Set-up (a registered patient with an authenticator app) uses the mouse; from the sign-in page on,
every move is a key press (e2e/keyboard.py): Tab forwards, arrows in a radio group, Space, Enter,
typing. On the way it checks that each focus stop can be seen (not under anything fixed, with a
focus indicator), that focus moves by itself to each new wizard step's heading (anima.js,
[data-step-focus]) and to the error summary when an answer is missing, and that the page never
scrolls sideways."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import Page, expect

from e2e.journeys import PASSWORD, no_sideways_scroll, registered_patient, settled, switch_on_mfa
from e2e.keyboard import choose, focus_is_on, press, sign_in, tab_to, tick, type_into

pytestmark = pytest.mark.usefixtures("open_every_day")  # e2e/conftest.py


def _step_heading(page: Page):
    return page.locator("[data-step-focus]")


def _continue(page: Page) -> None:
    press(page, page.get_by_role("button", name="Continue", exact=True))


def test_sign_in_with_mfa_and_send_a_whole_request_with_the_keyboard_alone(phone: Page, shot, mailbox, db) -> None:
    email, _person = registered_patient(phone, mailbox, shot, db, "keys")
    key, _codes = switch_on_mfa(phone, shot)
    phone.get_by_role("button", name="Sign out").click()
    expect(phone.get_by_text("You have signed out.")).to_be_visible()

    # Sign in: email, password, Enter; then the code from the app.
    phone.goto("/login")
    settled(phone)
    type_into(phone, phone.get_by_label("Email address"), email)
    type_into(phone, phone.get_by_label("Password", exact=True), PASSWORD)
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("heading", name="Enter the code from your authenticator app")).to_be_visible()
    code = phone.get_by_label("6-digit code")
    type_into(phone, code, "12345")
    phone.keyboard.press("Enter")
    focus_is_on(phone, phone.locator("#error-summary"))  # the error is read out first
    expect(phone.locator("#code-error")).to_contain_text("6 numbers")
    shot("mfa-error-focused")
    tab_to(phone, code)  # the summary, its link, then the field again
    phone.keyboard.press("Control+A")
    phone.keyboard.type(pyotp.TOTP(key).at(time.time() + 30))
    phone.keyboard.press("Enter")
    create = phone.get_by_role("button", name="Create Request")
    expect(create).to_be_visible()
    settled(phone)

    # The request: who, what kind, the topic by search, the emergency screen, each question.
    press(phone, create)
    expect(phone.get_by_role("group", name="Who is this request for?")).to_be_visible()
    settled(phone)
    choose(phone, phone.get_by_label("You", exact=True))
    _continue(phone)
    expect(phone.get_by_label("Medical request")).to_be_visible()
    focus_is_on(phone, _step_heading(phone))
    choose(phone, phone.get_by_label("Medical request"))
    _continue(phone)
    search = phone.get_by_label("Search for what your request is about")
    expect(search).to_be_visible()
    focus_is_on(phone, _step_heading(phone))
    type_into(phone, search, "cough")
    topic = phone.get_by_role("button", name="Cough and cold")
    expect(topic).to_be_visible()
    press(phone, topic)

    # The emergency screen: Continue with nothing ticked is an error, read out first.
    group = phone.get_by_role("group", name=re.compile(r"^Do any of these apply"))
    expect(group).to_be_visible()
    focus_is_on(phone, _step_heading(phone))
    _continue(phone)
    focus_is_on(phone, phone.locator("#error-summary"))
    shot("emergency-error-focused")
    progress = phone.locator("#red-flag-progress")
    first_question = phone.get_by_text(re.compile(r"^Question 1 of"))
    for _ in range(15):
        shown = progress.inner_text()
        tick(phone, group.get_by_label("None of these", exact=True))
        _continue(phone)
        expect(progress.filter(has_not_text=shown).or_(first_question)).to_be_visible()
        focus_is_on(phone, _step_heading(phone))
        if first_question.is_visible():
            break
    else:
        raise AssertionError("the emergency screen never ended")

    # Each question: the last of two answers ("No"), else the first; the heading has the focus.
    anything_else = phone.get_by_label("Is there anything else you want to tell us? (optional)")
    question = phone.locator(".progress")
    for _ in range(25):
        if anything_else.is_visible():
            break
        shown = question.inner_text()
        radios = phone.locator("input[type=radio][name=answer]")
        choose(phone, radios.nth(radios.count() - 1 if radios.count() == 2 else 0))
        _continue(phone)
        expect(question.filter(has_not_text=shown).or_(anything_else)).to_be_visible()
        focus_is_on(phone, _step_heading(phone))
    else:
        raise AssertionError("too many questions")
    no_sideways_scroll(phone)
    type_into(phone, anything_else, "It started after a cold.")
    _continue(phone)

    choose(phone, phone.get_by_label("A phone call"))
    choose(phone, phone.get_by_label("Text message to my mobile"))
    _continue(phone)
    expect(phone.get_by_role("heading", name="Check your answers")).to_be_visible()
    expect(phone.get_by_text("It started after a cold.")).to_be_visible()
    shot("check-answers")
    press(phone, phone.get_by_role("button", name="Send request"))
    sent = phone.get_by_role("heading", name="Request sent")
    expect(sent).to_be_visible()
    focus_is_on(phone, sent)
    shot("sent")
    assert phone.locator(".reference").inner_text().startswith("AN-")


def test_respond_to_the_practice_with_the_keyboard_alone(phone: Page, shot, db) -> None:
    """In progress, the red Respond button, a reply typed and sent: all with keys. The reply says
    something of an emergency, so the 999 advice shows at once."""
    from e2e.test_inbox_patient import _family

    family = _family(db)
    sign_in(phone, family["mum"], PASSWORD)
    in_progress = phone.get_by_role("link", name="In progress")
    expect(in_progress.first).to_be_visible()
    settled(phone)
    press(phone, in_progress.first)
    expect(phone.get_by_role("heading", name="In progress", level=1)).to_be_visible()
    settled(phone)
    press(phone, phone.get_by_role("button", name="Respond").first)
    reply = phone.get_by_label("Your reply")
    expect(reply).to_be_visible()
    settled(phone)
    type_into(phone, reply, "He is struggling to breathe now.")
    press(phone, phone.get_by_role("button", name="Send reply"))
    expect(phone.get_by_text("Your reply has been sent to your practice.")).to_be_visible()
    expect(phone.locator(".thread__item--patient")).to_contain_text("He is struggling to breathe now.")
    # Words of an emergency in a reply: the 999 advice at once (HAZ-100), its button reachable.
    advice = phone.locator("#reply-advice")
    expect(advice.get_by_role("heading", name="Call 999 now")).to_be_visible()
    call = advice.get_by_role("button", name="Call 999")
    expect(call).to_have_attribute("href", "tel:999")
    shot("replied-emergency")


def test_book_an_appointment_with_the_keyboard_alone(phone: Page, shot, db) -> None:
    """In progress, Book appointment, a day, a time, Confirm: all with keys; after each choice the
    focus is on the next step's heading, not lost at the top of the page."""
    from e2e.test_appointments_patient import _world

    world = _world(db)
    sign_in(phone, world["zoe"], PASSWORD, to="/requests/in-progress")
    book = phone.get_by_role("button", name="Book appointment")
    expect(book).to_be_visible()
    settled(phone)
    press(phone, book)
    expect(phone.get_by_role("heading", name="Choose a day")).to_be_visible()
    settled(phone)
    press(phone, phone.locator(".options .option").first)
    times = phone.get_by_role("heading", name="Choose a time on")
    expect(times).to_be_visible()
    focus_is_on(phone, times)
    press(phone, phone.locator(".slot-times .option").first)
    check = phone.get_by_role("heading", name="Check your appointment")
    expect(check).to_be_visible()
    focus_is_on(phone, check)
    shot("confirm")
    press(phone, phone.get_by_role("button", name="Confirm appointment"))
    expect(phone.get_by_role("heading", name="Your appointment is booked")).to_be_visible()
    shot("booked")


def test_sign_up_and_add_a_child_with_the_keyboard_alone(phone: Page, shot, mailbox, db) -> None:
    """The whole sign-up (email, the emailed link, a password, the details form with the practice
    type-ahead, the two agreements) and then adding a child, with keys; opening the emailed link is
    the one step done by address, as a patient taps it in their email app."""
    from datetime import date

    from e2e.conftest import link_in
    from e2e.journeys import new_email, person_on_register

    person = person_on_register(db, given="Keira")
    child = person_on_register(db, given="Kit", family=person.family, dob=date(2018, 2, 3))
    email = new_email("keysignup")
    phone.goto("/")
    expect(phone.get_by_role("heading", name="Create an account")).to_be_visible()
    settled(phone)
    type_into(phone, phone.get_by_label("Email address"), email)
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("heading", name="Check your email")).to_be_visible()
    phone.goto(link_in(mailbox.wait_for(email, "Confirm your email address")))
    expect(phone.get_by_role("heading", name="Create a password")).to_be_visible()
    settled(phone)
    type_into(phone, phone.get_by_label("Create a password"), PASSWORD)
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("heading", name="Your registration is confirmed")).to_be_visible()

    sign_in(phone, email, PASSWORD)
    expect(phone.get_by_role("heading", name="Your details")).to_be_visible()
    settled(phone)
    type_into(phone, phone.get_by_label("Full name"), person.full_name)
    type_into(phone, phone.get_by_label("Day"), str(person.dob.day))
    type_into(phone, phone.get_by_label("Month"), str(person.dob.month))
    type_into(phone, phone.get_by_label("Year"), str(person.dob.year))
    type_into(phone, phone.get_by_label("Postcode", exact=True), person.postcode)
    type_into(phone, phone.get_by_label("Mobile phone number"), person.mobile)
    type_into(phone, phone.get_by_label("NHS number (if known)"), person.nhs_number)
    type_into(phone, phone.get_by_label("GP practice"), "Riverside")
    practice = phone.get_by_role("button", name="Riverside Health Centre")
    expect(practice).to_be_visible()
    press(phone, practice)
    expect(phone.get_by_label("Practice postcode")).to_have_value("MB1 2RH")
    tick(phone, phone.get_by_label("I confirm I am over 18"))
    tick(phone, phone.get_by_label("I agree to Anima's privacy policy and terms of use"))
    press(phone, phone.get_by_role("button", name="Create Account"))
    expect(phone.get_by_role("heading", name="You're all set up")).to_be_visible()
    settled(phone)
    focus_is_on(phone, phone.locator("main#maincontent"))  # a new screen: its content has the focus
    shot("registered")

    # A child: Settings, Dependants & children, Add new dependant; a missing box first.
    press(phone, phone.get_by_role("link", name="Settings"))
    expect(phone.get_by_role("heading", name="Settings", exact=True)).to_be_visible()
    settled(phone)
    press(phone, phone.get_by_role("link", name="Dependants & children"))
    expect(phone.get_by_role("heading", name="Dependants & children")).to_be_visible()
    settled(phone)
    press(phone, phone.get_by_role("button", name="Add new dependant"))
    expect(phone.get_by_role("heading", name="Add new dependant")).to_be_visible()
    settled(phone)
    type_into(phone, phone.get_by_label("Their full name"), child.full_name)
    type_into(phone, phone.get_by_label("Day"), str(child.dob.day))
    type_into(phone, phone.get_by_label("Month"), str(child.dob.month))
    type_into(phone, phone.get_by_label("Year"), str(child.dob.year))
    type_into(phone, phone.get_by_label("Their NHS number"), child.nhs_number)
    press(phone, phone.get_by_role("button", name="Add dependant"))
    focus_is_on(phone, phone.locator("#error-summary"))
    expect(phone.locator("#registered_here-error")).to_be_visible()
    expect(phone.get_by_label("Their full name")).to_have_value(child.full_name)
    tick(phone, phone.get_by_label("I confirm they are registered at my GP practice"))
    press(phone, phone.get_by_role("button", name="Add dependant"))
    expect(phone.get_by_text("They have been added to your account.")).to_be_visible()
    shot("child-added")
