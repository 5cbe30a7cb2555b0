"""The inbox's shared pieces: sign-off outcomes (what staff give, what the patient reads) and the
request thread as staff and the patient read it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from anima_pwa.models import OUTCOMES, MessageAttachment, Request, RequestMessage
from anima_pwa.services.inbox import outcomes, thread
from anima_pwa.services.platform import text_limits
from tests.factories import make_staff
from tests.request_world import World, send

pytestmark = pytest.mark.usefixtures("clock")


def signed_off(kind: str, detail: dict[str, str], decision: str = "") -> Request:
    return Request(
        patient_id=1,
        practice_id=1,
        kind="medical",
        topic="cough",
        status="resolved",
        outcome=kind,
        outcome_detail=json.dumps(detail),
        patient_decision=decision,
    )


# --- outcomes ---------------------------------------------------------------------------------


def test_every_outcome_has_a_staff_label_and_patient_words() -> None:
    assert tuple(outcomes.OUTCOME_LABELS) == OUTCOMES
    good = {
        "invite_to_book": {"appointment_kind": "telephone"},
        "prescription": {"medicine": "Amoxicillin 500mg capsules"},
        "signpost": {"service": "pharmacy"},
        "self_care": {"advice": "Rest and drink plenty of fluids."},
        "no_action": {},
        "closed": {"reason": "You told us this is sorted."},
    }
    for kind in OUTCOMES:
        detail, errors = outcomes.check_detail(kind, good[kind])
        assert errors == {}, kind
        view = outcomes.describe(signed_off(kind, detail))
        assert view is not None and view.heading.startswith("Your practice"), kind


@pytest.mark.parametrize(
    ("kind", "raw", "field"),
    [
        ("invite_to_book", {}, "appointment_kind"),
        ("invite_to_book", {"appointment_kind": "surgery"}, "appointment_kind"),
        ("prescription", {"medicine": "   "}, "medicine"),
        ("signpost", {"service": "witch doctor"}, "service"),
        ("self_care", {}, "advice"),
        ("closed", {}, "reason"),
        ("no_action", {"note": "x" * (text_limits.OUTCOME_TEXT.limit + 1)}, "note"),
        ("prescription", {"medicine": "m" * (text_limits.OUTCOME_SHORT.limit + 1)}, "medicine"),
        ("nonsense", {}, "outcome"),
    ],
)
def test_bad_details_are_refused_beside_the_field(kind: str, raw: dict, field: str) -> None:
    detail, errors = outcomes.check_detail(kind, raw)
    assert field in errors and errors[field]
    if kind == "nonsense":
        assert detail == {}


def test_details_keep_only_known_fields_as_typed_and_trimmed() -> None:
    detail, errors = outcomes.check_detail(
        "signpost", {"service": "pharmacy", "service_details": "  High St Pharmacy\r\n01234 567890 ", "evil": "x"}
    )
    assert errors == {}
    assert detail == {"service": "pharmacy", "service_details": "High St Pharmacy\n01234 567890"}
    detail, errors = outcomes.check_detail("no_action", {"note": 12})  # not text: ignored, not crashed
    assert errors == {} and detail == {}


def test_a_suggested_prescription_asks_for_a_decision_once() -> None:
    view = outcomes.describe(signed_off("prescription", {"medicine": "Amoxicillin"}))
    assert view is not None and view.needs_decision and ("Medicine", "Amoxicillin") in view.details
    decided = outcomes.describe(signed_off("prescription", {"medicine": "Amoxicillin"}, "declined"))
    assert decided is not None and not decided.needs_decision
    assert decided.paragraphs[0] == "You declined this prescription."


def test_signpost_names_the_service_and_its_details() -> None:
    view = outcomes.describe(signed_off("signpost", {"service": "pharmacy", "service_details": "High St"}))
    assert view is not None
    assert view.heading == "Your practice suggests you contact a pharmacy (Pharmacy First)"
    assert ("Details", "High St") in view.details


def test_no_outcome_until_signed_off_and_unreadable_details_are_empty() -> None:
    assert outcomes.describe(Request(patient_id=1, practice_id=1, kind="medical", topic="t")) is None
    broken = signed_off("self_care", {})
    broken.outcome_detail = "{not json"
    assert outcomes.load_detail(broken) == {}
    assert outcomes.describe(broken) is not None


# --- the thread -------------------------------------------------------------------------------


def post(w: World, request: Request, **fields) -> RequestMessage:
    message = RequestMessage(request_id=request.id, **fields)
    w.db.add(message)
    w.db.flush()
    return message


def test_thread_reads_oldest_first_with_names_for_staff_and_your_practice_for_patients(world: World) -> None:
    request = send(world, "cough-and-cold")
    nurse = make_staff(world.db, world.practice, "clinician", name="Nurse Amy Patel")
    at = datetime(2025, 6, 18, 8, 5, tzinfo=UTC)  # 9:05am in London (summer time)
    first = post(
        world,
        request,
        author_kind="staff",
        author_staff_id=nurse.staff_id,
        body="Please send a photo of the rash.",
        needs_reply=True,
        wants_photo=True,
        created_at=at,
    )
    reply = post(
        world,
        request,
        author_kind="patient",
        author_account_id=world.me.account_id,
        body="Here it is.",
        created_at=at + timedelta(hours=1),
    )
    world.db.add(
        MessageAttachment(
            message_id=reply.id,
            request_id=request.id,
            stored_name="a" * 32,
            content_type="image/png",
            size_bytes=9,
            sha256="0" * 64,
        )
    )
    world.db.flush()

    staff_view = thread.read_thread(world.db, request.id, viewer="staff")
    assert [m.author for m in staff_view] == ["Nurse Amy Patel", "Zoe Smith"]
    assert staff_view[0].sent == "Wednesday 18 June 2025 at 9:05am"
    assert staff_view[0].needs_reply and staff_view[0].wants_photo
    assert len(staff_view[1].attachment_ids) == 1

    mine = thread.read_thread(world.db, request.id, viewer="patient", viewer_account_id=world.me.account_id)
    assert [m.author for m in mine] == ["Your practice", "You"]
    assert thread.awaiting_reply(mine) is None  # answered
    assert first.id == mine[0].id


def test_the_latest_practice_message_needing_a_reply_is_awaited(world: World) -> None:
    request = send(world, "cough-and-cold")
    nurse = make_staff(world.db, world.practice, "clinician")
    post(world, request, author_kind="staff", author_staff_id=nurse.staff_id, body="Thanks.")
    assert thread.awaiting_reply(thread.read_thread(world.db, request.id, viewer="patient")) is None
    asking = post(world, request, author_kind="staff", author_staff_id=nurse.staff_id, body="When?", needs_reply=True)
    waiting = thread.awaiting_reply(thread.read_thread(world.db, request.id, viewer="patient"))
    assert waiting is not None and waiting.id == asking.id
    assert thread.read_thread(world.db, 999_999, viewer="staff") == []
