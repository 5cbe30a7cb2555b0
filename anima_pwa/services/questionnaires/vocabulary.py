"""The topic search's vocabulary: every word a topic or an emergency pattern knows, weighted by
how specific it is across topics (``search_index``), and what a typed word may be
(``readings``: itself, the same word with another ending, the nearest words within a typo
distance that grows with the word's length, through rapidfuzz, or the start of a word still
being typed). Unknown one-word compounds are split (``expand``: "sicknote").

The topics' titles, descriptions and keywords come from the loaded topics (``load_all``); the
terms file adds lay, child and slang wording per topic id.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from anima_pwa.services.questionnaires.loading import load_all
from anima_pwa.services.questionnaires.model import Topic
from anima_pwa.services.questionnaires.search_terms import (
    BREAK,
    TERMS_FILE,
    emergency_rules,
    lexicon,
    read_terms,
    tokens,
)

GENERIC_WEIGHT = 0.3  # a common word inside a topic phrase ("time" in "time off work")
DESCRIPTION_FACTOR = 0.5  # a word only in a topic's description
INSIDE_FACTOR = 0.6  # a word a topic only uses inside a longer phrase ("head" in "head lice")


def _variants(word: str) -> set[str]:
    """Word endings: coughing/cough, headaches/headache, pooed/poo, babies/baby."""
    found = {word}
    for suffix, replacement in (
        ("ies", "y"),
        ("es", ""),
        ("s", ""),
        ("ing", ""),
        ("ing", "e"),
        ("ed", ""),
        ("ed", "e"),
        ("d", ""),
    ):
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


@dataclass(frozen=True)
class _TopicEntry:
    topic: Topic
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
        word: GENERIC_WEIGHT if word in lex.common else math.log(1 + total / df)
        for word, df in document_frequency.items()
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
    """ "sicknote" -> ("sick", "note"), "bellyache" -> ("belly", "ache"): an unknown word made of
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
