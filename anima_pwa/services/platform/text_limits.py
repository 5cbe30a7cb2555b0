"""How long free text may be, and the one check every free-text field uses. Nothing is cut.

A person who types or pastes more than a field allows is told so next to the field ("Anything else
must be 2,000 characters or fewer. You have 18,000 characters too many.") and keeps what they
typed to shorten it: no function here or in a service shortens text. The screens show each
field's limit and a live count under it (the NHS design system's character count), using the
same ``count`` rule as the check, so the count and the refusal agree.

``received()`` is the one way a screen's state takes text from the browser. It keeps up to
``TRANSPORT_CAP`` characters, 50 times the longest field limit: text that long is refused by
its field's check anyway. Free-text controls carry ``maxlength`` = ``TRANSPORT_CAP`` for the same
reason (so a runaway paste of megabytes can't exceed the websocket's 1 MB message limit and drop
the connection); above it the browser stops taking characters, and the count still says how far
over the field's own limit the text is.

Counting: characters as a person sees them (Unicode code points after NFC, so "é" typed either
way counts once), line breaks as one (a browser may send CRLF), leading and trailing spaces not
counted (they are not kept).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

__all__ = [
    "LIMITS",
    "TRANSPORT_CAP",
    "FieldLimit",
    "check",
    "count",
    "count_message",
    "normalise",
    "received",
    "too_long",
    "typed",
]

TRANSPORT_CAP = 100_000


@dataclass(frozen=True)
class FieldLimit:
    """A free-text field: its name on the screen (``label``, as it starts a sentence) and how many
    characters it takes."""

    key: str
    label: str
    limit: int


# Every free-text field's limit, in one table (tests go through all of them). Wizard questions
# take each item's own maxLength, at most QUESTION_ANSWER.limit.
QUESTION_ANSWER = FieldLimit("question_answer", "Your answer", 2000)
ANYTHING_ELSE = FieldLimit("anything_else", "Anything else", 2000)
TURNED_OFF_MESSAGE = FieldLimit(
    "turned_off_message", "The message patients will see while online requests are turned off", 500
)
CLOSED_DAY_REASON = FieldLimit("closed_day_reason", "The reason", 200)
IMPORTANT_UPDATES = FieldLimit("important_updates", "Important updates", 1000)
CORE_HOURS_WHY = FieldLimit("core_hours_why", "Your reason", 500)
REJECTION_REASON = FieldLimit("rejection_reason", "A reason the patient will see", 300)
# The request thread: a message from the practice, or the patient's reply.
MESSAGE = FieldLimit("message", "Your message", 2000)
# Sign-off: the outcome's free-text details (each field has its own label in inbox.outcomes).
OUTCOME_TEXT = FieldLimit("outcome_text", "This", 1000)
OUTCOME_SHORT = FieldLimit("outcome_short", "This", 200)

LIMITS: tuple[FieldLimit, ...] = (
    QUESTION_ANSWER,
    ANYTHING_ELSE,
    TURNED_OFF_MESSAGE,
    CLOSED_DAY_REASON,
    IMPORTANT_UPDATES,
    CORE_HOURS_WHY,
    REJECTION_REASON,
    MESSAGE,
    OUTCOME_TEXT,
    OUTCOME_SHORT,
)
assert all(field.limit * 50 <= TRANSPORT_CAP for field in LIMITS)


def received(value: object) -> str:
    """Client data for a text var: a string, exactly as typed, up to ``TRANSPORT_CAP`` characters
    (see the module docstring: anything that long is refused by its field's check)."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return text[:TRANSPORT_CAP]


def normalise(text: str | None) -> str:
    """What is kept: NFC, line breaks as "\\n", no spaces at either end."""
    text = unicodedata.normalize("NFC", text or "")
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def typed(value: object) -> str:
    """A free-text field as a form sent it, as it is kept (`received`, then `normalise`); "" for
    anything that isn't text (a browser can send any value)."""
    return normalise(received(value)) if isinstance(value, str) else ""


def count(text: str | None) -> int:
    """Characters as the field's count shows them (and as the limit is checked)."""
    return len(normalise(text))


def _characters(number: int) -> str:
    return f"{number:,} character" + ("" if number == 1 else "s")


def count_message(text: str | None, limit: int) -> str:
    """The NHS character count's words: "You have 12 characters remaining" / "You have 20
    characters too many"."""
    left = limit - count(text)
    if left >= 0:
        return f"You have {_characters(left)} remaining"
    return f"You have {_characters(-left)} too many"


def too_long(label: str, limit: int, length: int) -> str:
    return f"{label} must be {limit:,} characters or fewer. You have {_characters(length - limit)} too many."


def check(text: str | None, limit: int, label: str) -> str | None:
    """None when ``text`` fits in ``limit`` characters, else the message to show beside the field."""
    length = count(text)
    return too_long(label, limit, length) if length > limit else None
