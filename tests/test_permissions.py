"""The permission matrix for Patient Management: every role against every function, signed-out and
patient callers, who gets a staff context at all, other practices' patients and ids from a browser."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from sqlmodel import Session, col, select

from anima_pwa.models import AccountPatient, AuditEvent, OutboxMessage, Patient, StaffMember
from anima_pwa.services.identity import sessions
from anima_pwa.services.practice import (
    audit_trail,
    holders,
    patient_records,
    patient_search,
    permissions,
    verifications,
)
from anima_pwa.services.practice.permissions import (
    ADMIN,
    CLINICIAN,
    NOT_FOUND,
    RECEPTIONIST,
    ROLES,
    Action,
    PermissionDenied,
)
from tests.factories import (
    count,
    identity_of,
    link,
    make_account,
    make_patient,
    make_practice,
    make_staff,
    self_account,
)

EDIT = {
    "full_name": "Jo Bloggs",
    "dob_day": "1",
    "dob_month": "2",
    "dob_year": "1980",
    "postcode": "MB1 2AB",
    "address_line1": "2 Low Road",  # a change, so there is something to save and audit
    "phone": "",
    "housebound": False,
    "care_home_resident": False,
}


@dataclass(frozen=True)
class Scene:
    patient_id: int  # pending, with an account of their own, at practice A
    link_id: int  # a dependant of 16+ waiting for approval at practice A
    other_patient_id: int  # pending, with an account of their own, at practice B
    other_link_id: int  # waiting for approval at practice B


Call = Callable[[Session, "permissions.StaffContext | None", Scene], object]

# (function, the permission it needs, how to call it). Ids come from the scene so they are real.
CALLS: list[tuple[str, Action, Call]] = [
    (
        "search_patients",
        Action.SEARCH_PATIENTS,
        lambda db, staff, s: patient_search.search_patients(db, staff, "Jo Bloggs"),
    ),
    (
        "patient_detail",
        Action.VIEW_PATIENT,
        lambda db, staff, s: patient_records.patient_detail(db, staff, s.patient_id),
    ),
    (
        "update_patient",
        Action.EDIT_PATIENT,
        lambda db, staff, s: patient_records.update_patient(db, staff, s.patient_id, **EDIT),
    ),
    (
        "remove_patient_email",
        Action.REMOVE_PATIENT_EMAIL,
        lambda db, staff, s: patient_records.remove_patient_email(db, staff, s.patient_id, confirmed_no_email=True),
    ),
    ("verification_queue", Action.VERIFY_PATIENT, lambda db, staff, s: verifications.verification_queue(db, staff)),
    (
        "verify_patient",
        Action.VERIFY_PATIENT,
        lambda db, staff, s: verifications.verify_patient(db, staff, s.patient_id),
    ),
    (
        "reject_patient",
        Action.VERIFY_PATIENT,
        lambda db, staff, s: verifications.reject_patient(db, staff, s.patient_id, reason="Please call the practice"),
    ),
    (
        "approve_dependant",
        Action.VERIFY_PATIENT,
        lambda db, staff, s: verifications.approve_dependant(db, staff, s.link_id),
    ),
    (
        "decline_dependant",
        Action.VERIFY_PATIENT,
        lambda db, staff, s: verifications.decline_dependant(db, staff, s.link_id, reason="Please call the practice"),
    ),
    ("remove_holder", Action.REMOVE_HOLDER, lambda db, staff, s: holders.remove_holder(db, staff, s.link_id)),
    ("audit_trail", Action.VIEW_AUDIT_TRAIL, lambda db, staff, s: audit_trail.audit_trail(db, staff, s.patient_id)),
]
CALL_BY_NAME = {name: (action, call) for name, action, call in CALLS}

ALL = {name for name, _, _ in CALLS}
# The policy, written out: changing permissions.PERMISSIONS must change this table too.
EXPECTED: dict[str, set[str]] = {
    RECEPTIONIST: ALL - {"audit_trail"},
    CLINICIAN: ALL - {"audit_trail", "remove_patient_email"},
    ADMIN: ALL,
}

# Functions that take a patient id from the browser, and those that take a dependant link id.
BY_PATIENT_ID: dict[str, Callable[[Session, permissions.StaffContext, object], object]] = {
    "patient_detail": lambda db, staff, pid: patient_records.patient_detail(db, staff, pid),
    "update_patient": lambda db, staff, pid: patient_records.update_patient(db, staff, pid, **EDIT),
    "remove_patient_email": lambda db, staff, pid: patient_records.remove_patient_email(
        db, staff, pid, confirmed_no_email=True
    ),
    "verify_patient": lambda db, staff, pid: verifications.verify_patient(db, staff, pid),
    "reject_patient": lambda db, staff, pid: verifications.reject_patient(
        db, staff, pid, reason="Please call the practice"
    ),
    "audit_trail": lambda db, staff, pid: audit_trail.audit_trail(db, staff, pid),
}
BY_LINK_ID: dict[str, Callable[[Session, permissions.StaffContext, object], object]] = {
    "approve_dependant": lambda db, staff, lid: verifications.approve_dependant(db, staff, lid),
    "decline_dependant": lambda db, staff, lid: verifications.decline_dependant(
        db, staff, lid, reason="Please call the practice"
    ),
    "remove_holder": lambda db, staff, lid: holders.remove_holder(db, staff, lid),
}
LINK_NOT_FOUND = {"remove_holder": holders.HOLDER_NOT_FOUND}  # the others: verifications.LINK_NOT_FOUND

BAD_IDS = [
    "1 OR 1=1",
    None,
    "abc",
    "",
    " ",
    "1.0",
    1.5,
    True,
    False,
    -1,
    0,
    "9" * 30,
    2**40,
    "1; DROP TABLE patient",
    [1],
    {"id": 1},
    b"1",
]


@pytest.fixture
def scene(db_session: Session) -> Scene:
    a = make_practice(db_session, "A81001", "Riverside Surgery", email="a81001@nhs.example")
    b = make_practice(db_session, "B82002", "Hillside Practice", email="b82002@nhs.example")
    patient = make_patient(db_session, a, "Jo Bloggs", dob=date(1980, 2, 1), status="pending", email="jo@example.com")
    teen = make_patient(db_session, a, "Tia Bloggs", dob=date(2008, 1, 1))
    pending_link = link(db_session, self_account(db_session, patient), teen, "dependant", approval="pending")
    other = make_patient(db_session, b, "Jo Bloggs", dob=date(1980, 2, 1), status="pending", email="jo.b@example.com")
    other_teen = make_patient(db_session, b, "Tom Bloggs", dob=date(2008, 1, 1))
    other_link = link(db_session, self_account(db_session, other), other_teen, "dependant", approval="pending")
    db_session.commit()
    return Scene(patient.id, pending_link.id, other.id, other_link.id)  # type: ignore[arg-type]


def _practice_a(db: Session):
    from anima_pwa.models import Practice

    return db.exec(select(Practice).where(Practice.ods_code == "A81001")).one()


def written(db: Session) -> tuple[int, int]:
    """How many audit rows and emails exist."""
    return count(db, AuditEvent), count(db, OutboxMessage)


def snapshot(db: Session) -> list:
    """Every patient and link as plain values, to show nothing changed."""
    db.expire_all()
    patients = [p.model_dump() for p in db.exec(select(Patient).order_by(col(Patient.id))).all()]
    links = [x.model_dump() for x in db.exec(select(AccountPatient).order_by(col(AccountPatient.id))).all()]
    return [patients, links]


# --- the matrix ---------------------------------------------------------------------------------------


def test_the_table_matches_the_permission_module():
    for role in ROLES:
        assert {name for name, action, _ in CALLS if action in permissions.PERMISSIONS[role]} == EXPECTED[role], role


# The modules Patient Management is made of (patient_access holds the building blocks they share).
PATIENT_MANAGEMENT = (patient_search, patient_records, verifications, holders, audit_trail)


def test_every_public_function_is_in_the_matrix():
    public = {
        name
        for module in PATIENT_MANAGEMENT
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__
        and not name.startswith("_")
        and "staff" in inspect.signature(function).parameters
    }
    assert public == ALL


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", [name for name, _, _ in CALLS])
def test_role_matrix(db_session, scene, role, name):
    staff = make_staff(db_session, _practice_a(db_session), role)
    _, call = CALL_BY_NAME[name]
    before, counts = snapshot(db_session), written(db_session)
    if name in EXPECTED[role]:
        call(db_session, staff, scene)
        audited = db_session.exec(
            select(AuditEvent).where(AuditEvent.actor_account_id == staff.account_id, AuditEvent.actor_kind == "staff")
        ).all()
        assert audited, f"{name} wrote no audit row"
        assert {e.practice_id for e in audited} == {staff.practice_id}
    else:
        with pytest.raises(PermissionDenied) as denied:
            call(db_session, staff, scene)
        assert denied.value.message == "You do not have permission to do that."
        assert written(db_session) == counts
        assert snapshot(db_session) == before


def test_no_staff_context_is_refused_everything(db_session, scene):
    """A patient, or someone signed out, has no staff context: None."""
    before, counts = snapshot(db_session), written(db_session)
    for name, _, call in CALLS:
        with pytest.raises(PermissionDenied) as denied:
            call(db_session, None, scene)
        assert denied.value.message == "Sign in to the practice workspace to do that.", name
    assert written(db_session) == counts
    assert snapshot(db_session) == before


# --- who gets a staff context -------------------------------------------------------------------------


def _staff_identity(
    db: Session, *, method: str = "password+mfa", role: str = RECEPTIONIST, active: bool = True
) -> sessions.Identity:
    practice = _practice_a(db)
    account = make_account(db, f"{role}.{method}.{active}@nhs.example".replace("+", "-"), kind="staff")
    db.add(
        StaffMember(account_id=account.id, practice_id=practice.id, role=role, display_name="Sam Staff", active=active)
    )
    db.flush()
    return identity_of(account, method=method)


def test_staff_context_for_staff_signed_in_with_mfa(db_session, scene):
    identity = _staff_identity(db_session, role=CLINICIAN)
    context = permissions.staff_context(db_session, identity)
    assert context is not None
    assert (context.account_id, context.practice_id, context.role, context.display_name) == (
        identity.account_id,
        _practice_a(db_session).id,
        CLINICIAN,
        "Sam Staff",
    )


def test_staff_context_through_a_real_session(db_session, scene):
    identity = _staff_identity(db_session)
    from anima_pwa.models import Account

    account = db_session.get(Account, identity.account_id)
    token = sessions.start(db_session, account, method="password+mfa")  # type: ignore[arg-type]
    assert permissions.staff_context(db_session, sessions.resolve(db_session, token)) is not None
    sessions.end(db_session, token)
    assert permissions.staff_context(db_session, sessions.resolve(db_session, token)) is None
    password_only = sessions.start(db_session, account, method="password")  # type: ignore[arg-type]
    assert permissions.staff_context(db_session, sessions.resolve(db_session, password_only)) is None


def test_no_staff_context_without_mfa(db_session, scene):
    for method in ["password", "nhs_login", "", "PASSWORD+MFA"]:
        assert permissions.staff_context(db_session, _staff_identity(db_session, method=method)) is None, method


def test_no_staff_context_for_a_patient(db_session, scene):
    patient = self_account(db_session, db_session.get(Patient, scene.patient_id))
    for kind in ("patient", "staff"):  # even a patient account claiming to be staff has no StaffMember
        identity = sessions.Identity(patient.id, patient.email, kind, "s" * 64, "password+mfa")  # type: ignore[arg-type]
        assert permissions.staff_context(db_session, identity) is None
    assert permissions.staff_context(db_session, None) is None


def test_no_staff_context_when_inactive_or_unknown_role(db_session, scene):
    assert permissions.staff_context(db_session, _staff_identity(db_session, active=False)) is None
    assert permissions.staff_context(db_session, _staff_identity(db_session, role="superuser")) is None


def test_a_patient_identity_cannot_use_a_staff_members_account(db_session, scene):
    """The staff row belongs to the account, but a patient-kind identity never gets a context."""
    identity = _staff_identity(db_session)
    as_patient = sessions.Identity(identity.account_id, identity.email, "patient", identity.session_id, identity.method)
    assert permissions.staff_context(db_session, as_patient) is None


# --- other practices' patients, and ids from the browser -----------------------------------------------


def test_another_practices_patient_is_not_found(db_session, scene):
    admin = make_staff(db_session, _practice_a(db_session), ADMIN)
    before, counts = snapshot(db_session), written(db_session)
    for name, call in BY_PATIENT_ID.items():
        messages = []
        for patient_id in (scene.other_patient_id, 999_999, str(scene.other_patient_id)):
            with pytest.raises(PermissionDenied) as denied:
                call(db_session, admin, patient_id)
            messages.append(denied.value.message)
        assert messages == [NOT_FOUND] * 3, name  # identical to a patient who doesn't exist
    assert written(db_session) == counts
    assert snapshot(db_session) == before


def test_another_practices_dependant_is_not_found(db_session, scene):
    admin = make_staff(db_session, _practice_a(db_session), ADMIN)
    before, counts = snapshot(db_session), written(db_session)
    for name, call in BY_LINK_ID.items():
        messages = []
        for link_id in (scene.other_link_id, 999_999):
            with pytest.raises(PermissionDenied) as denied:
                call(db_session, admin, link_id)
            messages.append(denied.value.message)
        assert messages == [LINK_NOT_FOUND.get(name, verifications.LINK_NOT_FOUND)] * 2, name
    assert written(db_session) == counts
    assert snapshot(db_session) == before


def test_ids_that_are_not_ids_are_refused(db_session, scene):
    admin = make_staff(db_session, _practice_a(db_session), ADMIN)
    before, counts = snapshot(db_session), written(db_session)
    for name, call in [*BY_PATIENT_ID.items(), *BY_LINK_ID.items()]:
        expected = NOT_FOUND if name in BY_PATIENT_ID else LINK_NOT_FOUND.get(name, verifications.LINK_NOT_FOUND)
        for bad in BAD_IDS:
            with pytest.raises(PermissionDenied) as denied:
                call(db_session, admin, bad)
            assert denied.value.message == expected, (name, bad)
    assert written(db_session) == counts
    assert snapshot(db_session) == before


@pytest.mark.parametrize("name", ["patient_detail", "approve_dependant"])
def test_ids_as_strings_of_digits_work(db_session, scene, name):
    """The browser sends strings."""
    admin = make_staff(db_session, _practice_a(db_session), ADMIN)
    if name == "patient_detail":
        assert patient_records.patient_detail(db_session, admin, f" {scene.patient_id} ").id == scene.patient_id
    else:
        verifications.approve_dependant(db_session, admin, str(scene.link_id))
        assert db_session.get(AccountPatient, scene.link_id).approval_status == "approved"  # type: ignore[union-attr]


def test_a_staff_member_moved_to_another_practice_loses_access(db_session, scene):
    """The context is built per session from the StaffMember row, so a move takes effect at once."""
    identity = _staff_identity(db_session, role=ADMIN)
    context = permissions.staff_context(db_session, identity)
    patient_records.patient_detail(db_session, context, scene.patient_id)
    member = db_session.exec(select(StaffMember).where(StaffMember.account_id == identity.account_id)).one()
    other = db_session.get(Patient, scene.other_patient_id)
    member.practice_id = other.practice_id  # type: ignore[union-attr]
    db_session.add(member)
    db_session.flush()
    moved = permissions.staff_context(db_session, identity)
    with pytest.raises(PermissionDenied):
        patient_records.patient_detail(db_session, moved, scene.patient_id)
    assert patient_records.patient_detail(db_session, moved, scene.other_patient_id).full_name == "Jo Bloggs"


@pytest.mark.parametrize(
    "value, expected",
    [
        (7, 7),
        ("7", 7),
        (True, None),
        (1.5, None),
        ("1 OR 1=1", None),
        ("-1", None),
        (0, None),
        (2**40, None),
        ("9" * 20, None),
        (None, None),
        ("٣", None),
    ],
)
def test_record_id_accepts_only_plain_positive_ids(value, expected):
    assert permissions.record_id(value) == expected
