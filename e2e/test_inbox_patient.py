"""The patient's side of the loop (issue 11), on a phone: the practice's message needing a reply
(made here through the models, as the practice's screens would leave it) shows a red "Respond" in
"In progress"; Mum replies with text and a photo (after a file that is not a photo is refused
beside its field, her text kept); Dad, the child's second parent, sees the child's requests and
Mum's photo and answers another; a suggested prescription is approved. Checked at 390 and 320
pixels wide: nothing scrolls sideways."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from e2e.conftest import close_context, open_context
from e2e.journeys import PASSWORD, at_320, fresh_nhs_number, new_email, no_sideways_scroll, settled, sign_in_to


def _family(db) -> dict:
    """Mum and Dad (verified, each with an account) who both hold their son Sam; three requests."""
    from anima_pwa.models import (
        Account,
        AccountPatient,
        Patient,
        Practice,
        Request,
        RequestMessage,
        StaffMember,
        utcnow,
    )
    from anima_pwa.services.identity import passwords

    now = utcnow()
    with Session(db, expire_on_commit=False) as session:
        practice = session.exec(select(Practice).where(Practice.ods_code == "Y90001")).one()
        staff = session.exec(select(StaffMember).where(StaffMember.practice_id == practice.id)).first()
        hashed = passwords.hash_password(PASSWORD)

        def holder(name: str, tag: str) -> tuple[str, Account, Patient]:
            email = new_email(tag)
            account = Account(email=email, email_normalized=email, password_hash=hashed, email_verified_at=now)
            patient = Patient(
                full_name=name, date_of_birth=date(1986, 4, 2), nhs_number=fresh_nhs_number(), postcode="MB1 2RH",
                practice_id=practice.id, verification_status="verified",
            )  # fmt: skip
            session.add_all([account, patient])
            session.flush()
            session.add(AccountPatient(account_id=account.id, patient_id=patient.id, relationship="self"))
            return email, account, patient

        mum_email, mum, mum_patient = holder("Mia Okafor", "mum")
        dad_email, dad, _ = holder("Dan Okafor", "dad")
        son = Patient(
            full_name="Sam Okafor", date_of_birth=date(2019, 6, 1), nhs_number=fresh_nhs_number(), postcode="MB1 2RH",
            practice_id=practice.id, verification_status="verified",
        )  # fmt: skip
        session.add(son)
        session.flush()
        session.add(AccountPatient(account_id=mum.id, patient_id=son.id, relationship="dependant"))
        session.add(
            AccountPatient(account_id=dad.id, patient_id=son.id, relationship="dependant", approval_status="approved")
        )

        def request(patient: Patient, by: Account, topic: str, minutes: int, **fields) -> Request:
            fields.setdefault("status", "assigned")
            row = Request(
                reference=f"AN-{fresh_nhs_number()[:6]}", patient_id=patient.id, account_id=by.id,
                practice_id=practice.id, kind="medical", topic=topic,
                answers=json.dumps({}), free_text="It started on Monday.", subject="TRIAGE SUBJECT", urgency="routine",
                team="gp", triage_summary="TRIAGE SUMMARY", submitted_at=now - timedelta(minutes=minutes), **fields,
            )  # fmt: skip
            session.add(row)
            session.flush()
            return row

        def asks(row: Request, body: str, *, wants_photo: bool = False) -> None:
            session.add(
                RequestMessage(
                    request_id=row.id, author_kind="staff", author_staff_id=staff.id if staff else None, body=body,
                    needs_reply=True, wants_photo=wants_photo, created_at=now - timedelta(minutes=5),
                )
            )  # fmt: skip
            row.status, row.awaiting_reply_since = "awaiting_patient", now - timedelta(minutes=5)
            session.add(row)

        rash = request(son, mum, "cough-and-cold", 120)
        asks(rash, "Please send us a photo of the rash on Sam's chest.", wants_photo=True)
        cough = request(son, dad, "cough-and-cold", 90)
        asks(cough, "Is Sam still coughing at night?")
        request(mum_patient, mum, "headache", 60, status="resolved", outcome="prescription",
                outcome_detail=json.dumps({"medicine": "Sumatriptan 50mg tablets", "instructions": "One at onset."}),
                resolved_at=now)  # fmt: skip
        session.commit()
        return {"mum": mum_email, "dad": dad_email, "rash": rash.id, "cough": cough.id}


def test_patient_reads_and_answers_the_practice(phone: Page, shot, db, browser, app, tmp_path: Path) -> None:
    family = _family(db)
    photo = tmp_path / "rash.png"
    Image.new("RGB", (64, 48), (200, 80, 80)).save(photo, format="PNG")
    not_a_photo = tmp_path / "notes.png"
    not_a_photo.write_text("these are my notes, not a photo")

    # Mum: home -> In progress, where both of Sam's requests have a red Respond.
    sign_in_to(phone, family["mum"], "/home")
    expect(phone.get_by_role("heading", name="Your practice needs your reply")).to_be_visible()
    shot("home")
    phone.get_by_role("link", name="In progress").click()
    expect(phone.get_by_role("heading", name="In progress", level=1)).to_be_visible()
    settled(phone)
    respond = phone.get_by_role("button", name="Respond")
    expect(respond).to_have_count(2)
    expect(phone.locator(".request-list__respond").first).to_have_css("background-color", "rgb(213, 40, 27)")
    no_sideways_scroll(phone)
    shot("in-progress")
    at_320(phone, shot, "in-progress")
    expect(phone.get_by_text("TRIAGE")).to_have_count(0)

    # The rash request: a file that is not a photo is refused beside its field; the text stays.
    phone.goto(f"/requests/view?id={family['rash']}#reply")
    settled(phone)
    expect(phone.get_by_role("heading", name="Reply to your practice")).to_be_visible()
    expect(phone.get_by_text("Please send us a photo of the rash on Sam's chest.").first).to_be_visible()
    phone.get_by_label("Your reply").fill("Here is the rash, it is spreading.")
    phone.locator("input[type=file]").set_input_files(str(not_a_photo))
    expect(phone.locator("#photo-error")).to_contain_text("The selected file must be a JPG, PNG or HEIC photo")
    expect(phone.get_by_label("Your reply")).to_have_value("Here is the rash, it is spreading.")
    shot("not-a-photo")
    phone.locator("input[type=file]").set_input_files(str(photo))
    expect(phone.get_by_text("Photo added")).to_be_visible()
    expect(phone.locator("#photo-error")).to_have_count(0)
    shot("photo-added")
    expect(phone.get_by_label("Your reply")).to_have_value("Here is the rash, it is spreading.")
    phone.get_by_role("button", name="Send reply").click()
    expect(phone.get_by_text("Your reply has been sent to your practice.")).to_be_visible()
    expect(phone.get_by_role("heading", name="Reply to your practice")).to_have_count(0)
    sent = phone.locator(".thread__item--patient")
    expect(sent).to_contain_text("You")
    expect(sent).to_contain_text("Here is the rash, it is spreading.")
    image = sent.locator("img.thread__photo")
    expect(image).to_have_count(1)
    phone.wait_for_function(
        "() => document.querySelector('img.thread__photo').naturalWidth === 64"
    )  # a function, not a string Playwright would eval (the CSP forbids eval)
    no_sideways_scroll(phone)
    shot("replied")
    at_320(phone, shot, "replied")

    # A suggested prescription for Mum herself, approved from "Your requests".
    phone.goto("/requests")
    settled(phone)
    expect(phone.get_by_text("Your practice has suggested a prescription")).to_be_visible()
    phone.get_by_role("link", name="Headache").click()
    settled(phone)
    expect(phone.get_by_text("Sumatriptan 50mg tablets")).to_be_visible()
    shot("prescription")
    phone.get_by_role("button", name="Approve prescription").click()
    expect(phone.get_by_text("You approved this prescription.")).to_be_visible()
    expect(phone.get_by_role("button", name="Approve prescription")).to_have_count(0)
    at_320(phone, shot, "approved")

    # Dad, in his own browser: the rash request no longer waits (Mum answered, her photo shows),
    # and he answers the cough request.
    context = open_context(browser, app)
    dad = context.new_page()
    try:
        sign_in_to(dad, family["dad"], "/requests/in-progress")
        expect(dad.get_by_role("heading", name="In progress", level=1)).to_be_visible()
        expect(dad.get_by_role("button", name="Respond")).to_have_count(1)
        dad.goto(f"/requests/view?id={family['rash']}")
        settled(dad)
        expect(dad.locator(".thread__item--patient")).to_contain_text("Mia Okafor")
        dad.wait_for_function(
            "() => document.querySelector('img.thread__photo').naturalWidth === 64"
        )  # a function, not a string Playwright would eval (the CSP forbids eval)
        dad.goto(f"/requests/view?id={family['cough']}")
        settled(dad)
        dad.get_by_label("Your reply").fill("Yes, mostly after midnight.")
        dad.get_by_role("button", name="Send reply").click()
        expect(dad.get_by_text("Your reply has been sent to your practice.")).to_be_visible()
        expect(dad.locator(".thread__item--patient")).to_contain_text("You")
        dad.screenshot(path=str(Path(shot.folder) / "dad-replied.png"), full_page=True)
        dad.goto("/requests/in-progress")
        settled(dad)
        expect(dad.get_by_role("button", name="Respond")).to_have_count(0)
    finally:
        close_context(context)
