"""Helper C, issue 11: email and text messages through GOV.UK Notify (a local fake that checks the
JWT and the request as Notify does), SMS honestly left pending without a provider, permanent and
temporary failures (HAZ-062)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from anima_pwa import settings as settings_module
from anima_pwa.models import OutboxMessage, utcnow
from anima_pwa.services.platform import notifications as n
from anima_pwa.services.platform.notifications.notify import NotifyTransport, check_api_key
from anima_pwa.settings import NotifySettings, parse_template_ids
from tests.inbox_c_helpers import API_KEY, SERVICE_ID, fake_notify
from tests.web import factory_for

EMAIL_TEMPLATE = "f33517ff-2a88-4f6e-b855-c550268ce08a"
SMS_TEMPLATE = "0e6b2b2f-4a3c-4b7e-9d37-1f0a5d3c2b11"
SENDER = "Anima <no-reply@anima.test>"
LINK = "https://anima.example/login"


def notify_config(base_url: str, api_key: str = API_KEY) -> NotifySettings:
    return NotifySettings(
        api_key=api_key, base_url=base_url, email_templates={"*": EMAIL_TEMPLATE}, sms_templates={"*": SMS_TEMPLATE}
    )


def transports(base_url: str, api_key: str = API_KEY) -> dict[str, NotifyTransport]:
    transport = NotifyTransport(notify_config(base_url, api_key))
    return {"email": transport, "sms": transport}


def queue_notice(db: Session, *, email: str = "mum@example.com", mobile: str = "+447700900982") -> list[int]:
    messages = [
        n.enqueue_email(db, to=email, template="practice_message", login_link=LINK),
        n.enqueue_sms(db, to=mobile, template="practice_message", login_link=LINK),
    ]
    db.commit()
    return [m.id for m in messages]  # type: ignore[misc]


def reload(engine: Engine, message_id: int) -> OutboxMessage:
    with Session(engine) as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        return message


def test_email_and_sms_go_through_notify(engine, db_session):
    email_id, sms_id = queue_notice(db_session)
    with fake_notify() as notify:
        report = n.deliver_due(factory_for(engine), transports(notify.base_url), sender=SENDER)
    assert report == n.DeliveryReport(sent=2)
    assert notify.rejected_auth == []
    sent = dict(notify.received)
    assert sent["email"] == {
        "email_address": "mum@example.com",
        "template_id": EMAIL_TEMPLATE,
        "personalisation": {
            "subject": "You have a new message from your practice",
            "body": n.render("practice_message", login_link=LINK)[1],
        },
        "reference": f"anima-outbox-{email_id}",
    }
    assert sent["sms"] == {
        "phone_number": "+447700900982",
        "template_id": SMS_TEMPLATE,
        "personalisation": {"body": f"You have a new message from your practice. Log in to read it: {LINK}"},
        "reference": f"anima-outbox-{sms_id}",
    }
    assert {reload(engine, i).status for i in (email_id, sms_id)} == {"sent"}


def test_a_wrong_key_is_refused_and_nothing_is_lost(engine, db_session):
    """Notify answers 403 to a token signed with another secret: the provider can't be used, so
    the message waits (never failed for good) and the rest of the batch is left alone."""
    email_id, sms_id = queue_notice(db_session)
    wrong = f"anima_test-{SERVICE_ID}-00000000-0000-0000-0000-000000000000"
    with fake_notify() as notify:
        report = n.deliver_due(factory_for(engine), transports(notify.base_url, wrong), sender=SENDER)
        assert notify.rejected_auth and "signature" in notify.rejected_auth[0].lower()
    assert report == n.DeliveryReport(retried=1)
    first = reload(engine, email_id)
    assert first.status == "pending" and first.attempts == 1 and first.locked_until is None
    assert "403" in first.last_error
    assert reload(engine, sms_id).attempts == 0


def test_an_invalid_number_fails_at_once(engine, db_session):
    """Notify's 400 can never succeed: failed after one try, its error kept for staff."""
    email_id, sms_id = queue_notice(db_session, email="bounce@example.com", mobile="+353851234567")
    with fake_notify() as notify:
        report = n.deliver_due(factory_for(engine), transports(notify.base_url), sender=SENDER)
    assert report == n.DeliveryReport(failed=2)
    sms = reload(engine, sms_id)
    assert sms.status == "failed" and sms.attempts == 1
    assert sms.last_error.startswith("PermanentFailure: GOV.UK Notify 400")
    assert "phone_number Not a valid UK mobile number" in sms.last_error
    assert reload(engine, email_id).status == "failed"


@pytest.mark.parametrize("status", ["500", "503"])
def test_notify_down_then_up(engine, db_session, status):
    email_id, sms_id = queue_notice(db_session)
    now = utcnow()
    factory = factory_for(engine)
    with fake_notify() as notify:
        notify.mode = status
        first = n.deliver_due(factory, transports(notify.base_url), sender=SENDER, now=now)
        assert first == n.DeliveryReport(retried=1)  # the rest of the batch is left for the next run
        stored = reload(engine, email_id)
        assert stored.status == "pending" and stored.attempts == 1 and stored.locked_until is None
        assert stored.next_attempt_at == now + n.backoff(1) and reload(engine, sms_id).attempts == 0
        for _ in range(2 * n.MAX_ATTEMPTS + 1):  # an outage longer than MAX_ATTEMPTS: never given up
            now += timedelta(hours=2)
            assert n.deliver_due(factory, transports(notify.base_url), sender=SENDER, now=now).retried == 1
        both = [reload(engine, i) for i in (email_id, sms_id)]
        assert [m.status for m in both] == ["pending", "pending"]
        assert min(m.attempts for m in both) > n.MAX_ATTEMPTS
        notify.mode = "ok"
        later = now + n.backoff(n.MAX_ATTEMPTS)  # both due again
        assert n.deliver_due(factory, transports(notify.base_url), sender=SENDER, now=later).sent == 2
    assert sorted(kind for kind, _ in notify.received) == ["email", "sms"]


def test_without_notify_sms_waits_and_is_never_sent_by_smtp(engine, db_session):
    """SMTP sends email only: text messages stay pending (no pretend send)."""
    email_id, sms_id = queue_notice(db_session)

    class Recording:
        def __init__(self) -> None:
            self.sent: list[str] = []

        def send(self, message: OutboxMessage, *, sender: str) -> None:
            self.sent.append(message.to_address)

    transport = Recording()
    report = n.deliver_due(factory_for(engine), transport, sender=SENDER, now=utcnow() + timedelta(days=1))
    assert report == n.DeliveryReport(sent=1) and transport.sent == ["mum@example.com"]
    assert reload(engine, sms_id).status == "pending" and reload(engine, sms_id).attempts == 0
    base = settings_module.settings
    assert set(n.transports_for(dataclasses.replace(base, notify=None, smtp_url="smtp://127.0.0.1:2525"))) == {"email"}
    assert n.transports_for(dataclasses.replace(base, notify=None, smtp_url=None)) == {}
    assert not n.sms_provider_configured(dataclasses.replace(base, notify=None))
    with_notify = dataclasses.replace(base, notify=notify_config("http://127.0.0.1:9"))
    assert set(n.transports_for(with_notify)) == {"email", "sms"} and n.sms_provider_configured(with_notify)
    with db_session.no_autoflush:
        assert len(db_session.exec(select(OutboxMessage)).all()) == 2


def test_api_key_and_template_settings():
    assert check_api_key(API_KEY) == SERVICE_ID
    for bad in ("", "not-a-key", f"{SERVICE_ID}", "name-abc-def"):
        with pytest.raises(ValueError, match="GOV.UK Notify API key"):
            check_api_key(bad)
    with pytest.raises(ValueError, match="email template"):
        NotifyTransport(NotifySettings(api_key=API_KEY))
    assert parse_template_ids(f"{EMAIL_TEMPLATE}") == {"*": EMAIL_TEMPLATE}
    assert parse_template_ids(f" *={EMAIL_TEMPLATE} , practice_message=abc ,") == {
        "*": EMAIL_TEMPLATE,
        "practice_message": "abc",
    }
    assert API_KEY not in repr(NotifySettings(api_key=API_KEY))


def test_the_background_sender_uses_notify_when_its_key_is_set(monkeypatch, engine, db_session):
    import asyncio

    queue_notice(db_session)
    with fake_notify() as notify:
        monkeypatch.setattr(
            settings_module,
            "settings",
            dataclasses.replace(settings_module.settings, smtp_url=None, notify=notify_config(notify.base_url)),
        )

        async def scenario() -> None:
            stop = asyncio.Event()
            task = asyncio.create_task(n.run_sender(stop, poll_seconds=0.05, session_factory=factory_for(engine)))
            for _ in range(100):
                if len(notify.received) == 2:
                    break
                await asyncio.sleep(0.05)
            stop.set()
            await asyncio.wait_for(task, timeout=5)

        asyncio.run(scenario())
    assert sorted(kind for kind, _ in notify.received) == ["email", "sms"]


def test_the_background_sender_stops_on_a_malformed_key(monkeypatch):
    import asyncio

    bad = dataclasses.replace(notify_config("http://127.0.0.1:9"), api_key="not-a-key")
    monkeypatch.setattr(settings_module, "settings", dataclasses.replace(settings_module.settings, notify=bad))
    asyncio.run(asyncio.wait_for(n.run_sender(None, poll_seconds=0.01), timeout=2))
