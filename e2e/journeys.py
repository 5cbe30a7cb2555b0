"""Steps of the patient guide, shared by the end-to-end tests so each reads like the guide."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date

from playwright.sync_api import Page, expect
from sqlalchemy import text

from anima_pwa.services.platform.validation import nhs_number_is_valid

PASSWORD = "Kettle-Harbour-42"


def settled(page: Page) -> None:
    """Wait until the screen's on_load handlers have run (they may reset what a form shows)."""
    expect(page.locator("main[data-ready='true']")).to_have_count(1)


def new_email(tag: str) -> str:
    return f"{tag}.{uuid.uuid4().hex[:8]}@example.com"


def fresh_nhs_number() -> str:
    """A random NHS number that passes Modulus 11 and is not a 999 999 dummy."""
    while True:
        digits = f"{random.randint(400_000_000, 998_999_999)}"
        total = sum(int(d) * w for d, w in zip(digits, range(10, 1, -1), strict=True))
        check = 11 - total % 11
        check = 0 if check == 11 else check
        if check != 10 and nhs_number_is_valid(digits + str(check)):
            return digits + str(check)


@dataclass
class Person:
    given: str
    family: str
    dob: date
    postcode: str
    nhs_number: str
    mobile: str = "07700 900123"

    @property
    def full_name(self) -> str:
        return f"{self.given} {self.family}"


def person_on_register(
    db, ods_code: str = "Y90001", *, given: str = "Harriet", family: str | None = None, dob: date = date(1984, 3, 15)
) -> Person:
    """Put a new synthetic person on a practice's register (each test makes its own data)."""
    family = family or "Tester" + "".join(random.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6))
    person = Person(given, family, dob, "MB1 2RH", fresh_nhs_number())
    with db.begin() as connection:
        practice_id = connection.execute(
            text("SELECT id FROM practice WHERE ods_code = :c"), {"c": ods_code}
        ).scalar_one()
        connection.execute(
            text(
                "INSERT INTO practice_register_entry (practice_id, nhs_number, given_names, family_name, "
                "date_of_birth, postcode, address_line1, imported_at) VALUES (:p, :n, :g, :f, :d, :pc, '', CURRENT_TIMESTAMP)"
            ),
            {"p": practice_id, "n": person.nhs_number, "g": given, "f": family, "d": person.dob, "pc": person.postcode},
        )
    return person


def continue_with_email(page: Page, email: str, shot) -> None:
    """Guide step 1: "Continue with Email" sends the link; the password comes after it."""
    page.goto("/")
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    settled(page)
    shot("first-visit")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Continue with Email").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()


def follow_sign_up_link(page: Page, mailbox, email: str, *, after: int = 0) -> None:
    """Guide step 4: the link in the email opens "Create a password"."""
    from e2e.conftest import link_in

    page.goto(link_in(mailbox.wait_for(email, "Confirm your email address", after=after)))
    expect(page.get_by_role("heading", name="Create a password")).to_be_visible()
    settled(page)


def create_account(page: Page, password: str, shot) -> None:
    """Guide steps 2 and 3, on the page the link opened."""
    page.get_by_label("Create a password").fill(password)
    shot("create-password")
    page.get_by_role("button", name="Create account").click()


def confirmed_account(page: Page, mailbox, shot, tag: str) -> str:
    """Guide steps 1 to 4 for a new email address: sign up, follow the emailed link, create the password."""
    email = new_email(tag)
    continue_with_email(page, email, shot)
    follow_sign_up_link(page, mailbox, email)
    create_account(page, PASSWORD, shot)
    expect(page.get_by_role("heading", name="Your registration is confirmed")).to_be_visible()
    return email


def signed_in_new_account(page: Page, mailbox, shot, tag: str) -> str:
    """A confirmed account, signed in and at the details form."""
    email = confirmed_account(page, mailbox, shot, tag)
    page.goto("/login")
    login(page, email, PASSWORD)
    expect(page.get_by_role("heading", name="Your details")).to_be_visible()
    return email


def registered_patient(
    page: Page, mailbox, shot, db, tag: str, *, given: str = "Harriet", family: str | None = None
) -> tuple[str, Person]:
    """A new account holder on the Riverside register, signed in and verified (guide steps 1-9)."""
    person = person_on_register(db, given=given, family=family)
    email = signed_in_new_account(page, mailbox, shot, tag)
    fill_details(page, person)
    agree_and_create(page)
    expect(page.get_by_role("heading", name="You're all set up")).to_be_visible()
    return email, person


def login(page: Page, email: str, password: str) -> None:
    settled(page)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Login", exact=True).click()


def switch_on_mfa(page: Page, shot) -> tuple[str, list[str]]:
    """From any signed-in page: Settings, set up an authenticator app (a wrong code first), save the
    recovery codes. Returns the app's key and the 10 recovery codes."""
    import pyotp

    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()
    page.get_by_role("link", name="Multi-factor authentication").click()
    expect(page.get_by_role("heading", name="Multi-factor authentication", exact=True)).to_be_visible()
    page.get_by_role("button", name="Set up an authenticator app").click()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    shot("scan-qr-code")

    key = page.locator("#setup-key").inner_text().replace(" ", "")
    assert len(key) == 32
    page.get_by_label("6-digit code").fill("000000" if pyotp.TOTP(key).now() != "000000" else "111111")
    page.get_by_role("button", name="Turn on MFA").click()
    expect(page.locator("#code-error")).to_contain_text("not correct")
    page.get_by_label("6-digit code").fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="Turn on MFA").click()
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    codes = [c.strip() for c in page.locator(".recovery-codes code").all_inner_texts()]
    assert len(codes) == 10 and len(set(codes)) == 10
    shot("recovery-codes")
    page.get_by_role("button", name="I have saved my recovery codes").click()
    expect(page.get_by_text("Multi-factor authentication is on.")).to_be_visible()
    expect(page.get_by_text("Recovery codes left: 10")).to_be_visible()
    return key, codes


def sign_in_to(page: Page, email: str, to: str) -> None:
    """Sign in with ``PASSWORD`` from the login page that goes on to ``to``, and wait for it."""
    page.goto(f"/login?next={to}")
    login(page, email, PASSWORD)
    settled(page)


def no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {page.viewport_size}"


def at_320(page: Page, shot, step: str) -> None:
    """The page at 320 CSS pixels wide (no sideways scroll, a screenshot), then back to its size."""
    size = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 700})
    no_sideways_scroll(page)
    shot(step + "-320")
    page.set_viewport_size(size)  # type: ignore[arg-type]


def fill_details(
    page: Page,
    person: Person,
    *,
    practice_search: str = "Riverside",
    practice_name: str = "Riverside Health Centre",
    with_nhs_number: bool = True,
) -> None:
    """Guide steps 6 and 7."""
    settled(page)
    page.get_by_label("Full name").fill(person.full_name)
    page.get_by_label("Day").fill(str(person.dob.day))
    page.get_by_label("Month").fill(str(person.dob.month))
    page.get_by_label("Year").fill(str(person.dob.year))
    page.get_by_label("Postcode", exact=True).fill(person.postcode)
    page.get_by_label("Mobile phone number").fill(person.mobile)
    if with_nhs_number:
        page.get_by_label("NHS number (if known)").fill(person.nhs_number)
    page.get_by_label("GP practice").fill(practice_search)
    page.get_by_role("button", name=practice_name).click()
    expect(page.get_by_label("Practice postcode")).to_have_value("MB1 2RH")


def agree_and_create(page: Page) -> None:
    """Guide step 8."""
    page.get_by_label("I confirm I am over 18").check()
    page.get_by_label("I agree to Anima's privacy policy and terms of use").check()
    page.get_by_role("button", name="Create Account").click()


def answer_emergency_screen(page: Page, *, tick: tuple[str, ...] = (), shot=None) -> list[str]:
    """The emergency screen, a page at a time: tick each sign whose label contains one of `tick`,
    and "None of these" on a page with none of them; Continue. Returns every question read, and
    stops at the advice (if a tick ended the screen) or the topic's first question."""
    import re

    progress = page.locator("#red-flag-progress")
    question = page.get_by_text(re.compile(r"^Question 1 of"))
    advice = page.locator("#advice")
    read: list[str] = []
    shown = ""
    for _ in range(15):
        expect(progress.filter(has_not_text=shown) if shown else progress).to_be_visible()
        shown = progress.inner_text()
        group = page.get_by_role("group", name=re.compile(r"^Do any of these apply"))
        labels = [label.inner_text() for label in group.locator("label.checkbox-label").all()]
        questions = [label for label in labels if label != "None of these"]
        assert labels[-1] == "None of these" and 1 <= len(questions) <= 5, labels
        read += questions
        chosen = [label for label in questions if any(words in label for words in tick)]
        for label in chosen:
            group.get_by_label(label, exact=True).check()
        if not chosen:
            group.get_by_label("None of these", exact=True).check()
        if shot:
            shot("emergency-" + shown.split()[-3])
        page.get_by_role("button", name="Continue").click()
        number, total = re.findall(r"\d+", shown)[-2:]
        nxt = progress.filter(has_not_text=shown)
        expect(nxt.or_(question).or_(advice)).to_be_visible()
        if advice.is_visible() or question.is_visible() or number == total:
            return read
    raise AssertionError("the emergency screen never ended")


ALL_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def practice_settings(db, ods: str = "Y90001", **columns) -> None:
    """Test set-up: this practice's online-request settings, written as an admin would save them."""
    import json

    values = {
        "hours": json.dumps({kind: {day: ["00:00", "23:59"] for day in ALL_DAYS} for kind in ("medical", "admin")}),
        "turned_off": False,
        "turned_off_message": "",
        "routine_only_after": "",
        "daily_limit": None,
        "active_limit": None,
        "per_patient_medical": 1,
        "per_patient_admin": 1,
        "free_text_enabled": True,
    }
    values.update(columns)
    with db.begin() as connection:
        practice_id = connection.execute(text("SELECT id FROM practice WHERE ods_code = :o"), {"o": ods}).scalar_one()
        connection.execute(text("DELETE FROM practice_settings WHERE practice_id = :p"), {"p": practice_id})
        connection.execute(
            text(
                "INSERT INTO practice_settings (practice_id, hours, turned_off, turned_off_message, routine_only_after, "
                "daily_limit, active_limit, per_patient_medical, per_patient_admin, free_text_enabled, updated_at) VALUES "
                "(:practice_id, :hours, :turned_off, :turned_off_message, :routine_only_after, :daily_limit, :active_limit, "
                ":per_patient_medical, :per_patient_admin, :free_text_enabled, CURRENT_TIMESTAMP)"
            ),
            {"practice_id": practice_id, **values},
        )
