"""The hazard log (docs/clinical-safety/hazard-log.md) names the tests that prove its controls:
each named test must exist, so a hazard can't point at a test that was renamed or deleted."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / "docs" / "clinical-safety" / "hazard-log.md"
REFERENCE = re.compile(r"`((?:tests|e2e)/[\w/]+\.py)::(\w+)(?:\[[^\]`]*\])?`")
HAZARD = re.compile(r"^### (HAZ-\d{3}): ", re.M)


def references() -> list[tuple[str, str]]:
    return REFERENCE.findall(LOG.read_text(encoding="utf-8"))


def functions_in(path: str) -> set[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_the_log_says_it_is_a_draft_needing_a_clinical_safety_officer() -> None:
    text = LOG.read_text(encoding="utf-8")
    assert "DRAFT" in text and "Clinical Safety Officer" in text


def test_every_hazard_has_an_id_once_and_names_evidence() -> None:
    text = LOG.read_text(encoding="utf-8")
    ids = HAZARD.findall(text)
    assert len(ids) == len(set(ids))
    for block in re.split(r"^### ", text, flags=re.M)[1:]:
        if block.startswith("HAZ-"):
            assert REFERENCE.search(block), f"{block.splitlines()[0]} names no test as evidence"


def test_the_log_names_tests() -> None:
    assert len(references()) >= 10


@pytest.mark.parametrize(("path", "name"), references())
def test_every_test_the_log_names_exists(path: str, name: str) -> None:
    assert (ROOT / path).is_file(), f"{path} does not exist"
    assert name in functions_in(path), f"{path} has no test called {name}"
