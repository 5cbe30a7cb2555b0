"""Dependants: the people a patient account holds besides its holder (children, elderly relatives,
care-home residents), and who a request can be made for.

Every function takes the signed-in ``Identity`` and acts only for ``identity.account_id``, and only
for a patient account. Ids the browser sends (link ids, patient ids) are checked against that
account's own links: another account's id gets the same answer as one that does not exist.

Rules (from the patient guide, and the practice's duty to check who may act for a person):

- a dependant is registered at the holder's practice (the form has no practice field), and the
  NHS number is required; dummy care-home numbers (999 999 ...) are refused;
- someone with their own Anima account shouldn't be a dependant: they sign in themselves. Saying
  so would tell whoever typed their details that they have an account, so such a request goes to
  the practice to decide, like any link to a person Anima already knows (below);
- the first holder of a new person is checked against the practice register, on their own (the
  holder may still be waiting for verification); if that fails the practice is told, as for a
  holder. A dependant aged 16 or over needs the practice's approval before requests are made;
- several accounts may hold the same person (both parents). When the details match the verified
  record that owns the NHS number, the account is linked to that record, never a copy, but the
  link waits for the practice's approval (a second holder, or a record no one holds now), the
  people who hold them (and the person, if they have their own account) are emailed, and nothing
  of theirs is shown until the practice approves;
- when the details don't match the record that owns the number, or it is at another practice, the
  form makes a new record, a claim, which waits for the practice like any person not on the
  register: the answer is the same as for an NHS number Anima has never seen, so it tells a
  stranger nothing. A claim never owns the number (services/patients/verification.py);
- messages about a dependant go to the accounts that may act for them (``holders_contacts``).

``add_dependant`` counts each attempt that reaches the NHS-number look-up (at most
``ADD_LIMIT.max_hits`` an hour per account), because its answers say whether a number is known.
The count is written in the caller's session: commit it even when errors are returned (nothing
else is written then).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from anima_pwa.models import Account, AccountPatient, Patient, Practice, id_of
from anima_pwa.services.identity import ratelimit
from anima_pwa.services.identity.ratelimit import Limit
from anima_pwa.services.identity.sessions import Identity
from anima_pwa.services.patients import verification
from anima_pwa.services.patients.registration import self_patient
from anima_pwa.services.platform import audit, clock, notifications
from anima_pwa.services.platform.results import Result, failed
from anima_pwa.services.platform.validation import (
    FieldError,
    age_on,
    clean_date_of_birth,
    clean_full_name,
    clean_nhs_number,
    clean_postcode,
)

__all__ = [
    "ADD_LIMIT",
    "AGE_16_PLUS",
    "APPROVAL_AGE",
    "EXISTING_RECORD",
    "OWN_ACCOUNT_REASON",
    "SECOND_HOLDER",
    "FIELD_ORDER",
    "HELD_RELATIONSHIPS",
    "AddOutcome",
    "DependantForm",
    "DependantRow",
    "Subject",
    "add_dependant",
    "can_act_for",
    "display_date",
    "holder_accounts",
    "holders_contacts",
    "list_dependants",
    "remove_dependant",
    "request_subjects",
]

# From this age the practice approves a dependant before requests can be made for them.
APPROVAL_AGE = 16
# Why a link waits for the practice (AccountPatient.approval_reason).
AGE_16_PLUS = "age_16_plus"  # a new record of someone 16 or over
SECOND_HOLDER = "second_holder"  # other accounts already hold them
EXISTING_RECORD = "existing_record"  # a verified record no account holds now (made by the practice, or let go)
OWN_ACCOUNT_REASON = "own_account"  # they have their own account
HELD_RELATIONSHIPS = ("dependant", "care_home")
ALL_RELATIONSHIPS = ("self", *HELD_RELATIONSHIPS)
REQUESTABLE_APPROVALS = frozenset({"not_needed", "approved"})

ADD_LIMIT = Limit("dependant_add_account", 10, timedelta(hours=1))

# The order fields appear on the page, for the error summary.
FIELD_ORDER = ["full_name", "dob", "nhs_number", "postcode", "registered_here", "form"]

NOT_PATIENT = "Only patient accounts can have dependants."
NOT_FOUND = "We could not find that dependant on your account."
ALREADY_HELD = "They are already on your account"
YOURSELF = "You can't add yourself as a dependant"
CONFIRM_REGISTERED = "Confirm they are registered at your GP practice"

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass
class DependantForm:
    """Exactly what the person typed; nothing here is trusted."""

    full_name: str = ""
    dob_day: str = ""
    dob_month: str = ""
    dob_year: str = ""
    nhs_number: str = ""
    postcode: str = ""  # only if different to the holder's
    registered_here: bool = False


@dataclass(frozen=True)
class AddOutcome(Result):
    status: str = ""  # the dependant's verification status: verified | pending | rejected
    linked_existing: bool = False  # True when linked to the verified record that owns the number
    approval_status: str = ""  # not_needed | pending
    approval_reason: str = ""  # why approval is needed: AGE_16_PLUS, SECOND_HOLDER, ...


@dataclass(frozen=True)
class DependantRow:
    """One person this account holds, for the "Dependants & children" page."""

    link_id: int
    patient_id: int
    full_name: str
    date_of_birth: str  # "9 May 2019"
    age: int
    relationship: str  # dependant | care_home
    verification_status: str
    approval_status: str
    can_make_requests: bool
    why_not: str  # plain English, "" when requests can be made
    others_asking: bool = False  # another account has asked to be linked to them: the practice will decide


@dataclass(frozen=True)
class Subject:
    """An answer to "Who is this request for?"."""

    patient_id: int
    label: str  # "You" or their name
    can_request: bool
    why_not: str


# Helpers -----------------------------------------------------------------------------------------


def display_date(value: date) -> str:
    """9 May 2019 (no leading zero, English month whatever the server's locale)."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _patient_account(session: Session, identity: Identity) -> Account | None:
    """The signed-in account, read afresh: None unless it is an active patient account."""
    if identity.kind != "patient":
        return None
    account = session.get(Account, identity.account_id)
    if account is None or account.status != "active" or account.kind != "patient":
        return None
    return account


def _their(message: str) -> str:
    """Validation messages speak to the holder about themself; here they are about someone else."""
    return "Enter their " + message[len("Enter your ") :] if message.startswith("Enter your ") else message


def _clean(field_name: str, errors: dict[str, str], func, *args, **kwargs):
    try:
        return func(*args, **kwargs)
    except FieldError as error:
        errors[field_name] = _their(error.message)
        return None


def _ordered(errors: dict[str, str]) -> dict[str, str]:
    return {k: errors[k] for k in FIELD_ORDER if k in errors}


def _blocker(patient: Patient, approval_status: str | None, approval_reason: str = AGE_16_PLUS) -> str:
    """Why requests can't be made for this person ("" if they can); ``approval_status`` is None
    for the holder themself."""
    holder = approval_status is None
    if patient.verification_status == verification.PENDING:
        return "Waiting for your practice to verify you" if holder else "Waiting for your practice to verify them"
    if patient.verification_status != verification.VERIFIED:
        base = "Your practice could not verify your details" if holder else "Your practice could not verify them"
        return f"{base}: {patient.verification_note}" if patient.verification_note else base
    if holder or approval_status in REQUESTABLE_APPROVALS:
        return ""
    if approval_status == "pending" and approval_reason in (AGE_16_PLUS, ""):  # "": from before reasons
        return f"Waiting for your practice to approve adding them (they are {APPROVAL_AGE} or over)"
    if approval_status == "pending":
        return "Waiting for your practice to approve adding them. Until then you can't send requests for them or see their requests"
    if approval_status == "rejected":
        return "Your practice did not approve adding them"
    return "Your practice has not approved adding them"  # an unknown status: fail closed


def _why_not(patient: Patient, link: AccountPatient | None) -> str:
    reason = _blocker(
        patient, None if link is None else link.approval_status, "" if link is None else link.approval_reason
    )
    if link is not None and reason == "Your practice did not approve adding them" and link.approval_note:
        reason = f"{reason}: {link.approval_note}"
    return reason


def _held(session: Session, account_id: int) -> list[tuple[AccountPatient, Patient]]:
    rows = session.exec(
        select(AccountPatient, Patient)
        .join(Patient, col(Patient.id) == AccountPatient.patient_id)
        .where(AccountPatient.account_id == account_id, col(AccountPatient.relationship).in_(HELD_RELATIONSHIPS))
        .order_by(col(AccountPatient.created_at), col(AccountPatient.id))
    ).all()
    return [(link, patient) for link, patient in rows]


# Listing -----------------------------------------------------------------------------------------


def list_dependants(session: Session, identity: Identity, *, today: date | None = None) -> list[DependantRow]:
    """The people this account holds (not the holder), in the order they were added."""
    if _patient_account(session, identity) is None:
        return []
    today = today or clock.today()  # ages turn over at UK midnight
    held = _held(session, identity.account_id)
    # People this account may act for who have someone else's link waiting for the practice.
    acting = [patient.id for link, patient in held if link.approval_status in REQUESTABLE_APPROVALS]
    asked = (
        set(
            session.exec(
                select(AccountPatient.patient_id).where(
                    col(AccountPatient.patient_id).in_(acting),
                    AccountPatient.account_id != identity.account_id,
                    AccountPatient.approval_status == "pending",
                )
            ).all()
        )
        if acting
        else set()
    )
    out = []
    for link, patient in held:
        reason = _why_not(patient, link)
        out.append(
            DependantRow(
                link_id=id_of(link),
                patient_id=id_of(patient),
                full_name=patient.full_name,
                date_of_birth=display_date(patient.date_of_birth),
                age=age_on(patient.date_of_birth, today),
                relationship=link.relationship,
                verification_status=patient.verification_status,
                approval_status=link.approval_status,
                can_make_requests=not reason,
                why_not=reason,
                others_asking=patient.id in asked,
            )
        )
    return out


def request_subjects(session: Session, identity: Identity) -> list[Subject]:
    """Who this account can choose for a request: the holder first ("You"), then each dependant.

    ``can_request`` is True when the person is verified and, for a dependant, the link needs no
    approval or has been approved.
    """
    if _patient_account(session, identity) is None:
        return []
    out = []
    holder = self_patient(session, identity.account_id)
    # A care home's own record stands for the home, not a person: requests are for its residents.
    if holder is not None and not holder.is_care_home:
        reason = _why_not(holder, None)
        out.append(Subject(patient_id=id_of(holder), label="You", can_request=not reason, why_not=reason))
    for link, patient in _held(session, identity.account_id):
        reason = _why_not(patient, link)
        out.append(Subject(patient_id=id_of(patient), label=patient.full_name, can_request=not reason, why_not=reason))
    return out


def _acting_link():
    """Links through which an account may act for someone: their own, or needing no approval or approved."""
    return (col(AccountPatient.relationship) == "self") | col(AccountPatient.approval_status).in_(REQUESTABLE_APPROVALS)


def can_act_for(session: Session, identity: Identity, patient_id: object) -> bool:
    """True if this (patient) account holds the patient by any link: self, dependant or care home,
    approved or not.

    An ownership check only: whether a request may be made for them, or their requests shown, is
    ``request_subjects`` (a link waiting for the practice's approval gives neither).
    """
    if identity.kind != "patient" or not _is_id(patient_id):
        return False
    return (
        session.exec(
            select(AccountPatient.id).where(
                AccountPatient.account_id == identity.account_id, AccountPatient.patient_id == patient_id
            )
        ).first()
        is not None
    )


def holder_accounts(session: Session, patient_id: int) -> list[Account]:
    """Every active account that may act for the patient (self, and dependant or care-home links
    needing no approval or approved), in the order they were linked, one per email address. A link
    waiting for the practice gets nothing about the person."""
    rows = session.exec(
        select(Account)
        .join(AccountPatient, col(AccountPatient.account_id) == Account.id)
        .where(
            AccountPatient.patient_id == patient_id,
            col(AccountPatient.relationship).in_(ALL_RELATIONSHIPS),
            _acting_link(),
            Account.status == "active",
            Account.kind == "patient",
        )
        .order_by(col(AccountPatient.created_at), col(AccountPatient.id))
    ).all()
    seen: set[str] = set()
    out = []
    for account in rows:
        key = account.email.strip().lower()
        if key and key not in seen:
            seen.add(key)
            out.append(account)
    return out


def holders_contacts(session: Session, patient_id: int) -> list[str]:
    """Email addresses of every account that may act for the patient (``holder_accounts``)."""
    return [account.email for account in holder_accounts(session, patient_id)]


# Adding ------------------------------------------------------------------------------------------


def _link_reason(session: Session, owner: Patient, account_id: int) -> str:
    """Why linking ``account_id`` to the verified record ``owner`` needs the practice's approval."""
    if verification.has_own_account(session, id_of(owner)):
        return OWN_ACCOUNT_REASON
    others = session.exec(  # holding them, or asking to (not refused)
        select(AccountPatient.id).where(
            AccountPatient.patient_id == owner.id,
            AccountPatient.account_id != account_id,
            AccountPatient.relationship != "self",
            AccountPatient.approval_status != "rejected",
        )
    ).first()
    return SECOND_HOLDER if others is not None else EXISTING_RECORD


def _tell_those_who_act_for(session: Session, patient: Patient, practice: Practice) -> int:
    """Email everyone who may act for ``patient`` that someone asked to be linked to them: no
    names, nothing clinical (they see who in the app). Returns how many were emailed."""
    own = session.exec(
        select(Account.email_normalized)
        .join(AccountPatient, col(AccountPatient.account_id) == Account.id)
        .where(AccountPatient.patient_id == patient.id, AccountPatient.relationship == "self")
    ).first()
    sent = 0
    for address in holders_contacts(session, id_of(patient)):
        template = "holder_link_requested_self" if own and address.strip().lower() == own else "holder_link_requested"
        notifications.enqueue_email(session, to=address, template=template, practice_name=practice.name)
        sent += 1
    return sent


def add_dependant(
    session: Session,
    identity: Identity,
    form: DependantForm,
    *,
    client_ip: str = "",
    today: date | None = None,
) -> AddOutcome:
    """ "Add new dependant": link a person at the holder's practice to this account.

    Either the person (when new), the link, the verification outcome, the practice's email and
    the audit row are all saved, or nothing but the attempt count is and each field says what is
    wrong.
    """
    now = clock.utcnow()
    today = today or clock.today(now)  # the UK date: a birthday turns over at UK midnight
    if _patient_account(session, identity) is None:
        return AddOutcome(errors={"form": NOT_PATIENT})
    holder = self_patient(session, identity.account_id)
    if holder is None:
        return AddOutcome(errors={"form": "Give your own details before adding a dependant."})
    if holder.verification_status == verification.REJECTED:
        return AddOutcome(
            errors={
                "form": "Your practice could not verify your details, so you can't add dependants. Contact your practice."
            }
        )
    practice = session.get(Practice, holder.practice_id)
    if practice is None:  # pragma: no cover - the foreign key forbids it
        return AddOutcome(errors={"form": NOT_PATIENT})

    errors: dict[str, str] = {}
    full_name = _clean("full_name", errors, clean_full_name, form.full_name)
    dob = _clean("dob", errors, clean_date_of_birth, form.dob_day, form.dob_month, form.dob_year, today=today)
    nhs_number = _clean("nhs_number", errors, clean_nhs_number, form.nhs_number, required=True)
    postcode = holder.postcode
    if (form.postcode or "").strip():
        postcode = _clean("postcode", errors, clean_postcode, form.postcode)
    if not form.registered_here:
        errors["registered_here"] = CONFIRM_REGISTERED
    if errors:
        return AddOutcome(errors=_ordered(errors))
    assert full_name and dob and nhs_number and postcode

    # From here the answer depends on who else is known: count the attempt.
    decision = ratelimit.hit(session, ADD_LIMIT, str(identity.account_id), now=now)
    if not decision.allowed:
        return AddOutcome(
            errors={"form": f"Too many attempts to add a dependant. {ratelimit.retry_message(decision.retry_after)}"}
        )

    if nhs_number == holder.nhs_number or (
        dob == holder.date_of_birth and verification.same_person_name(full_name, holder.full_name)
    ):
        return AddOutcome(errors={"nhs_number": YOURSELF})

    held_here = session.exec(
        select(AccountPatient.id)
        .join(Patient, col(Patient.id) == AccountPatient.patient_id)
        .where(AccountPatient.account_id == identity.account_id, Patient.nhs_number == nhs_number)
    ).first()
    if held_here is not None:  # the verified record or a claim of this account's own: they know
        return AddOutcome(errors={"nhs_number": ALREADY_HELD})

    # Only the verified record owns the number. Details that match it (at this practice) link to
    # it, pending the practice's approval; anything else is a new claim, verified or not against
    # the register like a person Anima has never seen, so the answer doesn't say the number is known.
    owner = verification.verified_owner(session, nhs_number)
    existing = None
    approval_reason = AGE_16_PLUS if age_on(dob, today) >= APPROVAL_AGE else ""
    if (
        owner is not None
        and owner.practice_id == holder.practice_id
        and owner.date_of_birth == dob
        and verification.same_person_name(full_name, owner.full_name)
    ):
        existing = owner
        approval_reason = _link_reason(session, owner, identity.account_id)
    approval_status = "pending" if approval_reason else "not_needed"

    result: verification.MatchResult | None = None
    try:
        # A savepoint: if another parent saves the same person (or this form is sent twice) between
        # the checks above and here, the unique indexes refuse it and only this attempt is undone.
        with session.begin_nested():
            if existing is None:
                patient = Patient(
                    full_name=full_name,
                    date_of_birth=dob,
                    nhs_number=nhs_number,
                    postcode=postcode,
                    phone_mobile="",  # messages go to the holders' contacts
                    practice_id=holder.practice_id,
                    created_at=now,
                    updated_at=now,
                )
                session.add(patient)
                session.flush()
            else:
                patient = existing
            session.add(
                AccountPatient(
                    account_id=identity.account_id,
                    patient_id=id_of(patient),
                    relationship="dependant",
                    approval_status=approval_status,
                    approval_reason=approval_reason,
                    created_at=now,
                )
            )
            session.flush()
            if existing is None:
                result = verification.verify_patient(session, patient, now=now)
    except IntegrityError:
        return AddOutcome(errors={"form": "They could not be added just now. Check the details and try again."})

    audit.record_holder(
        session,
        identity.account_id,
        "dependant_added",
        patient_id=patient.id,
        practice_id=patient.practice_id,
        ip=client_ip,
        detail={
            "linked_existing": existing is not None,
            "approval_status": approval_status,
            "approval_reason": approval_reason,
            "verification": patient.verification_status,
        },
    )
    if result is not None and not result.matched and practice.email:
        notifications.enqueue_email(
            session, to=practice.email, template="verification_pending_practice", practice_name=practice.name
        )
    if existing is not None:
        _tell_those_who_act_for(session, existing, practice)
        if practice.email:
            notifications.enqueue_email(
                session, to=practice.email, template="holder_approval_practice", practice_name=practice.name
            )
    session.flush()
    return AddOutcome(
        status=patient.verification_status,
        linked_existing=existing is not None,
        approval_status=approval_status,
        approval_reason=approval_reason,
    )


# Removing ----------------------------------------------------------------------------------------


def remove_dependant(session: Session, identity: Identity, link_id: object, *, client_ip: str = "") -> Result:
    """Take a dependant off this account; fails with the message to show (about the whole form).

    Only this account's dependant and care-home links can be removed (never its own "self" link);
    the person's record stays, since another account may still hold them.
    """
    if _patient_account(session, identity) is None:
        return failed(NOT_PATIENT)
    if not _is_id(link_id):
        return failed(NOT_FOUND)
    link = session.get(AccountPatient, link_id)
    if link is None or link.account_id != identity.account_id or link.relationship not in HELD_RELATIONSHIPS:
        return failed(NOT_FOUND)
    patient = session.get(Patient, link.patient_id)
    audit.record_holder(
        session,
        identity.account_id,
        "dependant_removed",
        patient_id=link.patient_id,
        practice_id=patient.practice_id if patient else None,
        ip=client_ip,
        detail={"relationship": link.relationship, "approval_status": link.approval_status},
    )
    session.delete(link)
    session.flush()
    return Result()
