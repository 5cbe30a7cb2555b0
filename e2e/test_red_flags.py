"""Red flags on a phone (issue 9, item 3): the emergency screen a short page at a time, where
"None of these" must be chosen to carry on; two signs of different urgency give both advices,
most urgent first; the crisis lines let the request go on; and the practice sees today's
signposted patient and marks them followed up."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from e2e.journeys import answer_emergency_screen, registered_patient, settled
from e2e.test_practice import new_staff, staff_sign_in_first_time
from e2e.test_requests import start_request

pytestmark = pytest.mark.usefixtures("open_every_day")  # e2e/conftest.py

LEGEND = "Do any of these apply to you now, or in the last 24 hours?"


def _choose_topic(page, words: str, title: str) -> None:
    page.get_by_label("Search for what your request is about").fill(words)
    page.get_by_role("button", name=title).click()
    expect(page.get_by_role("group", name=LEGEND)).to_be_visible()


def test_none_of_these_must_be_chosen_to_carry_on_and_the_crisis_lines_let_the_request_go_on(phone, shot, mailbox, db):
    registered_patient(phone, mailbox, shot, db, "noneofthese")
    start_request(phone)
    _choose_topic(phone, "headache", "Headache")
    group = phone.get_by_role("group", name=LEGEND)
    expect(phone.get_by_text(re.compile(r"^Emergency questions 1 of \d+$"))).to_be_visible()
    expect(group.get_by_label("None of these", exact=True)).not_to_be_checked()
    shot("first-page")

    # Continue with nothing chosen is not a "no": it is an error, next to the boxes and in the summary.
    phone.get_by_role("button", name="Continue").click()
    summary = phone.get_by_role("heading", name="There is a problem")
    expect(summary).to_be_visible()
    expect(phone.locator(".error-message")).to_contain_text("Select the ones that apply, or select 'None of these'")
    expect(phone.get_by_text(re.compile(r"^Emergency questions 1 of"))).to_be_visible()
    shot("nothing-chosen")

    # A sign and "None of these" together: an error too, and nothing is sent anywhere.
    group.get_by_label(re.compile("chest pain that feels heavy")).check()
    group.get_by_label("None of these", exact=True).check()
    phone.get_by_role("button", name="Continue").click()
    expect(phone.locator(".error-message")).to_contain_text("not both")
    shot("sign-and-none")
    group.get_by_label(re.compile("chest pain that feels heavy")).uncheck()
    phone.get_by_role("button", name="Continue").click()
    expect(phone.get_by_text(re.compile(r"^Emergency questions 2 of"))).to_be_visible()
    expect(phone.get_by_role("button", name="Back", exact=True)).to_be_visible()

    # Thoughts of suicide, not about to act: the crisis lines, and the request goes on.
    answer_emergency_screen(phone, tick=("even if you do not think you would act on them",))
    crisis = phone.locator("[data-advice='crisis']")
    expect(crisis.get_by_role("heading", name="Get help now")).to_be_visible()
    expect(crisis.get_by_role("button", name="Call 111, option 2")).to_have_attribute("href", "tel:111")
    expect(crisis.get_by_role("button", name="Call Samaritans on 116 123")).to_have_attribute("href", "tel:116123")
    expect(phone.get_by_text("When you send it, your practice will see that it is urgent.")).to_be_visible()
    shot("crisis-lines")
    phone.get_by_role("button", name="Continue with the request").click()
    expect(phone.get_by_text("Question 1 of")).to_be_visible()
    shot("carried-on")
    with db.connect() as connection:
        row = connection.execute(
            text(
                "SELECT s.advice, s.source FROM emergency_signpost s JOIN account a ON a.id = s.account_id "
                "WHERE a.email LIKE 'noneofthese.%'"
            )
        ).one()
    assert (row.advice, row.source) == ("crisis", "emergency_screen")


def test_two_signs_of_different_urgency_show_both_advices_most_urgent_first(phone, shot, mailbox, db):
    registered_patient(phone, mailbox, shot, db, "twoflags")
    start_request(phone)
    _choose_topic(phone, "headache", "Headache")
    # "Too unwell to wait" (111) on one page; a red eye with a very bad headache (999) on a later one.
    answer_emergency_screen(phone, tick=("too unwell to wait", "white part of your eye red"), shot=shot)
    first = phone.locator("[data-advice='999']")
    second = phone.locator("[data-advice='111']")
    expect(first.get_by_role("heading", name="Call 999 now")).to_be_visible()
    expect(second.get_by_role("heading", name="Call 111 now")).to_be_visible()
    expect(first).to_contain_text("Your answers suggest you may need emergency help. Call 999 now")
    expect(second).to_contain_text("You need medical help today")
    expect(first.get_by_role("button", name="Call 999")).to_have_attribute("href", "tel:999")
    expect(second.get_by_role("button", name="Call 111")).to_have_attribute("href", "tel:111")
    assert first.bounding_box()["y"] + first.bounding_box()["height"] <= second.bounding_box()["y"]
    expect(phone.get_by_text("Your request has not been sent to your practice.")).to_be_visible()
    shot("999-then-111")
    with db.connect() as connection:
        row = connection.execute(
            text(
                "SELECT s.advice, s.advices FROM emergency_signpost s JOIN account a ON a.id = s.account_id "
                "WHERE a.email LIKE 'twoflags.%'"
            )
        ).one()
    assert (row.advice, row.advices) == ("999", '["999", "111"]')


def test_staff_see_todays_signposted_patient_and_mark_them_followed_up(desk, phone, shot, mailbox, db):
    _email, person = registered_patient(phone, mailbox, shot, db, "signposted", given="Nadia")
    start_request(phone)
    _choose_topic(phone, "cough", "Cough and cold")
    group = phone.get_by_role("group", name=LEGEND)
    group.get_by_label(re.compile("struggling to breathe")).check()
    phone.get_by_role("button", name="Continue").click()
    expect(phone.get_by_role("heading", name="Call 999 now")).to_be_visible()

    email, password = new_staff(db, role="receptionist")
    staff_sign_in_first_time(desk, email, password, desk.shots)
    desk.get_by_role("link", name="Signposted today").click()
    expect(desk.get_by_role("heading", name="Signposted today")).to_be_visible()
    settled(desk)
    row = desk.locator("tr", has_text=person.full_name)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("999")
    expect(row).to_contain_text("Emergency questions")
    expect(row).to_contain_text(f"{person.full_name} (the patient)")
    expect(row).not_to_contain_text("breathe")  # the advice only, never the sign
    desk.shots("signposted-today")
    row.get_by_role("button", name=f"Mark {person.full_name} as followed up").click()
    expect(row).to_contain_text(re.compile(r"Followed up by Sam Receptionist at \d\d:\d\d"))
    desk.shots("followed-up")
    with db.connect() as connection:
        marked = connection.execute(
            text(
                "SELECT count(*) FROM emergency_signpost s JOIN patient p ON p.id = s.patient_id "
                "WHERE p.nhs_number = :n AND s.followed_up_at IS NOT NULL AND s.followed_up_by_staff_id IS NOT NULL"
            ),
            {"n": person.nhs_number},
        ).scalar_one()
        audited = connection.execute(
            text("SELECT count(*) FROM audit_event WHERE action IN ('signposted_list_viewed', 'signpost_followed_up')")
        ).scalar_one()
    assert marked == 1 and audited >= 2
    # The name links to the patient's record.
    row.get_by_role("link", name=person.full_name).click()
    expect(desk.get_by_role("heading", name=person.full_name, level=1)).to_be_visible()
    desk.shots("patient-record")
