"""Route constants and builders, so no page or state spells a path twice."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

INDEX = "/"
LOGIN = "/login"
CHECK_EMAIL = "/check-email"
VERIFY_EMAIL = "/verify-email"
FORGOT_PASSWORD = "/forgot-password"
RESET_PASSWORD = "/reset-password"
REGISTER_DETAILS = "/register"
HOME = "/home"
PRIVACY = "/privacy"
TERMS = "/terms"
ACCESSIBILITY = "/accessibility"
DEMO_MAILBOX = "/demo/mailbox"
LOGIN_MFA = "/login/code"
NHS_LOGIN_CALLBACK = "/nhs-login/callback"
SETTINGS = "/settings"
SETTINGS_LOGIN = "/settings/login"
SETTINGS_PREFERENCES = "/settings/preferences"
SETTINGS_MFA = "/settings/mfa"
CONFIRM_EMAIL_CHANGE = "/confirm-email-change"
SET_PASSWORD = "/set-password"
DEPENDANTS = "/settings/dependants"
ADD_DEPENDANT = "/settings/dependants/add"

# The practice workspace
PRACTICE = "/practice"
PRACTICE_LOGIN = "/practice/login"
PRACTICE_LOGIN_CODE = "/practice/login/code"
PRACTICE_ENROL = "/practice/enrol"  # services.practice.staff.ENROL_PATH: the emailed MFA enrolment link
PRACTICE_PATIENTS = "/practice/patients"
PRACTICE_PATIENT = "/practice/patient"
PRACTICE_AUDIT = "/practice/patient/audit"
PRACTICE_VERIFICATIONS = "/practice/verifications"
PRACTICE_CREATE_REQUEST = "/practice/create-request"
PRACTICE_SETTINGS = "/practice/settings"
PRACTICE_CORE_HOURS_LOG = "/practice/settings/core-hours-log"
PRACTICE_REQUESTS = "/practice/requests"
PRACTICE_REQUEST = "/practice/request"
PRACTICE_PHONE_REQUEST = "/practice/phone-request"
PRACTICE_SIGNPOSTED = "/practice/signposted"  # today's patients told to call 999/111 or shown the crisis lines
PRACTICE_APPOINTMENTS = "/practice/appointments"  # ?day=YYYY-MM-DD: the day's list per clinician or site
PRACTICE_BOOKS = "/practice/appointment-books"
PRACTICE_BOOK = "/practice/appointment-book"  # ?id=<book id>: its weekly pattern, days off, generating slots
REQUEST_NEW = "/request"
YOUR_REQUESTS = "/requests"
IN_PROGRESS = "/requests/in-progress"
REQUEST_VIEW = "/requests/view"  # ?id=<request id>: the patient's page of one request
APPOINTMENT_BOOK = "/appointments/book"  # ?invite=<id>: choose a day, then a time, then confirm
APPOINTMENT_VIEW = "/appointments/view"  # ?id=<appointment id>: the booking, Add to calendar, Cancel
# The practice's own link (services.practice.practice_link) and its printable poster: open to anyone
PRACTICE_LINK = "/p/[ods]"
PRACTICE_POSTER = "/p/[ods]/poster"
SERVICES_NEAR_YOU = "/services-near-you"  # self-help and other NHS services (pharmacy, 111, dentists...)
INSTALL_HELP = "/help/home-screen"  # "Add Anima to your home screen"

# Plain HTTP endpoints (anima_pwa.http), not Reflex pages: the only places the session cookie is set
AUTH_SESSION = "/auth/session"  # ?h=<handoff>&next=<path>: sets the cookie after a sign-in
AUTH_CHECK = "/auth/check"  # ?to=<path>: back to `to` if still signed in, else clears and signs in
AUTH_SIGN_OUT = "/auth/sign-out"  # POST
APPOINTMENT_ICS = "/appointments/ics/"  # <id>: the calendar file of an appointment, for its account holders
PUSH_SUBSCRIPTION = "/push/subscription"  # POST/DELETE: this device's push subscription (the session cookie's account)
ATTACHMENT = "/attachments/"  # <id>: a photo sent with a reply, for the practice and the request's account holders


def is_workspace(path: str) -> bool:
    """A path in the practice workspace (staff pages)."""
    return path == PRACTICE or path.startswith(PRACTICE + "/")


def practice_login(next_path: str | None = None) -> str:
    """The workspace sign-in page, returning to `next_path` (a workspace page) afterwards."""
    if next_path and is_workspace(next_path) and next_path != PRACTICE and "//" not in next_path:
        return f"{PRACTICE_LOGIN}?next={quote(next_path, safe='/')}"
    return PRACTICE_LOGIN


def auth_session(handoff: str, next_path: str) -> str:
    return f"{AUTH_SESSION}?h={quote(handoff, safe='')}&next={quote(next_path, safe='/')}"


def auth_check(to: str) -> str:
    return f"{AUTH_CHECK}?to={quote(to, safe='/')}"


def practice_patient(patient_id: int) -> str:
    return f"{PRACTICE_PATIENT}?id={patient_id}"


def practice_audit(patient_id: int) -> str:
    return f"{PRACTICE_AUDIT}?id={patient_id}"


def login(next_path: str | None = None) -> str:
    """The sign-in page, returning to `next_path` afterwards."""
    if next_path and safe_next(next_path) != HOME:
        return f"{LOGIN}?next={quote(next_path, safe='/')}"
    return LOGIN


def safe_next(value: str | None) -> str:
    """Only a path on this site: never another origin (open redirect) or a sign-in page loop."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return HOME
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return HOME
    if (parts.path.rstrip("/") or "/") in {
        LOGIN,
        LOGIN_MFA,
        INDEX,
        CHECK_EMAIL,
        VERIFY_EMAIL,
        FORGOT_PASSWORD,
        RESET_PASSWORD,
        NHS_LOGIN_CALLBACK,
    }:
        return HOME
    return value


def request_view(request_id: int) -> str:
    return f"{REQUEST_VIEW}?id={request_id}"


def appointment_view(appointment_id: int) -> str:
    return f"{APPOINTMENT_VIEW}?id={appointment_id}"
