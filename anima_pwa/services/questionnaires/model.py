"""What a request topic is: one FHIR R4 ``Questionnaire`` per topic, with its Anima rules beside it.

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

This module holds the format's constants and the read-only view of a topic (``Topic``, its
``Item``s, ``RedFlag``s, triage ``Rule``s and ``ScoreSpec``s); ``parsing`` builds it from the files.

No Reflex here: the rules are plain Python, tested in milliseconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from anima_pwa.services.questionnaires.wording import SELF, Wording

CHILD_GROUP = "child"  # the page group of the shared child questions
TOPIC_GROUP = "topic"  # the page group of a topic's own red flags

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


class QuestionnaireError(ValueError):
    """A topic file is broken; ``problems`` lists what ``validate`` found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("Broken questionnaire files:\n  " + "\n  ".join(problems))
        self.problems = problems


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


TOPIC_AGES = {"any": (0, NO_AGE_LIMIT), "adult": (CHILD_UNDER_MONTHS, NO_AGE_LIMIT), "child": (0, CHILD_UNDER_MONTHS)}


def flag_window(flag: RedFlag, topic_audience: str = "any") -> tuple[int, int]:
    """The ages (months, [from, under)) at which the flag can be asked in a topic for this audience."""
    low, high = flag.age_window()
    topic_low, topic_high = TOPIC_AGES.get(topic_audience, (0, NO_AGE_LIMIT))
    return max(low, topic_low), min(high, topic_high)
