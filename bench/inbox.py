"""Benchmarks of the inbox (issue 11): the practice's triage queue and the patient's "In progress"
/ "Your requests". Each has a baseline row measured in the same run (the simplest indexed read,
``session.get(Request, id)`` in its own session scope), and a target that is a ratio to that
baseline's p95, so a busy shared machine slows both alike.

Data is bulk-inserted (SQLAlchemy Core ``insert`` with many rows) into a database built with the
real migrations; then ``ANALYZE`` so both planners see the real row counts, as a live database's
statistics (PostgreSQL's autovacuum, SQLite's ``PRAGMA optimize``) would.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import insert, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from anima_pwa.models import (
    OPEN_STATUSES,
    URGENCY_RANKS,
    Account,
    AccountPatient,
    Patient,
    Practice,
    Request,
    RequestMessage,
    StaffMember,
    utcnow,
)
from bench.common import Result, database, measure, session_factory, timing_result

# Targets: p95 of the benchmarked call <= this many times the baseline's p95 in the same run.
# A queue page runs five statements (count, page with its join, grouped counts, staff names, the
# audit insert) plus a commit with a write, against one primary-key read for the baseline; 20
# statements' worth is the budget. See bench/README.md.
QUEUE_P95_RATIO = 20.0
# "In progress" / "Your requests": holders, 40 requests with their patient, the threads' messages
# (three reads, no write, ~80 ORM rows and ~300 message tuples), against one primary-key read.
IN_PROGRESS_P95_RATIO = 20.0

TEAMS = ("reception", "gp", "medicines_team", "physiotherapy", "mental_health", "nurse")
URGENCIES = tuple(URGENCY_RANKS)
CHUNK = 5000


def _bulk(session: Session, model: type, rows: list[dict]) -> None:
    """Core executemany (the ORM's bulk path is several times slower for 100,000 rows)."""
    table = model.__table__  # type: ignore[attr-defined]
    connection = session.connection()
    for start in range(0, len(rows), CHUNK):
        connection.execute(insert(table), rows[start : start + CHUNK])


def _analyze(engine: Engine) -> None:
    """Planner statistics (and on PostgreSQL the visibility map index-only scans need), as a live
    database has them from autovacuum / ``PRAGMA optimize``."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
        return
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))


def _accounts(session: Session, count: int, prefix: str) -> list[int]:
    now = utcnow()
    rows = [
        dict(
            email=f"{prefix}{i}@example.org",
            email_normalized=f"{prefix}{i}@example.org",
            password_hash="not-a-hash",
            kind="staff" if prefix.startswith("staff") else "patient",
            email_verified_at=now,
            password_changed_at=now,
            created_at=now,
            updated_at=now,
        )
        for i in range(count)
    ]
    _bulk(session, Account, rows)
    return list(
        session.exec(
            select(Account.id).where(Account.email.startswith(prefix)).order_by(Account.id)  # type: ignore[union-attr]
        ).all()
    )


def _practices(session: Session, count: int) -> list[int]:
    _bulk(session, Practice, [dict(ods_code=f"B{i:05d}", name=f"BENCH PRACTICE {i}") for i in range(count)])
    return list(session.exec(select(Practice.id).order_by(Practice.id)).all())  # type: ignore[arg-type]


def _patients(session: Session, practice_ids: list[int], per_practice: int, rng: random.Random) -> dict[int, list]:
    now = utcnow()
    rows = [
        dict(
            full_name=f"Patient {practice_id}-{i}",
            date_of_birth=date(1940, 1, 1) + timedelta(days=rng.randint(0, 30_000)),
            postcode="MB1 1AA",
            practice_id=practice_id,
            verification_status="verified",
            created_at=now,
            updated_at=now,
        )
        for practice_id in practice_ids
        for i in range(per_practice)
    ]
    _bulk(session, Patient, rows)
    by_practice: dict[int, list] = {p: [] for p in practice_ids}
    for patient_id, practice_id in session.exec(select(Patient.id, Patient.practice_id)).all():
        if practice_id in by_practice:
            by_practice[practice_id].append(patient_id)
    return by_practice


def _request_row(
    rng: random.Random, practice_id: int, patient_id: int, status: str, now, staff_ids: list[int], number: int
) -> dict:
    urgency = rng.choices(URGENCIES, weights=(1, 8, 25, 66))[0]
    submitted = now - timedelta(seconds=rng.randint(60, 30 * 86400))
    assigned = status != "submitted" and staff_ids and rng.random() < 0.8
    kind = "admin" if rng.random() < 0.3 else "medical"
    return dict(
        reference=f"BN-{number:08d}",
        patient_id=patient_id,
        practice_id=practice_id,
        kind=kind,
        topic="general_medical" if kind == "medical" else "fit_note",
        status=status,
        subject="Benchmark request",
        urgency=urgency,
        urgency_rank=URGENCY_RANKS[urgency],
        team="reception" if kind == "admin" else rng.choice(TEAMS),
        assigned_team=rng.choice(TEAMS) if status != "submitted" and rng.random() < 0.5 else "",
        assigned_staff_id=rng.choice(staff_ids) if assigned else None,
        created_at=submitted,
        updated_at=submitted,
        submitted_at=submitted,
        resolved_at=submitted + timedelta(days=1) if status in ("resolved", "closed") else None,
        first_response_at=submitted + timedelta(hours=2) if status != "submitted" else None,
        outcome="self_care" if status == "resolved" else "",
    )


def _ratio_row(name: str, backend: str, samples: list[float], baseline_p95_ms: float, ratio: float, note: str):
    row = timing_result(name, backend, samples, note=note)
    limit = baseline_p95_ms * ratio
    row.target = f"p95 <= {ratio:g}x baseline ({limit:.2f} ms)"
    row.passed = row.p95 is not None and row.p95 <= limit
    row.extra["ratio_to_baseline_p95"] = round((row.p95 or 0) / baseline_p95_ms, 2)
    return row


# 1. The practice's queue ---------------------------------------------------------------------------


def practice_queue(
    backend: str, *, runs: int = 40, open_requests: int = 20_000, other_requests: int = 100_000
) -> list[Result]:
    """``inbox.queue.queue`` for a practice with ``open_requests`` open requests (and some
    resolved), with ``other_requests`` at 50 other practices (most resolved): page 1, "assigned to
    me", a team, the last page. Each call in its own session scope (it writes an audit row)."""
    from anima_pwa.services.inbox import queue
    from anima_pwa.services.practice.permissions import CLINICIAN, StaffContext

    rng = random.Random("anima-bench-queue")
    with database(backend) as engine:
        scope = session_factory(engine)
        started = time.perf_counter()
        with scope() as s:
            practice_ids = _practices(s, 51)
            main, others = practice_ids[0], practice_ids[1:]
            staff_accounts = _accounts(s, 60, "staff")
            _bulk(
                s,
                StaffMember,
                [
                    dict(account_id=a, practice_id=practice_ids[i // 12 * 10], role=CLINICIAN,
                         display_name=f"Dr Bench {i}", active=True)
                    for i, a in enumerate(staff_accounts)
                ],
            )  # fmt: skip
            staff = {p: [] for p in practice_ids}
            for staff_id, practice_id in s.exec(select(StaffMember.id, StaffMember.practice_id)).all():
                staff[practice_id].append(staff_id)
            patients = _patients(s, [main], 8000, rng)
            patients.update(_patients(s, others, 400, rng))
            now = utcnow()
            rows = []
            for _ in range(open_requests):
                status = rng.choices(OPEN_STATUSES, weights=(40, 45, 15))[0]
                rows.append(_request_row(rng, main, rng.choice(patients[main]), status, now, staff[main], len(rows)))
            for _ in range(5000):  # the practice's own signed-off requests of the last 30 days
                status = rng.choice(("resolved", "closed"))
                rows.append(_request_row(rng, main, rng.choice(patients[main]), status, now, staff[main], len(rows)))
            for _ in range(other_requests):
                practice = rng.choice(others)
                status = rng.choices(("resolved", "closed", *OPEN_STATUSES), weights=(70, 15, 6, 6, 3))[0]
                rows.append(
                    _request_row(rng, practice, rng.choice(patients[practice]), status, now, staff[practice], len(rows))
                )
            _bulk(s, Request, rows)
            sample_ids = list(s.exec(select(Request.id).where(Request.practice_id == main).limit(2000)).all())
            me_staff = staff[main][0]
            me = s.exec(select(StaffMember).where(StaffMember.id == me_staff)).one()
            context = StaffContext(
                account_id=me.account_id,
                staff_id=me_staff,
                practice_id=main,
                role=CLINICIAN,
                display_name=me.display_name,
                practice_name="BENCH PRACTICE 0",
            )
        _analyze(engine)
        setup_seconds = time.perf_counter() - started

        def call(filters: queue.QueueFilter, page: object = 1, expect_rows: bool = True) -> Callable[[], None]:
            def once() -> None:
                with scope() as s:
                    found = queue.queue(s, context, filters, page=page)
                if expect_rows and not found.rows:
                    raise AssertionError(f"an empty queue page for {filters}")

            return once

        with scope() as s:
            last_page = queue.queue(s, context, queue.QueueFilter()).pages
        cases = [
            ("queue page 1, no filter", call(queue.QueueFilter())),
            ('queue page 1, "assigned to me"', call(queue.QueueFilter(assignee="me"))),
            ("queue page 1, team = physiotherapy", call(queue.QueueFilter(team="physiotherapy"))),
            (f"queue last page ({last_page}), no filter", call(queue.QueueFilter(), page=last_page)),
        ]
        # Interleave the cases and the baseline round by round, so a burst of load hits all alike.
        samples: dict[str, list[float]] = {name: [] for name, _ in cases}
        baseline: list[float] = []
        measure(lambda: _get(scope, sample_ids, rng), 0, warmup=20)
        for _name, func in cases:
            measure(func, 0, warmup=3)
        for _ in range(runs):
            baseline += measure(lambda: _get(scope, sample_ids, rng), 1, warmup=0)
            for name, func in cases:
                samples[name] += measure(func, 1, warmup=0)
        base = timing_result(
            "baseline: session.get(Request, id)",
            backend,
            baseline,
            note=f"same run; data setup {setup_seconds:.1f} s "
            f"({open_requests:,} open at the practice, {other_requests:,} elsewhere)",
        )
        results = [base]
        for name, _ in cases:
            results.append(
                _ratio_row(name, backend, samples[name], base.p95 or 0.0, QUEUE_P95_RATIO,
                           note="count + page + grouped counts + staff + audit row, one commit")
            )  # fmt: skip
        results[-1].extra["plans"] = _queue_plans(engine, backend, context)
        return results


def _get(scope: Callable, request_ids: list[int], rng: random.Random) -> None:
    with scope() as s:
        if s.get(Request, rng.choice(request_ids)) is None:
            raise AssertionError("no such request")


def _queue_plans(engine: Engine, backend: str, context) -> dict[str, str]:
    """The plans of the queue's page query and its grouped counts (as the SQL the service sends)."""
    from anima_pwa.services.inbox import queue

    plans = {}
    with Session(engine) as s:
        captured: list[tuple[str, object]] = []

        from sqlalchemy import event

        def before(conn, cursor, statement, parameters, context_, executemany):  # noqa: ARG001
            if statement.lstrip().upper().startswith("SELECT"):
                captured.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", before)
        try:
            queue.queue(s, context, queue.QueueFilter())
        finally:
            event.remove(engine, "before_cursor_execute", before)
        s.rollback()
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        for index, (statement, parameters) in enumerate(captured):
            prefix = "EXPLAIN QUERY PLAN " if backend == "sqlite" else "EXPLAIN "
            cursor = raw.cursor()  # type: ignore[union-attr]
            cursor.execute(prefix + statement, parameters)
            lines = [str(row[-1]) for row in cursor.fetchall()]
            cursor.close()
            plans[f"{index}: {' '.join(statement.split())[:90]}"] = "\n".join(lines)
    return plans


# 2. "In progress" and "Your requests" ----------------------------------------------------------------


def in_progress(backend: str, *, runs: int = 150, other_requests: int = 50_000) -> list[Result]:
    """``patient_view.in_progress`` and ``patient_view.your_requests`` for a holder with 3
    dependants and 40 requests across the four of them, threads of 5-10 messages, among
    ``other_requests`` other requests."""
    from anima_pwa.services.identity.sessions import Identity
    from anima_pwa.services.inbox import patient_view

    rng = random.Random("anima-bench-in-progress")
    with database(backend) as engine:
        scope = session_factory(engine)
        started = time.perf_counter()
        with scope() as s:
            practice_ids = _practices(s, 20)
            main = practice_ids[0]
            patients = _patients(s, practice_ids, 500, rng)
            holder_account = _accounts(s, 1, "holder")[0]
            family = patients[main][:4]
            _bulk(
                s,
                AccountPatient,
                [
                    dict(account_id=holder_account, patient_id=p, relationship="self" if i == 0 else "dependant",
                         approval_status="not_needed" if i == 0 else "approved")
                    for i, p in enumerate(family)
                ],
            )  # fmt: skip
            now = utcnow()
            rows = []
            for i in range(40):
                status = ("submitted", "assigned", "awaiting_patient", "resolved", "closed")[i % 5]
                rows.append(_request_row(rng, main, family[i % 4], status, now, [], len(rows)))
            others = [p for practice in practice_ids for p in patients[practice] if p not in family]
            for _ in range(other_requests):
                patient = rng.choice(others)
                status = rng.choices(("resolved", "closed", *OPEN_STATUSES), weights=(70, 15, 6, 6, 3))[0]
                rows.append(_request_row(rng, main, patient, status, now, [], len(rows)))
            _bulk(s, Request, rows)
            family_requests = list(
                s.exec(select(Request.id, Request.submitted_at).where(Request.patient_id.in_(family))).all()  # type: ignore[attr-defined]
            )
            messages = []
            for request_id, submitted in family_requests:
                for m in range(rng.randint(5, 10)):
                    staff_side = m % 2 == 0
                    messages.append(
                        dict(request_id=request_id, author_kind="staff" if staff_side else "patient",
                             author_account_id=None if staff_side else holder_account, body=f"Message {m}",
                             needs_reply=staff_side and rng.random() < 0.5,
                             created_at=submitted + timedelta(minutes=10 * (m + 1)))
                    )  # fmt: skip
            # Other requests' threads: 3 messages each on a fifth of them, so the table is not tiny.
            other_ids = list(
                s.exec(select(Request.id, Request.submitted_at).where(Request.patient_id.notin_(family))).all()  # type: ignore[attr-defined]
            )
            for request_id, submitted in other_ids[::5]:
                for m in range(3):
                    messages.append(dict(request_id=request_id, author_kind="staff", author_account_id=None, body="Other", needs_reply=False,
                                         created_at=submitted + timedelta(minutes=m + 1)))  # fmt: skip
            _bulk(s, RequestMessage, messages)
            sample_ids = [r for r, _ in other_ids[:2000]]
        _analyze(engine)
        setup_seconds = time.perf_counter() - started
        identity = Identity(account_id=holder_account, email="holder0@example.org", kind="patient", session_id="x")

        def open_rows() -> None:
            with scope() as s:
                rows = patient_view.in_progress(s, identity)
            if len(rows) != 24:
                raise AssertionError(f"In progress showed {len(rows)} requests, expected 24")

        def all_rows() -> None:
            with scope() as s:
                rows = patient_view.your_requests(s, identity)
            if len(rows) != 40:
                raise AssertionError(f"Your requests showed {len(rows)} requests, expected 40")

        measure(open_rows, 0, warmup=5)
        measure(all_rows, 0, warmup=5)
        measure(lambda: _get(scope, sample_ids, rng), 0, warmup=20)
        samples: dict[str, list[float]] = {"open": [], "all": []}
        baseline: list[float] = []
        for _ in range(runs):
            baseline += measure(lambda: _get(scope, sample_ids, rng), 1, warmup=0)
            samples["open"] += measure(open_rows, 1, warmup=0)
            samples["all"] += measure(all_rows, 1, warmup=0)
        base = timing_result(
            "baseline: session.get(Request, id)",
            backend,
            baseline,
            note=f"same run; data setup {setup_seconds:.1f} s ({other_requests:,} other requests, "
            f"{len(messages):,} messages)",
        )
        p95 = base.p95 or 0.0
        return [
            base,
            _ratio_row('"In progress" (24 open of 40)', backend, samples["open"], p95, IN_PROGRESS_P95_RATIO,
                       note="holder + 3 dependants; 5-10 messages a thread"),
            _ratio_row('"Your requests" (40)', backend, samples["all"], p95, IN_PROGRESS_P95_RATIO,
                       note="completed ones with their outcome"),
        ]  # fmt: skip


__all__ = ["in_progress", "practice_queue"]
