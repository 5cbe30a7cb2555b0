"""Builds the Reflex app: look, head tags, pages, extra HTTP routes. Wiring only."""

from __future__ import annotations

import reflex as rx
from reflex import constants
from reflex.environment import environment

from anima_pwa import routes
from anima_pwa.http import practice_link_cookie, security_headers, static_routes
from anima_pwa.pages.appointments import patient as appointment_pages
from anima_pwa.pages.appointments import practice_books as practice_books_pages
from anima_pwa.pages.appointments import practice_today as practice_today_pages
from anima_pwa.pages.identity import auth
from anima_pwa.pages.identity import settings as settings_pages
from anima_pwa.pages.inbox import patient as inbox_patient
from anima_pwa.pages.inbox import practice_queue as practice_queue_page
from anima_pwa.pages.inbox import practice_request as practice_request_page
from anima_pwa.pages.patients import dependants as dependants_pages
from anima_pwa.pages.patients import registration
from anima_pwa.pages.platform import demo, help, info
from anima_pwa.pages.practice import create_request as create_request_pages
from anima_pwa.pages.practice import patient_management as pm_pages
from anima_pwa.pages.practice import practice_link as practice_link_pages
from anima_pwa.pages.practice import practice_settings as practice_settings_pages
from anima_pwa.pages.practice import workspace as practice
from anima_pwa.pages.requests import practice_signposts as practice_signposts_pages
from anima_pwa.pages.requests import wizard as request_pages
from anima_pwa.services.appointments import housekeeping as appointment_housekeeping
from anima_pwa.services.inbox import record as health_record
from anima_pwa.services.nhs_login import client as nhs_login
from anima_pwa.services.platform import maintenance, notifications
from anima_pwa.services.platform.notifications import push
from anima_pwa.settings import settings
from anima_pwa.state.appointments.patient import AppointmentState, BookAppointmentState
from anima_pwa.state.appointments.practice_books import AppointmentBooksState, AppointmentBookState
from anima_pwa.state.appointments.practice_today import PracticeTodayState
from anima_pwa.state.base import SessionState, backend_exception_handler
from anima_pwa.state.binding import SessionBinding
from anima_pwa.state.identity.auth import (
    LoginState,
    PasswordResetState,
    SetPasswordState,
    SignUpState,
    VerifyEmailState,
)
from anima_pwa.state.identity.nhs_login import NhsLoginState
from anima_pwa.state.identity.settings import (
    ConfirmEmailChangeState,
    LoginSettingsState,
    MfaSettingsState,
    PreferencesState,
)
from anima_pwa.state.inbox.patient import InProgressState, RequestViewState, YourRequestsState
from anima_pwa.state.inbox.practice_queue import PracticeQueueState
from anima_pwa.state.inbox.practice_request import PracticeRequestState
from anima_pwa.state.patients.dependants import AddDependantState, DependantsState
from anima_pwa.state.patients.registration import HomeState, RegisterState
from anima_pwa.state.platform.demo import MailboxState
from anima_pwa.state.practice.create_request import CreateRequestState
from anima_pwa.state.practice.patient_management import (
    AuditTrailState,
    PatientRecordState,
    PatientSearchState,
    VerificationsState,
)
from anima_pwa.state.practice.practice_link import PracticeLinkState
from anima_pwa.state.practice.practice_settings import CoreHoursLogState, PracticeSettingsState
from anima_pwa.state.practice.workspace import PracticeState, StaffEnrolState, StaffLoginState
from anima_pwa.state.requests.practice_signposts import PracticeSignpostsState
from anima_pwa.state.requests.wizard import RequestWizardState, StaffRequestWizardState

HEAD = [
    rx.el.link(rel="manifest", href="/manifest.webmanifest"),
    rx.el.meta(name="theme-color", content="#005EB8"),
    rx.el.meta(name="apple-mobile-web-app-capable", content="yes"),
    rx.el.meta(name="mobile-web-app-capable", content="yes"),
    rx.el.meta(name="apple-mobile-web-app-title", content="Anima"),
    rx.el.link(rel="apple-touch-icon", href="/icons/apple-touch-icon.png"),
    rx.el.link(rel="icon", href="/icons/favicon-32.png", type="image/png"),
    rx.el.meta(name="description", content="Contact your GP practice online with Anima."),
    rx.el.meta(name="format-detection", content="telephone=no"),
    # The app's own browser code: a static file, so the CSP needs no inline script or eval.
    rx.el.script(src="/anima.js", defer=True),
    # The live character count under free-text fields (progressive enhancement; a static file,
    # so a Content-Security-Policy without inline script allows it).
    rx.el.script(src="/character-count.js", defer=True),
]
if environment.REFLEX_ENV_MODE.get() == constants.Env.PROD:
    # Production builds only (anima.js reads this): a worker caching a dev server's modules
    # would serve stale code.
    HEAD.append(rx.el.meta(name="anima-service-worker", content="/sw.js"))
    if settings.push is not None:
        # Web push: the VAPID public key browsers subscribe with (not a secret).
        if settings.push.create_if_missing:
            push.ensure_key(settings.push.private_key_file)
        HEAD.append(rx.el.meta(name="anima-push-key", content=push.public_key(settings.push.private_key_file)))

app = rx.App(
    theme=None,
    stylesheets=["/anima.css"],
    head_components=HEAD,
    html_lang="en-GB",
    api_transformer=[static_routes(), practice_link_cookie(), security_headers(settings)],
    # The database not answering, in words a patient understands (state/base.py).
    backend_exception_handler=backend_exception_handler,
)
# Before every event: a tab's state belongs to the session that built it (state/binding.py).
app.add_middleware(SessionBinding())


def _add(component, route: str, title: str, on_load=None) -> None:
    app.add_page(component, route=route, title=f"{title} - Anima", on_load=on_load)


_add(auth.index, routes.INDEX, "Contact your GP practice online", SessionState.redirect_if_signed_in)
_add(auth.check_email, routes.CHECK_EMAIL, "Check your email", SignUpState.load_check_email)
_add(auth.verify_email, routes.VERIFY_EMAIL, "Create a password", VerifyEmailState.load)
_add(auth.login, routes.LOGIN, "Login", LoginState.load)
_add(auth.login_code, routes.LOGIN_MFA, "Enter your code", LoginState.load_code)
_add(auth.nhs_login_callback, routes.NHS_LOGIN_CALLBACK, "NHS login", NhsLoginState.finish)
_add(auth.forgot_password, routes.FORGOT_PASSWORD, "Forgot your password", PasswordResetState.load_forgot)
_add(auth.reset_password, routes.RESET_PASSWORD, "Reset your password", PasswordResetState.load_reset)
_add(registration.register_details, routes.REGISTER_DETAILS, "Your details", RegisterState.load)
_add(registration.home, routes.HOME, "Home", HomeState.load)
_add(settings_pages.settings_index, routes.SETTINGS, "Settings", SessionState.check_signed_in)
_add(settings_pages.login_settings, routes.SETTINGS_LOGIN, "Login settings", LoginSettingsState.load)
_add(settings_pages.preferences, routes.SETTINGS_PREFERENCES, "Your preferences", PreferencesState.load)
_add(settings_pages.mfa_settings, routes.SETTINGS_MFA, "Multi-factor authentication", MfaSettingsState.load)
_add(
    settings_pages.confirm_email_change,
    routes.CONFIRM_EMAIL_CHANGE,
    "Confirm your new email address",
    ConfirmEmailChangeState.load,
)
_add(practice.staff_login, routes.PRACTICE_LOGIN, "Practice workspace sign in", StaffLoginState.load)
_add(practice.staff_login_code, routes.PRACTICE_LOGIN_CODE, "Enter your code", StaffLoginState.load_code)
_add(practice.staff_enrol, routes.PRACTICE_ENROL, "Set up multi-factor authentication", StaffEnrolState.load)
_add(practice.dashboard, routes.PRACTICE, "Practice workspace", PracticeState.check_staff)
_add(dependants_pages.dependants_list, routes.DEPENDANTS, "Dependants & children", DependantsState.load)
_add(dependants_pages.add_dependant, routes.ADD_DEPENDANT, "Add new dependant", AddDependantState.load)
_add(create_request_pages.create_request, routes.PRACTICE_CREATE_REQUEST, "Create Request", CreateRequestState.load)
_add(auth.set_password, routes.SET_PASSWORD, "Set your password", SetPasswordState.load)
_add(pm_pages.patient_search, routes.PRACTICE_PATIENTS, "Patient Search", PatientSearchState.load)
_add(pm_pages.patient_record, routes.PRACTICE_PATIENT, "Patient record", PatientRecordState.load)
_add(pm_pages.audit_trail, routes.PRACTICE_AUDIT, "Audit trail", AuditTrailState.load)
_add(pm_pages.verifications, routes.PRACTICE_VERIFICATIONS, "Verifications", VerificationsState.load)
_add(
    practice_settings_pages.practice_settings, routes.PRACTICE_SETTINGS, "Practice settings", PracticeSettingsState.load
)
_add(practice_settings_pages.core_hours_log, routes.PRACTICE_CORE_HOURS_LOG, "Core hours log", CoreHoursLogState.load)
_add(request_pages.request_wizard, routes.REQUEST_NEW, "Create Request", RequestWizardState.load)
_add(inbox_patient.your_requests, routes.YOUR_REQUESTS, "Your requests", YourRequestsState.load)
_add(inbox_patient.in_progress, routes.IN_PROGRESS, "In progress", InProgressState.load)
_add(inbox_patient.request_view, routes.REQUEST_VIEW, "Your request", RequestViewState.load)
_add(appointment_pages.book_appointment, routes.APPOINTMENT_BOOK, "Book your appointment", BookAppointmentState.load)
_add(appointment_pages.appointment_view, routes.APPOINTMENT_VIEW, "Your appointment", AppointmentState.load)
_add(
    request_pages.staff_request_wizard, routes.PRACTICE_PHONE_REQUEST, "Request by phone", StaffRequestWizardState.load
)
_add(practice_queue_page.practice_queue, routes.PRACTICE_REQUESTS, "Requests", PracticeQueueState.load)
_add(practice_request_page.practice_request, routes.PRACTICE_REQUEST, "Request", PracticeRequestState.load)
_add(practice_today_pages.practice_today, routes.PRACTICE_APPOINTMENTS, "Appointments", PracticeTodayState.load)
_add(practice_books_pages.appointment_books, routes.PRACTICE_BOOKS, "Appointment books", AppointmentBooksState.load)
_add(practice_books_pages.appointment_book, routes.PRACTICE_BOOK, "Appointment book", AppointmentBookState.load)
_add(
    practice_signposts_pages.practice_signposts,
    routes.PRACTICE_SIGNPOSTED,
    "Signposted today",
    PracticeSignpostsState.load,
)
_add(practice_link_pages.practice_link, routes.PRACTICE_LINK, "Your practice", PracticeLinkState.load)
_add(practice_link_pages.practice_poster, routes.PRACTICE_POSTER, "Poster", PracticeLinkState.load)
_add(help.services_near_you, routes.SERVICES_NEAR_YOU, "Other NHS services that can help")
_add(help.install_help, routes.INSTALL_HELP, "Add Anima to your home screen")
_add(info.privacy, routes.PRIVACY, "Privacy policy")
_add(info.terms, routes.TERMS, "Terms of use")
_add(info.accessibility, routes.ACCESSIBILITY, "Accessibility statement")
if settings.demo:
    _add(demo.mailbox, routes.DEMO_MAILBOX, "Demo mailbox", MailboxState.load)

if settings.nhs_login is not None and settings.nhs_login.emulator:
    # Demo mode only: the key this app signs its NHS login requests with, made on first run.
    nhs_login.ensure_demo_client_key(settings.nhs_login.private_key_file)

app.register_lifespan_task(notifications.run_sender, poll_seconds=settings.outbox_poll_seconds)
# Signed-off requests written to the health record (services/inbox/record.py), beside the outbox.
app.register_lifespan_task(health_record.run_exporter, poll_seconds=settings.outbox_poll_seconds)
app.register_lifespan_task(maintenance.run_housekeeping)
app.register_lifespan_task(appointment_housekeeping.run_appointments)
