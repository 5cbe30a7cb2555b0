"""Practices: epraccur import, the practice search box, register import, and staff creation."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from anima_pwa.models import Account, Practice, PracticeRegisterEntry, StaffMember
from anima_pwa.services.identity import passwords
from anima_pwa.services.platform import clock
from anima_pwa.services.practice.practices import (
    PracticeOption,
    RegisterFileError,
    display_name,
    get_active_practice,
    import_epraccur,
    import_register,
    parse_date_of_birth,
    practice_by_ods_code,
    search_practices,
)
from anima_pwa.services.practice.staff import EMAIL_TAKEN, create_staff

SAMPLE = Path(__file__).resolve().parent.parent / "anima_pwa" / "data" / "epraccur_sample.csv"


pytestmark = pytest.mark.usefixtures("cheap_argon2")  # tests/conftest.py: tiny argon2 parameters


def epraccur_row(code: str, name: str, **overrides: str) -> str:
    """One epraccur line; overrides by 1-based column number, e.g. c10="MB1 2RH"."""
    columns = [""] * 27
    columns[0], columns[1] = code, name
    columns[4], columns[5], columns[7], columns[8], columns[9] = (
        "1 HIGH STREET", "", "MILLBROOK", "WESTSHIRE", "MB1 2AB",
    )  # fmt: skip
    columns[10], columns[12], columns[25], columns[23] = "20000101", "A", "4", "U99001"
    for key, value in overrides.items():
        columns[int(key[1:]) - 1] = value
    return ",".join(f'"{value}"' for value in columns) + "\n"


@pytest.fixture
def sample(db_session: Session) -> Session:
    import_epraccur(db_session, SAMPLE)
    return db_session


# ---------------------------------------------------------------------------------------------
# epraccur


def test_sample_file_imports_gp_practices_only(db_session: Session) -> None:
    report = import_epraccur(db_session, SAMPLE)
    assert (report.created, report.updated, report.unchanged) == (5, 0, 0)
    assert report.skipped == 1 and report.problems == []  # the out-of-hours row (setting 0)
    codes = db_session.exec(select(Practice.ods_code).order_by(Practice.ods_code)).all()
    assert codes == ["Y90001", "Y90002", "Y90003", "Y90004", "Y90005"]


def test_sample_practice_fields(sample: Session) -> None:
    practice = practice_by_ods_code(sample, "y90004")
    assert practice is not None
    assert practice.name == "Millbrook & Westcombe Surgery"
    assert (practice.address_line1, practice.address_line2, practice.address_line3) == (
        "The Old School", "Church Street", "",
    )  # fmt: skip
    assert (practice.town, practice.county, practice.postcode) == ("Westcombe", "Westshire", "MB6 3WB")
    assert practice.status == "active" and practice.network == "U99001"
    assert practice.commissioner == "99X" and practice.phone == "01632 960004"
    assert practice.open_date == date(2001, 4, 1) and practice.close_date is None

    closed = practice_by_ods_code(sample, "Y90005")
    assert closed is not None
    assert closed.name == "St Anne's Surgery"
    assert closed.status == "closed" and closed.close_date == date(2019, 3, 31)


@pytest.mark.parametrize(
    ("upper", "expected"),
    [
        ("RIVERSIDE HEALTH CENTRE", "Riverside Health Centre"),
        ("MILLBROOK & WESTCOMBE SURGERY", "Millbrook & Westcombe Surgery"),
        ("THE SURGERY AT ST MARY'S", "The Surgery at St Mary's"),
        ("DR O'BRIEN AND PARTNERS", "Dr O'Brien and Partners"),
        ("STOCKTON-ON-TEES", "Stockton-on-Tees"),
        ("NEWCASTLE UPON TYNE", "Newcastle upon Tyne"),
        ("HMP WANDSWORTH", "HMP Wandsworth"),
        ("UNIT 4B  HIGH ST", "Unit 4B High St"),
        ("MCDONALD MEDICAL PRACTICE", "McDonald Medical Practice"),
        ("THE OLD SCHOOL (SURGERY)", "The Old School (Surgery)"),
        ("Already Mixed Case", "Already Mixed Case"),
    ],
)
def test_display_name(upper: str, expected: str) -> None:
    assert display_name(upper) == expected


def test_malformed_rows_are_reported_and_skipped_whole(db_session: Session) -> None:
    lines = [
        epraccur_row("Y91001", "GOOD SURGERY"),
        epraccur_row("Y91002", "SHORT ROW").replace(',""\n', "\n"),  # 26 columns
        epraccur_row("Y91003", "BAD DATE SURGERY", c11="2000-01-01"),
        epraccur_row("Y91004", "BAD POSTCODE SURGERY", c10="NOT A PC"),
        epraccur_row("Y91005", "", c2=""),
        epraccur_row("Y91006", "ODD STATUS SURGERY", c13="X"),
        "\n",  # blank lines are ignored, not reported
        epraccur_row("Y91001", "GOOD SURGERY AGAIN"),
        epraccur_row("Y91007", "PHARMACY", c26="0"),
        epraccur_row("Y91008", "ALSO GOOD SURGERY", c13="D"),
    ]
    report = import_epraccur(db_session, lines)
    assert (report.created, report.updated) == (2, 0)
    assert [(p.row, p.reason.split(" ")[0]) for p in report.problems] == [
        (2, "expected"),
        (3, "open"),
        (4, "postcode"),
        (5, "the"),
        (6, "status"),
        (8, "Y91001"),
    ]
    assert "already appears on row 1" in report.problems[-1].reason
    assert report.skipped == 7  # six malformed and the pharmacy
    codes = set(db_session.exec(select(Practice.ods_code)).all())
    assert codes == {"Y91001", "Y91008"}
    assert practice_by_ods_code(db_session, "Y91008").status == "closed"  # dormant is not active


def test_reimport_updates_changed_practices_and_keeps_their_email(sample: Session) -> None:
    riverside = practice_by_ods_code(sample, "Y90001")
    riverside.email = "riverside.practice@example.org"
    sample.add(riverside)
    sample.flush()
    lines = SAMPLE.read_text().splitlines(keepends=True)
    lines[0] = lines[0].replace("01632 960001", "01632 960099")
    report = import_epraccur(sample, lines)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 4)
    sample.refresh(riverside)
    assert riverside.phone == "01632 960099"
    assert riverside.email == "riverside.practice@example.org"


def test_town_falls_back_to_last_street_line(db_session: Session) -> None:
    row = epraccur_row("Y91010", "TOWNLESS SURGERY", c5="2 STATION ROAD", c6="LOWER MILLBROOK", c8="", c9="")
    import_epraccur(db_session, row)  # CSV text works as well as a path or lines
    practice = practice_by_ods_code(db_session, "Y91010")
    assert (practice.address_line1, practice.address_line2, practice.town) == (
        "2 Station Road", "", "Lower Millbrook",
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Search


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("king", ["Kingsmead Surgery"]),
        ("KINGS", ["Kingsmead Surgery"]),
        ("mead", []),  # not the start of a word
        ("riverside health", ["Riverside Health Centre"]),
        ("health riverside", ["Riverside Health Centre"]),  # each word, in any order
        ("  riverside   HEALTH ", ["Riverside Health Centre"]),
        ("centre", ["Orchard Lane Medical Centre", "Riverside Health Centre"]),
        ("sur", ["Kingsmead Surgery", "Millbrook & Westcombe Surgery"]),
        ("westcombe", ["Millbrook & Westcombe Surgery"]),
        ("millbrook & w", ["Millbrook & Westcombe Surgery"]),
        ("y90001", ["Riverside Health Centre"]),
        ("Y90 003", ["Orchard Lane Medical Centre"]),
        ("y9000", []),  # codes match exactly, not by prefix
        ("st anne", []),  # closed
        ("Y90005", []),  # closed, even by code
        ("out of hours", []),  # not a GP practice, never imported
        ("k", []),  # too short
        ("", []),
        ("%%", []),  # LIKE wildcards are literal
        ("_i", []),
    ],
)
def test_search_practices(sample: Session, query: str, expected: list[str]) -> None:
    assert [option.name for option in search_practices(sample, query)] == expected


def test_search_orders_name_starts_first_and_limits(sample: Session) -> None:
    import_epraccur(
        sample,
        [
            epraccur_row("Y91020", "THE SURGERY"),
            epraccur_row("Y91021", "SURGERY ON THE GREEN"),
        ],
    )
    names = [option.name for option in search_practices(sample, "surgery")]
    assert names == ["Surgery on the Green", "Kingsmead Surgery", "Millbrook & Westcombe Surgery", "The Surgery"]
    assert len(search_practices(sample, "surgery", limit=2)) == 2


def test_search_returns_small_frozen_options(sample: Session) -> None:
    [option] = search_practices(sample, "riverside")
    assert isinstance(option, PracticeOption)
    assert option.ods_code == "Y90001" and option.postcode == "MB1 2RH"
    assert option.address == "1 Wharf Road, Riverside, Millbrook"
    assert option.label == "Riverside Health Centre, 1 Wharf Road, Riverside, Millbrook, MB1 2RH"
    with pytest.raises(FrozenInstanceError):
        option.name = "x"  # type: ignore[misc]


def test_get_active_practice(sample: Session) -> None:
    active = practice_by_ods_code(sample, "Y90002")
    closed = practice_by_ods_code(sample, "Y90005")
    assert get_active_practice(sample, active.id) is active
    assert get_active_practice(sample, closed.id) is None
    assert get_active_practice(sample, 999_999) is None
    assert get_active_practice(sample, "1") is None  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Registers

REGISTER = """nhs_number,given_names,family_name,date_of_birth,postcode,address_line1
9434765919,Ann,Example,1970-01-31,mb1 2ab,1 High Street
943 476 5870,Bob  James,Sample,15/06/2001,MB12AB,
9434765918,Bad,Checkdigit,1980-01-01,MB1 2AB,
9434765870,Dup,Licate,1980-01-01,MB1 2AB,
4010232137,Bad,Date,31/02/1990,MB1 2AB,
4010232137,Bad,Postcode,1990-02-01,ZZZ,
4010232137,Future,Born,2999-01-01,MB1 2AB,
4010232137,,Nameless,1990-02-01,MB1 2AB,
4010232137,Short
4010232137,Carol,Valid,1990-02-01,MB1 2AB,"Flat 2, 3 Mill Lane"
"""


def test_import_register_reports_bad_rows(sample: Session) -> None:
    practice = practice_by_ods_code(sample, "Y90001")
    report = import_register(sample, practice, REGISTER)
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    problems = {problem.row: problem.reason for problem in report.problems}
    assert sorted(problems) == [4, 5, 6, 7, 8, 9, 10]  # the header is row 1
    assert "NHS number '9434765918'" in problems[4]
    assert "already appears on row 3" in problems[5]
    assert "31/02/1990" in problems[6]
    assert problems[7].startswith("postcode 'ZZZ'")
    assert "future" in problems[8]
    assert "given_names is empty" in problems[9]
    assert "columns" in problems[10]
    assert report.skipped == 7

    entries = {
        entry.nhs_number: entry
        for entry in sample.exec(select(PracticeRegisterEntry).where(PracticeRegisterEntry.practice_id == practice.id))
    }
    assert set(entries) == {"9434765919", "9434765870", "4010232137"}
    ann, bob, carol = entries["9434765919"], entries["9434765870"], entries["4010232137"]
    assert (ann.postcode, ann.date_of_birth, ann.address_line1) == ("MB1 2AB", date(1970, 1, 31), "1 High Street")
    assert (bob.given_names, bob.date_of_birth, bob.postcode) == ("Bob James", date(2001, 6, 15), "MB1 2AB")
    assert carol.address_line1 == "Flat 2, 3 Mill Lane"


def test_import_register_upserts_per_practice(sample: Session) -> None:
    riverside = practice_by_ods_code(sample, "Y90001")
    kingsmead = practice_by_ods_code(sample, "Y90002")
    header = "NHS_Number,Given_Names,Family_Name,Date_Of_Birth,Postcode\n"  # header case is ignored
    import_register(sample, riverside, header + "9434765919,Ann,Example,1970-01-31,MB1 2AB\n")
    report = import_register(sample, riverside, header + "9434765919,Ann,Example-Jones,1970-01-31,MB1 2AB\n")
    assert (report.created, report.updated) == (0, 1)
    # The same person may be on another practice's list (e.g. just moved).
    report = import_register(sample, kingsmead, header + "9434765919,Ann,Example,1970-01-31,MB4 7DS\n")
    assert report.created == 1
    names = sample.exec(select(PracticeRegisterEntry.family_name).order_by(PracticeRegisterEntry.practice_id)).all()
    assert names == ["Example-Jones", "Example"]


def test_import_register_refuses_a_file_without_the_header(sample: Session) -> None:
    practice = practice_by_ods_code(sample, "Y90001")
    with pytest.raises(RegisterFileError, match="missing: nhs_number"):
        import_register(sample, practice, "9434765919,Ann,Example,1970-01-31,MB1 2AB\n")
    with pytest.raises(RegisterFileError, match="empty"):
        import_register(sample, practice, "")
    assert sample.exec(select(PracticeRegisterEntry)).all() == []


@pytest.mark.parametrize(
    ("utc", "born_today"),
    [
        (datetime(2026, 6, 30, 22, 59, tzinfo=UTC), False),  # 23:59 BST on 30 June: 1 July is tomorrow
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), True),  # 00:30 BST on 1 July, though UTC says 30 June
    ],
)
def test_a_register_birth_today_in_the_uk_is_not_in_the_future(monkeypatch, utc, born_today) -> None:
    monkeypatch.setattr(clock, "utcnow", lambda: utc)
    if born_today:
        assert parse_date_of_birth("01/07/2026") == date(2026, 7, 1)
    else:
        with pytest.raises(ValueError, match="in the future"):
            parse_date_of_birth("01/07/2026")


# ---------------------------------------------------------------------------------------------
# Staff


def test_create_staff(sample: Session) -> None:
    practice = practice_by_ods_code(sample, "Y90003")
    member = create_staff(
        sample,
        practice=practice,
        email=" Dr.Kaur@Example.org ",
        display_name="Dr  Simran Kaur",
        role="clinician",
        password="Quince-Ladder-81",
    )
    account = sample.get(Account, member.account_id)
    assert (member.practice_id, member.role, member.display_name) == (practice.id, "clinician", "Dr Simran Kaur")
    assert account.kind == "staff" and account.email == "Dr.Kaur@Example.org"
    assert account.email_normalized == "dr.kaur@example.org"
    assert account.email_verified_at is not None and account.email_verified_at.tzinfo is not None
    assert passwords.verify_password(account.password_hash, "Quince-Ladder-81")


def test_create_staff_without_password(sample: Session) -> None:
    practice = practice_by_ods_code(sample, "Y90003")
    member = create_staff(
        sample, practice=practice, email="desk@example.org", display_name="Front Desk",
        role="receptionist", password=None,
    )  # fmt: skip
    assert sample.get(Account, member.account_id).password_hash is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"role": "manager"}, "Role must be one of receptionist, clinician, admin"),
        ({"email": "DESK@example.ORG"}, EMAIL_TAKEN),
        ({"email": "not-an-email"}, "Enter an email address in the correct format"),
        ({"password": "password"}, None),  # passwords.check_password's own message
        ({"display_name": "  "}, "Enter the staff member's name"),
    ],
)
def test_create_staff_refusals(sample: Session, changes: dict, message: str | None) -> None:
    practice = practice_by_ods_code(sample, "Y90003")
    create_staff(
        sample, practice=practice, email="desk@example.org", display_name="Front Desk",
        role="receptionist", password=None,
    )  # fmt: skip
    arguments = {
        "practice": practice, "email": "new@example.org", "display_name": "New Person",
        "role": "admin", "password": "Quince-Ladder-81",
    }  # fmt: skip
    arguments.update(changes)
    expected = message or passwords.check_password(changes.get("password", ""), email="new@example.org")
    with pytest.raises(ValueError) as raised:
        create_staff(sample, **arguments)
    assert str(raised.value).startswith(expected)
    assert len(sample.exec(select(StaffMember)).all()) == 1
