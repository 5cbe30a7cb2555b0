"""Several worker processes (production mode with Redis): each runs the app's lifespan tasks, so
two outbox senders poll the same table at once. Each message must still go exactly once (HAZ-090).
On PostgreSQL when ANIMA_TEST_POSTGRES_URL is set (the `engine` fixture), else SQLite."""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import threading
import time

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from anima_pwa import settings as settings_module
from anima_pwa.models import OutboxMessage
from anima_pwa.services.platform import notifications as n
from tests.test_notifications import smtp_server
from tests.web import factory_for

SENDER = "Anima <no-reply@anima.test>"
MESSAGES = 60


def _queue(engine: Engine, count: int) -> list[int]:
    with factory_for(engine)() as session:
        ids = [
            n.enqueue_email(session, to=f"p{i}@example.com", template="password_reset_code", code=f"{i:06d}").id
            for i in range(count)
        ]
    return [i for i in ids if i is not None]


def _pending(engine: Engine) -> int:
    with Session(engine) as session:
        return len(session.exec(select(OutboxMessage).where(OutboxMessage.status == "pending")).all())


def test_two_workers_senders_send_each_message_exactly_once(
    engine: Engine, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two `run_sender` loops, each on its own event loop and thread as in two worker processes,
    drain one outbox through a real SMTP server: every message arrives once, none twice."""
    ids = _queue(engine, MESSAGES)
    with smtp_server() as (handler, port):
        monkeypatch.setattr(
            settings_module,
            "settings",
            dataclasses.replace(settings_module.settings, smtp_url=f"smtp://127.0.0.1:{port}", email_from=SENDER),
        )
        stops: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        ready = threading.Barrier(3)
        failures: list[BaseException] = []

        def worker() -> None:
            async def run() -> None:
                stop = asyncio.Event()
                stops.append((asyncio.get_running_loop(), stop))
                ready.wait()
                await n.run_sender(stop, poll_seconds=0.05, session_factory=factory_for(engine))

            try:
                asyncio.run(run())
            except BaseException as exc:  # surfaced below
                failures.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        ready.wait()
        deadline = time.monotonic() + 60
        while _pending(engine) and time.monotonic() < deadline:
            time.sleep(0.05)  # polling the table the senders drain; not a wait in the app
        for loop, stop in stops:
            loop.call_soon_threadsafe(stop.set)
        for thread in threads:
            thread.join(timeout=30)
    assert failures == []
    received = collections.Counter(rcpt for _, rcpts, _ in handler.messages for rcpt in rcpts)
    assert len(handler.messages) == MESSAGES
    assert set(received.values()) == {1}  # each recipient exactly once
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.id.in_(ids))).all()  # type: ignore[union-attr]
    assert {row.status for row in rows} == {"sent"} and len(rows) == MESSAGES
