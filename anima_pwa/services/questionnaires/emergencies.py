"""Emergencies in what someone typed (``emergency_advice``), shown before any topic on "Create
Request" and screened in the words of a request: phrases and word combinations that describe an
emergency ("took too many tablets", "baby wont wake up", "want to end it all") give the 999, 111
or crisis advice, whatever topics match. A pattern is a sequence of words or word groups
(``@concept``) with up to ``MAX_GAP`` small filler words between them ("pain in my chest"), read
after typos are corrected ("chest pian"). A match right after a negation ("no chest pain", "not
suicidal") does not count, but uncertainty does ("not sure if it's chest pain" still gets the
advice). ``unless`` phrases switch a rule off ("fit note", "blue badge", "had a stroke years
ago"). The rules are data (``search_terms``); the words are read through the search's
vocabulary (``vocabulary``).

No Reflex here. The clinical content (which words mean an emergency, and the advice) is a draft from
NHS public guidance and needs a clinical safety officer's sign-off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from anima_pwa.services.questionnaires.red_flags import ADVICE
from anima_pwa.services.questionnaires.search_terms import (
    ADVICE_ORDER,
    BREAK,
    EmergencyRule,
    Slot,
    emergency_rules,
    tokens,
)
from anima_pwa.services.questionnaires.vocabulary import expand, readings, search_index

MAX_GAP = 3  # filler words allowed between two words of an emergency pattern
CRISIS_LINES = (
    "If you can keep yourself safe for now, call 111 and choose option 2 for the NHS mental health "
    "crisis line, or call Samaritans free on 116 123, day or night."
)


@dataclass(frozen=True)
class SearchAdvice:
    """Shown before any topic when the words describe an emergency."""

    code: str  # "999" | "111" | "crisis"
    title: str
    body: str
    reasons: tuple[str, ...]  # the rules that fired (recorded; never the words typed)
    calls: tuple[tuple[str, str], ...]  # (button label, tel: link), most urgent first


_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
MANY = 10  # "took 30 paracetamol": a count of tablets that is an overdose phrase
_TENS = {
    "ten": 10,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "hundred": 100,
    "dozen": 12,
    "dozens": 24,
}


def _count(word: str) -> int:
    if word.isdigit():
        return int(word[:6])
    return _TENS.get(word, 0)


def _infant_age(words: Sequence[str]) -> set[int]:
    """Positions that say a baby is under 3 months old: "6 weeks old", "baby is 10 days",
    "newborn"."""
    found = set()
    for i, word in enumerate(words):
        if word in ("newborn", "newborns"):
            found.add(i)
            continue
        number = _NUMBER_WORDS.get(word, int(word) if word.isdigit() else None)
        if number is None or i + 1 >= len(words):
            continue
        unit = words[i + 1]
        young = (
            (unit in ("day", "days", "d") and number <= 90)
            or (unit in ("week", "weeks", "wk", "wks", "w") and number <= 12)
            or (unit in ("month", "months", "mth", "mths", "m") and number < 3)
        )
        said_as_age = (i + 2 < len(words) and words[i + 2] == "old") or (
            i > 0 and words[i - 1] in ("is", "aged", "age", "only", "just")
        )
        if young and said_as_age:
            found.add(i)
    return found


class _Reader:
    """One query, read for emergencies: each position's possible words (typos corrected)."""

    def __init__(self, words: Sequence[str]) -> None:
        self.words = list(words)
        e = emergency_rules()
        self.e = e
        self.options: list[frozenset[str]] = []
        for word in self.words:
            if word == BREAK:
                self.options.append(frozenset())
            else:
                self.options.append(
                    frozenset({word, *(w for w, _ in readings(word))})
                    if word not in search_index().known
                    else frozenset({word})
                )
        self.infant = _infant_age(self.words)
        self.many = {i for i, w in enumerate(self.words) if _count(w) >= MANY}
        years = any(w.isdigit() and len(w) == 4 and 1950 <= int(w) <= 2099 for w in self.words)
        # Every word (and marker) present: a pattern with a position nothing here fits is skipped.
        self.present = (
            frozenset().union(*self.options)
            | {"$"}
            | ({"#infant"} if self.infant else set())
            | ({"#many"} if self.many else set())
            | ({"#year"} if years else set())
        )
        self.candidates = frozenset().union(*(e.by_first_word.get(w, ()) for w in self.present))

    def _fits(self, slot: Slot, i: int) -> bool:
        if ("#infant" in slot and i in self.infant) or ("#many" in slot and i in self.many):
            return True
        if (
            "#year" in slot
            and self.words[i].isdigit()
            and 1950 <= int(self.words[i][:4]) <= 2099
            and len(self.words[i]) == 4
        ):
            return True
        return bool(slot & self.options[i])

    def _rest(self, slots: Sequence[Slot], i: int) -> int | None:
        """Match slots[0] at i or after up to MAX_GAP fillers; return the end position. The slot
        {"$"} is the end of the clause (the end of the text, or a break)."""
        if not slots:
            return i
        for j in range(i, min(i + MAX_GAP + 1, len(self.words) + 1)):
            at_end = j == len(self.words) or self.words[j] == BREAK
            if "$" in slots[0] and at_end:
                return j
            if at_end:
                return None
            if self._fits(slots[0], j):
                end = self._rest(slots[1:], j + 1)
                if end is not None:
                    return end
            if self.words[j] not in self.e.fillers:
                return None
        return None

    def _negated(self, start: int) -> bool:
        j = start - 1
        while j >= 0 and self.words[j] in self.e.fillers:
            j -= 1
        if j < 0 or self.words[j] not in self.e.negators:
            return False
        following = self.words[j + 1] if j + 1 < len(self.words) else ""
        return following not in self.e.uncertain

    def finds(self, pattern: tuple[Slot, ...], *, negation: bool = True) -> bool:
        if not all(slot & self.present for slot in pattern):
            return False
        for start in range(len(self.words)):
            if self.words[start] == BREAK or not self._fits(pattern[0], start):
                continue
            if self._rest(pattern[1:], start + 1) is not None and not (negation and self._negated(start)):
                return True
        return False

    def fires(self, rule: EmergencyRule) -> bool:
        """Only the patterns whose first position a word here fits are tried (the others cannot
        match), which keeps a search to a fraction of a millisecond."""
        live = self.candidates
        if any(self.finds(p, negation=False) for p in live.intersection(rule.unless)):
            return False
        if any(self.finds(p) for p in live.intersection(rule.patterns)):
            return True
        return bool(rule.all) and all(any(self.finds(p) for p in live.intersection(group)) for group in rule.all)


_TITLES = {"crisis": "Get help now"}
_CALLS = {
    "999": (("Call 999", "tel:999"),),
    "111": (("Call 111", "tel:111"),),
    "crisis": (
        ("Call 999", "tel:999"),
        ("Call 111, option 2", "tel:111"),
        ("Call Samaritans on 116 123", "tel:116123"),
    ),
}


def _advice(code: str, fired: Sequence[EmergencyRule]) -> SearchAdvice:
    names = list(dict.fromkeys(r.name for r in fired if r.advice == code))
    about = " and ".join(names[:2])
    if code == "999":
        body = (
            f"What you typed sounds like {about}, which can be an emergency. Call 999 now, or go to A&E. "
            "Don't send an online request: your practice may not read it until the next working day."
        )
    elif code == "111":
        body = (
            f"What you typed sounds like {about}, which needs medical help today. Call 111 or go to "
            "111.nhs.uk. If it gets worse, call 999. Your practice may not read an online request until "
            "the next working day."
        )
    else:
        body = (
            "If you feel you might act on thoughts of ending your life or hurting yourself, or you have "
            "already hurt yourself, call 999 now or go to A&E. " + CRISIS_LINES
        )
    extra = [r.message for r in fired if r.message]
    calls = list(_CALLS[code])
    if code != "crisis" and any(r.advice == "crisis" for r in fired):
        extra.append(CRISIS_LINES)
        calls += [c for c in _CALLS["crisis"] if c not in calls]
    if extra:
        body = body + " " + " ".join(dict.fromkeys(extra))
    title = _TITLES.get(code) or ADVICE[code].title
    return SearchAdvice(code, title, body, tuple(r.id for r in fired), tuple(calls))


def emergency_advice(query: object) -> SearchAdvice | None:
    """The advice for an emergency described in words, or None. The most urgent code wins (999,
    then 111, then the crisis lines: the order of every advice in the app); the body starts with that code's own advice and adds what
    each rule that fired says."""
    if not isinstance(query, str) or not query.strip():
        return None
    words = expand(tokens(query))
    if not words:
        return None
    reader = _Reader(words)
    fired = [rule for rule in emergency_rules().rules if reader.fires(rule)]
    if not fired:
        return None
    code = next(c for c in ADVICE_ORDER if any(r.advice == c for r in fired))
    return _advice(code, fired)
