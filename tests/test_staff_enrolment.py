"""A new member of staff enrols MFA through a single-use link emailed to them, never by being the
first to sign in with the password; without MFA a staff account can't sign in at all."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlmodel import Session, select

from anima_pwa import routes
from anima_pwa.models import Account, AuthSession, OneTimeToken, RecoveryCode, utcnow
from anima_pwa.services.identity import accounts, mfa, recovery_codes, sessions
from anima_pwa.services.identity.accounts import FORM, STAFF_NEEDS_MFA, WRONG_CREDENTIALS
from anima_pwa.services.platform import audit
from anima_pwa.services.practice import permissions, staff
from tests.factories import audit_actions, audit_events, count, link_token, make_practice, outbox

BASE = "https://anima.example"
IP = "203.0.113.40"
PASSWORD = "Heron-Meadow-42"
EMAIL = "Ann.Lee@Example.org"

pytestmark = pytest.mark.usefixtures("cheap_argon2")


def new_staff(db: Session, email: str = EMAIL, role: str = "receptionist") -> Account:
    practice = make_practice(db, "Y91001", "Riverside Health Centre")
    member = staff.create_staff(
        db, practice=practice, email=email, display_name="Ann Lee", role=role, password=PASSWORD, base_url=BASE
    )
    account = db.get(Account, member.account_id)
    assert account is not None
    return account


def last_link(db: Session, to: str = EMAIL) -> str:
    return link_token(outbox(db, "staff_mfa_enrolment", to)[-1], BASE, routes.PRACTICE_ENROL)


def key_of(enrolment: staff.Enrolment) -> str:
    assert enrolment.setup is not None
    return enrolment.setup.secret


def code_for(key: str, seconds: int = 0) -> str:
    return pyotp.TOTP(key).at(utcnow().timestamp() + seconds)


def enrol(db: Session, secret: str, password: str = PASSWORD, code: str | None = None) -> staff.EnrolOutcome:
    if code is None:
        code = code_for(key_of(staff.open_enrolment(db, secret=secret)))
    return staff.complete_enrolment(db, secret=secret, password=password, code=code, client_ip=IP)


def sign_in(db: Session, email: str = EMAIL, password: str = PASSWORD) -> accounts.Outcome:
    return accounts.sign_in(db, email=email, password=password, client_ip=IP, user_agent="pytest", kind="staff")


def test_enrol_path_is_the_route():
    assert staff.ENROL_PATH == routes.PRACTICE_ENROL


def test_creating_staff_emails_a_single_use_expiring_link_and_stores_only_its_hash(db_session):
    account = new_staff(db_session)
    (message,) = outbox(db_session, "staff_mfa_enrolment")
    assert message.to_address == EMAIL
    assert "Riverside Health Centre" in message.body_text and "3 days" in message.body_text
    assert PASSWORD not in message.body_text  # the password reaches them some other way
    secret = last_link(db_session)
    (token,) = db_session.exec(select(OneTimeToken).where(OneTimeToken.purpose == staff.ENROLMENT)).all()
    assert token.account_id == account.id and secret not in token.secret_hash
    assert timedelta(days=3) - timedelta(minutes=1) < token.expires_at - token.created_at <= timedelta(days=3)
    event = audit_events(db_session, "staff.mfa_link_sent")[0]
    assert audit.event_detail(event) == {"reason": "created", "older_links_revoked": 0}
    assert secret not in str(event.model_dump())
    assert not mfa.is_enabled(account)


def test_staff_without_mfa_cannot_sign_in_and_hear_why_only_with_the_right_password(db_session):
    new_staff(db_session)
    assert sign_in(db_session).errors == {FORM: STAFF_NEEDS_MFA}
    assert sign_in(db_session, password="Wrong-Meadow-1").errors == {FORM: WRONG_CREDENTIALS}
    assert count(db_session, AuthSession) == 0  # no session of any kind: nothing to trust on first use


def test_the_link_opens_the_qr_code_and_key_and_a_reload_shows_the_same_key(db_session):
    new_staff(db_session)
    secret = last_link(db_session)
    first = staff.open_enrolment(db_session, secret=secret)
    assert (first.status, first.email, first.practice_name) == ("ok", EMAIL, "Riverside Health Centre")
    assert first.setup is not None and first.setup.otpauth_uri.startswith("otpauth://totp/Anima:")
    again = staff.open_enrolment(db_session, secret=secret)
    assert key_of(again) == key_of(first)
    assert staff.open_enrolment(db_session, secret=secret).status == "ok"  # opening uses nothing up


def test_password_and_first_code_switch_mfa_on_then_sign_in_needs_both(db_session):
    account = new_staff(db_session)
    secret = last_link(db_session)
    key = key_of(staff.open_enrolment(db_session, secret=secret))
    done = enrol(db_session, secret, code=code_for(key))
    assert done.enrolled and done.errors == {} and len(done.recovery_codes) == recovery_codes.RECOVERY_CODE_COUNT
    db_session.refresh(account)
    assert mfa.is_enabled(account)
    assert count(db_session, AuthSession) == 0  # enrolling signs nobody in
    assert {"mfa_enabled", "staff.mfa_enrolled"} <= set(audit_actions(db_session))

    # The link is used up.
    assert staff.open_enrolment(db_session, secret=secret).status == "done"
    assert enrol(db_session, secret, code="123456").status == "done"

    # Normal sign-in: the password, then a code from the app; the session can act as staff.
    first_step = sign_in(db_session)
    assert first_step.ok and first_step.mfa_challenge and first_step.session_token is None
    signed_in = accounts.complete_mfa_sign_in(
        db_session, challenge=first_step.mfa_challenge, code=code_for(key, 30), client_ip=IP
    )
    assert signed_in.ok and signed_in.identity is not None and signed_in.identity.method == "password+mfa"
    assert permissions.staff_context(db_session, signed_in.identity) is not None


@pytest.mark.parametrize(
    ("password", "code", "errors"),
    [
        ("", "", {"password": mfa.ENTER_PASSWORD, "code": mfa.ENTER_CODE}),
        (PASSWORD, "12345", {"code": mfa.CODE_FORMAT}),
        ("Wrong-Meadow-1", None, {"password": mfa.PASSWORD_WRONG}),
        (PASSWORD, "wrong", {"code": mfa.CODE_FORMAT}),
        (PASSWORD, "000000", {"code": mfa.CODE_WRONG}),
    ],
)
def test_a_wrong_password_or_code_says_why_at_the_field_and_keeps_the_link(db_session, password, code, errors):
    account = new_staff(db_session)
    secret = last_link(db_session)
    key = key_of(staff.open_enrolment(db_session, secret=secret))
    if code == "000000" and code_for(key) == code:  # pragma: no cover - one chance in a million
        code = "999999"
    refused = enrol(db_session, secret, password, code)
    assert refused.errors == errors and not refused.enrolled
    db_session.refresh(account)
    assert not mfa.is_enabled(account) and count(db_session, RecoveryCode) == 0
    assert staff.open_enrolment(db_session, secret=secret).status == "ok"
    assert enrol(db_session, secret).enrolled


def test_wrong_passwords_on_the_link_page_are_rate_limited(db_session):
    new_staff(db_session)
    secret = last_link(db_session)
    for _ in range(5):
        assert enrol(db_session, secret, "Wrong-Meadow-1").errors == {"password": mfa.PASSWORD_WRONG}
    refused = enrol(db_session, secret)
    assert refused.errors.keys() == {FORM} and refused.errors[FORM].startswith("Too many attempts.")
    assert "staff.mfa_enrol_failed" in audit_actions(db_session)


def test_an_expired_qr_code_is_replaced_and_the_person_is_told(db_session):
    new_staff(db_session)
    secret = last_link(db_session)
    old_key = key_of(staff.open_enrolment(db_session, secret=secret))
    setup_token = db_session.exec(select(OneTimeToken).where(OneTimeToken.purpose == mfa.SETUP_PURPOSE)).one()
    setup_token.expires_at = utcnow() - timedelta(seconds=1)
    db_session.add(setup_token)
    db_session.flush()
    renewed = enrol(db_session, secret, code=code_for(old_key))
    assert renewed.errors == {"code": staff.SETUP_RENEWED} and renewed.setup is not None
    assert renewed.setup.secret != old_key
    assert enrol(db_session, secret, code=code_for(renewed.setup.secret)).enrolled


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ("expired", "expired"),
        ("revoked", "used"),
        ("garbage", "unknown"),
        ("patient_account", "unknown"),
        ("inactive_member", "unknown"),
        ("closed_account", "unknown"),
    ],
)
def test_links_that_cannot_be_used_say_why_and_switch_nothing_on(db_session, change, status):
    account = new_staff(db_session)
    secret = last_link(db_session)
    token = db_session.exec(select(OneTimeToken).where(OneTimeToken.purpose == staff.ENROLMENT)).one()
    if change == "expired":
        token.expires_at = utcnow() - timedelta(seconds=1)
    elif change == "revoked":
        token.revoked_at = utcnow()
    elif change == "garbage":
        secret = "not-a-link"
    elif change == "patient_account":
        account.kind = "patient"
    elif change == "closed_account":
        account.status = "disabled"
    elif change == "inactive_member":
        from anima_pwa.models import StaffMember

        member = db_session.exec(select(StaffMember).where(StaffMember.account_id == account.id)).one()
        member.active = False
        db_session.add(member)
    db_session.add_all([token, account])
    db_session.flush()
    opened = staff.open_enrolment(db_session, secret=secret)
    assert opened.status == status and opened.message == staff.LINK_PROBLEMS[status] and opened.setup is None
    refused = enrol(db_session, secret, code="123456")
    assert refused.status == status and refused.errors == {FORM: staff.LINK_PROBLEMS[status]}
    db_session.refresh(account)
    assert not mfa.is_enabled(account)


def test_a_new_link_from_the_admin_replaces_the_old_one(db_session):
    new_staff(db_session)
    old = last_link(db_session)
    staff.reissue_enrolment_link(db_session, email="ann.lee@example.org", base_url=BASE)
    new = last_link(db_session)
    assert old != new
    assert staff.open_enrolment(db_session, secret=old).status == "used"
    assert enrol(db_session, new).enrolled
    event = audit_events(db_session, "staff.mfa_link_sent")[-1]
    assert audit.event_detail(event) == {"reason": "reissued", "older_links_revoked": 1}


def test_a_reset_for_a_lost_phone_switches_mfa_off_and_signs_out(db_session):
    account = new_staff(db_session)
    secret = last_link(db_session)
    key = key_of(staff.open_enrolment(db_session, secret=secret))
    assert enrol(db_session, secret, code=code_for(key)).enrolled
    challenge = sign_in(db_session).mfa_challenge
    token = accounts.complete_mfa_sign_in(
        db_session, challenge=challenge, code=code_for(key, 30), client_ip=IP
    ).session_token

    with pytest.raises(ValueError, match="already uses multi-factor authentication"):
        staff.reissue_enrolment_link(db_session, email=EMAIL, base_url=BASE)
    staff.reissue_enrolment_link(db_session, email=EMAIL, base_url=BASE, reset=True)
    db_session.refresh(account)
    assert not mfa.is_enabled(account) and count(db_session, RecoveryCode) == 0
    assert sessions.resolve(db_session, token) is None
    assert sign_in(db_session).errors == {FORM: STAFF_NEEDS_MFA}
    assert audit.event_detail(audit_events(db_session, "staff.mfa_link_sent")[-1])["reason"] == "reset"
    new_key = key_of(staff.open_enrolment(db_session, secret=last_link(db_session)))
    assert new_key != key
    assert enrol(db_session, last_link(db_session), code=code_for(new_key)).enrolled


@pytest.mark.parametrize("email", ["nobody@example.org", "patient@example.org"])
def test_a_new_link_only_for_active_staff(db_session, email):
    from tests.factories import make_account

    new_staff(db_session)
    make_account(db_session, "patient@example.org", password=PASSWORD)
    with pytest.raises(ValueError, match="No active staff account"):
        staff.reissue_enrolment_link(db_session, email=email, base_url=BASE)


def test_staff_cannot_switch_mfa_off_themselves(db_session):
    account = new_staff(db_session)
    secret = last_link(db_session)
    key = key_of(staff.open_enrolment(db_session, secret=secret))
    assert enrol(db_session, secret, code=code_for(key)).enrolled
    assert mfa.disable(db_session, account, password=PASSWORD, code=code_for(key, 30)).errors == {
        "form": mfa.STAFF_KEEP_ON
    }
    db_session.refresh(account)
    assert mfa.is_enabled(account)
