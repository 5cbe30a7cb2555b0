"""Who the questions are about (``Wording``): ``self`` (the account holder), ``child`` (under 16 by
the UK date) or ``other-adult`` (anyone else the account holds, care-home residents included; and
every adult on a phone request, which a receptionist reads out). The answers keep their linkIds
whatever the wording; ``questionnaire_response`` records which wording was shown.

``Wording.say`` puts a text as it is asked about that person (its ``subject-wording`` for them,
``{name}`` their first name: ``first_name``); ``wording_code`` says which wording a request
needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Who the questions are about, and so how they are worded.
WORDINGS = ("self", "child", "other-adult")
NAME_PLACEHOLDER = "{name}"
GENERIC_NAMES = {"child": "your child", "other-adult": "this person"}  # when no first name is known
WORDINGS_NEEDED = {"any": ("child", "other-adult"), "adult": ("other-adult",), "child": ("child",)}


@dataclass(frozen=True)
class Wording:
    """Who the questions are about: ``code`` is ``self``, ``child`` or ``other-adult``, and
    ``name`` the first name put where a wording says ``{name}``."""

    code: str = "self"
    name: str = ""

    def say(self, text: str, wordings: Mapping[str, str]) -> str:
        """``text`` (the account holder's own wording) as it is asked about this person."""
        if self.code == "self" or self.code not in WORDINGS:
            return text
        template = wordings.get(self.code) or text
        name = self.name.strip() or GENERIC_NAMES[self.code]
        said = template.replace(NAME_PLACEHOLDER, name)
        return said[:1].upper() + said[1:] if template.startswith(NAME_PLACEHOLDER) else said


SELF = Wording()


def wording_code(*, is_self: bool, is_child: bool) -> str:
    """The wording for a request: the account holder's own (``self``), a child under 16
    (``child``), or another adult (``other-adult``): a relative, a care-home resident, or anyone
    a receptionist asks about on the phone. A holder answers for themself even if young."""
    if is_self:
        return "self"
    return "child" if is_child else "other-adult"


def first_name(full_name: str, preferred_name: str = "") -> str:
    """The name the questions use: the preferred name if there is one, else the first given name."""
    chosen = (preferred_name or "").strip() or (full_name or "").strip()
    return chosen.split()[0] if chosen.split() else ""
