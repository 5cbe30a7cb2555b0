"""The checks of a topic's rules file (``validation.validate`` runs them): red flags well-formed
and asked at some age, scored instruments with ordinal options and bands without gaps, triage
rules naming real questions, answers, scores and ages (none that can never win), and a subject
template whose placeholders always have a value."""

from __future__ import annotations

import string
from collections.abc import Iterable

from anima_pwa.services.questionnaires.answers import answer_valid
from anima_pwa.services.questionnaires.model import (
    ADVICE_CODES,
    AUDIENCES,
    NO_AGE_LIMIT,
    RULE_URGENCIES,
    TEAMS,
    TOPIC_AGES,
    TOPIC_GROUP,
    Item,
    RedFlag,
    Topic,
    flag_window,
)
from anima_pwa.services.questionnaires.parsing import as_mapping
from anima_pwa.services.questionnaires.scoring import max_total


def check_one_flag(flag: RedFlag, where: str, groups: Iterable[str], topic_audience: str = "any") -> list[str]:
    """One red flag is well-formed and can be asked of someone: a linkId, a text, its advice and
    any further advice known, a page group, age limits that leave some age it is asked at."""
    problems = []
    if not flag.link_id:
        problems.append(f"{where}: linkId is missing")
    if not flag.text.strip():
        problems.append(f"{where}: text is missing")
    if flag.advice not in ADVICE_CODES:
        problems.append(f"{where}: advice must be one of {ADVICE_CODES}, not {flag.advice!r}")
    for code in flag.also:
        if code not in ADVICE_CODES or code == flag.advice:
            problems.append(f"{where}: also must name other advice from {ADVICE_CODES}, not {code!r}")
    if flag.audience not in AUDIENCES:
        problems.append(f"{where}: audience must be one of {AUDIENCES}")
    if flag.group not in groups:
        problems.append(f"{where}: group {flag.group!r} is not one of {tuple(groups)}")
    for name, value in (("minAgeMonths", flag.min_age_months), ("maxAgeMonths", flag.max_age_months)):
        if value is not None and not 0 <= value <= NO_AGE_LIMIT:
            problems.append(f"{where}: {name} must be a whole number of months from 0")
    low, high = flag_window(flag, topic_audience)
    if low >= high:
        problems.append(
            f"{where}: unreachable: no age it is asked at (its ages, audience and the topic's exclude each other)"
        )
    if flag.message and not flag.message.strip():
        problems.append(f"{where}: message is blank")
    return problems


def check_red_flags(topic: Topic, question_ids: set[str]) -> list[str]:
    problems = []
    seen: set[str] = set()
    for flag in topic.red_flags:
        where = f"red flag {flag.link_id or '(no linkId)'}"
        if flag.link_id and (flag.link_id in seen or flag.link_id in question_ids):
            problems.append(f"{where}: linkId is used twice (red flags and questions share one set)")
        seen.add(flag.link_id)
        if flag.source == "shared":
            continue  # checked once, in validate_shared
        problems += check_one_flag(flag, where, (TOPIC_GROUP,), topic.audience)
        if flag.group != TOPIC_GROUP:
            problems.append(f"{where}: a topic's own red flags are on the topic's page (group {TOPIC_GROUP!r})")
    return problems


def check_scoring(topic: Topic) -> list[str]:
    problems = []
    ids = [s.id for s in topic.scoring]
    if len(set(ids)) != len(ids):
        problems.append("scoring: ids must be unique")
    for spec in topic.scoring:
        where = f"scoring {spec.id or '(no id)'}"
        if not spec.id or topic.item(spec.id) is not None:
            problems.append(f"{where}: needs an id that is not an item's linkId")
        if not spec.items:
            problems.append(f"{where}: names no items")
        for link_id in spec.items:
            item = topic.item(link_id)
            if item is None:
                problems.append(f"{where}: item {link_id!r} does not exist")
            elif item.type != "choice" or any(o.ordinal is None for o in item.options):
                problems.append(f"{where}: item {link_id!r} must be a choice with an ordinalValue on every option")
        if all(topic.item(i) is not None for i in spec.items):
            top = max_total(topic, spec)
            expected = 0
            for low, high, label in sorted(spec.bands):
                if low != expected or high < low or not label:
                    problems.append(f"{where}: bands must run from 0 to {top} without gaps or overlaps, each labelled")
                    break
                expected = high + 1
            else:
                if expected != top + 1:
                    problems.append(f"{where}: bands must end at the highest possible score, {top}")
        for flag in spec.red_flags:
            item = topic.item(flag.link_id)
            if flag.link_id not in spec.items or item is None:
                problems.append(f"{where}: red flag names {flag.link_id!r}, not one of its items")
                continue
            if flag.advice not in ADVICE_CODES or any(c not in ADVICE_CODES or c == flag.advice for c in flag.also):
                problems.append(f"{where}: red flag advice must be one of {ADVICE_CODES}")
            if not flag.unless_answer or any(item.option(code) is None for code in flag.unless_answer):
                problems.append(f"{where}: red flag unlessAnswer must list option codes of {flag.link_id!r}")
    return problems


def check_triage(topic: Topic) -> list[str]:
    problems = []
    spec = as_mapping(topic.rules_data.get("triage"))
    if not spec:
        return ["rules: triage is missing"]
    if topic.default_urgency not in RULE_URGENCIES or topic.default_team not in TEAMS:
        problems.append(f"triage default needs an urgency in {RULE_URGENCIES} and a team in {tuple(TEAMS)}")
    score_ids = {s.id for s in topic.scoring}
    for number, rule in enumerate(topic.rules, 1):
        where = f"triage rule {number}"
        if rule.urgency not in RULE_URGENCIES:
            problems.append(f"{where}: urgency {rule.urgency!r} must be one of {RULE_URGENCIES}")
        if rule.team not in TEAMS:
            problems.append(f"{where}: team {rule.team!r} must be one of {tuple(TEAMS)}")
        if not rule.when:
            problems.append(f"{where}: has no conditions")
        for condition in rule.when:
            if condition.about_age:
                if condition.link_id or condition.score or condition.answer is not None:
                    problems.append(f"{where}: an age condition names nothing else")
                low = condition.age_at_least_months if condition.age_at_least_months is not None else 0
                high = condition.age_under_months if condition.age_under_months is not None else NO_AGE_LIMIT
                topic_low, topic_high = TOPIC_AGES.get(topic.audience, (0, NO_AGE_LIMIT))
                if min(low, high) < 0 or max(low, topic_low) >= min(high, topic_high):
                    problems.append(f"{where}: the age condition matches no one this topic is for")
                continue
            if bool(condition.link_id) == bool(condition.score):
                problems.append(f"{where}: each condition names a linkId, a score or an age")
                continue
            if condition.answer is None and condition.at_least is None and condition.at_most is None:
                named = condition.link_id or condition.score
                problems.append(f"{where}: condition on {named} needs answer, atLeast or atMost")
            if condition.score:
                if condition.score not in score_ids:
                    problems.append(f"{where}: score {condition.score!r} does not exist")
                if condition.answer is not None:
                    problems.append(f"{where}: a score condition uses atLeast/atMost")
                continue
            item = topic.item(condition.link_id)
            if item is None or not item.answerable:
                problems.append(f"{where}: {condition.link_id!r} is not a question of this topic")
                continue
            for value in condition.answer or ():
                if not answer_valid(item, value):
                    problems.append(f"{where}: {value!r} is not a possible answer to {condition.link_id!r}")
            if (condition.at_least is not None or condition.at_most is not None) and item.type != "integer":
                problems.append(f"{where}: atLeast/atMost need an integer item, not {condition.link_id!r}")
    keys = [frozenset(repr(c) for c in rule.when) for rule in topic.rules]
    for later in range(len(keys)):
        for earlier in range(later):
            if keys[earlier] and keys[earlier] <= keys[later]:
                problems.append(f"triage rule {later + 1}: can never win, rule {earlier + 1} always matches first")
                break
    problems += _check_subject(topic, score_ids)
    return problems


def _unconditional(topic: Topic, item: Item) -> bool:
    while True:
        if item.enable_when:
            return False
        if item.parent is None:
            return True
        parent = topic.item(item.parent)
        if parent is None:
            return False
        item = parent


def _check_subject(topic: Topic, score_ids: set[str]) -> list[str]:
    if not topic.subject_template.strip():
        return ["triage subject template is missing"]
    problems = []
    try:
        fields = list(string.Formatter().parse(topic.subject_template))
    except ValueError as error:
        return [f"triage subject template is malformed ({error})"]
    for _, name, spec, conversion in fields:
        if name is None:
            continue
        if spec or conversion:
            problems.append(f"triage subject: {{{name}}} takes no format or conversion")
        if name == "free_text" or name in score_ids:
            continue
        item = topic.item(name)
        if item is None or not item.answerable:
            problems.append(f"triage subject: placeholder {{{name}}} is not a question of this topic")
        elif not (item.required and _unconditional(topic, item)):
            problems.append(
                f"triage subject: {{{name}}} may be unanswered (use a required question asked on every path)"
            )
    return problems
