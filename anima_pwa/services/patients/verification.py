"""Automatic verification of a person against their practice's register.

A person is verified when exactly one register entry at the chosen practice is the same person:

- with an NHS number: the entry with that number, whose date of birth matches and whose name
  or postcode matches;
- without one: the single entry with the same date of birth, postcode and name.

Names are compared the way people write them: case, accents, spacing, hyphens and apostrophes
don't matter, and middle names on either side are ignored (first given name and family name
must agree). Anything less certain goes to the practice for manual verification: the person sees
that their account couldn't be verified yet, and the practice is told.

NHS numbers and claims: only a verified record owns its NHS number (a partial unique index in the
database). A pending or rejected record is a claim: it may share its number with other claims and
never blocks anyone. A record whose number a verified record already has is never verified
automatically, whatever it matches: it waits for the practice with a reason (for staff only) that
names the conflict, and the person sees exactly what anyone else whose details didn't match sees.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from anima_pwa.models import Account, AccountPatient, Patient, Practice, PracticeRegisterEntry, id_of
from anima_pwa.services.platform import clock

VERIFIED = "verified"
PENDING = "pending"
REJECTED = "rejected"


# Latin letters that Unicode does not decompose into a base letter and an accent, so NFKD alone
# would drop them ("Łukasz" -> "ukasz") and they would never match their plain spelling.
_PLAIN_LETTERS = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i", "ħ": "h", "ŧ": "t"}
)


def name_tokens(name: str) -> list[str]:
    """Lower-case ASCII words of a name: "O'Brien-Smith  Zoë" -> ["obriensmith", "zoe"]."""
    decomposed = unicodedata.normalize("NFKD", name)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().translate(_PLAIN_LETTERS)
    ascii_only = re.sub(r"['’`.\-]", "", ascii_only)
    return [t for t in re.split(r"[^a-z]+", ascii_only) if t]


def names_match(full_name: str, given_names: str, family_name: str) -> bool:
    """True when first given name and family name agree; middle names are ignored on both sides.

    Double-barrelled family names written with a space ("Smith Jones") match "Smith-Jones".
    """
    entered = name_tokens(full_name)
    given = name_tokens(given_names)
    family = "".join(name_tokens(family_name))
    if len(entered) < 2 or not given or not family:
        return False
    if entered[0] != given[0]:
        return False
    # The family name is the last word, or the last few words joined (a spaced double-barrel).
    return any("".join(entered[i:]) == family for i in range(1, len(entered)))


def _postcode_key(postcode: str) -> str:
    return re.sub(r"\s+", "", postcode).upper()


@dataclass(frozen=True)
class MatchResult:
    entry: PracticeRegisterEntry | None
    reason: str  # why not, for the practice's pending list ("" when matched)

    @property
    def matched(self) -> bool:
        return self.entry is not None


def match_register(
    session: Session,
    *,
    practice_id: int,
    full_name: str,
    date_of_birth: date,
    postcode: str,
    nhs_number: str | None,
) -> MatchResult:
    if nhs_number:
        entry = session.exec(
            select(PracticeRegisterEntry).where(
                PracticeRegisterEntry.practice_id == practice_id,
                PracticeRegisterEntry.nhs_number == nhs_number,
            )
        ).first()
        if entry is None:
            return MatchResult(None, "NHS number not found on the practice register")
        if entry.date_of_birth != date_of_birth:
            return MatchResult(None, "Date of birth differs from the practice register")
        if not (
            names_match(full_name, entry.given_names, entry.family_name)
            or _postcode_key(entry.postcode) == _postcode_key(postcode)
        ):
            return MatchResult(None, "Name and postcode differ from the practice register")
        return MatchResult(entry, "")

    candidates = session.exec(
        select(PracticeRegisterEntry).where(
            PracticeRegisterEntry.practice_id == practice_id,
            PracticeRegisterEntry.date_of_birth == date_of_birth,
        )
    ).all()
    matches = [
        e
        for e in candidates
        if _postcode_key(e.postcode) == _postcode_key(postcode) and names_match(full_name, e.given_names, e.family_name)
    ]
    if len(matches) == 1:
        return MatchResult(matches[0], "")
    if len(matches) > 1:
        return MatchResult(None, "More than one person on the register matches")
    return MatchResult(None, "No one on the practice register matches the name, date of birth and postcode")


def verified_owner(session: Session, nhs_number: str | None, *, exclude_id: int | None = None) -> Patient | None:
    """The verified record that owns this NHS number (there is at most one), other than ``exclude_id``."""
    if not nhs_number:
        return None
    query = select(Patient).where(Patient.nhs_number == nhs_number, Patient.verification_status == VERIFIED)
    if exclude_id is not None:
        query = query.where(Patient.id != exclude_id)
    return session.exec(query).first()


def has_own_account(session: Session, patient_id: int) -> bool:
    """True if an active account signs in as this person (their "self" link)."""
    return (
        session.exec(
            select(AccountPatient.id)
            .join(Account, col(Account.id) == AccountPatient.account_id)
            .where(
                AccountPatient.patient_id == patient_id,
                AccountPatient.relationship == "self",
                Account.status == "active",
            )
        ).first()
        is not None
    )


def same_person_name(typed: str, recorded: str) -> bool:
    """The typed name matches a stored full name, however that one splits into given and family
    names ("Amy Jane Smith", "Amy Smith Jones"): first given name and family name must agree."""
    words = recorded.split()
    return any(names_match(typed, " ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words)))


def conflict_reason(session: Session, claim: Patient, owner: Patient) -> str:
    """Why a claim waits for the practice, for staff only: who already owns its NHS number."""
    where = "" if owner.practice_id == claim.practice_id else " at another practice"
    if has_own_account(session, id_of(owner)):
        return f"NHS number already belongs to a verified patient{where} who has their own Anima account"
    if owner.date_of_birth == claim.date_of_birth and same_person_name(claim.full_name, owner.full_name):
        return f"NHS number already belongs to a verified patient record{where} with the same name and date of birth"
    return f"NHS number already belongs to a verified patient record{where} whose details differ"


RACED = "Another patient record with this NHS number was verified at the same moment"


def verify_patient(session: Session, patient: Patient, *, now: datetime | None = None) -> MatchResult:
    """Try automatic verification and record the outcome on the patient.

    A record is verified only if it matches the register and no other verified record owns its NHS
    number; otherwise it is pending, with the reason for the practice. ``patient`` must already be
    flushed (it has an id).
    """
    now = now or clock.utcnow()
    result = match_register(
        session,
        practice_id=patient.practice_id,
        full_name=patient.full_name,
        date_of_birth=patient.date_of_birth,
        postcode=patient.postcode,
        nhs_number=patient.nhs_number,
    )
    # Without a number typed, a match gives the register's number: the claim carries it either
    # way, so the practice sees it beside the record that owns it.
    number = patient.nhs_number or (result.entry.nhs_number if result.entry is not None else None)
    owner = verified_owner(session, number, exclude_id=patient.id)
    if owner is not None:
        patient.nhs_number = number
        reason = conflict_reason(session, patient, owner)
        result = MatchResult(None, reason if result.matched else f"{reason}. {result.reason}")
    if result.entry is not None:
        try:
            # A savepoint: if another record with this number is verified between the check above
            # and here, the unique index refuses this one and it waits for the practice instead.
            with session.begin_nested():
                patient.nhs_number = number
                patient.verification_status = VERIFIED
                patient.verified_at = now
                patient.register_entry_id = result.entry.id
                patient.verification_note = ""
                patient.updated_at = now
                session.add(patient)
                session.flush()
            return result
        except IntegrityError:
            session.refresh(patient)
            patient.nhs_number = number
            result = MatchResult(None, RACED)
    patient.verification_status = PENDING
    patient.verification_note = result.reason[:500]
    patient.updated_at = now
    session.add(patient)
    session.flush()
    return result


@dataclass(frozen=True)
class PendingVerification:
    patient_id: int
    full_name: str
    date_of_birth: date
    nhs_number: str | None
    postcode: str
    practice_ods_code: str
    practice_name: str
    submitted_at: datetime
    reason: str
    holders: int  # accounts that hold this person


def pending_verifications(
    session: Session, *, practice_id: int | None = None, limit: int = 200
) -> list[PendingVerification]:
    """People waiting for their practice to verify them by hand, oldest first."""
    holders_count = (
        select(func.count(col(AccountPatient.id)))
        .where(AccountPatient.patient_id == Patient.id)
        .correlate(Patient)
        .scalar_subquery()
    )
    query = (
        select(Patient, Practice, holders_count)
        .join(Practice, col(Practice.id) == Patient.practice_id)
        .where(Patient.verification_status == PENDING)
        .order_by(col(Patient.created_at), col(Patient.id))
        .limit(limit)
    )
    if practice_id is not None:
        query = query.where(Patient.practice_id == practice_id)
    rows = session.exec(query).all()
    out = []
    for patient, practice, holders in rows:
        out.append(
            PendingVerification(
                patient_id=id_of(patient),
                full_name=patient.full_name,
                date_of_birth=patient.date_of_birth,
                nhs_number=patient.nhs_number,
                postcode=patient.postcode,
                practice_ods_code=practice.ods_code,
                practice_name=practice.name,
                submitted_at=patient.created_at,
                reason=patient.verification_note,
                holders=holders,
            )
        )
    return out
