"""Practices: importing the NHS ODS ``epraccur`` file, searching it, and practice registers.

Services take a session and never commit: an import is one transaction that the caller decides
(the admin CLI commits it, a test rolls it back). Malformed rows are reported with their row number
and skipped whole, so a row is either imported completely or not at all.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from anima_pwa.models import Practice, PracticeRegisterEntry, id_of
from anima_pwa.services.platform import clock
from anima_pwa.services.platform.validation import (
    FieldError,
    clean_nhs_number,
    clean_postcode,
    nhs_number_is_valid,
)

Source = str | bytes | os.PathLike | IO[str] | Iterable[str]
"""CSV input: a path (str without a newline, or PathLike), CSV text (str with a newline, or bytes),
an open text file, or an iterable of lines."""


# ---------------------------------------------------------------------------------------------
# Reports


@dataclass(frozen=True)
class RowProblem:
    row: int  # 1-based row of the file, counting a header row if the format has one
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.reason}"


@dataclass
class ImportReport:
    """What an import did. ``skipped`` counts every row not imported: filtered out or malformed;
    ``problems`` lists the malformed ones (a subset of ``skipped``) with their row numbers."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    def problem(self, row: int, reason: str) -> None:
        self.problems.append(RowProblem(row, reason))
        self.skipped += 1

    def summary(self) -> str:
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, {self.skipped} skipped"
        if self.problems:
            text += f" ({len(self.problems)} malformed)"
        return text


# ---------------------------------------------------------------------------------------------
# Reading CSV input


def _lines(source: Source) -> Iterator[str]:
    if isinstance(source, bytes):
        source = source.decode("utf-8-sig")
    if isinstance(source, str) and ("\n" in source or source == ""):
        yield from io.StringIO(source.lstrip("\ufeff"))
        return
    if isinstance(source, (str, os.PathLike)):
        with Path(source).open(encoding="utf-8-sig", newline="") as handle:
            yield from handle
        return
    first = True
    for line in source:
        if first and isinstance(line, str):
            line = line.lstrip("\ufeff")
        first = False
        yield line


def _blank(record: list[str]) -> bool:
    return all(not value.strip() for value in record)


# ---------------------------------------------------------------------------------------------
# Display names from the UPPER CASE names in epraccur

_SMALL_WORDS = {"and", "at", "by", "for", "in", "of", "on", "the", "to", "upon", "with", "de", "la"}
_KEEP_UPPER = {
    "NHS", "GP", "GPS", "PCN", "PMS", "APMS", "GMS", "UK", "HMP", "HMYOI", "YOI", "ICB", "CCG",
    "LLP", "PCT", "UCC", "WIC", "IRC", "MOD", "RAF", "II", "III", "IV",
}  # fmt: skip


def _title_word(word: str, *, first: bool) -> str:
    """One space-free word: 'STOCKTON-ON-TEES' -> 'Stockton-on-Tees', "MARY'S" -> "Mary's"."""
    if not word or not any(ch.isalpha() for ch in word):
        return word
    bare = word.strip("()[].,")
    if bare.upper() in _KEEP_UPPER and bare.isupper():
        return word
    if any(ch.isdigit() for ch in bare):  # '4B', 'B6' in addresses: keep as written
        return word.upper()
    if "-" in word:
        parts = word.split("-")
        return "-".join(
            _title_word(part, first=first and i == 0)
            if i == 0 or i == len(parts) - 1 or part.lower() not in _SMALL_WORDS
            else part.lower()
            for i, part in enumerate(parts)
        )
    lower = word.lower()
    if not first and lower in _SMALL_WORDS:
        return lower
    out = []
    capitalise = True
    for ch in lower:
        if ch.isalpha():
            out.append(ch.upper() if capitalise else ch)
            capitalise = False
        else:
            out.append(ch)
            # after "(" or "." start a new word; after an apostrophe only for O'/D' names
            capitalise = ch in "(."
    text = "".join(out)
    # O'BRIEN -> O'Brien, but ST MARY'S -> St Mary's
    text = re.sub(r"\b([OD])'([a-z])", lambda m: f"{m.group(1)}'{m.group(2).upper()}", text)
    if re.match(r"^Mc[a-z]", text):
        text = "Mc" + text[2].upper() + text[3:]
    return text


def display_name(upper: str) -> str:
    """A readable name from an epraccur UPPER CASE one, keeping '&' and small words lower case.

    'MILLBROOK & WESTCOMBE SURGERY' -> 'Millbrook & Westcombe Surgery';
    'THE SURGERY AT ST MARY'S' -> "The Surgery at St Mary's". Mixed-case input is kept as is.
    """
    text = " ".join(upper.split())
    if any(ch.islower() for ch in text):
        return text
    words = text.split(" ")
    return " ".join(_title_word(word, first=i == 0) for i, word in enumerate(words))


# ---------------------------------------------------------------------------------------------
# epraccur

EPRACCUR_COLUMNS = 27
GP_PRESCRIBING_SETTING = "4"
_ODS_CODE = re.compile(r"^[A-Z0-9]{3,10}$")


def _yyyymmdd(value: str, what: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        raise ValueError(f"{what} {value!r} is not a date in YYYYMMDD form") from None


@dataclass(frozen=True)
class _EpraccurRow:
    ods_code: str
    values: dict


def _parse_epraccur_record(record: list[str]) -> _EpraccurRow | None:
    """The Practice fields of one record, None when it is not a GP practice; ValueError if bad."""
    if len(record) != EPRACCUR_COLUMNS:
        raise ValueError(f"expected {EPRACCUR_COLUMNS} columns, found {len(record)}")
    col = [value.strip() for value in record]  # col[0] is column 1 of the specification
    if col[25] != GP_PRESCRIBING_SETTING:
        return None
    code = col[0].upper()
    if not _ODS_CODE.match(code):
        raise ValueError(f"organisation code {col[0]!r} is not a valid ODS code")
    if not col[1]:
        raise ValueError("the practice name is empty")
    postcode = ""
    if col[9]:
        try:
            postcode = clean_postcode(col[9])
        except FieldError as exc:
            raise ValueError(f"postcode {col[9]!r}: {exc.message}") from None
    status_code = col[12].upper()
    if status_code not in {"A", "C", "D", "P"}:
        raise ValueError(f"status code {col[12]!r} is not one of A, C, D, P")
    open_date = _yyyymmdd(col[10], "open date")
    close_date = _yyyymmdd(col[11], "close date")

    # Lines 1-3 are the street address, line 4 usually the town and line 5 the county. When line 4
    # is empty the town is the last street line that follows another one.
    street = [display_name(value) for value in col[4:7] if value]
    town = display_name(col[7]) if col[7] else ""
    if not town and len(street) >= 2:
        town = street.pop()
    street += [""] * (3 - len(street))
    return _EpraccurRow(
        ods_code=code,
        values={
            "name": display_name(col[1])[:200],
            "address_line1": street[0][:200],
            "address_line2": street[1][:200],
            "address_line3": street[2][:200],
            "town": town[:200],
            "county": display_name(col[8])[:200] if col[8] else "",
            "postcode": postcode,
            "phone": col[17][:40],
            "status": "active" if status_code == "A" else "closed",
            "commissioner": col[14][:10],
            "network": col[23][:10],
            "open_date": open_date,
            "close_date": close_date,
        },
    )


def import_epraccur(session: Session, lines_or_file: Source) -> ImportReport:
    """Upsert the GP practices (prescribing setting 4) of an epraccur file, keyed by ODS code.

    The file has no header row; rows are numbered from 1. Contact emails and other settings that
    the file does not carry are left alone on update.
    """
    report = ImportReport()
    parsed: dict[str, tuple[int, dict]] = {}
    for row_number, record in enumerate(csv.reader(_lines(lines_or_file)), start=1):
        if _blank(record):
            continue
        try:
            row = _parse_epraccur_record(record)
        except ValueError as exc:
            report.problem(row_number, str(exc))
            continue
        if row is None:
            report.skipped += 1
            continue
        if row.ods_code in parsed:
            report.problem(row_number, f"{row.ods_code} already appears on row {parsed[row.ods_code][0]}")
            continue
        parsed[row.ods_code] = (row_number, row.values)

    existing = _practices_by_code(session, list(parsed))
    now = clock.utcnow()
    for code, (_row_number, values) in parsed.items():
        practice = existing.get(code)
        if practice is None:
            session.add(Practice(ods_code=code, created_at=now, updated_at=now, **values))
            report.created += 1
        elif _apply_changes(practice, values):
            practice.updated_at = now
            report.updated += 1
        else:
            report.unchanged += 1
    session.flush()
    return report


def _apply_changes(row: object, values: dict) -> bool:
    """Set the fields whose values differ; True when anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _practices_by_code(session: Session, codes: list[str]) -> dict[str, Practice]:
    found: dict[str, Practice] = {}
    for start in range(0, len(codes), 500):  # stay under SQLite's bound-parameter limit
        chunk = codes[start : start + 500]
        for practice in session.exec(select(Practice).where(col(Practice.ods_code).in_(chunk))):
            found[practice.ods_code] = practice
    return found


# ---------------------------------------------------------------------------------------------
# Looking practices up


@dataclass(frozen=True)
class PracticeOption:
    """What the browser may see of a practice when someone picks theirs."""

    id: int
    ods_code: str
    name: str
    postcode: str
    address: str  # one line, without the postcode

    @property
    def label(self) -> str:
        return ", ".join(part for part in (self.name, self.address, self.postcode) if part)


def practice_option(practice: Practice) -> PracticeOption:
    address = ", ".join(
        part
        for part in (
            practice.address_line1,
            practice.address_line2,
            practice.address_line3,
            practice.town,
        )
        if part
    )
    return PracticeOption(
        id=id_of(practice),
        ods_code=practice.ods_code,
        name=practice.name,
        postcode=practice.postcode,
        address=address,
    )


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_WORD_STARTS = (" ", "-", "(", "'")  # what can precede the start of a word inside a name
MIN_QUERY_LENGTH = 2


def search_practices(session: Session, query: str, *, limit: int = 8) -> list[PracticeOption]:
    """Active practices whose name has a word starting with each word typed, or whose ODS code is
    exactly what was typed. 'king' finds Kingsmead Surgery; 'mead' does not (it is not the start of
    a word); 'riverside health' finds Riverside Health Centre; 'y90001' finds the practice by code.
    Fewer than 2 characters return nothing. Names starting with the query come first.
    """
    text = " ".join((query or "").split())[:100]
    if len(text) < MIN_QUERY_LENGTH or limit <= 0:
        return []
    lowered = text.lower()
    name = func.lower(Practice.name)
    word_conditions = []
    for token in lowered.split(" "):
        pattern = _like_escape(token)
        word_conditions.append(
            or_(
                name.like(f"{pattern}%", escape="\\"),
                *(name.like(f"%{_like_escape(sep)}{pattern}%", escape="\\") for sep in _WORD_STARTS),
            )
        )
    code = text.replace(" ", "").upper()
    statement = (
        select(Practice)
        .where(Practice.status == "active")
        .where(or_(col(Practice.ods_code) == code, and_(*word_conditions)))
        .order_by(
            (col(Practice.ods_code) != code),  # an exact code first
            ~name.like(f"{_like_escape(lowered)}%", escape="\\"),  # then names starting so
            Practice.name,
            col(Practice.id),
        )
        .limit(limit)
    )
    return [practice_option(practice) for practice in session.exec(statement)]


def get_active_practice(session: Session, practice_id: int) -> Practice | None:
    """The practice with this id if it is active (e.g. the id a sign-up form sent back)."""
    if not isinstance(practice_id, int) or isinstance(practice_id, bool):
        return None
    practice = session.get(Practice, practice_id)
    if practice is None or practice.status != "active":
        return None
    return practice


def practice_by_ods_code(session: Session, ods_code: str) -> Practice | None:
    """Any practice (active or closed) by its ODS code, case-insensitively."""
    code = (ods_code or "").strip().upper()
    if not code:
        return None
    return session.exec(select(Practice).where(Practice.ods_code == code)).first()


# ---------------------------------------------------------------------------------------------
# Practice registers

REGISTER_REQUIRED = ("nhs_number", "given_names", "family_name", "date_of_birth", "postcode")
REGISTER_OPTIONAL = ("address_line1",)
EARLIEST_BIRTH = date(1890, 1, 1)


class RegisterFileError(ValueError):
    """The register file as a whole cannot be read (e.g. its header row is wrong)."""


def parse_date_of_birth(raw: str) -> date:
    """YYYY-MM-DD or DD/MM/YYYY; ValueError with a readable reason otherwise."""
    value = (raw or "").strip()
    if not value:
        raise ValueError("date of birth is empty")
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            parsed = datetime.strptime(value, fmt).date()
            break
        except ValueError:
            continue
    else:
        raise ValueError(f"date of birth {value!r} is not YYYY-MM-DD or DD/MM/YYYY")
    if parsed > clock.today():  # the UK date: born today in England is not in the future
        raise ValueError(f"date of birth {value!r} is in the future")
    if parsed < EARLIEST_BIRTH:
        raise ValueError(f"date of birth {value!r} is before {EARLIEST_BIRTH.year}")
    return parsed


def _name_part(raw: str, what: str) -> str:
    value = " ".join((raw or "").split())
    if not value:
        raise ValueError(f"{what} is empty")
    if len(value) > 200:
        raise ValueError(f"{what} is longer than 200 characters")
    return value


def _parse_register_record(row: dict[str, str]) -> dict:
    raw_nhs = row.get("nhs_number") or ""
    try:
        nhs_number = clean_nhs_number(raw_nhs, required=True)
    except FieldError as exc:
        raise ValueError(f"NHS number {raw_nhs.strip()!r}: {exc.message}") from None
    if not nhs_number or not nhs_number_is_valid(nhs_number):
        raise ValueError(f"NHS number {raw_nhs.strip()!r} fails the Modulus 11 check")
    raw_postcode = row.get("postcode") or ""
    try:
        postcode = clean_postcode(raw_postcode)
    except FieldError as exc:
        raise ValueError(f"postcode {raw_postcode.strip()!r}: {exc.message}") from None
    address = " ".join((row.get("address_line1") or "").split())
    if len(address) > 200:
        raise ValueError("address_line1 is longer than 200 characters")
    return {
        "nhs_number": nhs_number,
        "given_names": _name_part(row.get("given_names", ""), "given_names"),
        "family_name": _name_part(row.get("family_name", ""), "family_name"),
        "date_of_birth": parse_date_of_birth(row.get("date_of_birth", "")),
        "postcode": postcode,
        "address_line1": address,
    }


def import_register(session: Session, practice: Practice, lines_or_file: Source) -> ImportReport:
    """Upsert a practice's register from a CSV with a header row:
    ``nhs_number,given_names,family_name,date_of_birth,postcode[,address_line1]``.

    Rows are keyed by (practice, NHS number). Row numbers in problems count the header as row 1,
    as a spreadsheet shows them. Entries missing from the file are kept (this is not a full refresh).
    Raises RegisterFileError when the header is missing or lacks a required column.
    """
    if practice.id is None:
        raise ValueError("The practice must be saved before its register is imported")
    reader = csv.reader(_lines(lines_or_file))
    header: list[str] | None = None
    for header_row in reader:
        if not _blank(header_row):
            header = [name.strip().lower().lstrip("\ufeff") for name in header_row]
            break
    if header is None:
        raise RegisterFileError("The register file is empty")
    missing = [name for name in REGISTER_REQUIRED if name not in header]
    if missing:
        raise RegisterFileError(
            "The register file's first row must be a header with the columns "
            + ",".join(REGISTER_REQUIRED + REGISTER_OPTIONAL)
            + f"; missing: {', '.join(missing)}"
        )
    index = {name: header.index(name) for name in REGISTER_REQUIRED + REGISTER_OPTIONAL if name in header}

    report = ImportReport()
    parsed: dict[str, tuple[int, dict]] = {}
    header_row_number = reader.line_num
    for offset, record in enumerate(reader, start=1):
        row_number = header_row_number + offset
        if _blank(record):
            continue
        if len(record) < len(header):
            report.problem(row_number, f"expected {len(header)} columns, found {len(record)}")
            continue
        row = {name: record[i] for name, i in index.items()}
        try:
            values = _parse_register_record(row)
        except ValueError as exc:
            report.problem(row_number, str(exc))
            continue
        number = values["nhs_number"]
        if number in parsed:
            report.problem(row_number, f"NHS number {number} already appears on row {parsed[number][0]}")
            continue
        parsed[number] = (row_number, values)

    existing: dict[str, PracticeRegisterEntry] = {}
    numbers = list(parsed)
    for start in range(0, len(numbers), 500):
        chunk = numbers[start : start + 500]
        statement = select(PracticeRegisterEntry).where(
            PracticeRegisterEntry.practice_id == practice.id,
            col(PracticeRegisterEntry.nhs_number).in_(chunk),
        )
        for found in session.exec(statement):
            existing[found.nhs_number] = found

    now = clock.utcnow()
    for number, (_row_number, values) in parsed.items():
        entry = existing.get(number)
        if entry is None:
            session.add(PracticeRegisterEntry(practice_id=practice.id, imported_at=now, **values))
            report.created += 1
        elif _apply_changes(entry, values):
            entry.imported_at = now
            report.updated += 1
        else:
            report.unchanged += 1
    session.flush()
    return report


def register_csv(rows: Iterable[dict]) -> str:
    """CSV text in the register import format, for rows with the register's column names."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(REGISTER_REQUIRED + REGISTER_OPTIONAL), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        out = dict(row)
        if isinstance(out.get("date_of_birth"), date):
            out["date_of_birth"] = out["date_of_birth"].isoformat()
        writer.writerow({name: out.get(name, "") for name in writer.fieldnames})
    return buffer.getvalue()
