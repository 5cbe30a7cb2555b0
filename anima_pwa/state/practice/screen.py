"""A workspace screen about one thing (a request, a book, a day's list) with forms that change it:
its messages, once. Used as ``class XState(WorkspaceScreen, PracticeState)``.

- ``error``: the thing can't be shown at all (not found, or not this member of staff's to see);
- ``errors`` / ``summary``: a refused change, next to its fields and in the summary (``_fail``);
- ``notice``: what the last change did; ``drawn``: a new number redraws the (uncontrolled) forms
  empty after a success, so what was typed stays on an error.

Each screen supplies ``_shown()``: whether the thing is on the screen (a refusal before it is,
from the guard or a service's `PermissionDenied`, is the page's ``error``; after, the form's).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import reflex as rx


class WorkspaceScreen(rx.State, mixin=True):
    errors: dict[str, str] = {}
    summary: list[list[str]] = []
    notice: str = ""
    error: str = ""
    drawn: int = 0

    if TYPE_CHECKING:
        # From SessionState, which every screen also derives from.
        def _fail(self, errors: Mapping[str, str], anchors: Mapping[str, str] | None = None) -> Any: ...

    def _shown(self) -> bool:
        raise NotImplementedError

    def _denied(self, message: str):
        if not self._shown():
            self.error = message
            return None
        return self._refuse({"form": message})

    def _fresh(self) -> None:
        """On load: no message of an earlier visit stays."""
        self.error, self.notice, self.errors, self.summary = "", "", {}, []

    def _refuse(self, errors: Mapping[str, str], anchors: Mapping[str, str] | None = None):
        """A change was refused: its errors next to their fields; the last success's notice goes."""
        self.notice = ""
        return self._fail(dict(errors), anchors)

    def _succeeded(self, notice: str) -> None:
        """A change was made (the screen shown afresh by the caller): say so and redraw the forms empty."""
        self.errors, self.summary, self.notice = {}, [], notice
        self.drawn += 1
