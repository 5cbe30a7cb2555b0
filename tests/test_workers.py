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


def test_two_workers_claiming_at_once_take_different_messages(engine: Engine, db_session: Session) -> None:
    """One batch claim each, at the same moment: no message in both batches (on PostgreSQL the
    second worker skips the rows the first is locking and takes the next ones)."""
    from anima_pwa.models import utcnow
    from anima_pwa.services.platform import retry_queue

    ids = _queue(engine, 20)
    now = utcnow()
    start = threading.Barrier(2)
    batches: dict[str, list[int]] = {}
    failures: list[BaseException] = []

    def claim(name: str) -> None:
        try:
            start.wait()
            batches[name] = retry_queue.claim_due(
                factory_for(engine), OutboxMessage, now, 10, n.CLAIM_SECONDS, OutboxMessage.status == "pending"
            )
        except BaseException as exc:  # surfaced below
            failures.append(exc)

    threads = [threading.Thread(target=claim, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == []
    assert not set(batches["a"]) & set(batches["b"])
    assert len(batches["a"]) <= 10 and len(batches["b"]) <= 10  # a batch is never more than asked for
    assert sorted(batches["a"] + batches["b"]) == sorted(ids)  # 10 each: nobody waited for nothing


def test_a_claim_takes_at_most_the_batch(engine: Engine, db_session: Session) -> None:
    from anima_pwa.models import utcnow
    from anima_pwa.services.platform import retry_queue

    ids = _queue(engine, 50)
    now = utcnow()
    claimed = [
        retry_queue.claim_due(
            factory_for(engine), OutboxMessage, now, 20, n.CLAIM_SECONDS, OutboxMessage.status == "pending"
        )
        for _ in range(4)
    ]
    assert [len(batch) for batch in claimed] == [20, 20, 10, 0]
    assert sorted(i for batch in claimed for i in batch) == sorted(ids)
    assert sorted(claimed[0]) == sorted(ids)[:20]  # the oldest due first


def test_a_batch_goes_over_one_smtp_connection(engine: Engine, db_session: Session) -> None:
    _queue(engine, 5)
    with smtp_server() as (handler, port):
        transport = n.SmtpTransport.from_url(f"smtp://127.0.0.1:{port}")
        assert n.deliver_due(factory_for(engine), transport, sender=SENDER).sent == 5
        assert n.deliver_due(factory_for(engine), transport, sender=SENDER).sent == 0
    assert len(handler.messages) == 5
    assert len(handler.peers) == 1  # one connection (one client port) for the five


def test_a_slow_batch_hands_the_rest_back_before_its_claim_runs_out(
    engine: Engine, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each send "takes" 40 s: after two, half the claim (60 s) is used, so the other three go
    back unclaimed for the next pass (or another worker) instead of being sent as the claim expires."""
    from anima_pwa.services.platform.notifications import delivery

    ids = _queue(engine, 5)
    clock = {"now": 0.0}
    monkeypatch.setattr(delivery.time, "monotonic", lambda: clock["now"])

    class Slow:
        def __init__(self) -> None:
            self.sent: list[int] = []

        def send(self, message: OutboxMessage, *, sender: str) -> None:
            clock["now"] += 40
            assert message.id is not None
            self.sent.append(message.id)

    slow = Slow()
    report = n.deliver_due(factory_for(engine), slow, sender=SENDER)
    assert report.sent == 2 and slow.sent == ids[:2]
    with Session(engine) as session:
        rest = session.exec(select(OutboxMessage).where(OutboxMessage.id.in_(ids[2:]))).all()  # type: ignore[union-attr]
    assert {(m.status, m.locked_until) for m in rest} == {("pending", None)}
    clock["now"] = 0.0
    assert n.deliver_due(factory_for(engine), slow, sender=SENDER).sent == 2
    assert n.deliver_due(factory_for(engine), slow, sender=SENDER).sent == 1
    assert sorted(slow.sent) == sorted(ids)  # each once


def test_slots_are_made_by_one_worker_at_a_time(engine: Engine) -> None:
    from anima_pwa.services.platform import retry_queue

    with Session(engine) as first, Session(engine) as second:
        assert retry_queue.one_at_a_time(first, "appointments.slots")
        if engine.dialect.name == "postgresql":
            assert not retry_queue.one_at_a_time(second, "appointments.slots")  # the other worker waits
            assert retry_queue.one_at_a_time(second, "something else")
            first.commit()  # the first worker's round ends
            second.rollback()
        assert retry_queue.one_at_a_time(second, "appointments.slots")
