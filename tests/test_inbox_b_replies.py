"""The patient's reply with text and a photo (services/inbox/replies.py), the photo checks and
storage (services/inbox/attachments.py) and approving or declining a suggested prescription
(services/inbox/decisions.py)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import Session, select

from anima_pwa.models import MessageAttachment, Request, RequestMessage
from anima_pwa.services.inbox import attachments, decisions, replies
from anima_pwa.services.practice.permissions import PermissionDenied
from tests.factories import audit_events, count, make_staff
from tests.inbox_patient_world import PatientWorld, patient_world, practice_message, sent_request, sign_off


@pytest.fixture
def w(db_session: Session) -> PatientWorld:
    return patient_world(db_session)


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    """Where photos are stored in these tests (not beside the test database)."""
    return tmp_path / "photos"


def files(folder: Path) -> list[Path]:
    return list(folder.iterdir()) if folder.exists() else []


def png(size: tuple[int, int] = (8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (16, 8), (10, 120, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotated 90 degrees
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS info
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def heic() -> bytes:
    ftyp = b"ftyp" + b"mif1" + b"\x00\x00\x00\x00" + b"mif1heic"
    return (len(ftyp) + 4).to_bytes(4, "big") + ftyp + b"\x00" * 64  # an iPhone's: mif1, compatible heic


# --- the photo checks ------------------------------------------------------------------------------


def test_photos_are_checked_by_content_not_name() -> None:
    assert attachments.sniff(png()) == "image/png"
    assert attachments.sniff(jpeg_with_gps()) == "image/jpeg"
    assert attachments.sniff(heic()) == "image/heic"
    for brand in (b"heic", b"heix", b"msf1", b"hevc"):
        box = b"ftyp" + brand + b"\x00\x00\x00\x00" + brand
        assert attachments.sniff((len(box) + 4).to_bytes(4, "big") + box + b"\x00" * 8) == "image/heic"
    mp4 = b"ftyp" + b"isom" + b"\x00\x00\x00\x00" + b"isomavc1"
    assert attachments.sniff((len(mp4) + 4).to_bytes(4, "big") + mp4 + b"\x00" * 8) is None
    for not_image in (b"%PDF-1.7 ...", b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"GIF89a....", b"MZ\x90\x00"):
        assert attachments.check_photo(not_image) == (None, attachments.NOT_AN_IMAGE)
    # Starts like a PNG but is not one.
    assert attachments.check_photo(png()[:20] + b"garbage" * 10) == (None, attachments.NOT_AN_IMAGE)
    assert attachments.check_photo(b"") == (None, "The selected file is empty")
    assert attachments.check_photo(png(), max_bytes=50) == (None, "The selected file must be smaller than 0MB")
    assert attachments.too_large(10 * 1024 * 1024) == "The selected file must be smaller than 10MB"
    big = b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024)
    assert attachments.check_photo(big) == (None, "The selected file must be smaller than 10MB")


def test_jpeg_metadata_is_stripped_and_the_photo_turned_upright() -> None:
    photo, problem = attachments.check_photo(jpeg_with_gps())
    assert problem == "" and photo is not None and photo.content_type == "image/jpeg"
    with Image.open(io.BytesIO(photo.data)) as cleaned:
        assert not cleaned.getexif() and cleaned.size == (8, 16)
    assert b"PhoneMaker" not in photo.data


def heic_with_gps() -> bytes:
    """A real HEIC photo (HEVC-encoded by pillow-heif), as an iPhone sends, with its maker and GPS."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 80)).save(out, format="HEIF", exif=exif.tobytes())
    return out.getvalue()


def test_a_heic_photo_becomes_a_jpeg_without_its_metadata() -> None:
    """HAZ-054: an iPhone's HEIC keeps no GPS position or camera details, and becomes a JPEG that a
    practice's browser can show; a file that only starts like a HEIC is refused."""
    original = heic_with_gps()
    assert attachments.sniff(original) == "image/heic" and b"PhoneMaker" in original
    photo, problem = attachments.check_photo(original)
    assert problem == "" and photo is not None and photo.content_type == "image/jpeg"
    with Image.open(io.BytesIO(photo.data)) as cleaned:
        assert cleaned.format == "JPEG" and cleaned.size == (64, 48) and not cleaned.getexif()
    assert b"PhoneMaker" not in photo.data
    assert attachments.check_photo(heic()) == (None, attachments.NOT_AN_IMAGE)  # only the first bytes


def test_a_decompression_bomb_is_refused() -> None:
    out = io.BytesIO()
    Image.new("1", (10000, 6000)).save(out, format="PNG")  # 60 megapixels, a few kilobytes
    assert attachments.check_photo(out.getvalue()) == (None, attachments.NOT_AN_IMAGE)


# --- replies --------------------------------------------------------------------------------------


def _messages(w: PatientWorld, request: Request) -> list[RequestMessage]:
    w.db.flush()
    return list(w.db.exec(select(RequestMessage).where(RequestMessage.request_id == request.id)).all())


def test_a_reply_with_text_and_a_photo_goes_back_to_the_practice(w: PatientWorld, photos: Path) -> None:
    request = sent_request(w, w.lily, w.mum)
    practice_message(w, request, wants_photo=True)
    outcome = replies.reply(w.db, w.dad, request.id, "  Here it is.\r\n", png(), folder=photos)
    assert outcome.ok and outcome.message_id
    message = w.db.get(RequestMessage, outcome.message_id)
    assert (message.author_kind, message.author_account_id, message.body) == (
        "patient",
        w.dad.account_id,
        "Here it is.",
    )
    assert (request.status, request.awaiting_reply_since) == ("assigned", None)
    stored = w.db.exec(select(MessageAttachment)).one()
    assert stored.message_id == message.id and stored.content_type == "image/png"
    assert (photos / stored.stored_name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert oct((photos / stored.stored_name).stat().st_mode & 0o777) == "0o600"
    event = audit_events(w.db, "request_reply_sent")[-1]
    assert event.actor_account_id == w.dad.account_id
    # Mum's tab now finds it answered.
    again = replies.reply(w.db, w.mum, request.id, "Me too", folder=photos)
    assert again.errors == {"form": replies.ALREADY_ANSWERED}


def test_a_photo_alone_is_a_reply_text_alone_too(w: PatientWorld, photos: Path) -> None:
    first = sent_request(w, w.lily, w.mum)
    practice_message(w, first, wants_photo=True)
    assert replies.reply(w.db, w.mum, first.id, "", png(), folder=photos).ok
    second = sent_request(w, w.mum_patient, w.mum)
    practice_message(w, second, "How long has it lasted?")
    assert replies.reply(w.db, w.mum, second.id, "Three days", folder=photos).ok


BAD_REPLIES = [
    ("empty", "   ", None, False, {"message": "Enter your reply"}),
    ("too long", "x" * 2001, None, False, {"message": "Your reply must be 2,000 characters or fewer. You have 1 character too many."}),
    ("not an image", "Here", b"%PDF-1.4", True, {"photo": attachments.NOT_AN_IMAGE}),
    ("empty file", "Here", b"", True, {"photo": "The selected file is empty"}),
    ("photo not asked for", "Here", png(), False, {"photo": replies.NO_PHOTO_ASKED}),
    ("both wrong", "x" * 2001, b"nope", True, {"message": "Your reply must be 2,000 characters or fewer. You have 1 character too many.", "photo": attachments.NOT_AN_IMAGE}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "text", "photo", "wants_photo", "errors"), BAD_REPLIES, ids=[b[0] for b in BAD_REPLIES]
)
def test_bad_replies_save_nothing(w: PatientWorld, photos: Path, name, text, photo, wants_photo, errors) -> None:  # fmt: skip
    request = sent_request(w, w.lily, w.mum)
    practice_message(w, request, wants_photo=wants_photo)
    before = len(_messages(w, request))
    outcome = replies.reply(w.db, w.mum, request.id, text, photo, folder=photos)
    assert dict(outcome.errors) == errors
    assert len(_messages(w, request)) == before and request.status == "awaiting_patient"
    assert count(w.db, MessageAttachment) == 0 and files(photos) == []


def test_no_reply_when_none_was_asked_or_the_request_is_finished(w: PatientWorld, photos: Path) -> None:
    request = sent_request(w, w.mum_patient, w.mum)
    assert replies.reply(w.db, w.mum, request.id, "Hello").errors == {"form": replies.NOT_ASKED}
    practice_message(w, request, "We have booked you in.", needs_reply=False)
    assert replies.reply(w.db, w.mum, request.id, "Hello").errors == {"form": replies.NOT_ASKED}
    practice_message(w, request, "Any better?", minutes=120)
    sign_off(w, request, "no_action", {})
    assert replies.reply(w.db, w.mum, request.id, "Hello").errors == {"form": replies.FINISHED}
    assert [m.author_kind for m in _messages(w, request)] == ["staff", "staff"]


def test_nobody_else_can_reply_whatever_id_they_send(w: PatientWorld, photos: Path) -> None:
    request = sent_request(w, w.lily, w.mum)
    practice_message(w, request)
    for who in (w.gran, w.uncle, w.sam, w.home, w.olu):
        with pytest.raises(PermissionDenied, match="We could not find that request."):
            replies.reply(w.db, who, request.id, "Hello", folder=photos)
    assert request.status == "awaiting_patient" and len(_messages(w, request)) == 1


def test_the_photo_is_removed_when_the_transaction_rolls_back(engine, photos: Path) -> None:
    with Session(engine) as db:
        w = patient_world(db)
        request = sent_request(w, w.lily, w.mum)
        practice_message(w, request, wants_photo=True)
        db.commit()
        request_id, mum = request.id, w.mum
    with Session(engine) as db:
        assert replies.reply(db, mum, request_id, "Here", png(), folder=photos).ok
        assert len(files(photos)) == 1
        db.rollback()  # the commit failed, say
    assert files(photos) == []
    with Session(engine) as db:
        assert replies.reply(db, mum, request_id, "Here", png(), folder=photos).ok
        db.commit()
    assert len(files(photos)) == 1


# --- who sees a photo -------------------------------------------------------------------------------


def test_a_photo_is_shown_to_the_holders_and_the_practice_only(w: PatientWorld, photos: Path) -> None:
    request = sent_request(w, w.lily, w.mum)
    practice_message(w, request, wants_photo=True)
    assert replies.reply(w.db, w.mum, request.id, "", png(), folder=photos).ok
    photo_id = w.db.exec(select(MessageAttachment.id)).one()
    receptionist = make_staff(w.db, w.practice, "receptionist", name="Rita Desk")
    for who in (w.mum, w.dad):
        shown = attachments.open_for(w.db, photo_id, identity=who, folder=photos)
        assert shown is not None and shown[0] == "image/png"
    for staff in (w.clinician, receptionist):
        assert attachments.open_for(w.db, photo_id, staff=staff, folder=photos) is not None
    for who in (w.gran, w.uncle, w.sam, w.home, w.olu, None):
        assert attachments.open_for(w.db, photo_id, identity=who, folder=photos) is None
    assert attachments.open_for(w.db, photo_id, staff=w.other_clinician, folder=photos) is None
    assert attachments.open_for(w.db, photo_id + 1, identity=w.mum, folder=photos) is None
    assert attachments.open_for(w.db, "1 OR 1=1", identity=w.mum, folder=photos) is None


# --- a suggested prescription --------------------------------------------------------------------------


def test_a_suggested_prescription_is_approved_once(w: PatientWorld) -> None:
    request = sign_off(w, sent_request(w, w.lily, w.mum), "prescription", {"medicine": "Amoxicillin 250mg"})
    assert decisions.decide(w.db, w.dad, request.id, "maybe").errors == {
        "form": "Choose whether to approve or decline the prescription."
    }
    assert decisions.decide(w.db, w.dad, request.id, "approved").ok
    assert request.patient_decision == "approved" and request.patient_decided_at is not None
    assert decisions.decide(w.db, w.mum, request.id, "declined").errors == {
        "form": "This prescription has already been approved."
    }
    assert request.patient_decision == "approved"
    assert [e.actor_account_id for e in audit_events(w.db, "prescription_approved")] == [w.dad.account_id]
    with pytest.raises(PermissionDenied):
        decisions.decide(w.db, w.gran, request.id, "declined")


@pytest.mark.parametrize("state", ["open", "self_care", "closed"])
def test_nothing_to_decide_without_a_suggested_prescription(w: PatientWorld, state: str) -> None:
    request = sent_request(w, w.mum_patient, w.mum)
    if state != "open":
        sign_off(w, request, state, {"advice": "Rest.", "reason": "Sorted by phone."})
    assert decisions.decide(w.db, w.mum, request.id, "approved").errors == {"form": decisions.NOTHING_TO_DECIDE}
    assert request.patient_decision == ""


def test_two_holders_deciding_at_the_same_moment_one_wins(engine) -> None:
    """PostgreSQL: the second decision waits for the first (the row is written first), then is told."""
    import threading

    if engine.dialect.name != "postgresql":
        pytest.skip("one worker serialises SQLite's writers; the race is PostgreSQL's")
    with Session(engine, expire_on_commit=False) as db:
        w = patient_world(db)
        prescribed = sign_off(w, sent_request(w, w.lily, w.mum), "prescription", {"medicine": "Amoxicillin 250mg"})
        db.commit()
        request_id, mum, dad = prescribed.id, w.mum, w.dad
    first = Session(engine)
    assert decisions.decide(first, mum, request_id, "approved").ok  # holds the row, not committed yet
    second_result: list = []

    def second() -> None:
        with Session(engine) as other:
            second_result.append(decisions.decide(other, dad, request_id, "declined"))
            other.commit()

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(0.5)
    assert thread.is_alive()  # waiting for the first
    first.commit()
    first.close()
    thread.join(10)
    assert second_result[0].errors == {"form": "This prescription has already been approved."}
    with Session(engine) as db:
        assert db.get(Request, request_id).patient_decision == "approved"


def test_a_reply_stays_marked_for_the_practice_until_it_answers(w: PatientWorld, photos: Path) -> None:
    """HAZ-100: a patient's reply is never lost among requests already being worked on: the queue
    marks it "Patient replied" (and can show only those) until staff message the patient or sign
    the request off; a second reply keeps the time of the first one not yet answered."""
    from anima_pwa.services.inbox import queue, staff_actions
    from anima_pwa.services.inbox import sign_off as signing

    def marked() -> dict[int, str]:
        page = queue.queue(w.db, w.clinician, queue.parse_filter({"replied": "1"}))
        assert page.counts["replied"] == {"1": len(page.rows)}
        return {row.id: row.replied for row in page.rows}

    request = sent_request(w, w.lily, w.mum)
    sent_request(w, w.mum_patient, w.mum)  # another open request, never replied to
    assert staff_actions.send_message(w.db, w.clinician, request.id, "Is she still coughing?", needs_reply=True).ok
    assert marked() == {}
    assert replies.reply(w.db, w.dad, request.id, "Still coughing at night.", folder=photos).ok
    assert marked() == {request.id: "Patient replied just now"}
    first = w.db.get(Request, request.id).patient_replied_at

    # A message from the practice answers it.
    assert staff_actions.send_message(w.db, w.clinician, request.id, "Any fever?", needs_reply=True).ok
    assert marked() == {}
    assert replies.reply(w.db, w.mum, request.id, "Yes, since this morning.", folder=photos).ok
    assert request.id in marked() and w.db.get(Request, request.id).patient_replied_at >= first

    # So does the sign-off.
    assert signing.sign_off(w.db, w.clinician, request.id, "no_action", {}).ok
    assert marked() == {}


def test_emergency_words_in_a_reply_give_the_advice_at_once_and_make_it_urgent(w: PatientWorld, photos: Path) -> None:
    """HAZ-100: a reply saying the patient is worse in words of an emergency gets the 999 advice on
    screen (the reply still goes), and the request moves up the practice's queue; the audit keeps
    the rule that fired, never the words."""
    request = sent_request(w, w.lily, w.mum)
    request.urgency, request.urgency_rank = "routine", 3
    practice_message(w, request)
    outcome = replies.reply(
        w.db, w.mum, request.id, "She is struggling to breathe now and her lips look blue.", folder=photos
    )
    assert outcome.ok and outcome.advice is not None and outcome.advice.code == "999"
    assert ("Call 999", "tel:999") in outcome.advice.calls
    w.db.refresh(request)
    assert (request.urgency, request.urgency_rank) == ("urgent_today", 1)
    event = audit_events(w.db, "request_reply_sent")[-1]
    assert '"advice":"999"' in event.detail and "lips" not in event.detail

    calm = sent_request(w, w.mum_patient, w.mum)
    practice_message(w, calm)
    quiet = replies.reply(w.db, w.mum, calm.id, "No chest pain, just a cough at night.", folder=photos)
    assert quiet.ok and quiet.advice is None
