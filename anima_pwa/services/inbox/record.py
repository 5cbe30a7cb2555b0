"""Writing signed-off requests to the patient's health record, and what staff see of it.

A sign-off inserts a ``RecordExport`` row in its own transaction (helper A's sign-off), so the
write exists exactly when the sign-off does. ``export_due`` (run beside the outbox sender) claims
due rows with a conditional UPDATE (two workers never write the same one), builds the FHIR R4 Bundle
(``record_bundle.build_bundle``), hands it to the configured ``RecordAdapter`` outside any
transaction and records the result. A failure is retried with exponential backoff capped at an
hour and never given up on: after ``WARN_AFTER`` failures it is marked ``failed`` so staff see it,
and it is still retried. ``record_status`` says in plain words where a request's write is.

Adapters: ``FileAdapter`` (the default, ``ANIMA_RECORD_ADAPTER=file``) writes one JSON file per
request under ``<instance dir>/records`` atomically (a temporary file, fsync, rename). A GP-system
connector is another class with the same ``write`` method, registered in ``ADAPTERS``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from sqlmodel import Session, col, select

from anima_pwa import settings as settings_module
from anima_pwa.models import RecordExport, Request
from anima_pwa.services.inbox.record_bundle import build_bundle, validate_bundle
from anima_pwa.services.platform import clock, retry_queue
from anima_pwa.services.platform.notifications import SessionFactory

__all__ = [
    "ADAPTERS",
    "ExportReport",
    "FileAdapter",
    "RecordAdapter",
    "RecordStatus",
    "adapter_for",
    "build_bundle",
    "export_due",
    "record_status",
    "run_exporter",
]

log = logging.getLogger(__name__)

CLAIM_SECONDS = 300
BACKOFF_FIRST_SECONDS = 60
BACKOFF_MAX_SECONDS = 3600
WARN_AFTER = 5  # failures before staff see "Failed" (it is still retried)


class RecordAdapter(Protocol):
    """Writes one request's Bundle (JSON text) to the health record; returns where it went.
    Raises on any failure (it is retried). Writing the same request again must replace, not add."""

    def write(self, bundle_json: str, request: Request) -> str: ...


class FileAdapter:
    """One JSON file per request, ``<directory>/<reference>.json``, replaced atomically."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def write(self, bundle_json: str, request: Request) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{request.reference or f'request-{request.id}'}.json"
        if "/" in name or name.startswith("."):
            raise ValueError(f"unsafe record file name {name!r}")
        target = self.directory / name
        fd, temp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=self.directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(bundle_json)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return str(target)


ADAPTERS = {"file": lambda settings: FileAdapter(settings.instance_dir / "records")}


def adapter_for(settings: settings_module.Settings) -> RecordAdapter:
    """The adapter ``ANIMA_RECORD_ADAPTER`` names; ValueError if unknown."""
    try:
        return ADAPTERS[settings.record_adapter](settings)
    except KeyError:
        raise ValueError(
            f"unknown ANIMA_RECORD_ADAPTER {settings.record_adapter!r}; known: {', '.join(ADAPTERS)}"
        ) from None


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after ``attempts`` failures: 1 min, 2 min, ... capped at 1 h."""
    return retry_queue.backoff(attempts, BACKOFF_FIRST_SECONDS, BACKOFF_MAX_SECONDS)


@dataclass
class ExportReport:
    written: int = 0
    retried: int = 0


_WAITING = col(RecordExport.status).in_(("pending", "failed"))


def _due_ids(session_factory: SessionFactory, now: datetime, batch: int) -> list[int]:
    return retry_queue.due_ids(session_factory, RecordExport, now, batch, _WAITING)


def _claim(session_factory: SessionFactory, export_id: int, now: datetime) -> bool:
    with session_factory() as session:
        return retry_queue.claim(session, RecordExport, export_id, now, CLAIM_SECONDS, _WAITING)


def _bundle_for(session_factory: SessionFactory, export_id: int) -> tuple[str, Request]:
    with session_factory() as session:
        export = session.get(RecordExport, export_id)
        request = session.get(Request, export.request_id) if export is not None else None
        if request is None:
            raise LookupError(f"record export {export_id} has no request")
        bundle = build_bundle(session, request)
        validate_bundle(bundle)
        session.expunge(request)
    return json.dumps(bundle, ensure_ascii=False, indent=2, sort_keys=True), request


def _finish(session_factory: SessionFactory, export_id: int, now: datetime, *, location: str = "", error: str = ""):
    with session_factory() as session:
        export = session.get(RecordExport, export_id, populate_existing=True)
        if export is None:  # pragma: no cover - rows are never deleted
            return
        export.locked_until = None
        if not error:
            export.status, export.written_at, export.location, export.last_error = "written", now, location[:300], ""
        else:
            export.attempts += 1
            export.last_error = error[:500]
            export.next_attempt_at = now + backoff(export.attempts)
            export.status = "failed" if export.attempts >= WARN_AFTER else "pending"
        session.add(export)


def export_due(
    session_factory: SessionFactory,
    now: datetime | None = None,
    *,
    adapter: RecordAdapter | None = None,
    batch: int = 20,
) -> ExportReport:
    """Write up to ``batch`` due exports; safe to run in several workers at once."""
    now = now or clock.utcnow()
    adapter = adapter or adapter_for(settings_module.settings)
    report = ExportReport()
    for export_id in _due_ids(session_factory, now, batch):
        if not _claim(session_factory, export_id, now):
            continue
        try:
            bundle_json, request = _bundle_for(session_factory, export_id)
            location = adapter.write(bundle_json, request)
        except Exception as exc:  # noqa: BLE001 - any failure is kept and retried
            error = f"{type(exc).__name__}: {exc}"
            _finish(session_factory, export_id, now, error=error)
            report.retried += 1
            log.warning("record: export #%s not written, will retry: %s", export_id, error)
            continue
        _finish(session_factory, export_id, now, location=location)
        report.written += 1
        log.info("record: export #%s written to %s", export_id, location)
    return report


async def run_exporter(
    stop_event: asyncio.Event | None = None,
    *,
    poll_seconds: float | None = None,
    session_factory: SessionFactory | None = None,
) -> None:
    """Write due exports every ``poll_seconds`` until ``stop_event`` is set. Errors are logged."""
    settings = settings_module.settings
    try:
        adapter = adapter_for(settings)
    except ValueError as exc:
        log.error("record: not writing to the health record: %s", exc)
        return
    if session_factory is None:
        from anima_pwa.db import session_scope

        session_factory = session_scope
    interval = settings.outbox_poll_seconds if poll_seconds is None else poll_seconds

    def work() -> bool:
        export_due(session_factory, adapter=adapter)
        return False

    await retry_queue.run_every(work, interval, stop_event, log, "record: export run failed")


@dataclass(frozen=True)
class RecordStatus:
    """What staff see: ``state`` written | waiting | failed | none, and the words."""

    state: str
    text: str


def _when(moment: datetime) -> str:
    return clock.to_london(moment).strftime("%-d %b %Y at %H:%M")


def record_status(session: Session, request_id: int) -> RecordStatus:
    """Where the request's write to the health record is, in plain words. The caller checks that
    the member of staff may see the request."""
    export = session.exec(select(RecordExport).where(RecordExport.request_id == request_id)).first()
    if export is None:
        return RecordStatus("none", "Not signed off yet: nothing to write to the record")
    if export.status == "written" and export.written_at is not None:
        return RecordStatus("written", f"Written to the record on {_when(export.written_at)}")
    retry = _when(export.next_attempt_at)
    if export.status == "failed":
        return RecordStatus("failed", f"Failed {export.attempts} times: {export.last_error}. Will retry at {retry}")
    if export.attempts:
        return RecordStatus("waiting", f"Not yet written: will retry at {retry} (last error: {export.last_error})")
    return RecordStatus("waiting", "Not yet written: it will be written in a moment")
