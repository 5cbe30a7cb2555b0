"""Patient Search in the practice workspace: this practice's patients by NHS number, date of
birth, email address or name.

Every search checks the permission table first, looks only at the staff member's own practice and
is audited with how many it found and what kind of search it was, never what was typed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from anima_pwa.models import Account, AccountPatient, Patient, id_of
from anima_pwa.services.platform.validation import normalize_email
from anima_pwa.services.practice.holders import REMOVED, email_of, self_accounts
from anima_pwa.services.practice.patient_access import audit_staff, date_display, nhs_display
from anima_pwa.services.practice.permissions import Action, StaffContext, require

__all__ = ["MAX_SEARCH_RESULTS", "MIN_QUERY_LENGTH", "PatientRow", "classify_query", "search_patients"]

MIN_QUERY_LENGTH = 2
MAX_SEARCH_RESULTS = 100


@dataclass(frozen=True)
class PatientRow:
    """One Patient Search result."""

    id: int
    full_name: str
    date_of_birth: str  # "14 Mar 1985"
    nhs_number: str  # "943 476 5919" or "Not known"
    postcode: str
    verification_status: str  # verified | pending | rejected
    is_care_home: bool
    email: str  # the patient's own account's email address, or ""


_DMY = re.compile(r"([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{4})")
_YMD = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_NHS_SEPARATORS = re.compile(r"[\s\-]+")
_NAME_WORD_STARTS = (" ", "-", "'", "(", ".")  # what may come before a word inside a (folded) name
# Latin letters that don't decompose into a base letter and an accent (as in services.patients.verification).
_FOLD = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i", "ħ": "h", "ŧ": "t"}
)


def classify_query(query: str) -> tuple[str, object]:
    """What a search box query is: ("nhs_number", "9434765919"), ("dob", date | None),
    ("email", "jo@example.com"), or ("name", ["zoe", "smi"])."""
    text = " ".join((query or "").split())
    if "@" in text and " " not in text:
        return "email", normalize_email(text)
    for pattern, order in ((_DMY, "dmy"), (_YMD, "ymd")):
        match = pattern.fullmatch(text)
        if match:
            a, b, c = (int(part) for part in match.groups())
            day, month, year = (a, b, c) if order == "dmy" else (c, b, a)
            try:
                return "dob", date(year, month, day)
            except ValueError:
                return "dob", None  # 31/02/1985: a date of birth, but not a real one
    digits = _NHS_SEPARATORS.sub("", text)
    if digits.isascii() and digits.isdigit() and len(digits) == 10:
        return "nhs_number", digits
    words = [w for w in re.split(r"[\s,]+", text.casefold()) if w]
    return "name", words


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _fold(text: str) -> str:
    """Lower-case, accents off, one kind of apostrophe: "Zoë O’Brien" -> "zoe o'brien"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.casefold().translate(_FOLD).replace("\u2019", "'")


def _name_matches(full_name: str, words: list[str]) -> bool:
    """Every word starts a word of the name ("o'b", "obrien" and "brien" all find O'Brien)."""
    folded = _fold(full_name)
    variants = (folded, folded.replace("'", ""))
    return all(
        any(
            variant.startswith(word) or any(f"{sep}{word}" in variant for sep in _NAME_WORD_STARTS)
            for variant in variants
        )
        for word in words
    )


def _has_non_ascii(column, dialect: str):
    """SQL: the column holds a character outside printable ASCII (an accent, a curly apostrophe)."""
    if dialect == "sqlite":
        return column.op("GLOB")("*[^ -~]*")
    if dialect == "postgresql":
        return column.op("~")("[^ -~]")
    return None


def _patients_by_name(session: Session, practice_id: int, words: list[str], limit: int) -> list[Patient]:
    """Name search. SQL narrows it down (word starts, case-insensitively, for plain-ASCII names;
    every name with an accent or a curly apostrophe); Python then decides, accent-insensitively,
    so "zoe" finds Zoë. Only ids and names are read until the matches are known."""
    words = [_fold(word) for word in words]
    words = [word for word in words if word]
    if not words:
        return []
    lowered = func.lower(Patient.full_name)
    names = (lowered, func.replace(lowered, "'", ""))
    conditions = []
    for word in words:
        pattern = _like_escape(word)
        conditions.append(
            or_(
                *(
                    like
                    for name in names
                    for like in (
                        name.like(f"{pattern}%", escape="\\"),
                        *(name.like(f"%{_like_escape(sep)}{pattern}%", escape="\\") for sep in _NAME_WORD_STARTS),
                    )
                )
            )
        )
    wanted = and_(*conditions)
    accented = _has_non_ascii(Patient.full_name, session.get_bind().dialect.name)
    if accented is not None:
        wanted = or_(wanted, accented)
    candidates = session.exec(
        select(Patient.id, Patient.full_name)
        .where(Patient.practice_id == practice_id, wanted)
        .order_by(col(Patient.full_name), col(Patient.id))
    )
    ids: list[int | None] = []
    for patient_id, full_name in candidates:
        if _name_matches(full_name, words):
            ids.append(patient_id)
            if len(ids) >= limit:
                break
    if not ids:
        return []
    found = {p.id: p for p in session.exec(select(Patient).where(col(Patient.id).in_(ids))).all()}
    return [found[i] for i in ids]


def search_patients(session: Session, staff: StaffContext | None, query: str, *, limit: int = 25) -> list[PatientRow]:
    """Patient Search: patients of this practice by NHS number, date of birth, email or name.

    An NHS number is 10 digits with or without spaces or hyphens (care homes' 999 999 numbers too);
    a date of birth is DD/MM/YYYY or YYYY-MM-DD; an email matches any account linked to the
    patient (their own, a parent's or a care home's); otherwise every word typed must start a word
    of the name ("zoe smi" finds Zoë Smith-Jones). Fewer than 2 characters find nothing. Each search
    is audited with how many it found and what kind of search it was, never what was typed.
    """
    staff = require(staff, Action.SEARCH_PATIENTS)
    text = " ".join((query if isinstance(query, str) else "").split())[:254]
    if len(text) < MIN_QUERY_LENGTH:
        return []
    limit = max(1, min(int(limit), MAX_SEARCH_RESULTS))
    kind, value = classify_query(text)
    statement = select(Patient).where(Patient.practice_id == staff.practice_id)
    condition: ColumnElement[bool] | None = None
    if kind == "nhs_number":
        condition = col(Patient.nhs_number) == value
    elif kind == "dob":
        condition = col(Patient.date_of_birth) == value if value is not None else None
    elif kind == "email":
        linked = (
            select(AccountPatient.patient_id)
            .join(Account, col(Account.id) == AccountPatient.account_id)
            .where(Account.email_normalized == value, Account.status != REMOVED)
        )
        condition = col(Patient.id).in_(linked)
    patients: list[Patient] = []
    if kind == "name" and isinstance(value, list):
        patients = _patients_by_name(session, staff.practice_id, value, limit)
    elif condition is not None:
        patients = list(
            session.exec(
                statement.where(condition).order_by(col(Patient.full_name), col(Patient.id)).limit(limit)
            ).all()
        )
    owners = self_accounts(session, [id_of(p) for p in patients])
    rows = [
        PatientRow(
            id=id_of(p),
            full_name=p.full_name,
            date_of_birth=date_display(p.date_of_birth),
            nhs_number=nhs_display(p.nhs_number),
            postcode=p.postcode,
            verification_status=p.verification_status,
            is_care_home=p.is_care_home,
            email=email_of(owners.get(id_of(p))),
        )
        for p in patients
    ]
    audit_staff(session, staff, "patient_search", detail={"results": len(rows), "by": kind})
    return rows
