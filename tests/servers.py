"""Servers that tests and benchmarks start as separate processes (the app, the NHS login emulator):
a free port for one, waiting until it answers, and stopping it with its children. Shared by the
browser journeys (e2e/conftest.py) and the benchmarks that drive the running app (bench/live.py)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(
    url: str,
    process: subprocess.Popen | None,
    log_path: Path | None,
    *,
    path: str = "/ping",
    timeout: float = 300.0,
) -> None:
    """Return once ``url + path`` answers 200; raise with the end of ``log_path`` if ``process``
    exits first or ``timeout`` seconds pass."""

    def tail() -> str:
        return log_path.read_text()[-4000:] if log_path and log_path.exists() else ""

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the app exited with {process.returncode}:\n{tail()}")
        try:
            with urllib.request.urlopen(f"{url}{path}", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)  # polling a server that is starting; not a wait in a test
    raise RuntimeError(f"{url}{path} did not answer within {timeout:g} s:\n{tail()}")


def stop(process: subprocess.Popen) -> None:
    """Stop a server started in its own session, and its children; one that has already exited (and
    taken its process group with it) is fine."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        process.wait()
        return
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
