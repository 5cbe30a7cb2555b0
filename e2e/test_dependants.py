"""Dependants: a parent adds a child; the second parent adding the same child waits until a
receptionist approves it in Verifications, then sees the child's requests; the practice removes a
holder."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import Page, expect
from sqlalchemy import text

from e2e.conftest import Shots, close_context, open_context
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


def request_for(db, child: Person, parent_email: str, reference: str) -> None:
    """A request the first parent sent for the child (made directly, as test set-up)."""
    from sqlmodel import Session, select

    from anima_pwa.models import Account, Patient, Request, utcnow

    with Session(db) as session:
        patient = session.exec(
            select(Patient).where(Patient.nhs_number == child.nhs_number, Patient.verification_status == "verified")
        ).one()
        account = session.exec(select(Account).where(Account.email_normalized == parent_email.lower())).one()
        session.add(
            Request(
                reference=reference,
                patient_id=patient.id,
                account_id=account.id,
                practice_id=patient.practice_id,
                kind="medical",
                topic="cough-and-cold",
                status="submitted",
                subject="Cough",
                urgency="routine",
                team="gp",
                submitted_at=utcnow(),
            )
        )
        session.commit()


def claim_on(db, child: Person, name: str) -> None:
    """A made-up record with the child's NHS number, as a stranger's "Add new dependant" makes one."""
    from sqlmodel import Session, select

    from anima_pwa.models import Patient
    from anima_pwa.services.patients import verification

    with Session(db) as session:
        real = session.exec(select(Patient).where(Patient.nhs_number == child.nhs_number)).one()
        claim = Patient(
            full_name=name,
            date_of_birth=date(2018, 1, 1),
            nhs_number=child.nhs_number,
            postcode="MB9 9ZZ",
            practice_id=real.practice_id,
        )
        session.add(claim)
        session.flush()
        verification.verify_patient(session, claim)
        session.commit()


def holders_of(db, child: Person) -> tuple[int, int]:
    """(patient records with the child's NHS number, accounts holding the verified one)."""
    with db.connect() as connection:
        patients = connection.execute(
            text("SELECT id, verification_status FROM patient WHERE nhs_number = :n"), {"n": child.nhs_number}
        ).all()
        verified = [p.id for p in patients if p.verification_status == "verified"]
        links = connection.execute(
            text("SELECT count(*) FROM account_patient WHERE patient_id = :p AND relationship = 'dependant'"),
            {"p": verified[0]},
        ).scalar_one()
    return len(patients), links


def test_a_second_parent_waits_for_the_practice_then_sees_the_childs_requests(
    phone, browser, app, shot, mailbox, db, desk
):
    from e2e.conftest import body_of
    from e2e.test_practice import new_staff, staff_sign_in_first_time

    family = "Dependantson"
    child = person_on_register(db, given="Poppy", family=family, dob=date(2019, 5, 9))
    first_email, first = registered_patient(phone, mailbox, shot, db, "parent1", given="Anna", family=family)

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

    # The first parent: checked against the register, ready at once.
    add_dependant(phone, child, shot)
    expect(phone.get_by_text("They have been added to your account.")).to_be_visible()
    expect(phone.get_by_role("heading", name=child.full_name)).to_be_visible()
    expect(phone.get_by_text("You can send requests for them.")).to_be_visible()
    shot("child-added")
    phone.get_by_role("link", name="Back to settings").click()
    phone.goto("/home")
    expect(phone.get_by_text(child.full_name)).to_be_visible()
    reference = "AN-" + child.nhs_number[-6:].translate(str.maketrans("0123456789", "ABCDEFGHJK"))
    request_for(db, child, first_email, reference)

    # The second parent, in another browser, adds the same child: linked to the same record, but
    # waiting for the practice, and shown nothing of the child's requests.
    other = open_context(browser, app).new_page()
    other_shot = Shots(other, "second-parent")
    second_email, _ = registered_patient(other, mailbox, other_shot, db, "parent2", given="Ben", family=family)
    add_dependant(other, child)
    expect(
        other.get_by_text(
            "Your practice must approve this before you can send requests for them or see their requests."
        )
    ).to_be_visible()
    expect(other.get_by_text("Waiting for your practice to approve adding them.", exact=False)).to_be_visible()
    other_shot("waiting-for-the-practice")
    other.goto("/requests")
    expect(other.get_by_text("You have not sent any requests yet.")).to_be_visible()
    expect(other.get_by_text(reference)).to_have_count(0)
    other_shot("no-requests-yet")
    other.goto("/home")
    expect(other.get_by_text("Waiting for your practice to approve adding them.", exact=False)).to_be_visible()
    other_shot("home-waiting")
    assert holders_of(db, child) == (1, 2)  # never a duplicate record

    # The first parent is told, without names, and sees who it is about in the app.
    told = mailbox.wait_for(first_email, "Someone has asked to be linked")
    assert child.given not in body_of(told) and family not in body_of(told) and child.nhs_number not in body_of(told)
    phone.goto("/settings/dependants")
    expect(phone.get_by_text("Someone else has asked to be linked to them.")).to_be_visible()
    shot("someone-else-asked")

    # A receptionist approves it in Verifications, where a stranger's claim on the same NHS number
    # is shown beside the record that owns it, and can't be verified.
    claim_on(db, child, f"Mallory {family}")
    staff_email, staff_password = new_staff(db, role="receptionist")
    staff_sign_in_first_time(desk, staff_email, staff_password, desk.shots)
    desk.get_by_role("link", name="Verifications").first.click()
    expect(desk.get_by_role("heading", name="Verifications")).to_be_visible()
    expect(
        desk.get_by_role("link", name=f"Same NHS number: {child.full_name}, born 9 May 2019, verified", exact=False)
    ).to_be_visible()
    desk.get_by_role("button", name=f"Verify Mallory {family}").click()
    expect(
        desk.get_by_text("Another patient record with this NHS number is already verified", exact=False)
    ).to_be_visible()
    desk.shots("claim-cannot-be-verified")
    desk.get_by_role("button", name=f"Reject Mallory {family}").click()
    desk.get_by_label("Reason the patient will see").fill(
        "We could not match these details to our records. Please call us."
    )
    desk.get_by_role("button", name="Confirm").click()
    expect(desk.get_by_text("Done. The account holder has been emailed and can see your reason.")).to_be_visible()
    assert holders_of(db, child) == (2, 2)  # the claim stays, rejected, beside the real record
    expect(desk.get_by_text(f"Already held by: {first.full_name} ({first_email})")).to_be_visible()
    expect(desk.get_by_text(f"Ben {family} ({second_email})")).to_be_visible()
    desk.shots("verifications-second-holder")
    desk.get_by_role("button", name=f"Approve {child.full_name}").click()
    expect(desk.get_by_text("Done. The account holder has been emailed.")).to_be_visible()
    desk.shots("approved")

    # Now the second parent sees the child's requests and can send them.
    mailbox.wait_for(second_email, "has been reviewed")
    other.goto("/requests")
    expect(other.get_by_text(reference)).to_be_visible()
    expect(other.get_by_text(f"Medical request for {child.full_name}")).to_be_visible()
    other_shot("childs-request-visible")
    other.goto("/settings/dependants")
    expect(other.get_by_text("You can send requests for them.")).to_be_visible()

    # Removing the child from one account leaves them on the other.
    phone.goto("/settings/dependants")
    phone.get_by_role("button", name=f"Remove {child.full_name}").click()
    phone.get_by_role("button", name="Yes, remove them").click()
    expect(phone.get_by_text("They have been removed from your account.")).to_be_visible()
    assert holders_of(db, child) == (2, 1)

    # The practice removes the second parent from the child's record (with a confirmation).
    desk.goto("/practice/patients")
    settled(desk)
    desk.get_by_label("Name, date of birth, NHS number or email").fill(child.nhs_number)
    desk.get_by_role("button", name="Search").click()
    desk.get_by_role("link", name=child.full_name).click()
    expect(desk.get_by_role("heading", name=child.full_name)).to_be_visible()
    desk.get_by_role("button", name=f"Remove Ben {family} from this patient").click()
    expect(
        desk.get_by_text("They will no longer be able to send requests for this patient", exact=False)
    ).to_be_visible()
    desk.shots("remove-holder-confirm")
    desk.get_by_role("button", name="Yes, remove them").click()
    expect(desk.get_by_text("They have been removed from this patient and emailed.", exact=False)).to_be_visible()
    desk.shots("holder-removed")
    assert holders_of(db, child) == (2, 0)
    removed = mailbox.wait_for(
        second_email, "A change to your Anima account", after=mailbox.count(second_email, "has been reviewed")
    )
    assert "removed a person" in body_of(removed) and child.given not in body_of(removed)
    other.goto("/requests")
    expect(other.get_by_text("You have not sent any requests yet.")).to_be_visible()
    close_context(other.context)
