"""The topic search on "Create Request": what someone typed -> emergency advice first, then topics
(``search``), both plain Python over data (``anima_pwa/questionnaires/_search_terms.json``), fast
enough to run on every debounced keystroke. The emergency advice is ``emergencies``; this module
ranks the topics (``rank``).

Each meaningful word of the query scores by the best topic word it matches (exact, word ending,
or a typo within a distance that grows with the word's length: ``vocabulary.readings``),
weighted by how specific that word is across topics; a topic phrase found whole ("poorly
tummy", "signed off work") scores extra. Words that match nothing cost nothing, so "my head is
pounding" finds Headache. Unknown one-word compounds are split ("sicknote"). A topic of the other
kind is offered when that is where the words point (a fit note from a medical request), behind
one of the kind asked for when both fit equally.

No Reflex here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from anima_pwa.services.questionnaires.emergencies import SearchAdvice, emergency_advice
from anima_pwa.services.questionnaires.model import Topic
from anima_pwa.services.questionnaires.search_terms import BREAK, lexicon, tokens
from anima_pwa.services.questionnaires.vocabulary import GENERIC_WEIGHT, content_words, expand, readings, search_index

OTHER_KIND_FACTOR = 0.65  # a topic of the other kind must fit clearly better to come first
CHILD_FACTOR = 1.1  # a child-only topic when the request is about a child
MIN_SCORE = 1.0
RELATIVE_CUTOFF = 0.3  # topics scoring under this share of the best are noise
PHRASE_WEIGHT = math.log(1 + 20)  # a whole phrase of a topic is as telling as its rarest word


@dataclass(frozen=True)
class TopicMatch:
    topic: Topic
    score: float
    matched: str  # the title or keyword that matched best


@dataclass(frozen=True)
class SearchResult:
    advice: SearchAdvice | None
    matches: tuple[TopicMatch, ...]


def _visible(topic: Topic, is_child: bool | None) -> bool:
    if is_child is True and topic.audience == "adult":
        return False
    return not (is_child is False and topic.audience == "child")


def _about_a_child(words: Sequence[str]) -> bool:
    lex = lexicon()
    if any(w in lex.child for w in words):
        return True
    return any(
        words[i].isdigit()
        and words[i + 1] in ("year", "years", "yr", "month", "months", "week", "weeks")
        and words[i + 2] == "old"
        for i in range(len(words) - 2)
    ) or any(
        a == "little" and b in ("one", "ones", "boy", "girl", "man", "lad")
        for a, b in zip(words, words[1:], strict=False)
    )


def _contains(words: Sequence[str], phrase: Sequence[str]) -> bool:
    size = len(phrase)
    return any(tuple(words[i : i + size]) == tuple(phrase) for i in range(len(words) - size + 1))


def _in_order(phrase: Sequence[str], hits: Mapping[str, list[tuple[int, float]]]) -> bool:
    """Every word of the phrase matched, one after the other in the query's meaningful words."""
    positions = [{pos for pos, sim in hits[p] if sim >= 0.7} for p in phrase]
    return any(all(start + k in positions[k] for k in range(len(phrase))) for start in positions[0])


def rank(query: object, *, kind: str | None = None, is_child: bool | None = None, limit: int = 8) -> list[TopicMatch]:
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
        matches.append(TopicMatch(topic, round(score, 3), matched))
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
