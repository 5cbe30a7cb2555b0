"""Is a topic sound? Everything wrong with it, in plain words, so a broken file is never served
(``loading`` refuses to start) and its author is told what to fix (``pytest tests/test_questionnaires.py``).

- ``validate``: one topic: its FHIR shape (checked with ``fhir.resources``), items and
  ``enableWhen``, every item reachable under some answers and no path without questions; then
  its red flags, scoring and triage (``rule_checks``) and its wording (``wording_checks``);
- ``validate_all``: what no single file shows (urls, red-flag linkIds across topics);
- ``validate_shared``: ``_red_flags.json``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from anima_pwa.services.questionnaires.answers import TEXT_MAX_LENGTH, answer_valid
from anima_pwa.services.questionnaires.flow import item_enabled
from anima_pwa.services.questionnaires.model import (
    AUDIENCES,
    CHILD_GROUP,
    DATE_LIMITS,
    ITEM_TYPES,
    KINDS,
    OPERATORS,
    TOPIC_GROUP,
    AnswerRedFlag,
    Condition,
    Item,
    RedFlag,
    Topic,
)
from anima_pwa.services.questionnaires.parsing import (
    ID_RE,
    RULES_SUFFIX,
    as_list,
    as_mapping,
    is_hint,
    red_flag_from,
    wordings_from,
)
from anima_pwa.services.questionnaires.rule_checks import check_one_flag, check_red_flags, check_scoring, check_triage
from anima_pwa.services.questionnaires.wording import WORDINGS, WORDINGS_NEEDED
from anima_pwa.services.questionnaires.wording_checks import (
    check_flag_wording,
    check_one_wording,
    check_wording,
    wordings_needed_for,
)

MIN_QUESTIONS, MAX_QUESTIONS = 4, 10  # per topic, not counting the items of a scored instrument
MAX_BRANCHES = 20_000  # validate(): more answer paths than this is a form too tangled to check

_NAME_RE = re.compile(r"[A-Z][A-Za-z0-9_]{0,254}")
_STOPWORDS = frozenset(
    "a an the i im i'm ive my me mine myself we our you your for to of and or with in on at is it "
    "its am are be been was were have has had got get getting need needs needed want wanted would "
    "like about can could please some from do does did this that these those there so very really "
    "help just also any what how when why who which".split()
)


def _normalise(text: str) -> str:
    text = text.casefold().replace("'", "").replace("’", "")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


def _tokens(text: str) -> list[str]:
    return [t for t in _normalise(text).split() if t not in _STOPWORDS]


_KEY_FOR_TYPE = {
    "boolean": "answerBoolean",
    "choice": "answerCoding",
    "integer": "answerInteger",
    "date": "answerDate",
    "string": "answerString",
    "text": "answerString",
}


def _check_structure(topic: Topic) -> list[str]:
    data = topic.resource
    problems = []
    if data.get("resourceType") != "Questionnaire":
        problems.append('resourceType must be "Questionnaire"')
    if not ID_RE.fullmatch(topic.id):
        problems.append(f"id {topic.id!r} is not a valid FHIR id")
    if not topic.url.startswith(("http://", "https://")) or not topic.url.endswith(f"/Questionnaire/{topic.id}"):
        problems.append("url must be an absolute URL ending /Questionnaire/<id>")
    if not _NAME_RE.fullmatch(topic.name):
        problems.append(f"name {topic.name!r} must be a computer-friendly name like CoughAndCold")
    if not topic.title.strip():
        problems.append("title is missing")
    if data.get("status") != "active":
        problems.append('status must be "active"')
    if data.get("subjectType") != ["Patient"]:
        problems.append('subjectType must be ["Patient"]')
    if not topic.rules_data:
        problems.append(f"the rules file {topic.id}{RULES_SUFFIX} is missing or empty")
    if topic.kind not in KINDS:
        problems.append(f"rules: kind {topic.kind!r} must be one of {KINDS}")
    if topic.audience not in AUDIENCES:
        problems.append(f"rules: audience {topic.audience!r} must be one of {AUDIENCES}")
    if not topic.free_text and not [k for k in topic.keywords if _tokens(k)]:
        problems.append("rules: keywords: give the synonyms people search with")
    if not isinstance(data.get("item"), list) or not data.get("item"):
        problems.append("item: the questionnaire has no items")
    return problems


def _check_items(topic: Topic) -> list[str]:
    problems = []
    seen: dict[str, Item] = {}
    order: dict[str, int] = {}
    for index, node in enumerate(topic.nodes):
        where = f"item {node.link_id or '#' + str(index + 1)}"
        if not node.link_id:
            problems.append(f"{where}: linkId is missing")
        elif node.link_id in seen:
            problems.append(f"{where}: linkId is used twice")
        seen.setdefault(node.link_id, node)
        order.setdefault(node.link_id, index)
        if node.type not in ITEM_TYPES:
            problems.append(f"{where}: type {node.type!r} must be one of {ITEM_TYPES}")
        if not node.text.strip():
            problems.append(f"{where}: text is missing")
        if node.type == "choice" and not node.options:
            problems.append(f"{where}: a choice item needs answerOption (a dead end otherwise)")
        if node.type != "choice" and node.options:
            problems.append(f"{where}: only choice items have answerOption")
        codes = [o.code for o in node.options]
        if len(set(codes)) != len(codes) or any(not o.code or not o.display.strip() for o in node.options):
            problems.append(f"{where}: each option needs a unique code and a display")
        if node.type == "group" and not node.children:
            problems.append(f"{where}: a group needs items")
        if node.type != "group" and node.children:
            problems.append(f"{where}: only a group may contain items")
        if node.type in ("display", "group") and node.required:
            problems.append(f"{where}: a {node.type} cannot be required")
        length = node.max_length
        if length is not None and (node.type not in ("string", "text") or not 1 <= length <= TEXT_MAX_LENGTH):
            problems.append(f"{where}: maxLength is for string/text items, at most {TEXT_MAX_LENGTH}")
        if (node.min is not None or node.max is not None) and node.type != "integer":
            problems.append(f"{where}: min/max are for integer items")
        if node.min is not None and node.max is not None and node.min > node.max:
            problems.append(f"{where}: min is above max (no answer is possible)")
        if node.date_limit and (node.type != "date" or node.date_limit not in DATE_LIMITS):
            problems.append(f"{where}: the date-limit extension is for date items, one of {DATE_LIMITS}")
        for url in node.unknown_extensions:
            problems.append(f"{where}: unknown extension {url!r} (see the README for the ones this app reads)")
        nested = [as_mapping(n) for n in as_list(_raw_item(topic, node.link_id).get("item"))]
        if node.type != "group" and len([n for n in nested if is_hint(n)]) > 1:
            problems.append(f"{where}: one hint (instructions display item) at most")
        if node.hint_id and not node.hint.strip():
            problems.append(f"{where}: its hint has no text")
        if node.enable_behavior not in ("all", "any"):
            problems.append(f"{where}: enableBehavior must be all or any")
        raw_when = _raw_item(topic, node.link_id).get("enableWhen") or []
        if len(raw_when) > 1 and "enableBehavior" not in _raw_item(topic, node.link_id):
            problems.append(f"{where}: more than one enableWhen needs enableBehavior (FHIR que-12)")
        for condition in node.enable_when:
            problems += _check_condition(topic, node, condition, seen, order, index)
    return problems


def _raw_item(topic: Topic, link_id: str) -> Mapping[str, Any]:
    def find(items: object) -> Mapping[str, Any] | None:
        for raw in as_list(items):
            raw = as_mapping(raw)
            if raw.get("linkId") == link_id:
                return raw
            found = find(raw.get("item"))
            if found is not None:
                return found
        return None

    return find(topic.resource.get("item")) or {}


def _check_condition(
    topic: Topic, node: Item, condition: Condition, seen: Mapping[str, Item], order: Mapping[str, int], index: int
) -> list[str]:
    where = f"item {node.link_id}: enableWhen"
    target = seen.get(condition.question)
    if target is None or order.get(condition.question, index) >= index:
        exists_later = topic.item(condition.question) is not None
        what = "not an earlier item" if exists_later else "not an item"
        return [f"{where} names {condition.question!r}, which is {what}"]
    if not target.answerable:
        return [f"{where} names {condition.question!r}, a {target.type} with no answer"]
    if condition.operator not in OPERATORS:
        return [f"{where} operator {condition.operator!r} must be one of {OPERATORS}"]
    if condition.operator == "exists":
        if condition.answer_key == "answerBoolean" and isinstance(condition.answer, bool):
            return []
        return [f"{where} exists needs answerBoolean"]
    expected = _KEY_FOR_TYPE[target.type]
    if condition.answer_key != expected:
        return [f"{where} on {target.type} item {target.link_id!r} needs {expected}"]
    if condition.operator in (">", ">=", "<", "<=") and target.type not in ("integer", "date"):
        return [f"{where} {condition.operator} only compares integers or dates"]
    if not answer_valid(target, condition.answer):
        return [f"{where} answer {condition.answer!r} is not a possible answer to {target.link_id!r}"]
    if target.link_id == node.parent:
        return [f"{where} names its own group"]
    return []


def _domain(item: Item, topic: Topic) -> list[Any]:
    """The answers worth trying for an item other items depend on (None: left blank)."""
    values: list[Any]
    if item.type == "boolean":
        values = [True, False]
    elif item.type == "choice":
        values = [o.code for o in item.options]
    elif item.type == "integer":
        points = {item.min if item.min is not None else 0}
        if item.max is not None:
            points.add(item.max)
        for node in topic.nodes:
            for c in node.enable_when:
                if c.question == item.link_id and isinstance(c.answer, int) and not isinstance(c.answer, bool):
                    points |= {c.answer - 1, c.answer, c.answer + 1}
        low = item.min if item.min is not None else -(10**9)
        high = item.max if item.max is not None else 10**9
        values = sorted(p for p in points if low <= p <= high)
    else:
        referenced = {
            c.answer
            for n in topic.nodes
            for c in n.enable_when
            if c.question == item.link_id and c.operator != "exists"
        }
        values = sorted(str(v) for v in referenced) + ["2000-01-01" if item.type == "date" else "something"]
    if not item.required:
        return [*values, None]
    return values


def _explore(topic: Topic) -> tuple[set[str], list[int], bool]:
    """Walk every path of answers to the questions others depend on: which items are ever
    enabled, how many questions each path asks, and whether the walk was cut short."""
    controllers = {c.question for node in topic.nodes for c in node.enable_when}
    nodes = topic.nodes
    reachable: set[str] = set()
    path_lengths: list[int] = []
    budget = [MAX_BRANCHES]

    def walk(index: int, effective: dict[str, Any], enabled: frozenset[str], asked: int) -> None:
        while index < len(nodes):
            node = nodes[index]
            index += 1
            if node.parent is not None and node.parent not in enabled:
                continue
            if not item_enabled(node, effective):
                continue
            enabled = enabled | {node.link_id}
            reachable.add(node.link_id)
            if node.answerable:
                asked += 1
            if node.answerable and node.link_id in controllers:
                for value in _domain(node, topic):
                    budget[0] -= 1
                    if budget[0] < 0:
                        return
                    branch = dict(effective)
                    if value is not None:
                        branch[node.link_id] = value
                    walk(index, branch, enabled, asked)
                return
        path_lengths.append(asked)

    walk(0, {}, frozenset(), 0)
    return reachable, path_lengths, budget[0] < 0


def _check_flow(topic: Topic) -> list[str]:
    problems = []
    reachable, lengths, cut_short = _explore(topic)
    if cut_short:
        return [f"too many answer paths to check (over {MAX_BRANCHES}): simplify the enableWhen rules"]
    for node in topic.nodes:
        if node.link_id and node.link_id not in reachable:
            problems.append(f"item {node.link_id}: unreachable (no answers enable it)")
    if any(length == 0 for length in lengths):
        problems.append("dead end: some answers lead to a path with no questions at all")
    scored = {link_id for spec in topic.scoring for link_id in spec.items}
    counted = [q for q in topic.questions if q.answerable and q.link_id not in scored]
    if not MIN_QUESTIONS <= len(counted) <= MAX_QUESTIONS:
        problems.append(
            f"{len(counted)} questions: a topic has {MIN_QUESTIONS} to {MAX_QUESTIONS} "
            "(items of a scored instrument such as PHQ-9 not counted)"
        )
    return problems


def _check_fhir(topic: Topic) -> list[str]:
    """The topic file against the fhir.resources R4B Questionnaire model: no key FHIR does not
    know, every element of the right type."""
    from fhir.resources.R4B.questionnaire import Questionnaire
    from pydantic import ValidationError

    try:
        Questionnaire.model_validate(dict(topic.resource))
    except ValidationError as error:
        return [
            f"not a FHIR R4 Questionnaire: {'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors()[:10]
        ]
    except (TypeError, ValueError) as error:  # fhir.resources raises these for some shapes
        return [f"not a FHIR R4 Questionnaire: {error}"]
    return []


def validate_shared(shared: Mapping[str, Any]) -> list[str]:
    """``_red_flags.json``: the general list (each question in a page group of ``groupOrder``,
    worded for a child and another adult as its ages need), the child list for a child, every
    flag well-formed and asked at some age, and the intro shown when the request is for someone
    else."""
    problems = []
    order = [str(g) for g in as_list(shared.get("groupOrder"))]
    if len(set(order)) != len(order) or CHILD_GROUP not in order or TOPIC_GROUP not in order:
        problems.append(f"groupOrder: each group once, including {CHILD_GROUP!r} and {TOPIC_GROUP!r}")
    general = [red_flag_from(raw, "shared") for raw in as_list(shared.get("general"))]
    child = [
        replace(red_flag_from(raw, "shared", group=CHILD_GROUP), audience="child")
        for raw in as_list(shared.get("child"))
    ]
    if not general:
        problems.append("general: no emergency questions")
    general_groups = [g for g in order if g not in (CHILD_GROUP, TOPIC_GROUP)]
    seen: set[str] = set()
    for flags, groups in ((general, general_groups), (child, [CHILD_GROUP])):
        for flag in flags:
            where = f"red flag {flag.link_id or '(no linkId)'}"
            if flag.link_id in seen:
                problems.append(f"{where}: linkId is used twice")
            seen.add(flag.link_id)
            problems += check_one_flag(flag, where, groups)
            problems += check_flag_wording(flag, where, wordings_needed_for(flag))
    for raw in as_list(shared.get("child")):
        if as_mapping(raw).get("group", CHILD_GROUP) != CHILD_GROUP or "audience" in as_mapping(raw):
            problems.append(f"red flag {as_mapping(raw).get('linkId')}: the child list sets no group or audience")
    intro = as_mapping(shared.get("intro"))
    if not str(intro.get("text", "")).strip():
        problems.append("intro: text is missing")
    problems += check_one_wording(
        "intro", str(intro.get("text", "")), wordings_from(intro), WORDINGS[1:], question=False
    )
    return problems


def validate(topic: Topic) -> list[str]:
    """Everything wrong with one topic, in plain words ([] when it is sound): FHIR shape, unique
    linkIds, enableWhen naming an earlier item and a possible answer, every item reachable under
    some answers, no path without questions, 4-10 questions, choices with options, red flags
    with 999/111 advice, scoring items and bands, triage rules naming real items and answers,
    subject placeholders that always have a value, the file accepted by fhir.resources as an
    R4 Questionnaire, and the wording for everyone the topic can be asked about."""
    problems = _check_structure(topic)
    problems += _check_fhir(topic)
    problems += _check_items(topic)
    question_ids = {n.link_id for n in topic.nodes}
    hint_ids = [n.hint_id for n in topic.nodes if n.hint_id]
    for hint_id in hint_ids:
        if hint_id in question_ids or hint_ids.count(hint_id) > 1:
            problems.append(f"hint {hint_id}: linkId is used twice")
    question_ids |= set(hint_ids)
    problems += check_red_flags(topic, question_ids)
    problems += check_wording(topic)
    problems += check_scoring(topic)
    if topic.safety_net or topic.safety_net_wordings:
        needed = WORDINGS_NEEDED.get(topic.audience, WORDINGS[1:])
        problems += check_one_wording("safetyNet", topic.safety_net, topic.safety_net_wordings, needed, question=False)
        if not topic.safety_net.strip():
            problems.append("safetyNet: text is missing")
    problems += check_triage(topic)
    problems += _check_flow(topic)
    return problems


def validate_all(topics: Mapping[str, Topic]) -> list[str]:
    """What no single file shows: urls unique, one meaning per red-flag linkId across topics
    (``emergency_advice`` looks flags up without a topic), and no topic question sharing a linkId
    with another topic's red flag."""
    problems = []
    urls: dict[str, str] = {}
    flags: dict[str, RedFlag | AnswerRedFlag] = {}
    for topic in topics.values():
        if topic.url in urls:
            problems.append(f"{topic.id}: url is also used by {urls[topic.url]}")
        urls.setdefault(topic.url, topic.id)
        every_flag: tuple[RedFlag | AnswerRedFlag, ...] = (*topic.red_flags, *topic.answer_red_flags)
        for flag in every_flag:
            known = flags.setdefault(flag.link_id, flag)
            if known is not flag and (known.source, type(known)) != (flag.source, type(flag)):
                problems.append(f"{topic.id}: red flag {flag.link_id!r} is also defined by {known.source}")
    for topic in topics.values():
        own = {f.link_id for f in topic.answer_red_flags}
        for node in topic.nodes:
            if node.link_id in flags and node.link_id not in own:
                owner = flags[node.link_id].source
                problems.append(f"{topic.id}: item {node.link_id!r} has the linkId of a red flag of {owner}")
    kinds = {t.kind for t in topics.values() if t.free_text}
    if len(kinds) != len([t for t in topics.values() if t.free_text]):
        problems.append("one free-text topic per kind")
    return problems
