"""The words of every notification: (subject, body) templates with str.format placeholders.

Plain text, no clinical content ever: templates say that something happened and link to the app,
nothing more. SMS templates (``SMS_TEMPLATES``) are the short form of an email template.
"""

from __future__ import annotations

import string

_SIGN_OFF = "\n\nAnima\nThis is an automated message. Please do not reply to this email."

TEMPLATES: dict[str, tuple[str, str]] = {
    "verify_email": (
        "Confirm your email address for Anima",
        "To finish creating your Anima account, follow this link. It confirms your email address "
        "and opens the page where you create your password:\n\n{link}\n\n"
        "The link works once (when you create your password) and expires in 24 hours. If you "
        "asked for more than one email, use the newest.\n\n"
        "If you did not ask to create an Anima account, you can ignore this email." + _SIGN_OFF,
    ),
    # A practice message, an outcome or a closure (services/inbox/notices.py): the same words for
    # each, so the notice itself says nothing about the request.
    "practice_message": (
        "You have a new message from your practice",
        "You have a new message from your practice. Log in to read it:\n\n{login_link}" + _SIGN_OFF,
    ),
    "already_registered": (
        "You already have an Anima account",
        "Someone tried to create an Anima account with this email address, but it already has "
        "an account.\n\n"
        "To sign in, go to:\n{login_link}\n\n"
        "If you have forgotten your password, you can reset it here:\n{reset_link}\n\n"
        "If this was not you, you can ignore this email. Your account has not been changed." + _SIGN_OFF,
    ),
    "password_reset_code": (
        "Your Anima password reset code",
        "Your Anima password reset code is {code}. It expires in 10 minutes. "
        "If you did not ask to reset your password, you can ignore this email." + _SIGN_OFF,
    ),
    "password_changed": (
        "Your Anima password has been changed",
        "The password for your Anima account has just been changed.\n\n"
        "If this was not you, reset your password now at:\n{reset_link}\n\n"
        "and contact your GP practice." + _SIGN_OFF,
    ),
    "verification_pending_practice": (
        "A patient registration needs manual verification",
        "A patient registration at {practice_name} needs manual verification. "
        "Sign in to the practice workspace to review it." + _SIGN_OFF,
    ),
    "staff_set_password": (
        "Set your password for Anima",
        "An Anima account has been created for you at {practice_name}.\n\n"
        "Set your password by following this link:\n\n{link}\n\n"
        "The link expires in 24 hours. If you were not expecting this email, "
        "contact your practice manager." + _SIGN_OFF,
    ),
    "staff_mfa_enrolment": (
        "Set up your sign-in to the Anima practice workspace",
        "An Anima practice workspace account at {practice_name} is ready for you. Before you can "
        "sign in, set up multi-factor authentication with an authenticator app on your phone "
        "(for example Google Authenticator). Follow this link, scan the QR code it shows, and "
        "enter your password and a code from the app:\n\n{link}\n\n"
        "The link works once and expires in {lifetime}. Your practice admin gives you your "
        "password; it is not in this email. If the link has expired, ask your practice admin for "
        "a new one.\n\n"
        "If you were not expecting this email, tell your practice manager." + _SIGN_OFF,
    ),
    "patient_set_password": (
        "Set your password for Anima",
        "{practice_name} has created an Anima account for you. Set your password to sign in: "
        "{link}\n\n"
        "The link works once and expires in 24 hours. If it has expired, use 'Forgot your "
        "password?' on the sign-in page.\n\n"
        "If you were not expecting this email, contact {practice_name}." + _SIGN_OFF,
    ),
    "confirm_new_email": (
        "Confirm your new email address for Anima",
        "You asked to change the email address on your Anima account to this one. To confirm "
        "the change, follow this link:\n\n{link}\n\n"
        "The link works once and expires in 24 hours. Until you follow it, your account keeps "
        "its current email address.\n\n"
        "If you did not ask for this, you can ignore this email." + _SIGN_OFF,
    ),
    "email_changed": (
        "Your Anima email address has been changed",
        "The email address on your Anima account has been changed to {new_email_masked}. "
        "We will send emails about your account to the new address from now on.\n\n"
        "If this was not you, contact your GP practice and reset your password now at:\n"
        "{reset_link}" + _SIGN_OFF,
    ),
    # Manual verification and dependant approval by the practice: what was decided and why is shown
    # in the app after signing in, never in the email.
    "verification_approved": (
        "Your Anima account has been verified",
        "Your Anima account has been verified by {practice_name}. You can now sign in and send requests." + _SIGN_OFF,
    ),
    "verification_rejected": (
        "Your GP practice could not verify your Anima account",
        "{practice_name} could not verify your Anima account. Sign in to see why." + _SIGN_OFF,
    ),
    "dependant_approved": (
        "A change to your Anima account has been reviewed",
        "A change to the people on your Anima account has been reviewed by {practice_name}. "
        "Sign in to see it." + _SIGN_OFF,
    ),
    "dependant_declined": (
        "A change to your Anima account has been reviewed",
        "A change to the people on your Anima account has been reviewed by {practice_name}. "
        "Sign in to see it." + _SIGN_OFF,
    ),
    # Someone asked to be linked to a person others already look after. Nobody is named: the email
    # may be read by someone else; the people who hold them see who under "Dependants & children".
    "holder_link_requested": (
        "Someone has asked to be linked to a person you look after on Anima",
        "Someone has asked {practice_name} to link a person you look after on Anima to their own "
        "account, so that they can send requests for them and see their requests.\n\n"
        "{practice_name} will check before agreeing. Nothing has changed yet. Sign in and go to "
        "Settings, then Dependants & children, to see who it is about.\n\n"
        "If you don't know about this or are worried by it, contact {practice_name}." + _SIGN_OFF,
    ),
    "holder_link_requested_self": (
        "Someone has asked to add you to their Anima account",
        "Someone has asked {practice_name} to add you as a dependant on their Anima account, so that "
        "they can send requests for you and see your requests.\n\n"
        "{practice_name} will check before agreeing. Nothing has changed yet.\n\n"
        "If you don't know about this or are worried by it, contact {practice_name}." + _SIGN_OFF,
    ),
    "holder_approval_practice": (
        "A request to link a patient to an account needs approval",
        "Someone has asked to be linked to a patient at {practice_name} whom Anima already knows. "
        "Sign in to the practice workspace and open Verifications to review it." + _SIGN_OFF,
    ),
    # Appointments (issue 12): when, where or how, and the practice; never the kind of appointment,
    # the reason or anything clinical, and no name (an email or a text is read on shared screens).
    "appointment_booked": (
        "Your appointment is booked",
        "An appointment has been booked with {practice_name}.\n\n"
        "When: {when}\n{where}\n\n"
        "To see it, add it to your calendar or cancel it, sign in:\n{login_link}" + _SIGN_OFF,
    ),
    "appointment_cancelled": (
        "Your appointment has been cancelled",
        "An appointment with {practice_name} on {when} has been cancelled.\n\n"
        "If you still need an appointment, sign in to see whether you can book again:\n{login_link}" + _SIGN_OFF,
    ),
    "appointment_reminder": (
        "Reminder: your appointment is tomorrow",
        "This is a reminder of an appointment with {practice_name} tomorrow.\n\n"
        "When: {when}\n{where}\n\n"
        "If you can no longer attend, sign in to cancel it or contact {practice_name}:\n{login_link}" + _SIGN_OFF,
    ),
    "holder_removed": (
        "A change to your Anima account",
        "{practice_name} has removed a person from your Anima account. You can no longer send "
        "requests for them or see their requests.\n\n"
        "If you think this is a mistake, contact {practice_name}." + _SIGN_OFF,
    ),
}


# Text messages: the short form of an email template, for the few notices that go by SMS too. One
# SMS fragment (160 GSM characters) with the link, and nothing about the request or the patient.
SMS_TEMPLATES: dict[str, str] = {
    "practice_message": "You have a new message from your practice. Log in to read it: {login_link}",
    "appointment_booked": "Appointment booked with {practice_name}: {when}. {where} Details: {login_link}",
    "appointment_cancelled": "Your appointment with {practice_name} on {when} has been cancelled. {login_link}",
    "appointment_reminder": "Reminder: appointment with {practice_name} tomorrow, {when}. {where} {login_link}",
}


def render_sms(template: str, **context: object) -> str:
    """Render an SMS template to its text. Unknown template or missing placeholder: KeyError."""
    if template not in SMS_TEMPLATES:
        raise KeyError(f"unknown SMS template {template!r}; known: {', '.join(sorted(SMS_TEMPLATES))}")
    text = SMS_TEMPLATES[template]
    missing = {name for _, name, _, _ in string.Formatter().parse(text) if name} - context.keys()
    if missing:
        raise KeyError(f"SMS template {template!r} needs {', '.join(sorted(missing))}")
    return text.format(**context)


def template_fields(template: str) -> set[str]:
    """The placeholder names a template needs (subject and body). Raises KeyError if unknown."""
    if template not in TEMPLATES:
        raise KeyError(f"unknown email template {template!r}; known: {', '.join(sorted(TEMPLATES))}")
    names: set[str] = set()
    for part in TEMPLATES[template]:
        names.update(name for _, name, _, _ in string.Formatter().parse(part) if name)
    return names


def render(template: str, **context: object) -> tuple[str, str]:
    """Render a template to (subject, body). Unknown template or missing placeholder: KeyError."""
    missing = template_fields(template) - context.keys()
    if missing:
        raise KeyError(f"email template {template!r} needs {', '.join(sorted(missing))}")
    subject, body = TEMPLATES[template]
    return subject.format(**context), body.format(**context)
