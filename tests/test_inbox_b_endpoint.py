"""`GET /attachments/<id>` (anima_pwa/http.py): a photo sent with a reply, by the HttpOnly session
cookie, to the request's account holders and the practice's staff; a 404 for everyone else."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import Session, select
from starlette.testclient import TestClient

from anima_pwa import http
from anima_pwa.models import Account, MessageAttachment
from anima_pwa.services.identity import sessions
from anima_pwa.services.inbox import attachments, replies
from tests.inbox_patient_world import patient_world, practice_message, sent_request
from tests.web import factory_for, get_as


@pytest.fixture
def web(engine, monkeypatch, tmp_path: Path):
    monkeypatch.setattr(http, "session_scope", factory_for(engine))
    folder = tmp_path / "photos"
    monkeypatch.setattr(attachments, "directory", lambda: folder)
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (1, 2, 3)).save(out, format="PNG")
    with Session(engine, expire_on_commit=False) as db:
        w = patient_world(db)
        request = sent_request(w, w.lily, w.mum)
        practice_message(w, request, wants_photo=True)
        assert replies.reply(db, w.mum, request.id, "Here", out.getvalue()).ok
        photo_id = db.exec(select(MessageAttachment.id)).one()

        def cookie_of(account_id: int, method: str = "password") -> str:
            return sessions.start(db, db.get(Account, account_id), method=method)

        tokens = {
            "mum": cookie_of(w.mum.account_id),
            "dad": cookie_of(w.dad.account_id),
            "sam": cookie_of(w.sam.account_id),
            "gran": cookie_of(w.gran.account_id),
            "olu": cookie_of(w.olu.account_id),
            "clinician": cookie_of(w.clinician.account_id, "password+mfa"),
            "clinician_without_mfa": cookie_of(w.clinician.account_id),
            "other_practice": cookie_of(w.other_clinician.account_id, "password+mfa"),
        }
        db.commit()
    return TestClient(http.static_routes(), base_url="http://localhost:3000"), photo_id, tokens


def test_the_owner_and_the_practice_see_the_photo(web) -> None:
    client, photo_id, tokens = web
    for who in ("mum", "dad", "clinician"):
        response = get_as(client, f"/attachments/{photo_id}", tokens[who])
        assert response.status_code == 200, who
        assert response.content[:8] == b"\x89PNG\r\n\x1a\n"
        assert response.headers["content-type"] == "image/png"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "private, no-store"
        assert response.headers["content-disposition"] == "inline"


@pytest.mark.parametrize("who", ["sam", "gran", "olu", "other_practice", "clinician_without_mfa", None, "forged"])
def test_anyone_else_gets_not_found(web, who) -> None:
    client, photo_id, tokens = web
    token = tokens.get(who, "x" * 43) if who else None
    response = get_as(client, f"/attachments/{photo_id}", token)
    assert response.status_code == 404 and response.headers["cache-control"] == "no-store"
    assert b"PNG" not in response.content


@pytest.mark.parametrize(
    "path", ["/attachments/999", "/attachments/abc", "/attachments/1%20OR%201=1", "/attachments/-1"]
)
def test_unknown_ids_are_not_found(web, path) -> None:
    client, _, tokens = web
    assert get_as(client, path, tokens["mum"]).status_code == 404
