"""Red flags: the emergency questions asked before a topic's questions, and the advice they give.

- ``red_flags_for`` and ``red_flag_pages``: the questions for this person (their age, a child's
  own), worded for them, as the emergency screen's pages, each with "None of these";
- ``triggered_red_flags``, ``emergency_advice``, ``ends_request``: what answers raise (a 999 or
  111 flag ends the request; the crisis lines let it go on, urgent for staff);
- ``advice_list`` and ``advice_for``: every advice they call for, most urgent first (``ADVICE``
  worded for the person with ``ADVICE_WORDINGS``, then what each flag adds);
- ``shared_intro`` (shown above the questions about someone else) and ``safety_net`` (shown
  once the request is sent).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from anima_pwa.services.questionnaires.answers import YES_WORDS
from anima_pwa.services.questionnaires.flow import clean_answers
from anima_pwa.services.questionnaires.loading import load_all
from anima_pwa.services.questionnaires.model import (
    ADVICE_CODES,
    CHILD_GROUP,
    ENDING_ADVICE,
    AnswerRedFlag,
    RedFlag,
    Topic,
)
from anima_pwa.services.questionnaires.parsing import as_mapping, shared_red_flags, wordings_from
from anima_pwa.services.questionnaires.wording import SELF, Wording

# The emergency screen: a page of at most this many questions, each page with "None of these".
MAX_FLAGS_PER_PAGE = 5


@dataclass(frozen=True)
class Advice:
    """One piece of advice shown when red flags are raised: its code (999, 111 or crisis), a title,
    the body (the code's own advice first, worded for the person, then what the flags add) and the
    call buttons (label, tel: link)."""

    code: str
    title: str
    body: str
    calls: tuple[tuple[str, str], ...] = ()


CRISIS_LINES = (
    "Otherwise, call 111 and choose option 2 for the NHS mental health crisis line, or call "
    "Samaritans free on 116 123, day or night."
)
ADVICE = {
    "999": Advice(
        "999",
        "Call 999 now",
        "Your answers suggest you may need emergency help. Call 999 now, or go to A&E. "
        "Do not wait for a reply from your practice: your request has not been sent.",
        (("Call 999", "tel:999"),),
    ),
    "111": Advice(
        "111",
        "Call 111 now",
        "You need medical help today, but it may not be an emergency. Call 111 or go to "
        "111.nhs.uk. If you feel worse, call 999. Do not wait for a reply from your practice: "
        "your request has not been sent.",
        (("Call 111", "tel:111"),),
    ),
    "crisis": Advice(
        "crisis",
        "Get help now",
        "If you feel you might act on thoughts of ending your life or hurting yourself, or you have "
        "already hurt yourself, call 999 now or go to A&E. " + CRISIS_LINES,
        (("Call 999", "tel:999"), ("Call 111, option 2", "tel:111"), ("Call Samaritans on 116 123", "tel:116123")),
    ),
}
# The same advice about someone else (a child, a relative, a care-home resident): {name} is their
# first name. The reader is the one who acts, so "you" here is the reader.
ADVICE_WORDINGS = {
    "999": {
        "child": "Your answers suggest {name} may need emergency help. Call 999 now, or take {name} to A&E. "
        "Do not wait for a reply from the practice: the request has not been sent.",
        "other-adult": "Your answers suggest {name} may need emergency help. Call 999 now, or get {name} to A&E. "
        "Do not wait for a reply from the practice: the request has not been sent.",
    },
    "111": {
        "child": "{name} needs medical help today, but it may not be an emergency. Call 111 or go to "
        "111.nhs.uk. If {name} gets worse, call 999. Do not wait for a reply from the practice: "
        "the request has not been sent.",
        "other-adult": "{name} needs medical help today, but it may not be an emergency. Call 111 or go to "
        "111.nhs.uk. If {name} gets worse, call 999. Do not wait for a reply from the practice: "
        "the request has not been sent.",
    },
    "crisis": {
        "child": "If {name} might act on thoughts of ending their life or hurting themselves, or has already "
        "hurt themselves, call 999 now or go to A&E. " + CRISIS_LINES,
        "other-adult": "If {name} might act on thoughts of ending their life or hurting themselves, or has already "
        "hurt themselves, call 999 now or go to A&E. " + CRISIS_LINES,
    },
}


def flag_advice(flag: RedFlag | AnswerRedFlag) -> tuple[str, ...]:
    return (flag.advice, *flag.also)


def advice_list(flags: Iterable[RedFlag | AnswerRedFlag], wording: Wording | None = None) -> list[Advice]:
    """Every advice these red flags call for, most urgent first (999, then 111, then the crisis
    lines). Each body starts with its code's own advice, worded for the person the request is
    about, followed by the messages of the flags whose advice it is. A call button shown in an
    earlier advice is not repeated."""
    flags = list(flags)
    wording = wording or SELF
    out: list[Advice] = []
    given: set[tuple[str, str]] = set()
    for code in ADVICE_CODES:
        if not any(code in flag_advice(f) for f in flags):
            continue
        generic = ADVICE[code]
        messages = [f.message_for(wording) for f in flags if f.advice == code and f.message]
        body = " ".join([wording.say(generic.body, ADVICE_WORDINGS[code]), *dict.fromkeys(messages)])
        calls = tuple(c for c in generic.calls if c not in given)
        given.update(calls)
        out.append(Advice(code, generic.title, body, calls))
    return out


def advice_for(flags: Iterable[RedFlag | AnswerRedFlag], wording: Wording | None = None) -> Advice | None:
    """The most urgent advice for these red flags (``advice_list`` gives every one)."""
    shown = advice_list(flags, wording)
    return shown[0] if shown else None


def ends_request(flags: Iterable[RedFlag | AnswerRedFlag]) -> bool:
    """A 999 or 111 flag ends the request; the crisis lines alone do not."""
    return any(f.advice in ENDING_ADVICE for f in flags)


def red_flags_for(
    topic: Topic, *, is_child: bool, wording: Wording | None = None, age_months: int | None = None
) -> list[RedFlag]:
    """The emergency questions to ask before this topic's questions, in order: the shared ones
    (with the child extras for someone under 16, or for a child-only topic), then the topic's
    own, each ``text`` worded for the person (``wording``; by default the child wording for a
    child, "your child", and the holder's own otherwise). ``age_months`` (the person's age in
    whole months) leaves out flags for other ages (a bulging soft spot only under 2, pregnancy
    only from 10); None asks them all. Each is yes/no (``emergency_advice``)."""
    child = is_child or topic.audience == "child"
    if wording is None:
        wording = Wording("child") if child else SELF
    flags = []
    for flag in topic.red_flags:
        if flag.audience == "child" and not child or flag.audience == "adult" and child:
            continue
        if not flag.asked_at(age_months):
            continue
        flags.append(replace(flag, text=flag.text_for(wording)))
    return flags


def _chunks(flags: list[RedFlag], size: int) -> list[tuple[RedFlag, ...]]:
    """Split into the fewest pages of at most ``size``, as even as possible (7 -> 4 + 3)."""
    if not flags:
        return []
    pages = -(-len(flags) // size)
    base, extra = divmod(len(flags), pages)
    out, start = [], 0
    for number in range(pages):
        length = base + (1 if number < extra else 0)
        out.append(tuple(flags[start : start + length]))
        start += length
    return out


def red_flag_pages(topic: Topic, flags: Iterable[RedFlag], *, is_child: bool) -> list[tuple[RedFlag, ...]]:
    """The emergency screen as pages: the flags (``red_flags_for``) by group in the order
    ``_red_flags.json`` gives (``groupOrder``), a child's own questions first for a child, at most
    ``MAX_FLAGS_PER_PAGE`` to a page. Every page has a "None of these" answer that must be chosen
    when nothing applies, so pressing Continue is never read as "no"."""
    flags = list(flags)
    order = list(topic.flag_groups)
    child = is_child or topic.audience == "child"
    if child and CHILD_GROUP in order:
        order.remove(CHILD_GROUP)
        order.insert(0, CHILD_GROUP)
    known = set(order)
    order += list(dict.fromkeys(f.group for f in flags if f.group not in known))  # validate says so
    pages: list[tuple[RedFlag, ...]] = []
    for group in order:
        for page in _chunks([f for f in flags if f.group == group], MAX_FLAGS_PER_PAGE):
            if len(page) == 1 and pages and len(pages[-1]) < MAX_FLAGS_PER_PAGE:
                pages[-1] += page  # a group of one (a baby's mind page is "too unwell to wait") joins the page before
            else:
                pages.append(page)
    return pages


@lru_cache(maxsize=1)
def _registry() -> tuple[dict[str, RedFlag], dict[str, AnswerRedFlag]]:
    screening: dict[str, RedFlag] = {}
    answered: dict[str, AnswerRedFlag] = {}
    for topic in load_all().values():
        for flag in topic.red_flags:
            screening.setdefault(flag.link_id, flag)
        for answer_flag in topic.answer_red_flags:
            answered.setdefault(answer_flag.link_id, answer_flag)
    return screening, answered


def _yes(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.strip().casefold() in YES_WORDS)


def triggered_red_flags(answers: Mapping[str, Any], topic: Topic | None = None) -> list[RedFlag | AnswerRedFlag]:
    """The red flags these answers raise: emergency questions answered yes, and answers that are
    red flags themselves (PHQ-9 item 9 answered anything but "Not at all"). With a topic, only
    its own flags and enabled answers count; without one, every topic's flags are looked up."""
    raised: list[RedFlag | AnswerRedFlag] = []
    if topic is not None:
        cleaned = clean_answers(topic, answers)
        raised += [f for f in topic.red_flags if _yes(answers.get(f.link_id))]
        raised += [f for f in topic.answer_red_flags if f.link_id in cleaned and f.triggered_by(cleaned[f.link_id])]
        return raised
    screening, answer_flags = _registry()
    for link_id, value in answers.items():
        if link_id in screening and _yes(value):
            raised.append(screening[link_id])
        elif link_id in answer_flags and answer_flags[link_id].triggered_by(value):
            raised.append(answer_flags[link_id])
    return raised


def emergency_advice(answers: Mapping[str, Any], topic: Topic | None = None) -> str | None:
    """The most urgent advice these answers call for: "999", "111", "crisis" or None. 999 and
    111 end the request; the crisis lines alone let it go on, marked urgent."""
    shown = advice_list(triggered_red_flags(answers, topic))
    return shown[0].code if shown else None


def safety_net(topic: Topic, wording: Wording | None = None) -> str:
    """What to watch for once the request is sent ("" if the topic says nothing), worded for the
    person: a child with a fever is checked again within 4 hours (NHS Healthier Together)."""
    return (wording or SELF).say(topic.safety_net, topic.safety_net_wordings) if topic.safety_net else ""


def shared_intro(wording: Wording | None) -> str:
    """What the emergency screen says first when the questions are about someone else ("" for
    the holder themself)."""
    if wording is None or wording.code == "self":
        return ""
    intro = as_mapping(shared_red_flags().get("intro"))
    return wording.say(str(intro.get("text", "")), wordings_from(intro))
