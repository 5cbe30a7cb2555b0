"""The email outbox: templates, SMTP URLs and delivery against a real local SMTP server."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import email
import email.policy
import ipaddress
import smtplib
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from anima_pwa import settings as settings_module
from anima_pwa.models import OutboxMessage, utcnow
from anima_pwa.services.platform import notifications as n
from tests.web import factory_for

SENDER = "Anima <no-reply@anima.test>"

CONTEXTS: dict[str, dict[str, str]] = {
    "practice_message": {"login_link": "https://anima.example/login"},
    "appointment_booked": {
        "practice_name": "Moss Bank Surgery",
        "when": "Monday 30 March 2026 at 09:00",
        "where": "At Moss Bank Surgery, MB1 2RH.",
        "login_link": "https://anima.example/login",
    },
    "appointment_cancelled": {
        "practice_name": "Moss Bank Surgery",
        "when": "Monday 30 March 2026 at 09:00",
        "login_link": "https://anima.example/login",
    },
    "appointment_reminder": {
        "practice_name": "Moss Bank Surgery",
        "when": "Monday 30 March 2026 at 09:00",
        "where": "At Moss Bank Surgery, MB1 2RH.",
        "login_link": "https://anima.example/login",
    },
    "appointment_moved": {
        "practice_name": "Moss Bank Surgery",
        "was": "Monday 30 March 2026 at 09:00",
        "when": "Tuesday 31 March 2026 at 10:30",
        "where": "At Moss Bank Surgery, MB1 2RH.",
        "login_link": "https://anima.example/login",
    },
    "verify_email": {"link": "https://anima.test/verify?t=abc"},
    "already_registered": {
        "login_link": "https://anima.test/login",
        "reset_link": "https://anima.test/reset",
    },
    "password_reset_code": {"code": "482913"},
    "password_changed": {"reset_link": "https://anima.test/reset"},
    "verification_pending_practice": {"practice_name": "Riverside Surgery"},
    "staff_set_password": {"practice_name": "Riverside Surgery", "link": "https://anima.test/set?t=x"},
    "staff_mfa_enrolment": {
        "practice_name": "Riverside Surgery",
        "link": "https://anima.test/practice/enrol?token=x",
        "lifetime": "3 days",
    },
    "patient_set_password": {"practice_name": "Riverside Surgery", "link": "https://anima.test/set-password?token=x"},
    "confirm_new_email": {"link": "https://anima.test/confirm-email-change?token=abc"},
    "email_changed": {"new_email_masked": "j***@example.com", "reset_link": "https://anima.test/forgot-password"},
    "verification_approved": {"practice_name": "Riverside Surgery"},
    "verification_rejected": {"practice_name": "Riverside Surgery"},
    "dependant_approved": {"practice_name": "Riverside Surgery"},
    "dependant_declined": {"practice_name": "Riverside Surgery"},
    "holder_link_requested": {"practice_name": "Riverside Surgery"},
    "holder_link_requested_self": {"practice_name": "Riverside Surgery"},
    "holder_approval_practice": {"practice_name": "Riverside Surgery"},
    "holder_removed": {"practice_name": "Riverside Surgery"},
}


# ------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Collector:
    """aiosmtpd handler keeping every received message."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], email.message.EmailMessage]] = []
        self.received = threading.Event()
        self.peers: set[object] = set()  # the client address and port of each connection that sent one

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook name
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        self.peers.add(session.peer)
        self.received.set()
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server(port: int | None = None, **kwargs) -> Iterator[tuple[Collector, int]]:
    handler = Collector()
    port = port or free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, server_hostname="smtp.test", **kwargs)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, and its key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def server_tls_context(tls_files):
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*tls_files)
    return context


def queue(session: Session, to: str = "jo@example.com", template: str = "verify_email") -> int:
    message = n.enqueue_email(session, to=to, template=template, **CONTEXTS[template])
    session.commit()
    assert message.id is not None
    return message.id


def reload(engine: Engine, message_id: int) -> OutboxMessage:
    with Session(engine) as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        return message


# ------------------------------------------------------------------------------------------------
# templates
# ------------------------------------------------------------------------------------------------


def test_every_template_has_a_test_context():
    assert set(CONTEXTS) == set(n.TEMPLATES)


@pytest.mark.parametrize("template", sorted(CONTEXTS))
def test_templates_render_without_placeholders(db_session, template):
    message = n.enqueue_email(db_session, to="jo@example.com", template=template, **CONTEXTS[template])
    assert message.id is not None
    assert message.status == "pending" and message.attempts == 0
    assert message.template == template
    for text in (message.subject, message.body_text):
        assert "{" not in text and "}" not in text
    for value in CONTEXTS[template].values():
        assert value in message.body_text
    assert len(message.subject) <= 200


def _clinical_words() -> set[str]:
    """Words that would say something about a person's health: every topic's title and search
    words, and the words of every red flag's question (the long ones, which carry the meaning)."""
    import re

    from anima_pwa.services import questionnaires

    words: set[str] = {"symptom", "symptoms", "pain", "bleeding", "suicide", "self-harm", "pregnant", "diagnosis"}
    for topic in questionnaires.all_topics():
        phrases = [topic.title, *topic.keywords]
        phrases += [flag.text for flag in questionnaires.red_flags_for(topic, is_child=False)]
        for phrase in phrases:
            words.update(w for w in re.findall(r"[a-z][a-z-]+", phrase.lower()) if len(w) >= 7)
    # Words emails need that also appear in a topic's words, and say nothing about a person's health.
    return words - {
        "account",
        "address",
        "details",
        "practice",
        "request",
        "requests",
        "message",
        "someone",
        "anything",
        "something",
        "contact",
        "changed",
        "another",
        "registered",
        "without",
        "yourself",
        "results",
        "through",
        "everything",
        "tomorrow",
        "appointment",
        "attend",
        "calendar",
        "reminder",
        "cancelled",
        "booked",
        "between",
        "nothing",
        "outside",
        "feeling",
        "getting",
        "example",
        "worried",
        "mistake",
        "minutes",
    }


@pytest.mark.parametrize("template", sorted(CONTEXTS))
def test_no_email_says_anything_clinical(template):
    """Emails are read on shared phones and screens: none may name a condition, a symptom or a
    topic (hazard HAZ-006)."""
    import re

    subject, body = n.render(template, **CONTEXTS[template])
    text = f"{subject} {body}".lower()
    found = sorted(w for w in _clinical_words() if re.search(rf"\b{re.escape(w)}\b", text))
    assert not found, f"{template} says {found}"


@pytest.mark.parametrize("template", sorted(n.SMS_TEMPLATES))
def test_no_sms_says_anything_clinical(template):
    """Text messages are read on lock screens: the same rule as emails (hazard HAZ-006, HAZ-060)."""
    import re

    text = n.render_sms(template, **CONTEXTS[template]).lower()
    found = sorted(w for w in _clinical_words() if re.search(rf"\b{re.escape(w)}\b", text))
    assert not found, f"{template} says {found}"
    assert len(n.render_sms(template, **CONTEXTS[template])) <= 160  # one SMS fragment


def test_template_wording():
    subject, body = n.render("verify_email", **CONTEXTS["verify_email"])
    assert subject == "Confirm your email address for Anima"
    assert "works once" in body and "24 hours" in body and "ignore" in body
    _, body = n.render("password_reset_code", code="123456")
    assert body.startswith(
        "Your Anima password reset code is 123456. It expires in 10 minutes. "
        "If you did not ask to reset your password, you can ignore this email."
    )
    _, body = n.render("verification_pending_practice", practice_name="Riverside Surgery")
    assert body.startswith(
        "A patient registration at Riverside Surgery needs manual verification. "
        "Sign in to the practice workspace to review it."
    )


def test_unknown_template_writes_nothing(db_session):
    with pytest.raises(KeyError, match="unknown email template"):
        n.enqueue_email(db_session, to="jo@example.com", template="nope", link="x")
    assert db_session.exec(select(OutboxMessage)).all() == []


def test_missing_context_key_writes_nothing(db_session):
    with pytest.raises(KeyError, match="reset_link"):
        n.enqueue_email(db_session, to="jo@example.com", template="already_registered", login_link="x")
    assert db_session.exec(select(OutboxMessage)).all() == []


@pytest.mark.parametrize("to", ["", "no-at-sign", "a@b.com\r\nBcc: x@y.com", "a@b.com, c@d.com"])
def test_bad_address_writes_nothing(db_session, to):
    with pytest.raises(ValueError):
        n.enqueue_email(db_session, to=to, template="password_reset_code", code="1")
    assert db_session.exec(select(OutboxMessage)).all() == []


# ------------------------------------------------------------------------------------------------
# SMTP URLs
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.com", ("mail.example.com", 25, None, None, "plain", None)),
        ("smtp://user:pass@mail.example.com:2525", ("mail.example.com", 2525, "user", "pass", "plain", None)),
        ("smtp://mail.example.com:587?starttls=1", ("mail.example.com", 587, None, None, "starttls", None)),
        ("smtp://u:p@h?starttls=true&cafile=/etc/ca.pem", ("h", 25, "u", "p", "starttls", "/etc/ca.pem")),
        ("smtp://h?starttls=0", ("h", 25, None, None, "plain", None)),
        (
            "smtps://user%40x.com:p%40ss%3Aw%2Frd@mail.example.com",
            ("mail.example.com", 465, "user@x.com", "p@ss:w/rd", "ssl", None),
        ),
        ("smtps://h:2465?cafile=%2Ftmp%2Fca.pem", ("h", 2465, None, None, "ssl", "/tmp/ca.pem")),
        ("SMTPS://u:@H.example.com", ("h.example.com", 465, "u", "", "ssl", None)),
    ],
)
def test_parse_smtp_url(url, expected):
    config = n.parse_smtp_url(url)
    assert (config.host, config.port, config.username, config.password, config.mode, config.cafile) == expected


@pytest.mark.parametrize(
    "url",
    [
        "",
        "http://mail.example.com",
        "mail.example.com:25",
        "smtp://",
        "smtp://:25",
        "smtp://h:notaport",
        "smtp://h:99999",
        "smtps://h?starttls=1",
        "smtp://h?tls=1",
        "smtp://h?starttls=maybe",
        "smtp://h?cafile=/etc/ca.pem",
        "smtp://h/path",
        "smtp://:secret@h",
    ],
)
def test_parse_smtp_url_rejects(url):
    with pytest.raises(ValueError):
        n.parse_smtp_url(url)


def test_smtp_config_repr_hides_password():
    assert "s3cret" not in repr(n.parse_smtp_url("smtp://u:s3cret@h"))


# ------------------------------------------------------------------------------------------------
# delivery against a real SMTP server
# ------------------------------------------------------------------------------------------------


def test_delivers_plain_and_marks_sent(engine, db_session):
    message_id = queue(db_session, to="jo+a@example.com", template="password_reset_code")
    with smtp_server() as (handler, port):
        transport = n.SmtpTransport.from_url(f"smtp://127.0.0.1:{port}")
        report = n.deliver_due(factory_for(engine), transport, sender=SENDER)
    assert report == n.DeliveryReport(sent=1, retried=0, failed=0)
    [(mail_from, rcpt_tos, parsed)] = handler.messages
    assert mail_from == "no-reply@anima.test"
    assert rcpt_tos == ["jo+a@example.com"]
    assert parsed["From"] == SENDER
    assert parsed["To"] == "jo+a@example.com"
    assert parsed["Subject"] == "Your Anima password reset code"
    assert parsed["Date"] and parsed["Message-ID"].endswith("@anima.test>")
    assert parsed.get_content_type() == "text/plain"
    assert "Your Anima password reset code is 482913." in parsed.get_content()
    stored = reload(engine, message_id)
    assert stored.status == "sent" and stored.sent_at is not None and stored.locked_until is None
    # The reset code does not outlive delivery in the database.
    assert "482913" not in stored.body_text and stored.body_text == n.SENT_BODY
    # Nothing left to do: a second run sends nothing.
    assert n.deliver_due(factory_for(engine), transport, sender=SENDER) == n.DeliveryReport()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_delivers_with_auth(engine, db_session):
    seen: list[tuple[bytes, bytes]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        assert isinstance(auth_data, LoginPassword)
        seen.append((auth_data.login, auth_data.password))
        ok = auth_data.login == b"mailer" and auth_data.password == b"p@ss:w/rd"
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 235/535

    message_id = queue(db_session)
    with smtp_server(authenticator=authenticator, auth_required=True, auth_require_tls=False) as (
        handler,
        port,
    ):
        wrong = n.SmtpTransport.from_url(f"smtp://mailer:wrong@127.0.0.1:{port}")
        assert n.deliver_due(factory_for(engine), wrong, sender=SENDER).retried == 1
        assert "SMTPAuthenticationError" in reload(engine, message_id).last_error

        right = n.SmtpTransport.from_url(f"smtp://mailer:p%40ss%3Aw%2Frd@127.0.0.1:{port}")
        later = utcnow() + timedelta(minutes=1)
        assert n.deliver_due(factory_for(engine), right, sender=SENDER, now=later).sent == 1
    assert (b"mailer", b"p@ss:w/rd") in seen
    assert len(handler.messages) == 1
    assert reload(engine, message_id).status == "sent"


def test_delivers_with_starttls(engine, db_session, tls_files):
    message_id = queue(db_session)
    with smtp_server(tls_context=server_tls_context(tls_files), require_starttls=True) as (handler, port):
        transport = n.SmtpTransport.from_url(f"smtp://127.0.0.1:{port}?starttls=1&cafile={tls_files[0]}")
        assert n.deliver_due(factory_for(engine), transport, sender=SENDER).sent == 1
    assert handler.messages[0][2]["Subject"] == "Confirm your email address for Anima"
    assert reload(engine, message_id).status == "sent"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_delivers_with_implicit_tls_and_auth(engine, db_session, tls_files):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"mailer" and auth_data.password == b"pw"
        return AuthResult(success=ok, handled=False)

    message_id = queue(db_session, template="password_changed")
    # aiosmtpd only counts STARTTLS as TLS for AUTH, so implicit TLS needs auth_require_tls=False.
    with smtp_server(
        ssl_context=server_tls_context(tls_files),
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,
    ) as (handler, port):
        transport = n.SmtpTransport.from_url(f"smtps://mailer:pw@localhost:{port}?cafile={tls_files[0]}")
        assert n.deliver_due(factory_for(engine), transport, sender=SENDER).sent == 1
    assert handler.messages[0][1] == ["jo@example.com"]
    assert reload(engine, message_id).status == "sent"


def test_untrusted_certificate_is_refused(engine, db_session, tls_files):
    """Without ?cafile= the system trust store is used, so a self-signed server is not trusted."""
    message_id = queue(db_session)
    with smtp_server(ssl_context=server_tls_context(tls_files)) as (handler, port):
        transport = n.SmtpTransport.from_url(f"smtps://127.0.0.1:{port}")
        assert n.deliver_due(factory_for(engine), transport, sender=SENDER).retried == 1
    assert handler.messages == []
    stored = reload(engine, message_id)
    assert stored.status == "pending" and "CERTIFICATE_VERIFY_FAILED" in stored.last_error


def test_server_down_keeps_message_then_delivers(engine, db_session):
    first, second = queue(db_session), queue(db_session, to="sam@example.com")
    port = free_port()  # nothing listens here yet
    transport = n.SmtpTransport.from_url(f"smtp://127.0.0.1:{port}")
    now = utcnow()
    report = n.deliver_due(factory_for(engine), transport, sender=SENDER, now=now)
    # Connection refused: the first message is retried later, the rest of the batch is left alone.
    assert report == n.DeliveryReport(sent=0, retried=1, failed=0)
    stored = reload(engine, first)
    assert stored.status == "pending" and stored.attempts == 1
    assert stored.next_attempt_at == now + timedelta(seconds=30)
    assert stored.locked_until is None and stored.last_error
    assert reload(engine, second).attempts == 0

    with smtp_server(port=port) as (handler, _):
        # The retried message is not due yet; the untouched one is.
        assert n.deliver_due(factory_for(engine), transport, sender=SENDER, now=now).sent == 1
        assert n.deliver_due(factory_for(engine), transport, sender=SENDER, now=now + timedelta(seconds=31)).sent == 1
    assert sorted(rcpt[0] for _, rcpt, _ in handler.messages) == ["jo@example.com", "sam@example.com"]
    assert reload(engine, first).status == "sent"


class FlakyTransport:
    """A transport that always fails like a recipient refusal."""

    def __init__(self) -> None:
        self.calls = 0

    def send(self, message: OutboxMessage, *, sender: str) -> None:
        self.calls += 1
        raise smtplib.SMTPRecipientsRefused({message.to_address: (550, b"x" * 1000)})


def test_backoff_schedule():
    assert [n.backoff(i).total_seconds() for i in range(1, 10)] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]


def test_ten_failures_mark_failed(engine, db_session):
    message_id = queue(db_session)
    transport = FlakyTransport()
    factory = factory_for(engine)
    now = utcnow()
    for attempt in range(1, 11):
        report = n.deliver_due(factory, transport, sender=SENDER, now=now)
        stored = reload(engine, message_id)
        assert stored.attempts == attempt
        assert len(stored.last_error) == 500
        if attempt < 10:
            assert report.retried == 1 and stored.status == "pending"
            assert stored.next_attempt_at == now + n.backoff(attempt)
            # Not due again until the backoff has passed.
            assert n.deliver_due(factory, transport, sender=SENDER, now=now).retried == 0
            now = stored.next_attempt_at
        else:
            assert report.failed == 1 and stored.status == "failed"
    assert transport.calls == 10
    assert n.deliver_due(factory, transport, sender=SENDER, now=now + timedelta(days=1)) == n.DeliveryReport()


def test_locked_message_is_not_claimed(engine, db_session):
    message_id = queue(db_session)
    now = utcnow()
    with factory_for(engine)() as session:
        message = session.get(OutboxMessage, message_id)
        message.locked_until = now + timedelta(minutes=2)  # another worker is sending it
        session.add(message)
    transport = FlakyTransport()
    assert n.deliver_due(factory_for(engine), transport, sender=SENDER, now=now) == n.DeliveryReport()
    assert transport.calls == 0
    # A worker that died mid-send: the lock expires and the message is picked up again.
    n.deliver_due(factory_for(engine), transport, sender=SENDER, now=now + timedelta(minutes=3))
    assert transport.calls == 1


class RecordingTransport:
    """Records which message ids were sent, pausing a little to widen the race window."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent: list[int] = []

    def send(self, message: OutboxMessage, *, sender: str) -> None:
        threading.Event().wait(0.002)
        with self.lock:
            assert message.id is not None
            self.sent.append(message.id)


def test_concurrent_workers_never_send_twice(engine, db_session):
    ids = [queue(db_session, to=f"p{i}@example.com") for i in range(30)]
    transport = RecordingTransport()
    start = threading.Barrier(2)
    reports: list[n.DeliveryReport] = []
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            factory = factory_for(engine)
            start.wait()
            reports.append(n.deliver_due(factory, transport, sender=SENDER, batch=50, worker=name))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(transport.sent) == sorted(ids)  # every message exactly once
    assert sum(report.sent for report in reports) == 30
    with Session(engine) as session:
        statuses = {m.status for m in session.exec(select(OutboxMessage)).all()}
    assert statuses == {"sent"}


# ------------------------------------------------------------------------------------------------
# the background sender
# ------------------------------------------------------------------------------------------------


def test_run_sender_returns_without_smtp_url(monkeypatch):
    monkeypatch.setattr(settings_module, "settings", dataclasses.replace(settings_module.settings, smtp_url=None))
    asyncio.run(asyncio.wait_for(n.run_sender(None, poll_seconds=0.01), timeout=2))


def test_run_sender_returns_with_invalid_smtp_url(monkeypatch):
    monkeypatch.setattr(settings_module, "settings", dataclasses.replace(settings_module.settings, smtp_url="http://x"))
    asyncio.run(asyncio.wait_for(n.run_sender(None, poll_seconds=0.01), timeout=2))


def test_run_sender_delivers_until_stopped(monkeypatch, engine, db_session):
    queue(db_session)
    with smtp_server() as (handler, port):
        monkeypatch.setattr(
            settings_module,
            "settings",
            dataclasses.replace(settings_module.settings, smtp_url=f"smtp://127.0.0.1:{port}", email_from=SENDER),
        )

        async def scenario() -> None:
            stop = asyncio.Event()
            task = asyncio.create_task(n.run_sender(stop, poll_seconds=0.05, session_factory=factory_for(engine)))
            assert await asyncio.to_thread(handler.received.wait, 5)
            stop.set()
            await asyncio.wait_for(task, timeout=2)

        asyncio.run(scenario())
    assert len(handler.messages) == 1


# ------------------------------------------------------------------------------------------------
# demo mailbox
# ------------------------------------------------------------------------------------------------


def test_extract_links():
    text = (
        "Go to https://a.test/verify?t=abc. Or (http://b.test/x), again https://a.test/verify?t=abc\n"
        "not ftp://c.test nor mailto:x@y"
    )
    assert n.extract_links(text) == ["https://a.test/verify?t=abc", "http://b.test/x"]
    assert n.extract_links("") == []


def test_recent_messages_newest_first(db_session):
    first = n.enqueue_email(db_session, to="a@example.com", template="verify_email", link="https://x.test/1")
    second = n.enqueue_email(
        db_session,
        to="b@example.com",
        template="already_registered",
        login_link="https://x.test/login",
        reset_link="https://x.test/reset",
    )
    first.created_at = second.created_at - timedelta(seconds=1)
    db_session.add(first)
    db_session.commit()
    rows = n.recent_messages(db_session, limit=10)
    assert [row["id"] for row in rows] == [second.id, first.id]
    assert rows[0]["to"] == "b@example.com"
    assert rows[0]["links"] == ["https://x.test/login", "https://x.test/reset"]
    assert rows[1]["links"] == ["https://x.test/1"]
    assert rows[1]["status"] == "pending" and rows[1]["subject"].startswith("Confirm")
    assert dt.datetime.fromisoformat(rows[0]["created_at"]).tzinfo is not None
    assert set(rows[0]) == {"id", "to", "channel", "subject", "body", "created_at", "status", "links"}
    assert len(n.recent_messages(db_session, limit=1)) == 1
