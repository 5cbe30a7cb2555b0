"""Issue 13 on a phone: the practice's own link and its poster; and a push notification reaching
the service worker and opening the request page.

Headless Chromium has no push service to subscribe with, so the test stands in for the browser's
side of the subscription (its keys, and a push service on 127.0.0.1 that the app's sender posts
to). Everything else is the app's: the subscription goes through `POST /push/subscription` with
the session cookie, the notice is queued as the practice's screens queue it, the app's outbox
sender signs and encrypts it, and the payload it sent is delivered to the real service worker
through the DevTools protocol (ServiceWorker.deliverPushMessage), which shows the notification;
opening it navigates to the request's page."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from datetime import date

from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from e2e.journeys import PASSWORD, fresh_nhs_number, login, new_email, settled
from tests.test_push import Browser, PushService


def test_the_practice_link_preselects_the_practice_and_prints_a_poster(phone: Page, app, mailbox, shot):
    phone.goto("/p/y90001")
    settled(phone)
    expect(phone.get_by_role("heading", level=1, name="Riverside Health Centre")).to_be_visible()
    expect(phone.get_by_role("heading", name="Practice Details")).to_be_visible()
    expect(phone.get_by_role("heading", name="Online request hours")).to_be_visible()
    shot("practice-link")

    phone.get_by_role("link", name="Print a poster of this page's link").click()
    settled(phone)
    expect(phone.get_by_role("heading", name="Contact us online with Anima")).to_be_visible()
    expect(phone.get_by_text(f"{app.url}/p/Y90001", exact=True)).to_be_visible()
    qr = phone.get_by_role("img", name=f"QR code for {app.url}/p/Y90001")
    expect(qr).to_be_visible()
    assert qr.evaluate("(img) => img.src").startswith("data:image/svg+xml;base64,")
    phone.emulate_media(media="print")
    expect(phone.locator("header.header")).to_be_hidden()
    expect(phone.get_by_role("button", name="Print this poster")).to_be_hidden()
    phone.emulate_media(media="screen")
    shot("poster")

    # Unknown and closed codes: a 404 and a clear page.
    try:
        urllib.request.urlopen(f"{app.url}/p/ZZ9999")
        raise AssertionError("an unknown practice code must be a 404")
    except urllib.error.HTTPError as error:
        assert error.code == 404
    phone.goto("/p/ZZ9999")
    expect(phone.get_by_role("heading", name="We could not find that practice")).to_be_visible()

    # Help for anyone: other NHS services (the NHS website's finders) and adding Anima to the home
    # screen, whose install button shows only when the browser offers to install.
    phone.goto("/services-near-you")
    settled(phone)
    expect(phone.get_by_role("heading", name="Pharmacies and Pharmacy First")).to_be_visible()
    finder = phone.get_by_role("link", name="Find a dentist")
    expect(finder).to_have_attribute("href", "https://www.nhs.uk/service-search/find-a-dentist")
    phone.get_by_role("link", name="Add to home screen").click()
    settled(phone)
    expect(phone.get_by_role("heading", name="iPhone or iPad (Safari)")).to_be_visible()
    expect(phone.get_by_role("button", name="Add Anima to this device")).to_be_hidden()
    shot("install-help")

    # Signing up after following the link: the practice is already chosen.
    from e2e.journeys import confirmed_account

    phone.goto("/p/Y90001")
    settled(phone)
    phone.get_by_role("link", name="Create an account").click()
    email = confirmed_account(phone, mailbox, shot, "practice-link")
    phone.goto("/login")
    login(phone, email, PASSWORD)
    expect(phone.get_by_role("heading", name="Your details")).to_be_visible()
    expect(phone.get_by_label("GP practice")).to_have_value("Riverside Health Centre")
    expect(phone.get_by_label("Practice postcode")).to_have_value("MB1 2RH")
    shot("practice-preselected")


def _patient_with_request(db) -> tuple[str, int]:
    from anima_pwa.models import Account, AccountPatient, Patient, Practice, Request, utcnow
    from anima_pwa.services.identity import passwords

    now = utcnow()
    with Session(db, expire_on_commit=False) as session:
        practice = session.exec(select(Practice).where(Practice.ods_code == "Y90001")).one()
        email = new_email("push")
        account = Account(
            email=email,
            email_normalized=email,
            password_hash=passwords.hash_password(PASSWORD),
            email_verified_at=now,
        )
        patient = Patient(
            full_name="Nia Push", date_of_birth=date(1990, 1, 2), nhs_number=fresh_nhs_number(), postcode="MB1 2RH",
            practice_id=practice.id, verification_status="verified",
        )  # fmt: skip
        session.add_all([account, patient])
        session.flush()
        session.add(AccountPatient(account_id=account.id, patient_id=patient.id, relationship="self"))
        request = Request(
            reference=f"AN-{fresh_nhs_number()[:6]}", patient_id=patient.id, account_id=account.id,
            practice_id=practice.id, kind="medical", topic="cough-and-cold", answers=json.dumps({}),
            free_text="A cough since Monday.", subject="Cough", urgency="routine", team="gp",
            status="assigned", submitted_at=now,
        )  # fmt: skip
        session.add(request)
        session.commit()
        return email, request.id


def test_a_push_notification_reaches_the_service_worker_and_opens_the_request(phone: Page, app, db, shot):
    from anima_pwa.models import Request
    from anima_pwa.services.inbox import notices

    email, request_id = _patient_with_request(db)
    phone.context.grant_permissions(["notifications"], origin=app.url)
    phone.goto("/login")
    login(phone, email, PASSWORD)
    expect(phone.get_by_role("heading", level=1)).not_to_have_text("Login")

    phone.goto("/settings/preferences")
    settled(phone)
    expect(phone.get_by_role("heading", name="Notifications on this device")).to_be_visible()
    # The worker is running and the page knows this device has no subscription yet.
    expect(phone.locator("#push-status")).to_have_text("Notifications are off for this device.")
    expect(phone.get_by_role("button", name="Turn on notifications on this device")).to_be_visible()
    shot("notifications-off")

    service = PushService()
    try:
        device = Browser(service.origin + "/wpush/device-1")
        answer = phone.evaluate(
            """(subscription) => fetch("/push/subscription", {method: "POST", credentials: "same-origin",
                headers: {"Content-Type": "application/json"}, body: JSON.stringify({subscription})})
                .then((r) => r.json())""",
            device.subscription(),
        )
        assert answer == {"on": True}

        with Session(db, expire_on_commit=False) as session:  # the practice writes (as its screens do)
            notices.tell_holders(session, session.get(Request, request_id))
            session.commit()
        deadline = time.monotonic() + 20
        while not service.requests and time.monotonic() < deadline:
            time.sleep(0.2)
        assert service.requests, "the app's outbox sender did not push"
        [(_, headers, body)] = service.requests
        assert headers["authorization"].startswith("vapid t=")
        payload = device.decrypt(body)
    finally:
        service.close()
    assert json.loads(payload) == {
        "title": "Anima",
        "body": "You have a new message from your practice",
        "url": f"/requests/view?id={request_id}",
    }

    # The same payload, delivered to the real service worker as a push event.
    cdp = phone.context.new_cdp_session(phone)
    registrations: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while not registrations and time.monotonic() < deadline:
        phone.wait_for_timeout(100)
    [registration] = [r for r in registrations if r["scopeURL"].startswith(app.url) and not r["isDeleted"]][:1]
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": app.url + "/", "registrationId": registration["registrationId"], "data": payload.decode()},
    )
    shown = []
    deadline = time.monotonic() + 10
    while not shown and time.monotonic() < deadline:
        shown = phone.evaluate(
            """() => navigator.serviceWorker.ready.then((r) => r.getNotifications())
                .then((list) => list.map((n) => ({title: n.title, body: n.body, url: n.data && n.data.url})))"""
        )
        if not shown:
            phone.wait_for_timeout(200)
    assert shown == [
        {
            "title": "Anima",
            "body": "You have a new message from your practice",
            "url": f"/requests/view?id={request_id}",
        }
    ]

    # Opening it (the worker's notificationclick handler) goes to the request's page.
    [worker] = [w for w in phone.context.service_workers if w.url.endswith("/sw.js")]
    worker.evaluate("() => self.registration.getNotifications().then((list) => openFromNotification(list[0]))")
    expect(phone).to_have_url(re.compile(rf".*/requests/view/?\?id={request_id}$"))
    settled(phone)
    expect(phone.get_by_role("heading", level=1)).to_be_visible()
    shot("opened-from-notification")
    cdp.detach()

    # Signing out on this device turns its notifications off.
    phone.get_by_role("button", name="Sign out").click()
    expect(phone).to_have_url(re.compile(r".*/login/?\?signed_out=1$"))
    from anima_pwa.models import PushSubscription

    with Session(db) as session:
        assert (
            session.exec(select(PushSubscription).where(PushSubscription.endpoint == device.endpoint)).first() is None
        )
