"""The demo: four fictional practices in one fictional primary care network, their registers and
one admin per practice.

Everything here is invented. The practices are in the fictional county of Westshire with
postcodes in the "MB" area (a format-valid area that Royal Mail does not use), phone numbers in
Ofcom's drama range (01632 960xxx), emails at example.org, and NHS numbers starting with 96 or 97:
they pass the Modulus 11 check but are outside the ranges issued to people in England, and never
start with 999 (999 999 XXXX is reserved for care-home dummy numbers).

``DEMO_PEOPLE`` are fixed people the README lists for anyone trying the app to register as;
the rest of each register (about 30 people per practice) is generated from a seeded random
generator, so every run gives the same register.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from sqlmodel import Session, select

from anima_pwa.models import Account, Practice
from anima_pwa.services.platform.validation import normalize_email
from anima_pwa.services.practice import practices as practice_service
from anima_pwa.services.practice.practices import ImportReport
from anima_pwa.services.practice.staff import create_staff

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
EPRACCUR_SAMPLE = DATA_DIR / "epraccur_sample.csv"

DEMO_NETWORK_CODE = "U99001"  # the fictional PCN in column 24 of the sample file


@dataclass(frozen=True)
class DemoPractice:
    ods_code: str
    name: str
    email: str
    outward_code: str  # patients on the register live in this postcode district
    streets: tuple[str, ...]
    nhs_prefix: str  # generated register numbers start with this (never 999)


DEMO_PRACTICES: list[DemoPractice] = [
    DemoPractice(
        "Y90001",
        "Riverside Health Centre",
        "riverside.practice@example.org",
        "MB1",
        ("Mill Lane", "Wharf Road", "Ferry Row", "Towpath Walk", "Bridge Street", "Lock Close"),
        "961",
    ),
    DemoPractice(
        "Y90002",
        "Kingsmead Surgery",
        "kingsmead.practice@example.org",
        "MB4",
        ("Abbey Street", "Priory Walk", "Abbey Close", "Kingsmead Road", "Chapel Row", "Meadow View"),
        "962",
    ),
    DemoPractice(
        "Y90003",
        "Orchard Lane Medical Centre",
        "orchardlane.practice@example.org",
        "MB2",
        ("Orchard Lane", "Pear Tree Road", "Blossom Way", "Cider Mill Close", "Northfield Road", "Apple Grove"),
        "963",
    ),
    DemoPractice(
        "Y90004",
        "Millbrook & Westcombe Surgery",
        "millbrook.practice@example.org",
        "MB6",
        ("Church Street", "School Lane", "Westcombe Hill", "Brook Terrace", "Vicarage Road", "Green Lane"),
        "964",
    ),
]
DEMO_PRACTICE_CODES = [practice.ods_code for practice in DEMO_PRACTICES]


@dataclass(frozen=True)
class DemoPerson:
    """Someone on a demo register whom people can register as. The register holds
    ``given_names`` + ``family_name``; at sign-up you type ``sign_up_name`` and, if
    ``give_nhs_number``, the NHS number."""

    practice_ods_code: str
    given_names: str  # as on the register (may include middle names)
    family_name: str
    date_of_birth: date
    postcode: str
    nhs_number: str
    address_line1: str
    scenario: str  # what registering as this person shows
    sign_up_name: str
    give_nhs_number: bool = True

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.family_name}"

    def register_row(self) -> dict:
        return {
            "nhs_number": self.nhs_number,
            "given_names": self.given_names,
            "family_name": self.family_name,
            "date_of_birth": self.date_of_birth,
            "postcode": self.postcode,
            "address_line1": self.address_line1,
        }


DEMO_PEOPLE: list[DemoPerson] = [
    # Riverside Health Centre
    DemoPerson("Y90001", "Olivia", "Harper", date(1985, 3, 14), "MB1 3HQ", "9731462856",
               "8 Wharf Cottages", "Verified automatically with her NHS number", "Olivia Harper"),
    DemoPerson("Y90001", "Thomas James", "Whitfield", date(1979, 8, 2), "MB1 2TW", "9725084136",
               "41 Mill Lane",
               "On the register with a middle name; verified when he signs up as Thomas Whitfield",
               "Thomas Whitfield"),
    DemoPerson("Y90001", "Margaret", "Ellis", date(1952, 11, 19), "MB1 5EL", "9746619373",
               "2 Ferry Row", "Verified without an NHS number (name, date of birth and postcode)",
               "Margaret Ellis", give_nhs_number=False),
    # Kingsmead Surgery
    DemoPerson("Y90002", "Aisha", "Rahman", date(1992, 7, 22), "MB4 6RA", "9753201842",
               "17 Abbey Close", "Verified with her NHS number; parent of Lily", "Aisha Rahman"),
    DemoPerson("Y90002", "Lily", "Rahman", date(2019, 5, 9), "MB4 6RA", "9760945525",
               "17 Abbey Close", "A child to add as Aisha's dependant", "Lily Rahman"),
    DemoPerson("Y90002", "David", "Okafor", date(1978, 11, 5), "MB4 8DN", "9738712068",
               "9 Priory Walk", "Verified without an NHS number (name, date of birth and postcode)",
               "David Okafor", give_nhs_number=False),
    # Orchard Lane Medical Centre
    DemoPerson("Y90003", "Grace", "Bennett", date(1964, 1, 30), "MB2 7GB", "9782156302",
               "5 Pear Tree Road", "Verified with her NHS number; Edith's daughter", "Grace Bennett"),
    DemoPerson("Y90003", "Samuel", "Price", date(2001, 6, 17), "MB2 4SP", "9749073185",
               "12 Northfield Road",
               "Verified without an NHS number (name, date of birth and postcode)",
               "Samuel Price", give_nhs_number=False),
    DemoPerson("Y90003", "Edith", "Morgan", date(1931, 12, 8), "MB2 6EW", "9757430692",
               "Orchard House Care Home, 1 Blossom Way",
               "An elderly care-home resident to add as a dependant or care-home resident",
               "Edith Morgan"),
    # Millbrook & Westcombe Surgery
    DemoPerson("Y90004", "Chloe", "Walsh", date(1996, 4, 11), "MB6 2LW", "9773628418",
               "3 Brook Terrace", "Verified with her NHS number; parent of Noah", "Chloe Walsh"),
    DemoPerson("Y90004", "Noah", "Walsh", date(2021, 9, 3), "MB6 2LW", "9726895049",
               "3 Brook Terrace", "A child to add as Chloe's dependant", "Noah Walsh"),
    DemoPerson("Y90004", "Robert", "Hughes", date(1947, 10, 25), "MB6 4RH", "9765180276",
               "Rose Cottage, Green Lane",
               "Verified without an NHS number (name, date of birth and postcode)",
               "Robert Hughes", give_nhs_number=False),
]  # fmt: skip


@dataclass(frozen=True)
class DemoStaff:
    practice_ods_code: str
    display_name: str
    email: str
    password: str
    role: str = "admin"


DEMO_STAFF: list[DemoStaff] = [
    DemoStaff("Y90001", "Helen Marsh", "riverside.admin@example.org", "Heron-Meadow-42"),
    DemoStaff("Y90002", "Ravi Patel", "kingsmead.admin@example.org", "Kestrel-Brook-57"),
    DemoStaff("Y90003", "Joanna Kerr", "orchardlane.admin@example.org", "Willow-Harbour-63"),
    DemoStaff("Y90004", "Peter Lowe", "millbrook.admin@example.org", "Otter-Lantern-38"),
]


# ---------------------------------------------------------------------------------------------
# Generated registers

REGISTER_SIZE = 30  # generated people per practice, besides DEMO_PEOPLE
AGES_ON = date(2025, 9, 1)  # generated dates of birth are spread back from this fixed date

_GIVEN_FEMALE = (
    "Amelia", "Isla", "Ava", "Freya", "Sophie", "Emily", "Grace", "Evie", "Poppy", "Zara", "Hannah",
    "Priya", "Fatima", "Maya", "Niamh", "Ruth", "Joan", "Eileen", "Dorothy", "Sarah", "Rebecca",
    "Chloe", "Megan", "Amara", "Yasmin", "Ewa", "Catherine", "Helen", "Susan", "Patricia",
)  # fmt: skip
_GIVEN_MALE = (
    "Oliver", "George", "Harry", "Jack", "Leo", "Arthur", "Muhammad", "Noah", "Oscar", "Charlie",
    "Jacob", "Aarav", "Kwame", "Ethan", "Daniel", "James", "William", "Robert", "Peter", "Michael",
    "David", "Stephen", "Ibrahim", "Tomasz", "Rhys", "Callum", "Kenneth", "Arjun", "Samuel", "Alfie",
)  # fmt: skip
_FAMILY = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas", "Roberts", "Walker",
    "Wright", "Robinson", "Thompson", "White", "Hughes", "Edwards", "Green", "Hall", "Wood", "Khan",
    "Patel", "Ahmed", "Begum", "Nowak", "O'Connor", "Mensah", "Clarke", "Turner", "Hill", "Ward",
    "Baker", "Cooper", "Kaur", "Singh", "Davies-Lloyd", "Ali", "Fraser", "Murphy", "Price", "Lewis",
)  # fmt: skip
_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # Royal Mail never uses C, I, K, M, O or V here
# (lowest age, highest age, weight): babies to people in their nineties
_AGE_BANDS = ((0, 1, 3), (2, 17, 6), (18, 39, 7), (40, 64, 8), (65, 89, 5), (90, 99, 1))


def nhs_check_digit(first_nine: str) -> int | None:
    """The Modulus 11 check digit for nine digits, or None when no valid number exists."""
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def _random_nhs_number(rng: random.Random, prefix: str, used: set[str]) -> str:
    while True:
        first_nine = prefix + "".join(rng.choice("0123456789") for _ in range(9 - len(prefix)))
        check = nhs_check_digit(first_nine)
        number = f"{first_nine}{check}"
        if check is not None and number not in used:
            used.add(number)
            return number


def _random_dob(rng: random.Random) -> date:
    low, high, _weight = rng.choices(_AGE_BANDS, weights=[band[2] for band in _AGE_BANDS])[0]
    days = rng.randint(max(low * 365, 20), high * 365 + 364)
    return AGES_ON - timedelta(days=days)


def _demo_practice(ods_code: str) -> DemoPractice:
    for practice in DEMO_PRACTICES:
        if practice.ods_code == ods_code:
            return practice
    raise KeyError(f"{ods_code} is not a demo practice")


def demo_register_rows(ods_code: str) -> list[dict]:
    """The demo register of one practice: its DEMO_PEOPLE then REGISTER_SIZE generated people.
    Deterministic: the same rows on every call and every machine."""
    practice = _demo_practice(ods_code)
    rng = random.Random(f"anima-demo-register-{ods_code}")
    named = [person for person in DEMO_PEOPLE if person.practice_ods_code == ods_code]
    rows = [person.register_row() for person in named]
    used = {person.nhs_number for person in DEMO_PEOPLE}
    for _ in range(REGISTER_SIZE):
        female = rng.random() < 0.5
        names = _GIVEN_FEMALE if female else _GIVEN_MALE
        given = rng.choice(names)
        if rng.random() < 0.3:  # some have middle names on the register
            middle = rng.choice(names)
            if middle != given:
                given = f"{given} {middle}"
        postcode = f"{practice.outward_code} {rng.randint(1, 9)}{rng.choice(_UNIT_LETTERS)}{rng.choice(_UNIT_LETTERS)}"
        rows.append(
            {
                "nhs_number": _random_nhs_number(rng, practice.nhs_prefix, used),
                "given_names": given,
                "family_name": rng.choice(_FAMILY),
                "date_of_birth": _random_dob(rng),
                "postcode": postcode,
                "address_line1": f"{rng.randint(1, 120)} {rng.choice(practice.streets)}",
            }
        )
    return rows


def demo_register_csv(ods_code: str) -> str:
    """The demo register of one practice in the register import CSV format."""
    return practice_service.register_csv(demo_register_rows(ods_code))


# ---------------------------------------------------------------------------------------------
# Seeding


@dataclass
class SeedReport:
    skipped: bool = False
    practices: ImportReport | None = None
    registers: dict[str, ImportReport] = field(default_factory=dict)
    staff_created: list[str] = field(default_factory=list)
    staff_existing: list[str] = field(default_factory=list)
    appointment_books: dict[str, tuple[int, int]] = field(default_factory=dict)  # ods -> (books, slots)

    def lines(self) -> list[str]:
        if self.skipped:
            return [
                "The database already has practices, so the demo data was not added "
                "(use --force to add or refresh it anyway)."
            ]
        out = []
        if self.practices is not None:
            out.append(f"Practices from {EPRACCUR_SAMPLE.name}: {self.practices.summary()}")
            out.extend(f"  {problem}" for problem in self.practices.problems)
        for code, report in self.registers.items():
            out.append(f"Register of {code}: {report.summary()}")
            out.extend(f"  {problem}" for problem in report.problems)
        for email in self.staff_created:
            out.append(f"Created staff admin {email} (emailed a link to set up MFA: see the demo mailbox)")
        for email in self.staff_existing:
            out.append(f"Staff account {email} already exists (left as it is)")
        for code, (books, slots) in self.appointment_books.items():
            out.append(f"Appointment books of {code}: {books} added, {slots} new slots for the coming weeks")
        return out


def seed_demo(session: Session, *, if_empty: bool = True) -> SeedReport:
    """Add the demo practices, their registers and one admin each.

    With ``if_empty`` (the default) nothing happens when any practice exists. Otherwise it is an
    upsert: practices and register entries are refreshed, existing staff accounts are left alone
    (their passwords are not reset), and practice emails are only filled in where empty.
    Flushes; the caller commits.
    """
    report = SeedReport()
    if if_empty and session.exec(select(Practice.id).limit(1)).first() is not None:
        report.skipped = True
        return report

    report.practices = practice_service.import_epraccur(session, EPRACCUR_SAMPLE)
    by_code: dict[str, Practice] = {}
    for demo in DEMO_PRACTICES:
        practice = practice_service.practice_by_ods_code(session, demo.ods_code)
        if practice is None:  # the sample file and this module disagree: a bug, not bad input
            raise RuntimeError(f"{demo.ods_code} is missing from {EPRACCUR_SAMPLE.name}")
        if not practice.email:
            practice.email = demo.email
            session.add(practice)
        by_code[demo.ods_code] = practice
        report.registers[demo.ods_code] = practice_service.import_register(
            session, practice, demo_register_csv(demo.ods_code)
        )

    for staff in DEMO_STAFF:
        normalized = normalize_email(staff.email)
        if session.exec(select(Account.id).where(Account.email_normalized == normalized)).first():
            report.staff_existing.append(staff.email)
            continue
        create_staff(
            session,
            practice=by_code[staff.practice_ods_code],
            email=staff.email,
            display_name=staff.display_name,
            role=staff.role,
            password=staff.password,
        )
        report.staff_created.append(staff.email)
    from anima_pwa.services.appointments.demo_books import seed_books  # issue 12

    for code, practice in by_code.items():
        report.appointment_books[code] = seed_books(session, practice)
    session.flush()
    return report
