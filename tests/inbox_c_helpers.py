"""Helpers for helper C's tests (delivery and the record): a session factory bound to the test
engine (`tests.web.factory_for`), and a fake GOV.UK Notify that checks what Notify checks."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt

SERVICE_ID = "26785a09-ab16-4eb0-8407-a37497a57506"
SECRET = "3d844edf-8d35-48ac-975b-e847b4f122b0"
API_KEY = f"anima_test-{SERVICE_ID}-{SECRET}"


class FakeNotify:
    """What the fake received, and how it should answer next (``mode``: "ok", "500", "503")."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict]] = []
        self.rejected_auth: list[str] = []
        self.mode = "ok"
        self.base_url = ""


def _check_token(header: str) -> str:
    """ "" when the Authorization header is what Notify accepts, else why not."""
    if not header.startswith("Bearer "):
        return "no bearer token"
    token = header.removeprefix("Bearer ")
    try:
        if jwt.get_unverified_header(token).get("alg") != "HS256":
            return "algorithm is not HS256"
        claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_iat": False})
    except jwt.InvalidTokenError as exc:
        return f"invalid token: {exc}"
    if claims.get("iss") != SERVICE_ID:
        return "iss is not the service id"
    if not isinstance(claims.get("iat"), int) or abs(claims["iat"] - int(time.time())) > 30:
        return "iat is not within 30 seconds"
    return ""


def _handler(state: FakeNotify):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 - http.server hook name
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
            problem = _check_token(self.headers.get("Authorization", ""))
            if problem:
                state.rejected_auth.append(problem)
                return self._answer(403, {"status_code": 403, "errors": [{"error": "AuthError", "message": problem}]})
            if state.mode in ("500", "503"):
                return self._answer(int(state.mode), {"status_code": int(state.mode), "errors": [
                    {"error": "Exception", "message": "Internal server error"}]})  # fmt: skip
            if self.path == "/v2/notifications/email":
                field, bad = "email_address", "@" not in str(body.get("email_address", ""))
                bad = bad or str(body.get("email_address", "")).startswith("bounce@")
            elif self.path == "/v2/notifications/sms":
                field, bad = "phone_number", not str(body.get("phone_number", "")).startswith("+447")
            else:
                return self._answer(404, {"status_code": 404, "errors": [{"error": "NotFound", "message": "no"}]})
            if bad or not body.get("template_id") or not isinstance(body.get("personalisation"), dict):
                message = f"{field} Not a valid {'email address' if field == 'email_address' else 'UK mobile number'}"
                return self._answer(
                    400, {"status_code": 400, "errors": [{"error": "ValidationError", "message": message}]}
                )
            state.received.append((self.path.rsplit("/", 1)[1], body))
            content = {"body": body["personalisation"].get("body", "")}
            if field == "email_address":
                content |= {"subject": body["personalisation"].get("subject", ""), "from_email": "anima@notify.test"}
            else:
                content |= {"from_number": "Anima"}
            notification_id = str(uuid.uuid4())
            return self._answer(201, {
                "id": notification_id, "reference": body.get("reference"), "content": content,
                "uri": f"{state.base_url}/v2/notifications/{notification_id}",
                "template": {"id": body["template_id"], "version": 1, "uri": f"{state.base_url}/t"},
            })  # fmt: skip

    return Handler


@contextmanager
def fake_notify() -> Iterator[FakeNotify]:
    state = FakeNotify()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
