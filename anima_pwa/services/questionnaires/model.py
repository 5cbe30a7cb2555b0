"""Request topics: one FHIR R4 ``Questionnaire`` per topic, with its Anima rules beside it.

Each topic is two files in ``anima_pwa/questionnaires/`` (the format, with an example, is in that
folder's README.md):

- ``<id>.json``: a plain FHIR R4 Questionnaire that the ``fhir.resources`` R4B model accepts
  (``validate`` checks it with that library). Everything Anima needs on an item is a FHIR
  ``extension``: the SDC/core ``minValue``, ``maxValue`` and ``questionnaire-unit``; a hint is a
  nested ``display`` item with the ``questionnaire-displayCategory`` ``instructions``; a date that
  must not be in the future (or past) has Anima's ``date-limit`` extension; and every item has
  Anima's ``subject-wording`` extension: the same question worded for a child under 16
  (``child``) and for another adult the account holds (``other-adult``: an elderly relative, a
  care-home resident), with ``{name}`` where the person's first name goes. ``text`` is the wording
  for the account holder themself.
- ``<id>.rules.json``: what is not FHIR: kind, audience, search keywords, the red flags asked
  before the questions (written like FHIR boolean items: ``linkId``, ``text``, the same
  ``subject-wording`` extension, plus ``advice`` 999/111), triage rules and scoring.

Supported FHIR item elements: ``linkId``, ``text``, ``type`` (boolean | choice | integer | string |
text | date | display | group), ``required``, ``maxLength`` (string/text; never above 2000),
``answerOption`` (``[{"valueCoding": {"code", "display", "system"?, "extension"?}, "extension"?}]``;
the R4 ``ordinalValue`` extension on the coding gives a scored option its value; an option whose
display speaks of "you", "I" or "my" carries its own ``subject-wording``), ``enableWhen``
(``question``, ``operator`` = != > >= < <= exists, and ``answerBoolean`` | ``answerCoding`` |
``answerInteger`` | ``answerDate`` | ``answerString``) with ``enableBehavior`` (all | any; required
when there is more than one condition), and ``item`` inside a ``group`` (how ``enableWhen`` is
followed: ``flow``).

The rules file::

    {
      "kind": "medical" | "admin",
      "audience": "adult" | "child" | "any",      # child: for someone under 16
      "keywords": ["water infection", "uti", ...],  # synonyms for search (the title counts too)
      "freeText": false,                          # true: the "something else" topic, not listed
      "sharedRedFlags": true,                     # default: true for medical, false for admin
      "redFlags": [                               # asked FIRST (after the shared ones), yes/no
        {"linkId": "rf-...", "text": "...", "extension": [<subject-wording>],
         "advice": "999" | "111" | "crisis",      # 999/111 end the request; crisis goes on, urgent
         "also"?: ["crisis"],                     # further advice shown with it
         "audience"?: "any" | "adult" | "child",
         "minAgeMonths"?: 120, "maxAgeMonths"?: 24,  # asked only at these ages
         "message"?: "what to do, in plain English",
         "_message"?: {"extension": [<subject-wording>]}}  # the message about someone else
      ],
      "safetyNet"?: {"text": "...", "extension": [<subject-wording>]},  # shown after sending
      "triage": {
        "subject": "Urinary symptoms: {duration}", # {linkId} | {scoreId} | {free_text}
        "default": {"urgency": "...", "team": "...", "reason"?: "..."},
        "rules": [                                # the first rule whose conditions all hold wins
          {"when": [{"linkId": "fever", "answer": true},
                    {"linkId": "pain-score", "atLeast": 8},
                    {"linkId": "where", "answer": ["breast", "testicle"]},  # any of
                    {"score": "phq9", "atLeast": 20},
                    {"ageUnderMonths": 12}, {"ageAtLeastYears": 65}],  # the person's age
           "urgency": "urgent_today", "team": "gp", "reason": "shown to staff"}
        ]
      },
      "scoring": [
        {"id": "phq9", "name": "PHQ-9", "items": ["phq9-1", ...],
         "bands": [{"min": 0, "max": 4, "label": "minimal"}, ...],
         "redFlags": [{"linkId": "phq9-9", "unlessAnswer": ["0"], "advice": "crisis"}]}
                                               # an answer, not a screening question, raises it
      ]
    }

``_red_flags.json`` holds the emergency questions asked before every medical topic
(``"general"``, each with the ``"group"`` of its page) and the extra ones for a child under 16
(``"child"``), in the same shape as a topic's red flags, the order of the emergency screen's
pages (``"groupOrder"``; a child's own questions first for a child, a topic's own after the
shared ones) and the ``"intro"`` shown above them when the request is for someone else. The
screen shows at most ``MAX_FLAGS_PER_PAGE`` to a page (``red_flag_pages``); ``advice_list``
gives every advice the flags answered yes call for, most urgent first.

Who the questions are about (``Wording``): ``self`` (the account holder), ``child`` (under 16 by
the UK date) or ``other-adult`` (anyone else the account holds, care-home residents included; and
every adult on a phone request, which a receptionist reads out). The answers keep their linkIds
whatever the wording; ``questionnaire_response`` records which wording was shown.

No Reflex here: the rules are plain Python, tested in milliseconds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

QUESTIONNAIRE_DIR = Path(__file__).resolve().parents[2] / "questionnaires"
SHARED_RED_FLAGS_FILE = "_red_flags.json"
CHILD_GROUP = "child"  # the page group of the shared child questions
TOPIC_GROUP = "topic"  # the page group of a topic's own red flags
RULES_SUFFIX = ".rules.json"  # cough-and-cold.json has its rules in cough-and-cold.rules.json

# Extensions. Standard FHIR R4 core / SDC ones where they exist, Anima's own otherwise.
ANIMA_FHIR_BASE = "https://fhir.anima-pwa.example"
SUBJECT_WORDING_URL = f"{ANIMA_FHIR_BASE}/StructureDefinition/subject-wording"
WORDING_SHOWN_URL = f"{ANIMA_FHIR_BASE}/StructureDefinition/subject-wording-shown"
DATE_LIMIT_URL = f"{ANIMA_FHIR_BASE}/StructureDefinition/date-limit"  # valueCode not-future | not-past
ORDINAL_VALUE_URL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
MIN_VALUE_URL = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE_URL = "http://hl7.org/fhir/StructureDefinition/maxValue"
UNIT_URL = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
DISPLAY_CATEGORY_URL = "http://hl7.org/fhir/StructureDefinition/questionnaire-displayCategory"
DISPLAY_CATEGORY_SYSTEM = "http://hl7.org/fhir/questionnaire-display-category"
ITEM_EXTENSIONS = (SUBJECT_WORDING_URL, DATE_LIMIT_URL, MIN_VALUE_URL, MAX_VALUE_URL, UNIT_URL)
DATE_LIMITS = ("not-future", "not-past")

# Who the questions are about, and so how they are worded.
WORDINGS = ("self", "child", "other-adult")
NAME_PLACEHOLDER = "{name}"
GENERIC_NAMES = {"child": "your child", "other-adult": "this person"}  # when no first name is known
WORDINGS_NEEDED = {"any": ("child", "other-adult"), "adult": ("other-adult",), "child": ("child",)}
KINDS = ("medical", "admin")
AUDIENCES = ("adult", "child", "any")
ITEM_TYPES = ("boolean", "choice", "integer", "string", "text", "date", "display", "group")
ANSWERABLE_TYPES = ("boolean", "choice", "integer", "string", "text", "date")
# What a red flag tells the person, most urgent first. 999 and 111 end the request (nothing is sent
# to the practice); "crisis" shows the mental health crisis lines and lets the request go on, marked
# urgent for staff (NICE NG225: show where to get help now, and still get the person seen).
ADVICE_CODES = ("999", "111", "crisis")
ENDING_ADVICE = ("999", "111")
CHILD_UNDER_MONTHS = 16 * 12  # a child is under 16 (by the UK date)
NO_AGE_LIMIT = 150 * 12
OPERATORS = ("=", "!=", ">", ">=", "<", "<=", "exists")
# Most urgent first: a queue can sort on URGENCIES.index(urgency).
URGENCIES = ("emergency_signposted", "urgent_today", "within_two_days", "routine")
RULE_URGENCIES = URGENCIES[1:]  # emergency_signposted comes only from a red flag
URGENCY_LABELS = {
    "emergency_signposted": "Emergency: signposted to 999 or 111",
    "urgent_today": "Urgent: today",
    "within_two_days": "Within 2 days",
    "routine": "Routine",
}
TEAMS = {
    "reception": "Reception and admin",
    "gp": "GP",
    "medicines_team": "Medicines team (pharmacists)",
    "physiotherapy": "Physiotherapy",
    "mental_health": "Mental health",
    "nurse": "Practice nurse",
}
ID_RE = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_ANSWER_KEYS = ("answerBoolean", "answerCoding", "answerInteger", "answerDate", "answerString")


class QuestionnaireError(ValueError):
    """A topic file is broken; ``problems`` lists what ``validate`` found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("Broken questionnaire files:\n  " + "\n  ".join(problems))
        self.problems = problems


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


@dataclass(frozen=True)
class Option:
    code: str
    display: str
    system: str = ""
    ordinal: int | None = None  # the R4 ordinalValue extension: a scored option's value
    wordings: Mapping[str, str] = field(default_factory=dict)  # the subject-wording extension

    def display_for(self, wording: Wording | None) -> str:
        return (wording or SELF).say(self.display, self.wordings)


@dataclass(frozen=True)
class Condition:
    """One FHIR ``enableWhen``."""

    question: str
    operator: str
    answer: Any  # bool | code str | int | ISO date str | str; for "exists": bool
    answer_key: str = ""  # which answer[x] it was given as


@dataclass(frozen=True, eq=False)
class Item:
    link_id: str
    text: str
    type: str
    required: bool = False
    options: tuple[Option, ...] = ()
    enable_when: tuple[Condition, ...] = ()
    enable_behavior: str = "all"
    hint: str = ""
    min: int | None = None
    max: int | None = None
    max_length: int | None = None
    unit: str = ""
    not_future: bool = False
    not_past: bool = False
    parent: str | None = None  # the linkId of the group it is in
    children: tuple[Item, ...] = ()
    wordings: Mapping[str, str] = field(default_factory=dict)  # the subject-wording extension
    hint_id: str = ""  # the linkId of the nested display item that holds the hint
    hint_wordings: Mapping[str, str] = field(default_factory=dict)
    date_limit: str = ""  # not-future | not-past ("" none; anything else: validate says so)
    unknown_extensions: tuple[str, ...] = ()  # extension urls this loader does not know

    @property
    def answerable(self) -> bool:
        return self.type in ANSWERABLE_TYPES

    def text_for(self, wording: Wording | None) -> str:
        return (wording or SELF).say(self.text, self.wordings)

    def hint_for(self, wording: Wording | None) -> str:
        return (wording or SELF).say(self.hint, self.hint_wordings) if self.hint else ""

    def option(self, code: object) -> Option | None:
        return next((o for o in self.options if o.code == code), None)


@dataclass(frozen=True)
class RedFlag:
    """A yes/no emergency question asked before the topic's questions."""

    link_id: str
    text: str
    advice: str  # "999" | "111" | "crisis"
    message: str = ""
    audience: str = "any"  # any | adult | child
    source: str = "shared"  # "shared" or the topic id
    wordings: Mapping[str, str] = field(default_factory=dict)  # the subject-wording extension
    group: str = ""  # the emergency screen's page group (shared flags); "topic" for a topic's own
    min_age_months: int | None = None  # asked only from this age (in whole months) ...
    max_age_months: int | None = None  # ... and only under this one
    also: tuple[str, ...] = ()  # further advice shown with it ("crisis" for thoughts of suicide)
    message_wordings: Mapping[str, str] = field(default_factory=dict)  # the message's subject-wording

    def text_for(self, wording: Wording | None) -> str:
        return (wording or SELF).say(self.text, self.wordings)

    def message_for(self, wording: Wording | None) -> str:
        return (wording or SELF).say(self.message, self.message_wordings) if self.message else ""

    def asked_at(self, age_months: int | None) -> bool:
        """Whether this flag is asked of someone this old (None: age unknown, asked)."""
        if age_months is None:
            return True
        low = self.min_age_months if self.min_age_months is not None else 0
        high = self.max_age_months if self.max_age_months is not None else NO_AGE_LIMIT
        return low <= age_months < high

    def age_window(self) -> tuple[int, int]:
        """[from, under) in months, after its audience: a child flag is for under-16s only."""
        low = self.min_age_months if self.min_age_months is not None else 0
        high = self.max_age_months if self.max_age_months is not None else NO_AGE_LIMIT
        if self.audience == "child":
            high = min(high, CHILD_UNDER_MONTHS)
        elif self.audience == "adult":
            low = max(low, CHILD_UNDER_MONTHS)
        return low, high


@dataclass(frozen=True)
class AnswerRedFlag:
    """An answer to one of the topic's own questions that is a red flag (PHQ-9 item 9)."""

    link_id: str
    text: str
    advice: str
    message: str = ""
    unless_answer: tuple[Any, ...] = ()
    source: str = ""

    wordings: Mapping[str, str] = field(default_factory=dict)

    also: tuple[str, ...] = ()
    message_wordings: Mapping[str, str] = field(default_factory=dict)

    def triggered_by(self, value: object) -> bool:
        return value is not None and value not in self.unless_answer

    def text_for(self, wording: Wording | None) -> str:
        return (wording or SELF).say(self.text, self.wordings)

    def message_for(self, wording: Wording | None) -> str:
        return (wording or SELF).say(self.message, self.message_wordings) if self.message else ""


@dataclass(frozen=True)
class RuleCondition:
    link_id: str = ""
    score: str = ""
    answer: tuple[Any, ...] | None = None  # any of these
    at_least: int | None = None
    at_most: int | None = None
    age_under_months: int | None = None  # the person is younger than this (whole months)
    age_at_least_months: int | None = None  # ... or at least this old

    @property
    def about_age(self) -> bool:
        return self.age_under_months is not None or self.age_at_least_months is not None


@dataclass(frozen=True)
class Rule:
    when: tuple[RuleCondition, ...]
    urgency: str
    team: str
    reason: str = ""


@dataclass(frozen=True)
class ScoreSpec:
    id: str
    name: str
    items: tuple[str, ...]
    bands: tuple[tuple[int, int, str], ...]
    red_flags: tuple[AnswerRedFlag, ...] = ()


@dataclass(frozen=True, eq=False)
class Topic:
    id: str
    title: str
    kind: str
    keywords: tuple[str, ...]
    audience: str
    questions: tuple[Item, ...]  # the pages, in order (groups flattened away)
    red_flags: tuple[RedFlag, ...]  # shared (general and child) then the topic's own
    url: str = ""
    version: str = ""
    name: str = ""
    description: str = ""
    free_text: bool = False
    items: tuple[Item, ...] = ()  # the top-level FHIR items (groups keep their children)
    nodes: tuple[Item, ...] = ()  # every item and group, in document order
    answer_red_flags: tuple[AnswerRedFlag, ...] = ()
    subject_template: str = ""
    default_urgency: str = ""
    default_team: str = ""
    default_reason: str = ""
    rules: tuple[Rule, ...] = ()
    scoring: tuple[ScoreSpec, ...] = ()
    resource: Mapping[str, Any] = field(default_factory=dict, repr=False)  # the FHIR Questionnaire
    rules_data: Mapping[str, Any] = field(default_factory=dict, repr=False)  # <id>.rules.json
    path: str = ""
    flag_groups: tuple[str, ...] = ()  # the emergency screen's group order (_red_flags.json groupOrder)
    safety_net: str = ""  # shown once the request is sent (what to watch for, and when to call)
    safety_net_wordings: Mapping[str, str] = field(default_factory=dict)
    _by_id: Mapping[str, Item] = field(default_factory=dict, repr=False)

    def item(self, link_id: str) -> Item | None:
        return self._by_id.get(link_id)


@dataclass(frozen=True)
class TopicMatch:
    topic: Topic
    score: float
    matched: str  # the title or keyword that matched best


def as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _condition_from(raw: object) -> Condition:
    raw = raw if isinstance(raw, Mapping) else {}
    answer: Any = None
    key = ""
    for candidate in _ANSWER_KEYS:
        if candidate in raw:
            key, answer = candidate, raw[candidate]
            break
    if key == "answerCoding":
        answer = answer.get("code") if isinstance(answer, Mapping) else None
    return Condition(str(raw.get("question", "")), str(raw.get("operator", "")), answer, key)


def _extensions(raw: object) -> list[Mapping[str, Any]]:
    return [e for e in as_list(as_mapping(raw).get("extension")) if isinstance(e, Mapping)]


def wordings_from(raw: object) -> dict[str, str]:
    """The subject-wording extension of an item (or option, or red flag): {"child": ..., ...}.
    A wording code this loader does not know is kept, so ``validate`` can name it."""
    out: dict[str, str] = {}
    for extension in _extensions(raw):
        if extension.get("url") != SUBJECT_WORDING_URL:
            continue
        for part in _extensions(extension):
            if isinstance(part.get("valueString"), str):
                out[str(part.get("url", ""))] = part["valueString"]
    return out


def _option_from(raw: object) -> Option | None:
    coding = raw.get("valueCoding") if isinstance(raw, Mapping) else None
    if not isinstance(coding, Mapping):
        return None
    ordinal = None
    for extension in _extensions(coding):
        if extension.get("url") == ORDINAL_VALUE_URL:
            ordinal = as_int(extension.get("valueDecimal", extension.get("valueInteger")))
    return Option(
        str(coding.get("code", "")), str(coding.get("display", "")), str(coding.get("system", "")), ordinal,
        wordings_from(raw),
    )


def is_hint(raw: object) -> bool:
    """A nested display item marked as instructions (questionnaire-displayCategory): the hint
    shown under its question."""
    raw = as_mapping(raw)
    if raw.get("type") != "display":
        return False
    for extension in _extensions(raw):
        if extension.get("url") == DISPLAY_CATEGORY_URL:
            codings = as_list(as_mapping(extension.get("valueCodeableConcept")).get("coding"))
            if any(as_mapping(c).get("code") == "instructions" for c in codings):
                return True
    return False


def _item_from(raw: object, parent: str | None) -> Item:
    raw = raw if isinstance(raw, Mapping) else {}
    link_id = str(raw.get("linkId", ""))
    nested = as_list(raw.get("item"))
    hints = [child for child in nested if is_hint(child)] if raw.get("type") != "group" else []
    hint = as_mapping(hints[0]) if hints else {}
    children = tuple(_item_from(child, link_id) for child in nested if not (hints and child is hints[0]))
    low = high = None
    unit = date_limit = ""
    unknown = []
    for extension in _extensions(raw):
        url = extension.get("url")
        if url == MIN_VALUE_URL:
            low = as_int(extension.get("valueInteger"))
        elif url == MAX_VALUE_URL:
            high = as_int(extension.get("valueInteger"))
        elif url == UNIT_URL:
            coding = as_mapping(extension.get("valueCoding"))
            unit = str(coding.get("display") or coding.get("code") or "")
        elif url == DATE_LIMIT_URL:
            date_limit = str(extension.get("valueCode", ""))
        elif url != SUBJECT_WORDING_URL:
            unknown.append(str(url))
    return Item(
        link_id=link_id,
        text=str(raw.get("text", "")),
        type=str(raw.get("type", "")),
        required=raw.get("required") is True,
        options=tuple(o for o in map(_option_from, raw.get("answerOption") or []) if o is not None),
        enable_when=tuple(_condition_from(c) for c in raw.get("enableWhen") or []),
        enable_behavior=str(raw.get("enableBehavior", "all")),
        hint=str(hint.get("text", "")),
        min=low,
        max=high,
        max_length=as_int(raw.get("maxLength")),
        unit=unit,
        not_future=date_limit == "not-future",
        not_past=date_limit == "not-past",
        parent=parent,
        children=children,
        wordings=wordings_from(raw),
        hint_id=str(hint.get("linkId", "")),
        hint_wordings=wordings_from(hint),
        date_limit=date_limit,
        unknown_extensions=tuple(unknown),
    )


def _walk(items: Iterable[Item]) -> Iterable[Item]:
    for item in items:
        yield item
        yield from _walk(item.children)


def _age(value: object) -> int | None:
    """An age limit in months: a whole number, else -1 (so ``validate`` can say it is wrong)."""
    if value is None:
        return None
    number = as_int(value)
    return number if number is not None else -1


def red_flag_from(raw: object, source: str, *, group: str = "") -> RedFlag:
    raw = raw if isinstance(raw, Mapping) else {}
    return RedFlag(
        link_id=str(raw.get("linkId", "")),
        text=str(raw.get("text", "")),
        advice=str(raw.get("advice", "")),
        message=str(raw.get("message", "")),
        audience=str(raw.get("audience", "any")),
        source=source,
        wordings=wordings_from(raw),
        group=str(raw.get("group", group)),
        min_age_months=_age(raw.get("minAgeMonths")),
        max_age_months=_age(raw.get("maxAgeMonths")),
        also=tuple(str(code) for code in as_list(raw.get("also"))),
        message_wordings=wordings_from(raw.get("_message")),  # FHIR's way: an extension on a primitive
    )


def _rule_condition_from(raw: object) -> RuleCondition:
    raw = raw if isinstance(raw, Mapping) else {}
    answer = None
    if "answer" in raw:
        value = raw["answer"]
        answer = tuple(value) if isinstance(value, list) else (value,)
    years = _age(raw.get("ageAtLeastYears"))
    return RuleCondition(
        link_id=str(raw.get("linkId", "")),
        score=str(raw.get("score", "")),
        answer=answer,
        at_least=as_int(raw.get("atLeast")),
        at_most=as_int(raw.get("atMost")),
        age_under_months=_age(raw.get("ageUnderMonths")),
        age_at_least_months=years * 12 if years is not None and years >= 0 else years,
    )


def as_mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def as_list(value: object) -> list:
    return value if isinstance(value, list) else []


def rules_path(questionnaire_path: Path | str) -> Path:
    """Where a topic's rules live: cough-and-cold.json -> cough-and-cold.rules.json."""
    path = Path(questionnaire_path)
    return path.with_name(path.name.removesuffix(".json") + RULES_SUFFIX)


def topic_from_dict(
    data: Mapping[str, Any],
    *,
    rules: Mapping[str, Any] | None = None,
    shared: Mapping[str, Any] | None = None,
    path: str = "",
) -> Topic:
    """The read-only view of one Questionnaire and its rules. Tolerant: a broken file still gives
    a Topic, and ``validate`` says what is wrong with it. ``rules`` is the topic's
    ``<id>.rules.json`` (read beside ``path``, or from the topics folder, if None); ``shared`` is
    ``_red_flags.json`` (read if None)."""
    if shared is None:
        shared = shared_red_flags()
    topic_id = str(data.get("id", ""))
    if rules is None:
        rules = {}
        beside = rules_path(path) if path else QUESTIONNAIRE_DIR / f"{topic_id}{RULES_SUFFIX}"
        if path or ID_RE.fullmatch(topic_id):
            try:
                rules = read_json(beside)
            except (OSError, json.JSONDecodeError):
                rules = {}
    anima = as_mapping(rules)
    kind = str(anima.get("kind", ""))
    items = tuple(_item_from(raw, None) for raw in as_list(data.get("item")))
    nodes = tuple(_walk(items))
    questions = tuple(node for node in nodes if node.type != "group")
    by_id: dict[str, Item] = {}
    for node in nodes:
        by_id.setdefault(node.link_id, node)

    flags: list[RedFlag] = []
    if anima.get("sharedRedFlags", kind == "medical") is True:
        flags += [red_flag_from(raw, "shared") for raw in as_list(shared.get("general"))]
        flags += [replace(red_flag_from(raw, "shared", group=CHILD_GROUP), audience="child") for raw in as_list(shared.get("child"))]
    flags += [red_flag_from(raw, topic_id, group=TOPIC_GROUP) for raw in as_list(anima.get("redFlags"))]

    scoring = []
    answer_flags: list[AnswerRedFlag] = []
    for raw in as_list(anima.get("scoring")):
        raw = as_mapping(raw)
        bands = []
        for band in as_list(raw.get("bands")):
            band = as_mapping(band)
            low, high = as_int(band.get("min")), as_int(band.get("max"))
            bands.append((low if low is not None else -1, high if high is not None else -1, str(band.get("label", ""))))
        spec_flags = []
        for flag in as_list(raw.get("redFlags")):
            flag = as_mapping(flag)
            link_id = str(flag.get("linkId", ""))
            item = by_id.get(link_id)
            spec_flags.append(
                AnswerRedFlag(
                    link_id=link_id,
                    text=item.text if item else "",
                    wordings=item.wordings if item else {},
                    advice=str(flag.get("advice", "")),
                    message=str(flag.get("message", "")),
                    unless_answer=tuple(as_list(flag.get("unlessAnswer"))),
                    source=topic_id,
                    also=tuple(str(code) for code in as_list(flag.get("also"))),
                    message_wordings=wordings_from(flag.get("_message")),
                )
            )
        answer_flags += spec_flags
        scoring.append(
            ScoreSpec(
                id=str(raw.get("id", "")),
                name=str(raw.get("name", "")),
                items=tuple(str(i) for i in as_list(raw.get("items"))),
                bands=tuple(bands),
                red_flags=tuple(spec_flags),
            )
        )

    spec = as_mapping(anima.get("triage"))
    default = as_mapping(spec.get("default"))
    rules = tuple(
        Rule(
            when=tuple(_rule_condition_from(c) for c in as_list(as_mapping(raw).get("when"))),
            urgency=str(as_mapping(raw).get("urgency", "")),
            team=str(as_mapping(raw).get("team", "")),
            reason=str(as_mapping(raw).get("reason", "")),
        )
        for raw in as_list(spec.get("rules"))
    )
    return Topic(
        id=topic_id,
        title=str(data.get("title", "")),
        kind=kind,
        keywords=tuple(str(k) for k in as_list(anima.get("keywords"))),
        audience=str(anima.get("audience", "any")),
        questions=questions,
        red_flags=tuple(flags),
        url=str(data.get("url", "")),
        version=str(data.get("version", "")),
        name=str(data.get("name", "")),
        description=str(data.get("description", "")),
        free_text=anima.get("freeText") is True,
        items=items,
        nodes=nodes,
        answer_red_flags=tuple(answer_flags),
        subject_template=str(spec.get("subject", "")),
        default_urgency=str(default.get("urgency", "")),
        default_team=str(default.get("team", "")),
        default_reason=str(default.get("reason", "")),
        rules=rules,
        scoring=tuple(scoring),
        resource=data,
        rules_data=anima,
        path=path,
        flag_groups=tuple(str(g) for g in as_list(shared.get("groupOrder"))),
        safety_net=str(as_mapping(anima.get("safetyNet")).get("text", "")),
        safety_net_wordings=wordings_from(anima.get("safetyNet")),
        _by_id=by_id,
    )


def read_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


@lru_cache(maxsize=1)
def shared_red_flags() -> Mapping[str, Any]:
    return read_json(QUESTIONNAIRE_DIR / SHARED_RED_FLAGS_FILE)


TOPIC_AGES = {"any": (0, NO_AGE_LIMIT), "adult": (CHILD_UNDER_MONTHS, NO_AGE_LIMIT), "child": (0, CHILD_UNDER_MONTHS)}


def flag_window(flag: RedFlag, topic_audience: str = "any") -> tuple[int, int]:
    """The ages (months, [from, under)) at which the flag can be asked in a topic for this audience."""
    low, high = flag.age_window()
    topic_low, topic_high = TOPIC_AGES.get(topic_audience, (0, NO_AGE_LIMIT))
    return max(low, topic_low), min(high, topic_high)


