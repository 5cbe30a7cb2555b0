"""The practice workspace, as staff use it on a desktop."""

from __future__ import annotations

import time
import uuid

import pyotp
from playwright.sync_api import Page, expect
from sqlalchemy import text

from e2e.conftest import Shots
from e2e.journeys import settled


def new_staff(db, *, role: str = "receptionist", ods: str = "Y90001") -> tuple[str, str]:
    """A member of staff made the way the admin CLI makes them (each test makes its own): the app
    then emails them the link that enrols their MFA."""
    from sqlmodel import Session

    from anima_pwa.services.practice import practices, staff

    email = f"{role}.{uuid.uuid4().hex[:8]}@example.org"
    password = "Staff-Desk-" + uuid.uuid4().hex[:6] + "A1"
    with Session(db) as session:
        practice = practices.practice_by_ods_code(session, ods)
        staff.create_staff(
            session, practice=practice, email=email, display_name=f"Sam {role.title()}", role=role, password=password
        )
        session.commit()
    return email, password


def follow_enrolment_link(page: Page, mailbox, email: str, *, after: int = 0) -> None:
    """Open the MFA set-up link from the staff member's email (on this app's address)."""
    from urllib.parse import urlsplit

    from e2e.conftest import link_in

    link = urlsplit(link_in(mailbox.wait_for(email, "Set up your sign-in", after=after)))
    page.goto(f"{link.path}?{link.query}")
    expect(page.get_by_role("heading", name="Set up multi-factor authentication")).to_be_visible()
    settled(page)


def enrol_mfa(page: Page, password: str, shot) -> str:
    """On the link's page: scan (read the key), enter the password and a first code; returns the
    key. The recovery codes shown once are kept on the page object (page.recovery_codes)."""
    expect(page.locator("#setup-key")).not_to_be_empty()
    shot("staff-mfa-setup")
    key = page.locator("#setup-key").inner_text().replace(" ", "")
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("6-digit code").fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="Turn on MFA").click()
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    shot("staff-recovery-codes")
    page.recovery_codes = page.locator(".recovery-codes li").all_inner_texts()  # type: ignore[attr-defined]
    page.get_by_role("button", name="I have saved my recovery codes").click()
    expect(page.get_by_text("Multi-factor authentication is set up.")).to_be_visible()
    return key


def staff_sign_in_first_time(page: Page, email: str, password: str, shot, mailbox=None) -> str:
    """Set up MFA through the emailed link (mandatory for staff), then sign in with a code;
    returns the authenticator key. The mailbox is the desk fixture's unless given."""
    follow_enrolment_link(page, mailbox or page.mailbox, email)  # type: ignore[attr-defined]
    key = enrol_mfa(page, password, shot)
    staff_sign_in(page, email, password, key)
    return key


def staff_sign_in(page: Page, email: str, password: str, key: str) -> None:
    page.goto("/practice/login")
    settled(page)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Enter the code from your authenticator app")).to_be_visible()
    page.get_by_label("6-digit code").fill(pyotp.TOTP(key).at(time.time() + 30))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def test_staff_enrol_mfa_through_the_emailed_link_before_they_can_sign_in(desk, db, mailbox):
    shot = desk.shots
    email, password = new_staff(db)

    # The password alone gets nobody in: no trust on first use.
    desk.goto("/practice")
    expect(desk.get_by_role("heading", name="Sign in to the practice workspace")).to_be_visible()
    settled(desk)
    desk.get_by_label("Email address").fill(email)
    desk.get_by_label("Password", exact=True).fill(password)
    desk.get_by_role("button", name="Sign in").click()
    expect(desk.get_by_text("Use the link in the email we sent you to set it up")).to_be_visible()
    shot("password-alone-refused")

    # The emailed link: a wrong password is explained at the field; a reload shows the same key.
    follow_enrolment_link(desk, mailbox, email)
    key_shown = desk.locator("#setup-key").inner_text()
    desk.get_by_label("Password", exact=True).fill("Not-The-Password-1")
    desk.get_by_label("6-digit code").fill(pyotp.TOTP(key_shown.replace(" ", "")).now())
    desk.get_by_role("button", name="Turn on MFA").click()
    expect(desk.locator("#password-error")).to_contain_text("The password is not correct")
    shot("wrong-password")
    desk.reload()
    expect(desk.get_by_role("heading", name="Set up multi-factor authentication")).to_be_visible()
    settled(desk)
    expect(desk.locator("#setup-key")).to_have_text(key_shown)

    key = enrol_mfa(desk, password, shot)
    shot("enrolled")
    staff_sign_in(desk, email, password, key)
    shot("dashboard")

    # The link works once.
    follow_enrolment_link(desk, mailbox, email)
    expect(desk.get_by_text("Multi-factor authentication is already set up for this account")).to_be_visible()
    shot("link-used")

    # Signed out, back in with a recovery code (another code from the app may not exist yet: the
    # one just used can't be used twice).
    desk.goto("/practice")
    desk.get_by_role("button", name="Sign out").click()
    expect(desk.get_by_text("You have signed out.")).to_be_visible()
    settled(desk)
    desk.get_by_label("Email address").fill(email)
    desk.get_by_label("Password", exact=True).fill(password)
    desk.get_by_role("button", name="Sign in").click()
    expect(desk.get_by_role("heading", name="Enter the code from your authenticator app")).to_be_visible()
    desk.get_by_label("Or a recovery code").fill(desk.recovery_codes[0])  # type: ignore[attr-defined]
    desk.get_by_role("button", name="Continue").click()
    expect(desk.get_by_role("heading", name="Dashboard")).to_be_visible()


def create_request_search(page: Page, nhs_number: str) -> None:
    page.goto("/practice/create-request")
    expect(page.get_by_role("heading", name="Create Request", exact=True)).to_be_visible()
    settled(page)
    page.get_by_label("Patient's NHS number").fill(nhs_number)
    page.get_by_role("button", name="Search").click()


def fill_new_patient(
    page: Page, *, name: str, dob: tuple[int, int, int], address: str, postcode: str, phone: str, email: str = ""
) -> None:
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Day").fill(str(dob[0]))
    page.get_by_label("Month").fill(str(dob[1]))
    page.get_by_label("Year").fill(str(dob[2]))
    page.get_by_label("Address").fill(address)
    page.get_by_label("Postcode").fill(postcode)
    page.get_by_label("Phone").fill(phone)
    if email:
        page.get_by_label("Email").fill(email)
    page.get_by_label("I confirm this patient is registered at this practice").check()
    page.get_by_label("I confirm the patient (or their representative) has agreed").check()


def test_care_home_accounts_as_the_staff_guide_describes(desk, phone, db, mailbox):
    """Parts 1 and 2 of "Creating Care Home Accounts", then the care home signs in."""
    from e2e.journeys import fresh_nhs_number

    shot = desk.shots
    email, password = new_staff(db, role="receptionist")
    staff_sign_in_first_time(desk, email, password, shot)

    # Part 1, steps 1-3: the dummy care home account.
    dummy = f"999-999-{uuid.uuid4().int % 10000:04d}"
    home_email = f"sunrise.{uuid.uuid4().hex[:6]}@example.org"
    create_request_search(desk, dummy)
    expect(desk.get_by_text("Couldn't find an anima account for this patient")).to_be_visible()
    shot("not-found")
    desk.get_by_role("button", name="Create New Patient Account").click()
    expect(desk.get_by_role("dialog", name="Create New Patient Account")).to_be_visible()
    fill_new_patient(
        desk,
        name="Sunrise Care Home",
        dob=(1, 1, 2000),
        address="2 Hill Road, Millbrook",
        postcode="MB1 4SR",
        phone="01632 960123",
        email=home_email,
    )
    shot("care-home-form")
    desk.get_by_role("button", name="Create Patient Account").click()
    expect(desk.get_by_text("The account for Sunrise Care Home has been created.")).to_be_visible()
    shot("care-home-created")

    # The same dummy number again: the guide's "already exists" explanation.
    create_request_search(desk, dummy)
    expect(desk.get_by_text("Sunrise Care Home")).to_be_visible()

    # Part 2, steps 5-8: two residents registered as dependents of the care home.
    for name, dob in (("Edna Fairweather", (3, 4, 1936)), ("Walter Pike", (19, 9, 1941))):
        create_request_search(desk, fresh_nhs_number())
        desk.get_by_role("button", name="Create New Patient Account").click()
        desk.get_by_label("Register the patient as a dependent").check()
        desk.get_by_label("Search for the care home").fill(dummy)
        desk.get_by_role("button", name="Sunrise Care Home").click()
        expect(desk.get_by_text("Registered at your practice")).to_be_visible()
        fill_new_patient(
            desk, name=name, dob=dob, address="2 Hill Road, Millbrook", postcode="MB1 4SR", phone="01632 960123"
        )
        shot(f"resident-{name.split()[0].lower()}")
        desk.get_by_role("button", name="Create Patient Account").click()
        expect(desk.get_by_text(f"The account for {name} has been created.")).to_be_visible()

    # Closing with X creates nothing.
    create_request_search(desk, fresh_nhs_number())
    desk.get_by_role("button", name="Create New Patient Account").click()
    desk.get_by_role("button", name="Close").click()
    expect(desk.get_by_role("dialog")).to_have_count(0)

    # The care home sets its password from the email and sees all its residents.
    from e2e.conftest import link_in
    from e2e.journeys import login

    phone.goto(link_in(mailbox.wait_for(home_email, "Set your password")))
    expect(phone.get_by_role("heading", name="Set your password")).to_be_visible()
    phone.get_by_label("Create a password").fill("Sunrise-Garden-2024")
    phone.get_by_role("button", name="Set password").click()
    expect(phone.get_by_text("Your password has been set.")).to_be_visible()
    login(phone, home_email, "Sunrise-Garden-2024")
    expect(phone.get_by_role("heading", name="People on your account")).to_be_visible()
    expect(phone.get_by_text("Edna Fairweather")).to_be_visible()
    expect(phone.get_by_text("Walter Pike")).to_be_visible()
    phone.shots("care-home-residents")  # type: ignore[attr-defined]


def test_a_receptionist_verifies_a_pending_patient_who_is_told_by_email(desk, phone, db, mailbox):
    from e2e.journeys import agree_and_create, signed_in_new_account

    # A patient whose details don't match the register waits for the practice.
    patient_email = signed_in_new_account(phone, mailbox, phone.shots, "waiting")  # type: ignore[attr-defined]
    phone.get_by_label("Full name").fill("Priya Waitingford")
    phone.get_by_label("Day").fill("12")
    phone.get_by_label("Month").fill("6")
    phone.get_by_label("Year").fill("1990")
    phone.get_by_label("Postcode", exact=True).fill("MB1 2RH")
    phone.get_by_label("Mobile phone number").fill("07700 900555")
    phone.get_by_label("GP practice").fill("Riverside")
    phone.get_by_role("button", name="Riverside Health Centre").click()
    agree_and_create(phone)
    expect(phone.get_by_role("heading", name="Your account couldn't be verified yet")).to_be_visible()

    shot = desk.shots
    email, password = new_staff(db, role="receptionist")
    staff_sign_in_first_time(desk, email, password, shot)
    desk.get_by_role("link", name="Verifications").first.click()
    expect(desk.get_by_role("heading", name="Verifications")).to_be_visible()
    expect(desk.get_by_text("Priya Waitingford")).to_be_visible()
    shot("queue")
    desk.get_by_role("button", name="Verify Priya Waitingford").click()
    expect(desk.get_by_text("The account holder has been emailed")).to_be_visible()
    expect(desk.get_by_text("Priya Waitingford")).to_have_count(0)
    mailbox.wait_for(patient_email, "verified")

    phone.reload()
    expect(phone.get_by_role("heading", name="You're all set up")).to_be_visible()

    # Patient Search finds her by email; her record shows the details; the receptionist edits them.
    desk.get_by_role("link", name="Patient Management").first.click()
    desk.get_by_label("Name, date of birth, NHS number or email").fill(patient_email.upper())
    desk.get_by_role("button", name="Search").click()
    desk.get_by_role("link", name="Priya Waitingford").click()
    expect(desk.get_by_role("heading", name="Priya Waitingford")).to_be_visible()
    shot("record")
    desk.get_by_role("button", name="Edit details").click()
    desk.get_by_label("Postcode").fill("not a postcode")
    desk.get_by_role("button", name="Save details").click()
    expect(desk.locator("#postcode-error")).to_be_visible()
    desk.get_by_label("Postcode").fill("MB1 5AA")
    desk.get_by_role("button", name="Save details").click()
    expect(desk.get_by_text("The patient's details have been saved.")).to_be_visible()
    expect(desk.get_by_text("MB1 5AA")).to_be_visible()
    # Receptionists can't read the audit trail; admins can.
    expect(desk.get_by_role("link", name="View audit trail")).to_have_count(0)


def test_a_practice_admin_reads_the_audit_trail_and_frees_an_email(desk, phone, db, mailbox):
    from e2e.journeys import registered_patient

    patient_email, person = registered_patient(phone, mailbox, phone.shots, db, "audited")  # type: ignore[attr-defined]
    shot = desk.shots
    email, password = new_staff(db, role="admin")
    staff_sign_in_first_time(desk, email, password, shot)
    desk.get_by_role("link", name="Patient Management").first.click()
    desk.get_by_label("Name, date of birth, NHS number or email").fill(person.nhs_number)
    desk.get_by_role("button", name="Search").click()
    desk.get_by_role("link", name=person.full_name).click()
    desk.get_by_role("button", name="Remove email").click()
    expect(desk.locator("#confirm_no_email-error")).to_be_visible()
    desk.get_by_label("This patient has no email address").check()
    desk.get_by_role("button", name="Remove email").click()
    expect(desk.get_by_text("The email address has been removed.")).to_be_visible()
    desk.get_by_role("link", name="View audit trail").click()
    expect(desk.get_by_role("heading", name="Audit trail")).to_be_visible()
    expect(desk.get_by_text("patient_email_removed")).to_be_visible()
    expect(desk.get_by_text("patient_registered").first).to_be_visible()
    shot("audit-trail")
    # The patient's sign-in has ended with the email.
    phone.reload()
    expect(phone.get_by_role("heading", name="Login", exact=True)).to_be_visible()


def test_a_receptionist_takes_a_request_by_phone_and_overrides_the_limit(desk, phone, db, mailbox):
    from e2e.journeys import answer_emergency_screen, practice_settings, registered_patient
    from e2e.test_requests import answer_until_anything_else

    _email, person = registered_patient(phone, mailbox, phone.shots, db, "phoned")  # type: ignore[attr-defined]
    practice_settings(db, per_patient_medical=1)
    with db.begin() as connection:  # the patient already has an open medical request
        patient_id = connection.execute(
            text("SELECT id FROM patient WHERE nhs_number = :n"), {"n": person.nhs_number}
        ).scalar_one()
        connection.execute(
            text(
                "INSERT INTO request (patient_id, practice_id, kind, topic, status, answers, current_item, free_text, "
                "appointment_preference, contact_preference, subject, urgency, team, triage_summary, limits_overridden, "
                "created_at, updated_at, submitted_at, reference) SELECT :p, practice_id, 'medical', 'back-pain', 'submitted', "
                "'{}', '', '', '', '', 'Back pain', 'routine', 'physiotherapy', '', false, CURRENT_TIMESTAMP, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, :r FROM patient WHERE id = :p"
            ),
            {"p": patient_id, "r": "AN-" + uuid.uuid4().hex[:6].upper()},
        )

    shot = desk.shots
    email, password = new_staff(db, role="receptionist")
    staff_sign_in_first_time(desk, email, password, shot)
    create_request_search(desk, person.nhs_number)
    desk.get_by_role("button", name="Take a request by phone").click()
    expect(desk.get_by_text(f"Taking a request by phone for {person.full_name}")).to_be_visible()
    settled(desk)
    desk.get_by_label("Medical request").check()
    desk.get_by_role("button", name="Continue").click()
    expect(desk.get_by_text("already")).to_be_visible()
    shot("limit-reached")
    desk.get_by_label("Override the limits for this request").check()
    desk.get_by_role("button", name="Continue with the override").click()
    desk.get_by_label("Search for what your request is about").fill("sore throat")
    desk.get_by_role("button", name="Sore throat").click()
    answer_emergency_screen(desk)  # "None of these" on every page
    answer_until_anything_else(desk, shot)
    desk.get_by_role("button", name="Continue").click()
    desk.get_by_label("No preference").check()
    desk.get_by_label("Phone call", exact=True).check()
    desk.get_by_role("button", name="Continue").click()
    desk.get_by_role("button", name="Send request").click()
    expect(desk.get_by_role("heading", name="Request sent")).to_be_visible()
    shot("phone-request-sent")

    with db.connect() as connection:
        overridden = connection.execute(
            text("SELECT count(*) FROM request WHERE patient_id = :p AND limits_overridden"), {"p": patient_id}
        ).scalar_one()
        audited = connection.execute(
            text("SELECT count(*) FROM audit_event WHERE action = 'limits_overridden' AND patient_id = :p"),
            {"p": patient_id},
        ).scalar_one()
    assert overridden == 1 and audited == 1

    # The practice's list shows it, most urgent first, with the triage suggestion.
    desk.get_by_role("button", name="See the practice's requests").click()
    expect(desk.get_by_role("heading", name="Requests", exact=True)).to_be_visible()
    expect(desk.get_by_text("By phone").first).to_be_visible()
    shot("practice-requests")


def test_the_phone_request_page_opened_directly_shows_the_header_and_works(desk, phone, db, mailbox):
    """A receptionist opens the phone-request link for a patient in a new tab (its own state:
    nothing carried over from the dashboard): the header says who is signed in, with Sign out,
    and the wizard goes on to the emergency screen. A patient who opens the same link is sent to
    the staff sign-in page."""
    from e2e.journeys import answer_emergency_screen, registered_patient

    _email, person = registered_patient(phone, mailbox, phone.shots, db, "direct")  # type: ignore[attr-defined]
    with db.connect() as connection:
        patient_id = connection.execute(
            text("SELECT id FROM patient WHERE nhs_number = :n"), {"n": person.nhs_number}
        ).scalar_one()
        practice_name = connection.execute(text("SELECT name FROM practice WHERE ods_code = 'Y90001'")).scalar_one()
    link = f"/practice/phone-request?patient={patient_id}"

    phone.goto(link)  # signed in, but as a patient
    expect(phone.get_by_role("heading", name="Sign in to the practice workspace")).to_be_visible()
    phone.shots("patient-sent-to-staff-sign-in")  # type: ignore[attr-defined]

    email, password = new_staff(db, role="receptionist")
    staff_sign_in_first_time(desk, email, password, desk.shots)  # type: ignore[attr-defined]
    tab = desk.context.new_page()
    shot = Shots(tab, "phone-request-opened-directly")
    tab.goto(link)
    settled(tab)
    header = tab.get_by_role("banner")
    expect(header.get_by_text(f"Sam Receptionist · Receptionist · {practice_name}")).to_be_visible()
    expect(header.get_by_role("button", name="Sign out")).to_be_visible()
    expect(tab.get_by_role("navigation", name="Workspace")).to_be_visible()
    expect(tab.get_by_text(f"Taking a request by phone for {person.full_name}")).to_be_visible()
    shot("opened-directly")

    tab.get_by_label("Medical request").check()
    tab.get_by_role("button", name="Continue").click()
    tab.get_by_label("Search for what your request is about").fill("sore throat")
    tab.get_by_role("button", name="Sore throat").click()
    expect(tab.locator("#red-flag-progress")).to_be_visible()
    expect(tab.get_by_role("heading", name="Sore throat")).to_be_visible()
    shot("emergency-screen")
    answer_emergency_screen(tab)  # "None of these" on every page, to the topic's first question
    shot("first-question")

    header.get_by_role("button", name="Sign out").click()
    expect(tab.get_by_text("You have signed out.")).to_be_visible()
    shot("signed-out")
