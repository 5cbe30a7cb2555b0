"""What the topic search reads, from ``anima_pwa/questionnaires/_search_terms.json`` (read once:
``read_terms``): words as the search sees them (``tokens``: lower case, text-speak and spelling
aliases applied, clause breaks marked; the stop, child and common words of ``lexicon``), and the
emergency rules with their patterns compiled (``emergency_rules``; a pattern is a sequence of
words, ``a|b`` alternatives and ``@concept`` word groups).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from anima_pwa.services.questionnaires.model import ADVICE_CODES
from anima_pwa.services.questionnaires.parsing import QUESTIONNAIRE_DIR

TERMS_FILE = QUESTIONNAIRE_DIR / "_search_terms.json"
MAX_QUERY_LENGTH = 200  # characters read; the box allows 100
BREAK = "|"  # a clause break (punctuation, "but"): negation and patterns never cross it

ADVICE_ORDER = ADVICE_CODES  # most urgent first: 999, 111, the crisis lines (one order everywhere)
_TOKEN_RE = re.compile(r"[a-z]+|\d+(?:\.\d+)?|[.,;:!?()]")


@lru_cache(maxsize=1)
def read_terms() -> Mapping[str, Any]:
    with Path(TERMS_FILE).open(encoding="utf-8") as handle:
        return json.load(handle)


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = re.sub(r"[’‘`´]", "'", text)
    text = re.sub(r"\bo\.?d'?d\b|\bod'ed\b", " overdosed ", text)  # "od'd" would otherwise read "odd"
    text = text.replace("'", "").replace("&", " and ").replace("+", " ")
    return text


def _raw_tokens(text: str) -> list[str]:
    return [BREAK if t in ".,;:!?()" else t for t in _TOKEN_RE.findall(_clean(text))]


@dataclass(frozen=True)
class _Lexicon:
    stop: frozenset[str]
    child: frozenset[str]
    common: frozenset[str]
    aliases: Mapping[tuple[str, ...], tuple[str, ...]]
    longest_alias: int


@lru_cache(maxsize=1)
def lexicon() -> _Lexicon:
    terms = read_terms()
    aliases: dict[tuple[str, ...], tuple[str, ...]] = {}
    for source, target in terms["aliases"].items():
        key = tuple(_raw_tokens(source))
        if key:
            aliases[key] = tuple(_raw_tokens(target))
    return _Lexicon(
        stop=frozenset(terms["stop_words"]),
        child=frozenset(terms["child_words"]),
        common=frozenset(terms["common_words"]),
        aliases=aliases,
        longest_alias=max((len(k) for k in aliases), default=1),
    )


def tokens(text: str) -> list[str]:
    """Lower-case words with text-speak and spelling aliases applied ("bk" -> "back", "kms" ->
    "kill myself", "d and v" -> "diarrhoea and vomiting"); punctuation and "but" become BREAK."""
    lex = lexicon()
    raw = _raw_tokens(text[:MAX_QUERY_LENGTH] if isinstance(text, str) else "")
    breaks = frozenset(read_terms()["emergency"]["breaks"])
    out: list[str] = []
    i = 0
    while i < len(raw):
        for size in range(min(lex.longest_alias, len(raw) - i), 0, -1):
            replacement = lex.aliases.get(tuple(raw[i : i + size]))
            if replacement is not None:
                out.extend(replacement)
                i += size
                break
        else:
            out.append(BREAK if raw[i] in breaks else raw[i])
            i += 1
    return out


Slot = frozenset  # the words a position accepts; {"#infant"} is computed


@dataclass(frozen=True)
class EmergencyRule:
    id: str
    advice: str
    name: str
    patterns: tuple[tuple[Slot, ...], ...]
    all: tuple[tuple[tuple[Slot, ...], ...], ...]  # every group needs one pattern matched
    unless: tuple[tuple[Slot, ...], ...]
    message: str


@dataclass(frozen=True)
class _Emergency:
    concepts: Mapping[str, frozenset[str]]
    literals: frozenset[str]
    fillers: frozenset[str]
    negators: frozenset[str]
    uncertain: frozenset[str]
    rules: tuple[EmergencyRule, ...]
    by_first_word: Mapping[str, frozenset[tuple[Slot, ...]]]  # word -> the patterns it can start


def _compile(pattern: str, concepts: Mapping[str, frozenset[str]], literals: set[str]) -> tuple[Slot, ...]:
    slots = []
    for part in tokens_for_pattern(pattern):
        words: set[str] = set()
        for option in part.split("|"):
            if option.startswith("@"):
                if option[1:] not in concepts:
                    raise ValueError(f"{TERMS_FILE.name}: unknown concept {option!r} in {pattern!r}")
                words |= concepts[option[1:]]
            elif option:
                words.add(option)
                if not option.startswith("#") and option != "$":
                    literals.add(option)
        slots.append(Slot(words))
    return tuple(slots)


def tokens_for_pattern(pattern: str) -> list[str]:
    """A pattern's positions: words, "a|b" alternatives and "@concept"s, cleaned like a query."""
    parts = []
    for part in pattern.split():
        if part == "$":
            parts.append(part)
        elif part.startswith(("@", "#")) or "|" in part:
            parts.append("|".join(o if o.startswith(("@", "#")) else " ".join(tokens(o)) for o in part.split("|")))
        else:
            parts.extend(tokens(part))
    return parts


@lru_cache(maxsize=1)
def emergency_rules() -> _Emergency:
    data = read_terms()["emergency"]
    concepts = {name: frozenset(w for word in words for w in tokens(word)) for name, words in data["concepts"].items()}
    literals: set[str] = set()

    def group(value: str | list[str]) -> tuple[tuple[Slot, ...], ...]:
        return tuple(_compile(p, concepts, literals) for p in ([value] if isinstance(value, str) else value))

    rules = []
    for raw in data["rules"]:
        if raw["advice"] not in ADVICE_ORDER:
            raise ValueError(f"{TERMS_FILE.name}: rule {raw['id']!r} has advice {raw['advice']!r}")
        rules.append(
            EmergencyRule(
                id=raw["id"],
                advice=raw["advice"],
                name=raw.get("name", raw["id"]),
                patterns=group(raw.get("patterns", [])),
                all=tuple(group(g) for g in raw.get("all", [])),
                unless=group(raw.get("unless", [])),
                message=raw.get("message", ""),
            )
        )
    by_first_word: dict[str, set[tuple[Slot, ...]]] = {}
    for rule in rules:
        for pattern in (*rule.patterns, *rule.unless, *(p for g in rule.all for p in g)):
            for word in pattern[0]:
                by_first_word.setdefault(word, set()).add(pattern)
    return _Emergency(
        by_first_word={k: frozenset(v) for k, v in by_first_word.items()},
        concepts=concepts,
        literals=frozenset(w for w in literals if " " not in w),
        fillers=frozenset(data["fillers"]) | {"any"},
        negators=frozenset(data["negators"]),
        uncertain=frozenset(data["uncertain"]),
        rules=tuple(rules),
    )
