"""The patient's request page as a tab runs it (state/inbox/patient.py): another account's id
shows nothing, a bad photo is refused beside its field while the reply box keeps its text, a
reply and a decision go through the services."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import reflex as rx
from PIL import Image
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from anima_pwa import routes
from anima_pwa.models import MessageAttachment, Request
from anima_pwa.services.inbox import attachments
from anima_pwa.state.inbox.patient import InProgressState, RequestViewState
from tests.inbox_patient_world import PatientWorld, patient_world, practice_message, sent_request, sign_off
from tests.screen_tabs import acting_as, opened, run


@pytest.fixture
def w(engine: Engine, db_session: Session, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setattr(attachments, "directory", lambda: tmp_path / "photos")
    world = patient_world(db_session)
    world.signed_in = acting_as(engine, monkeypatch, world.mum)  # type: ignore[attr-defined]
    return world


def tab_on(path: str) -> RequestViewState:
    return opened(RequestViewState, path)


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (6, 6), (9, 9, 9)).save(out, format="PNG")
    return out.getvalue()


def upload(data: bytes) -> rx.UploadFile:
    return rx.UploadFile(file=io.BytesIO(data), path=Path("photo.png"), size=len(data))


def test_another_accounts_request_shows_nothing(w: PatientWorld) -> None:
    theirs = sent_request(w, w.olu_patient, w.olu)
    w.db.commit()
    tab = tab_on(f"{routes.REQUEST_VIEW}?id={theirs.id}")
    tab.request = {"title": "Left over"}
    run(tab, "load")
    assert (tab.found, tab.not_found, tab.request, tab.messages) == (False, "We could not find that request.", {}, [])


def test_a_bad_photo_is_refused_beside_its_field_then_the_reply_goes(w: PatientWorld) -> None:
    request = sent_request(w, w.lily, w.mum)
    practice_message(w, request, wants_photo=True)
    w.db.commit()
    tab = tab_on(f"{routes.REQUEST_VIEW}?id={request.id}")
    run(tab, "load")
    assert tab.found and tab.awaiting and tab.wants_photo and tab.request["title"] == "Cough and cold"
    run(tab, "add_photo", [upload(b"%PDF-1.4 not a photo")])
    assert tab.errors == {"photo": attachments.NOT_AN_IMAGE} and not tab.photo_added
    assert tab.summary == [["photo-choose", attachments.NOT_AN_IMAGE]]
    form_key = tab.form_key  # the reply box is not reset: what was typed stays
    run(tab, "add_photo", [upload(png())])
    assert tab.photo_added and "photo" not in tab.errors and tab.form_key == form_key
    run(tab, "send_reply", {"message": "It is on my arm."})
    assert tab.errors == {} and tab.notice == "Your reply has been sent to your practice."
    assert tab.form_key == form_key + 1 and not tab.awaiting and not tab.photo_added
    assert [m["author"] for m in tab.messages] == ["Your practice", "You"]
    assert len(tab.photos[tab.messages[1]["id"]]) == 1
    w.db.expire_all()
    assert w.db.exec(select(MessageAttachment)).one().content_type == "image/png"
    assert w.db.get(Request, request.id).status == "assigned"


def test_an_empty_reply_keeps_the_form_and_says_why(w: PatientWorld) -> None:
    request = sent_request(w, w.lily, w.mum)
    practice_message(w, request)
    w.db.commit()
    tab = tab_on(f"{routes.REQUEST_VIEW}?id={request.id}")
    run(tab, "load")
    run(tab, "send_reply", {"message": "   "})
    assert tab.errors == {"message": "Enter your reply"} and tab.awaiting and tab.notice == ""


def test_a_suggested_prescription_is_approved_from_the_page(w: PatientWorld) -> None:
    request = sign_off(w, sent_request(w, w.lily, w.mum), "prescription", {"medicine": "Amoxicillin 250mg"})
    w.db.commit()
    tab = tab_on(f"{routes.REQUEST_VIEW}?id={request.id}")
    run(tab, "load")
    assert tab.needs_decision and tab.outcome_rows == [["Medicine", "Amoxicillin 250mg"]]
    run(tab, "decide", "approved")
    assert not tab.needs_decision and "You approved this prescription." in tab.outcome_paragraphs
    second = tab_on(f"{routes.REQUEST_VIEW}?id={request.id}")
    w.signed_in(w.dad)  # type: ignore[attr-defined]
    run(second, "load")
    run(second, "decide", "declined")
    assert second.errors == {"form": "This prescription has already been approved."}


def test_in_progress_lists_respond_first(w: PatientWorld) -> None:
    quiet = sent_request(w, w.mum_patient, w.mum, minutes=30)
    asked = sent_request(w, w.lily, w.dad, minutes=0)
    practice_message(w, asked)
    w.db.commit()
    tab = InProgressState(_reflex_internal_init=True)
    run(tab, "load")
    assert [(r["id"], r["respond"]) for r in tab.rows] == [(str(asked.id), "yes"), (str(quiet.id), "")]
    assert tab.rows[0]["href"] == f"{routes.REQUEST_VIEW}?id={asked.id}"
