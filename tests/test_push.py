"""Web push (services/platform/notifications/push.py): subscriptions (one account per browser,
ended at sign-out), the notice queued for each device with no clinical content, and the sender
against a local push service that checks the VAPID-signed, aes128gcm-encrypted request (HAZ-080,
HAZ-081, HAZ-082)."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from sqlmodel import Session, select

from anima_pwa import routes
from anima_pwa.models import Account, OutboxMessage, PushSubscription
from anima_pwa.services.identity import sessions
from anima_pwa.services.inbox import notices
from anima_pwa.services.platform.notifications import deliver_due, push
from tests.test_inbox_c_notices import family


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Browser:
    """A browser's side of a push subscription: its ECDH key pair and auth secret."""

    def __init__(self, endpoint: str) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.endpoint = endpoint

    def subscription(self) -> dict:
        public = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"endpoint": self.endpoint, "keys": {"p256dh": b64url(public), "auth": b64url(self.auth)}}

    def decrypt(self, body: bytes) -> bytes:
        return http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth, version="aes128gcm")


@pytest.fixture
def vapid_key(tmp_path: Path) -> Path:
    path = tmp_path / "vapid.pem"
    push.ensure_key(path)
    return path


def test_the_demo_key_is_made_once_private_and_gives_a_p256_public_key(vapid_key: Path) -> None:
    assert oct(vapid_key.stat().st_mode & 0o777) == "0o600"
    before = vapid_key.read_bytes()
    push.ensure_key(vapid_key)
    assert vapid_key.read_bytes() == before
    raw = unb64url(push.public_key(vapid_key))
    assert len(raw) == 65 and raw[0] == 4


def sign_in(db: Session, account: Account) -> tuple[str, str]:
    token = sessions.start(db, account, method="password")
    return token, sessions.resolve(db, token).session_id


def test_a_browser_is_one_accounts_and_bad_subscriptions_are_refused(db_session: Session) -> None:
    _, mum = family(db_session)
    from tests.factories import make_account

    dad = make_account(db_session, "dad@example.com")
    _, mum_session = sign_in(db_session, mum)
    _, dad_session = sign_in(db_session, dad)
    browser = Browser("https://push.example.net/send/abc123")
    assert push.subscribe(db_session, account_id=mum.id, session_id=mum_session, subscription=browser.subscription()).ok
    assert push.devices_for(db_session, mum.id) == 1
    # Dad signs in on the same browser: it checks in as not his, and is dropped (not moved to him).
    assert not push.check_subscription(db_session, account_id=dad.id, session_id=dad_session, endpoint=browser.endpoint)
    assert push.devices_for(db_session, mum.id) == 0
    # He turns notifications on himself: the browser is his now, and only his.
    assert push.subscribe(db_session, account_id=dad.id, session_id=dad_session, subscription=browser.subscription()).ok
    assert push.subscribe(db_session, account_id=mum.id, session_id=mum_session, subscription=browser.subscription()).ok
    assert [row.account_id for row in db_session.exec(select(PushSubscription)).all()] == [mum.id]

    good = browser.subscription()
    bad = [
        None,
        "x",
        {**good, "endpoint": "http://push.example.net/send"},  # not https
        {**good, "endpoint": "javascript:alert(1)"},
        {**good, "endpoint": "https://user@push.example.net/x"},
        {**good, "keys": {"p256dh": good["keys"]["p256dh"][:-4], "auth": good["keys"]["auth"]}},
        {**good, "keys": {"p256dh": good["keys"]["p256dh"], "auth": "!!"}},
        {**good, "keys": None},
    ]
    for subscription in bad:
        assert not push.subscribe(db_session, account_id=mum.id, session_id=mum_session, subscription=subscription).ok


def test_signing_out_ends_that_devices_notifications_and_a_reset_ends_every_device(db_session: Session) -> None:
    _, mum = family(db_session)
    phone_token, phone_session = sign_in(db_session, mum)
    laptop_token, laptop_session = sign_in(db_session, mum)
    phone, laptop = Browser("https://push.example.net/phone"), Browser("https://push.example.net/laptop")
    push.subscribe(db_session, account_id=mum.id, session_id=phone_session, subscription=phone.subscription())
    push.subscribe(db_session, account_id=mum.id, session_id=laptop_session, subscription=laptop.subscription())
    sessions.end(db_session, phone_token)
    assert [row.endpoint for row in db_session.exec(select(PushSubscription)).all()] == [laptop.endpoint]
    sessions.end_all(db_session, mum.id)
    assert db_session.exec(select(PushSubscription)).all() == []


def test_the_notice_goes_to_each_device_with_no_clinical_content(db_session: Session) -> None:
    request, mum = family(db_session)
    _, mum_session = sign_in(db_session, mum)
    for name in ("phone", "tablet"):
        sub = Browser(f"https://push.example.net/{name}").subscription()
        assert push.subscribe(db_session, account_id=mum.id, session_id=mum_session, subscription=sub).ok
    queued = [m for m in notices.tell_holders(db_session, request) if m.channel == "push"]
    assert len(queued) == 2 and all(m.request_id is None for m in queued)
    payload = json.loads(queued[0].body_text)
    assert payload == {
        "title": "Anima",
        "body": "You have a new message from your practice",
        "url": routes.request_view(request.id),
    }
    for word in ("Lily", "wheez", "cough", "asthma", "Riverside"):
        assert word.lower() not in queued[0].body_text.lower()


# The sender against a local push service ---------------------------------------------------------


class PushService:
    """A push service on 127.0.0.1 that records each request and answers with `status`."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.status = 201
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                service.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(service.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def push_service():
    service = PushService()
    yield service
    service.close()


@pytest.fixture
def factory(engine):
    @contextmanager
    def scope():
        with Session(engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    return scope


def queued_push(factory, browser: Browser) -> tuple[int, int]:
    with factory() as db:
        request, mum = family(db)
        _, session_id = sign_in(db, mum)
        assert push.subscribe(db, account_id=mum.id, session_id=session_id, subscription=browser.subscription()).ok
        [message] = [m for m in notices.tell_holders(db, request) if m.channel == "push"]
        return message.id, request.id


def verify_vapid(authorization: str, aud: str) -> dict:
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid"
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    token, key = fields["t"], fields["k"]
    header_b64, claims_b64, signature_b64 = token.split(".")
    assert json.loads(unb64url(header_b64)) == {"typ": "JWT", "alg": "ES256"}
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
    signature = unb64url(signature_b64)
    assert len(signature) == 64  # raw r||s, as JWS ES256 requires
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if forged
    claims = json.loads(unb64url(claims_b64))
    assert claims["aud"] == aud
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600
    assert claims["sub"].startswith(("mailto:", "https://"))
    return {"claims": claims, "key": key}


def test_the_sender_signs_encrypts_and_delivers(factory, push_service: PushService, vapid_key: Path) -> None:
    browser = Browser(push_service.origin + "/wpush/v2/device-1")
    message_id, request_id = queued_push(factory, browser)
    transport = push.PushTransport(vapid_key, "mailto:practice-support@anima.example", factory)
    report = deliver_due(factory, {"push": transport}, sender="")
    assert report.sent == 1
    [(path, headers, body)] = push_service.requests
    assert path == "/wpush/v2/device-1"
    signed = verify_vapid(headers["authorization"], push_service.origin)
    assert signed["key"] == push.public_key(vapid_key)
    assert headers["content-encoding"] == "aes128gcm"
    assert int(headers["ttl"]) > 0
    assert b"practice" not in body  # encrypted
    assert json.loads(browser.decrypt(body)) == {
        "title": "Anima",
        "body": "You have a new message from your practice",
        "url": f"/requests/view?id={request_id}",
    }
    with factory() as db:
        assert db.get(OutboxMessage, message_id).status == "sent"
        assert db.exec(select(PushSubscription)).one().last_sent_at is not None


@pytest.mark.parametrize("status", [404, 410])
def test_a_gone_subscription_is_removed(factory, push_service: PushService, vapid_key: Path, status: int) -> None:
    push_service.status = status
    message_id, _ = queued_push(factory, Browser(push_service.origin + "/gone"))
    transport = push.PushTransport(vapid_key, "mailto:a@anima.example", factory)
    assert deliver_due(factory, {"push": transport}, sender="").failed == 1
    with factory() as db:
        assert db.get(OutboxMessage, message_id).status == "failed"
        assert db.exec(select(PushSubscription)).all() == []


def test_a_busy_push_service_is_retried(factory, push_service: PushService, vapid_key: Path) -> None:
    push_service.status = 503
    message_id, _ = queued_push(factory, Browser(push_service.origin + "/busy"))
    transport = push.PushTransport(vapid_key, "mailto:a@anima.example", factory)
    assert deliver_due(factory, {"push": transport}, sender="").retried == 1
    with factory() as db:
        message = db.get(OutboxMessage, message_id)
        assert message.status == "pending" and message.attempts == 1
        assert db.exec(select(PushSubscription)).one() is not None


def test_a_device_turned_off_before_sending_is_not_sent_to(factory, push_service: PushService, vapid_key: Path):
    message_id, _ = queued_push(factory, Browser(push_service.origin + "/off"))
    with factory() as db:
        for row in db.exec(select(PushSubscription)).all():
            db.delete(row)
    transport = push.PushTransport(vapid_key, "mailto:a@anima.example", factory)
    assert deliver_due(factory, {"push": transport}, sender="").failed == 1
    assert push_service.requests == []


def test_the_subject_must_be_a_contact(vapid_key: Path, factory) -> None:
    with pytest.raises(ValueError):
        push.PushTransport(vapid_key, "someone", factory)


def test_appointment_notices_from_the_practice_reach_the_phone_but_the_patients_own_do_not(db_session: Session) -> None:
    """The reminder and the practice's changes also go to installed apps, opening the appointment's
    page, in fixed words; what the patient just did on screen themselves does not."""
    from anima_pwa.services.appointments import booking, reminders
    from tests.appointment_world import generate, invite, london, make_world, patient_with_account
    from tests.test_appointments import NOW

    world = make_world(db_session)
    generate(db_session, world, NOW)
    zoe, zoe_id = patient_with_account(db_session, world, "Zoe Smith", "zoe@example.com")
    account = db_session.get(Account, zoe_id.account_id)
    _, zoe_session = sign_in(db_session, account)  # type: ignore[arg-type]
    assert push.subscribe(
        db_session,
        account_id=zoe_id.account_id,
        session_id=zoe_session,
        subscription=Browser("https://push.example.net/z").subscription(),
    ).ok
    invite_id = invite(db_session, world, zoe, NOW)
    times, _ = booking.free_times(db_session, zoe_id, invite_id, "2026-03-23", NOW)
    appointment_id = booking.book(db_session, zoe_id, invite_id, times[0].slot_id, NOW).appointment_id

    def pushed():
        return [
            json.loads(m.body_text)
            for m in db_session.exec(select(OutboxMessage).where(OutboxMessage.channel == "push")).all()
        ]

    assert pushed() == []  # she booked it herself, on screen
    assert reminders.send_reminders(db_session, london(2026, 3, 22, 18)) == 1
    assert pushed() == [
        {"title": "Anima", "body": "You have an appointment tomorrow", "url": routes.appointment_view(appointment_id)}
    ]
    with pytest.raises(ValueError):
        push.payload("/home", "Your blood test is tomorrow")  # only the fixed words
