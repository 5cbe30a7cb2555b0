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


def test_refused_keeps_the_kind_of_result() -> None:
    from anima_pwa.services.requests.drafts import StartOutcome

    started = StartOutcome.refused("Choose a topic from the list.")
    assert type(started) is StartOutcome and not started.ok
    assert started.errors == {FORM: "Choose a topic from the list."} and started.error == started.message


# Building blocks inside the services that never reach a screen as a failure.
NOT_RESULTS = {
    "anima_pwa.services.identity.tokens.TokenResult",  # a link's state, read by the identity services
    "anima_pwa.services.patients.verification.MatchResult",  # a register match, not a failure
    "anima_pwa.services.questionnaires.topic_search.SearchResult",  # what a search found
}


def test_every_service_outcome_extends_result() -> None:
    """One way to fail: a service's outcome (a dataclass with `ok`, an `error` or `errors`, or named
    ...Outcome/...Result/...Check) is a Result, so a screen always reads `.ok` and `.errors`."""
    import importlib
    import inspect
    import pkgutil

    import anima_pwa.services as services

    others = []
    for info in pkgutil.walk_packages(services.__path__, "anima_pwa.services."):
        module = importlib.import_module(info.name)
        for name, cls in vars(module).items():
            if not (inspect.isclass(cls) and cls.__module__ == module.__name__ and dataclasses.is_dataclass(cls)):
                continue
            fields = {f.name for f in dataclasses.fields(cls)}
            looks_like_one = (
                hasattr(cls, "ok") or fields & {"error", "errors"} or name.endswith(("Outcome", "Result", "Check"))
            )
            if looks_like_one and not issubclass(cls, Result) and f"{module.__name__}.{name}" not in NOT_RESULTS:
                others.append(f"{module.__name__}.{name}")
    assert others == []
