"""Settings: changing the email address (by link), the password, and preferences."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from anima_pwa.models import (
    Account,
    AccountPatient,
    AuditEvent,
    AuthSession,
    OneTimeToken,
    OutboxMessage,
    Patient,
    Practice,
    RateLimitHit,
    utcnow,
)
from anima_pwa.services.identity import account_settings as settings_service
from anima_pwa.services.identity import password_reset, passwords, sessions, tokens
from anima_pwa.services.identity.account_settings import (
    EMAIL_CHANGE,
    FORM,
    NHS_LOGIN_ONLY,
    NO_ACCOUNT,
    NO_DETAILS,
    RESIDENCE_STATUSES,
    Preferences,
    change_password,
    confirm_email_change,
    load_preferences,
    mask_email,
    request_email_change,
    save_preferences,
)
from anima_pwa.services.platform import audit
from tests import factories
from tests.factories import audit_actions, count, link_token, outbox

BASE = "https://anima.example"
IP = "203.0.113.9"
PASSWORD = "Quince-Ladder-81"
NEW_PASSWORD = "Harbour-Violet-27"
ME = "Zoe.Smith@example.com"
NEW = "Zoe.New@Example.org"
OTHER = "someone@example.net"


pytestmark = pytest.mark.usefixtures("cheap_argon2")  # tests/conftest.py: tiny argon2 parameters


# --- helpers ----------------------------------------------------------------------------------


def make_account(db: Session, email: str, password: str | None = PASSWORD, **fields) -> Account:
    """An account with a confirmed email address and, unless told otherwise, PASSWORD."""
    return factories.make_account(db, email, password=password, verified=True, **fields)


def signed_in(db: Session, account: Account) -> sessions.Identity:
    identity = sessions.resolve(db, sessions.start(db, account, ip=IP, user_agent="pytest"))
    assert identity is not None
    return identity


def make_patient(db: Session, account: Account, **fields) -> Patient:
    """Zoe's own record (pending verification, the model's default) at the one practice, made if need be."""
    practice = db.exec(select(Practice)).first()
    if practice is None:
        practice = factories.make_practice(db, "A81001", "Riverside Surgery")
    values = {
        "full_name": "Zoe Smith",
        "dob": date(1980, 2, 1),
        "phone_mobile": "+447700900982",
        "status": "pending",
    } | fields
    return factories.make_patient(db, practice, account=account, **values)


@pytest.fixture
def me(db_session: Session) -> sessions.Identity:
    return signed_in(db_session, make_account(db_session, ME))


def link_secret(message: OutboxMessage) -> str:
    return link_token(message, BASE, "/confirm-email-change")


def counts(db: Session) -> dict[str, int]:
    return {m.__name__: count(db, m) for m in (OneTimeToken, OutboxMessage, AuditEvent, RateLimitHit)}


def fresh(db: Session, row):
    db.flush()
    db.refresh(row)
    return row


def request(db: Session, identity: sessions.Identity, new_email: str = NEW, ip: str = IP) -> settings_service.Outcome:
    return request_email_change(db, identity, new_email=new_email, client_ip=ip, base_url=BASE)


def requested_link(db: Session, identity: sessions.Identity, new_email: str = NEW) -> str:
    assert request(db, identity, new_email).ok
    return link_secret(outbox(db, "confirm_new_email", new_email)[-1])


def confirm(db: Session, secret: str) -> settings_service.EmailChangeResult:
    return confirm_email_change(db, secret=secret, client_ip=IP, base_url=BASE)


def change(
    db: Session, identity: sessions.Identity, current: str = PASSWORD, new: str = NEW_PASSWORD
) -> settings_service.Outcome:
    return change_password(db, identity, current_password=current, new_password=new, client_ip=IP, base_url=BASE)


def save(db: Session, identity: sessions.Identity, **changes) -> settings_service.Outcome:
    values = {"phone": "07700 900123", "preferred_name": "Zo", "residence_status": "temporary"} | changes
    return save_preferences(db, identity, **values)


# --- email change: asking ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("new_email", "message"),
    [
        ("", "Enter your email address"),
        ("zoe@", "Enter an email address in the correct format, like name@example.com"),
        ("zoe at example.com", "Enter an email address in the correct format, like name@example.com"),
        ("z" * 250 + "@example.com", "Email address must be 254 characters or fewer"),
        (None, "Enter your email address"),
        (ME, "This is already your email address"),
        ("  zoe.SMITH@EXAMPLE.COM ", "This is already your email address"),
    ],
)
def test_email_change_field_errors_write_nothing(db_session, me, new_email, message):
    before = counts(db_session)
    outcome = request_email_change(db_session, me, new_email=new_email, client_ip=IP, base_url=BASE)
    assert outcome.errors == {"new_email": message}
    assert counts(db_session) == before  # no link, no email, no audit, no rate-limit hit


def test_link_goes_to_the_new_address_only_and_nothing_changes_yet(db_session, me):
    outcome = request(db_session, me)
    assert outcome.ok and outcome.email == NEW
    (message,) = outbox(db_session)
    assert (message.template, message.to_address) == ("confirm_new_email", NEW)
    assert message.subject == "Confirm your new email address for Anima"
    assert "works once" in message.body_text and "24 hours" in message.body_text
    secret = link_secret(message)
    account = fresh(db_session, db_session.get(Account, me.account_id))
    assert (account.email, account.email_normalized) == (ME, ME.lower())
    (token,) = db_session.exec(select(OneTimeToken)).all()
    assert (token.purpose, token.email_normalized, token.account_id) == (EMAIL_CHANGE, NEW.lower(), me.account_id)
    assert tokens.payload(token) == {"email": NEW, "old_email": ME}
    assert secret not in token.payload and token.secret_hash != secret
    assert timedelta(hours=23, minutes=59) < token.expires_at - token.created_at <= timedelta(hours=24)
    assert audit_actions(db_session) == ["email_change_requested"]


def test_following_the_link_changes_the_address_and_tells_the_old_one(db_session, me):
    account = db_session.get(Account, me.account_id)
    account.email_verified_at = None
    secret = requested_link(db_session, me)
    result = confirm(db_session, secret)
    assert (result.status, result.email) == ("changed", NEW)
    account = fresh(db_session, account)
    assert (account.email, account.email_normalized) == (NEW, NEW.lower())
    assert account.email_verified_at is not None and account.updated_at >= account.email_verified_at
    (told,) = outbox(db_session, "email_changed")
    assert told.to_address == ME
    assert told.subject == "Your Anima email address has been changed"
    assert "Z***@Example.org" in told.body_text
    assert NEW not in told.body_text and NEW.lower() not in told.body_text.lower()
    assert f"{BASE}/forgot-password" in told.body_text and "practice" in told.body_text
    event = db_session.exec(select(AuditEvent).where(AuditEvent.action == "email_changed")).one()
    assert event.account_id == me.account_id and audit.event_detail(event) == {"changed": True}
    assert db_session.get(AuthSession, me.session_id).revoked_at is None  # still signed in


def test_a_used_link_is_used(db_session, me):
    secret = requested_link(db_session, me)
    assert confirm(db_session, secret).status == "changed"
    assert confirm(db_session, secret) == settings_service.EmailChangeResult("used", NEW)
    assert len(outbox(db_session, "email_changed")) == 1


def test_an_expired_link_changes_nothing(db_session, me):
    secret = requested_link(db_session, me)
    token = db_session.exec(select(OneTimeToken)).one()
    token.expires_at = utcnow() - timedelta(minutes=1)
    db_session.add(token)
    assert confirm(db_session, secret) == settings_service.EmailChangeResult("expired", NEW)
    assert fresh(db_session, db_session.get(Account, me.account_id)).email == ME
    assert outbox(db_session, "email_changed") == []


@pytest.mark.parametrize("secret", ["", "nonsense", "x" * 500, None])
def test_an_unknown_link(db_session, me, secret):
    requested_link(db_session, me)
    assert confirm_email_change(db_session, secret=secret).status == "unknown"
    assert fresh(db_session, db_session.get(Account, me.account_id)).email == ME


def test_a_sign_up_link_is_not_an_email_change_link(db_session, me):
    secret = tokens.issue_link(
        db_session,
        purpose=tokens.EMAIL_VERIFICATION,
        email_normalized=NEW.lower(),
        account_id=me.account_id,
        payload={"email": NEW},
    )
    assert confirm(db_session, secret).status == "unknown"
    assert fresh(db_session, db_session.get(Account, me.account_id)).email == ME


def test_address_taken_meanwhile(db_session, me):
    secret = requested_link(db_session, me)
    other = make_account(db_session, NEW.upper())  # someone signs up with it before the link is followed
    before = counts(db_session)
    assert confirm(db_session, secret) == settings_service.EmailChangeResult("taken", NEW)
    assert fresh(db_session, db_session.get(Account, me.account_id)).email == ME
    assert fresh(db_session, other).email == NEW.upper()
    assert counts(db_session) == before
    assert confirm(db_session, secret).status == "used"


def test_address_taken_in_a_race_is_caught_by_the_unique_index(db_session, me, monkeypatch):
    """The check misses an account created at the same moment; the database refuses the duplicate."""
    secret = requested_link(db_session, me)
    other = make_account(db_session, NEW.lower())
    monkeypatch.setattr(settings_service, "_owner_of", lambda session, normalized: None)
    before = counts(db_session)
    assert confirm(db_session, secret).status == "taken"
    account = db_session.get(Account, me.account_id)
    assert (account.email, account.email_normalized) == (ME, ME.lower())
    assert counts(db_session) == before
    db_session.commit()  # the transaction is still usable (only the savepoint was undone)
    db_session.expire_all()
    assert db_session.get(Account, me.account_id).email == ME
    assert db_session.get(Account, other.id).email == NEW.lower()


def test_an_address_with_an_account_gets_the_same_answer_and_no_link(db_session, me):
    make_account(db_session, OTHER)
    mine = request(db_session, me, "SOMEONE@example.net")
    fresh_address = request(db_session, me, "nobody@example.net")
    assert mine.ok and fresh_address.ok
    assert (mine.errors, mine.preferences) == (fresh_address.errors, fresh_address.preferences)
    assert mine.email == "SOMEONE@example.net"
    assert [m.template for m in outbox(db_session, to=OTHER)] == ["already_registered"]
    assert outbox(db_session, "confirm_new_email", "SOMEONE@example.net") == []
    tokens_for = db_session.exec(select(OneTimeToken.email_normalized)).all()
    assert tokens_for == ["nobody@example.net"]
    assert fresh(db_session, db_session.get(Account, me.account_id)).email == ME


def test_email_change_is_rate_limited_per_account(db_session, me):
    for n in range(3):
        assert request(db_session, me, f"new{n}@example.org").ok
    refused = request(db_session, me, "new3@example.org")
    assert refused.errors == {
        FORM: "You have asked to change your email address too many times. Try again in 60 minutes."
    }
    assert outbox(db_session, to="new3@example.org") == []
    # Another account on the same connection is not held back by mine.
    other = signed_in(db_session, make_account(db_session, OTHER))
    assert request(db_session, other, "elsewhere@example.org").ok


def test_email_change_is_rate_limited_per_client(db_session):
    people = [signed_in(db_session, make_account(db_session, f"p{n}@example.com")) for n in range(4)]
    outcomes = [request(db_session, who, f"{n}.{i}@example.org") for i, who in enumerate(people) for n in range(3)]
    assert [o.ok for o in outcomes] == [True] * 10 + [False] * 2
    assert FORM in outcomes[-1].errors
    fifth = signed_in(db_session, make_account(db_session, "p4@example.com"))
    assert not request(db_session, fifth, "z@example.org").ok  # this connection is held back
    assert request(db_session, fifth, "z@example.org", ip="198.51.100.1").ok  # another one is not


def test_confirming_revokes_other_pending_links_and_reset_codes(db_session, me):
    first = requested_link(db_session, me, "first@example.org")
    second = requested_link(db_session, me, "second@example.org")
    tokens.issue_code(db_session, purpose=tokens.PASSWORD_RESET, email_normalized=ME.lower(), account_id=me.account_id)
    other = signed_in(db_session, make_account(db_session, OTHER))
    theirs = requested_link(db_session, other, "theirs@example.org")
    assert confirm(db_session, second).status == "changed"
    assert confirm(db_session, first).status == "used"
    reset = tokens.latest_code(db_session, purpose=tokens.PASSWORD_RESET, email_normalized=ME.lower())
    assert reset is not None and reset.revoked_at is not None
    assert fresh(db_session, db_session.get(Account, me.account_id)).email == "second@example.org"
    assert confirm(db_session, theirs).status == "changed"  # another account's link is untouched


def test_confirming_does_not_need_a_session(db_session, me):
    secret = requested_link(db_session, me)
    sessions.end_all(db_session, me.account_id)
    assert confirm_email_change(db_session, secret=secret).status == "changed"  # base_url from settings
    (told,) = outbox(db_session, "email_changed")
    assert "/forgot-password" in told.body_text


def test_a_closed_account_can_neither_ask_nor_confirm(db_session, me):
    secret = requested_link(db_session, me)
    account = db_session.get(Account, me.account_id)
    account.status = "disabled"
    db_session.add(account)
    assert request(db_session, me, "other@example.org").errors == {FORM: NO_ACCOUNT}
    assert confirm(db_session, secret).status == "unknown"
    assert fresh(db_session, account).email == ME


def test_mask_email():
    assert mask_email("jo.bloggs@example.com") == "j***@example.com"
    assert mask_email("j@example.com") == "j***@example.com"
    assert mask_email("nonsense") == "***"


# --- password change ----------------------------------------------------------------------------


def test_wrong_current_password(db_session, me):
    outcome = change(db_session, me, current="Not-The-One-99")
    assert outcome.errors == {"current_password": "Your current password is not correct"}
    account = fresh(db_session, db_session.get(Account, me.account_id))
    assert passwords.verify_password(account.password_hash, PASSWORD)
    assert outbox(db_session) == [] and audit_actions(db_session) == ["password_change_failed"]


def test_current_password_guesses_are_limited(db_session, me):
    for _ in range(5):
        assert change(db_session, me, current="Not-The-One-99").errors == {
            "current_password": "Your current password is not correct"
        }
    refused = change(db_session, me)  # even the right one, now
    assert refused.errors == {
        FORM: "You have entered your current password wrongly too many times. Try again in 15 minutes."
    }
    account = fresh(db_session, db_session.get(Account, me.account_id))
    assert passwords.verify_password(account.password_hash, PASSWORD)


@pytest.mark.parametrize(
    ("current", "new", "expected"),
    [
        ("", NEW_PASSWORD, {"current_password": "Enter your current password"}),
        (PASSWORD, "", {"new_password": "Enter a password"}),
        (PASSWORD, "Qu1ck", {"new_password": "Password must be 8 characters or more"}),
        (PASSWORD, "harbour-violet-27", {"new_password": "Password must include an upper case letter"}),
        (
            PASSWORD,
            "Password1",
            {"new_password": "This password is too common. Choose one that would be harder to guess"},
        ),
        (PASSWORD, "Zoe.Smith-Rules-1", {"new_password": "Password must not contain your email address"}),
        (PASSWORD, PASSWORD, {"new_password": "Your new password must be different from your current one"}),
        ("", "", {"current_password": "Enter your current password", "new_password": "Enter a password"}),
        (None, None, {"current_password": "Enter your current password", "new_password": "Enter a password"}),
    ],
)
def test_password_field_errors_write_nothing(db_session, me, current, new, expected):
    before = counts(db_session)
    outcome = change_password(db_session, me, current_password=current, new_password=new, client_ip=IP, base_url=BASE)
    assert outcome.errors == expected
    assert counts(db_session) == before
    account = fresh(db_session, db_session.get(Account, me.account_id))
    assert passwords.verify_password(account.password_hash, PASSWORD)


def test_changing_the_password_ends_other_sessions_only(db_session, me):
    account = db_session.get(Account, me.account_id)
    other_tab = sessions.start(db_session, account, ip="198.51.100.7")
    pending_link = requested_link(db_session, me)
    outcome = change(db_session, me)
    assert outcome.ok
    account = fresh(db_session, account)
    assert passwords.verify_password(account.password_hash, NEW_PASSWORD)
    assert not passwords.verify_password(account.password_hash, PASSWORD)
    assert account.password_changed_at is not None
    assert sessions.resolve(db_session, other_tab) is None
    assert db_session.get(AuthSession, me.session_id).revoked_at is None
    (told,) = outbox(db_session, "password_changed")
    assert told.to_address == ME and f"{BASE}/forgot-password" in told.body_text
    event = db_session.exec(select(AuditEvent).where(AuditEvent.action == "password_changed")).one()
    assert audit.event_detail(event) == {"sessions_ended": 1}
    # A change of address asked for before (perhaps by whoever had the other session) is dead.
    assert confirm(db_session, pending_link).status == "used"
    assert fresh(db_session, account).email == ME


def test_the_new_password_signs_in_and_the_old_one_does_not(db_session, me):
    from anima_pwa.services.identity import accounts  # imported here: only this test needs the sign-in flow

    assert change(db_session, me).ok
    old = accounts.sign_in(db_session, email=ME, password=PASSWORD, client_ip=IP)
    assert old.errors == {accounts.FORM: accounts.WRONG_CREDENTIALS}
    new = accounts.sign_in(db_session, email=ME, password=NEW_PASSWORD, client_ip=IP)
    assert new.ok


def test_nhs_login_only_account_has_no_password_to_change(db_session):
    account = make_account(db_session, ME, password=None, nhs_login_sub="nhs-sub-1")
    identity = signed_in(db_session, account)
    before = counts(db_session)
    assert change(db_session, identity).errors == {FORM: NHS_LOGIN_ONLY}
    assert change(db_session, identity, current="").errors == {FORM: NHS_LOGIN_ONLY}
    assert counts(db_session) == before
    assert fresh(db_session, account).password_hash is None


# --- preferences --------------------------------------------------------------------------------


def test_load_preferences_shows_display_values(db_session, me):
    assert load_preferences(db_session, me) == Preferences(has_details=False)
    make_patient(db_session, db_session.get(Account, me.account_id), preferred_name="Zo", residence_status="overseas")
    assert load_preferences(db_session, me) == Preferences(
        phone="07700 900982", preferred_name="Zo", residence_status="overseas", has_details=True
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"phone": ""}, {"phone": "Enter your mobile phone number"}),
        ({"phone": "01632 960001"}, {"phone": "Enter a UK mobile number, like 07700 900 982"}),
        ({"phone": "07700 9001"}, {"phone": "Mobile number must be 11 digits, like 07700 900 982"}),
        ({"phone": None}, {"phone": "Enter a UK mobile number, like 07700 900 982"}),
        (
            {"preferred_name": "Z" * 51},
            {"preferred_name": "Preferred name must be 50 characters or fewer. You have 1 character too many."},
        ),
        (
            {"preferred_name": "Zo 2"},
            {"preferred_name": "Preferred name must only include letters, spaces, hyphens, apostrophes and full stops"},
        ),
        (
            {"preferred_name": "Zo\u202e"},
            {"preferred_name": "Preferred name must not include line breaks or hidden characters"},
        ),
        ({"preferred_name": "--"}, {"preferred_name": "Preferred name must include at least one letter"}),
        ({"preferred_name": ["Zo"]}, {"preferred_name": "Enter your preferred name"}),
        ({"residence_status": ""}, {"residence_status": "Select your residence status"}),
        ({"residence_status": "PERMANENT"}, {"residence_status": "Select your residence status"}),
        ({"residence_status": "I live here permanently"}, {"residence_status": "Select your residence status"}),
        ({"residence_status": "<script>"}, {"residence_status": "Select your residence status"}),
        ({"residence_status": None}, {"residence_status": "Select your residence status"}),
        ({"residence_status": ["permanent"]}, {"residence_status": "Select your residence status"}),
        (
            {"phone": "0800 123456", "preferred_name": "R2-D2", "residence_status": "mars"},
            {
                "phone": "Enter a UK mobile number, like 07700 900 982",
                "preferred_name": "Preferred name must only include letters, spaces, hyphens, apostrophes and full stops",
                "residence_status": "Select your residence status",
            },
        ),
    ],
)
def test_preference_errors_save_nothing(db_session, me, changes, expected):
    patient = make_patient(
        db_session, db_session.get(Account, me.account_id), preferred_name="Zed", residence_status="permanent"
    )
    before = counts(db_session)
    outcome = save(db_session, me, **changes)
    assert outcome.errors == expected and outcome.preferences is None
    patient = fresh(db_session, patient)
    assert (patient.phone_mobile, patient.preferred_name, patient.residence_status) == (
        "+447700900982",
        "Zed",
        "permanent",
    )
    assert counts(db_session) == before


def test_saving_preferences(db_session, me):
    patient = make_patient(db_session, db_session.get(Account, me.account_id))
    outcome = save(
        db_session, me, phone="+44 (0)7700 900123", preferred_name="  Zoë   Jo ", residence_status="temporary"
    )
    assert outcome.ok
    assert outcome.preferences == Preferences(
        phone="07700 900123", preferred_name="Zoë Jo", residence_status="temporary", has_details=True
    )
    patient = fresh(db_session, patient)
    assert (patient.phone_mobile, patient.preferred_name, patient.residence_status) == (
        "+447700900123",
        "Zoë Jo",
        "temporary",
    )
    assert load_preferences(db_session, me) == outcome.preferences
    event = db_session.exec(select(AuditEvent).where(AuditEvent.action == "preferences_changed")).one()
    assert (event.account_id, event.patient_id) == (me.account_id, patient.id)
    assert audit.event_detail(event) == {"fields": ["phone", "preferred_name", "residence_status"]}
    assert "07700" not in event.detail and "Zo" not in event.detail  # field names only

    # Only what changed is named; saving the same again is not an event; the name may be cleared.
    assert save(db_session, me, phone="07700900123", preferred_name="", residence_status="temporary").ok
    assert save(db_session, me, phone="07700900123", preferred_name="", residence_status="temporary").ok
    events = db_session.exec(
        select(AuditEvent).where(AuditEvent.action == "preferences_changed").order_by(AuditEvent.id)
    ).all()
    assert [audit.event_detail(e) for e in events][1:] == [{"fields": ["preferred_name"]}]
    assert fresh(db_session, patient).preferred_name == ""
    assert set(RESIDENCE_STATUSES) == {"permanent", "temporary", "overseas"}


def test_preferences_need_details_first(db_session, me):
    before = counts(db_session)
    assert save(db_session, me).errors == {FORM: NO_DETAILS}
    assert counts(db_session) == before


def test_preferences_change_only_the_holders_own_patient(db_session, me):
    account = db_session.get(Account, me.account_id)
    own = make_patient(db_session, account)
    child = Patient(
        full_name="Kid Smith",
        date_of_birth=date(2015, 1, 1),
        postcode="MB1 2AB",
        phone_mobile="+447700900555",
        practice_id=own.practice_id,
    )
    db_session.add(child)
    db_session.flush()
    db_session.add(AccountPatient(account_id=account.id, patient_id=child.id, relationship="dependant"))
    assert save(db_session, me, preferred_name="Zo").ok
    child = fresh(db_session, child)
    assert (child.phone_mobile, child.preferred_name, child.residence_status) == ("+447700900555", "", "")


# --- one account can't reach another ------------------------------------------------------------


def test_identity_a_never_changes_account_b(db_session):
    a = make_account(db_session, "a@example.com")
    b = make_account(db_session, "b@example.com")
    make_patient(db_session, a, phone_mobile="+447700900111")
    b_patient = make_patient(db_session, b, phone_mobile="+447700900222")
    b_session = sessions.start(db_session, b)
    identity = signed_in(db_session, a)
    # Even carrying B's email (as a tampered display value might), A's identity acts on A only.
    forged = sessions.Identity(account_id=a.id, email=b.email, kind="patient", session_id=identity.session_id)
    b_before = (b.email, b.password_hash, b.updated_at)

    secret = requested_link(db_session, forged, "a.new@example.com")
    assert confirm(db_session, secret).status == "changed"
    assert change(db_session, forged).ok
    assert save(db_session, forged, preferred_name="Ay").ok
    assert load_preferences(db_session, forged).phone == "07700 900123"

    b = fresh(db_session, b)
    assert (b.email, b.password_hash, b.updated_at) == b_before
    b_patient = fresh(db_session, b_patient)
    assert (b_patient.phone_mobile, b_patient.preferred_name, b_patient.residence_status) == ("+447700900222", "", "")
    assert sessions.resolve(db_session, b_session) is not None
    assert outbox(db_session, to="b@example.com") == []
    a = fresh(db_session, a)
    assert a.email == "a.new@example.com" and passwords.verify_password(a.password_hash, NEW_PASSWORD)


def test_an_identity_for_a_missing_account_does_nothing(db_session):
    ghost = sessions.Identity(account_id=999_999, email=ME, kind="patient", session_id="s" * 64)
    assert request(db_session, ghost).errors == {FORM: NO_ACCOUNT}
    assert change(db_session, ghost).errors == {FORM: NO_ACCOUNT}
    assert save(db_session, ghost).errors == {FORM: NO_ACCOUNT}
    assert load_preferences(db_session, ghost) == Preferences()
    assert set(counts(db_session).values()) == {0}


def test_a_password_reset_cancels_a_pending_email_change(db_session, me):
    """Whoever a reset locks out must not be able to finish an email change they asked for."""
    from anima_pwa.services.identity import tokens

    secret = requested_link(db_session, me)
    reset_code = tokens.issue_code(
        db_session, purpose=tokens.PASSWORD_RESET, email_normalized=me.email.lower(), account_id=me.account_id
    )
    outcome = password_reset.reset_password(
        db_session,
        email=me.email,
        code=reset_code,
        new_password=NEW_PASSWORD,
        client_ip=IP,
        base_url="https://anima.example",
    )
    assert outcome.ok, outcome.errors
    assert confirm(db_session, secret).status == "used"
