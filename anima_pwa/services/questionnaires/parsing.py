"""Reading a topic's two files (``<id>.json`` and ``<id>.rules.json``, format in ``model``) and
``_red_flags.json`` into the read-only ``Topic`` (``topic_from_dict``). Tolerant: a broken file
still gives a Topic, and ``validation`` says what is wrong with it. The JSON helpers here
(``as_mapping``, ``as_list``, ``wordings_from``...) are shared with the validators."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from anima_pwa.services.questionnaires.model import (
    CHILD_GROUP,
    DATE_LIMIT_URL,
    DISPLAY_CATEGORY_URL,
    MAX_VALUE_URL,
    MIN_VALUE_URL,
    ORDINAL_VALUE_URL,
    SUBJECT_WORDING_URL,
    TOPIC_GROUP,
    UNIT_URL,
    AnswerRedFlag,
    Condition,
    Item,
    Option,
    RedFlag,
    Rule,
    RuleCondition,
    ScoreSpec,
    Topic,
)

QUESTIONNAIRE_DIR = Path(__file__).resolve().parents[2] / "questionnaires"
SHARED_RED_FLAGS_FILE = "_red_flags.json"
RULES_SUFFIX = ".rules.json"  # cough-and-cold.json has its rules in cough-and-cold.rules.json

ID_RE = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_ANSWER_KEYS = ("answerBoolean", "answerCoding", "answerInteger", "answerDate", "answerString")


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
        str(coding.get("code", "")),
        str(coding.get("display", "")),
        str(coding.get("system", "")),
        ordinal,
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
        flags += [
            replace(red_flag_from(raw, "shared", group=CHILD_GROUP), audience="child")
            for raw in as_list(shared.get("child"))
        ]
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
    triage = tuple(
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
        rules=triage,
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
