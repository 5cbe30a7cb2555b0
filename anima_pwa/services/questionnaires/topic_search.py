"""The topic search on "Create Request": what someone typed -> emergency advice first, then topics.

Two parts, both plain Python over data (``anima_pwa/questionnaires/_search_terms.json``), fast
enough to run on every debounced keystroke:

* **Emergencies** (``emergency_advice``): phrases and word combinations that describe an emergency
  ("took too many tablets", "baby wont wake up", "want to end it all") give the 999, 111 or crisis
  advice, whatever topics match. A pattern is a sequence of words or word groups (``@concept``)
  with up to ``MAX_GAP`` small filler words between them ("pain in my chest"), read after typos
  are corrected ("chest pian"). A match right after a negation ("no chest pain", "not suicidal")
  does not count, but uncertainty does ("not sure if it's chest pain" still gets the advice).
  ``unless`` phrases switch a rule off ("fit note", "blue badge", "had a stroke years ago").
* **Topics** (``rank``): each meaningful word of the query scores by the best topic word it matches
  (exact, word ending, or a typo within a distance that grows with the word's length, through
  rapidfuzz), weighted by how specific that word is across topics; a topic phrase found whole
  ("poorly tummy", "signed off work") scores extra. Words that match nothing cost nothing, so
  "my head is pounding" finds Headache. Unknown one-word compounds are split ("sicknote"). A topic
  of the other kind is offered when that is where the words point (a fit note from a medical
  request), behind one of the kind asked for when both fit equally.

The topics' titles, descriptions and keywords come from the loaded topics
(``questionnaires.load_all()``); the data file adds lay, child and slang wording per topic id.

No Reflex here. The clinical content (which words mean an emergency, and the advice) is a draft from
NHS public guidance and needs a clinical safety officer's sign-off.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from anima_pwa.services.questionnaires import model as questionnaires
from anima_pwa.services.questionnaires.red_flags import ADVICE
from anima_pwa.services.questionnaires.search_terms import (
    ADVICE_ORDER,
    BREAK,
    EmergencyRule,
    Slot,
    emergency_rules,
    lexicon,
    tokens,
)
from anima_pwa.services.questionnaires.vocabulary import GENERIC_WEIGHT, content_words, expand, readings, search_index

MAX_GAP = 3  # filler words allowed between two words of an emergency pattern
OTHER_KIND_FACTOR = 0.65  # a topic of the other kind must fit clearly better to come first
CHILD_FACTOR = 1.1  # a child-only topic when the request is about a child
MIN_SCORE = 1.0
RELATIVE_CUTOFF = 0.3  # topics scoring under this share of the best are noise
PHRASE_WEIGHT = math.log(1 + 20)  # a whole phrase of a topic is as telling as its rarest word
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


@dataclass(frozen=True)
class SearchResult:
    advice: SearchAdvice | None
    matches: tuple[questionnaires.TopicMatch, ...]


# ---------------------------------------------------------------------------------------------
# Words
# ---------------------------------------------------------------------------------------------

_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}


MANY = 10  # "took 30 paracetamol": a count of tablets that is an overdose phrase
_TENS = {"ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100, "dozen": 12, "dozens": 24}


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
        said_as_age = (i + 2 < len(words) and words[i + 2] == "old") or (i > 0 and words[i - 1] in ("is", "aged", "age", "only", "just"))
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
                self.options.append(frozenset({word, *(w for w, _ in readings(word))}) if word not in search_index().known else frozenset({word}))
        self.infant = _infant_age(self.words)
        self.many = {i for i, w in enumerate(self.words) if _count(w) >= MANY}
        years = any(w.isdigit() and len(w) == 4 and 1950 <= int(w) <= 2099 for w in self.words)
        # Every word (and marker) present: a pattern with a position nothing here fits is skipped.
        self.present = frozenset().union(*self.options) | {"$"} | ({"#infant"} if self.infant else set()) | (
            {"#many"} if self.many else set()
        ) | ({"#year"} if years else set())
        self.candidates = frozenset().union(*(e.by_first_word.get(w, ()) for w in self.present))

    def _fits(self, slot: Slot, i: int) -> bool:
        if ("#infant" in slot and i in self.infant) or ("#many" in slot and i in self.many):
            return True
        if "#year" in slot and self.words[i].isdigit() and 1950 <= int(self.words[i][:4]) <= 2099 and len(self.words[i]) == 4:
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
    "crisis": (("Call 999", "tel:999"), ("Call 111, option 2", "tel:111"), ("Call Samaritans on 116 123", "tel:116123")),
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


# ---------------------------------------------------------------------------------------------
# Topics
# ---------------------------------------------------------------------------------------------


def _visible(topic: questionnaires.Topic, is_child: bool | None) -> bool:
    if is_child is True and topic.audience == "adult":
        return False
    return not (is_child is False and topic.audience == "child")


def _about_a_child(words: Sequence[str]) -> bool:
    lex = lexicon()
    if any(w in lex.child for w in words):
        return True
    return any(
        words[i].isdigit() and words[i + 1] in ("year", "years", "yr", "month", "months", "week", "weeks") and words[i + 2] == "old"
        for i in range(len(words) - 2)
    ) or any(a == "little" and b in ("one", "ones", "boy", "girl", "man", "lad") for a, b in zip(words, words[1:]))


def _contains(words: Sequence[str], phrase: Sequence[str]) -> bool:
    size = len(phrase)
    return any(tuple(words[i : i + size]) == tuple(phrase) for i in range(len(words) - size + 1))


def _in_order(phrase: Sequence[str], hits: Mapping[str, list[tuple[int, float]]]) -> bool:
    """Every word of the phrase matched, one after the other in the query's meaningful words."""
    positions = [{pos for pos, sim in hits[p] if sim >= 0.7} for p in phrase]
    return any(all(start + k in positions[k] for k in range(len(phrase))) for start in positions[0])


def rank(query: object, *, kind: str | None = None, is_child: bool | None = None, limit: int = 8) -> list[questionnaires.TopicMatch]:
    """Topics for what someone typed, best first (see the module's docstring). ``kind`` puts that
    kind first; the other kind is offered only where the words point there. ``is_child`` True
    hides adult-only topics, False hides child-only ones, None shows both."""
    if not isinstance(query, str) or limit <= 0:
        return []
    words = expand(tokens(query))
    content = [w for w in content_words(words)]
    if not content:
        return []
    index = search_index()
    lex = lexicon()
    # Each meaningful word once, with what it may be (typo, ending, or the word being typed).
    seen: dict[str, tuple[tuple[str, float], ...]] = {}
    for position, word in enumerate(content):
        if word not in seen:
            seen[word] = readings(word, last=position == len(content) - 1)
    hits: dict[str, list[tuple[int, float]]] = {}  # vocabulary word -> (query position, similarity)
    for position, word in enumerate(content):
        for reading, similarity in seen[word]:
            hits.setdefault(reading, []).append((position, similarity))
    if not hits:
        return []
    spoken = [w for w in words if w != BREAK]
    child_context = is_child is True or (is_child is None and _about_a_child(words))
    matches = []
    for entry in index.topics:
        topic = entry.topic
        if not _visible(topic, is_child):
            continue
        total = 0.0
        best_word, best_word_score = "", 0.0
        for word, options in seen.items():
            value = 0.0
            cap = GENERIC_WEIGHT if word in lex.common else math.inf  # "house" is not "housing"
            for reading, similarity in options:
                factor = entry.words.get(reading)
                if factor is not None:
                    candidate = similarity * factor * min(index.weights.get(reading, GENERIC_WEIGHT), cap)
                    if candidate > value:
                        value = candidate
                        if candidate > best_word_score:
                            best_word, best_word_score = reading, candidate
            total += value
        if total <= 0:
            continue
        bonus, matched = 0.0, best_word
        for phrase, every, written in entry.phrases:
            if len(every) < 2 or not all(p in hits for p in phrase):
                continue
            weight = sum(index.weights.get(p, GENERIC_WEIGHT) for p in phrase)
            if len(every) > len(phrase) and _contains(spoken, every):
                value = 1.5 + 0.5 * max(weight, PHRASE_WEIGHT)  # word for word, small words too ("on top of me")
            elif len(phrase) < 2:
                continue
            elif _in_order(phrase, hits):
                value = 1.0 + 0.5 * max(weight, PHRASE_WEIGHT)  # "signed off", "moved house"
            else:
                value = 0.5 + 0.25 * weight
            if value > bonus:
                bonus, matched = value, written
        score = total + bonus
        if kind is not None and topic.kind != kind:
            score *= OTHER_KIND_FACTOR
        if topic.audience == "child":
            score *= CHILD_FACTOR if child_context else 1 / CHILD_FACTOR
        elif topic.audience == "adult" and child_context and is_child is None:
            score /= CHILD_FACTOR
        matches.append(questionnaires.TopicMatch(topic, round(score, 3), matched))
    if not matches:
        return []
    best = max(m.score for m in matches)
    kept = [m for m in matches if m.score >= MIN_SCORE and m.score >= RELATIVE_CUTOFF * best]
    kept.sort(key=lambda m: (-m.score, m.topic.kind != kind if kind else False, m.topic.title.casefold()))
    return kept[:limit]


def search(query: object, *, kind: str | None = None, is_child: bool | None = None, limit: int = 8) -> SearchResult:
    """Everything the topic page shows for what was typed: emergency advice (or None), then the
    topics."""
    return SearchResult(emergency_advice(query), tuple(rank(query, kind=kind, is_child=is_child, limit=limit)))
