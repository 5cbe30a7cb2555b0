"""Appointments, the patient's side (issue 12), on a phone. The practice's invite is made here through
the service the sign-off calls (`appointments.invites.create_invite`), for the demo practice's GP
team (its telephone sessions, from the demo books). The patient books from "In progress" (a day,
then a time, then confirm), gets the confirmation through the test's SMTP server, downloads the
calendar file, cancels with a reason and books another time with the same invite. Then: a time
another patient takes while Ann is on the confirm step sends her back to the times with the reason
beside them; an expired invite says so. Checked at 390 and 320 pixels wide."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import update
from sqlmodel import Session, select

from e2e.conftest import body_of, close_context, open_context
from e2e.journeys import PASSWORD, at_320, fresh_nhs_number, new_email, no_sideways_scroll, settled, sign_in_to


def _patient(session: Session, practice, name: str, tag: str):
    from anima_pwa.models import Account, AccountPatient, Patient, utcnow
    from anima_pwa.services.identity import passwords

    email = new_email(tag)
    account = Account(
        email=email, email_normalized=email, password_hash=passwords.hash_password(PASSWORD),
        email_verified_at=utcnow(), notify_by_sms=False,
    )  # fmt: skip
    patient = Patient(
        full_name=name, date_of_birth=date(1980, 5, 6), nhs_number=fresh_nhs_number(), postcode="MB1 2RH",
        practice_id=practice.id, verification_status="verified",
    )  # fmt: skip
    session.add_all([account, patient])
    session.flush()
    session.add(AccountPatient(account_id=account.id, patient_id=patient.id, relationship="self"))
    session.flush()
    return email, patient


def _world(db) -> dict:
    from anima_pwa.models import Practice, StaffMember
    from anima_pwa.services.appointments import invites
    from anima_pwa.services.practice.permissions import StaffContext

    with Session(db, expire_on_commit=False) as session:
        practice = session.exec(select(Practice).where(Practice.ods_code == "Y90001")).one()
        member = session.exec(select(StaffMember).where(StaffMember.practice_id == practice.id)).first()
        staff = StaffContext(
            account_id=member.account_id, staff_id=member.id, practice_id=practice.id, role=member.role,
            display_name=member.display_name, practice_name=practice.name,
        )  # fmt: skip
        zoe_email, zoe = _patient(session, practice, "Zoe Hart", "zoe")
        ann_email, ann = _patient(session, practice, "Ann Lowe", "ann")
        _, tom = _patient(session, practice, "Tom Reed", "tom")
        made = {}
        for key, patient in (("zoe", zoe), ("ann", ann), ("expired", ann), ("tom", tom)):
            result = invites.create_invite(
                session, staff, patient_id=patient.id, appointment_kind="telephone", team="GP", window_days=14
            )
            assert result.ok, result.errors
            made[f"{key}_invite_id"] = result.id
        session.commit()
        return {"zoe": zoe_email, "ann": ann_email, **made}


def _choose_first_day_and_time(page: Page, shot, step: str) -> str:
    expect(page.get_by_role("heading", name="Choose a day")).to_be_visible()
    page.locator(".options .option").first.click()
    expect(page.get_by_role("heading", name="Choose a time on")).to_be_visible()
    no_sideways_scroll(page)
    shot(step + "-times")
    at_320(page, shot, step + "-times")
    first = page.locator(".slot-times .option").first
    chosen = first.locator(".option__name").inner_text()
    first.click()
    expect(page.get_by_role("heading", name="Check your appointment")).to_be_visible()
    return chosen


def test_patient_books_cancels_and_books_again(phone: Page, shot, db, mailbox, browser, app) -> None:
    from anima_pwa.models import Appointment, AppointmentInvite, Slot, utcnow
    from anima_pwa.services.appointments import booking

    world = _world(db)

    # Zoe: In progress shows the invite with "Book appointment".
    sign_in_to(phone, world["zoe"], "/requests/in-progress")
    expect(phone.get_by_role("heading", name="Appointments to book")).to_be_visible()
    expect(phone.get_by_text("A telephone appointment")).to_be_visible()
    no_sideways_scroll(phone)
    shot("in-progress-invite")
    at_320(phone, shot, "in-progress-invite")
    phone.get_by_role("button", name="Book appointment").click()
    settled(phone)
    expect(phone.get_by_role("heading", name="Book your appointment")).to_be_visible()
    shot("choose-day")
    at_320(phone, shot, "choose-day")
    chosen = _choose_first_day_and_time(phone, shot, "first")
    shot("confirm")
    at_320(phone, shot, "confirm")
    phone.get_by_role("button", name="Confirm appointment").click()
    expect(phone.get_by_role("heading", name="Your appointment is booked")).to_be_visible()
    settled(phone)
    expect(phone.get_by_text("The practice will phone you at this time.")).to_be_visible()
    expect(phone.locator("dd").first).to_contain_text(f"at {chosen}")
    no_sideways_scroll(phone)
    shot("booked")
    at_320(phone, shot, "booked")

    # The confirmation by email: the time, "we will phone you", nothing clinical.
    message = mailbox.wait_for(world["zoe"], "Your appointment is booked")
    text = body_of(message)
    assert f"at {chosen}" in text and "phone you" in text
    assert "telephone appointment" not in text.lower() and "Zoe" not in text

    # Add to calendar: the .ics from the authorised endpoint, in Europe/London.
    href = phone.get_by_role("button", name="Add to calendar").get_attribute("href")
    response = phone.request.get(href)
    assert response.status == 200 and response.headers["content-type"].startswith("text/calendar")
    ics = response.text()
    assert "TZID=Europe/London" in ics and f"T{chosen.replace(':', '')}00" in ics

    # Cancel with a reason: the slot is free again and the invite can book another time.
    phone.get_by_label("Why are you cancelling? (optional)").fill("I can't make that time")
    phone.get_by_role("button", name="Cancel appointment").click()
    expect(phone.get_by_text("Your appointment has been cancelled.")).to_be_visible()
    mailbox.wait_for(world["zoe"], "Your appointment has been cancelled")
    shot("cancelled")
    at_320(phone, shot, "cancelled")
    phone.get_by_role("button", name="Book another time").click()
    settled(phone)
    phone.locator(".options .option").first.click()
    expect(phone.get_by_role("heading", name="Choose a time on")).to_be_visible()
    phone.locator(".slot-times .option").nth(1).click()
    phone.get_by_role("button", name="Confirm appointment").click()
    expect(phone.get_by_role("heading", name="Your appointment is booked")).to_be_visible()
    with Session(db) as session:
        by_invite = session.exec(select(Appointment).where(Appointment.invite_id == world["zoe_invite_id"])).all()
        assert len(by_invite) == 2 and sum(1 for a in by_invite if a.cancelled_at is None) == 1

    # In progress now lists the appointment, not the invite.
    phone.goto("/requests/in-progress")
    settled(phone)
    expect(phone.get_by_role("heading", name="Your appointments")).to_be_visible()
    expect(phone.get_by_role("heading", name="Appointments to book")).to_have_count(0)
    shot("in-progress-booked")

    # Ann: while she is on the confirm step, Tom takes that time; she is sent back to choose again.
    context = open_context(browser, app)
    ann = context.new_page()
    try:
        sign_in_to(ann, world["ann"], f"/appointments/book?invite={world['ann_invite_id']}")
        expect(ann.get_by_role("heading", name="Book your appointment")).to_be_visible()
        ann.locator(".options .option").first.click()
        expect(ann.get_by_role("heading", name="Choose a time on")).to_be_visible()
        ann.locator(".slot-times .option").first.click()
        expect(ann.get_by_role("heading", name="Check your appointment")).to_be_visible()
        with Session(db, expire_on_commit=False) as session:
            invite = session.get(AppointmentInvite, world["ann_invite_id"])
            who = _identity_of_patient(session, invite.patient_id)
            days, _ = booking.free_days(session, who, invite.id)
            times, _ = booking.free_times(session, who, invite.id, days[0].day)
            taken = times[0].slot_id
            tom = session.get(AppointmentInvite, world["tom_invite_id"])
            done = booking.book(session, _identity_of_patient(session, tom.patient_id), tom.id, taken)
            assert done.ok, done.errors
            session.commit()
        ann.get_by_role("button", name="Confirm appointment").click()
        expect(ann.locator("#slot-error")).to_contain_text("someone else has just booked that time")
        expect(ann.get_by_role("heading", name="Choose a time on")).to_be_visible()
        ann.screenshot(path=str(Path(shot.folder) / "taken.png"), full_page=True)
        with Session(db) as session:
            assert session.get(Slot, taken).status == "booked"
            assert session.get(AppointmentInvite, world["ann_invite_id"]).status == "open"

        # An expired invite: the page says so, and nothing can be chosen.
        with Session(db) as session:
            session.exec(
                update(AppointmentInvite)
                .where(AppointmentInvite.id == world["expired_invite_id"])
                .values(expires_at=utcnow() - timedelta(minutes=1))
            )
            session.commit()
        ann.goto(f"/appointments/book?invite={world['expired_invite_id']}")
        settled(ann)
        expect(ann.get_by_text("This invitation to book has expired.")).to_be_visible()
        expect(ann.locator(".options .option")).to_have_count(0)
        ann.screenshot(path=str(Path(shot.folder) / "expired.png"), full_page=True)
        # Zoe's invite, from Ann's account: not found, whatever the id.
        ann.goto(f"/appointments/book?invite={world['zoe_invite_id']}")
        settled(ann)
        expect(ann.get_by_text("We could not find that invitation.")).to_be_visible()
    finally:
        close_context(context)


def _identity_of_patient(session: Session, patient_id: int):
    from anima_pwa.models import Account, AccountPatient
    from anima_pwa.services.identity.sessions import Identity

    link = session.exec(
        select(AccountPatient).where(AccountPatient.patient_id == patient_id, AccountPatient.relationship == "self")
    ).one()
    account = session.get(Account, link.account_id)
    return Identity(account_id=account.id, email=account.email, kind="patient", session_id="e2e")
