"""Dependants: a parent adds a child, and the second parent adds the same child."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import Page, expect
from sqlalchemy import text

from e2e.conftest import close_context, open_context
from e2e.journeys import Person, person_on_register, registered_patient, settled


def add_dependant(page: Page, child: Person, shot=None) -> None:
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Dependants & children").click()
    expect(page.get_by_role("heading", name="Dependants & children")).to_be_visible()
    page.get_by_role("button", name="Add new dependant").click()
    expect(page.get_by_role("heading", name="Add new dependant")).to_be_visible()
    settled(page)
    page.get_by_label("Their full name").fill(child.full_name)
    page.get_by_label("Day").fill(str(child.dob.day))
    page.get_by_label("Month").fill(str(child.dob.month))
    page.get_by_label("Year").fill(str(child.dob.year))
    page.get_by_label("Their NHS number").fill(child.nhs_number)
    page.get_by_label("I confirm they are registered at my GP practice").check()
    if shot:
        shot("add-dependant")
    page.get_by_role("button", name="Add dependant").click()


def test_a_parent_adds_a_child_and_the_second_parent_adds_the_same_child(phone, browser, app, shot, mailbox, db):
    family = "Dependantson"
    child = person_on_register(db, given="Poppy", family=family, dob=date(2019, 5, 9))
    registered_patient(phone, mailbox, shot, db, "parent1", given="Anna", family=family)

    # A mistake first: the box is required and the NHS number must be real.
    phone.get_by_role("link", name="Settings").click()
    phone.get_by_role("link", name="Dependants & children").click()
    shot("dependants-empty")
    phone.get_by_role("button", name="Add new dependant").click()
    phone.get_by_label("Their full name").fill(child.full_name)
    phone.get_by_label("Their NHS number").fill("123 456 7890")
    phone.get_by_role("button", name="Add dependant").click()
    expect(phone.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(phone.locator("#nhs_number-error")).to_be_visible()
    expect(phone.locator("#registered_here-error")).to_be_visible()
    expect(phone.get_by_label("Their full name")).to_have_value(child.full_name)
    shot("dependant-errors")

    add_dependant(phone, child, shot)
    expect(phone.get_by_text("They have been added to your account.")).to_be_visible()
    expect(phone.get_by_role("heading", name=child.full_name)).to_be_visible()
    expect(phone.get_by_text("You can send requests for them.")).to_be_visible()
    shot("child-added")
    phone.get_by_role("link", name="Back to settings").click()
    phone.goto("/home")
    expect(phone.get_by_text(child.full_name)).to_be_visible()

    # The second parent, in another browser, adds the same child: linked, never duplicated.
    other = open_context(browser, app).new_page()
    from e2e.conftest import Shots

    registered_patient(other, mailbox, Shots(other, "second-parent"), db, "parent2", given="Ben", family=family)
    add_dependant(other, child)
    expect(other.get_by_text("They have been added to your account.")).to_be_visible()
    expect(other.get_by_role("heading", name=child.full_name)).to_be_visible()
    close_context(other.context)

    with db.connect() as connection:
        patients = connection.execute(
            text("SELECT id FROM patient WHERE nhs_number = :n"), {"n": child.nhs_number}
        ).all()
        links = connection.execute(
            text("SELECT count(*) FROM account_patient WHERE patient_id = :p AND relationship = 'dependant'"),
            {"p": patients[0].id},
        ).scalar_one()
    assert len(patients) == 1 and links == 2

    # Removing the child from one account leaves them on the other.
    phone.goto("/settings/dependants")
    phone.get_by_role("button", name=f"Remove {child.full_name}").click()
    phone.get_by_role("button", name="Yes, remove them").click()
    expect(phone.get_by_text("They have been removed from your account.")).to_be_visible()
    with db.connect() as connection:
        left = connection.execute(
            text("SELECT count(*) FROM account_patient WHERE patient_id = :p"), {"p": patients[0].id}
        ).scalar_one()
    assert left == 1
