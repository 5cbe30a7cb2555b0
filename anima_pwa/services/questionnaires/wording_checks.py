"""The wording rule (``anima_pwa/questionnaires/README.md``): every question, hint, option that
says "you" or "my", red flag and message has the wording for everyone the topic can be asked
about, names the person (``{name}``) and never asks the reader about themself."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping

from anima_pwa.services.questionnaires.model import CHILD_UNDER_MONTHS, RedFlag, Topic, flag_window
from anima_pwa.services.questionnaires.wording import NAME_PLACEHOLDER, WORDINGS, WORDINGS_NEEDED

# "you", "I", "my": words a question about someone else must not use (it would be about the reader).
_PERSON_WORDS = re.compile(r"\b(you|your|yours|yourself|you're|you've|i|i'm|i've|my|me|mine|myself)\b", re.IGNORECASE)


def wordings_needed_for(flag: RedFlag, topic_audience: str = "any") -> list[str]:
    """The wordings a flag needs: child if it can be asked of a child, other-adult if of an adult."""
    low, high = flag_window(flag, topic_audience)
    needed = []
    if low < CHILD_UNDER_MONTHS and high > low:
        needed.append("child")
    if high > CHILD_UNDER_MONTHS and high > low:
        needed.append("other-adult")
    return needed


def _speaks_to_reader(text: str) -> bool:
    """True if the text says "you", "your", "I", "my"...: it is about whoever reads it."""
    return bool(_PERSON_WORDS.search(text.replace("’", "'")))


def check_one_wording(
    where: str, self_text: str, wordings: Mapping[str, str], needed: Iterable[str], *, question: bool
) -> list[str]:
    """The wording rule for one text. ``question``: it asks about the person (a question or a red
    flag, its hint or an option), so the other wordings name them and never say "you"."""
    problems = []
    for code in wordings:
        if code not in WORDINGS[1:]:
            problems.append(f"{where}: unknown wording {code!r} (use {WORDINGS[1:]})")
    if NAME_PLACEHOLDER in self_text:
        problems.append(f"{where}: text is the holder's own wording and has no {NAME_PLACEHOLDER}")
    for code in needed:
        said = wordings.get(code, "")
        if not said.strip():
            problems.append(f"{where}: no {code} wording (subject-wording extension)")
            continue
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(said) if name is not None}
        except ValueError:
            names = {"?"}
        if names - {"name"}:
            problems.append(f"{where}: {code} wording may only use the placeholder {NAME_PLACEHOLDER}")
        if not question:
            continue
        if _speaks_to_reader(said):
            problems.append(f"{where}: {code} wording says 'you', 'your', 'I' or 'my': word it about the person")
    return problems


def check_wording(topic: Topic) -> list[str]:
    """Every item (and hint, and red flag, and any option that says "you"/"my") has the wording
    for everyone the topic can be asked about: the child wording for a topic open to children,
    the other-adult wording for one open to adults. Questions and red flags name the person."""
    needed = WORDINGS_NEEDED.get(topic.audience, WORDINGS[1:])
    problems = []
    for node in topic.nodes:
        where = f"item {node.link_id}"
        asks = node.answerable
        problems += check_one_wording(where, node.text, node.wordings, needed, question=asks)
        if asks:
            for code in needed:
                if NAME_PLACEHOLDER not in node.wordings.get(code, NAME_PLACEHOLDER):
                    problems.append(f"{where}: {code} wording must name the person ({NAME_PLACEHOLDER})")
        if node.hint_id:
            problems += check_one_wording(f"{where} hint", node.hint, node.hint_wordings, needed, question=asks)
        for option in node.options:
            if _speaks_to_reader(option.display) or option.wordings:
                problems += check_one_wording(
                    f"{where} option {option.code}", option.display, option.wordings, needed, question=True
                )
    for flag in topic.red_flags:
        if flag.source == "shared":
            continue  # validate_shared
        problems += check_flag_wording(flag, f"red flag {flag.link_id}", wordings_needed_for(flag, topic.audience))
    for answer_flag in topic.answer_red_flags:
        if answer_flag.message:
            problems += check_one_wording(
                f"red flag {answer_flag.link_id} message",
                answer_flag.message,
                answer_flag.message_wordings,
                needed,
                question=False,
            )
    return list(dict.fromkeys(problems))


def check_flag_wording(flag: RedFlag, where: str, needs: Iterable[str]) -> list[str]:
    """A red flag's question in every wording it needs (naming the person, never "you"), and
    its message, if any, too: a message is advice to the reader, so it may say "you", but about
    a child it must say the child's name ("take {name} to A&E")."""
    needs = list(needs)
    problems = check_one_wording(where, flag.text, flag.wordings, needs, question=True)
    for code in needs:
        if NAME_PLACEHOLDER not in flag.wordings.get(code, NAME_PLACEHOLDER):
            problems.append(f"{where}: {code} wording must name the person ({NAME_PLACEHOLDER})")
    if flag.message:
        problems += check_one_wording(f"{where} message", flag.message, flag.message_wordings, needs, question=False)
    elif flag.message_wordings:
        problems.append(f"{where}: message wordings without a message")
    return problems
