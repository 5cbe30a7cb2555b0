"""Issue 13: every page of the app, signed out, as a patient and as each member of staff, checked
by axe-core with the WCAG 2.0, 2.1 and 2.2 A and AA rules, and measured: no sideways scrolling at
320 px and at 200% zoom, and every target outside a sentence at least 24x24 px (e2e/layout.py).

The pages come from the app's own route table (`app._unevaluated_pages`), so a new page is
checked without anyone adding it here. Dynamic segments get a real value (`[ods]`: the demo
practice). A page that needs someone else sends the visitor on (to sign in, or home): axe checks
wherever that lands, so the sign-in pages are checked many times over, harmlessly.

axe-core comes from the npm registry into .tools/ (`make axe`, a dependency of `make test`), or
from ANIMA_AXE_JS; it is run in the page through the DevTools protocol, so the page's own
Content-Security-Policy stays on.

KNOWN lists violations found and not yet fixed, each with why: a known axe finding that
disappears fails the test too, so the list only shrinks. JavaScript errors while a page loads are
reported per page too (as "page-error")."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from playwright.sync_api import Page

from e2e import layout
from e2e.conftest import ROOT
from e2e.journeys import PASSWORD, login, settled

AXE = Path(os.environ.get("ANIMA_AXE_JS") or ROOT / ".tools" / "node_modules" / "axe-core" / "axe.min.js")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
VALUES = {"[ods]": "Y90001"}
# (who, path, axe rule id or "page-error"): why it is not fixed yet.
KNOWN: dict[tuple[str, str, str], str] = {}


def app_routes() -> list[str]:
    from anima_pwa.anima_pwa import app

    paths = []
    for route in sorted(app._unevaluated_pages):
        path = "/" if route == "index" else "/" + route
        for name, value in VALUES.items():
            path = path.replace(name, value)
        assert "[" not in path, f"give {path} a value in VALUES"
        paths.append(path)
    return paths


def axe(page: Page) -> list[dict]:
    """axe's violations on the page as it is now: [{"id", "impact", "nodes": [selectors]}]."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate(
        """(tags) => window.axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})
            .then((r) => r.violations.map((v) => ({id: v.id, impact: v.impact,
                nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5)})))""",
        TAGS,
    )
    return result


def sweep(page: Page, who: str, paths: list[str]) -> dict[tuple[str, str, str], list[str]]:
    """axe's violations on each page, and any JavaScript error while it loaded (as "page-error");
    measured too (e2e/layout.py): targets under 24x24 px ("target-size"), and what scrolls the page
    sideways at 320 px and at 200% zoom ("reflow-<width>": 195 px for a phone page, 640 px for a
    staff page at a desk)."""
    found: dict[tuple[str, str, str], list[str]] = {}
    size = page.viewport_size
    assert size is not None
    widths = (320, size["width"] // 2) if size["width"] < 800 else (size["width"] // 2,)
    watch = page.context.watch  # type: ignore[attr-defined]
    for path in paths:
        before = len(watch.errors)
        page.goto(path)
        settled(page)
        page.wait_for_timeout(150)  # anima.js fills in what it owns (e.g. the notifications panel)
        for violation in axe(page):
            found[(who, path, violation["id"])] = violation["nodes"]
        if small := layout.small_targets(page):
            found[(who, path, "target-size")] = small
        for width in widths:
            if sticking_out := layout.at_width(page, width):
                found[(who, path, f"reflow-{width}")] = sticking_out
        if len(watch.errors) > before:
            found[(who, path, "page-error")] = watch.errors[before:]
    watch.errors.clear()  # reported here, page by page, instead of once at the end
    return found


def check(found: dict, who: str) -> None:
    # A page error may come and go with timing: only axe's findings must leave KNOWN when fixed.
    known = {key for key in KNOWN if key[0] == who and key[2] != "page-error"}
    new = {key: nodes for key, nodes in found.items() if key not in KNOWN}
    gone = known - set(found)
    assert not new, "axe found:\n" + json.dumps({" ".join(k): v for k, v in new.items()}, indent=1)
    assert not gone, f"fixed (remove from KNOWN): {sorted(gone)}"


@pytest.fixture(scope="module")
def routes_table() -> list[str]:
    if not AXE.exists():
        pytest.skip(f"axe-core not installed at {AXE}: run `make axe`")
    return app_routes()


@pytest.fixture(scope="module")
def family(db, routes_table) -> dict:
    """A mother holding her son, with two requests waiting for their reply (one asking for a photo)
    and a suggested prescription to decide (e2e/test_inbox_patient.py), and a request of her own
    half answered (a draft: the wizard opens at it); and the son's record id."""
    from sqlmodel import Session, select

    from anima_pwa.models import Account, AccountPatient, Request, utcnow
    from e2e.test_inbox_patient import _family

    world = _family(db)
    with Session(db) as session:
        world["son"] = session.get(Request, world["rash"]).patient_id
        mum = session.exec(select(Account).where(Account.email == world["mum"])).one()
        own = session.exec(
            select(AccountPatient).where(AccountPatient.account_id == mum.id, AccountPatient.relationship == "self")
        ).one()
        now = utcnow()
        session.add(
            Request(
                patient_id=own.patient_id, account_id=mum.id, practice_id=session.get(Request, world["rash"]).practice_id,
                kind="medical", topic="back-pain", status="draft", current_item="", created_at=now, updated_at=now,
            )
        )  # fmt: skip
        # Someone waiting for the practice to verify them, with a long email address (the
        # Verifications table must fit at 200% zoom, or scroll in its own box).
        from datetime import date

        from anima_pwa.models import Patient
        from e2e.journeys import fresh_nhs_number, new_email

        waiting_email = new_email("a-rather-long-address-for-the-verifications-table")
        waiting = Account(email=waiting_email, email_normalized=waiting_email, password_hash="x", email_verified_at=now)
        person = Patient(
            full_name="Bartholomew Featherstonehaugh-Smythe", date_of_birth=date(1990, 1, 2),
            nhs_number=fresh_nhs_number(), postcode="MB1 2RH", verification_status="pending",
            practice_id=session.get(Request, world["rash"]).practice_id,
        )  # fmt: skip
        session.add_all([waiting, person])
        session.flush()
        session.add(AccountPatient(account_id=waiting.id, patient_id=person.id, relationship="self"))
        session.commit()
    return world


def test_every_page_signed_out(phone: Page, routes_table) -> None:
    check(sweep(phone, "signed out", routes_table), "signed out")


def test_every_page_as_a_patient(phone: Page, family, routes_table) -> None:
    phone.goto("/login")
    login(phone, family["mum"], PASSWORD)
    settled(phone)
    patient_pages = [p for p in routes_table if not p.startswith("/practice")]
    patient_pages += [f"/requests/view?id={family['rash']}", f"/requests/view?id={family['cough']}"]
    check(sweep(phone, "patient", patient_pages), "patient")


@pytest.mark.parametrize("role", ["receptionist", "clinician", "admin"])
def test_every_workspace_page_as_staff(desk: Page, db, mailbox, family, routes_table, role: str) -> None:
    from e2e.test_practice import new_staff, staff_sign_in_first_time

    email, password = new_staff(db, role=role)
    staff_sign_in_first_time(desk, email, password, desk.shots, mailbox)  # type: ignore[attr-defined]
    staff_pages = [p for p in routes_table if p.startswith("/practice") and not p.startswith("/practice/login")]
    staff_pages += [
        f"/practice/request?id={family['rash']}",
        f"/practice/patient?id={family['son']}",
        f"/practice/patient/audit?id={family['son']}",
    ]
    check(sweep(desk, role, staff_pages), role)
