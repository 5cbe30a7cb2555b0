"""The question flow: which items are enabled by the answers so far (FHIR ``enableWhen``), and
walking them: ``next_item``, ``previous_item``, ``progress`` ("Question 3 of 8"), the answers
that count (``clean_answers``) and the required ones still missing (``missing_answers``).

A group's ``enableWhen`` applies to everything in it. A condition may only name an *earlier*
question (document order), so one forward pass decides which items are enabled
(``enabled_and_effective``); answers to disabled items are ignored everywhere (they stay in the
draft, so going back and forth loses nothing). ``!=`` follows FHIR: true when no answer equals
the value, including when the question is unanswered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from anima_pwa.services.questionnaires.answers import answer_valid
from anima_pwa.services.questionnaires.model import Condition, Item, Topic


def same_answer(value: object, expected: object) -> bool:
    if isinstance(value, bool) or isinstance(expected, bool):
        return isinstance(value, bool) and isinstance(expected, bool) and value is expected
    return value == expected


def _condition_holds(condition: Condition, effective: Mapping[str, Any]) -> bool:
    answered = condition.question in effective
    value = effective.get(condition.question)
    operator = condition.operator
    if operator == "exists":
        return answered is (condition.answer is True)
    if operator == "=":
        return answered and same_answer(value, condition.answer)
    if operator == "!=":
        return not (answered and same_answer(value, condition.answer))
    if not answered or isinstance(value, bool) or isinstance(condition.answer, bool):
        return False
    try:
        if operator == ">":
            return value > condition.answer
        if operator == ">=":
            return value >= condition.answer
        if operator == "<":
            return value < condition.answer
        if operator == "<=":
            return value <= condition.answer
    except TypeError:
        return False
    return False


def item_enabled(item: Item, effective: Mapping[str, Any]) -> bool:
    if not item.enable_when:
        return True
    results = (_condition_holds(c, effective) for c in item.enable_when)
    return any(results) if item.enable_behavior == "any" else all(results)


def enabled_and_effective(topic: Topic, answers: Mapping[str, Any]) -> tuple[set[str], dict[str, Any]]:
    """One forward pass: the enabled linkIds, and the answers that count (enabled items only,
    and only answers the item allows)."""
    enabled: set[str] = set()
    effective: dict[str, Any] = {}
    for node in topic.nodes:
        if node.parent is not None and node.parent not in enabled:
            continue
        if not item_enabled(node, effective):
            continue
        enabled.add(node.link_id)
        value = answers.get(node.link_id)
        if node.answerable and value is not None and answer_valid(node, value):
            effective[node.link_id] = value  # (an answer the topic no longer allows: unanswered)
    return enabled, effective


def enabled_questions(topic: Topic, answers: Mapping[str, Any]) -> list[Item]:
    """The pages the patient sees with these answers (display pages included)."""
    enabled, _ = enabled_and_effective(topic, answers)
    return [item for item in topic.questions if item.link_id in enabled]


def clean_answers(topic: Topic, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Only the answers that count: enabled questions, answered."""
    return enabled_and_effective(topic, answers)[1]


def missing_answers(topic: Topic, answers: Mapping[str, Any]) -> list[Item]:
    """Enabled required questions without an answer: the request can't be sent yet."""
    enabled, effective = enabled_and_effective(topic, answers)
    return [
        i
        for i in topic.questions
        if i.link_id in enabled and i.required and i.answerable and i.link_id not in effective
    ]


def _position(topic: Topic, link_id: str) -> int:
    for index, item in enumerate(topic.questions):
        if item.link_id == link_id:
            return index
    raise KeyError(f"{topic.id} has no question {link_id!r}")


def next_item(topic: Topic, answers: Mapping[str, Any], current: str | None) -> Item | None:
    """The next enabled page after ``current`` (the first when None); None at the end."""
    enabled, _ = enabled_and_effective(topic, answers)
    start = 0 if current is None else _position(topic, current) + 1
    return next((i for i in topic.questions[start:] if i.link_id in enabled), None)


def previous_item(topic: Topic, answers: Mapping[str, Any], current: str | None) -> Item | None:
    """The enabled page before ``current`` (the last when None); None before the first."""
    enabled, _ = enabled_and_effective(topic, answers)
    end = len(topic.questions) if current is None else _position(topic, current)
    return next((i for i in reversed(topic.questions[:end]) if i.link_id in enabled), None)


def progress(topic: Topic, answers: Mapping[str, Any], link_id: str) -> tuple[int, int]:
    """("Question 3 of 8"): this page's number among the pages enabled now, and how many."""
    enabled, _ = enabled_and_effective(topic, answers)
    index = _position(topic, link_id)
    before = sum(1 for i in topic.questions[:index] if i.link_id in enabled)
    total = sum(1 for i in topic.questions if i.link_id in enabled)
    if link_id not in enabled:
        total += 1
    return before + 1, total
