"""Form pieces in the NHS design system's pattern: label, hint, error next to the field, summary.

Every field gets an id that the error summary links to, `aria-describedby` pointing at its hint
and error, and `aria-invalid` when it has an error. Errors come from a State's `errors` dict
(field name -> message), so one mechanism serves every form.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from anima_pwa.services.platform.text_limits import TRANSPORT_CAP
from anima_pwa.state.base import SessionState


def _describedby(name: str, hint: str | None, errors: rx.Var, *, counted: bool = False) -> rx.Var | str:
    hint_id = f"{name}-hint" if hint else ""
    if counted:
        hint_id = f"{hint_id} {name}-count-limit {name}-count".strip()
    return rx.cond(errors.contains(name), f"{hint_id} {name}-error".strip(), hint_id)


def character_count(field_id: str, limit: int | rx.Var, limit_text: str | rx.Var | None = None) -> rx.Component:
    """The NHS design system's character count, under a free-text field whose control carries
    ``counted(field_id, limit)``: "You can enter up to 2,000 characters" as served; with
    /character-count.js, "You have 12 characters remaining" / "You have 20 characters too many"
    as the person types (the same count as ``services.platform.text_limits``), announced politely once they
    pause. Over-long text is never cut: the service refuses it with a message beside the field."""
    if limit_text is None:
        limit_text = f"{limit:,}" if isinstance(limit, int) else limit
    return rx.el.div(
        # Filled in by /character-count.js (empty without it, and then hidden by the stylesheet).
        rx.el.div(id=f"{field_id}-count", class_name="hint character-count__message character-count__status"),
        rx.el.div(
            "You can enter up to ",
            limit_text,
            " characters",
            id=f"{field_id}-count-limit",
            class_name="hint character-count__message character-count__limit",
        ),
        rx.el.div(id=f"{field_id}-count-live", class_name="visually-hidden", aria_live="polite"),
        class_name="character-count__info",
    )


def counted(field_id: str, limit: int | rx.Var) -> dict[str, Any]:
    """Props for a free-text control with a character count. ``maxlength`` is the transport cap
    (50 times any field's limit), never the field's limit: browsers cut pastes at maxlength
    without a word."""
    return {"max_length": TRANSPORT_CAP, "custom_attrs": {"data-character-limit": limit}}


def error_message(name: str, errors: rx.Var) -> rx.Component:
    return rx.cond(
        errors.contains(name),
        rx.el.p(
            rx.el.span("Error: ", class_name="visually-hidden"),
            errors[name],
            id=f"{name}-error",
            class_name="error-message",
        ),
    )


def field_wrapper(name: str, errors: rx.Var, *children: rx.Component) -> rx.Component:
    return rx.el.div(
        *children,
        class_name=rx.cond(errors.contains(name), "form-group form-group--error", "form-group"),
    )


def text_field(
    name: str,
    label: str,
    errors: rx.Var,
    *,
    value: rx.Var | None = None,
    on_change: Any = None,
    hint: str | None = None,
    input_type: str = "text",
    autocomplete: str = "off",
    width: str = "",
    input_mode: str | None = None,
    max_length: int | None = None,
    limit: int | None = None,
    default_value: Any = None,
    spellcheck: bool = False,
    extra: rx.Component | None = None,
) -> rx.Component:
    """A labelled input. Controlled (value + on_change, debounced) or, for secrets, uncontrolled.

    ``limit``: a free-text field (a message, a reason) with a character count under it. Its length
    is checked by the service, never cut. ``max_length`` only for fixed-format fields (a code, a
    postcode), where the browser may stop extra characters."""
    props: dict[str, Any] = {
        "id": name,
        "name": name,
        "type": input_type,
        "auto_complete": autocomplete,
        "max_length": max_length or TRANSPORT_CAP,
        "spell_check": spellcheck,
        "aria_describedby": _describedby(name, hint, errors, counted=limit is not None),
        "aria_invalid": rx.cond(errors.contains(name), "true", "false"),
        "class_name": rx.cond(errors.contains(name), f"input input--error {width}".strip(), f"input {width}".strip()),
    }
    if input_mode:
        props["input_mode"] = input_mode
    if limit is not None:
        props.update(counted(name, limit))
    if value is not None:
        control = rx.debounce_input(rx.el.input(value=value, on_change=on_change, **props), debounce_timeout=250)
    else:
        if default_value is not None:
            props["default_value"] = default_value
        control = rx.el.input(**props)
    return field_wrapper(
        name,
        errors,
        rx.el.label(label, html_for=name, class_name="label"),
        rx.el.div(hint, id=f"{name}-hint", class_name="hint") if hint else rx.fragment(),
        error_message(name, errors),
        control,
        character_count(name, limit) if limit is not None else rx.fragment(),
        extra or rx.fragment(),
    )


def text_area_field(
    name: str,
    label: str,
    errors: rx.Var,
    *,
    limit: int,
    hint: str | None = None,
    value: rx.Var | None = None,
    on_change: Any = None,
    default_value: Any = None,
    rows: int = 5,
    read_only: Any = False,
    label_class: str = "label",
) -> rx.Component:
    """A labelled textarea with a character count: controlled (value + on_change, debounced) or
    uncontrolled in a form (``default_value``; the form's submit handler reads it)."""
    props: dict[str, Any] = {
        "id": name,
        "name": name,
        "rows": rows,
        "read_only": read_only,
        "aria_describedby": _describedby(name, hint, errors, counted=True),
        "aria_invalid": rx.cond(errors.contains(name), "true", "false"),
        "class_name": rx.cond(errors.contains(name), "input input--error textarea", "input textarea"),
        **counted(name, limit),
    }
    if value is not None:
        control = rx.debounce_input(rx.el.textarea(value=value, on_change=on_change, **props), debounce_timeout=250)
    else:
        control = rx.el.textarea(default_value=default_value if default_value is not None else "", **props)
    return field_wrapper(
        name,
        errors,
        rx.el.label(label, html_for=name, class_name=label_class),
        rx.el.div(hint, id=f"{name}-hint", class_name="hint") if hint else rx.fragment(),
        error_message(name, errors),
        control,
        character_count(name, limit),
    )


def email_field(errors: rx.Var, **kwargs: Any) -> rx.Component:
    """ "Email address", as every sign-in and sign-up form asks for it."""
    kwargs.setdefault("autocomplete", "email")
    return text_field("email", "Email address", errors, input_type="email", **kwargs)


def password_field(
    name: str, label: str, errors: rx.Var, *, hint: str | None = None, autocomplete: str = "current-password"
) -> rx.Component:
    """An uncontrolled password input (what is typed never enters server state) with Show/Hide."""
    return text_field(
        name,
        label,
        errors,
        hint=hint,
        input_type="password",
        autocomplete=autocomplete,
        max_length=256,
        extra=rx.el.button(
            "Show password",
            type="button",
            class_name="link-button show-password",
            aria_controls=name,
            # Toggled in the browser only (assets/anima.js): the password never goes to the server.
        ),
    )


def checkbox_field(
    name: str, label: rx.Component | str, errors: rx.Var, *, checked: rx.Var | None = None, on_change: Any = None
) -> rx.Component:
    """A checkbox with its error. With ``checked`` and ``on_change`` it shows and saves what the
    server keeps; without them it is a plain control of an uncontrolled form, read on submit."""
    kept: dict[str, Any] = {}
    if checked is not None:
        # Uncontrolled, so a tick shows at once; remounted when the tab's state arrives
        # (after a reload) so it shows what the server kept.
        kept = {
            "default_checked": checked,
            "key": rx.cond(rx.State.is_hydrated, f"{name}-ready", f"{name}-loading"),
            "on_change": on_change,
        }
    return field_wrapper(
        name,
        errors,
        error_message(name, errors),
        rx.el.div(
            rx.el.input(
                type="checkbox",
                id=name,
                name=name,
                **kept,
                class_name="checkbox-input",
                aria_describedby=rx.cond(errors.contains(name), f"{name}-error", ""),
                aria_invalid=rx.cond(errors.contains(name), "true", "false"),
            ),
            rx.el.label(label, html_for=name, class_name="checkbox-label"),
            class_name="checkbox",
        ),
    )


def select_field(
    name: str,
    label: str,
    errors: rx.Var,
    choices: rx.Var | None = None,
    *,
    blank: str,
    options: rx.Component | None = None,
    hint: str | None = None,
    default: Any = None,
) -> rx.Component:
    """A labelled select in an uncontrolled form (read on submit), its error beside it. The first
    option is ``blank`` (value ""); then ``choices`` (a list of {"value", "label"}) or ``options``
    (the option elements, for other shapes). ``default``: the value chosen when it is drawn."""
    props: dict[str, Any] = {} if default is None else {"default_value": default}
    return field_wrapper(
        name,
        errors,
        rx.el.label(label, html_for=name, class_name="label"),
        rx.el.div(hint, id=f"{name}-hint", class_name="hint") if hint else rx.fragment(),
        error_message(name, errors),
        rx.el.select(
            rx.el.option(blank, value=""),
            options
            if options is not None
            else rx.foreach(choices, lambda c: rx.el.option(c["label"], value=c["value"])),
            id=name,
            name=name,
            **props,
            class_name=rx.cond(errors.contains(name), "input input--error select", "input select"),
            aria_invalid=rx.cond(errors.contains(name), "true", "false"),
            aria_describedby=_describedby(name, hint, errors),
        ),
    )


def date_field(
    name: str, legend: str, errors: rx.Var, *, values: rx.Var, on_change_part: Any, hint: str | None = None
) -> rx.Component:
    """The NHS three-box date input (Day, Month, Year). `on_change_part(part, value)` stores a box."""

    def part(suffix: str, label: str, width: str, max_length: int) -> rx.Component:
        field_id = f"{name}_{suffix}"
        return rx.el.div(
            rx.el.label(label, html_for=field_id, class_name="label date-label"),
            rx.debounce_input(
                rx.el.input(
                    id=field_id,
                    name=field_id,
                    type="text",
                    input_mode="numeric",
                    auto_complete=f"bday-{suffix}" if suffix in ("day", "month", "year") else "off",
                    max_length=max_length,
                    value=values[field_id],
                    on_change=lambda v: on_change_part(field_id, v),
                    class_name=rx.cond(errors.contains(name), f"input input--error {width}", f"input {width}"),
                    aria_invalid=rx.cond(errors.contains(name), "true", "false"),
                    aria_describedby=_describedby(name, hint, errors),
                ),
                debounce_timeout=250,
            ),
            class_name="date-item",
        )

    return field_wrapper(
        name,
        errors,
        rx.el.fieldset(
            rx.el.legend(legend, class_name="legend"),
            rx.el.div(hint, id=f"{name}-hint", class_name="hint") if hint else rx.fragment(),
            error_message(name, errors),
            rx.el.div(
                part("day", "Day", "width-2", 2),
                part("month", "Month", "width-2", 2),
                part("year", "Year", "width-4", 4),
                class_name="date-input",
                id=name,
            ),
            role="group",
            aria_describedby=_describedby(name, hint, errors),
        ),
    )


def error_summary(summary: rx.Var) -> rx.Component:
    """The box at the top of a form listing every error, each linking to its field.

    `summary` is a list of [field_id, message] pairs; focus moves here after a failed submit.
    """
    return rx.cond(
        summary.length() > 0,
        rx.el.div(
            rx.el.h2("There is a problem", class_name="error-summary__title", id="error-summary-title"),
            rx.el.ul(
                rx.foreach(
                    summary,
                    lambda item: rx.el.li(rx.el.a(item[1], href="#" + item[0].to(str))),
                ),
                class_name="error-summary__list",
            ),
            class_name="error-summary",
            role="alert",
            aria_labelledby="error-summary-title",
            tab_index=-1,
            id="error-summary",
            # A new number after each failed submit: assets/anima.js moves focus here.
            custom_attrs={"data-attempt": SessionState.attempt},
        ),
    )


def form_error(errors: rx.Var, key: str = "form") -> rx.Component:
    """An error about the whole form (wrong password, too many attempts)."""
    return rx.cond(
        errors.contains(key),
        rx.el.div(
            rx.el.h2("There is a problem", class_name="error-summary__title"),
            rx.el.p(errors[key], id=f"{key}-error"),
            class_name="error-summary",
            role="alert",
            tab_index=-1,
            id="error-summary",
            # A new number after each failed submit: assets/anima.js moves focus here.
            custom_attrs={"data-attempt": SessionState.attempt},
        ),
    )


def primary_button(text: str | rx.Var, *, extra_class: str = "", **props: Any) -> rx.Component:
    props.setdefault("type", "submit")
    return rx.el.button(text, class_name=f"button {extra_class}".strip(), **props)


def secondary_button(text: str | rx.Var, **props: Any) -> rx.Component:
    props.setdefault("type", "button")
    return rx.el.button(text, class_name="button button--secondary", **props)


def link_button(text: str | rx.Var, **props: Any) -> rx.Component:
    """A button that looks like a link (an action on a row, "Choose another day")."""
    return rx.el.button(text, type="button", class_name="link-button", **props)


def code_field(
    errors: rx.Var, *, label: str = "6-digit code", hint: str | None = None, max_length: int = 10
) -> rx.Component:
    """The box for a one-time code (from an authenticator app or an email): numeric keyboard,
    the browser may fill it from the message or app."""
    return text_field(
        "code",
        label,
        errors,
        hint=hint,
        autocomplete="one-time-code",
        input_mode="numeric",
        max_length=max_length,
        width="width-10",
    )
