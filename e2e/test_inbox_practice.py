"""The practice acts on requests (issue 11, the practice side), as staff do it on a desktop: an
urgent request above older routine ones, assign, message needing a reply, sign off with a
signpost to a pharmacy; a second member of staff signing off the same request at the same time
is told it was already signed off."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from e2e.conftest import Shots, close_context, open_context
from e2e.journeys import fresh_nhs_number, settled
from e2e.test_practice import new_staff, staff_sign_in_first_time


def _requests(db, tag: str) -> dict[str, int]:
    """A patient at Y90001 with three routine requests sent hours ago and an urgent one sent now."""
    from anima_pwa.models import URGENCY_RANKS, Patient, Practice, Request
    from anima_pwa.services.platform import clock

    now = clock.utcnow()
    with Session(db) as session:
        practice = session.exec(select(Practice).where(Practice.ods_code == "Y90001")).one()
        patient = Patient(
            full_name=f"Queue Tester{tag}",
            date_of_birth=date(1980, 1, 2),
            nhs_number=fresh_nhs_number(),
            postcode="MB1 2RH",
            practice_id=practice.id,
            verification_status="verified",
        )
        session.add(patient)
        session.flush()
        made = {}
        for n, (name, urgency, hours_ago) in enumerate(
            [("Routine one", "routine", 30), ("Routine two", "routine", 20), ("Routine three", "routine", 10),
             ("Urgent now", "urgent_today", 0)]
        ):  # fmt: skip
            row = Request(
                patient_id=patient.id,
                practice_id=practice.id,
                kind="medical",
                topic="back-pain",
                status="submitted",
                subject=f"{name} {tag}",
                urgency=urgency,
                urgency_rank=URGENCY_RANKS[urgency],
                team="gp",
                triage_summary="Red flag: numbness (the patient was told to call 999)\nHow long: 2 days",
                submitted_at=now - timedelta(hours=hours_ago, minutes=n),
                reference=f"AN-{uuid.uuid4().hex[:6].upper()}",
            )
            session.add(row)
            session.flush()
            made[name] = row.id
        session.commit()
    return made


def _open_request(page: Page, subject: str) -> None:
    page.get_by_role("link", name=subject).click()
    expect(page.get_by_role("heading", name=subject)).to_be_visible()
    settled(page)


def test_staff_work_a_request_from_the_queue_to_sign_off(desk, browser, app, db, mailbox, request):
    tag = uuid.uuid4().hex[:6]
    made = _requests(db, tag)
    shot = desk.shots
    email, password = new_staff(db, role="clinician")
    staff_sign_in_first_time(desk, email, password, shot)

    # The queue: the urgent request is above the older routine ones.
    desk.goto("/practice/requests?assignee=unassigned")
    settled(desk)
    expect(desk.get_by_role("heading", name="Requests", exact=True)).to_be_visible()
    ids = desk.locator("tbody tr").evaluate_all("rows => rows.map(r => Number(r.dataset.requestId))")
    mine = [i for i in ids if i in made.values()]
    assert mine == [made["Urgent now"], made["Routine one"], made["Routine two"], made["Routine three"]], ids
    # The "No response yet today" mark exists only once today's core hours have begun (08:00 London,
    # Monday to Friday, not bank holidays): the journey checks whichever is true as it runs.
    from anima_pwa.services.platform import clock
    from anima_pwa.services.practice import core_hours

    period = core_hours.core_period(clock.today())
    urgent_row = desk.locator(f"tr[data-request-id='{made['Urgent now']}']")
    if period is not None and period[0] <= clock.utcnow() < period[1]:
        expect(urgent_row.get_by_text("No response yet today")).to_be_visible()
    else:
        expect(urgent_row.get_by_text("No response yet today")).to_have_count(0)
    shot("queue")
    # The filter is in the URL: a reload keeps it.
    desk.reload()
    settled(desk)
    expect(desk.locator("strong[aria-current='true']", has_text="Not assigned")).to_be_visible()
    # On a small screen the table scrolls inside its box; the page itself does not scroll sideways.
    desktop = desk.viewport_size
    desk.set_viewport_size({"width": 360, "height": 740})
    widths = desk.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], widths
    shot("queue-small-screen")
    desk.set_viewport_size(desktop)

    subject = f"Urgent now {tag}"
    _open_request(desk, subject)
    expect(desk.locator(".summary-line--alarm")).to_contain_text("Red flag: numbness")
    shot("request")

    # Assign to the GP team, then take it.
    desk.get_by_label("Team").select_option("gp")
    desk.get_by_role("button", name="Assign", exact=True).click()
    expect(desk.get_by_text("The request has been assigned.")).to_be_visible()
    desk.get_by_role("button", name="Take it myself").click()
    expect(desk.get_by_text("You have taken this request.")).to_be_visible()
    expect(desk.locator(".summary-list__row", has_text="Who has it")).to_contain_text("GP: Sam Clinician")

    # A message needing a reply: an empty one first is refused next to the field.
    desk.get_by_role("button", name="Send message").click()
    expect(desk.locator("#message-error")).to_contain_text("Enter a message to the patient.")
    desk.get_by_label("Your message").fill("How is the numbness today? Please reply.")
    desk.get_by_label("This message needs a reply").check()
    desk.get_by_role("button", name="Send message").click()
    expect(desk.get_by_text("Your message has been sent.")).to_be_visible()
    expect(desk.get_by_text("How is the numbness today? Please reply.")).to_be_visible()
    expect(desk.locator(".summary-list__row", has_text="Status")).to_contain_text("Waiting for the patient")
    shot("messaged")

    # A second member of staff opens the same request in their own browser.
    other = open_context(browser, app, phone=False)
    second = other.new_page()
    second.shots = Shots(second, request.node.name + "-second")  # type: ignore[attr-defined]
    try:
        email2, password2 = new_staff(db, role="clinician")
        staff_sign_in_first_time(second, email2, password2, second.shots, mailbox)
        second.goto(f"/practice/request?id={made['Urgent now']}")
        expect(second.get_by_role("heading", name=subject)).to_be_visible()
        settled(second)

        # The first signs off: signpost to a pharmacy.
        desk.get_by_label("Signpost to another service").check()
        desk.get_by_label("Service", exact=True).select_option("pharmacy")
        desk.get_by_role("button", name="Sign off").click()
        expect(desk.get_by_text("The request has been signed off.")).to_be_visible()
        expect(desk.get_by_text("Your practice suggests you contact a pharmacy (Pharmacy First)")).to_be_visible()
        shot("signed-off")

        # The second, still on the old page, signs off too: told who did it, nothing saved.
        second.get_by_label("No action needed").check()
        second.get_by_role("button", name="Sign off").click()
        expect(second.locator(".error-summary")).to_contain_text("This request was signed off by Sam Clinician at ")
        second.shots("already-signed-off")  # type: ignore[attr-defined]
    finally:
        close_context(other)

    from anima_pwa.models import Request

    with Session(db) as session:
        row = session.get(Request, made["Urgent now"])
        assert (row.status, row.outcome) == ("resolved", "signpost")
