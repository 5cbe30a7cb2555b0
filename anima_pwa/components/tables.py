"""Tables: a header row, then one row a record."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx


def table(headers: list[str], body: rx.Component) -> rx.Component:
    """A table with these column headers over ``body`` (an ``rx.el.tbody``)."""
    return rx.el.table(
        rx.el.thead(rx.el.tr(*[rx.el.th(h, scope="col") for h in headers])),
        body,
        class_name="table",
    )


def text_table(rows: rx.Var, columns: list[tuple[str, str]]) -> rx.Component:
    """A table of text: one row for each of ``rows`` (dicts), a column for each (header, key)."""
    return table(
        [header for header, _ in columns],
        rx.el.tbody(rx.foreach(rows, _text_row([key for _, key in columns]))),
    )


def _text_row(keys: list[str]) -> Callable[[rx.Var], rx.Component]:
    return lambda row: rx.el.tr(*[rx.el.td(row[key]) for key in keys])
