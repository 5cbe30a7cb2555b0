"""The one result type services fail with (services/platform/results.py)."""

from __future__ import annotations

import dataclasses

import pytest

from anima_pwa.services.platform.results import FORM, Result, failed


def test_no_errors_is_ok_and_says_nothing() -> None:
    assert Result().ok and Result().message == ""


def test_the_forms_error_comes_first_then_the_first_field() -> None:
    assert Result(errors={"email": "Enter your email", FORM: "Too many attempts"}).message == "Too many attempts"
    assert Result(errors={"email": "Enter your email", "password": "Enter a password"}).message == "Enter your email"
    assert not failed("Nope").ok and failed("Nope").errors == {FORM: "Nope"}
    assert failed("Enter a date", "dob").errors == {"dob": "Enter a date"}


def test_a_result_cannot_be_changed_once_given() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Result().errors = {"x": "y"}  # type: ignore[misc]
