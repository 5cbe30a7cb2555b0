"""Appointments, the practice side (issue 12), on a desktop: a practice admin sets up an
appointment book (a team's, at a site), its weekly pattern and generates its slots; a
receptionist books a patient who phoned into a free slot from the day's list, the patient is told
by email, the list shows the booking, and the receptionist cancels it with a reason."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from playwright.sync_api import expect
from sqlmodel import Session

from e2e.conftest import Shots, close_context, open_context
from e2e.journeys import fresh_nhs_number, settled
from e2e.test_practice import new_staff, staff_sign_in_first_time

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _next_working_day() -> date:
    """Tomorrow in London, or the next day that isn't a bank holiday (the slots are made for it)."""
    from anima_pwa.services.platform import bank_holidays, clock

    day = clock.today() + timedelta(days=1)
    while bank_holidays.is_bank_holiday(day):
        day += timedelta(days=1)
    return day


def _patient_who_phones(db, tag: str) -> tuple[str, str, int]:
    """A verified patient at Y90001 with their own account (so they are told by email), and a
    request of theirs waiting for the practice."""
    from sqlmodel import select

    from anima_pwa.models import URGENCY_RANKS, Account, AccountPatient, Patient, Practice, Request, utcnow

    name, email = f"Phoning Patient{tag}", f"phone.{tag}@example.com"
    with Session(db) as session:
        practice = session.exec(select(Practice).where(Practice.ods_code == "Y90001")).one()
        patient = Patient(
            full_name=name,
            date_of_birth=date(1979, 5, 6),
            nhs_number=fresh_nhs_number(),
            postcode="MB1 2RH",
            practice_id=practice.id,
            verification_status="verified",
        )
        account = Account(email=email, email_normalized=email, kind="patient", email_verified_at=utcnow())
        session.add(patient)
        session.add(account)
        session.flush()
        session.add(AccountPatient(account_id=account.id, patient_id=patient.id, relationship="self"))
        request = Request(
            patient_id=patient.id,
            practice_id=practice.id,
            kind="medical",
            topic="back-pain",
            status="submitted",
            subject=f"Back pain {tag}",
            urgency="routine",
            urgency_rank=URGENCY_RANKS["routine"],
            team="gp",
            submitted_at=utcnow(),
            reference=f"AN-{tag.upper()}",
        )
        session.add(request)
        session.commit()
        return name, email, request.id


def test_admin_sets_up_a_book_and_reception_books_and_cancels_by_phone(desk, browser, app, db, mailbox, request):
    tag = uuid.uuid4().hex[:6]
    book_name, team = f"Practice nurses {tag}", f"nurses{tag}"
    day = _next_working_day()
    shot = desk.shots

    # The admin: a new team book at a site, Tuesday (or whichever day) 09:00-10:00 in 15 minutes.
    email, password = new_staff(db, role="admin")
    staff_sign_in_first_time(desk, email, password, shot)
    desk.goto("/practice/appointment-books")
    settled(desk)
    expect(desk.get_by_role("heading", name="Appointment books")).to_be_visible()
    desk.get_by_role("button", name="Create book").click()
    expect(desk.locator("#name-error")).to_contain_text("Enter the book's name")
    desk.get_by_label("Name", exact=True).fill(book_name)
    desk.get_by_label("Team (for a team's book)").fill(team)
    desk.get_by_label("Site (optional)").fill("Moss Bank Surgery")
    desk.get_by_label("Site address (optional)").fill("1 High Street, MB1 2RH")
    desk.get_by_role("button", name="Create book").click()
    expect(desk.get_by_role("heading", name=book_name)).to_be_visible()
    settled(desk)
    expect(desk.locator("#notice")).to_contain_text("Now add its weekly pattern")

    desk.get_by_label("Day", exact=True).select_option(label=WEEKDAYS[day.weekday()])
    desk.get_by_label("Starts at").fill("09:00")
    desk.get_by_label("Ends at").fill("08:00")
    desk.get_by_label("Slot length in minutes").fill("15")
    desk.get_by_label("Kind of appointment").select_option(label="Telephone")
    desk.get_by_role("button", name="Add session").click()
    expect(desk.locator("#end-error")).to_contain_text("The end time must be after the start time")
    desk.get_by_label("Ends at").fill("10:00")
    desk.get_by_role("button", name="Add session").click()
    expect(desk.get_by_text(f"{WEEKDAYS[day.weekday()]} 09:00 to 10:00, 15-minute telephone slots")).to_be_visible()

    weeks = desk.get_by_label("Generate slots for the next N weeks")
    weeks.fill("2")
    desk.get_by_role("button", name="Generate slots").click()
    expect(desk.locator("#notice")).to_contain_text("new slots made")
    shot("book-set-up")
    weeks.fill("2")  # the form is drawn afresh (6 weeks) after a success
    desk.get_by_role("button", name="Generate slots").click()  # again: nothing new
    expect(desk.locator("#notice")).to_have_text("0 new slots made.")

    # Reception, on another desk: the day's list for this book; a patient phones to book.
    name, patient_email, request_id = _patient_who_phones(db, tag)
    other = open_context(browser, app, phone=False)
    reception = other.new_page()
    reception.shots = Shots(reception, request.node.name + "-reception")  # type: ignore[attr-defined]
    try:
        email2, password2 = new_staff(db, role="receptionist")
        staff_sign_in_first_time(reception, email2, password2, reception.shots, mailbox)
        reception.get_by_role("link", name="Appointments", exact=True).click()
        expect(reception.get_by_role("heading", name="Appointments", exact=True)).to_be_visible()
        settled(reception)
        reception.get_by_label("Date").fill(day.isoformat())
        reception.get_by_label("Clinician or team").select_option(label=book_name)
        reception.get_by_role("button", name="Show the list").click()
        heading = f"{WEEKDAYS[day.weekday()]} {day.day} {day:%B %Y}"
        expect(reception.locator("#day-heading")).to_have_text(heading)
        expect(reception.locator("#day-list tbody tr")).to_have_count(4)

        reception.get_by_role("button", name=f"Book 09:15 with {book_name}").click()
        expect(reception.get_by_role("heading", name=f"Book 09:15 with {book_name}")).to_be_visible()
        reception.get_by_label("Find the patient").fill(f"Phoning Patient{tag}")
        reception.get_by_role("button", name="Search").click()
        reception.get_by_role("button", name=f"Book for {name}, born 6 May 1979").click()
        expect(reception.locator("#notice")).to_contain_text(f"{name} is booked for 09:15 with {book_name}")
        reception.shots("booked")  # type: ignore[attr-defined]
        booked = mailbox.wait_for(patient_email, "Your appointment is booked")
        body = booked.get_body(preferencelist=("plain",)).get_content()
        assert f"{heading} at 09:15" in body and "The practice will phone you at this time." in body

        # The day's list shows the booking after a reload too.
        reception.goto(f"/practice/appointments?day={day.isoformat()}")
        settled(reception)
        row = reception.locator("#day-list tbody tr", has_text=name)
        expect(row).to_contain_text("09:15")
        expect(row).to_contain_text("Booked")

        # The patient phones back to cancel.
        reception.get_by_role("button", name=f"Cancel {name}'s appointment at 09:15 with {book_name}").click()
        reception.get_by_role("button", name="Cancel appointment").click()
        expect(reception.locator("#cancel_reason-error")).to_contain_text("Enter why the appointment is cancelled")
        reception.get_by_label("Why is the appointment cancelled?").fill("Patient phoned: feeling better")
        reception.get_by_role("button", name="Cancel appointment").click()
        expect(reception.locator("#notice")).to_contain_text("The appointment has been cancelled")
        expect(reception.locator("#day-list tbody tr", has_text=name)).to_have_count(0)
        cancelled = mailbox.wait_for(patient_email, "Your appointment has been cancelled")
        assert "feeling better" not in cancelled.get_body(preferencelist=("plain",)).get_content()
        reception.shots("cancelled")  # type: ignore[attr-defined]

        # From the patient's request, at any time: an invitation to book a blood test with the team.
        reception.goto(f"/practice/request?id={request_id}")
        expect(reception.get_by_role("heading", name=f"Back pain {tag}")).to_be_visible()
        settled(reception)
        invite = reception.get_by_role("region", name="Invite to book")
        invite.get_by_role("button", name="Send invitation to book").click()
        expect(reception.locator("#invite_kind-error")).to_contain_text("Choose the kind of appointment")
        invite.get_by_label("What the patient is invited to book").select_option(label="a blood test")
        invite.get_by_label("With whom").select_option(label=f"Any of the {team} team")
        invite.get_by_role("button", name="Send invitation to book").click()
        expect(reception.locator("#notice")).to_contain_text("The invitation to book has been sent")
        expect(reception.locator("#invites")).to_contain_text(f"Blood test with the {team} team")
        expect(reception.locator("#invites")).to_contain_text("Waiting for the patient to book")
        reception.shots("invited")  # type: ignore[attr-defined]
    finally:
        close_context(other)
