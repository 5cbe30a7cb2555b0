"""The practice workspace, as staff use it on a desktop."""

from __future__ import annotations

import time
import uuid

import pyotp
import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import Shots

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def desk(browser, app, request):
    context = browser.new_context(viewport=DESKTOP, base_url=app.url, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.shots = Shots(page, request.node.name)  # type: ignore[attr-defined]
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def new_staff(db, *, role: str = "receptionist", ods: str = "Y90001") -> tuple[str, str]:
    """A member of staff made the way the admin CLI makes them (each test makes its own)."""
    from sqlmodel import Session

    from anima_pwa.services import practices, staff

    email = f"{role}.{uuid.uuid4().hex[:8]}@example.org"
    password = "Staff-Desk-" + uuid.uuid4().hex[:6] + "A1"
    with Session(db) as session:
        practice = practices.practice_by_ods_code(session, ods)
        staff.create_staff(session, practice=practice, email=email, display_name=f"Sam {role.title()}", role=role, password=password)
        session.commit()
    return email, password


def staff_sign_in_first_time(page: Page, email: str, password: str, shot) -> str:
    """Sign in, set up MFA (mandatory for staff), return the authenticator key."""
    page.goto("/practice/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Set up multi-factor authentication")).to_be_visible()
    shot("staff-mfa-setup")
    key = page.locator("#setup-key").inner_text().replace(" ", "")
    page.get_by_label("6-digit code").fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="Turn on MFA").click()
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    page.get_by_role("button", name="I have saved my recovery codes").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    return key


def staff_sign_in(page: Page, email: str, password: str, key: str) -> None:
    page.goto("/practice/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Enter the code from your authenticator app")).to_be_visible()
    page.get_by_label("6-digit code").fill(pyotp.TOTP(key).at(time.time() + 30))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def test_staff_must_set_up_mfa_before_the_workspace(desk, db):
    shot = desk.shots
    email, password = new_staff(db)
    desk.goto("/practice")
    expect(desk.get_by_role("heading", name="Sign in to the practice workspace")).to_be_visible()
    key = staff_sign_in_first_time(desk, email, password, shot)
    shot("dashboard")
    desk.get_by_role("button", name="Sign out").click()
    expect(desk.get_by_text("You have signed out.")).to_be_visible()
    staff_sign_in(desk, email, password, key)
