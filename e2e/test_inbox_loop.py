"""The whole loop (issue 11), two browsers at once: a patient sends a request from her phone; a
clinician at a desk sees it above older routine requests, assigns it to the GP team and asks a
question needing a reply with a photo; the patient is told by email through the test's SMTP server
(no clinical word in it), signs in, presses "Respond" and replies with text and a photo; the
clinician sees the reply and its photo and signs off with "invite to book", then signs off the
patient's other request with "signpost to pharmacy"; the patient reads both outcomes; the record
adapter wrote a FHIR R4 Bundle for each that the `fhir.resources` library accepts; and the patient
books a time with the invitation the clinician made, confirmed by email.

(The second parent who sees and answers a child's request is e2e/test_inbox_patient.py.)"""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from e2e.conftest import Shots, body_of, close_context, open_context
from e2e.journeys import PASSWORD, answer_emergency_screen, login, registered_patient, settled
from e2e.test_appointments_patient import _choose_first_day_and_time
from e2e.test_practice import new_staff, staff_sign_in_first_time
from e2e.test_requests import answer_until_anything_else

pytestmark = pytest.mark.usefixtures("open_every_day")  # e2e/conftest.py


def _older_routine_requests(db, tag: str) -> list[int]:
    """Three routine requests of another patient at the same practice, sent hours ago."""
    from anima_pwa.models import URGENCY_RANKS, Patient, Practice, Request
    from anima_pwa.services.platform import clock
    from e2e.journeys import fresh_nhs_number

    now = clock.utcnow()
    with Session(db) as session:
        practice = session.exec(select(Practice).where(Practice.ods_code == "Y90001")).one()
        other = Patient(
            full_name=f"Routine Person{tag}", date_of_birth=now.date().replace(year=1970), nhs_number=fresh_nhs_number(),
            postcode="MB1 2RH", practice_id=practice.id, verification_status="verified",
        )  # fmt: skip
        session.add(other)
        session.flush()
        ids = []
        for hours in (9, 6, 3):
            row = Request(
                patient_id=other.id, practice_id=practice.id, kind="admin", topic="fit-note", status="submitted",
                subject=f"Routine {hours}h {tag}", urgency="routine", urgency_rank=URGENCY_RANKS["routine"],
                team="reception", submitted_at=now - timedelta(hours=hours), reference=f"AN-R{tag[:4].upper()}{hours}",
            )  # fmt: skip
            session.add(row)
            session.flush()
            ids.append(row.id)
        session.commit()
        return ids


def _second_request(db, reference: str) -> tuple[int, str]:
    """The patient's second open request (an admin one, as if sent earlier), for the second sign-off."""
    from anima_pwa.models import Request
    from anima_pwa.services.platform import clock

    with Session(db) as session:
        first = session.exec(select(Request).where(Request.reference == reference)).one()
        second = Request(
            patient_id=first.patient_id, account_id=first.account_id, practice_id=first.practice_id, kind="admin",
            topic="fit-note", status="submitted", subject="Fit note question", urgency="routine", urgency_rank=3,
            team="reception", submitted_at=clock.utcnow() - timedelta(minutes=30),
            reference="AN-" + uuid.uuid4().hex[:6].upper(),
        )  # fmt: skip
        session.add(second)
        session.commit()
        return second.id, second.reference  # type: ignore[return-value]


def _send_cough_request(page: Page, shot) -> str:
    page.get_by_role("button", name="Create Request").click()
    settled(page)
    page.get_by_label("You", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Medical request").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Search for what your request is about").fill("cough")
    page.get_by_role("button", name="Cough and cold").click()
    answer_emergency_screen(page)
    answer_until_anything_else(page, shot)
    page.get_by_label("Is there anything else you want to tell us? (optional)").fill("Wheezy since the weekend.")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("A phone call").check()
    page.get_by_label("Text message to my mobile").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", name="Request sent")).to_be_visible()
    return page.locator(".reference").inner_text()


def _words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z]{4,}", text)}


def _request_words(db, reference: str) -> set[str]:
    """Every word of 4 letters or more that the patient, the triage or the practice wrote about the
    request (its topic, subject, answers, summary and messages), less the notice's own fixed words:
    any of them in a notice says something it must not."""
    from anima_pwa.models import Request, RequestMessage
    from anima_pwa.services.platform.notifications import render

    with Session(db) as session:
        row = session.exec(select(Request).where(Request.reference == reference)).one()
        messages = session.exec(select(RequestMessage.body).where(RequestMessage.request_id == row.id)).all()
        text = " ".join([row.topic, row.subject, row.free_text, row.triage_summary, row.answers, *messages])
    fixed = " ".join(render("practice_message", login_link=""))
    return _words(text) - _words(fixed) - {"true", "false", "none"}


def _bundle(app, reference: str, timeout: float = 30.0) -> dict:
    path = Path(app.log_path).parent / "records" / f"{reference}.json"
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"no record written at {path}"
        time.sleep(0.3)
    return json.loads(path.read_text())


def test_the_practice_acts_and_the_patient_answers(phone, shot, desk, browser, app, db, mailbox, tmp_path):
    tag = uuid.uuid4().hex[:6]
    older = _older_routine_requests(db, tag)

    # The patient sends a request from her phone.
    email, person = registered_patient(phone, mailbox, shot, db, "loop")
    reference = _send_cough_request(phone, shot)
    shot("sent")
    second_id, second_reference = _second_request(db, reference)

    # A clinician at a desk: the new request is above the older routine ones.
    staff_email, staff_password = new_staff(db, role="clinician")
    staff_sign_in_first_time(desk, staff_email, staff_password, desk.shots)
    desk.goto("/practice/requests")
    settled(desk)
    rows = desk.locator("tbody tr").evaluate_all("rows => rows.map(r => [Number(r.dataset.requestId), r.innerText])")
    ours = [text for _id, text in rows if reference in text or _id in older]
    assert ours and reference in ours[0], ours
    desk.shots("queue")
    desk.locator("tbody tr", has_text=reference).get_by_role("link").first.click()
    # The request page, not the queue still on screen (whose "Team" filter has the same name).
    expect(desk).to_have_url(re.compile(r".*/practice/request/?\?id=\d+$"))
    settled(desk)
    expect(desk.get_by_text(reference).first).to_be_visible()

    desk.get_by_label("Team").select_option("gp")
    desk.get_by_role("button", name="Assign", exact=True).click()
    expect(desk.get_by_text("The request has been assigned.")).to_be_visible()
    desk.get_by_label("Your message").fill("Please send a photo of your throat and tell us if you have a fever.")
    desk.get_by_label("This message needs a reply").check()
    desk.get_by_label("Ask for a photo with the reply").check()
    before = mailbox.count(email, "You have a new message from your practice")
    desk.get_by_role("button", name="Send message").click()
    expect(desk.get_by_text("Your message has been sent.")).to_be_visible()
    desk.shots("asked")

    # The notice reaches the patient through SMTP and says nothing clinical.
    notice = mailbox.wait_for(email, "You have a new message from your practice", after=before)
    body = body_of(notice).lower()
    words = _request_words(db, reference)
    assert {"throat", "fever", "wheezy"} <= words  # so the check below can fail
    said = sorted(w for w in words if re.search(rf"\b{re.escape(w)}\b", body))
    assert said == [], f"the notice says {said}"
    assert "log in to read it" in body

    # She signs in again (a new session, as from the email) and answers from "In progress".
    context = open_context(browser, app)
    patient = context.new_page()
    patient_shot = Shots(patient, "loop-patient")
    try:
        patient.goto("/login?next=/requests/in-progress")
        login(patient, email, PASSWORD)
        settled(patient)
        expect(patient.get_by_role("heading", name="In progress", level=1)).to_be_visible()
        patient_shot("in-progress")
        patient.locator("li.nav-list__item", has_text="Cough and cold").get_by_role(
            "button", name="Respond"
        ).first.click()
        settled(patient)
        expect(patient.get_by_role("heading", name="Reply to your practice")).to_be_visible()
        photo = tmp_path / "throat.jpg"
        Image.new("RGB", (80, 60), (190, 60, 60)).save(photo, format="JPEG")
        patient.get_by_label("Your reply").fill("No fever, but it hurts to swallow. Photo attached.")
        patient.locator("input[type=file]").set_input_files(str(photo))
        expect(patient.get_by_text("Photo added")).to_be_visible()
        patient.get_by_role("button", name="Send reply").click()
        expect(patient.get_by_text("Your reply has been sent to your practice.")).to_be_visible()
        patient_shot("replied")

        # The clinician's queue marks the reply (and the Replies filter finds it); the request page
        # shows it and its photo, and the clinician signs off with an invitation to book.
        request_page = desk.url
        desk.goto("/practice/requests?replied=1")
        settled(desk)
        replied_row = desk.locator("tbody tr", has_text=reference)
        expect(replied_row.get_by_text("Patient replied")).to_be_visible()  # "Patient replied just now"
        expect(
            desk.get_by_role("navigation", name="Replies").get_by_text(re.compile(r"Patient replied \(\d+\)"))
        ).to_be_visible()
        desk.shots("queue-patient-replied")
        desk.goto(request_page)
        settled(desk)
        expect(desk.get_by_text("No fever, but it hurts to swallow. Photo attached.")).to_be_visible()
        desk.wait_for_function("() => [...document.querySelectorAll('img')].some(i => i.naturalWidth === 80)")
        desk.get_by_label("Invite to book an appointment").check()
        desk.get_by_label("What to book").select_option("telephone")
        desk.get_by_label("Who with").select_option(index=1)  # the demo practice's first book
        desk.get_by_role("button", name="Sign off").click()
        expect(desk.get_by_text("The request has been signed off.")).to_be_visible()
        desk.shots("signed-off-invite")

        # And the patient's other request, with a signpost to a pharmacy.
        desk.goto(f"/practice/request?id={second_id}")
        settled(desk)
        desk.get_by_label("Signpost to another service").check()
        desk.get_by_label("Service", exact=True).select_option("pharmacy")
        desk.get_by_role("button", name="Sign off").click()
        expect(desk.get_by_text("The request has been signed off.")).to_be_visible()

        # The patient reads both outcomes.
        patient.goto("/requests")
        settled(patient)
        expect(patient.get_by_text("Your practice has invited you to book a telephone appointment")).to_be_visible()
        expect(patient.get_by_text("Your practice suggests you contact a pharmacy (Pharmacy First)")).to_be_visible()
        patient_shot("outcomes")
        # The invitation waits in "In progress" with its button (booking: e2e/test_appointments_*).
        patient.goto("/requests/in-progress")
        settled(patient)
        patient_shot("invitation")
        # ...and she books from it: a day, a time, confirm; the confirmation comes by email.
        patient.get_by_role("button", name="Book appointment").click()
        settled(patient)
        chosen = _choose_first_day_and_time(patient, patient_shot, "book")
        patient.get_by_role("button", name="Confirm appointment").click()
        expect(patient.get_by_role("heading", name="Your appointment is booked")).to_be_visible()
        patient_shot("booked")
        confirmation = body_of(mailbox.wait_for(email, "Your appointment is booked"))
        assert f"at {chosen}" in confirmation and "phone you" in confirmation
    finally:
        close_context(context)

    # The record adapter wrote each signed-off request as a Bundle that a real FHIR model accepts.
    from fhir.resources.R4B.bundle import Bundle

    for ref in (reference, second_reference):
        bundle = Bundle.model_validate(_bundle(app, ref))
        kinds = [entry.resource.__resource_type__ for entry in bundle.entry or []]
        assert "Patient" in kinds and "Task" in kinds, kinds
    first = Bundle.model_validate(_bundle(app, reference))
    kinds = [entry.resource.__resource_type__ for entry in first.entry or []]
    assert "QuestionnaireResponse" in kinds and kinds.count("Communication") == 2, kinds
