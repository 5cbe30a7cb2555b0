"""A signed-off request as a FHIR R4 ``Bundle`` for the patient's health record (``build_bundle``).

Choices, and why:
- Bundle type **collection**: the bundle carries the resources for a GP-system connector to file;
  a ``document`` bundle would need a Composition and attestation (it is a signed clinical document),
  which Anima doesn't author, and a ``transaction`` would tell the receiving server how to store them.
- **Patient**: name, NHS number (system https://fhir.nhs.uk/Id/nhs-number), birth date; the
  practice as an **Organization** (ODS code), each member of staff as a **Practitioner** (name).
- **QuestionnaireResponse**: the one written at submission (``Request.questionnaire_response``,
  already FHIR R4) with its subject pointed at this bundle's Patient.
- each message of the thread as a **Communication** (sender, recipient, sent, payload text); a photo
  is referenced, not embedded (an attachment with its type, size and the Anima address the practice
  opens it at), so the bundle stays small and the photo is kept once, with its access rules.
- the outcome as a **Task** (the practice's handling of the patient's request): status completed
  (or cancelled when closed), ``businessStatus`` the outcome, ``output`` its details, ``focus`` the
  QuestionnaireResponse, ``owner`` the practice, ``requester`` the patient, and a ``note`` by the
  member of staff who signed it off. A Task carries a workflow's result; a CarePlan would claim a
  plan of care, and a Communication would be only what the patient was told.

Validated with ``fhir.resources`` R4B (the R4 subset Anima uses: the same as tests/test_questionnaires.py).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlmodel import Session, col, select

from anima_pwa.models import (
    Account,
    MessageAttachment,
    Patient,
    Practice,
    Request,
    RequestMessage,
    StaffMember,
)
from anima_pwa.services.inbox import outcomes
from anima_pwa.services.platform import clock
from anima_pwa.settings import settings

__all__ = ["NHS_NUMBER_SYSTEM", "ODS_SYSTEM", "build_bundle", "validate_bundle"]

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
ANIMA_REQUEST_SYSTEM = "https://anima.example/Id/request-reference"
_NAMESPACE = uuid.UUID("0b8a6c2e-5b8f-4f0e-9d3e-6a1f3c2d4e5f")  # stable ids: the same request, the same bundle


def _urn(kind: str, key: object) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{kind}/{key}')}"


def _instant(moment) -> str:
    return clock.as_utc(moment).isoformat(timespec="seconds")


def _human_name(full_name: str) -> dict[str, Any]:
    parts = full_name.split()
    name: dict[str, Any] = {"text": full_name}
    if len(parts) > 1:
        name |= {"family": parts[-1], "given": parts[:-1]}
    elif parts:
        name["family"] = parts[0]
    return name


def _patient(patient: Patient) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "name": [_human_name(patient.full_name)],
        "birthDate": patient.date_of_birth.isoformat(),
    }
    if patient.nhs_number:
        resource["identifier"] = [{"system": NHS_NUMBER_SYSTEM, "value": patient.nhs_number}]
    return resource


def _holder_name(session: Session, account_id: int | None, patient: Patient) -> tuple[str, bool]:
    """Who wrote from an account: (name, True when it is the patient's own account)."""
    from anima_pwa.services.patients.registration import self_patient

    if account_id is None:
        return "", False
    own = self_patient(session, account_id)
    if own is not None and own.id == patient.id:
        return patient.full_name, True
    account = session.get(Account, account_id)
    return (own.full_name if own is not None else (account.email if account else "")), False


def _communication(
    session: Session, message: RequestMessage, refs: dict[str, str], patient: Patient, photos: list[MessageAttachment]
) -> dict[str, Any]:
    practice_ref = {"reference": refs["practice"]}
    patient_ref = {"reference": refs["patient"], "display": patient.full_name}
    resource: dict[str, Any] = {
        "resourceType": "Communication",
        "status": "completed",
        "subject": patient_ref,
        "sent": _instant(message.created_at),
        "basedOn": [{"reference": refs["task"]}],
    }
    if message.author_kind == "staff":
        staff_ref = refs.get(f"staff/{message.author_staff_id}")
        resource["sender"] = {"reference": staff_ref} if staff_ref else practice_ref
        resource["recipient"] = [patient_ref]
    elif message.author_kind == "patient":
        name, own = _holder_name(session, message.author_account_id, patient)
        resource["sender"] = patient_ref if own else {"display": f"{name} (for {patient.full_name})"}
        resource["recipient"] = [practice_ref]
    else:  # the app itself (an automatic closure)
        resource["sender"] = {"display": "Anima (automatic message)"}
        resource["recipient"] = [patient_ref]
    payload: list[dict[str, Any]] = []
    if message.body:
        payload.append({"contentString": message.body})
    for photo in photos:
        payload.append(
            {
                "contentAttachment": {
                    "contentType": photo.content_type,
                    "size": photo.size_bytes,
                    "url": f"{settings.origin}/attachments/{photo.id}",
                    "title": "Photo sent by the patient (kept in Anima: open it at this address)",
                    "creation": _instant(photo.created_at),
                }
            }
        )
    if payload:
        resource["payload"] = payload
    return resource


def _task(request: Request, refs: dict[str, str], signer: StaffMember | None, has_response: bool) -> dict[str, Any]:
    view = outcomes.describe(request)
    label = outcomes.OUTCOME_LABELS.get(request.outcome, "Closed")
    resource: dict[str, Any] = {
        "resourceType": "Task",
        "identifier": [{"system": ANIMA_REQUEST_SYSTEM, "value": request.reference or f"request-{request.id}"}],
        "status": "cancelled" if request.status == "closed" else "completed",
        "intent": "order",
        "businessStatus": {"text": label},
        "description": f"Online consultation request: {request.subject}" if request.subject else "Online consultation",
        "for": {"reference": refs["patient"]},
        "requester": {"reference": refs["patient"]},
        "owner": {"reference": refs["practice"]},
    }
    if has_response:
        resource["focus"] = {"reference": refs["response"]}
    if request.submitted_at:
        resource["authoredOn"] = _instant(request.submitted_at)
    if request.resolved_at:
        resource["lastModified"] = _instant(request.resolved_at)
        resource["executionPeriod"] = {"end": _instant(request.resolved_at)}
        if request.submitted_at:
            resource["executionPeriod"]["start"] = _instant(request.submitted_at)
    outputs: list[dict[str, Any]] = []
    if view is not None:
        outputs.append({"type": {"text": "What the patient was told"}, "valueString": view.heading})
        outputs += [{"type": {"text": label}, "valueString": value} for label, value in view.details if value]
        outputs += [{"type": {"text": "Message to the patient"}, "valueString": p} for p in view.paragraphs]
        if view.decision:
            outputs.append(
                {"type": {"text": "The patient's decision"}, "valueString": outcomes.DECISIONS[view.decision]}
            )
    elif request.outcome_detail not in ("", "{}"):
        reason = outcomes.load_detail(request).get("reason", "")
        if reason:
            outputs.append({"type": {"text": "Reason"}, "valueString": reason})
    if outputs:
        resource["output"] = outputs
    if signer is not None:
        resource["note"] = [
            {"authorReference": {"reference": refs[f"staff/{signer.id}"]}, "text": f"Signed off: {label}"}
        ]
    return resource


def build_bundle(session: Session, request: Request) -> dict[str, Any]:
    """The request, its thread and its outcome as a FHIR R4 Bundle (type collection), as JSON-ready
    dicts. Ids are stable: building it again gives the same references."""
    patient = session.get(Patient, request.patient_id)
    practice = session.get(Practice, request.practice_id)
    if patient is None or practice is None:
        raise LookupError(f"request {request.id} has no patient or practice")
    messages = session.exec(
        select(RequestMessage)
        .where(RequestMessage.request_id == request.id)
        .order_by(col(RequestMessage.created_at), col(RequestMessage.id))
    ).all()
    photos = session.exec(
        select(MessageAttachment).where(MessageAttachment.request_id == request.id).order_by(col(MessageAttachment.id))
    ).all()
    staff_ids = {m.author_staff_id for m in messages if m.author_staff_id} | (
        {request.signed_off_by_staff_id} if request.signed_off_by_staff_id else set()
    )
    staff = {s.id: s for s in session.exec(select(StaffMember).where(col(StaffMember.id).in_(staff_ids))).all()}
    refs = {
        "patient": _urn("patient", patient.id),
        "practice": _urn("practice", practice.id),
        "task": _urn("task", request.id),
        "response": _urn("response", request.id),
    } | {f"staff/{sid}": _urn("staff", sid) for sid in staff}

    entries: list[dict[str, Any]] = [{"fullUrl": refs["patient"], "resource": _patient(patient)}]
    entries.append(
        {
            "fullUrl": refs["practice"],
            "resource": {
                "resourceType": "Organization",
                "identifier": [{"system": ODS_SYSTEM, "value": practice.ods_code}],
                "name": practice.name,
            },
        }
    )
    for sid, member in staff.items():
        entries.append(
            {
                "fullUrl": refs[f"staff/{sid}"],
                "resource": {"resourceType": "Practitioner", "name": [_human_name(member.display_name)]},
            }
        )
    response = json.loads(request.questionnaire_response) if request.questionnaire_response else None
    if isinstance(response, dict) and response.get("resourceType") == "QuestionnaireResponse":
        response = dict(response)
        response.pop("id", None)
        response["subject"] = {"reference": refs["patient"], "display": patient.full_name}
        entries.append({"fullUrl": refs["response"], "resource": response})
    else:
        response = None
    signer = staff.get(request.signed_off_by_staff_id) if request.signed_off_by_staff_id else None
    entries.append({"fullUrl": refs["task"], "resource": _task(request, refs, signer, response is not None)})
    by_message: dict[int, list[MessageAttachment]] = {}
    for photo in photos:
        by_message.setdefault(photo.message_id, []).append(photo)
    for message in messages:
        entries.append(
            {
                "fullUrl": _urn("message", message.id),
                "resource": _communication(session, message, refs, patient, by_message.get(message.id or 0, [])),
            }
        )
    return {
        "resourceType": "Bundle",
        "identifier": {"system": ANIMA_REQUEST_SYSTEM, "value": request.reference or f"request-{request.id}"},
        "type": "collection",
        "timestamp": _instant(request.resolved_at or clock.utcnow()),
        "entry": entries,
    }


def validate_bundle(bundle: dict[str, Any]) -> None:
    """Raise (pydantic ValidationError) unless every resource is valid FHIR R4 (fhir.resources R4B)."""
    from fhir.resources.R4B.bundle import Bundle

    Bundle.model_validate(bundle)
