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

import bisect
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from anima_pwa.services.questionnaires import model as questionnaires
from anima_pwa.services.questionnaires.loading import load_all
from anima_pwa.services.questionnaires.red_flags import ADVICE
from anima_pwa.services.questionnaires.search_terms import (
    ADVICE_ORDER,
    BREAK,
    TERMS_FILE,
    EmergencyRule,
    Slot,
    emergency_rules,
    lexicon,
    read_terms,
    tokens,
)

MAX_GAP = 3  # filler words allowed between two words of an emergency pattern
OTHER_KIND_FACTOR = 0.65  # a topic of the other kind must fit clearly better to come first
CHILD_FACTOR = 1.1  # a child-only topic when the request is about a child
MIN_SCORE = 1.0
RELATIVE_CUTOFF = 0.3  # topics scoring under this share of the best are noise
GENERIC_WEIGHT = 0.3  # a common word inside a topic phrase ("time" in "time off work")
DESCRIPTION_FACTOR = 0.5  # a word only in a topic's description
PHRASE_WEIGHT = math.log(1 + 20)  # a whole phrase of a topic is as telling as its rarest word
INSIDE_FACTOR = 0.6  # a word a topic only uses inside a longer phrase ("head" in "head lice")

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


def _variants(word: str) -> set[str]:
    """Word endings: coughing/cough, headaches/headache, pooed/poo, babies/baby."""
    found = {word}
    for suffix, replacement in (("ies", "y"), ("es", ""), ("s", ""), ("ing", ""), ("ing", "e"), ("ed", ""), ("ed", "e"), ("d", "")):
        if word.endswith(suffix) and len(word) - len(suffix) + len(replacement) >= 3:
            found.add(word[: len(word) - len(suffix)] + replacement)
    return found


def _max_edits(word: str) -> int:
    """Typos allowed for a word of this length: one in a short word, two in a long one."""
    if len(word) < 3 or word.isdigit():
        return 0
    return 2 if len(word) >= 8 else 1


def _similarity(edits: int) -> float:
    return {0: 1.0, 1: 0.8, 2: 0.7}.get(edits, 0.0)


# ---------------------------------------------------------------------------------------------
# The vocabulary: every word a topic or an emergency pattern knows
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _TopicEntry:
    topic: questionnaires.Topic
    phrases: tuple[tuple[tuple[str, ...], tuple[str, ...], str], ...]  # (content words, all words, as written)
    words: Mapping[str, float]  # content word -> factor (1, INSIDE_FACTOR or DESCRIPTION_FACTOR)


@dataclass(frozen=True)
class _Index:
    topics: tuple[_TopicEntry, ...]
    weights: Mapping[str, float]
    vocabulary: frozenset[str]  # topic words and emergency words: what a typo is corrected to
    vocabulary_list: tuple[str, ...]  # sorted: words starting with a prefix are one slice
    by_length: Mapping[int, tuple[str, ...]]  # a typo is looked for only among words of near length
    by_variant: Mapping[str, frozenset[str]]
    known: frozenset[str]  # words never corrected (real words, even if no topic uses them)


def content_words(words: Iterable[str]) -> tuple[str, ...]:
    lex = lexicon()
    return tuple(w for w in words if w != BREAK and w not in lex.stop and w not in lex.child)


@lru_cache(maxsize=1)
def search_index() -> _Index:
    terms = read_terms()
    lex = lexicon()
    loaded = load_all()
    lay = terms["topics"]
    unknown = set(lay) - set(loaded)
    if unknown:
        raise ValueError(f"{TERMS_FILE.name}: lay words for topics that don't exist: {sorted(unknown)}")
    entries = []
    document_frequency: dict[str, int] = {}
    for topic in loaded.values():
        if topic.free_text:
            continue
        phrases = []
        for written in (topic.title, *topic.keywords, *lay.get(topic.id, ())):
            every = tuple(w for w in tokens(written) if w != BREAK)
            content = content_words(every)
            if content:
                phrases.append((content, every, written))
        title = set(content_words(tokens(topic.title)))
        words: dict[str, float] = {}
        for content, _every, _written in phrases:
            for word in content:
                factor = 1.0 if len(content) == 1 or word in title else INSIDE_FACTOR
                words[word] = max(words.get(word, 0.0), factor)
        for word in content_words(tokens(topic.description)):
            if word not in lex.common and not word.isdigit():
                words.setdefault(word, DESCRIPTION_FACTOR)
        for word in {w for content, _every, _written in phrases for w in content}:
            document_frequency[word] = document_frequency.get(word, 0) + 1
        entries.append(_TopicEntry(topic, tuple(dict.fromkeys(phrases)), words))
    total = max(len(entries), 1)
    weights = {
        word: GENERIC_WEIGHT if word in lex.common else math.log(1 + total / df) for word, df in document_frequency.items()
    }
    for entry in entries:
        for word in entry.words:
            weights.setdefault(word, GENERIC_WEIGHT if word in lex.common else math.log(1 + total))
    emergency_words = {w for words in emergency_rules().concepts.values() for w in words} | emergency_rules().literals
    vocabulary = frozenset(weights) | frozenset(emergency_words)
    by_variant: dict[str, set[str]] = {}
    for word in vocabulary:
        for variant in _variants(word):
            by_variant.setdefault(variant, set()).add(word)
    e = terms["emergency"]
    known = vocabulary | lex.stop | lex.child | lex.common | set(e["fillers"]) | set(e["negators"]) | set(e["breaks"])
    return _Index(
        topics=tuple(entries),
        weights=weights,
        vocabulary=vocabulary,
        vocabulary_list=tuple(sorted(vocabulary)),
        by_length={n: tuple(sorted(w for w in vocabulary if len(w) == n)) for n in {len(w) for w in vocabulary}},
        by_variant={k: frozenset(v) for k, v in by_variant.items()},
        known=frozenset(known),
    )


def _split_compound(word: str) -> tuple[str, ...]:
    """"sicknote" -> ("sick", "note"), "bellyache" -> ("belly", "ache"): an unknown word made of
    two topic words."""
    index = search_index()
    if word in index.known or len(word) < 6 or not word.isalpha():
        return (word,)
    best: tuple[str, ...] = (word,)
    for cut in range(3, len(word) - 2):
        left, right = word[:cut], word[cut:]
        if left in index.weights and right in index.weights:
            if len(best) == 1 or min(len(left), len(right)) > min(len(p) for p in best):
                best = (left, right)
    return best


@lru_cache(maxsize=20_000)
def readings(word: str, *, last: bool = False) -> tuple[tuple[str, float], ...]:
    """What a typed word may be, with a similarity: itself, the same word with another ending, or
    (only for a word no list knows) the nearest vocabulary words by optimal string alignment
    distance; the last word of the query may also be the start of a word still being typed."""
    index = search_index()
    found: dict[str, float] = {}
    if word in index.vocabulary:
        found[word] = 1.0
    for variant in _variants(word):
        for other in index.by_variant.get(variant, ()):
            if other != word:
                found.setdefault(other, 0.85)
    if found or word in index.known:
        return tuple(found.items())
    limit = _max_edits(word)
    if limit:
        near = [w for n in range(len(word) - limit, len(word) + limit + 1) for w in index.by_length.get(n, ())]
        candidates = process.extract(word, near, scorer=OSA.distance, score_cutoff=limit, limit=None)
        if len(word) == 3:  # a three-letter word: only a missing letter ("bak", "sik")
            candidates = [c for c in candidates if len(c[0]) == 4 and _is_subsequence(word, c[0])]
        if candidates:
            nearest = min(c[1] for c in candidates)
            closest = [c for c in candidates if c[1] == nearest]
            swapped = [c for c in closest if sorted(c[0]) == sorted(word)]  # "pian": pain, not plan
            for choice, distance, _ in swapped or closest:
                found[choice] = _similarity(int(distance))
    if not found and last and len(word) >= 4:
        words = index.vocabulary_list
        for choice in words[bisect.bisect_left(words, word) : bisect.bisect_right(words, word + "\uffff")]:
            if len(choice) > len(word):
                found[choice] = 0.7
    return tuple(found.items())


def _is_subsequence(short: str, long_: str) -> bool:
    it = iter(long_)
    return all(c in it for c in short)


def expand(words: Sequence[str]) -> list[str]:
    out: list[str] = []
    for word in words:
        out.extend(_split_compound(word) if word != BREAK else (word,))
    return out


# ---------------------------------------------------------------------------------------------
# Emergencies
# ---------------------------------------------------------------------------------------------

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
