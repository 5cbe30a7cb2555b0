"""Generated, deterministic test data at national scale: an epraccur file and a practice register.

Everything is invented (seeded random generators), in the formats the importers read, so the
benchmarks exercise the real import code as well as the queries.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta

from anima_pwa.services.platform.demo import nhs_check_digit

# Practices ---------------------------------------------------------------------------------------

_PREFIX = (
    "KING", "MILL", "ASH", "OAK", "ELM", "BROOK", "RIVER", "CHURCH", "GREEN", "PARK", "BRIDGE",
    "CASTLE", "NORTH", "SOUTH", "EAST", "WEST", "HIGH", "LONG", "STONE", "WOOD", "FAIR", "ROSE",
    "BRAMBLE", "FOX", "HART", "WOLVER", "CHESTER", "NOTTING", "LEIGH", "THORN", "HAMP", "DUN",
    "SAND", "SALT", "MARSH", "HAY", "RED", "WHITE", "BLACK", "CROSS", "BUTTER", "CREW", "MAR",
)  # fmt: skip
_SUFFIX = (
    "MEAD", "FIELD", "FORD", "BURY", "TON", "LEY", "WOOD", "BRIDGE", "SIDE", "HILL", "DALE",
    "GATE", "COMBE", "WORTH", "WICK", "STEAD", "HAM", "BOROUGH", "MOOR", "WELL", "KERNE",
)  # fmt: skip
_KINDS = (
    "SURGERY", "MEDICAL CENTRE", "HEALTH CENTRE", "MEDICAL PRACTICE", "FAMILY PRACTICE",
    "GROUP PRACTICE", "ROAD SURGERY", "PRIMARY CARE CENTRE", "PARTNERSHIP",
)  # fmt: skip
_SAINTS = ("MARY", "JOHN", "ANNE", "GEORGE", "PETER", "ANDREW", "JAMES", "LUKE", "PAUL", "MARGARET")
_SURNAMES = ("SMITH", "PATEL", "JONES", "KHAN", "TAYLOR", "O'BRIEN", "MCDONALD", "AHMED", "WALSH", "EVANS")
_AREAS = (
    "LS", "M", "B", "BS", "NE", "S", "L", "SO", "PO", "OX", "CB", "NR", "EX", "PL", "TR", "YO", "HU",
    "DN", "LE", "NG", "DE", "ST", "WV", "CV", "NN", "MK", "LU", "AL", "SG", "CM", "CO", "IP", "RG",
    "SL", "GU", "KT", "SM", "CR", "BR", "DA", "ME", "CT", "TN", "BN", "RH", "TA", "BA", "DT", "SP",
)  # fmt: skip
_UNIT = "ABDEFGHJLNPQRSTUWXYZ"


def place(rng: random.Random) -> str:
    return rng.choice(_PREFIX) + rng.choice(_SUFFIX)


def postcode(rng: random.Random) -> str:
    return f"{rng.choice(_AREAS)}{rng.randint(1, 29)} {rng.randint(1, 9)}{rng.choice(_UNIT)}{rng.choice(_UNIT)}"


def practice_name(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.55:
        return f"{place(rng)} {rng.choice(_KINDS)}"
    if roll < 0.65:
        return f"THE {place(rng)} PRACTICE"
    if roll < 0.75:
        return f"ST {rng.choice(_SAINTS)}'S {rng.choice(_KINDS)}"
    if roll < 0.85:
        return f"DR {rng.choice('ABCDEFGHJKLMNPRSTW')} {rng.choice(_SURNAMES)} & PARTNERS"
    if roll < 0.95:
        return f"{place(rng)} & {place(rng)} {rng.choice(_KINDS)}"
    return f"{place(rng)}-ON-{place(rng)} {rng.choice(_KINDS)}"


def epraccur_csv(
    gp_practices: int = 7000, *, closed_share: float = 0.07, other_rows: int = 300, seed: str = "bench"
) -> str:
    """An epraccur-layout file (27 columns, no header): ``gp_practices`` GP practices (prescribing
    setting 4, about ``closed_share`` of them closed) plus ``other_rows`` non-GP organisations."""
    rng = random.Random(f"anima-bench-epraccur-{seed}")
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
    for number in range(gp_practices + other_rows):
        gp = number < gp_practices
        code = f"{rng.choice('ABCDEFGHJKLMNPY')}{number:05d}"
        closed = gp and rng.random() < closed_share
        row = [""] * 27
        row[0] = code
        row[1] = practice_name(rng) if gp else f"{place(rng)} OUT OF HOURS SERVICE"
        row[2], row[3] = "Y99", "Q99"
        row[4] = f"{rng.randint(1, 200)} {place(rng)} ROAD"
        row[7] = place(rng)
        row[8] = "WESTSHIRE"
        row[9] = postcode(rng)
        row[10] = "19900401"
        row[11] = "20200331" if closed else ""
        row[12] = "C" if closed else "A"
        row[13] = "B"
        row[14] = "99X"
        row[17] = f"01632 {rng.randint(960000, 960999)}"
        row[21] = "0"
        row[23] = f"U{rng.randint(10000, 99999)}"
        row[25] = "4" if gp else "0"
        writer.writerow(row)
    return buffer.getvalue()


# Registers ---------------------------------------------------------------------------------------

_GIVEN = (
    "Olivia", "Amelia", "Isla", "Ava", "Freya", "Grace", "Sophie", "Priya", "Fatima", "Niamh", "Ruth",
    "Oliver", "George", "Harry", "Jack", "Leo", "Arthur", "Muhammad", "Noah", "Aarav", "Kwame",
    "James", "William", "Robert", "Peter", "Tomasz", "Rhys", "Callum", "Zoë", "Seán", "Chloé",
)  # fmt: skip
_FAMILY = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas", "Roberts", "Walker",
    "Khan", "Patel", "Ahmed", "Begum", "Nowak", "O'Connor", "Mensah", "Clarke", "Davies-Lloyd", "Ali",
    "Fraser", "Murphy", "Price", "Lewis", "Hughes", "Edwards", "Green", "Hall", "Wood", "Singh", "Kaur",
)  # fmt: skip


def register_rows(size: int, *, outward: str = "MB1", seed: str = "bench", used: set[str] | None = None) -> list[dict]:
    """``size`` register entries with unique, Modulus-11-valid NHS numbers (prefix 96..97)."""
    rng = random.Random(f"anima-bench-register-{seed}")
    used = used if used is not None else set()
    rows = []
    while len(rows) < size:
        first_nine = rng.choice(("96", "97")) + "".join(rng.choice("0123456789") for _ in range(7))
        check = nhs_check_digit(first_nine)
        number = f"{first_nine}{check}"
        if check is None or number in used:
            continue
        used.add(number)
        given = rng.choice(_GIVEN)
        if rng.random() < 0.3:
            given = f"{given} {rng.choice(_GIVEN)}"
        rows.append(
            {
                "nhs_number": number,
                "given_names": given,
                "family_name": rng.choice(_FAMILY),
                "date_of_birth": date(2025, 1, 1) - timedelta(days=rng.randint(30, 100 * 365)),
                "postcode": f"{outward} {rng.randint(1, 9)}{rng.choice(_UNIT)}{rng.choice(_UNIT)}",
                "address_line1": f"{rng.randint(1, 200)} {place(rng).title()} Road",
            }
        )
    return rows
