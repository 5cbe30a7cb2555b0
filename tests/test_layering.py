"""The layers hold: pages -> state -> services -> models, never upward (docs/ARCHITECTURE.md).

A service never imports Reflex (so every rule is tested in milliseconds and serves the app, the
workspace and the admin CLI alike), nor the state or page layers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "anima_pwa"
SERVICES = sorted((PACKAGE / "services").rglob("*.py"))


def imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_services_import_no_reflex_state_or_pages(path: Path) -> None:
    upward = sorted(
        name
        for name in imported(path)
        if name == "reflex"
        or name.startswith(("reflex.", "anima_pwa.state", "anima_pwa.pages", "anima_pwa.components"))
    )
    assert not upward, f"{path.relative_to(PACKAGE)} imports {upward}"


def test_the_services_are_found() -> None:
    assert len(SERVICES) > 30


STATES = sorted((PACKAGE / "state").rglob("*.py"))


@pytest.mark.parametrize("path", STATES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_state_reads_and_writes_no_tables_itself(path: Path) -> None:
    """A State is thin: it asks the services, which read and change the database (a State that
    loads a row or deletes a draft itself is doing a service's job, unchecked)."""
    models = sorted(
        name for name in imported(path) if name == "anima_pwa.models" or name.startswith("anima_pwa.models.")
    )
    assert not models, f"{path.relative_to(PACKAGE)} imports {models}"


MAX_LINES = 600


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_service_module_is_over_600_lines(path: Path) -> None:
    """A module a newcomer can read: about one thing, at most 600 lines (split it when it grows)."""
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(PACKAGE)} has {lines} lines"
