"""The service worker is named for its build (anima_pwa/http.py): the same build gives the same
worker, byte for byte, and any change to what it caches or to the frontend build gives a new one,
which the browser installs on the next launch (e2e/test_app_update.py shows that in Chromium)."""

from __future__ import annotations

import shutil
from pathlib import Path

from anima_pwa import http
from anima_pwa.settings import ROOT


def test_the_same_build_is_the_same_worker_and_any_change_a_new_one(tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    shutil.copytree(ROOT / "assets", assets)
    built = ["entry.client-3f9a1c.js", "root-77d2e0.css"]
    first = http.worker_version(assets, built)
    assert first == http.worker_version(assets, list(built))
    assert first.startswith("anima-") and len(first) == len("anima-") + 16

    assert http.worker_version(assets, ["entry.client-0b12aa.js", "root-77d2e0.css"]) != first  # a new build
    (assets / "anima.css").write_text((assets / "anima.css").read_text() + "\n.new { color: red; }\n")
    assert http.worker_version(assets, built) != first  # a changed stylesheet


def test_the_served_worker_carries_its_build_name() -> None:
    script = http.service_worker_script().decode()
    assert 'const VERSION = "anima-dev";' not in script
    assert f'const VERSION = "{http.worker_version()}";' in script
