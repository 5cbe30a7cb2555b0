"""Tables: a header row, then one row a record."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx


def table(headers: list[str], body: rx.Component, *, name: str) -> rx.Component:
    """A table with these column headers over ``body`` (an ``rx.el.tbody``), in a box that scrolls
    sideways on its own when the table is wider than the screen (a data table may, WCAG 1.4.10),
    so the page never does; the box takes the keyboard focus (to scroll it) and is named ``name``."""
    return rx.el.div(
        rx.el.table(
            rx.el.caption(name, class_name="visually-hidden"),
            rx.el.thead(rx.el.tr(*[rx.el.th(h, scope="col") for h in headers])),
            body,
            class_name="table",
        ),
        class_name="table-scroll",
        tab_index=0,
        role="region",
        aria_label=f"{name} (scrolls sideways on a small screen)",
    )


def text_table(rows: rx.Var, columns: list[tuple[str, str]], *, name: str) -> rx.Component:
    """A table of text: one row for each of ``rows`` (dicts), a column for each (header, key)."""
    return table(
        [header for header, _ in columns],
        rx.el.tbody(rx.foreach(rows, _text_row([key for _, key in columns]))),
        name=name,
    )


def _text_row(keys: list[str]) -> Callable[[rx.Var], rx.Component]:
    return lambda row: rx.el.tr(*[rx.el.td(row[key]) for key in keys])
