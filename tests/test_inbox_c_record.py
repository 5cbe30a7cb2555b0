"""Helper C, issue 11: a signed-off request written to the health record as a FHIR R4 Bundle
(services/inbox/record.py), retried until written, never written twice at once (HAZ-063)."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from anima_pwa.models import MessageAttachment, RecordExport, Request, RequestMessage
from anima_pwa.services.inbox import record, record_bundle
from anima_pwa.services.platform import clock
from tests.factories import make_staff, self_account
from tests.request_world import World, send
from tests.web import factory_for

pytestmark = pytest.mark.usefixtures("clock")


def signed_off(w: World, *, outcome: str = "prescription", status: str = "resolved", gp=None) -> Request:
    """Zoe's request for Leo, a message from the GP, her reply with a photo, then the sign-off
    (as helper A's sign-off leaves it, with its RecordExport row)."""
    request = send(w, "cough-and-cold", patient=w.leo)
    gp = gp or make_staff(w.db, w.practice, "clinician", name="Dr Asha Patel")
    now = clock.utcnow()
    asked = RequestMessage(
        request_id=request.id, author_kind="staff", author_staff_id=gp.staff_id, body="How long has he had it?",
        needs_reply=True, wants_photo=True, created_at=now,
    )  # fmt: skip
    w.db.add(asked)
    w.db.flush()
    reply = RequestMessage(
        request_id=request.id, author_kind="patient", author_account_id=self_account(w.db, w.zoe).id,
        body="Five days, worse at night", created_at=now + timedelta(minutes=5),
    )  # fmt: skip
    w.db.add(reply)
    w.db.flush()
    w.db.add(
        MessageAttachment(
            message_id=reply.id, request_id=request.id, stored_name=f"photo{request.id:027d}", content_type="image/jpeg",
            size_bytes=12345, sha256="0" * 64, created_at=now + timedelta(minutes=5),
        )
    )  # fmt: skip
    request.outcome, request.status = outcome, status
    request.outcome_detail = json.dumps({"medicine": "Simple linctus", "instructions": "5 ml four times a day"})
    request.signed_off_by_staff_id, request.resolved_at = gp.staff_id, now + timedelta(hours=1)
    w.db.add(request)
    w.db.add(RecordExport(request_id=request.id, next_attempt_at=now))
    w.db.commit()
    return request


def resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_the_bundle_of_a_signed_off_request_is_valid_fhir_r4(world: World) -> None:
    request = signed_off(world)
    bundle = record.build_bundle(world.db, request)
    record_bundle.validate_bundle(bundle)  # fhir.resources R4B
    assert bundle["type"] == "collection"
    [patient] = resources(bundle, "Patient")
    assert patient["identifier"] == [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": world.leo.nhs_number}]
    assert patient["birthDate"] == "2020-05-09" and patient["name"][0]["text"] == "Leo Smith"
    [response] = resources(bundle, "QuestionnaireResponse")
    patient_url = bundle["entry"][0]["fullUrl"]
    assert response["subject"]["reference"] == patient_url and response["status"] == "completed"
    [task] = resources(bundle, "Task")
    assert task["status"] == "completed" and task["businessStatus"]["text"].startswith("Suggest a prescription")
    outputs = {o["type"]["text"]: o["valueString"] for o in task["output"]}
    assert outputs["Medicine"] == "Simple linctus" and outputs["How to take it"] == "5 ml four times a day"
    asked, reply = resources(bundle, "Communication")
    assert asked["payload"] == [{"contentString": "How long has he had it?"}]
    assert [p["name"][0]["text"] for p in resources(bundle, "Practitioner")] == ["Dr Asha Patel"]
    assert reply["sender"] == {"display": "Zoe Smith (for Leo Smith)"}
    photo = reply["payload"][1]["contentAttachment"]
    assert photo["contentType"] == "image/jpeg" and photo["url"].endswith("/attachments/1")
    assert record.build_bundle(world.db, request) == bundle  # stable ids: a rewrite replaces


def test_a_closed_request_is_a_cancelled_task(world: World) -> None:
    request = signed_off(world, outcome="closed", status="closed")
    request.outcome_detail = json.dumps({"reason": "Seen in clinic already"})
    bundle = record.build_bundle(world.db, request)
    record_bundle.validate_bundle(bundle)
    [task] = resources(bundle, "Task")
    assert (
        task["status"] == "cancelled"
        and {"type": {"text": "Message to the patient"}, "valueString": "Seen in clinic already"} in task["output"]
    )


def test_the_file_adapter_writes_once_per_request_atomically(world: World, engine, tmp_path: Path) -> None:
    request = signed_off(world)
    adapter = record.FileAdapter(tmp_path / "records")
    report = record.export_due(factory_for(engine), clock.utcnow() + timedelta(seconds=5), adapter=adapter)
    assert report == record.ExportReport(written=1)
    [written] = list((tmp_path / "records").iterdir())
    assert written.name == f"{request.reference}.json"
    record_bundle.validate_bundle(json.loads(written.read_text()))
    world.db.expire_all()
    export = world.db.exec(select(RecordExport)).one()
    assert export.status == "written" and export.location == str(written) and export.locked_until is None
    status = record.record_status(world.db, request.id)
    assert status.state == "written" and status.text.startswith("Written to the record on 18 Jun 2025 at ")
    # Nothing left to do; writing again replaces the file, no temporary files left behind.
    assert (
        record.export_due(factory_for(engine), clock.utcnow() + timedelta(days=1), adapter=adapter)
        == record.ExportReport()
    )
    adapter.write("{}", request)
    assert [p.name for p in (tmp_path / "records").iterdir()] == [written.name]


class Broken:
    def __init__(self) -> None:
        self.calls = 0

    def write(self, bundle_json: str, request: Request) -> str:
        self.calls += 1
        raise OSError("GP system unreachable")


def test_a_failing_adapter_is_retried_and_its_error_kept(world: World, engine, tmp_path: Path) -> None:
    request = signed_off(world)
    broken, now = Broken(), clock.utcnow() + timedelta(seconds=5)
    assert record.record_status(world.db, request.id).text == "Not yet written: it will be written in a moment"
    for attempt in range(1, record.WARN_AFTER + 2):
        assert record.export_due(factory_for(engine), now, adapter=broken) == record.ExportReport(retried=1)
        assert record.export_due(factory_for(engine), now, adapter=broken) == record.ExportReport()  # not due yet
        world.db.expire_all()
        export = world.db.exec(select(RecordExport)).one()
        assert export.attempts == attempt and export.last_error == "OSError: GP system unreachable"
        assert export.next_attempt_at == now + record.backoff(attempt) and export.locked_until is None
        status = record.record_status(world.db, request.id)
        if attempt < record.WARN_AFTER:
            assert export.status == "pending" and status.text.startswith("Not yet written: will retry at ")
        else:
            assert export.status == "failed"
            assert status.text.startswith(f"Failed {attempt} times: OSError: GP system unreachable. Will retry at ")
        now = export.next_attempt_at
    # Still retried after being shown as failed: the GP system is back.
    assert record.export_due(factory_for(engine), now, adapter=record.FileAdapter(tmp_path)).written == 1
    world.db.expire_all()
    assert record.record_status(world.db, request.id).state == "written"


class Slow:
    """Records each write and pauses, widening the race between two workers."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.written: list[int] = []

    def write(self, bundle_json: str, request: Request) -> str:
        threading.Event().wait(0.01)
        with self.lock:
            self.written.append(request.id)  # type: ignore[arg-type]
        return f"memory:{request.id}"


def test_two_workers_never_write_the_same_export(world: World, engine) -> None:
    """On SQLite and PostgreSQL (the engine fixture): each export is claimed by one worker."""
    gp = make_staff(world.db, world.practice, "clinician", name="Dr Asha Patel")
    requests = [signed_off(world, gp=gp) for _ in range(4)]
    adapter, start, errors = Slow(), threading.Barrier(2), []
    now = clock.utcnow() + timedelta(seconds=5)

    def work() -> None:
        try:
            start.wait()
            record.export_due(factory_for(engine), now, adapter=adapter)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(adapter.written) == sorted(r.id for r in requests)


def test_record_status_before_sign_off(world: World) -> None:
    assert record.record_status(world.db, 999).state == "none"


def test_unknown_adapter_setting(world: World) -> None:
    import dataclasses

    from anima_pwa import settings as settings_module

    with pytest.raises(ValueError, match="unknown ANIMA_RECORD_ADAPTER"):
        record.adapter_for(dataclasses.replace(settings_module.settings, record_adapter="emis"))
    assert isinstance(record.adapter_for(settings_module.settings), record.FileAdapter)


def test_no_db_session_is_left_open_by_a_build_error(world: World, engine) -> None:
    """A request whose bundle can't be built (its patient gone) is retried with the error kept."""
    request = signed_off(world)
    with Session(engine) as other:
        row = other.get(Request, request.id)
        row.questionnaire_response = "{not json"
        other.add(row)
        other.commit()
    report = record.export_due(factory_for(engine), clock.utcnow() + timedelta(seconds=5), adapter=Slow())
    assert report == record.ExportReport(retried=1)
    world.db.expire_all()
    assert world.db.exec(select(RecordExport)).one().last_error.startswith("JSONDecodeError")


def test_the_background_exporter_writes_under_the_instance_dir(
    world: World, engine, tmp_path: Path, monkeypatch
) -> None:
    import asyncio
    import dataclasses

    from anima_pwa import settings as settings_module

    request = signed_off(world)
    monkeypatch.setattr(
        settings_module, "settings", dataclasses.replace(settings_module.settings, instance_dir=tmp_path)
    )
    monkeypatch.setattr(clock, "utcnow", lambda: request.resolved_at + timedelta(minutes=1))
    target = tmp_path / "records" / f"{request.reference}.json"

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(record.run_exporter(stop, poll_seconds=0.05, session_factory=factory_for(engine)))
        for _ in range(100):
            if target.exists():
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, timeout=5)

    asyncio.run(scenario())
    record_bundle.validate_bundle(json.loads(target.read_text()))
