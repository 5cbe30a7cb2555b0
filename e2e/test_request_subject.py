"""Questions asked about the person a request is for (issue 9), on a phone: a parent's request for
their child names the child in every question, and a care home's request for a resident names the
resident on every page. Each test reads the question texts off the page."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import text

from e2e.journeys import answer_emergency_screen, person_on_register, registered_patient, settled
from e2e.test_requests import start_request

pytestmark = pytest.mark.usefixtures("open_every_day")  # e2e/conftest.py

YOU = re.compile(r"\b(you|your|yours|yourself)\b", re.IGNORECASE)
FIRST_PERSON = re.compile(r"\b(I|I'm|my|me)\b")
ANYTHING_ELSE = "Is there anything else you want to tell us?"


def _emergency_questions(page: Page, shot=None) -> list[str]:
    """Every question of the emergency screen, page by page ("None of these" on each)."""
    expect(page.get_by_role("group", name=re.compile(r"^Do any of these apply"))).to_be_visible()
    return answer_emergency_screen(page, shot=shot)


def answer_reading_each_question(page: Page, shot, *, about: str) -> list[tuple[str, str, list[str]]]:
    """Answer each question page as it comes (last option for yes/no, first otherwise), checking
    the page says who the questions are about; returns (question, hint, option labels) per page."""
    heading = page.get_by_text(ANYTHING_ELSE)
    progress = page.locator(".progress")
    seen: list[tuple[str, str, list[str]]] = []
    shown = ""
    for _ in range(25):
        expect(heading.or_(progress.filter(has_not_text=shown) if shown else progress)).to_be_visible()
        if heading.is_visible():
            return seen
        shown = progress.inner_text()
        expect(page.locator("#questions-about")).to_have_text(f"Questions about {about}")
        question = page.locator("#question-legend").inner_text()
        hints = page.locator("fieldset .hint")
        hint = hints.first.inner_text() if hints.count() else ""
        radios = page.locator("input[type=radio][name=answer]")
        options = [
            page.locator(f"label[for='{radios.nth(n).get_attribute('id')}']").inner_text()
            for n in range(radios.count())
        ]
        seen.append((question, hint, options))
        shot(f"question-{len(seen)}")
        if radios.count():
            radios.nth(radios.count() - 1 if radios.count() == 2 else 0).check()
        elif page.locator("[name=answer]").count():
            page.locator("[name=answer]").fill("3")
        page.get_by_role("button", name="Continue").click()
    raise AssertionError("too many questions")


def _assert_about(texts: list[str], name: str) -> None:
    assert texts
    for question in texts:
        assert name in question, f"{question!r} does not name {name}"
        assert not YOU.search(question), f"{question!r} says you/your"
        assert not FIRST_PERSON.search(question), f"{question!r} says I/my"


def test_a_parents_request_for_their_child_asks_every_question_about_the_child(phone, shot, mailbox, db):
    from e2e.test_dependants import add_dependant

    today = datetime.now(ZoneInfo("Europe/London")).date()
    six = today.replace(year=today.year - 6, day=min(today.day, 28))
    child = person_on_register(db, given="Lily", dob=six)  # a family name of its own, letters only
    registered_patient(phone, mailbox, shot, db, "lilysparent", given="Priya", family=child.family)
    add_dependant(phone, child)
    expect(phone.get_by_text("They have been added to your account.")).to_be_visible()

    start_request(phone, who=child.full_name)
    phone.get_by_label("Search for what your request is about").fill("cough")
    phone.get_by_role("button", name="Cough and cold").click()

    # The emergency screen: who it is about, "answer for them", and every box about Lily.
    expect(phone.locator("#questions-about")).to_have_text(f"Questions about {child.full_name}")
    expect(phone.locator("#answer-for-them")).to_contain_text(
        "These questions are about Lily. Answer for Lily, not for yourself."
    )
    expect(
        phone.get_by_role("group", name="Do any of these apply to Lily now, or in the last 24 hours?")
    ).to_be_visible()
    shot("emergency-screen-for-lily")
    flags = _emergency_questions(phone)
    assert len(flags) == 27  # 16 shared for a 6-year-old + 8 for children + 3 for coughs
    _assert_about(flags, "Lily")
    assert "Is Lily coughing up blood?" in flags

    pages = answer_reading_each_question(phone, shot, about=child.full_name)
    assert len(pages) == 10
    _assert_about([question for question, _hint, _options in pages], "Lily")
    for _question, hint, options in pages:
        for words in [hint, *options]:
            assert not YOU.search(words) and not FIRST_PERSON.search(words), words

    expect(phone.locator("#questions-about")).to_have_text(f"Questions about {child.full_name}")
    phone.get_by_role("button", name="Continue").click()  # nothing else
    expect(phone.get_by_role("group", name="If Lily needs an appointment, how would you prefer it?")).to_be_visible()
    expect(phone.locator("#questions-about")).to_have_text(f"Questions about {child.full_name}")
    phone.get_by_label("A phone call").check()
    phone.get_by_label("Text message to my mobile").check()
    phone.get_by_role("button", name="Continue").click()

    # The check page asks the same questions, about Lily.
    expect(phone.get_by_role("heading", name="Check your answers")).to_be_visible()
    expect(phone.locator("#questions-about")).to_have_text(f"Questions about {child.full_name}")
    checked = [dt.inner_text() for dt in phone.locator("dt[data-topic-question='yes']").all()]
    assert checked == [question for question, _hint, _options in pages]
    shot("check-answers-about-lily")
    phone.get_by_role("button", name="Send request").click()
    expect(phone.get_by_role("heading", name="Request sent")).to_be_visible()
    reference = phone.locator(".reference").inner_text()

    with db.connect() as connection:
        row = connection.execute(
            text("SELECT subject_wording, filled_in_by, triage_summary FROM request WHERE reference = :r"),
            {"r": reference},
        ).one()
    assert row.subject_wording == "child"
    assert row.filled_in_by == f"Priya {child.family} (account holder, who holds {child.full_name} as a dependant)"
    assert "How long has Lily had these symptoms?" in row.triage_summary


def test_a_care_homes_request_for_a_resident_names_the_resident_on_every_page(desk, phone, db, mailbox):
    from e2e.conftest import link_in
    from e2e.journeys import fresh_nhs_number, login
    from e2e.test_practice import create_request_search, fill_new_patient, new_staff, staff_sign_in_first_time

    shot = phone.shots  # type: ignore[attr-defined]
    email, password = new_staff(db, role="receptionist")
    staff_sign_in_first_time(desk, email, password, desk.shots)  # type: ignore[attr-defined]

    # The care home and one resident, as the staff guide says.
    dummy = f"999-999-{uuid.uuid4().int % 10000:04d}"
    home_email = f"meadows.{uuid.uuid4().hex[:6]}@example.org"
    create_request_search(desk, dummy)
    desk.get_by_role("button", name="Create New Patient Account").click()
    fill_new_patient(
        desk,
        name="Meadows Care Home",
        dob=(1, 1, 2000),
        address="5 Mill Lane, Millbrook",
        postcode="MB1 4SR",
        phone="01632 960124",
        email=home_email,
    )
    desk.get_by_role("button", name="Create Patient Account").click()
    expect(desk.get_by_text("The account for Meadows Care Home has been created.")).to_be_visible()
    resident = "Edna Fairweather"
    create_request_search(desk, fresh_nhs_number())
    desk.get_by_role("button", name="Create New Patient Account").click()
    desk.get_by_label("Register the patient as a dependent").check()
    desk.get_by_label("Search for the care home").fill(dummy)
    desk.get_by_role("button", name="Meadows Care Home").click()
    fill_new_patient(
        desk,
        name=resident,
        dob=(3, 4, 1936),
        address="5 Mill Lane, Millbrook",
        postcode="MB1 4SR",
        phone="01632 960124",
    )
    desk.get_by_role("button", name="Create Patient Account").click()
    expect(desk.get_by_text(f"The account for {resident} has been created.")).to_be_visible()

    # The care home signs in on a phone and asks about Edna.
    phone.goto(link_in(mailbox.wait_for(home_email, "Set your password")))
    phone.get_by_label("Create a password").fill("Meadow-Garden-2024")
    phone.get_by_role("button", name="Set password").click()
    expect(phone.get_by_text("Your password has been set.")).to_be_visible()
    login(phone, home_email, "Meadow-Garden-2024")
    expect(phone.get_by_role("heading", name="People on your account")).to_be_visible()
    start_request(phone, who=resident)
    phone.get_by_label("Search for what your request is about").fill("headache")
    phone.get_by_role("button", name="Headache").click()

    expect(phone.locator("#questions-about")).to_have_text(f"Questions about {resident}")
    expect(phone.locator("#answer-for-them")).to_contain_text("Answer for Edna, not for yourself.")
    shot("emergency-screen-for-edna")
    flags = _emergency_questions(phone)
    assert len(flags) == 27  # 18 shared + 9 for headaches, none of the children's
    _assert_about(flags, "Edna")

    pages = answer_reading_each_question(phone, shot, about=resident)
    _assert_about([question for question, _hint, _options in pages], "Edna")
    score_hint = next(hint for question, hint, _ in pages if question.startswith("On a scale of 0 to 10"))
    assert "If Edna cannot say" in score_hint

    expect(phone.locator("#questions-about")).to_have_text(f"Questions about {resident}")
    phone.get_by_role("button", name="Continue").click()
    expect(phone.locator("#questions-about")).to_have_text(f"Questions about {resident}")
    phone.get_by_label("Face to face at the surgery").check()
    phone.get_by_label("Email").check()
    phone.get_by_role("button", name="Continue").click()
    expect(phone.get_by_role("heading", name="Check your answers")).to_be_visible()
    expect(phone.locator("#questions-about")).to_have_text(f"Questions about {resident}")
    _assert_about([dt.inner_text() for dt in phone.locator("dt[data-topic-question='yes']").all()], "Edna")
    shot("check-answers-about-edna")
    phone.get_by_role("button", name="Send request").click()
    expect(phone.get_by_role("heading", name="Request sent")).to_be_visible()
    reference = phone.locator(".reference").inner_text()

    # The practice sees who filled it in, for whom, and in which wording.
    with db.connect() as connection:
        request_id = connection.execute(
            text("SELECT id FROM request WHERE reference = :r"), {"r": reference}
        ).scalar_one()
    desk.goto(f"/practice/request?id={request_id}")
    settled(desk)
    expect(desk.get_by_text("Meadows Care Home (care home, for its resident Edna Fairweather)")).to_be_visible()
    expect(desk.get_by_text('Another adult, by first name ("Does Edna...")')).to_be_visible()
    expect(desk.get_by_text("How long has Edna had headaches?", exact=False)).to_be_visible()
    desk.shots("practice-request-for-edna")  # type: ignore[attr-defined]
