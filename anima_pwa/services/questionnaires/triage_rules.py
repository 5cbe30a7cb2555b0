"""Triage: what staff see first about a request (``triage``), from the topic's triage rules.

Urgency values: ``emergency_signposted`` (a 999 or 111 red flag was answered yes; only red
flags set it; a crisis flag makes the urgency at least ``urgent_today``),
``urgent_today``, ``within_two_days``, ``routine``. Triage decides nothing clinical: it suggests a
subject, an urgency and a team for staff, with a summary of the answers. It is never shown to the
patient.

The first rule whose conditions all hold wins (a condition names an answer, a score or the
person's age), else the topic's default; red flags answered yes raise the urgency. The subject
line comes from the topic's ``subject`` template.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from anima_pwa.services.questionnaires.answers import display_answer
from anima_pwa.services.questionnaires.flow import enabled_and_effective, same_answer
from anima_pwa.services.questionnaires.model import ENDING_ADVICE, URGENCIES, AnswerRedFlag, RuleCondition, Topic
from anima_pwa.services.questionnaires.red_flags import ends_request, flag_advice, triggered_red_flags
from anima_pwa.services.questionnaires.scoring import score
from anima_pwa.services.questionnaires.wording import Wording


@dataclass(frozen=True)
class Triage:
    subject: str
    urgency: str
    team: str
    summary_lines: list[str]
    reason: str = ""
    red_flags: tuple[str, ...] = ()  # linkIds of red flags answered yes


def _rule_holds(
    condition: RuleCondition, effective: Mapping[str, Any], scores: Mapping[str, dict], age_months: int | None = None
) -> bool:
    if condition.about_age:
        if age_months is None:
            return False
        if condition.age_under_months is not None and age_months >= condition.age_under_months:
            return False
        return condition.age_at_least_months is None or age_months >= condition.age_at_least_months
    if condition.score:
        value = (scores.get(condition.score) or {}).get("total")
    else:
        if condition.link_id not in effective:
            return False
        value = effective[condition.link_id]
    if value is None:
        return False
    if condition.answer is not None and not any(same_answer(value, a) for a in condition.answer):
        return False
    if condition.at_least is not None or condition.at_most is not None:
        if isinstance(value, bool) or not isinstance(value, int):
            return False
        if condition.at_least is not None and value < condition.at_least:
            return False
        if condition.at_most is not None and value > condition.at_most:
            return False
    return True


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _render_subject(topic: Topic, effective: Mapping[str, Any], scores: Mapping[str, dict], free_text: str) -> str:
    values: dict[str, str] = {}
    for _, name, _, _ in string.Formatter().parse(topic.subject_template):
        if not name or name in values:
            continue
        if name == "free_text":
            values[name] = _short(free_text)
        elif name in scores:
            s = scores[name]
            values[name] = f"{s['name']} {s['total']}" if s["total"] is not None else ""
        else:
            item = topic.item(name)
            value = effective.get(name)
            values[name] = _short(display_answer(item, value)) if item and value is not None else ""
    try:
        subject = topic.subject_template.format(**values) if topic.subject_template else topic.title
    except (KeyError, IndexError, ValueError):
        subject = topic.title
    subject = " ".join(subject.split()).strip(" :,-–")
    return _short(subject, 200) or topic.title  # a subject line; the answers themselves are kept whole


def more_urgent(first: str, second: str) -> str:
    """The more urgent of two urgencies (URGENCIES, most urgent first)."""
    rank = {u: i for i, u in enumerate(URGENCIES)}
    return first if rank.get(first, 9) <= rank.get(second, 9) else second


def triage(
    topic: Topic,
    answers: Mapping[str, Any],
    *,
    free_text: str = "",
    wording: Wording | None = None,
    age_months: int | None = None,
) -> Triage:
    """A suggestion for staff (never shown to the patient as a diagnosis): subject, urgency,
    team and the summary lines (each question as it was asked: ``wording``). The first rule whose
    conditions all hold wins (a rule may name the person's age, ``age_months``), else the
    default. A 999 or 111 red flag answered yes makes the urgency ``emergency_signposted``; a
    flag that showed the crisis lines (thoughts of suicide, PHQ-9 question 9) makes it at least
    ``urgent_today``, and says so first."""
    enabled, effective = enabled_and_effective(topic, answers)
    scores = score(topic, answers)
    urgency, team, reason = topic.default_urgency, topic.default_team, topic.default_reason
    for rule in topic.rules:
        if rule.when and all(_rule_holds(c, effective, scores, age_months) for c in rule.when):
            urgency, team, reason = rule.urgency, rule.team, rule.reason
            break
    flags = triggered_red_flags(answers, topic)
    crisis = [f for f in flags if "crisis" in flag_advice(f)]
    if ends_request(flags):
        urgency = "emergency_signposted"
    elif crisis:
        if more_urgent("urgent_today", urgency) != urgency:
            reason = "The patient was shown the mental health crisis lines"
        urgency = more_urgent(urgency, "urgent_today")

    lines: list[str] = []
    for flag in flags:
        if flag.advice in ENDING_ADVICE:
            lines.append(f"Red flag: {flag.text_for(wording)} (the patient was told to call {flag.advice})")
    for flag in crisis:
        answered = topic.item(flag.link_id) if isinstance(flag, AnswerRedFlag) else None
        lines.append(
            f"Crisis lines shown (NHS 111 option 2, Samaritans 116 123, 999 if in danger): {flag.text_for(wording)}"
            + (f" Answer: {display_answer(answered, effective.get(flag.link_id), wording)}" if answered else "")
        )
    if reason:
        lines.append(f"Why this urgency: {reason}")
    for item in topic.questions:
        if item.answerable and item.link_id in effective:
            lines.append(f"{item.text_for(wording)}: {display_answer(item, effective[item.link_id], wording)}")
    for spec in topic.scoring:
        s = scores.get(spec.id)
        if s and s["complete"]:
            lines.append(f"{s['name']} score: {s['total']} out of {s['max']} ({s['band']})")
    if free_text.strip():
        lines.append(f"Anything else: {free_text.strip()}")
    return Triage(
        subject=_render_subject(topic, effective, scores, free_text),
        urgency=urgency,
        team=team,
        summary_lines=lines,
        reason=reason,
        red_flags=tuple(f.link_id for f in flags),
    )
