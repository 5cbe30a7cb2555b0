"""Two (or more) changes at the same time, each in its own thread and transaction on the test
engine, as two members of staff, or a patient and the practice, act at once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session


def at_once(engine: Engine, acts: dict[str, Callable[[Session], Any]]) -> tuple[dict[str, Any], list[BaseException]]:
    """Run each ``act(session)`` in its own thread, committing its session; (what each returned by
    name, the exceptions raised). The caller makes them meet where it matters (a Barrier)."""
    results: dict[str, Any] = {}
    failures: list[BaseException] = []

    def attempt(name: str, act: Callable[[Session], Any]) -> None:
        try:
            with Session(engine, expire_on_commit=False) as session:
                results[name] = act(session)
                session.commit()
        except BaseException as exc:  # pragma: no cover - reported by the caller
            failures.append(exc)

    threads = [threading.Thread(target=attempt, args=(name, act)) for name, act in acts.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, failures
