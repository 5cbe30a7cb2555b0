"""Answers: checking what someone entered (``check_answer``: the value to store, or the message
for the field), what a string or text answer may hold (``answer_limit``), and an answer as a
person reads it (``display_answer``).

Answers are a ``dict`` of linkId -> JSON value, as ``check_answer`` returns them: ``bool``
(boolean), option code ``str`` (choice), ``int`` (integer), ``str`` (string/text), ISO date
``str`` (date). Keys no item knows (e.g. a wizard's ``_red_flags_checked``) are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from anima_pwa.services.platform import clock, text_limits
from anima_pwa.services.questionnaires.model import Item
from anima_pwa.services.questionnaires.parsing import as_int
from anima_pwa.services.questionnaires.wording import Wording

TEXT_MAX_LENGTH = text_limits.QUESTION_ANSWER.limit
YES_WORDS = {"yes", "y", "true", "1", "on"}
NO_WORDS = {"no", "n", "false", "0", "off"}
_INTEGER_RE = re.compile(r"[+-]?[0-9]{1,9}")


def _required_message(item: Item) -> str:
    return {
        "boolean": "Select yes or no",
        "choice": "Select an answer",
        "integer": "Enter a number",
        "date": "Enter a date",
    }.get(item.type, "Enter your answer")


def _range_message(item: Item) -> str:
    if item.min is not None and item.max is not None:
        return f"Enter a number between {item.min} and {item.max}"
    if item.min is not None:
        return f"Enter a number that is {item.min} or more"
    return f"Enter a number that is {item.max} or less"


def _parse_date(raw: object) -> date | None:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, Mapping):  # the NHS date input: day, month, year boxes
        try:
            year, month, day = (int(str(raw.get(part, "")).strip()) for part in ("year", "month", "day"))
            return date(year, month, day)
        except ValueError:
            return None
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw.strip()) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw.strip()) else None
        except ValueError:
            return None
    return None


def _is_blank(raw: object) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, Mapping):
        return all(not str(v).strip() for v in raw.values())
    return False


def check_answer(item: Item, raw: object, *, today: date | None = None) -> tuple[Any, str | None]:
    """``(value, None)`` with the value to store, or ``(None, message)`` for the error summary and
    the field. Blank and not required: ``(None, None)``. A display page has nothing to answer."""
    if item.type == "display":
        return None, None
    if not item.answerable:
        return None, "This is not a question"
    if _is_blank(raw):
        return (None, _required_message(item)) if item.required else (None, None)

    if item.type == "boolean":
        if isinstance(raw, bool):
            return raw, None
        word = str(raw).strip().casefold()
        if word in YES_WORDS:
            return True, None
        if word in NO_WORDS:
            return False, None
        return None, "Select yes or no"

    if item.type == "choice":
        code = raw.get("code") if isinstance(raw, Mapping) else raw
        if isinstance(code, str) and item.option(code.strip()) is not None:
            return code.strip(), None
        return None, "Select one of the options"

    if item.type == "integer":
        if isinstance(raw, bool):
            return None, "Enter a whole number, like 3"
        if isinstance(raw, int):
            value = raw
        elif isinstance(raw, str) and _INTEGER_RE.fullmatch(raw.strip()):
            value = int(raw.strip())
        else:
            return None, "Enter a whole number, like 3"
        if (item.min is not None and value < item.min) or (item.max is not None and value > item.max):
            return None, _range_message(item)
        return value, None

    if item.type == "date":
        when = _parse_date(raw)
        if when is None:
            return None, "Enter a real date, for example 27 3 2024"
        today = today or clock.today()
        if not 1900 <= when.year <= today.year + 5:
            return None, "Enter a real date, with a 4-digit year, for example 27 3 2024"
        if item.not_future and when > today:
            return None, "The date must be today or in the past"
        if item.not_past and when < today:
            return None, "The date must be today or in the future"
        return when.isoformat(), None

    # string | text
    if not isinstance(raw, str):
        return None, "Enter your answer as text"
    text = raw.replace("\r\n", "\n").replace("\r", "\n").strip()
    if item.type == "string":
        text = " ".join(text.split())
    too_long = text_limits.check(text, answer_limit(item), text_limits.QUESTION_ANSWER.label)
    if too_long:
        return None, too_long
    return text, None


def answer_limit(item: Item) -> int:
    """How many characters a string or text answer may have: the item's maxLength, at most 2,000."""
    return min(item.max_length or TEXT_MAX_LENGTH, TEXT_MAX_LENGTH)


def display_answer(item: Item, value: object, wording: Wording | None = None) -> str:
    """An answer as a person reads it ("Yes", "1 to 3 weeks", "3 March 2024", "7 out of 10"),
    an option worded for the person it is about."""
    if value is None:
        return "Not answered"
    if item.type == "boolean":
        return "Yes" if value is True else "No" if value is False else str(value)
    if item.type == "choice":
        option = item.option(value)
        return option.display_for(wording) if option else str(value)
    if item.type == "date":
        when = _parse_date(value)
        return f"{when.day} {when:%B %Y}" if when else str(value)
    if item.type == "integer" and item.unit:
        return f"{value} {item.unit}"
    return str(value)


def answer_valid(item: Item, value: object) -> bool:
    if item.type == "boolean":
        return isinstance(value, bool)
    if item.type == "choice":
        return isinstance(value, str) and item.option(value) is not None
    if item.type == "integer":
        number = as_int(value)
        return (
            number is not None and (item.min is None or number >= item.min) and (item.max is None or number <= item.max)
        )
    if item.type == "date":
        return isinstance(value, str) and _parse_date(value) is not None
    return isinstance(value, str)
