"""Request wizards: the journeys the issue lists, on a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import text

from e2e.journeys import ALL_DAYS, answer_emergency_screen, practice_settings, registered_patient, settled

pytestmark = pytest.mark.usefixtures("open_every_day")  # e2e/conftest.py


def start_request(page: Page, who: str = "You", kind: str = "Medical request") -> None:
    page.goto("/request?new=1")
    settled(page)
    expect(page.get_by_role("group", name="Who is this request for?")).to_be_visible()
    page.get_by_label(who, exact=True).check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label(kind).check()
    page.get_by_role("button", name="Continue").click()


def answer_until_anything_else(page: Page, shot, limit: int = 25) -> int:
    """Answer each question with its first option ("No" for yes/no, a short text otherwise), one
    page at a time, until the "anything else" page."""
    heading = page.get_by_text("Is there anything else you want to tell us?")
    progress = page.locator(".progress")
    pages = 0
    shown = ""
    while pages < limit:
        # Wait for the next page: a new "Question N of M", or the end of the questions.
        expect(heading.or_(progress.filter(has_not_text=shown) if shown else progress)).to_be_visible()
        if heading.is_visible():
            return pages
        shown = progress.inner_text()
        pages += 1
        if pages == 1:
            shot("first-question")
        radios = page.locator("input[type=radio][name=answer]")
        if radios.count():
            radios.nth(radios.count() - 1 if radios.count() == 2 else 0).check()
        elif page.locator("[name=answer]").count():
            field = page.locator("[name=answer]")
            if field.get_attribute("type") == "date":
                # A date in the future when the question asks for one ("When do you need it by?").
                future = (
                    "future" in (field.get_attribute("aria-describedby") or "")
                    or "by?" in page.locator("legend").inner_text()
                )
                field.fill("2030-01-15" if future else "2026-11-01")
            else:
                field.fill("3")
        page.get_by_role("button", name="Continue").click()
    raise AssertionError("too many questions")


def test_a_medical_request_for_self_from_search_to_confirmation(phone, shot, mailbox, db):
    registered_patient(phone, mailbox, shot, db, "cough")
    phone.get_by_role("button", name="Create Request").click()
    settled(phone)
    phone.get_by_label("You", exact=True).check()
    phone.get_by_role("button", name="Continue").click()
    phone.get_by_label("Medical request").check()
    phone.get_by_role("button", name="Continue").click()
    phone.get_by_label("Search for what your request is about").fill("cought")
    expect(phone.get_by_role("button", name="Cough and cold")).to_be_visible()
    shot("search-typo")
    phone.get_by_role("button", name="Cough and cold").click()
    expect(
        phone.get_by_role("group", name="Do any of these apply to you now, or in the last 24 hours?")
    ).to_be_visible()
    shot("emergency-screen")
    answer_emergency_screen(phone)
    expect(phone.get_by_text("Question 1 of")).to_be_visible()

    # A reload in the middle keeps the answers.
    answer_one = phone.locator("input[type=radio][name=answer]")
    answer_one.first.check()
    phone.get_by_role("button", name="Continue").click()
    expect(phone.get_by_text("Question 2 of")).to_be_visible()
    phone.reload()
    expect(phone.get_by_text("Question 2 of")).to_be_visible()
    phone.get_by_role("button", name="Back", exact=True).click()
    expect(phone.get_by_text("Question 1 of")).to_be_visible()
    expect(phone.locator("input[type=radio][name=answer]").first).to_be_checked()
    phone.get_by_role("button", name="Continue").click()
    expect(phone.get_by_text("Question 2 of")).to_be_visible()  # the next page, before answering it

    answer_until_anything_else(phone, shot)
    phone.get_by_label("Is there anything else you want to tell us? (optional)").fill("It started after a cold.")
    phone.get_by_role("button", name="Continue").click()
    phone.get_by_label("A phone call").check()
    phone.get_by_label("Text message to my mobile").check()
    phone.get_by_role("button", name="Continue").click()
    expect(phone.get_by_role("heading", name="Check your answers")).to_be_visible()
    expect(phone.get_by_text("It started after a cold.")).to_be_visible()
    shot("check-answers")
    phone.get_by_role("button", name="Send request").click()
    expect(phone.get_by_role("heading", name="Request sent")).to_be_visible()
    reference = phone.locator(".reference").inner_text()
    assert reference.startswith("AN-")
    shot("sent")

    phone.get_by_role("button", name="See your requests").click()
    expect(phone.get_by_role("heading", name="Your requests")).to_be_visible()
    expect(phone.get_by_text("Cough and cold")).to_be_visible()
    expect(phone.get_by_text(reference)).to_be_visible()

    with db.connect() as connection:
        row = connection.execute(
            text("SELECT status, urgency, team, subject FROM request WHERE reference = :r"), {"r": reference}
        ).one()
    assert row.status == "submitted" and row.urgency and row.team and row.subject

    # One open medical request per patient: the next attempt is refused before any questions.
    start_request(phone)
    expect(phone.get_by_text("already have an open medical request")).to_be_visible()
    shot("patient-limit")


def test_a_red_flag_ends_at_call_999_and_makes_no_request(phone, shot, mailbox, db):
    registered_patient(phone, mailbox, shot, db, "redflag")
    start_request(phone)
    phone.get_by_label("Search for what your request is about").fill("headache")
    phone.get_by_role("button", name="Headache").click()
    phone.get_by_label("chest pain", exact=False).first.check()
    phone.get_by_role("button", name="Continue").click()
    expect(phone.get_by_role("heading", name="Call 999 now")).to_be_visible()
    expect(phone.get_by_text("Your request has not been sent to your practice.")).to_be_visible()
    shot("call-999")
    phone.reload()
    expect(phone.get_by_role("heading", name="Call 999 now")).to_be_visible()
    with db.connect() as connection:
        assert (
            connection.execute(text("SELECT count(*) FROM emergency_signpost WHERE advice = '999'")).scalar_one() >= 1
        )


def test_the_search_answers_an_emergency_with_999_before_any_topic_and_forgives_typos(phone, shot, mailbox, db, app):
    log_start = app.log_path.stat().st_size
    registered_patient(phone, mailbox, shot, db, "searchsos")
    start_request(phone)
    search = phone.get_by_label("Search for what your request is about")

    # An emergency typed into the search box: the 999 advice at once, above any topic.
    search.fill("took too many tablets")
    alert = phone.get_by_role("alert").filter(has=phone.get_by_role("heading", name="Call 999 now"))
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("even if they seem well")
    expect(alert.get_by_role("button", name="Call 999")).to_have_attribute("href", "tel:999")
    topic = phone.get_by_role("button", name="Medication question")
    expect(topic).to_be_visible()  # it is still possible to carry on
    assert alert.bounding_box()["y"] + alert.bounding_box()["height"] <= topic.bounding_box()["y"]
    shot("overdose-999-before-topics")

    # Pressing Enter (a submitted search) records that the advice was shown, once: the rule that
    # fired and the advice, not the words typed.
    search.press("Enter")
    expect(alert).to_be_visible()
    search.press("Enter")

    # Thoughts of suicide get the crisis lines.
    search.fill("want to end it all")
    crisis = phone.get_by_role("alert").filter(has=phone.get_by_role("heading", name="Get help now"))
    expect(crisis).to_be_visible()  # events run in order, so both Enters were handled before this
    expect(crisis.get_by_role("button", name="Call Samaritans on 116 123")).to_have_attribute("href", "tel:116123")
    shot("crisis-lines")
    with db.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT s.advice, s.flags FROM emergency_signpost s JOIN account a ON a.id = s.account_id "
                "WHERE s.topic = 'search' AND a.email LIKE 'searchsos.%'"
            )
        ).all()
    assert [(row.advice, row.flags) for row in rows] == [("999", '["overdose"]')]

    # An ordinary phrase with typos finds its topic, with no advice.
    search.fill("my sholder is realy sore")
    joint = phone.get_by_role("button", name="Joint or muscle pain")
    expect(joint).to_be_visible()
    expect(phone.get_by_role("heading", name="Call 999 now")).to_have_count(0)
    shot("typo-finds-topic")
    joint.click()
    expect(
        phone.get_by_role("group", name="Do any of these apply to you now, or in the last 24 hours?")
    ).to_be_visible()

    # A topic of the other kind is offered, says which kind it is, and makes the request that kind.
    phone.get_by_role("button", name="Start again").click()
    start_request(phone)
    search.fill("sicknote")
    expect(phone.get_by_role("heading", name="Get help now")).to_have_count(0)
    other = phone.get_by_role("button", name="Fit note An admin request")
    expect(other).to_be_visible()
    shot("other-kind")
    other.click()
    expect(phone.get_by_role("heading", name="Fit note")).to_be_visible()
    expect(phone.get_by_text("Question 1 of")).to_be_visible()
    with app.log_path.open(errors="replace") as log:  # no handler failed on the way
        log.seek(log_start)
        assert "Traceback" not in log.read()


def test_an_admin_request_for_a_dependant(phone, shot, mailbox, db):
    from datetime import date

    from e2e.journeys import person_on_register
    from e2e.test_dependants import add_dependant

    family = "Adminson"
    child = person_on_register(db, given="Milo", family=family, dob=date(2018, 2, 3))
    registered_patient(phone, mailbox, shot, db, "adminparent", given="Rosa", family=family)
    add_dependant(phone, child)
    expect(phone.get_by_text("They have been added to your account.")).to_be_visible()

    start_request(phone, who=child.full_name, kind="Admin request")
    phone.get_by_label("Search for what your request is about").fill("sick note")
    expect(phone.get_by_role("button", name="Fit note")).to_be_visible()
    phone.get_by_text("See all topics").click()
    phone.get_by_role("button", name="Letter or form").first.click()
    answer_until_anything_else(phone, shot)
    phone.get_by_role("button", name="Continue").click()
    phone.get_by_label("Email").check()
    phone.get_by_role("button", name="Continue").click()
    expect(phone.get_by_role("heading", name="Check your answers")).to_be_visible()
    phone.get_by_role("button", name="Send request").click()
    expect(phone.get_by_role("heading", name="Request sent")).to_be_visible()
    phone.get_by_role("button", name="See your requests").click()
    expect(phone.get_by_text(f"Admin request for {child.full_name}")).to_be_visible()
    shot("dependant-request-listed")


def test_out_of_hours_and_limit_reached_say_why_before_any_question(phone, shot, mailbox, db):
    import json

    registered_patient(phone, mailbox, shot, db, "closed")
    # Closed today (open the other days): the guide's first reason.
    today = ALL_DAYS[_london_today().weekday()]
    open_days = {day: ["00:00", "23:59"] for day in ALL_DAYS if day != today}
    practice_settings(db, hours=json.dumps({"medical": open_days, "admin": open_days}))
    start_request(phone)
    expect(phone.get_by_text("The surgery's window for online medical requests is closed")).to_be_visible()
    expect(phone.locator(".progress")).to_have_count(0)
    shot("out-of-hours")

    # Open, but the practice's daily limit is used up: another reason, its own message.
    practice_settings(db, daily_limit=1)
    with db.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO capacity_counter (practice_id, day, submitted) SELECT id, :d, 1 FROM practice "
                "WHERE ods_code = 'Y90001' ON CONFLICT (practice_id, day) DO UPDATE SET submitted = 1"
            ),
            {"d": _london_today()},
        )
    start_request(phone)
    expect(phone.get_by_text("limit of online requests for today")).to_be_visible()
    shot("daily-limit")


def _london_today():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Europe/London")).date()


def _to_check_your_answers(page: Page, shot) -> None:
    """From the topic search to "Check your answers", for a cough (no red flags ticked)."""
    page.get_by_label("Search for what your request is about").fill("cough")
    page.get_by_role("button", name="Cough and cold").click()
    answer_emergency_screen(page)  # "None of these" on every page
    answer_until_anything_else(page, shot)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("A phone call").check()
    page.get_by_label("Text message to my mobile").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()


def test_two_tabs_start_again_in_one_and_continue_or_send_in_the_other(phone, shot, mailbox, db):
    """One signed-in patient, two tabs on the same request: what one tab does to the draft, the
    other is told about, and it lands somewhere sensible, never on an error."""
    from e2e.conftest import Shots

    registered_patient(phone, mailbox, shot, db, "twotabs")
    start_request(phone)
    phone.get_by_label("Search for what your request is about").fill("cough")
    phone.get_by_role("button", name="Cough and cold").click()
    answer_emergency_screen(phone)  # "None of these" on every page
    expect(phone.get_by_text("Question 1 of")).to_be_visible()

    other = phone.context.new_page()  # a second tab of the same browser: the same signed-in patient
    errors: list[str] = []
    other.on("pageerror", lambda error: errors.append(str(error)))
    other_shot = Shots(other, "test_two_tabs-second-tab")
    other.goto("/request")
    expect(other.get_by_text("Question 1 of")).to_be_visible()  # the same draft, resumed
    settled(other)
    other_shot("same-question")

    # "Start again" in the first tab; "Continue" in the second.
    phone.get_by_role("button", name="Start again").click()
    expect(phone.get_by_role("group", name="Who is this request for?")).to_be_visible()
    shot("started-again")
    other.locator("input[type=radio][name=answer]").first.check()
    other.get_by_role("button", name="Continue").click()
    expect(other.get_by_role("alert").filter(has_text="no longer open")).to_be_visible()
    expect(other.get_by_text("Nothing was sent to your practice. You can start a new request below.")).to_be_visible()
    expect(other.get_by_role("group", name="Who is this request for?")).to_be_visible()
    other_shot("told-it-was-started-again")

    # Both tabs at "Check your answers" for a new request; the first sends it, then the second.
    start_request(phone)
    _to_check_your_answers(phone, shot)
    other.goto("/request")
    expect(other.get_by_role("heading", name="Check your answers")).to_be_visible()
    settled(other)
    phone.get_by_role("button", name="Send request").click()
    expect(phone.get_by_role("heading", name="Request sent")).to_be_visible()
    reference = phone.locator(".reference").inner_text()
    other.get_by_role("button", name="Send request").click()
    expect(other.get_by_role("heading", name="Request sent")).to_be_visible()
    expect(other.get_by_role("alert").filter(has_text="already been sent to your practice")).to_be_visible()
    expect(other.locator(".reference")).to_have_text(reference)
    other_shot("told-it-was-already-sent")

    with db.connect() as connection:  # one request, sent once
        assert (
            connection.execute(text("SELECT count(*) FROM request WHERE reference = :r"), {"r": reference}).scalar_one()
            == 1
        )
    other.close()
    assert not errors, f"JavaScript errors in the second tab: {errors}"
