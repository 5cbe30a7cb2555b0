"""Helper C, issue 11: the notice that the practice has written goes by email and by text message
as each holder chose on "Your preferences", to the holder's own mobile number, always one way at
least, and says nothing of the request (HAZ-060, HAZ-061)."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

from sqlmodel import Session, select

from anima_pwa.models import Account, OutboxMessage, Patient, Request
from anima_pwa.services.identity import account_settings
from anima_pwa.services.inbox import notices
from anima_pwa.services.patients.dependants import DependantForm, add_dependant
from anima_pwa.services.platform.validation import format_nhs_number
from tests.factories import identity_of, make_account, make_patient, make_practice, on_register, valid_nhs_number

TODAY = date(2025, 6, 15)
LILY = valid_nhs_number("401023456")
MUM_MOBILE = "+447700900982"
LILY_MOBILE = "+447700900111"


def family(db: Session, *, mum_mobile: str = MUM_MOBILE) -> tuple[Request, Account]:
    practice = make_practice(db, "A81001", "Riverside Surgery", email="a81001@nhs.example")
    on_register(db, practice, LILY, "Lily", "Smith", date(2019, 5, 9), "MB1 2AB")
    mum = make_account(db, "mum@example.com")
    make_patient(
        db, practice, "Zoe Smith", dob=date(1985, 3, 4), nhs_number=valid_nhs_number("943476591"), account=mum,
        phone_mobile=mum_mobile,
    )  # fmt: skip
    form = DependantForm(
        full_name="Lily Smith", dob_day="9", dob_month="5", dob_year="2019", nhs_number=format_nhs_number(LILY),
        registered_here=True,
    )  # fmt: skip
    assert add_dependant(db, identity_of(mum), form, today=TODAY).status == "verified"
    lily = db.exec(select(Patient).where(Patient.nhs_number == LILY)).one()
    lily.phone_mobile = LILY_MOBILE  # the patient's number is never where a holder's notice goes
    db.add(lily)
    request = Request(
        reference="AN-LILY01", patient_id=lily.id, account_id=mum.id, practice_id=practice.id, kind="medical",
        topic="cough-and-cold", status="submitted", subject="Cough and cold: wheezing overnight",
        answers=json.dumps({"fever": "yes", "duration": "three days", "inhaler": "salbutamol"}),
        free_text="Lily has been wheezing since Tuesday and her asthma inhaler barely helps",
        submitted_at=datetime(2025, 6, 14, 9, 0, tzinfo=UTC),
    )  # fmt: skip
    db.add(request)
    db.flush()
    return request, mum


def by_channel(messages: list[OutboxMessage]) -> dict[str, str]:
    return {m.channel: m.to_address for m in messages}


def test_email_and_text_message_to_the_holders_own_mobile(db_session: Session) -> None:
    request, _ = family(db_session)
    queued = notices.tell_holders(db_session, request)
    assert by_channel(queued) == {"email": "mum@example.com", "sms": MUM_MOBILE}
    assert all(m.request_id == request.id and m.status == "pending" for m in queued)
    [sms] = [m for m in queued if m.channel == "sms"]
    assert sms.subject == "" and sms.template == notices.NOTICE_TEMPLATE
    assert re.fullmatch(r"You have a new message from your practice\. Log in to read it: \S+/login", sms.body_text)


def test_text_messages_only_when_chosen(db_session: Session) -> None:
    request, mum = family(db_session)
    mum.notify_by_email = False
    assert by_channel(notices.tell_holders(db_session, request)) == {"sms": MUM_MOBILE}
    mum.notify_by_email, mum.notify_by_sms = True, False
    assert by_channel(notices.tell_holders(db_session, request)) == {"email": "mum@example.com"}


def test_always_one_way_at_least(db_session: Session) -> None:
    """Text messages chosen but no mobile number, or (an old row) nothing chosen: email."""
    request, mum = family(db_session, mum_mobile="")
    mum.notify_by_email = False
    assert by_channel(notices.tell_holders(db_session, request)) == {"email": "mum@example.com"}
    mum.notify_by_sms = False
    assert by_channel(notices.tell_holders(db_session, request)) == {"email": "mum@example.com"}


def test_a_number_that_is_not_e164_means_email(db_session: Session) -> None:
    """An old row with a national number can't make a sign-off fail: that holder is told by email."""
    request, mum = family(db_session, mum_mobile="07700 900982")
    mum.notify_by_email = False
    assert by_channel(notices.tell_holders(db_session, request)) == {"email": "mum@example.com"}


def test_no_notice_says_a_word_of_the_request(db_session: Session) -> None:
    """Every word of the request's topic, subject, answers and free text is absent from every
    email subject and body and every text message (HAZ-060)."""
    request, _ = family(db_session)
    queued = notices.tell_holders(db_session, request)
    assert {m.channel for m in queued} == {"email", "sms"}
    source = " ".join([request.topic, request.subject, request.answers, request.free_text, request.reference or ""])
    words = {w.lower() for w in re.findall(r"[A-Za-z0-9]{3,}", source)} - {"and", "the", "her", "has", "been"}
    words |= {"lily", "smith", "an-lily01"}
    for message in queued:
        text = f"{message.subject} {message.body_text}".lower()
        found = sorted(w for w in words if re.search(rf"\b{re.escape(w)}\b", text))
        assert not found, f"the {message.channel} notice says {found}"


# "Your preferences" ------------------------------------------------------------------------------


def save(db: Session, account: Account, **changes):
    values = {"phone": "07700 900982", "preferred_name": "", "residence_status": "permanent"} | changes
    return account_settings.save_preferences(db, identity_of(account), **values)


def test_preferences_show_and_save_how_notices_go(db_session: Session) -> None:
    _, mum = family(db_session)
    shown = account_settings.load_preferences(db_session, identity_of(mum))
    assert (shown.notify_by_email, shown.notify_by_sms) == (True, True)
    outcome = save(db_session, mum, notify_by_email=False, notify_by_sms=True)
    assert outcome.ok and outcome.preferences is not None and not outcome.preferences.notify_by_email
    db_session.refresh(mum)
    assert (mum.notify_by_email, mum.notify_by_sms) == (False, True)


def test_preferences_refuse_no_way_at_all(db_session: Session) -> None:
    _, mum = family(db_session)
    outcome = save(db_session, mum, notify_by_email=False, notify_by_sms=False, preferred_name="Zo")
    assert outcome.errors == {"notify": account_settings.NOTIFY_NONE}
    db_session.refresh(mum)
    patient = db_session.exec(select(Patient).where(Patient.full_name == "Zoe Smith")).one()
    assert (mum.notify_by_email, mum.notify_by_sms, patient.preferred_name) == (True, True, "")  # nothing saved


def test_preferences_treat_anything_but_true_as_no(db_session: Session) -> None:
    """A browser can send any value: a string "false" is not a yes."""
    _, mum = family(db_session)
    assert save(db_session, mum, notify_by_email="yes", notify_by_sms=True).ok
    db_session.refresh(mum)
    assert (mum.notify_by_email, mum.notify_by_sms) == (False, True)
