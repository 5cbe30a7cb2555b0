"""Run the benchmarks: ``python -m bench`` (or ``make bench``).

    python -m bench                    every benchmark, on SQLite (and PostgreSQL when
                                       ANIMA_TEST_POSTGRES_URL is set)
    python -m bench session search     only the named ones (session, search, verification,
                                       sign-in, outbox, queue, in-progress, topics, http)
    python -m bench --sqlite-only      ignore ANIMA_TEST_POSTGRES_URL
    python -m bench roundtrip rush firstload
                                       the running app, driven from outside (only when named;
                                       BENCH_URL + BENCH_DB_URL, or an app started here)
    python -m bench rush --patients 50 --limit 20 --window 10

Prints a table and writes it, with machine details, to bench/results/<UTC time>.json
(git-ignored). Exit status 1 if any target was missed, 2 if a benchmark crashed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import sys
import time
import traceback
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from bench.common import POSTGRES_URL, Result

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit in ("msg/s", "count"):
        return f"{value:.0f}"
    return f"{value:.2f}" if value < 10 else f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def _verdict(result: Result) -> str:
    if result.passed is None:
        if result.note.startswith("CRASHED"):
            return "CRASHED"
        return "skipped" if result.runs == 0 else "info"
    return "ok" if result.passed else "MISS"


def table(results: list[Result]) -> str:
    headers = ["benchmark", "backend", "runs", "median", "p95", "result", "target", "verdict"]
    rows = []
    for r in results:
        per = "ms/msg" if r.unit == "msg/s" else "ms"
        rows.append(
            [
                r.name,
                r.backend,
                str(r.runs or "-"),
                f"{_fmt(r.median, 'ms')} {per}" if r.median is not None else "-",
                f"{_fmt(r.p95, 'ms')} {per}" if r.p95 is not None else "-",
                f"{_fmt(r.value, r.unit)} {r.unit}" if r.value is not None else "",
                r.target or "-",
                _verdict(r),
            ]
        )
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()  # noqa: E731
    out = [line(headers), line(["-" * w for w in widths])]
    for r, row in zip(results, rows, strict=True):
        out.append(line(row))
        if r.note:
            out.append(" " * (widths[0] + 2) + r.note)
    return "\n".join(out)


def machine() -> dict:
    info = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
        "load_average_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }
    if POSTGRES_URL:
        try:
            from sqlalchemy import create_engine, text

            from anima_pwa.settings import sqlalchemy_url

            engine = create_engine(sqlalchemy_url(POSTGRES_URL))
            with engine.connect() as connection:
                info["postgresql"] = connection.execute(text("SHOW server_version")).scalar()
            engine.dispose()
        except Exception as exc:  # noqa: BLE001 - informational only
            info["postgresql"] = f"unknown ({exc})"
    return info


def main(argv: list[str] | None = None) -> int:
    from bench.benchmarks import DATABASE_BENCHMARKS, LIVE_BENCHMARKS, OTHER_BENCHMARKS
    from bench.common import backends

    names = [*DATABASE_BENCHMARKS, *OTHER_BENCHMARKS, *LIVE_BENCHMARKS]
    parser = argparse.ArgumentParser(prog="python -m bench", description="Anima benchmarks (not part of make test).")
    parser.add_argument("only", nargs="*", metavar="NAME", help=f"run only these: {', '.join(names)}")
    parser.add_argument(
        "--sqlite-only", action="store_true", help="skip PostgreSQL even if ANIMA_TEST_POSTGRES_URL is set"
    )
    parser.add_argument("--patients", type=int, help="rush: simulated patients (default 1000)")
    parser.add_argument("--limit", type=int, help="rush: the practice's daily limit (default 300)")
    parser.add_argument("--window", type=float, help="rush: seconds over which the patients arrive (default 60)")
    parser.add_argument("--rounds", type=int, help="roundtrip: whole wizards timed (default 20)")
    args = parser.parse_args(argv)
    unknown = [n for n in args.only if n not in names]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(names)}")
    selected = args.only or [n for n in names if n not in LIVE_BENCHMARKS]
    run_backends = ["sqlite"] if args.sqlite_only else backends()

    info = machine()
    print(
        f"Anima benchmarks on {info['cpus']} CPUs, Python {info['python']}, SQLite {info['sqlite']}"
        + (f", PostgreSQL {info['postgresql']}" if "postgresql" in info and "postgresql" in run_backends else "")
        + ("" if "postgresql" in run_backends else " (PostgreSQL: set ANIMA_TEST_POSTGRES_URL to include it)"),
        flush=True,
    )
    results: list[Result] = []
    crashed = False
    started = time.perf_counter()
    for name in selected:
        targets = run_backends if name in DATABASE_BENCHMARKS else ["-"]
        func = DATABASE_BENCHMARKS.get(name) or OTHER_BENCHMARKS.get(name) or LIVE_BENCHMARKS[name]
        if name == "rush":
            func = partial(func, patients=args.patients, limit=args.limit, window=args.window)
        elif name == "roundtrip":
            func = partial(func, rounds=args.rounds)
        for backend in targets:
            print(f"  running {name} ({backend}) ...", flush=True)
            t0 = time.perf_counter()
            try:
                results.extend(func(backend) if backend != "-" else func())
            except Exception:  # noqa: BLE001 - report and carry on with the others
                crashed = True
                traceback.print_exc()
                results.append(Result(name, backend, "ms", note="CRASHED: see the traceback above"))
            print(f"    done in {time.perf_counter() - t0:.1f} s", flush=True)

    print()
    print(table(results))
    missed = [r for r in results if r.passed is False]
    print()
    print(
        f"{len(results)} rows in {time.perf_counter() - started:.0f} s; "
        + (
            f"{len(missed)} target(s) MISSED: {', '.join(f'{r.name} ({r.backend})' for r in missed)}"
            if missed
            else "every target met"
        )
    )

    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{stamp}.json"
    info["load_average_at_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    path.write_text(
        json.dumps({"when": stamp, "machine": info, "results": [r.as_dict() for r in results]}, indent=2, default=str)
    )
    print(f"Results written to {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    if crashed:
        return 2
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
