"""The demo seed: fictional practices, deterministic registers, named people and staff admins."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlmodel import Session, select

from anima_pwa.models import Account, Practice, PracticeRegisterEntry, StaffMember
from anima_pwa.services.identity import passwords
from anima_pwa.services.patients.verification import match_register
from anima_pwa.services.platform.demo import (
    DEMO_NETWORK_CODE,
    DEMO_PEOPLE,
    DEMO_PRACTICE_CODES,
    DEMO_PRACTICES,
    DEMO_STAFF,
    REGISTER_SIZE,
    demo_register_csv,
    demo_register_rows,
    seed_demo,
)
from anima_pwa.services.platform.validation import clean_postcode, nhs_number_is_valid
from anima_pwa.services.practice.practices import practice_by_ods_code
from tests.factories import count, outbox

pytestmark = pytest.mark.usefixtures("cheap_argon2")  # tests/conftest.py: tiny argon2 parameters


def test_seed_twice_is_idempotent(db_session: Session) -> None:
    first = seed_demo(db_session)
    assert not first.skipped
    assert first.practices.created == 5 and first.practices.problems == []
    assert all(report.created == REGISTER_SIZE + 3 for report in first.registers.values())
    assert first.staff_created == [staff.email for staff in DEMO_STAFF]
    db_session.commit()
    counts = [count(db_session, model) for model in (Practice, PracticeRegisterEntry, Account, StaffMember)]
    assert counts == [5, 4 * (REGISTER_SIZE + 3), 4, 4]

    again = seed_demo(db_session)
    assert again.skipped and "already has practices" in again.lines()[0]

    forced = seed_demo(db_session, if_empty=False)
    assert not forced.skipped
    assert (forced.practices.created, forced.practices.updated) == (0, 0)
    assert all((report.created, report.updated, report.problems) == (0, 0, []) for report in forced.registers.values())
    assert forced.staff_created == [] and len(forced.staff_existing) == 4
    db_session.commit()
    assert [count(db_session, model) for model in (Practice, PracticeRegisterEntry, Account, StaffMember)] == counts


def test_seeded_practices_and_staff(db_session: Session) -> None:
    seed_demo(db_session)
    for demo in DEMO_PRACTICES:
        practice = practice_by_ods_code(db_session, demo.ods_code)
        assert practice.name == demo.name and practice.status == "active"
        assert practice.network == DEMO_NETWORK_CODE
        assert practice.email == demo.email and practice.email.endswith("@example.org")
    for staff in DEMO_STAFF:
        account = db_session.exec(select(Account).where(Account.email_normalized == staff.email)).one()
        member = db_session.exec(select(StaffMember).where(StaffMember.account_id == account.id)).one()
        practice = db_session.get(Practice, member.practice_id)
        assert (practice.ods_code, member.role, member.display_name) == (
            staff.practice_ods_code, "admin", staff.display_name,
        )  # fmt: skip
        assert account.kind == "staff" and account.email_verified_at is not None
        assert passwords.verify_password(account.password_hash, staff.password)
        # No MFA yet: each admin is emailed (the demo mailbox shows it) a link to set it up.
        assert account.mfa_enabled_at is None
        (link,) = outbox(db_session, "staff_mfa_enrolment", staff.email)
        assert "/practice/enrol?token=" in link.body_text and practice.name in link.body_text


def test_seed_keeps_a_practice_email_set_by_the_practice(db_session: Session) -> None:
    seed_demo(db_session)
    practice = practice_by_ods_code(db_session, "Y90001")
    practice.email = "reception@example.net"
    db_session.add(practice)
    seed_demo(db_session, if_empty=False)
    assert practice_by_ods_code(db_session, "Y90001").email == "reception@example.net"


def test_demo_staff_passwords_meet_the_rules() -> None:
    for staff in DEMO_STAFF:
        assert passwords.check_password(staff.password, email=staff.email) is None
    assert sorted(staff.practice_ods_code for staff in DEMO_STAFF) == DEMO_PRACTICE_CODES
    assert len({staff.password for staff in DEMO_STAFF}) == len(DEMO_STAFF)


def test_registers_are_deterministic_and_valid() -> None:
    all_numbers: list[str] = []
    for code in DEMO_PRACTICE_CODES:
        rows = demo_register_rows(code)
        assert rows == demo_register_rows(code)
        assert len(rows) == REGISTER_SIZE + len([p for p in DEMO_PEOPLE if p.practice_ods_code == code])
        outward = next(p.outward_code for p in DEMO_PRACTICES if p.ods_code == code)
        for row in rows:
            assert clean_postcode(row["postcode"]) == row["postcode"]
            assert row["postcode"].split(" ")[0] == outward
            assert date(1900, 1, 1) < row["date_of_birth"] < date.today()
        all_numbers += [row["nhs_number"] for row in rows]
        parsed = list(csv.DictReader(io.StringIO(demo_register_csv(code))))
        assert [row["nhs_number"] for row in parsed] == [row["nhs_number"] for row in rows]
    assert len(all_numbers) == len(set(all_numbers))  # Patient.nhs_number is unique everywhere
    for number in all_numbers:
        assert nhs_number_is_valid(number), number
        assert not number.startswith("999"), number


def test_registers_cover_all_ages_and_middle_names() -> None:
    rows = [row for code in DEMO_PRACTICE_CODES for row in demo_register_rows(code)]
    ages = [(date(2025, 9, 1) - row["date_of_birth"]).days // 365 for row in rows]
    assert min(ages) < 2 and max(ages) >= 90
    assert sum(" " in row["given_names"] for row in rows) >= 10


def test_demo_people_facts() -> None:
    assert len(DEMO_PEOPLE) == len({p.nhs_number for p in DEMO_PEOPLE})
    for code in DEMO_PRACTICE_CODES:
        people = [p for p in DEMO_PEOPLE if p.practice_ods_code == code]
        adults_without_number = [
            p for p in people if not p.give_nhs_number and (date(2025, 9, 1) - p.date_of_birth).days > 18 * 366
        ]
        assert adults_without_number, f"{code} needs an adult to match without an NHS number"
    whitfield = next(p for p in DEMO_PEOPLE if p.family_name == "Whitfield")
    assert whitfield.full_name == "Thomas James Whitfield" and whitfield.sign_up_name == "Thomas Whitfield"


def test_demo_people_are_on_their_registers(db_session: Session) -> None:
    seed_demo(db_session)
    for person in DEMO_PEOPLE:
        practice = practice_by_ods_code(db_session, person.practice_ods_code)
        entry = db_session.exec(
            select(PracticeRegisterEntry).where(
                PracticeRegisterEntry.practice_id == practice.id,
                PracticeRegisterEntry.nhs_number == person.nhs_number,
            )
        ).one()
        assert (entry.given_names, entry.family_name, entry.date_of_birth, entry.postcode) == (
            person.given_names, person.family_name, person.date_of_birth, person.postcode,
        )  # fmt: skip


def test_demo_people_verify_as_the_readme_says(db_session: Session) -> None:
    """Signing up with the README's facts matches exactly that person's register entry."""
    seed_demo(db_session)
    failures = []
    for person in DEMO_PEOPLE:
        practice = practice_by_ods_code(db_session, person.practice_ods_code)
        result = match_register(
            db_session,
            practice_id=practice.id,
            full_name=person.sign_up_name,
            date_of_birth=person.date_of_birth,
            postcode=person.postcode,
            nhs_number=person.nhs_number if person.give_nhs_number else None,
        )
        if not result.matched or result.entry.nhs_number != person.nhs_number:
            failures.append((person.sign_up_name, result.reason))
    assert failures == []
