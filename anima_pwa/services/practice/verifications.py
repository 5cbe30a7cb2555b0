"""Patient Management in the practice workspace: Patient Search, patient details, editing them,
removing a patient's email address, manual verification and dependant approval, and the audit trail.

Every public function takes the DB session and the acting member of staff (a
``permissions.StaffContext``, or None when the caller is a patient or signed out), checks the
permission table first, works only on patients of the staff member's own practice (a patient
elsewhere is refused exactly like a missing one), and writes an audit row for every read or change
of patient data. Nothing here commits; screens get small frozen dataclasses, never ORM rows.

Removing an email address (the care-home guide's "this patient has no email address") keeps the
patient's account row, its links and its history, but the account can no longer sign in and its
email address is free for a new account (e.g. the care home's own).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from anima_pwa.models import Account, AccountPatient, AuditEvent, Patient, Practice, Request, StaffMember, utcnow
from anima_pwa.services.platform import audit, notifications, text_limits
from anima_pwa.services.identity import sessions, tokens
from anima_pwa.services.patients import verification
from anima_pwa.services.practice.permissions import (
    NOT_FOUND,
    Action,
    PermissionDenied,
    StaffContext,
    require,
    require_patient,
)
from anima_pwa.services.platform.validation import (
    FieldError,
    age_on,
    clean_date_of_birth,
    clean_full_name,
    clean_mobile,
    clean_postcode,
    clean_text,
    clean_uk_phone,
    format_mobile,
    format_nhs_number,
    format_uk_phone,
    normalize_email,
)

__all__ = [
    "AuditRow",
    "Dependant",
    "Holder",
    "LinkedAccount",
    "PatientDetail",
    "PatientRow",
    "QueueItem",
    "SameNumber",
    "approve_dependant",
    "audit_trail",
    "classify_query",
    "clean_uk_phone",
    "decline_dependant",
    "format_uk_phone",
    "patient_detail",
    "reject_patient",
    "remove_holder",
    "remove_patient_email",
    "search_patients",
    "update_patient",
    "verification_queue",
    "verify_patient",
]

STAFF = "staff"  # audit actor kind
REMOVED = "removed"  # Account.status once staff have removed its email address
MIN_QUERY_LENGTH = 2
MAX_SEARCH_RESULTS = 100
NO_EMAIL = "No email"
NOT_KNOWN = "Not known"

CONFIRM_NO_EMAIL = "Confirm this patient has no email address"
ENTER_REASON = "Enter a reason the patient will see"
REASON_MAX = text_limits.REJECTION_REASON.limit
NOT_PENDING = "This patient is not waiting for verification."
LINK_NOT_FOUND = "We could not find that request at your practice."
LINK_NOT_PENDING = "This request has already been reviewed."
HOLDER_NOT_FOUND = "We could not find that account on this patient's record."
NUMBER_OWNED = (
    "Another patient record with this NHS number is already verified, so this one can't be. "
    "Check the records listed with it: if this is the same person, reject this one with a reason "
    "that tells them what to do"
)

# Every open link or code that belongs to an account and could let someone back in or change it.
# (email_verification links are not bound to an account: they create one.)
ACCOUNT_TOKEN_PURPOSES = (
    tokens.PASSWORD_RESET,
    "email_change",  # services.identity.account_settings.EMAIL_CHANGE
    "mfa_setup",  # services.identity.mfa.SETUP_PURPOSE
    "mfa_challenge",  # services.identity.accounts.MFA_CHALLENGE
    "nhs_login_flow",  # services.nhs_login.accounts.FLOW ("Connect NHS login")
    "nhs_login_claims",  # services.nhs_login.accounts.CLAIMS
)

_LONDON = ZoneInfo("Europe/London")
_MAX_ID = 2**31 - 1  # an INTEGER primary key; bigger numbers would be a database error, not "not found"


# --------------------------------------------------------------------------------------------------
# What screens get
# --------------------------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class LinkedAccount:
    """An account linked to the patient: their own, a parent's or a care home's."""

    account_id: int
    email: str  # or "No email"
    relationship: str  # self | dependant | care_home
    approval_status: str  # not_needed | pending | approved | rejected
    status: str  # active | disabled | removed


@dataclass(frozen=True)
class Dependant:
    """Someone the patient's own account looks after."""

    patient_id: int
    full_name: str
    date_of_birth: str
    relationship: str  # dependant | care_home
    approval_status: str


@dataclass(frozen=True)
class Holder:
    """A parent, carer or care home whose account holds this patient."""

    link_id: int
    account_id: int
    name: str  # the holder's own name (their self patient record), or ""
    email: str  # or "No email"
    relationship: str  # dependant | care_home
    approval_status: str
    is_care_home: bool
    status: str


@dataclass(frozen=True)
class PatientDetail:
    id: int
    full_name: str
    preferred_name: str
    date_of_birth: date
    date_of_birth_display: str
    age: int
    nhs_number: str  # display
    postcode: str
    address_line1: str
    phone: str  # display
    email: str  # the patient's own account's email, or ""
    verification_status: str
    verification_note: str
    is_care_home: bool
    care_home_resident: bool
    housebound: bool
    linked_accounts: tuple[LinkedAccount, ...]
    dependants: tuple[Dependant, ...]  # only those registered at this practice
    dependants_elsewhere: int  # held, but registered at another practice: not named here
    held_by: tuple[Holder, ...]


@dataclass(frozen=True)
class QueueItem:
    """One decision waiting in the practice's verification queue."""

    kind: str  # "registration" (verify the person) | "dependant" (approve someone holding them)
    patient_id: int
    link_id: int | None  # the AccountPatient link, for kind == "dependant"
    full_name: str
    date_of_birth: str
    nhs_number: str
    postcode: str
    reason: str
    submitted_at: datetime
    submitted: str  # display, UK time
    requested_by: str  # "Jo Bloggs (jo@example.com)", an email, or ""
    approval_reason: str = ""  # kind "dependant": why the link needs approval (services.patients.dependants)
    others: tuple[SameNumber, ...] = ()  # what staff weigh it against (other records, other holders)


@dataclass(frozen=True)
class SameNumber:
    """Something staff should see beside a claim or a link: another record with the same NHS
    number, or someone who already holds the patient."""

    text: str
    patient_id: int | None = None  # a record at this practice they can open

@dataclass(frozen=True)
class AuditRow:
    at: str  # display, UK time: "14 Mar 2025 09:41"
    action: str
    actor: str  # a staff member's name, "Patient", "System" or "Not signed in"
    detail: str  # "fields: full_name, postcode"


# --------------------------------------------------------------------------------------------------
# Display helpers
# --------------------------------------------------------------------------------------------------


def _date_display(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def _datetime_display(value: datetime) -> str:
    local = value.astimezone(_LONDON)
    return f"{local.day} {local:%b %Y %H:%M}"


def _nhs_display(digits: str | None) -> str:
    return format_nhs_number(digits) if digits else NOT_KNOWN


# --------------------------------------------------------------------------------------------------
# Phone numbers: care homes often give a landline
# --------------------------------------------------------------------------------------------------

# UK phone numbers (mobile or landline) are validated in services.platform.validation.


# --------------------------------------------------------------------------------------------------
# Shared pieces
# --------------------------------------------------------------------------------------------------


def _audit(
    session: Session,
    staff: StaffContext,
    action: str,
    *,
    patient_id: int | None = None,
    account_id: int | None = None,
    detail: dict | None = None,
) -> None:
    audit.record(
        session,
        action=action,
        actor_account_id=staff.account_id,
        actor_kind=STAFF,
        account_id=account_id,
        patient_id=patient_id,
        practice_id=staff.practice_id,
        detail=detail,
    )


def _strict_id(value: object) -> int | None:
    """A database id from the browser: a positive int or a string of digits; anything else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"[0-9]{1,10}", value.strip()):
        number = int(value.strip())
    else:
        return None
    return number if 0 < number <= _MAX_ID else None


def _patient(session: Session, staff: StaffContext | None, action: Action, patient_id: object) -> tuple[StaffContext, Patient]:
    """The permission check first, then the id: same practice only, anything else "not found"."""
    staff = require(staff, action)
    key = _strict_id(patient_id)
    if key is None:  # "1 OR 1=1", 1.5, True, a number too big for the column: like a missing patient
        raise PermissionDenied(NOT_FOUND)
    return staff, require_patient(session, staff, action, key)


def _practice_name(session: Session, practice_id: int) -> str:
    practice = session.get(Practice, practice_id)
    return practice.name if practice else "your GP practice"


def _self_accounts(session: Session, patient_ids: Iterable[int]) -> dict[int, Account]:
    """Each patient's own (self) account, for those that have one."""
    ids = list(patient_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(AccountPatient.patient_id, Account)
        .join(Account, col(Account.id) == AccountPatient.account_id)
        .where(AccountPatient.relationship == "self", col(AccountPatient.patient_id).in_(ids))
    ).all()
    return {patient_id: account for patient_id, account in rows}


def _email_of(account: Account | None) -> str:
    if account is None or account.status == REMOVED:
        return ""
    return account.email


def _clean_field(errors: dict[str, str], name: str, func: Callable, *args, **kwargs):
    try:
        return func(*args, **kwargs)
    except FieldError as error:
        # validation.py speaks to the patient ("Enter your postcode"); here staff are typing.
        errors[name] = error.message.replace("Enter your ", "Enter the patient's ")
        return None


# --------------------------------------------------------------------------------------------------
# 1. Patient Search
# --------------------------------------------------------------------------------------------------

_DMY = re.compile(r"([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{4})")
_YMD = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_NHS_SEPARATORS = re.compile(r"[\s\-]+")
_NAME_WORD_STARTS = (" ", "-", "'", "(", ".")  # what may come before a word inside a (folded) name
# Latin letters that don't decompose into a base letter and an accent (as in services.patients.verification).
_FOLD = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i", "ħ": "h", "ŧ": "t"})


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
        any(variant.startswith(word) or any(f"{sep}{word}" in variant for sep in _NAME_WORD_STARTS) for variant in variants)
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
    ids: list[int] = []
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
    condition = None
    if kind == "nhs_number":
        condition = Patient.nhs_number == value
    elif kind == "dob":
        condition = Patient.date_of_birth == value if value is not None else None
    elif kind == "email":
        linked = (
            select(AccountPatient.patient_id)
            .join(Account, col(Account.id) == AccountPatient.account_id)
            .where(Account.email_normalized == value, Account.status != REMOVED)
        )
        condition = col(Patient.id).in_(linked)
    patients: list[Patient] = []
    if kind == "name":
        patients = _patients_by_name(session, staff.practice_id, value, limit)  # type: ignore[arg-type]
    elif condition is not None:
        patients = list(
            session.exec(statement.where(condition).order_by(col(Patient.full_name), col(Patient.id)).limit(limit)).all()
        )
    owners = _self_accounts(session, [p.id for p in patients])  # type: ignore[misc]
    rows = [
        PatientRow(
            id=p.id,  # type: ignore[arg-type]
            full_name=p.full_name,
            date_of_birth=_date_display(p.date_of_birth),
            nhs_number=_nhs_display(p.nhs_number),
            postcode=p.postcode,
            verification_status=p.verification_status,
            is_care_home=p.is_care_home,
            email=_email_of(owners.get(p.id)),  # type: ignore[arg-type]
        )
        for p in patients
    ]
    _audit(session, staff, "patient_search", detail={"results": len(rows), "by": kind})
    return rows


# --------------------------------------------------------------------------------------------------
# 2. Patient details
# --------------------------------------------------------------------------------------------------


def patient_detail(session: Session, staff: StaffContext | None, patient_id: object, *, today: date | None = None) -> PatientDetail:
    """Everything the patient page shows, including who holds the patient and whom they hold."""
    staff, patient = _patient(session, staff, Action.VIEW_PATIENT, patient_id)
    today = today or utcnow().astimezone(_LONDON).date()

    links = session.exec(
        select(AccountPatient, Account)
        .join(Account, col(Account.id) == AccountPatient.account_id)
        .where(AccountPatient.patient_id == patient.id)
        .order_by(col(AccountPatient.created_at), col(AccountPatient.id))
    ).all()
    own = next((account for link, account in links if link.relationship == "self"), None)
    linked = tuple(
        LinkedAccount(
            account_id=account.id,  # type: ignore[arg-type]
            email=_email_of(account) or NO_EMAIL,
            relationship=link.relationship,
            approval_status=link.approval_status,
            status=account.status,
        )
        for link, account in links
    )

    holder_links = [(link, account) for link, account in links if link.relationship != "self"]
    holder_selves = _self_patients(session, [account.id for _, account in holder_links])  # type: ignore[misc]
    held_by = tuple(
        Holder(
            link_id=link.id,  # type: ignore[arg-type]
            account_id=account.id,  # type: ignore[arg-type]
            name=holder_selves[account.id].full_name if account.id in holder_selves else "",
            email=_email_of(account) or NO_EMAIL,
            relationship=link.relationship,
            approval_status=link.approval_status,
            is_care_home=bool(account.id in holder_selves and holder_selves[account.id].is_care_home),
            status=account.status,
        )
        for link, account in holder_links
    )

    dependants: list[Dependant] = []
    elsewhere = 0
    if own is not None:
        held = session.exec(
            select(AccountPatient, Patient)
            .join(Patient, col(Patient.id) == AccountPatient.patient_id)
            .where(AccountPatient.account_id == own.id, AccountPatient.relationship != "self")
            .order_by(col(Patient.full_name), col(Patient.id))
        ).all()
        for link, person in held:
            if person.practice_id != staff.practice_id:
                elsewhere += 1  # another practice's patient: not this practice's to see
                continue
            dependants.append(
                Dependant(
                    patient_id=person.id,  # type: ignore[arg-type]
                    full_name=person.full_name,
                    date_of_birth=_date_display(person.date_of_birth),
                    relationship=link.relationship,
                    approval_status=link.approval_status,
                )
            )

    _audit(session, staff, "patient_viewed", patient_id=patient.id)
    return PatientDetail(
        id=patient.id,  # type: ignore[arg-type]
        full_name=patient.full_name,
        preferred_name=patient.preferred_name,
        date_of_birth=patient.date_of_birth,
        date_of_birth_display=_date_display(patient.date_of_birth),
        age=age_on(patient.date_of_birth, today),
        nhs_number=_nhs_display(patient.nhs_number),
        postcode=patient.postcode,
        address_line1=patient.address_line1,
        phone=format_uk_phone(patient.phone_mobile),
        email=_email_of(own),
        verification_status=patient.verification_status,
        verification_note=patient.verification_note,
        is_care_home=patient.is_care_home,
        care_home_resident=patient.care_home_resident,
        housebound=patient.housebound,
        linked_accounts=linked,
        dependants=tuple(dependants),
        dependants_elsewhere=elsewhere,
        held_by=held_by,
    )


def _self_patients(session: Session, account_ids: list[int]) -> dict[int, Patient]:
    if not account_ids:
        return {}
    rows = session.exec(
        select(AccountPatient.account_id, Patient)
        .join(Patient, col(Patient.id) == AccountPatient.patient_id)
        .where(AccountPatient.relationship == "self", col(AccountPatient.account_id).in_(account_ids))
    ).all()
    return {account_id: patient for account_id, patient in rows}


# --------------------------------------------------------------------------------------------------
# 3. Editing a patient's details
# --------------------------------------------------------------------------------------------------

# The order fields appear on the edit page, for the error summary.
EDIT_FIELD_ORDER = ["full_name", "dob", "postcode", "address_line1", "phone", "care_home_resident"]


def update_patient(
    session: Session,
    staff: StaffContext | None,
    patient_id: object,
    *,
    full_name: str,
    dob_day: str,
    dob_month: str,
    dob_year: str,
    postcode: str,
    address_line1: str,
    phone: str,
    housebound: bool,
    care_home_resident: bool,
    today: date | None = None,
) -> dict[str, str]:
    """Save the edit form: {} when saved, else an error per field and nothing saved.

    The phone number may be left blank, and may be a landline (care homes). Staff edits keep the
    patient's verification status: staff are the ones who verify.
    """
    staff, patient = _patient(session, staff, Action.EDIT_PATIENT, patient_id)
    today = today or utcnow().astimezone(_LONDON).date()
    errors: dict[str, str] = {}
    new_name = _clean_field(errors, "full_name", clean_full_name, full_name if isinstance(full_name, str) else "")
    new_dob = _clean_field(errors, "dob", clean_date_of_birth, str(dob_day or ""), str(dob_month or ""), str(dob_year or ""), today=today)
    new_postcode = _clean_field(errors, "postcode", clean_postcode, postcode if isinstance(postcode, str) else "")
    new_address = _clean_field(
        errors, "address_line1", clean_text, address_line1 if isinstance(address_line1, str) else "",
        label="address line 1", max_length=200, required=False,
    )
    new_phone = _clean_field(errors, "phone", clean_uk_phone, phone if isinstance(phone, str) else "")
    resident = care_home_resident is True
    if resident and patient.is_care_home:
        errors["care_home_resident"] = "A care home's own record can't be a care home resident"
    if errors:
        return {key: errors[key] for key in EDIT_FIELD_ORDER if key in errors}

    changes = {
        "full_name": new_name,
        "date_of_birth": new_dob,
        "postcode": new_postcode,
        "address_line1": new_address,
        "phone_mobile": new_phone,
        "housebound": housebound is True,
        "care_home_resident": resident,
    }
    changed = [name for name, value in changes.items() if getattr(patient, name) != value]
    if changed:
        for name in changed:
            setattr(patient, name, changes[name])
        patient.updated_at = utcnow()
        session.add(patient)
        session.flush()
        _audit(session, staff, "patient_updated", patient_id=patient.id, detail={"fields": changed})
    return {}


# --------------------------------------------------------------------------------------------------
# 4. "This patient has no email address"
# --------------------------------------------------------------------------------------------------


def remove_patient_email(session: Session, staff: StaffContext | None, patient_id: object, *, confirmed_no_email: bool) -> str | None:
    """Take the email address off the patient's own account, so it is free for another account.

    The account stays (with its links and its history in the audit trail) but is closed: it can't
    sign in with a password or NHS login, its sessions end, its open links and codes stop working,
    and its address becomes ``removed-<id>@invalid``. Accounts of parents or a care home that hold
    the patient are not touched. A patient with no account of their own has nothing to remove.
    Returns an error to show, or None.
    """
    staff, patient = _patient(session, staff, Action.REMOVE_PATIENT_EMAIL, patient_id)
    if confirmed_no_email is not True:
        return CONFIRM_NO_EMAIL
    account = _self_accounts(session, [patient.id]).get(patient.id)  # type: ignore[list-item,arg-type]
    if account is None or account.status == REMOVED:
        _audit(session, staff, "patient_email_removed", patient_id=patient.id, detail={"had_account": False})
        return None
    if account.kind != "patient":  # a self link only ever points at a patient account
        return "This email address belongs to a staff account and can't be removed here"
    now = utcnow()
    ended = sessions.end_all(session, account.id, now=now)  # type: ignore[arg-type]
    revoked = tokens.revoke_for_account(session, account.id, ACCOUNT_TOKEN_PURPOSES, now=now)  # type: ignore[arg-type]
    holds = session.exec(
        select(func.count(col(AccountPatient.id))).where(
            AccountPatient.account_id == account.id, AccountPatient.relationship != "self"
        )
    ).one()
    had_nhs_login = account.nhs_login_sub is not None
    account.status = REMOVED
    account.email = ""
    account.email_normalized = f"removed-{account.id}@invalid"
    account.password_hash = None
    account.nhs_login_sub = None
    account.mfa_secret_encrypted = None
    account.mfa_enabled_at = None
    account.updated_at = now
    session.add(account)
    session.flush()
    _audit(
        session,
        staff,
        "patient_email_removed",
        patient_id=patient.id,
        account_id=account.id,
        detail={
            "had_account": True,
            "had_nhs_login": had_nhs_login,
            "sessions_ended": ended,
            "links_revoked": revoked,
            "people_held": holds,
        },
    )
    return None


# --------------------------------------------------------------------------------------------------
# 5. The verification queue
# --------------------------------------------------------------------------------------------------


def _who(name: str, email: str) -> str:
    if name and email:
        return f"{name} ({email})"
    return name or email


_LINK_REASONS = {
    "age_16_plus": "Aged 16 or over: added as a dependant by {what}, needs the practice's approval",
    "second_holder": (
        "Asks to be linked to this patient as a parent or carer. Other accounts already hold them "
        "(listed below) and have been emailed. Check the relationship before approving"
    ),
    "existing_record": (
        "Asks to be linked to this patient as a parent or carer. No account holds them now. "
        "Check the relationship before approving"
    ),
    "own_account": (
        "Asks to hold this patient as a dependant, but the patient has their own Anima account (they "
        "have been emailed). They can usually send requests themselves: decline unless they agree"
    ),
}
_STATUS_WORDS = {verification.VERIFIED: "verified", verification.PENDING: "waiting for verification", verification.REJECTED: "rejected"}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _same_number(session: Session, staff: StaffContext, patient: Patient) -> tuple[SameNumber, ...]:
    """Every other record with this patient's NHS number: this practice's in full, and only
    whether another practice has a verified one (which stops this one being verified)."""
    if not patient.nhs_number:
        return ()
    rows = session.exec(
        select(Patient)
        .where(Patient.nhs_number == patient.nhs_number, col(Patient.id) != patient.id)
        .order_by(col(Patient.created_at), col(Patient.id))
    ).all()
    here = [r for r in rows if r.practice_id == staff.practice_id]
    counts: dict[tuple[int, bool], int] = {}
    if here:
        for holder_of, approval, n in session.exec(
            select(AccountPatient.patient_id, AccountPatient.approval_status, func.count(col(AccountPatient.id)))
            .where(
                col(AccountPatient.patient_id).in_([r.id for r in here]),
                AccountPatient.relationship != "self",
                AccountPatient.approval_status != "rejected",
            )
            .group_by(col(AccountPatient.patient_id), col(AccountPatient.approval_status))
        ).all():
            key = (holder_of, approval == "pending")
            counts[key] = counts.get(key, 0) + n
    owners = _self_accounts(session, [r.id for r in here])  # type: ignore[misc]
    out = []
    for other in here:
        own = "has their own account" if other.id in owners else "no account of their own"
        held = _plural(counts.get((other.id, False), 0), "account")  # type: ignore[arg-type]
        if counts.get((other.id, True)):  # type: ignore[arg-type]
            held += f" ({counts[(other.id, True)]} more waiting for approval)"  # type: ignore[index]
        out.append(
            SameNumber(
                f"Same NHS number: {other.full_name}, born {_date_display(other.date_of_birth)}, "
                f"{_STATUS_WORDS.get(other.verification_status, other.verification_status)}, {own}, held by {held}",
                other.id,
            )
        )
    if any(r.practice_id != staff.practice_id and r.verification_status == verification.VERIFIED for r in rows):
        out.append(SameNumber("Same NHS number: a verified record at another practice"))
    return tuple(out)


def _holders_of(session: Session, patient_id: int, *, except_link: int) -> tuple[SameNumber, ...]:
    """Who may act for the patient now (their own account, approved holders), for a link decision."""
    rows = session.exec(
        select(AccountPatient, Account)
        .join(Account, col(Account.id) == AccountPatient.account_id)
        .where(
            AccountPatient.patient_id == patient_id,
            col(AccountPatient.id) != except_link,
            or_(AccountPatient.relationship == "self", col(AccountPatient.approval_status).in_(("not_needed", "approved"))),
        )
        .order_by(col(AccountPatient.created_at), col(AccountPatient.id))
    ).all()
    selves = _self_patients(session, [account.id for _, account in rows])  # type: ignore[misc]
    out = []
    for link, account in rows:
        who = _who(selves[account.id].full_name if account.id in selves else "", _email_of(account)) or NO_EMAIL
        out.append(SameNumber(f"Their own account: {who}" if link.relationship == "self" else f"Already held by: {who}"))
    return tuple(out)


def _requester(session: Session, patient_id: int, owners: dict[int, Account]) -> str:
    """Who a pending record came from: their own account, else the first account that added them."""
    if patient_id in owners:
        return _email_of(owners[patient_id])
    row = session.exec(
        select(Account)
        .join(AccountPatient, col(AccountPatient.account_id) == Account.id)
        .where(AccountPatient.patient_id == patient_id)
        .order_by(col(AccountPatient.created_at), col(AccountPatient.id))
    ).first()
    if row is None:
        return ""
    selves = _self_patients(session, [row.id])  # type: ignore[list-item]
    return _who(selves[row.id].full_name if row.id in selves else "", _email_of(row))  # type: ignore[index]


def verification_queue(session: Session, staff: StaffContext | None, *, limit: int = 200) -> list[QueueItem]:
    """Registrations and dependants waiting for manual verification (with every other record that
    has the same NHS number, so staff can decide between claims), then links waiting for approval
    (dependants of 16 or over, second holders, with who holds them now): this practice only,
    oldest first within each kind."""
    staff = require(staff, Action.VERIFY_PATIENT)
    limit = max(1, min(int(limit), 500))
    pending = verification.pending_verifications(session, practice_id=staff.practice_id, limit=limit)
    owners = _self_accounts(session, [p.patient_id for p in pending])
    records = {
        p.id: p for p in session.exec(select(Patient).where(col(Patient.id).in_([p.patient_id for p in pending]))).all()
    } if pending else {}
    items = [
        QueueItem(
            kind="registration",
            patient_id=p.patient_id,
            link_id=None,
            full_name=p.full_name,
            date_of_birth=_date_display(p.date_of_birth),
            nhs_number=_nhs_display(p.nhs_number),
            postcode=p.postcode,
            reason=p.reason or "Could not be matched to the practice register",
            submitted_at=p.submitted_at,
            submitted=_datetime_display(p.submitted_at),
            requested_by=_requester(session, p.patient_id, owners),
            others=_same_number(session, staff, records[p.patient_id]),
        )
        for p in pending
    ]
    links = session.exec(
        select(AccountPatient, Patient, Account)
        .join(Patient, col(Patient.id) == AccountPatient.patient_id)
        .join(Account, col(Account.id) == AccountPatient.account_id)
        .where(AccountPatient.approval_status == "pending", Patient.practice_id == staff.practice_id)
        .order_by(col(AccountPatient.created_at), col(AccountPatient.id))
        .limit(limit)
    ).all()
    holder_selves = _self_patients(session, [account.id for _, _, account in links])  # type: ignore[misc]
    for link, patient, account in links:
        holder = holder_selves.get(account.id)  # type: ignore[arg-type]
        what = "a care home" if link.relationship == "care_home" else "someone"
        reason = _LINK_REASONS.get(link.approval_reason or "age_16_plus", "Needs the practice's approval").format(what=what)
        items.append(
            QueueItem(
                kind="dependant",
                patient_id=patient.id,  # type: ignore[arg-type]
                link_id=link.id,
                full_name=patient.full_name,
                date_of_birth=_date_display(patient.date_of_birth),
                nhs_number=_nhs_display(patient.nhs_number),
                postcode=patient.postcode,
                reason=reason,
                submitted_at=link.created_at,
                submitted=_datetime_display(link.created_at),
                requested_by=_who(holder.full_name if holder else "", _email_of(account)),
                approval_reason=link.approval_reason or "age_16_plus",
                others=_holders_of(session, patient.id, except_link=link.id),  # type: ignore[arg-type]
            )
        )
    _audit(session, staff, "verification_queue_viewed", detail={"results": len(items)})
    return items


# --------------------------------------------------------------------------------------------------
# 6. Manual verification
# --------------------------------------------------------------------------------------------------


def _holder_addresses(session: Session, patient_id: int) -> list[str]:
    """Where to tell everyone who holds this patient: active accounts with an email, once each."""
    rows = session.exec(
        select(Account)
        .join(AccountPatient, col(AccountPatient.account_id) == Account.id)
        .where(
            AccountPatient.patient_id == patient_id,
            AccountPatient.approval_status != "rejected",
            Account.status == "active",
            Account.kind == "patient",
        )
        .order_by(col(AccountPatient.id))
    ).all()
    seen: set[str] = set()
    addresses = []
    for account in rows:
        if account.email and account.email_normalized not in seen:
            seen.add(account.email_normalized)
            addresses.append(account.email)
    return addresses


def _claim_pending(session: Session, patient: Patient, values: dict) -> None:
    """Move a pending patient on, once: two members of staff deciding at once can't both win."""
    result = session.exec(  # type: ignore[call-overload]
        update(Patient)
        .where(col(Patient.id) == patient.id, col(Patient.verification_status) == verification.PENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise PermissionDenied(NOT_PENDING)
    session.refresh(patient)


def verify_patient(session: Session, staff: StaffContext | None, patient_id: object) -> None:
    """Verify a pending patient by hand and tell everyone who holds them (no details in the email).

    Raises PermissionDenied when not allowed, not at this practice, or not pending.
    """
    staff, patient = _patient(session, staff, Action.VERIFY_PATIENT, patient_id)
    if patient.verification_status != verification.PENDING:
        raise PermissionDenied(NOT_PENDING)
    if verification.verified_owner(session, patient.nhs_number, exclude_id=patient.id) is not None:
        raise PermissionDenied(NUMBER_OWNED)
    now = utcnow()
    try:
        # A savepoint: another record with this number verified since the check (by a colleague, or
        # automatically) makes the unique index refuse this one, and nothing here is kept.
        with session.begin_nested():
            _claim_pending(
                session,
                patient,
                {"verification_status": verification.VERIFIED, "verified_at": now, "verification_note": "", "updated_at": now},
            )
    except IntegrityError:
        raise PermissionDenied(NUMBER_OWNED) from None
    practice_name = _practice_name(session, staff.practice_id)
    addresses = _holder_addresses(session, patient.id)  # type: ignore[arg-type]
    for address in addresses:
        notifications.enqueue_email(session, to=address, template="verification_approved", practice_name=practice_name)
    _audit(session, staff, "patient_verified", patient_id=patient.id, detail={"emails": len(addresses)})


def reject_patient(session: Session, staff: StaffContext | None, patient_id: object, *, reason: str) -> str | None:
    """Refuse a pending patient with a reason they will see on their home page (not in the email).

    Returns an error for the reason field, or None. Raises PermissionDenied like verify_patient.
    """
    staff, patient = _patient(session, staff, Action.VERIFY_PATIENT, patient_id)
    if patient.verification_status != verification.PENDING:
        raise PermissionDenied(NOT_PENDING)
    try:
        text = clean_text(reason if isinstance(reason, str) else "", label="a reason the patient will see", max_length=REASON_MAX)
    except FieldError as error:
        return error.message
    now = utcnow()
    _claim_pending(
        session, patient, {"verification_status": verification.REJECTED, "verified_at": None, "verification_note": text, "updated_at": now}
    )
    practice_name = _practice_name(session, staff.practice_id)
    addresses = _holder_addresses(session, patient.id)  # type: ignore[arg-type]
    for address in addresses:
        notifications.enqueue_email(session, to=address, template="verification_rejected", practice_name=practice_name)
    _audit(session, staff, "patient_rejected", patient_id=patient.id, detail={"emails": len(addresses)})
    return None


# --------------------------------------------------------------------------------------------------
# 7. Dependants of 16 or over
# --------------------------------------------------------------------------------------------------


def _pending_link(session: Session, staff: StaffContext | None, link_id: object) -> tuple[StaffContext, AccountPatient]:
    staff = require(staff, Action.VERIFY_PATIENT)
    key = _strict_id(link_id)
    found = (
        session.exec(
            select(AccountPatient, Patient)
            .join(Patient, col(Patient.id) == AccountPatient.patient_id)
            .where(AccountPatient.id == key)
        ).first()
        if key is not None
        else None
    )
    if found is None or found[1].practice_id != staff.practice_id or found[0].relationship == "self":
        raise PermissionDenied(LINK_NOT_FOUND)
    link = found[0]
    if link.approval_status != "pending":
        raise PermissionDenied(LINK_NOT_PENDING)
    return staff, link


def _decide_link(session: Session, staff: StaffContext, link: AccountPatient, status: str, note: str, template: str, action: str) -> None:
    result = session.exec(  # type: ignore[call-overload]
        update(AccountPatient)
        .where(col(AccountPatient.id) == link.id, col(AccountPatient.approval_status) == "pending")
        .values(approval_status=status, approval_note=note)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise PermissionDenied(LINK_NOT_PENDING)
    session.refresh(link)
    account = session.get(Account, link.account_id)
    emailed = 0
    if account is not None and account.status == "active" and account.email:
        notifications.enqueue_email(session, to=account.email, template=template, practice_name=_practice_name(session, staff.practice_id))
        emailed = 1
    _audit(session, staff, action, patient_id=link.patient_id, account_id=link.account_id, detail={"link_id": link.id, "emails": emailed})


def approve_dependant(session: Session, staff: StaffContext | None, link_id: object) -> None:
    """Let an account act for a dependant of 16 or over. Raises PermissionDenied when not allowed,
    not this practice's patient, or already reviewed."""
    staff, link = _pending_link(session, staff, link_id)
    _decide_link(session, staff, link, "approved", "", "dependant_approved", "dependant_approved")


def decline_dependant(session: Session, staff: StaffContext | None, link_id: object, *, reason: str) -> str | None:
    """Refuse a dependant of 16 or over, with a reason the account holder sees when signed in."""
    staff, link = _pending_link(session, staff, link_id)
    try:
        text = clean_text(reason if isinstance(reason, str) else "", label="a reason the patient will see", max_length=REASON_MAX)
    except FieldError as error:
        return error.message
    _decide_link(session, staff, link, "rejected", text, "dependant_declined", "dependant_declined")
    return None


def remove_holder(session: Session, staff: StaffContext | None, link_id: object) -> None:
    """"Remove" on the patient's record: take a parent, carer or care home (any link but the
    patient's own account) off this practice's patient. The patient stays with everyone else who
    holds them; the removed account can no longer act for them or see their requests, loses any
    request for them it was still writing, and is emailed (without the patient's name). Adding
    them again later waits for the practice's approval. Raises PermissionDenied when not allowed
    or not a holder of this practice's patient."""
    staff = require(staff, Action.REMOVE_HOLDER)
    key = _strict_id(link_id)
    found = (
        session.exec(
            select(AccountPatient, Patient)
            .join(Patient, col(Patient.id) == AccountPatient.patient_id)
            .where(AccountPatient.id == key)
        ).first()
        if key is not None
        else None
    )
    if found is None or found[1].practice_id != staff.practice_id or found[0].relationship == "self":
        raise PermissionDenied(HOLDER_NOT_FOUND)
    link, patient = found
    drafts = session.exec(  # type: ignore[call-overload]
        delete(Request)
        .where(col(Request.account_id) == link.account_id, col(Request.patient_id) == patient.id, col(Request.status) == "draft")
        .execution_options(synchronize_session=False)
    ).rowcount
    detail = {"link_id": link.id, "relationship": link.relationship, "approval_status": link.approval_status, "drafts_deleted": drafts}
    account = session.get(Account, link.account_id)
    session.delete(link)
    session.flush()
    emailed = 0
    if account is not None and account.status == "active" and account.kind == "patient" and account.email:
        notifications.enqueue_email(session, to=account.email, template="holder_removed", practice_name=_practice_name(session, staff.practice_id))
        emailed = 1
    _audit(session, staff, "holder_removed", patient_id=patient.id, account_id=link.account_id, detail={**detail, "emails": emailed})


# --------------------------------------------------------------------------------------------------
# 8. The audit trail
# --------------------------------------------------------------------------------------------------

_ACTOR_KINDS = {"patient": "Patient", "system": "System", "anonymous": "Not signed in"}


def _detail_summary(event: AuditEvent) -> str:
    parts = []
    for key, value in sorted(audit.event_detail(event).items()):
        if isinstance(value, list | tuple):
            value = ", ".join(str(item) for item in value) or "none"
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        elif isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items())
        parts.append(f"{key.replace('_', ' ')}: {value}")
    return "; ".join(parts)


def audit_trail(session: Session, staff: StaffContext | None, patient_id: object, *, limit: int = 200) -> list[AuditRow]:
    """Who did what to this patient's record, newest first (admins only). Reading it is audited."""
    staff, patient = _patient(session, staff, Action.VIEW_AUDIT_TRAIL, patient_id)
    events = audit.trail(session, patient_id=patient.id, limit=max(1, min(int(limit), 1000)))
    staff_ids = {e.actor_account_id for e in events if e.actor_kind == STAFF and e.actor_account_id is not None}
    names = (
        dict(
            session.exec(
                select(StaffMember.account_id, StaffMember.display_name).where(col(StaffMember.account_id).in_(staff_ids))
            ).all()
        )
        if staff_ids
        else {}
    )
    rows = [
        AuditRow(
            at=_datetime_display(event.at),
            action=event.action,
            actor=(
                names.get(event.actor_account_id, "Practice staff")  # type: ignore[arg-type]
                if event.actor_kind == STAFF
                else _ACTOR_KINDS.get(event.actor_kind, event.actor_kind)
            ),
            detail=_detail_summary(event),
        )
        for event in events
    ]
    _audit(session, staff, "audit_trail_viewed", patient_id=patient.id, detail={"results": len(rows)})
    return rows
