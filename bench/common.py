"""What every benchmark shares: throwaway databases, timing and the result rows.

Each benchmark builds its own database with the real migrations (``alembic upgrade head``, the
same schema and indexes production gets): a SQLite file in a temporary folder, and a PostgreSQL
database ``anima_bench_<random>`` when ANIMA_TEST_POSTGRES_URL is set (created through that URL,
dropped afterwards).
"""

from __future__ import annotations

import math
import os
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

POSTGRES_URL = os.environ.get("ANIMA_TEST_POSTGRES_URL", "").strip()


# Results -----------------------------------------------------------------------------------------


@dataclass
class Result:
    """One row of the results table."""

    name: str
    backend: str  # sqlite | postgresql | http | -
    unit: str  # "ms" (lower is better) or "msg/s" (higher is better)
    runs: int = 0
    median: float | None = None
    p95: float | None = None
    value: float | None = None  # for throughput rows: the figure compared with the target
    target: str = ""  # e.g. "p95 < 2 ms"
    passed: bool | None = None  # None: no target (information only) or skipped
    note: str = ""
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least pct% of samples at or below it."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def timing_result(
    name: str,
    backend: str,
    samples_seconds: list[float],
    *,
    p95_target_ms: float | None = None,
    note: str = "",
    extra: dict | None = None,
) -> Result:
    """A latency row from per-run durations in seconds, judged on p95 when there is a target."""
    ms = [s * 1000 for s in samples_seconds]
    p95 = percentile(ms, 95)
    return Result(
        name=name,
        backend=backend,
        unit="ms",
        runs=len(ms),
        median=statistics.median(ms),
        p95=p95,
        target=f"p95 < {p95_target_ms:g} ms" if p95_target_ms is not None else "",
        passed=(p95 < p95_target_ms) if p95_target_ms is not None else None,
        note=note,
        extra=extra or {},
    )


def measure(func: Callable[[], object], runs: int, *, warmup: int = 3) -> list[float]:
    """Durations in seconds of ``runs`` calls of ``func`` (after ``warmup`` untimed calls)."""
    for _ in range(warmup):
        func()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return samples


# Databases ---------------------------------------------------------------------------------------


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


def _migrate(engine: Engine) -> None:
    """The real migrations, as ``python -m anima_pwa.admin migrate`` runs them."""
    from alembic import command
    from anima_pwa.admin import alembic_config

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@contextmanager
def database(backend: str) -> Iterator[Engine]:
    """An engine on a new, migrated, empty database of this backend; removed afterwards."""
    from anima_pwa.db import make_engine
    from anima_pwa.settings import sqlalchemy_url

    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="anima-bench-") as folder:
            engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
            try:
                _migrate(engine)
                yield engine
            finally:
                engine.dispose()
        return
    if backend != "postgresql" or not POSTGRES_URL:
        raise ValueError(f"no database for backend {backend!r}")
    admin = create_engine(sqlalchemy_url(POSTGRES_URL), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"anima_bench_{secrets.token_hex(5)}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(
        make_url(sqlalchemy_url(POSTGRES_URL)).set(database=name).render_as_string(hide_password=False)
    )
    try:
        _migrate(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def session_factory(engine: Engine) -> Callable[[], object]:
    """Like ``anima_pwa.db.session_scope`` but on ``engine``: commit on success, roll back on error."""

    from anima_pwa.db import session_scope_on

    return partial(session_scope_on, engine)
