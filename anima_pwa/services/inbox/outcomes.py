"""The outcome of a signed-off request: what staff choose, what is stored, and the plain words the
patient is told.

Staff pick one of `models.OUTCOMES` and fill in its details (`check_detail` says what each needs);
the request keeps the kind in `Request.outcome` and the checked details as JSON in
`Request.outcome_detail`. `describe` turns them into what "Your requests" shows: a heading, the
words, and whether the patient has a decision to make (a suggested prescription they approve or
decline). Notices never carry any of this: they only say there is a message (`inbox.notices`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from anima_pwa.models import OUTCOMES, Request
from anima_pwa.routes import SERVICES_NEAR_YOU
from anima_pwa.services.platform import nhs_services, text_limits

__all__ = [
    "DECISIONS",
    "OUTCOME_LABELS",
    "SIGNPOST_LINKS",
    "SIGNPOST_SERVICES",
    "OutcomeView",
    "check_detail",
    "describe",
    "load_detail",
]

# What staff see in the sign-off choice.
OUTCOME_LABELS: dict[str, str] = {
    "invite_to_book": "Invite to book an appointment",
    "prescription": "Suggest a prescription for the patient to approve",
    "signpost": "Signpost to another service",
    "self_care": "Self-care advice",
    "no_action": "No action needed",
    "closed": "Close with a reason",
}
assert tuple(OUTCOME_LABELS) == OUTCOMES

# Services a practice signposts to: (the name the patient reads, what the service does for them).
SIGNPOST_SERVICES: dict[str, tuple[str, str]] = {
    "pharmacy": (
        "a pharmacy (Pharmacy First)",
        "A pharmacist can give advice and, for some conditions, treatment without a GP appointment.",
    ),
    "optician": ("an optician", "An optician can check your eyes and help with many eye problems."),
    "dentist": ("a dentist", "A dentist deals with problems with your teeth and gums."),
    "nhs_111": ("NHS 111", "Call 111 or go to 111.nhs.uk for urgent advice, day or night."),
    "physio_self_referral": (
        "physiotherapy (you can refer yourself)",
        "You can refer yourself to the physiotherapy service without seeing a GP first.",
    ),
}

# A link per signposted service: (link text, address): the NHS website's finder for that service.
SIGNPOST_LINKS: dict[str, tuple[str, str]] = {
    key: (service.finder_text, service.finder_url)
    for key in ("pharmacy", "optician", "dentist", "nhs_111")
    if (service := nhs_services.by_key(key)) is not None
}
# Every outcome that points elsewhere also links to Anima's own page of other NHS services.
SERVICES_PAGE_LINK = ("More NHS services near you", SERVICES_NEAR_YOU)

APPOINTMENT_KINDS: dict[str, str] = {
    "face_to_face": "a face-to-face appointment",
    "telephone": "a telephone appointment",
    "video": "a video appointment",
    "blood_test": "a blood test",
    "ecg": "an ECG (heart tracing)",
    "blood_pressure": "a blood pressure check",
}

# The patient's answer to a suggested prescription.
DECISIONS = {"approved": "You approved this prescription.", "declined": "You declined this prescription."}

# What each free-text detail is called beside its field, and how long it may be.
_TEXT_FIELDS: dict[str, tuple[str, text_limits.FieldLimit]] = {
    "medicine": ("The medicine", text_limits.OUTCOME_SHORT),
    "instructions": ("How to take it", text_limits.OUTCOME_TEXT),
    "service_details": ("The service's details", text_limits.OUTCOME_TEXT),
    "advice": ("The advice", text_limits.OUTCOME_TEXT),
    "reason": ("The reason", text_limits.OUTCOME_TEXT),
    "note": ("The note to the patient", text_limits.OUTCOME_TEXT),
}


@dataclass(frozen=True)
class OutcomeView:
    """A signed-off request's outcome as the patient reads it."""

    kind: str
    heading: str
    paragraphs: tuple[str, ...]
    needs_decision: bool = False  # a suggested prescription not yet approved or declined
    decision: str = ""  # "approved" | "declined" | ""
    details: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (label, value) rows
    links: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (text, href): other NHS services


def _text(raw: Mapping[str, object], key: str) -> str:
    value = raw.get(key, "")
    return text_limits.typed(value)


def check_detail(kind: str, raw: Mapping[str, object]) -> tuple[dict[str, str], dict[str, str]]:
    """The details staff gave for an outcome, checked: (the details to store, errors by field).

    Every outcome takes an optional `note` to the patient. Beyond it:
    invite_to_book: `appointment_kind` (a key of APPOINTMENT_KINDS); who with, the window and the
    expiry are the invitation's (`appointments.invites`, made by the sign-off), which adds
    `with_whom` and `invite_id` to the stored details;
    prescription: `medicine` (required) and optional `instructions`;
    signpost: `service` (a key of SIGNPOST_SERVICES) and optional `service_details` (name,
    address or phone of the place); self_care: `advice` (required); closed: `reason` (required).
    """
    errors: dict[str, str] = {}
    detail: dict[str, str] = {}
    if kind not in OUTCOME_LABELS:
        return {}, {"outcome": "Choose an outcome."}

    def take(key: str, *, required: str = "") -> None:
        value = _text(raw, key)
        if not value:
            if required:
                errors[key] = required
            return
        label, limit = _TEXT_FIELDS[key]
        problem = text_limits.check(value, limit.limit, label)
        if problem:
            errors[key] = problem
            return
        detail[key] = value

    if kind == "invite_to_book":
        appointment_kind = _text(raw, "appointment_kind")
        if appointment_kind not in APPOINTMENT_KINDS:
            errors["appointment_kind"] = "Choose what the patient is invited to book."
        else:
            detail["appointment_kind"] = appointment_kind
    elif kind == "prescription":
        take("medicine", required="Enter the medicine suggested.")
        take("instructions")
    elif kind == "signpost":
        service = _text(raw, "service")
        if service not in SIGNPOST_SERVICES:
            errors["service"] = "Choose the service to signpost to."
        else:
            detail["service"] = service
        take("service_details")
    elif kind == "self_care":
        take("advice", required="Enter the self-care advice for the patient.")
    elif kind == "closed":
        take("reason", required="Enter why the request is closed.")
    take("note")
    return detail, errors


def load_detail(request: Request) -> dict[str, str]:
    """The stored details of the request's outcome ({} when unreadable)."""
    try:
        value = json.loads(request.outcome_detail or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def describe(request: Request) -> OutcomeView | None:
    """What the patient is told about the request's outcome; None until it is signed off (or when
    it was closed without an outcome, for example by auto-close: `detail["reason"]` then says why)."""
    kind = request.outcome
    if kind not in OUTCOME_LABELS:
        return None
    detail = load_detail(request)
    paragraphs: list[str] = []
    rows: list[tuple[str, str]] = []
    links: list[tuple[str, str]] = []
    needs_decision = False
    decision = request.patient_decision if request.patient_decision in DECISIONS else ""
    if kind == "invite_to_book":
        what = APPOINTMENT_KINDS.get(detail.get("appointment_kind", ""), "an appointment")
        heading = f"Your practice has invited you to book {what}"
        paragraphs.append("Use the invitation in “In progress” to choose a time that suits you.")
        if detail.get("with_whom"):
            rows.append(("With", detail["with_whom"]))
    elif kind == "prescription":
        heading = "Your practice has suggested a prescription"
        rows.append(("Medicine", detail.get("medicine", "")))
        if detail.get("instructions"):
            rows.append(("How to take it", detail["instructions"]))
        if decision:
            paragraphs.append(DECISIONS[decision])
        else:
            needs_decision = True
            paragraphs.append("Approve it and your practice will issue it, or decline it if you do not want it.")
    elif kind == "signpost":
        name, what_it_does = SIGNPOST_SERVICES.get(detail.get("service", ""), ("another service", ""))
        heading = f"Your practice suggests you contact {name}"
        if what_it_does:
            paragraphs.append(what_it_does)
        if detail.get("service_details"):
            rows.append(("Details", detail["service_details"]))
        if detail.get("service", "") in SIGNPOST_LINKS:
            links.append(SIGNPOST_LINKS[detail["service"]])
        links.append(SERVICES_PAGE_LINK)
    elif kind == "self_care":
        heading = "Your practice has sent you self-care advice"
        paragraphs.append(detail.get("advice", ""))
        links.append(("Health A to Z on the NHS website", nhs_services.SELF_CARE_URL))
        links.append(SERVICES_PAGE_LINK)
    elif kind == "no_action":
        heading = "Your practice has reviewed your request and no action is needed"
    else:
        heading = "Your practice has closed this request"
        if detail.get("reason"):
            paragraphs.append(detail["reason"])
    if detail.get("note"):
        paragraphs.append(detail["note"])
    return OutcomeView(
        kind=kind,
        heading=heading,
        paragraphs=tuple(p for p in paragraphs if p),
        needs_decision=needs_decision,
        decision=decision,
        details=tuple(rows),
        links=tuple(links),
    )
