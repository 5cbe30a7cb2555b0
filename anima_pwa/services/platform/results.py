"""One way for a service to fail: a result with field errors.

A service that can refuse what a person asked for returns a `Result` (or a dataclass that extends
it with what a success gives back): `errors` maps a field name to the message to show next to that
field, with `FORM` for a message about the whole form. No errors means it worked. Nothing is saved
when there are errors (the caller's transaction is not committed with half a change).

Extending it: `@dataclass(frozen=True)` on the subclass; `errors` is keyword-only, so a subclass
may have fields without defaults (`Confirmation("expired", email=...)`).

A service raises only `PermissionDenied` (services/practice/permissions.py), when the actor may
not act at all: that is not bad input, and the screen's guard shows it (state/base.py `requires`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Self

__all__ = ["FORM", "Result", "failed"]

FORM = "form"  # the key for an error about the whole form rather than one field


@dataclass(frozen=True, kw_only=True)
class Result:
    """What a service tells the screen: field errors (nothing was saved), or none (it worked)."""

    errors: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def message(self) -> str:
        """The whole form's error, else the first field's ("" when it worked)."""
        return self.errors.get(FORM) or next(iter(self.errors.values()), "")

    @classmethod
    def refused(cls, message: str, field_name: str = FORM) -> Self:
        """This kind of result, failed with one error (about the whole form unless a field is
        named): ``StartOutcome.refused("Choose a topic from the list.")``."""
        return cls(errors={field_name: message})


def failed(message: str, field_name: str = FORM) -> Result:
    """A result with one error (about the whole form unless a field is named)."""
    return Result(errors={field_name: message})
